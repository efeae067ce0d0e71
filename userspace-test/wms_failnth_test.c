// SPDX-License-Identifier: GPL-2.0
/*
 * wms_failnth_test: systematic fault injection. Every call of the contract
 * (ADD of a new and of an existing name, REMOVE, INFO, READ, WRITE, LIST,
 * open of /dev/wms, ATTACH, read, write, pread, pwrite, lseek, mmap, munmap,
 * close) runs with /proc/thread-self/fail-nth set to 1, 2, 3, ... until it
 * succeeds without a fault being consumed. Each time it must either fail
 * with ENOMEM or succeed, and afterwards these must be exactly as a failed
 * call (nothing changed) or a successful one leaves them:
 *
 *   - the registry: the LIST snapshot (names, sizes, owners, modes) and the
 *     INFO of every entry (size, owner, mode, attached, creation time), and
 *     the data of the entry the call works on;
 *   - the counters in /sys/class/misc/wms/ (entries, bytes, peak_bytes,
 *     adds, removes, failed_adds/); a failed ADD counts in failed_adds/ENOMEM;
 *   - the per-user quota: the unprivileged caller can add exactly the room
 *     its quota has left, and not one byte more;
 *   - the memory cgroup the caller runs in: memory.current (per-cpu charge
 *     stocks drained) within CG_NOISE of what it was (passes 1 and 3);
 *   - once every entry is removed and the caller has exited, wms holds no
 *     byte (no reference was leaked); kmemleak runs after the whole suite
 *     (userspace-test/uml/test.sh).
 *
 * The failure points of each call are counted and compared with a table
 * derived from the code (enum site and scens[] below: which allocation
 * each one is), in three passes, one fixture each:
 *   failnth        pass 1: wms's own hooks (wms_should_fail_alloc(), the
 *                  fail_wms attribute): their number and order. Besides
 *                  them only the kernel's non-sleeping slab allocations
 *                  consume fail-nth (failslab's ignore-gfp-wait=Y); those
 *                  are counted apart. fail_wms/times tells whose each
 *                  injected failure was.
 *   failnth_all    pass 2: failslab/ignore-gfp-wait=N: every slab
 *                  allocation of the call (wms's, and the kernel's on the
 *                  way: vmap, kmemleak, VFS, mm) plus the hooks, which
 *                  must be the table's sequence exactly, each named by its
 *                  call site through the kmem:kmalloc/kmem_cache_alloc trace
 *                  events (failed ones only), and each failing the call or
 *                  absorbed as the code says.
 *   failnth_pages  pass 3: fail_page_alloc for every page allocation:
 *                  each run checked as above on its own (the kernel's own
 *                  page allocations come and go between runs, so a point's
 *                  number is not its identity here: see data_place()), and
 *                  each of the new entry's data pages whose failure fails
 *                  the call failed at least once, told apart by what the
 *                  call allocated before it (the trace).
 *   peak           a failed ADD leaves peak_bytes as it was, with a size
 *                  that makes a charge visible in it.
 *   summary        per call the failure points against the table, the
 *                  total, and "# fail-nth: N distinct failure points
 *                  reached; M allocation sites in the code"; it checks that
 *                  the tables expect every site and that the passes' tests
 *                  that passed recorded theirs (not the other tests again).
 *
 * Scenarios are chosen so that every allocation site is reached: a new
 * entry added by a uid that owns nothing yet (its per-uid record), with data
 * (vmap()ed pages, and one page), with the entry array full (it grows from 0
 * to 16 slots, then to 2 * (entries + 1) when full: at 16 and 34 entries), a
 * REMOVE that shrinks the array (the smaller array is an allocation whose
 * failure is absorbed: the call succeeds either way), a WRITE over 17 source
 * pages (the page-pointer array), a WRITE and a pwrite whose source is a
 * mapping of the entry itself (the bounce buffer: other writes pin the
 * source's pages), open (the per-file state) and mmap (its anon file).
 *
 * Needs root, wms.ko loaded with an empty registry, CONFIG_FAULT_INJECTION
 * (else every test is skipped: the Debian kernels lack it), cgroup2 with
 * the memory controller, debugfs (fault attributes) and tracefs with the
 * kmem events. Changes max_user_bytes to QUOTA while it runs (the peak test
 * max_entry_size and max_total_bytes if need be), the fault attributes'
 * verbose, times, ignore-gfp-wait, ignore-gfp-highmem, min-order and
 * cache-filter, and makes a tracefs instance; restores all of them.
 * Entries are named "fnth.*" and removed at the end of every iteration.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/wms.h>

#include "wms_util.h"	/* the harness, diag(), errname(), the ioctl helpers, main()'s */

#define DEV		"/dev/wms"
#define SYSD		"/sys/class/misc/wms/"
#define DBG		"/sys/kernel/debug/"
#define CG_ROOT		"/sys/fs/cgroup"
#define FAILNTH		"/proc/thread-self/fail-nth"
#define PFX		"fnth."
#define UNAME		PFX "u"		/* the caller's entry */
#define NEWNAME		PFX "new"	/* what ADD creates */
#define PROBE		PFX "probe"	/* the quota probe */

#define KiB		1024ULL
#define MiB		(1024ULL * KiB)
#define ACT_UID		61001		/* the unprivileged caller */
#define ACT_GID		61001
#define QUOTA		(4 * MiB)	/* max_user_bytes while testing */
#define BIG		MiB		/* data of a new entry (vmap()ed pages) ... */
#define PAGE		4096ULL		/* ... or one page */
#define DSZ		(64 * KiB)	/* data of the caller's entry */
#define PIO		4096		/* pread/pwrite length ... */
#define POFF		8192		/* ... and offset */
#define CG_NOISE	(64 * KiB)	/* memory.current tolerance */
#define BIG3		(3 * 4096ULL)	/* ... in pass 3 */
#define MAX_N_WMS	16		/* pass 1: give up after so many faults */
#define MAX_N_ALL	600		/* passes 2 and 3 */
#define TRIES		6		/* pass 1: sweeps; pass 2: runs at one fail-nth value */
#define MAXREC		96

/*
 * The failure points, by the attribute that fails them:
 *
 * - fail_wms: wms_should_fail_alloc(), which wms calls before each of its
 *   allocations on behalf of a caller (`grep -n wms_should_fail_alloc -r
 *   module/`, the definition in fault.c aside): S_*. Reached in every pass.
 * - failslab with ignore-gfp-wait=N (pass 2): every slab allocation the
 *   call makes, wms's own (A_*) and the kernel's on the way (K_*), each
 *   named by its call site through the kmem trace events.
 * - fail_page_alloc with ignore-gfp-wait=N, ignore-gfp-highmem=N and
 *   min-order=0 (pass 3): every page allocation; no trace event names them
 *   (kmem:mm_page_alloc is not emitted for an injected failure), so only
 *   P_* are told apart, by the data pages allocated before (data_place()).
 *
 * The allocation sites of module/ and what reaches them:
 *   registry.c wms_user_alloc()     kzalloc(wms_user)     S_USER, A_USER
 *              (twice for a uid new to the host: its record in the
 *              registry, then in the pool of all registries)
 *   registry.c wms_entry_create()   kzalloc(entry+name)   S_ENTRY, A_ENTRY
 *              rhashtable_insert_fast()                   not reached (below)
 *   registry.c wms_data_alloc()     alloc_page()          S_DATA, P_DATA_PAGE
 *              wms_data_vmap()      kvmalloc_array()      S_DATA, A_DATA_PAGES
 *              (data above a page)  alloc_page() each     P_VMAP_PAGES
 *                                   vmap()                K_VM_STRUCT,
 *                                                         K_VMAP_AREA, K_LEAK_SCAN
 *   registry.c wms_slots_alloc()    kvmalloc_array()      S_SLOTS, A_SLOTS
 *              (grow, and the absorbed shrink)
 *   access.c wms_pin_range()        kvmalloc_array()      A_PINS (no hook)
 *              (page pointers of a READ or WRITE over more than 16 pages)
 *   access.c wms_bounce_alloc()     kvmalloc(len)         S_BOUNCE, A_BOUNCE
 *              (a READ or WRITE whose buffer cannot be pinned)
 *   dev.c wms_open()                kzalloc(wms_file)     S_FILE, A_FILE
 *   map.c wms_map()                 anon_inode_getfile()  K_D_ALLOC, K_FILE
 * and kmemleak allocates its metadata for every slab object
 * (K_LEAK_OBJ, absorbed: it falls back to its pool), the VFS and mm for
 * open(2), mmap(2) and munmap(2) (K_GETNAME, K_FILE, K_HOSTFS, K_VMA,
 * K_MAPLE*).
 *
 * Not reached by fail-nth, and why:
 *   - rhashtable_insert_fast() in wms_entry_create() allocates (GFP_ATOMIC,
 *     a bucket table in rhashtable_insert_rehash()) only when the table is
 *     over 100% full or a chain passes 16 entries; it grows at 75% in a
 *     worker (whose fail-nth is not the caller's). The index starts at 64
 *     buckets and these scenarios hold at most 36 entries.
 *   - mmap maps no page (the fault handler does, on first touch), so it
 *     allocates no page table either (pass 3 sees no page allocation in it).
 *   - KASAN's shadow of a vmap area: UML maps the whole shadow at boot.
 *   - Without CONFIG_FAULT_INJECTION (the Debian kernels) nothing is.
 *
 * Inside the VM the sources are not at hand: keep this in step with them.
 */
enum site {
	/* wms's hooks (fail_wms) */
	S_USER, S_ENTRY, S_DATA, S_SLOTS, S_BOUNCE, S_FILE,
	/* wms's slab allocations (failslab, call site in wms.ko) */
	A_USER, A_ENTRY, A_DATA_PAGES, A_SLOTS, A_PINS, A_BOUNCE, A_FILE,
	/* the kernel's slab allocations on the way (failslab) */
	K_VM_STRUCT, K_VMAP_AREA, K_LEAK_SCAN, K_LEAK_OBJ,
	K_GETNAME, K_FILE, K_HOSTFS, K_VMA, K_MAPLE, K_MAPLE_BULK, K_D_ALLOC,
	/* page allocations (fail_page_alloc), told apart by their place */
	P_DATA_PAGE, P_VMAP_PAGES,
	NR_SITES
};

#define NR_HOOKS	(S_FILE + 1)

static const struct {
	const char *name;
	/*
	 * How the trace names it: the call site's function as the kmem events
	 * print it (".constprop.0" and such dropped); WMS_KO for any function
	 * of wms.ko (inlining decides which); "" for an allocation without a
	 * trace event (kmem_cache_alloc_bulk()); NULL for hooks and pages.
	 */
	const char *fn;
} sites[NR_SITES] = {
#define WMS_KO "[wms]"
	[S_USER] = { "hook: per-uid record (registry.c wms_user_alloc)" },
	[S_ENTRY] = { "hook: entry struct (registry.c wms_entry_create)" },
	[S_DATA] = { "hook: data (registry.c wms_data_alloc)" },
	[S_SLOTS] = { "hook: entry array (registry.c wms_slots_alloc)" },
	[S_BOUNCE] = { "hook: bounce buffer (access.c wms_bounce_alloc)" },
	[S_FILE] = { "hook: per-file state (dev.c wms_open)" },
	[A_USER] = { "kzalloc of the per-uid record (registry.c wms_user_alloc)", WMS_KO },
	[A_ENTRY] = { "kzalloc of the entry (registry.c wms_entry_create)", WMS_KO },
	[A_DATA_PAGES] = { "kvmalloc_array of the data's page array (registry.c wms_data_vmap)", WMS_KO },
	[A_SLOTS] = { "kvmalloc_array of the entry array (registry.c wms_slots_alloc)", WMS_KO },
	[A_PINS] = { "kvmalloc_array of the pinned pages (access.c wms_pin_range)", WMS_KO },
	[A_BOUNCE] = { "kvmalloc of the bounce buffer (access.c wms_bounce_alloc)", WMS_KO },
	[A_FILE] = { "kzalloc of the per-file state (dev.c wms_open)", WMS_KO },
	[K_VM_STRUCT] = { "vmap: struct vm_struct (__get_vm_area_node)", "__get_vm_area_node" },
	[K_VMAP_AREA] = { "vmap: struct vmap_area (alloc_vmap_area)", "alloc_vmap_area" },
	[K_LEAK_SCAN] = { "kmemleak: scan area of the vmap_area (kmemleak_scan_area)", "kmemleak_scan_area" },
	[K_LEAK_OBJ] = { "kmemleak: metadata of each object (__create_object)", "__create_object" },
	[K_GETNAME] = { "open(2): the path name (getname_flags)", "getname_flags" },
	[K_FILE] = { "struct file (alloc_empty_file: open(2), anon_inode_getfile)", "__alloc_file" },
	[K_HOSTFS] = { "open(2): the walk through the hostfs root (hostfs_permission -> dentry_name)", "dentry_name" },
	[K_VMA] = { "mmap(2): struct vm_area_struct (vm_area_alloc)", "vm_area_alloc" },
	[K_MAPLE] = { "mmap/munmap: a maple tree node (mas_alloc_nodes)", "mas_alloc_nodes" },
	[K_MAPLE_BULK] = { "mmap/munmap: maple tree nodes in bulk (kmem_cache_alloc_bulk, untraced)", "" },
	[K_D_ALLOC] = { "mmap: the dentry of the anon file (anon_inode_getfile -> d_alloc_pseudo)", "__d_alloc" },
	[P_DATA_PAGE] = { "page: data of up to a page (registry.c wms_data_alloc alloc_page)" },
	[P_VMAP_PAGES] = { "page: data pages above a page (registry.c wms_data_vmap alloc_page)" },
#undef WMS_KO
};

enum scen_id {
	SC_ADD_NEW_EMPTY, SC_ADD_NEW_GROW16, SC_ADD_NEW_GROW34, SC_ADD_NEW_KNOWN,
	SC_ADD_NEW_PAGE, SC_ADD_NEW_SIZE0, SC_ADD_EXISTING, SC_REMOVE,
	SC_REMOVE_SHRINK, SC_INFO, SC_READ, SC_WRITE, SC_WRITE_17, SC_WRITE_SELF,
	SC_LIST, SC_OPEN, SC_ATTACH, SC_FREAD, SC_FWRITE, SC_FPREAD, SC_FPWRITE,
	SC_FPWRITE_SELF, SC_LSEEK, SC_MMAP, SC_MUNMAP, SC_CLOSE, SC_CLOSE_LAST,
	NR_SCEN
};

/* What the caller process prepares before the call is armed. */
#define P_TFD		0x01	/* a second /dev/wms file ... */
#define P_ATTACH	0x02	/* ... attached to UNAME */
#define P_MAP		0x04	/* ... and mapped (DSZ bytes, read-write) */
#define P_CLOSE		0x08	/* ... and closed again (the mapping stays) */
#define P_REMOVE	0x10	/* UNAME removed (its memory stays) */

/* One failure point: its site, and whether its failure fails the call. */
struct pt {
	unsigned char site;
	bool fails;
};

#define MAXPTS		24

struct scen {
	const char *label;
	int fill;		/* root's size-0 entries, made first */
	bool udata;		/* then UNAME: ACT_UID's, DSZ bytes, 0600 */
	int grow;		/* 1: the ADD must grow the array, 0: must not, -1: n/a */
	unsigned int prep;	/* P_* */
	int n1;			/* pass 1: wms's hooks, in order */
	struct pt p1[5];
	int n2;			/* pass 2: every slab allocation and hook, in order */
	struct pt p2[MAXPTS];
};

#define F(s)	{ s, true }	/* its failure fails the call with ENOMEM */
#define AB(s)	{ s, false }	/* its failure is absorbed: the call succeeds */

/*
 * Pass 2's sequences, spelled out once. Each slab object is followed by
 * kmemleak's metadata for it (K_LEAK_OBJ). Data above a page: the page
 * array, the pages (pass 3), then vmap(): vm_struct, vmap_area and
 * kmemleak's scan area of it.
 */
#define SEQ_LEAK(s)	F(s), AB(K_LEAK_OBJ)
#define SEQ_VMAP							\
	F(S_DATA), SEQ_LEAK(A_DATA_PAGES), SEQ_LEAK(K_VM_STRUCT),	\
	SEQ_LEAK(K_VMAP_AREA), AB(K_LEAK_SCAN)
#define SEQ_USER	F(S_USER), SEQ_LEAK(A_USER)
#define SEQ_ENTRY	F(S_ENTRY), SEQ_LEAK(A_ENTRY)
#define SEQ_GROW	F(S_SLOTS), SEQ_LEAK(A_SLOTS)
/* mas_preallocate(): one node, then the rest (6 here) in bulk. */
#define SEQ_MAPLE							\
	SEQ_LEAK(K_MAPLE), F(K_MAPLE_BULK), AB(K_LEAK_OBJ), AB(K_LEAK_OBJ), \
	AB(K_LEAK_OBJ), AB(K_LEAK_OBJ), AB(K_LEAK_OBJ), AB(K_LEAK_OBJ)

/*
 * A new entry: wms_charge() allocates the per-uid records if the uid owns
 * nothing (one in the registry, one in the pool of all registries), then
 * the entry, its data (size > 0), and last the
 * array if it is full. A READ or WRITE pins the user buffer's pages and
 * copies to or from them (no allocation up to 16 pages; for more an array of
 * page pointers, with no hook of its own, whose failure falls back to the
 * bounce buffer); only when the buffer is a mapping of the entry itself (or
 * cannot be pinned) does it copy through a bounce buffer.
 */
static const struct scen scens[NR_SCEN] = {
	[SC_ADD_NEW_EMPTY] = { "ADD new (uid owns nothing, 1 MiB, array 0 -> 16 slots)",
		0, false, 1, 0,
		5, { F(S_USER), F(S_USER), F(S_ENTRY), F(S_DATA), F(S_SLOTS) },
		20, { SEQ_USER, SEQ_USER, SEQ_ENTRY, SEQ_VMAP, SEQ_GROW } },
	[SC_ADD_NEW_GROW16] = { "ADD new (uid owns nothing, 1 MiB, 16 entries: array 16 -> 34)",
		16, false, 1, 0,
		5, { F(S_USER), F(S_USER), F(S_ENTRY), F(S_DATA), F(S_SLOTS) },
		20, { SEQ_USER, SEQ_USER, SEQ_ENTRY, SEQ_VMAP, SEQ_GROW } },
	[SC_ADD_NEW_GROW34] = { "ADD new (uid owns nothing, 1 MiB, 34 entries: array 34 -> 70)",
		34, false, 1, 0,
		5, { F(S_USER), F(S_USER), F(S_ENTRY), F(S_DATA), F(S_SLOTS) },
		20, { SEQ_USER, SEQ_USER, SEQ_ENTRY, SEQ_VMAP, SEQ_GROW } },
	[SC_ADD_NEW_KNOWN] = { "ADD new (uid owns an entry, 1 MiB, array not full)",
		3, true, 0, 0,
		2, { F(S_ENTRY), F(S_DATA) },
		11, { SEQ_ENTRY, SEQ_VMAP } },
	[SC_ADD_NEW_PAGE] = { "ADD new (uid owns an entry, 4 KiB: one page, array not full)",
		3, true, 0, 0,
		2, { F(S_ENTRY), F(S_DATA) },
		4, { SEQ_ENTRY, F(S_DATA) } },
	[SC_ADD_NEW_SIZE0] = { "ADD new (size 0)", 3, true, 0, 0,
		1, { F(S_ENTRY) },
		3, { SEQ_ENTRY } },
	[SC_ADD_EXISTING] = { "ADD existing", 3, true, -1, 0 },
	[SC_REMOVE] = { "REMOVE", 3, true, -1, 0 },
	/* The array is reallocated smaller; without it, compacted in place. */
	[SC_REMOVE_SHRINK] = { "REMOVE (array shrinks)", 16, true, -1, 0,
		1, { AB(S_SLOTS) },
		3, { AB(S_SLOTS), AB(A_SLOTS), AB(K_LEAK_OBJ) } },
	[SC_INFO] = { "INFO", 3, true, -1, 0 },
	[SC_READ] = { "READ", 3, true, -1, 0 },
	[SC_WRITE] = { "WRITE (64 KiB, source pinned)", 3, true, -1, 0 },
	/* Without the page array the write goes through the bounce buffer. */
	[SC_WRITE_17] = { "WRITE (64 KiB over 17 source pages: page array)", 3, true, -1, 0,
		0, { },
		2, { AB(A_PINS), AB(K_LEAK_OBJ) } },
	[SC_WRITE_SELF] = { "WRITE from a mapping of the entry (bounce buffer)", 3, true, -1,
		P_TFD | P_ATTACH | P_MAP,
		1, { F(S_BOUNCE) },
		3, { F(S_BOUNCE), SEQ_LEAK(A_BOUNCE) } },
	[SC_LIST] = { "LIST", 20, true, -1, 0 },
	/* The path walk, the struct file, then wms_open(). */
	[SC_OPEN] = { "open /dev/wms", 1, true, -1, 0,
		1, { F(S_FILE) },
		9, { SEQ_LEAK(K_GETNAME), SEQ_LEAK(K_FILE), SEQ_LEAK(K_HOSTFS),
		     F(S_FILE), SEQ_LEAK(A_FILE) } },
	[SC_ATTACH] = { "ATTACH", 1, true, -1, P_TFD },
	[SC_FREAD] = { "read", 1, true, -1, P_TFD | P_ATTACH },
	[SC_FWRITE] = { "write (64 KiB, source pinned)", 1, true, -1, P_TFD | P_ATTACH },
	[SC_FPREAD] = { "pread", 1, true, -1, P_TFD | P_ATTACH },
	[SC_FPWRITE] = { "pwrite (4 KiB, source pinned)", 1, true, -1, P_TFD | P_ATTACH },
	[SC_FPWRITE_SELF] = { "pwrite from a mapping of the entry (bounce buffer)", 1, true, -1,
		P_TFD | P_ATTACH | P_MAP,
		1, { F(S_BOUNCE) },
		3, { F(S_BOUNCE), SEQ_LEAK(A_BOUNCE) } },
	[SC_LSEEK] = { "lseek", 1, true, -1, P_TFD | P_ATTACH },
	/*
	 * The VMA and the maple tree (mmap_region()), then wms_map():
	 * anon_inode_getfile().
	 */
	[SC_MMAP] = { "mmap", 1, true, -1, P_TFD | P_ATTACH,
		0, { },
		15, { SEQ_LEAK(K_VMA), SEQ_MAPLE, SEQ_LEAK(K_D_ALLOC),
		      SEQ_LEAK(K_FILE) } },
	/* The detached VMAs' tree, then a node whose failure is retried. */
	[SC_MUNMAP] = { "munmap (last reference of a removed entry)", 1, true, -1,
		P_TFD | P_ATTACH | P_MAP | P_CLOSE | P_REMOVE,
		0, { },
		11, { SEQ_MAPLE, AB(K_MAPLE), AB(K_LEAK_OBJ) } },
	[SC_CLOSE] = { "close (attached file)", 1, true, -1, P_TFD | P_ATTACH },
	[SC_CLOSE_LAST] = { "close (last reference of a removed entry)", 1, true, -1,
		P_TFD | P_ATTACH | P_REMOVE },
};

#undef F
#undef AB

static bool is_add(int sc)
{
	return sc <= SC_ADD_EXISTING;
}

static bool is_add_new(int sc)
{
	return sc < SC_ADD_EXISTING;
}

/*
 * An entry of vmap()ed pages is 1 MiB, except in pass 3 where each of its pages is
 * a failure point: 3 pages there. Set by the fixture, inherited by the
 * caller process.
 */
static __u64 big = BIG;

static __u64 new_size(int sc)
{
	if (sc == SC_ADD_NEW_SIZE0)
		return 0;
	return sc == SC_ADD_NEW_PAGE ? PAGE : big;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int rfile(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	return 0;
}

static int rfile_u64(const char *path, __u64 *v)
{
	char buf[64], *end;
	int r = rfile(path, buf, sizeof(buf));

	if (r)
		return r;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return errno || end == buf ? -EINVAL : 0;
}

static int rfile_long(const char *path, long *v)
{
	char buf[64], *end;
	int r = rfile(path, buf, sizeof(buf));

	if (r)
		return r;
	errno = 0;
	*v = strtol(buf, &end, 0);
	return errno || end == buf ? -EINVAL : 0;
}

static int wfile(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(s);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n != len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/* The caller's entry holds pattern A at first; writes store pattern B. */
static unsigned char pat_a[DSZ], pat_b[DSZ];

static void patterns_init(void)
{
	size_t i;

	for (i = 0; i < DSZ; i++) {
		pat_a[i] = (unsigned char)(i * 7 + 1);
		pat_b[i] = (unsigned char)((i * 13 + 5) ^ 0x5a);
	}
}

/* ------------------------------------------------------------------ */
/* The entry array, simulated (registry.c's grow and shrink rules)     */
/* ------------------------------------------------------------------ */

#define MIN_SLOTS	16U

struct sim {
	unsigned int nr_slots, nr_entries, capacity;
};

static unsigned int umax(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

/* Returns whether the add allocates a new array. */
static bool sim_add(struct sim *s)
{
	bool alloc = false;

	if (s->nr_slots >= s->capacity) {
		s->capacity = umax(MIN_SLOTS, 2 * (s->nr_entries + 1));
		s->nr_slots = s->nr_entries;
		alloc = true;
	}
	s->nr_slots++;
	s->nr_entries++;
	return alloc;
}

/* Returns whether the removal allocates a smaller array. */
static bool sim_remove(struct sim *s)
{
	unsigned int holes;

	s->nr_entries--;
	if (!s->nr_entries) {
		s->nr_slots = s->capacity = 0;
		return false;
	}
	holes = s->nr_slots - s->nr_entries;
	if (holes <= s->nr_slots / 2)
		return false;
	s->nr_slots = s->nr_entries;
	if (s->capacity > MIN_SLOTS && s->nr_entries < s->capacity / 4) {
		s->capacity = umax(MIN_SLOTS, 2 * s->nr_entries);
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Snapshots of everything a call could change                         */
/* ------------------------------------------------------------------ */

enum {
	C_ENTRIES, C_BYTES, C_PEAK, C_ADDS, C_REMOVES, C_EINVAL,
	C_ENAMETOOLONG, C_EEXIST, C_EFBIG, C_ENOSPC, C_ENOMEM, NCNT
};

static const char *const cnt_file[NCNT] = {
	"entries", "bytes", "peak_bytes", "adds", "removes",
	"failed_adds/EINVAL", "failed_adds/ENAMETOOLONG", "failed_adds/EEXIST",
	"failed_adds/EFBIG", "failed_adds/ENOSPC", "failed_adds/ENOMEM",
};

struct rec {
	char name[NAME_LEN];
	__u64 size, ctime;
	__u32 uid, gid, mode, attached;
	bool fresh;		/* expected: made by the call, ctime unknown */
};

struct snap {
	int n;
	struct rec r[MAXREC];
	__u64 cnt[NCNT];
	bool have_data;		/* UNAME is registered: its data */
	unsigned char data[DSZ];
	__u64 memcg;
	__u64 used;		/* bytes charged to ACT_UID (expected) */
};

static int read_counters(__u64 *cnt, char *why, size_t wl)
{
	char path[128];
	int i, r;

	for (i = 0; i < NCNT; i++) {
		snprintf(path, sizeof(path), SYSD "%s", cnt_file[i]);
		r = rfile_u64(path, &cnt[i]);
		if (r) {
			snprintf(why, wl, "read %s: %s", path, errname(r));
			return -1;
		}
	}
	return 0;
}

static int take_snap(int fd, struct snap *s, char *why, size_t wl)
{
	static struct wms_list_entry le[MAXREC];
	struct wms_list l;
	struct wms_info info;
	int i, r;

	memset(s, 0, offsetof(struct snap, data));
	memset(&l, 0, sizeof(l));
	for (;;) {
		l.entries = UPTR(le);
		l.count = MAXREC;
		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r) {
			snprintf(why, wl, "LIST: %s", errname(r));
			return -1;
		}
		if (!l.count)
			break;
		for (i = 0; i < (int)l.count; i++) {
			struct rec *rc;

			if (s->n == MAXREC) {
				snprintf(why, wl, "more than %d entries", MAXREC);
				return -1;
			}
			rc = &s->r[s->n++];
			memcpy(rc->name, le[i].name, NAME_LEN);
			rc->size = le[i].size;
			rc->uid = le[i].uid;
			rc->gid = le[i].gid;
			rc->mode = le[i].mode;
		}
	}
	for (i = 0; i < s->n; i++) {
		struct rec *rc = &s->r[i];

		r = w_info(fd, rc->name, &info);
		if (r) {
			snprintf(why, wl, "INFO %s: %s", rc->name, errname(r));
			return -1;
		}
		if (info.size != rc->size || info.uid != rc->uid ||
		    info.gid != rc->gid || info.mode != rc->mode) {
			snprintf(why, wl, "INFO %s disagrees with LIST", rc->name);
			return -1;
		}
		rc->attached = info.attached;
		rc->ctime = info.ctime_ns;
		if (!strcmp(rc->name, UNAME) && rc->size == DSZ) {
			__u64 done = 0;

			r = w_read(fd, UNAME, 0, s->data, DSZ, &done);
			if (r || done != DSZ) {
				snprintf(why, wl, "READ %s: %s, %llu bytes", UNAME,
					 errname(r), (ull)done);
				return -1;
			}
			s->have_data = true;
		}
	}
	return read_counters(s->cnt, why, wl);
}

static struct rec *find_rec(struct snap *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].name, name))
			return &s->r[i];
	return NULL;
}

static void drop_rec(struct snap *s, const char *name)
{
	struct rec *rc = find_rec(s, name);

	if (!rc)
		return;
	memmove(rc, rc + 1, (s->n - (rc - s->r) - 1) * sizeof(*rc));
	s->n--;
}

/* Differences between what is expected and what is there, in words. */
static int snap_diff(const struct snap *e, const struct snap *g, char *why,
		     size_t wl)
{
	int i, k;

	if (e->n != g->n) {
		snprintf(why, wl, "%d entries listed, expected %d", g->n, e->n);
		return -1;
	}
	for (i = 0; i < e->n; i++) {
		const struct rec *a = &e->r[i], *b = &g->r[i];

		if (strcmp(a->name, b->name) || a->size != b->size ||
		    a->uid != b->uid || a->gid != b->gid || a->mode != b->mode ||
		    a->attached != b->attached || (!a->fresh && a->ctime != b->ctime)) {
			snprintf(why, wl,
				 "entry %d: %s size %llu uid %u gid %u mode %o attached %u ctime %llu, expected %s size %llu uid %u gid %u mode %o attached %u ctime %llu%s",
				 i, b->name, (ull)b->size, b->uid, b->gid, b->mode,
				 b->attached, (ull)b->ctime, a->name, (ull)a->size,
				 a->uid, a->gid, a->mode, a->attached, (ull)a->ctime,
				 a->fresh ? " (any)" : "");
			return -1;
		}
	}
	for (k = 0; k < NCNT; k++) {
		if (e->cnt[k] != g->cnt[k]) {
			snprintf(why, wl, "counter %s is %llu, expected %llu",
				 cnt_file[k], (ull)g->cnt[k], (ull)e->cnt[k]);
			return -1;
		}
	}
	if (e->have_data != g->have_data) {
		snprintf(why, wl, "%s data %s, expected %s", UNAME,
			 g->have_data ? "present" : "absent",
			 e->have_data ? "present" : "absent");
		return -1;
	}
	if (e->have_data && memcmp(e->data, g->data, DSZ)) {
		for (i = 0; i < (int)DSZ && e->data[i] == g->data[i]; i++)
			;
		snprintf(why, wl, "%s data differs from byte %d (0x%02x, expected 0x%02x)",
			 UNAME, i, g->data[i], e->data[i]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Memory cgroup                                                       */
/* ------------------------------------------------------------------ */

static int cg_write(const char *dir, const char *file, const char *s)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return wfile(path, s);
}

/*
 * memory.current without the per-cpu charge stocks: a memory.high just
 * below the usage drains them, and "max" puts it back at once.
 */
static int cg_current(const char *dir, __u64 *v)
{
	char path[256], buf[32];
	__u64 cur;
	int r;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	r = rfile_u64(path, &cur);
	if (r)
		return r;
	snprintf(buf, sizeof(buf), "%llu", cur > 4096 ? (ull)(cur - 4096) : 0ULL);
	r = cg_write(dir, "memory.high", buf);
	if (!r)
		r = cg_write(dir, "memory.high", "max");
	if (r)
		return r;
	usleep(2000);
	return rfile_u64(path, v);
}

/* ------------------------------------------------------------------ */
/* Shared state                                                        */
/* ------------------------------------------------------------------ */

/* Parent <-> caller process of one iteration. */
struct act {
	int sc;
	unsigned int nth;
	char cg[128];
	/* out */
	int prep_err;
	char prep_why[256];
	long ret;
	int err;
	long readback;
	char post_why[256];
	__u32 list_count;
	__u64 list_total;
	struct wms_list_entry list[MAXREC];
	/* quota probe */
	__u64 room;
	char probe_why[256];
};

/* Each pass's findings, for the summary test (each test is a child). */
struct agg {
	bool ran[3][NR_SCEN];		/* the pass's test of the call started */
	bool passed[3][NR_SCEN];	/* ... and passed */
	int points[3][NR_SCEN];		/* its failure points (if it passed) */
	unsigned long long sites[NR_SCEN];	/* bit per enum site reached */
};

static struct agg *agg;

static void __attribute__((constructor)) agg_init(void)
{
	void *p = mmap(NULL, sizeof(struct agg), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	agg = p == MAP_FAILED ? NULL : p;
	if (agg)
		memset(agg, 0, sizeof(*agg));
	patterns_init();
}

/* ------------------------------------------------------------------ */
/* The caller: a child in the memory cgroup, as ACT_UID                */
/* ------------------------------------------------------------------ */

static void touch_stack(void)
{
	volatile char pad[128 * 1024];
	size_t i;

	for (i = 0; i < sizeof(pad); i += 1024)
		pad[i] = 0;
}

static void say_parent(int wfd, char c)
{
	if (write(wfd, &c, 1) != 1)
		_exit(3);
}

static char wait_parent(int rfd)
{
	char c;

	if (read(rfd, &c, 1) != 1)
		_exit(0);	/* the parent is gone */
	return c;
}

static void quota_probe(struct act *a, int ctl)
{
	struct wms_add out;
	int r;

	a->probe_why[0] = 0;
	if (a->room) {
		r = w_add(ctl, PROBE, a->room, WMS_ADD_EXCL, 0600, &out);
		if (r || !(out.flags & WMS_ADD_CREATED)) {
			snprintf(a->probe_why, sizeof(a->probe_why),
				 "ADD of the %llu bytes left of the quota: %s",
				 (ull)a->room, errname(r));
			return;
		}
		r = w_remove(ctl, PROBE);
		if (r) {
			snprintf(a->probe_why, sizeof(a->probe_why),
				 "REMOVE of the probe: %s", errname(r));
			return;
		}
	}
	r = w_add(ctl, PROBE, a->room + 1, WMS_ADD_EXCL, 0600, NULL);
	if (r != -ENOSPC) {
		snprintf(a->probe_why, sizeof(a->probe_why),
			 "ADD of %llu bytes, one past the quota's room: %s, expected ENOSPC",
			 (ull)a->room + 1, errname(r));
		if (!r)
			w_remove(ctl, PROBE);
	}
}

static void caller(struct act *a, int rfd, int wfd)
{
	/* Page-aligned: 16 pages, so a READ into it needs no page array. */
	static unsigned char buf[DSZ] __attribute__((aligned(4096)));
	static struct wms_list_entry le[MAXREC];
	struct wms_add add;
	struct wms_name nm;
	struct wms_info info;
	struct wms_io io;
	struct wms_list l;
	unsigned char vec[DSZ / 4096];
	char nb[24], rb[24];
	static unsigned char wsrc[DSZ + 2 * 4096] __attribute__((aligned(4096)));
	int fnfd, ctl, tfd = -1, len, r, sc = a->sc;
	unsigned int prep = scens[sc].prep;
	unsigned char *src;
	void *map = MAP_FAILED;
	long ret = 0;
	int err = 0;
	ssize_t n;

#define PREP_FAIL(...) do {						\
		snprintf(a->prep_why, sizeof(a->prep_why), __VA_ARGS__);	\
		a->prep_err = 1;					\
		say_parent(wfd, 'R');					\
		_exit(2);						\
	} while (0)

	if (a->cg[0] && cg_write(a->cg, "cgroup.procs", "0"))
		PREP_FAIL("join %s: %s", a->cg, strerror(errno));
	/* Opened before dropping root: a write needs no permission after. */
	fnfd = open(FAILNTH, O_RDWR | O_CLOEXEC);
	if (fnfd < 0)
		PREP_FAIL("open %s: %s", FAILNTH, strerror(errno));
	if (setgroups(0, NULL) || setresgid(ACT_GID, ACT_GID, ACT_GID) ||
	    setresuid(ACT_UID, ACT_UID, ACT_UID))
		PREP_FAIL("drop to uid %d: %s", ACT_UID, strerror(errno));
	ctl = open(DEV, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		PREP_FAIL("open " DEV ": %s", strerror(errno));

	/* What the call needs, made before it is armed. */
	if (prep & P_TFD) {
		tfd = open(DEV, O_RDWR | O_CLOEXEC);
		if (tfd < 0)
			PREP_FAIL("open " DEV ": %s", strerror(errno));
	}
	memset(&nm, 0, sizeof(nm));
	set_field(nm.name, UNAME);
	if ((prep & P_ATTACH) && xioctl(tfd, WMS_IOC_ATTACH, &nm))
		PREP_FAIL("ATTACH %s: %s", UNAME, strerror(errno));
	if (prep & P_MAP) {
		map = mmap(NULL, DSZ, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
		if (map == MAP_FAILED)
			PREP_FAIL("mmap: %s", strerror(errno));
		if (memcmp(map, pat_a, DSZ))
			PREP_FAIL("the mapping does not show the data");
	}
	if (prep & P_CLOSE) {
		close(tfd);
		tfd = -1;
	}
	if (prep & P_REMOVE) {
		r = w_remove(ctl, UNAME);
		if (r)
			PREP_FAIL("REMOVE %s: %s", UNAME, errname(r));
	}
	/*
	 * Write sources: pages of this process's own (written here, so not
	 * shared with the parent: pinning a page shared since fork() would
	 * copy it, and charge the copy to our memory cgroup).
	 */
	src = sc == SC_WRITE_17 ? wsrc + 100 : wsrc;
	memcpy(src, pat_b, DSZ);
	if (sc == SC_WRITE_SELF || sc == SC_FPWRITE_SELF)
		src = map;
	memset(&add, 0, sizeof(add));
	set_field(add.name, is_add_new(sc) ? NEWNAME : UNAME);
	add.size = is_add_new(sc) ? new_size(sc) : DSZ;
	add.mode = 0640;
	memset(&nm, 0, sizeof(nm));
	set_field(nm.name, UNAME);
	memset(&info, 0, sizeof(info));
	set_field(info.name, UNAME);
	memset(&io, 0, sizeof(io));
	set_field(io.name, UNAME);
	io.len = DSZ;
	io.buf = UPTR(buf);
	if (sc == SC_WRITE || sc == SC_WRITE_17 || sc == SC_WRITE_SELF)
		io.buf = UPTR(src);
	if (sc == SC_WRITE_SELF) {
		io.offset = POFF;
		io.len = PIO;
	}
	memset(&l, 0, sizeof(l));
	l.entries = UPTR(le);
	l.count = MAXREC;
	memset(buf, 0, sizeof(buf));
	memset(le, 0, sizeof(le));
	memset(vec, 0, sizeof(vec));
	len = snprintf(nb, sizeof(nb), "%u", a->nth);
	memset(rb, 0, sizeof(rb));
	touch_stack();
	say_parent(wfd, 'R');
	if (wait_parent(rfd) != 'G')
		_exit(0);

	/* Armed: nothing but the call until fail-nth is read back. */
	if (pwrite(fnfd, nb, len, 0) != len) {
		snprintf(a->post_why, sizeof(a->post_why), "write %s: %s",
			 FAILNTH, strerror(errno));
		a->readback = -1;
		say_parent(wfd, 'D');
		_exit(2);
	}
	errno = 0;
	switch (sc) {
	case SC_ADD_NEW_EMPTY: case SC_ADD_NEW_GROW16: case SC_ADD_NEW_GROW34:
	case SC_ADD_NEW_KNOWN: case SC_ADD_NEW_PAGE: case SC_ADD_NEW_SIZE0:
	case SC_ADD_EXISTING:
		ret = ioctl(ctl, WMS_IOC_ADD, &add);
		break;
	case SC_REMOVE: case SC_REMOVE_SHRINK:
		ret = ioctl(ctl, WMS_IOC_REMOVE, &nm);
		break;
	case SC_INFO:
		ret = ioctl(ctl, WMS_IOC_INFO, &info);
		break;
	case SC_READ:
		ret = ioctl(ctl, WMS_IOC_READ, &io);
		break;
	case SC_WRITE: case SC_WRITE_17: case SC_WRITE_SELF:
		ret = ioctl(ctl, WMS_IOC_WRITE, &io);
		break;
	case SC_LIST:
		ret = ioctl(ctl, WMS_IOC_LIST, &l);
		break;
	case SC_OPEN:
		ret = open(DEV, O_RDWR | O_CLOEXEC);
		break;
	case SC_ATTACH:
		ret = ioctl(tfd, WMS_IOC_ATTACH, &nm);
		break;
	case SC_FREAD:
		ret = read(tfd, buf, DSZ);
		break;
	case SC_FWRITE:
		ret = write(tfd, src, DSZ);
		break;
	case SC_FPREAD:
		ret = pread(tfd, buf, PIO, POFF);
		break;
	case SC_FPWRITE: case SC_FPWRITE_SELF:
		ret = pwrite(tfd, src, PIO, POFF);
		break;
	case SC_LSEEK:
		ret = lseek(tfd, POFF, SEEK_SET);
		break;
	case SC_MMAP:
		map = mmap(NULL, DSZ, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
		ret = map == MAP_FAILED ? -1 : 0;
		break;
	case SC_MUNMAP:
		ret = munmap(map, DSZ);
		break;
	case SC_CLOSE: case SC_CLOSE_LAST:
		ret = close(tfd);
		break;
	}
	err = ret < 0 ? errno : 0;
	n = pread(fnfd, rb, sizeof(rb) - 1, 0);
	if (pwrite(fnfd, "0", 1, 0) != 1 || n <= 0)
		a->readback = -1;
	else
		a->readback = strtol(rb, NULL, 10);
	/* Disarmed. */

	a->ret = ret;
	a->err = err;
	a->post_why[0] = 0;
#define POST(...) snprintf(a->post_why, sizeof(a->post_why), __VA_ARGS__)
	if (!err) {
		switch (sc) {
		case SC_ADD_NEW_EMPTY: case SC_ADD_NEW_GROW16: case SC_ADD_NEW_GROW34:
		case SC_ADD_NEW_KNOWN: case SC_ADD_NEW_PAGE: case SC_ADD_NEW_SIZE0:
			if (add.flags != WMS_ADD_CREATED || add.size != new_size(sc))
				POST("ADD returned flags %#x size %llu, expected CREATED, %llu",
				     add.flags, (ull)add.size, (ull)new_size(sc));
			break;
		case SC_ADD_EXISTING:
			if (add.flags || add.size != DSZ)
				POST("ADD of an existing name returned flags %#x size %llu",
				     add.flags, (ull)add.size);
			break;
		case SC_INFO:
			if (info.size != DSZ || info.uid != ACT_UID ||
			    info.gid != ACT_GID || info.mode != 0600 || info.attached)
				POST("INFO: size %llu uid %u gid %u mode %o attached %u",
				     (ull)info.size, info.uid, info.gid, info.mode,
				     info.attached);
			break;
		case SC_READ:
			if (io.len != DSZ || memcmp(buf, pat_a, DSZ))
				POST("READ: %llu bytes%s", (ull)io.len,
				     memcmp(buf, pat_a, DSZ) ? ", not the data" : "");
			break;
		case SC_WRITE: case SC_WRITE_17:
			if (io.len != DSZ)
				POST("WRITE reported %llu bytes", (ull)io.len);
			break;
		case SC_WRITE_SELF:
			if (io.len != PIO)
				POST("WRITE reported %llu bytes", (ull)io.len);
			break;
		case SC_LIST:
			a->list_count = l.count;
			a->list_total = l.total;
			memcpy(a->list, le, sizeof(le));
			break;
		case SC_OPEN:
			if (w_info(ret, UNAME, &info))
				POST("INFO on the opened file: %s", strerror(errno));
			break;
		case SC_ATTACH:
			if (pread(tfd, buf, 1, 0) != 1 || buf[0] != pat_a[0])
				POST("pread on the attached file: %s", strerror(errno));
			break;
		case SC_FREAD:
			if (ret != (long)DSZ || memcmp(buf, pat_a, DSZ))
				POST("read returned %ld%s", ret,
				     memcmp(buf, pat_a, DSZ) ? ", not the data" : "");
			break;
		case SC_FWRITE:
			if (ret != (long)DSZ || lseek(tfd, 0, SEEK_CUR) != (off_t)DSZ)
				POST("write returned %ld, position %lld", ret,
				     (long long)lseek(tfd, 0, SEEK_CUR));
			break;
		case SC_FPREAD:
			if (ret != PIO || memcmp(buf, pat_a + POFF, PIO))
				POST("pread returned %ld%s", ret,
				     memcmp(buf, pat_a + POFF, PIO) ? ", not the data" : "");
			break;
		case SC_FPWRITE: case SC_FPWRITE_SELF:
			if (ret != PIO)
				POST("pwrite returned %ld", ret);
			break;
		case SC_LSEEK:
			if (ret != POFF || lseek(tfd, 0, SEEK_CUR) != POFF)
				POST("lseek returned %ld", ret);
			break;
		case SC_MMAP:
			if (memcmp(map, pat_a, DSZ))
				POST("the mapping does not show the data");
			break;
		case SC_MUNMAP:
			if (mincore(map, DSZ, vec) == 0 || errno != ENOMEM)
				POST("the range is still mapped after munmap");
			break;
		}
	} else {
		/* A failed call leaves the file as it was too. */
		switch (sc) {
		case SC_ATTACH:
			if (pread(tfd, buf, 1, 0) != -1 || errno != EBADFD)
				POST("after a failed ATTACH, pread: %s, expected EBADFD",
				     strerror(errno));
			break;
		case SC_FWRITE: case SC_FREAD: case SC_LSEEK:
			if (lseek(tfd, 0, SEEK_CUR) != 0)
				POST("the position moved to %lld",
				     (long long)lseek(tfd, 0, SEEK_CUR));
			break;
		case SC_MUNMAP:
			if (memcmp(map, pat_a, DSZ))
				POST("after a failed munmap the mapping lost the data");
			break;
		}
	}
#undef POST
	say_parent(wfd, 'D');
	for (;;) {
		char c = wait_parent(rfd);

		if (c == 'P') {
			quota_probe(a, ctl);
			say_parent(wfd, 'D');
		} else {
			_exit(0);
		}
	}
#undef PREP_FAIL
}

/* ------------------------------------------------------------------ */
/* The fixture                                                         */
/* ------------------------------------------------------------------ */

static bool trace;	/* -x: one line per iteration */
static bool loud;	/* -S: the kernel logs each injected failure */

/* A debugfs attribute changed for the test, and its old value. */
struct knob {
	char path[128];
	char old[32];
	bool set;
};

#define NKNOBS 16

struct fx_state {
	int fd;
	bool have_failnth;
	char skip_why[160];
	__u64 old_quota;
	bool quota_set;
	bool mounted, enabled, made;
	char cg[128];
	struct knob knobs[NKNOBS];
	bool attribution;	/* fail_wms/times readable */
	struct act *a;
	int pass;
	char why[1024];
	bool memcg;		/* the caller runs in st->cg (not in pass 2) */
	char tdir[192];		/* our tracefs instance, or "" */
	bool tmounted;
};

static int knob_set(struct fx_state *st, const char *path, const char *val)
{
	struct knob *k = NULL;
	int i, r;

	for (i = 0; i < NKNOBS; i++) {
		if (!st->knobs[i].set) {
			k = &st->knobs[i];
			break;
		}
	}
	if (!k)
		return -ENOSPC;
	r = rfile(path, k->old, sizeof(k->old));
	if (r)
		return r;
	k->old[strcspn(k->old, "\n")] = 0;
	r = wfile(path, val);
	if (r)
		return r;
	snprintf(k->path, sizeof(k->path), "%s", path);
	k->set = true;
	return 0;
}

static void knobs_restore(struct fx_state *st)
{
	int i;

	for (i = NKNOBS - 1; i >= 0; i--) {
		if (st->knobs[i].set)
			wfile(st->knobs[i].path, st->knobs[i].old);
		st->knobs[i].set = false;
	}
}

/* Remove every fnth.* entry; returns how many, or -errno. */
static int cleanup_all(int fd)
{
	static struct wms_list_entry le[MAXREC];
	static char names[4 * MAXREC][NAME_LEN];
	struct wms_list l;
	int i, n = 0, r;

	memset(&l, 0, sizeof(l));
	for (;;) {
		l.entries = UPTR(le);
		l.count = MAXREC;
		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r)
			return r;
		if (!l.count)
			break;
		for (i = 0; i < (int)l.count && n < 4 * MAXREC; i++)
			if (!strncmp(le[i].name, PFX, strlen(PFX)))
				memcpy(names[n++], le[i].name, NAME_LEN);
	}
	for (i = 0; i < n; i++)
		w_remove(fd, names[i]);
	return n;
}

/* What one run did: the call's result, and the failure injected in it. */
struct outcome {
	bool ok, consumed;
	int err;
	int by_wms, by_slab, by_page;	/* which attribute injected it */
	int traced;			/* failed slab allocations traced */
	char site[96];			/* the first one's "call_site(bytes)" */
	bool in_wms;			/* ... and that is in wms.ko */
	int wms_allocs;			/* pass 3: wms's slab allocations that succeeded */
	int data_pages;			/* pass 3: data pages allocated (see trace_read()) */
	long long memcg_delta;
	int passed;			/* nothing injected: the points it passed */
};

/* ------------------------------------------------------------------ */
/* What the caller allocated (kmem trace events)                       */
/* ------------------------------------------------------------------ */

#define TRACEFS		"/sys/kernel/tracing"

/*
 * A tracefs instance of our own, recording only the caller process's
 * events (set_event_pid, per run: trace_pid()), with kmem:kmalloc and
 * kmem:kmem_cache_alloc enabled: each slab allocation that fails leaves an
 * event naming its call site (the function that called kmalloc() or
 * kmem_cache_alloc()) and the bytes asked for. Passes 1 and 2 record only
 * the failed ones (ptr == 0). Pass 3 records them all, and kmem:mm_page_alloc
 * too: page allocations that fault injection fails are not traced (the
 * event comes after the fault injection's early return), so what the call
 * did allocate tells how far it got (data_place()).
 */
static int trace_setup(struct fx_state *st, char *why, size_t wl)
{
	static const char *const ev[] = { "kmalloc", "kmem_cache_alloc", "mm_page_alloc" };
	const char *root = TRACEFS;
	char path[256];
	unsigned int i, n = st->pass == 3 ? 3 : 2;
	int r;

	if (access(TRACEFS "/instances", F_OK)) {
		if (!mount("nodev", TRACEFS, "tracefs", 0, NULL))
			st->tmounted = true;
		else
			root = DBG "tracing";
	}
	snprintf(st->tdir, sizeof(st->tdir), "%s/instances/wms_failnth.%d", root,
		 getpid());
	if (mkdir(st->tdir, 0700)) {
		snprintf(why, wl, "mkdir %s: %s (tracefs with CONFIG_EVENT_TRACING is needed to tell the call sites)",
			 st->tdir, strerror(errno));
		st->tdir[0] = 0;
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = 0;
		if (st->pass != 3) {
			snprintf(path, sizeof(path), "%s/events/kmem/%s/filter",
				 st->tdir, ev[i]);
			r = wfile(path, "ptr == 0");
		}
		if (!r) {
			snprintf(path, sizeof(path), "%s/events/kmem/%s/enable",
				 st->tdir, ev[i]);
			r = wfile(path, "1");
		}
		if (r) {
			snprintf(why, wl, "%s: %s", path, errname(r));
			return -1;
		}
	}
	return 0;
}

static void trace_teardown(struct fx_state *st)
{
	int i;

	if (st->tdir[0]) {
		char path[256];

		snprintf(path, sizeof(path), "%s/tracing_on", st->tdir);
		wfile(path, "0");
		/* The instance is busy until its readers are gone. */
		for (i = 0; i < 50 && rmdir(st->tdir) && errno == EBUSY; i++)
			usleep(100000);
		st->tdir[0] = 0;
	}
	if (st->tmounted)
		umount2(TRACEFS, 0);
	st->tmounted = false;
}

/* Record the events of @pid only, from an empty buffer. */
static int trace_pid(struct fx_state *st, pid_t pid)
{
	char path[256], buf[24];
	int fd, r;

	if (!st->tdir[0])
		return 0;
	snprintf(path, sizeof(path), "%s/set_event_pid", st->tdir);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	r = wfile(path, buf);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/trace", st->tdir);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * The caller's allocations since trace_pid(), into @o: the failed slab
 * allocations (o->traced) and the first one's call site as
 * "function(bytes)" (o->site, o->in_wms); in pass 3 also the slab
 * allocations of wms.ko that succeeded (o->wms_allocs) and the pages with
 * __GFP_ACCOUNT and __GFP_ZERO (o->data_pages: in an ADD, only the new
 * entry's data is allocated so; user page tables would be too, but an ADD
 * maps nothing). Returns 0 or -errno.
 */
static int trace_read(struct fx_state *st, struct outcome *o)
{
	static char buf[256 * 1024];
	char path[256], *line, *save, *cs, *br, *ptr;
	size_t got = 0;
	ssize_t n;
	int fd;

	o->site[0] = 0;
	o->in_wms = false;
	if (!st->tdir[0])
		return 0;
	snprintf(path, sizeof(path), "%s/trace", st->tdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	if (n < 0)
		return -errno;
	if (got == sizeof(buf) - 1)
		return -EFBIG;
	buf[got] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool wms;

		if (line[0] == '#')
			continue;
		cs = strstr(line, "call_site=");
		if (!cs) {
			if (strstr(line, " mm_page_alloc: ") && strstr(line, "ACCOUNT") &&
			    strstr(line, "__GFP_ZERO"))
				o->data_pages++;
			continue;
		}
		/* "call_site=fn+0x1/0x2 [wms] ptr=0000000000000000 bytes_req=..." */
		cs += strlen("call_site=");
		ptr = strstr(cs, " ptr=");
		br = strstr(cs, "bytes_req=");
		wms = ptr && memmem(cs, ptr - cs, " [wms]", 6);
		if (ptr && ptr[5 + strspn(ptr + 5, "0")] != ' ') {
			o->wms_allocs += wms;
			continue;
		}
		if (o->traced++)
			continue;
		o->in_wms = wms;
		snprintf(o->site, sizeof(o->site), "%.*s(%ld)",
			 (int)strcspn(cs, "+ "), cs,
			 br ? strtol(br + strlen("bytes_req="), NULL, 10) : -1L);
	}
	return 0;
}

static int fx_setup(struct fx_state *st, int pass, char *why, size_t wl)
{
	char buf[512];
	struct statfs sf;
	__u64 entries;
	int r;

	st->fd = -1;
	st->pass = pass;
	/* A caller process that died must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (access(FAILNTH, F_OK)) {
		snprintf(st->skip_why, sizeof(st->skip_why),
			 "no %s: the kernel lacks CONFIG_FAULT_INJECTION (fail-nth), not applicable",
			 FAILNTH);
		return 0;
	}
	st->have_failnth = true;
	if (geteuid()) {
		snprintf(why, wl, "run as root");
		return -1;
	}
	st->fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (st->fd < 0) {
		snprintf(why, wl, "open " DEV ": %s", strerror(errno));
		return -1;
	}
	cleanup_all(st->fd);
	r = rfile_u64(SYSD "entries", &entries);
	if (r || entries) {
		snprintf(why, wl,
			 "the registry holds %llu entries of others (%s): the array scenarios need it empty",
			 (ull)entries, errname(r));
		return -1;
	}
	r = rfile_u64(PARAM_DIR "max_user_bytes", &st->old_quota);
	if (r) {
		snprintf(why, wl, "read max_user_bytes: %s", errname(r));
		return -1;
	}
	snprintf(buf, sizeof(buf), "%llu", (ull)QUOTA);
	r = wfile(PARAM_DIR "max_user_bytes", buf);
	if (r) {
		snprintf(why, wl, "set max_user_bytes: %s", errname(r));
		return -1;
	}
	st->quota_set = true;

	/* cgroup2 with the memory controller, and a group of our own. */
	if (statfs(CG_ROOT, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		if (mount("none", CG_ROOT, "cgroup2", 0, NULL)) {
			snprintf(why, wl, "mount cgroup2 on " CG_ROOT ": %s",
				 strerror(errno));
			return -1;
		}
		st->mounted = true;
	}
	r = rfile(CG_ROOT "/cgroup.controllers", buf, sizeof(buf));
	if (r || !strstr(buf, "memory")) {
		snprintf(why, wl, "no memory controller in cgroup v2 (%s)", errname(r));
		return -1;
	}
	r = rfile(CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf));
	if (r) {
		snprintf(why, wl, "read cgroup.subtree_control: %s", errname(r));
		return -1;
	}
	if (!strstr(buf, "memory")) {
		r = wfile(CG_ROOT "/cgroup.subtree_control", "+memory");
		if (r) {
			snprintf(why, wl, "enable the memory controller: %s", errname(r));
			return -1;
		}
		st->enabled = true;
	}
	snprintf(st->cg, sizeof(st->cg), CG_ROOT "/wms_failnth.%d", getpid());
	if (mkdir(st->cg, 0755)) {
		snprintf(why, wl, "mkdir %s: %s", st->cg, strerror(errno));
		return -1;
	}
	st->made = true;

	/*
	 * Quiet fault injection, and a large "times" on every attribute: each
	 * failure injected through fail-nth takes one off the attribute that
	 * failed, which tells wms's failure points from the kernel's.
	 */
	knob_set(st, DBG "fail_wms/verbose", loud ? "1" : "0");
	knob_set(st, DBG "failslab/verbose", loud ? "1" : "0");
	knob_set(st, DBG "fail_page_alloc/verbose", loud ? "1" : "0");
	if (loud) {
		knob_set(st, DBG "fail_wms/verbose_ratelimit_interval_ms", "0");
		knob_set(st, DBG "failslab/verbose_ratelimit_interval_ms", "0");
		knob_set(st, DBG "fail_page_alloc/verbose_ratelimit_interval_ms", "0");
	}
	st->attribution = !knob_set(st, DBG "fail_wms/times", "1000000");
	if (!st->attribution && pass != 1) {
		snprintf(why, wl, "no %s: needed to tell wms's failure points from the kernel's",
			 DBG "fail_wms/times");
		return -1;
	}
	knob_set(st, DBG "failslab/times", "1000000");
	knob_set(st, DBG "fail_page_alloc/times", "1000000");
	st->memcg = pass != 2;
	big = pass == 3 ? BIG3 : BIG;
	if (pass != 3) {
		/*
		 * No page allocation: at its defaults fail_page_alloc fails
		 * the non-sleeping ones of order >= 1, which are the slab's
		 * attempts at a higher-order slab (absorbed: it falls back to
		 * the minimum order) and come and go with the slabs' state.
		 * No order reaches 11 (MAX_ORDER).
		 */
		r = knob_set(st, DBG "fail_page_alloc/min-order", "11");
		if (r) {
			snprintf(why, wl, "fail_page_alloc/min-order=11: %s (debugfs, FAIL_PAGE_ALLOC)",
				 errname(r));
			return -1;
		}
	}
	if (pass == 2) {
		/*
		 * Every slab allocation. The caller stays in the root memory
		 * cgroup: in one of its own, an accounted allocation that is
		 * the first on a slab page allocates the page's obj_cgroup
		 * vector (memcg_alloc_slab_cgroups(), absorbed), which comes
		 * and goes with the slabs' state. Passes 1 and 3 check the
		 * memory cgroup.
		 */
		r = knob_set(st, DBG "failslab/ignore-gfp-wait", "N");
		if (r) {
			snprintf(why, wl, "failslab/ignore-gfp-wait=N: %s (debugfs, FAILSLAB)",
				 errname(r));
			return -1;
		}
	}
	if (pass == 3) {
		/*
		 * Every page allocation (order 0 too, and the data pages
		 * above a page, which ask for __GFP_HIGHMEM) and no slab one:
		 * with cache-filter=Y failslab fails only caches marked in
		 * /sys/kernel/slab/<cache>/failslab, and none is.
		 */
		r = knob_set(st, DBG "fail_page_alloc/ignore-gfp-wait", "N");
		if (!r)
			r = knob_set(st, DBG "fail_page_alloc/ignore-gfp-highmem", "N");
		if (!r)
			r = knob_set(st, DBG "fail_page_alloc/min-order", "0");
		if (!r)
			r = knob_set(st, DBG "failslab/cache-filter", "Y");
		if (r) {
			snprintf(why, wl, "fail_page_alloc/failslab knobs: %s (debugfs, FAIL_PAGE_ALLOC)",
				 errname(r));
			return -1;
		}
	}
	if (trace_setup(st, why, wl))
		return -1;
	st->a = mmap(NULL, sizeof(*st->a), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st->a == MAP_FAILED) {
		st->a = NULL;
		snprintf(why, wl, "mmap: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void fx_teardown(struct fx_state *st)
{
	char buf[32];
	int i;

	knobs_restore(st);
	trace_teardown(st);
	if (st->fd >= 0)
		cleanup_all(st->fd);
	if (st->quota_set) {
		snprintf(buf, sizeof(buf), "%llu", (ull)st->old_quota);
		wfile(PARAM_DIR "max_user_bytes", buf);
	}
	if (st->made)
		for (i = 0; i < 50 && rmdir(st->cg) && errno == EBUSY; i++)
			usleep(100000);
	if (st->enabled)
		wfile(CG_ROOT "/cgroup.subtree_control", "-memory");
	if (st->mounted)
		umount2(CG_ROOT, 0);
	if (st->a)
		munmap(st->a, sizeof(*st->a));
	if (st->fd >= 0)
		close(st->fd);
}

/* ------------------------------------------------------------------ */
/* One iteration                                                       */
/* ------------------------------------------------------------------ */

/* Create an entry owned by @uid (root's fsuid set to it: no quota). */
static int add_as(int fd, const char *name, __u64 size, __u32 mode, uid_t uid,
		  gid_t gid)
{
	int r;

	setfsgid(gid);
	setfsuid(uid);
	r = w_add(fd, name, size, WMS_ADD_EXCL, mode, NULL);
	setfsuid(0);
	setfsgid(0);
	return r;
}

/* The registry before the call; returns the bytes charged to ACT_UID. */
static int setup_scen(struct fx_state *st, int sc, __u64 *used, char *why,
		      size_t wl)
{
	const struct scen *s = &scens[sc];
	struct sim sim = { 0 }, probe;
	char name[64];
	__u64 done;
	int i, r, removed = 0;

	*used = 0;
	for (i = 0; i < s->fill; i++) {
		snprintf(name, sizeof(name), PFX "f%03d", i);
		r = add_as(st->fd, name, 0, 0644, 0, 0);
		if (r) {
			snprintf(why, wl, "setup: ADD %s: %s", name, errname(r));
			return -1;
		}
		sim_add(&sim);
	}
	if (s->udata) {
		r = add_as(st->fd, UNAME, DSZ, 0600, ACT_UID, ACT_GID);
		if (!r)
			r = w_write(st->fd, UNAME, 0, pat_a, DSZ, &done);
		if (r) {
			snprintf(why, wl, "setup: %s: %s", UNAME, errname(r));
			return -1;
		}
		sim_add(&sim);
		*used = DSZ;
	}
	if (sc == SC_REMOVE_SHRINK) {
		/* Remove fills until removing UNAME reallocates the array. */
		for (;;) {
			probe = sim;
			if (sim_remove(&probe))
				break;
			if (removed == s->fill) {
				snprintf(why, wl, "setup: no removal order shrinks the array");
				return -1;
			}
			snprintf(name, sizeof(name), PFX "f%03d", removed++);
			r = w_remove(st->fd, name);
			if (r) {
				snprintf(why, wl, "setup: REMOVE %s: %s", name, errname(r));
				return -1;
			}
			sim_remove(&sim);
		}
	}
	if (s->grow >= 0 && (sim.nr_slots >= sim.capacity) != s->grow) {
		snprintf(why, wl, "setup: the array has %u of %u slots used: the ADD would %sgrow it",
			 sim.nr_slots, sim.capacity, s->grow ? "not " : "");
		return -1;
	}
	return 0;
}

/* What the snapshot should be after the call, from the one before it. */
static void expect(int sc, bool ok, int err, const struct snap *pre,
		   struct snap *e)
{
	struct rec *rc;
	__u64 sz;

	memcpy(e, pre, sizeof(*e));
	if (!ok) {
		if (is_add(sc) && err == ENOMEM)
			e->cnt[C_ENOMEM]++;
		return;
	}
	switch (sc) {
	case SC_ADD_NEW_EMPTY: case SC_ADD_NEW_GROW16: case SC_ADD_NEW_GROW34:
	case SC_ADD_NEW_KNOWN: case SC_ADD_NEW_PAGE: case SC_ADD_NEW_SIZE0:
		sz = new_size(sc);
		rc = &e->r[e->n++];
		memset(rc, 0, sizeof(*rc));
		set_field(rc->name, NEWNAME);
		rc->size = sz;
		rc->uid = ACT_UID;
		rc->gid = ACT_GID;
		rc->mode = 0640;
		rc->fresh = true;
		e->cnt[C_ENTRIES]++;
		e->cnt[C_BYTES] += sz;
		e->cnt[C_ADDS]++;
		if (e->cnt[C_BYTES] > e->cnt[C_PEAK])
			e->cnt[C_PEAK] = e->cnt[C_BYTES];
		e->used += sz;
		break;
	case SC_REMOVE: case SC_REMOVE_SHRINK:
		drop_rec(e, UNAME);
		e->have_data = false;
		e->cnt[C_ENTRIES]--;
		e->cnt[C_REMOVES]++;
		e->cnt[C_BYTES] -= DSZ;
		e->used -= DSZ;
		break;
	case SC_WRITE: case SC_WRITE_17: case SC_FWRITE:
		memcpy(e->data, pat_b, DSZ);
		break;
	case SC_FPWRITE:
		memcpy(e->data + POFF, pat_b, PIO);
		break;
	case SC_WRITE_SELF: case SC_FPWRITE_SELF:
		/* the source, the mapping, showed the data as it was */
		memmove(e->data + POFF, pre->data, PIO);
		break;
	case SC_ATTACH:
		find_rec(e, UNAME)->attached++;
		break;
	case SC_CLOSE:
		find_rec(e, UNAME)->attached--;
		break;
	case SC_MUNMAP: case SC_CLOSE_LAST:
		e->cnt[C_BYTES] -= DSZ;
		e->used -= DSZ;
		break;
	}
}

static long knob_long(const char *path)
{
	long v = -1;

	return rfile_long(path, &v) ? -1 : v;
}

static int child_says(int rfd, char want, char *why, size_t wl)
{
	char c;
	ssize_t n = read(rfd, &c, 1);

	if (n != 1 || c != want) {
		snprintf(why, wl, "the caller process %s", n == 1 ? "answered wrong" : "died");
		return -1;
	}
	return 0;
}

/*
 * Build the scenario, run its call with fail-nth = @nth in a fresh caller
 * process, and check everything. Returns 0, or -1 with the reason in @why.
 */
static int run_one(struct fx_state *st, int sc, unsigned int nth,
		   struct outcome *o, char *why, size_t wl)
{
	static struct snap pre, post, exp;
	struct act *a = st->a;
	int to_child[2] = { -1, -1 }, to_parent[2] = { -1, -1 };
	long t_wms = -1, t_slab = -1, t_page = -1;
	__u64 used, left[2] = { 0, 0 };
	int rc = -1, status, r;
	pid_t pid = -1;
	char w2[600];

	memset(o, 0, sizeof(*o));
	r = cleanup_all(st->fd);
	if (r < 0) {
		snprintf(why, wl, "cleanup: LIST: %s", errname(r));
		return -1;
	}
	if (setup_scen(st, sc, &used, why, wl))
		goto out;

	memset(a, 0, sizeof(*a));
	a->sc = sc;
	a->nth = nth;
	if (st->memcg)
		snprintf(a->cg, sizeof(a->cg), "%s", st->cg);
	if (pipe2(to_child, O_CLOEXEC) || pipe2(to_parent, O_CLOEXEC)) {
		snprintf(why, wl, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, wl, "fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		close(to_child[1]);
		close(to_parent[0]);
		caller(a, to_child[0], to_parent[1]);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	to_child[0] = to_parent[1] = -1;
	if (child_says(to_parent[0], 'R', why, wl))
		goto out;
	if (a->prep_err) {
		snprintf(why, wl, "caller set-up: %s", a->prep_why);
		goto out;
	}
	if (take_snap(st->fd, &pre, w2, sizeof(w2))) {
		snprintf(why, wl, "snapshot before: %s", w2);
		goto out;
	}
	pre.used = used;
	r = st->memcg ? cg_current(st->cg, &pre.memcg) : 0;
	if (r) {
		snprintf(why, wl, "memory.current: %s", errname(r));
		goto out;
	}
	if (st->attribution) {
		t_wms = knob_long(DBG "fail_wms/times");
		t_slab = knob_long(DBG "failslab/times");
		t_page = knob_long(DBG "fail_page_alloc/times");
	}
	r = trace_pid(st, pid);
	if (r) {
		snprintf(why, wl, "trace the caller: %s", errname(r));
		goto out;
	}
	if (write(to_child[1], "G", 1) != 1 ||
	    child_says(to_parent[0], 'D', why, wl))
		goto out;
	if (a->readback < 0) {
		snprintf(why, wl, "fail-nth: %s", a->post_why[0] ? a->post_why : "not read back");
		goto out;
	}
	o->ok = a->ret >= 0;
	o->err = a->err;
	o->consumed = a->readback == 0;
	o->passed = o->consumed ? -1 : (int)(nth - a->readback);
	if (st->attribution) {
		o->by_wms = t_wms - knob_long(DBG "fail_wms/times");
		o->by_slab = t_slab - knob_long(DBG "failslab/times");
		o->by_page = t_page - knob_long(DBG "fail_page_alloc/times");
	}
	r = trace_read(st, o);
	if (r) {
		snprintf(why, wl, "read the trace: %s", errname(r));
		goto out;
	}
	if (take_snap(st->fd, &post, w2, sizeof(w2))) {
		snprintf(why, wl, "snapshot after: %s", w2);
		goto out;
	}
	r = st->memcg ? cg_current(st->cg, &post.memcg) : 0;
	if (r) {
		snprintf(why, wl, "memory.current: %s", errname(r));
		goto out;
	}
	o->memcg_delta = (long long)post.memcg - (long long)pre.memcg;

	/* The call's own result. */
	if (!o->ok && !o->consumed) {
		snprintf(why, wl, "failed with %s without a fault being injected",
			 errname(o->err));
		goto out;
	}
	if (!o->ok && o->err != ENOMEM) {
		snprintf(why, wl, "failed with %s, expected ENOMEM", errname(o->err));
		goto out;
	}
	if (a->post_why[0]) {
		snprintf(why, wl, "%s: %s", o->ok ? "succeeded" : "failed", a->post_why);
		goto out;
	}
	if (sc == SC_LIST && o->ok) {
		int i;

		if (a->list_count != (__u32)pre.n || a->list_total != (__u64)pre.n) {
			snprintf(why, wl, "LIST returned %u entries (total %llu), expected %d",
				 a->list_count, (ull)a->list_total, pre.n);
			goto out;
		}
		for (i = 0; i < pre.n; i++) {
			if (strcmp(a->list[i].name, pre.r[i].name) ||
			    a->list[i].size != pre.r[i].size ||
			    a->list[i].mode != pre.r[i].mode) {
				snprintf(why, wl, "LIST entry %d is %s, expected %s", i,
					 a->list[i].name, pre.r[i].name);
				goto out;
			}
		}
	}

	/* Everything it could have changed. */
	/*
	 * peak_bytes too: a failed ADD must not leave it raised (visible here
	 * only while peak_bytes is below bytes + the size; the peak test
	 * makes sure it is).
	 */
	expect(sc, o->ok, o->err, &pre, &exp);
	if (snap_diff(&exp, &post, w2, sizeof(w2))) {
		snprintf(why, wl, "%s, then %s", o->ok ? "succeeded" : "failed", w2);
		goto out;
	}
	if (!st->memcg) {
		/* pass 2: the caller is in the root group (see fx_setup()) */
	} else if (o->ok && is_add_new(sc) && new_size(sc)) {
		if (o->memcg_delta < (long long)(new_size(sc) - CG_NOISE) ||
		    o->memcg_delta > (long long)(new_size(sc) + CG_NOISE)) {
			snprintf(why, wl, "succeeded, memory.current moved by %lld, expected %llu +- %llu",
				 o->memcg_delta, (ull)new_size(sc), (ull)CG_NOISE);
			goto out;
		}
	} else if (o->memcg_delta > (long long)CG_NOISE ||
		   o->memcg_delta < -(long long)CG_NOISE) {
		snprintf(why, wl, "%s, memory.current moved by %lld (noise: %llu)",
			 o->ok ? "succeeded" : "failed", o->memcg_delta, (ull)CG_NOISE);
		goto out;
	}

	/* The quota: exactly the room left, not a byte more. */
	a->room = QUOTA - exp.used;
	if (write(to_child[1], "P", 1) != 1 ||
	    child_says(to_parent[0], 'D', why, wl))
		goto out;
	if (a->probe_why[0]) {
		snprintf(why, wl, "%s, then the quota (uid %d owns %llu of %llu): %s",
			 o->ok ? "succeeded" : "failed", ACT_UID, (ull)exp.used,
			 (ull)QUOTA, a->probe_why);
		goto out;
	}
	rc = 0;
out:
	if (pid > 0) {
		if (to_child[1] >= 0 && write(to_child[1], "Q", 1) != 1)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (to_child[0] >= 0)
		close(to_child[0]);
	if (to_child[1] >= 0)
		close(to_child[1]);
	if (to_parent[0] >= 0)
		close(to_parent[0]);
	if (to_parent[1] >= 0)
		close(to_parent[1]);
	r = cleanup_all(st->fd);
	/* With the caller gone and the entries removed, nothing is held. */
	if (!rc) {
		if (r < 0 || rfile_u64(SYSD "entries", &left[0]) ||
		    rfile_u64(SYSD "bytes", &left[1]) || left[0] || left[1]) {
			snprintf(why, wl, "%s; after removing every entry and the caller's exit %llu entries and %llu bytes are left (a reference leaked)",
				 o->ok ? "succeeded" : "failed", (ull)left[0],
				 (ull)left[1]);
			rc = -1;
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */


/* The function name of a traced call site: "fn.constprop.0(64)" -> "fn". */
static void site_fn(const char *site, char *fn, size_t len)
{
	size_t n = strcspn(site, ".(");

	snprintf(fn, len, "%.*s", (int)n, site);
}

/* Whether one injected failure is the expected point @e. */
static bool point_is(const struct outcome *o, const struct pt *e)
{
	const char *want = sites[e->site].fn;
	char fn[96];

	if (o->ok == e->fails)
		return false;
	if (e->site < NR_HOOKS)
		return o->by_wms == 1 && !o->by_slab && !o->by_page;
	if (o->by_slab != 1 || o->by_wms || o->by_page || !want)
		return false;
	if (!want[0])
		return !o->traced;
	if (o->traced != 1)
		return false;
	if (!strcmp(want, "[wms]"))
		return o->in_wms;
	site_fn(o->site, fn, sizeof(fn));
	return !o->in_wms && !strcmp(fn, want);
}

/* One injected failure, in words. */
static const char *point_str(const struct outcome *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s, call %s%s",
		 o->by_wms ? "fail_wms" : "",
		 o->by_slab ? "failslab " : "", o->by_slab ? (o->traced ? o->site : "(untraced)") : "",
		 o->in_wms ? " [wms]" : "", o->by_page ? "fail_page_alloc" : "",
		 o->ok ? "succeeded" : "failed with ", o->ok ? "" : errname(o->err));
	return buf;
}

static const char *expected_str(const struct pt *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s, call %s", sites[e->site].name,
		 e->fails ? "fails with ENOMEM" : "succeeds");
	return buf;
}

/*
 * Pass 3 and the page allocations. fail-nth = n fails the n-th failure
 * point the call meets, counted over every attribute, and in pass 3 those
 * are wms's hooks and every page allocation. Passes 1 and 2 find the same
 * point at the same n in every run; the page allocations do not: besides
 * the data's own pages, the kernel allocates pages on the way when its
 * state asks for them (a new slab for the entry or for kmemleak's metadata,
 * an obj_cgroup vector when the caller's memory cgroup first charges a
 * slab, a stack depot pool, page tables for a vmap area), and that state
 * is left behind by the previous runs, by RCU callbacks and by workers. So
 * the n-th point moves from run to run, and a sweep that reads "the n-th
 * point" as one fixed allocation (the order of the hooks, "the pages after
 * the data hook") fails now and then, and in the same way when swept again
 * (the state follows the pattern of the runs themselves).
 *
 * fail_page_alloc's stack filter (require-start/require-end) cannot narrow
 * this to wms's own call chain: it needs FAULT_INJECTION_STACKTRACE_FILTER,
 * which x86_64 (UML's too) cannot have, and 6.1's should_fail_ex() does not
 * consult it for fail-nth anyway.
 *
 * Pass 3 therefore reads each run on its own: the invariants (run_one()),
 * that the failure was one hook or one page allocation, that a hook's
 * failure behaves as a hook of the table does (the order of the hooks is
 * passes 1 and 2's to check), and where it was against the new entry's
 * data, from what the caller allocated before it (the trace), not from n.
 * After one sweep, the data pages it did not fail are aimed at
 * (aim_data_pages()) until each has failed once. Which of the kernel's own
 * page allocations a sweep meets varies as they do; each one met is
 * checked like any other point.
 *
 * The data pages: alloc_page() for data of up to a page; for more,
 * wms_data_vmap() calls alloc_page() for each, and any of them failing
 * fails the call. Bit k - 1 stands for the k-th page.
 */
static_assert(BIG3 / PAGE < 32, "a bit per data page of pass 3");

static unsigned int data_pages_want(int sc, int *npages)
{
	__u64 size = is_add_new(sc) ? new_size(sc) : 0;

	*npages = (int)((size + PAGE - 1) / PAGE);
	return (1U << *npages) - 1;
}

#define PL_BEFORE	(-1)	/* before the first data page that fails the call */
#define PL_AFTER	(-2)	/* after the last data page, or nothing injected */
#define PL_UNKNOWN	(-3)	/* absorbed: the call went on as if nothing failed */

/*
 * Where the failure of a run was, against the new entry's data pages: k
 * for the k-th, or PL_*. Data page k: a page allocation that was not a
 * slab's (no slab allocation failed) failed the call after wms had
 * allocated (the per-uid record, the entry: between them and the data only
 * slab allocations, whose failures are traced) and after k - 1 of the data
 * pages; nothing allocates between two data pages, and the kernel page
 * tables that map them come after the last one.
 */
static int data_place(const struct outcome *o, int npages)
{
	if (!o->consumed)
		return PL_AFTER;
	if (o->ok)
		return PL_UNKNOWN;
	if (o->by_page && !o->traced && o->wms_allocs && o->data_pages < npages)
		return o->data_pages + 1;
	if (!o->data_pages)
		return PL_BEFORE;
	return o->data_pages >= npages ? PL_AFTER : PL_UNKNOWN;
}

/*
 * Pass 3's check of one injected failure: exactly one, by fail_wms or
 * fail_page_alloc (failslab fails no cache then), and a hook's failure as
 * the table has some hook do. Returns 0, or -1 with the reason in @why.
 */
static int page_pass_point(const struct scen *s, const struct outcome *o,
			   char *why, size_t wl)
{
	int i;

	if (o->by_slab || o->by_wms + o->by_page != 1) {
		snprintf(why, wl, "%d failures injected by fail_wms, %d by failslab, %d by fail_page_alloc: expected one, not by failslab",
			 o->by_wms, o->by_slab, o->by_page);
		return -1;
	}
	if (!o->by_wms)
		return 0;
	for (i = 0; i < s->n1; i++)
		if (s->p1[i].fails != o->ok)
			return 0;
	snprintf(why, wl, "a hook of wms failed and the call %s: %s",
		 o->ok ? "succeeded" : "failed",
		 s->n1 ? "no hook of this call does that" : "this call has no hook");
	return -1;
}

/* The data pages failed so far in pass 3, and where. */
struct data_aim {
	int npages;
	unsigned int want, seen;	/* bit k - 1: data page k */
	unsigned int at[32];		/* the fail-nth value that failed page k */
	unsigned int before;		/* the last one that failed before them */
	int runs;			/* aimed runs */
};

static void data_note(struct data_aim *d, int place, unsigned int nth)
{
	if (place >= 1) {
		d->seen |= 1U << (place - 1);
		d->at[place - 1] = nth;
	} else if (place == PL_BEFORE) {
		d->before = nth;
	}
}

#define AIM_RUNS	(4 * TRIES)	/* aimed runs per data page, at most */

/*
 * Fail the data pages that the sweep did not (the kernel's points before
 * them moved under it). Data page k lies k - j points after data page j in
 * a run like the one that failed j, and one point after the last failure
 * before the data; each aimed run tells where it landed (data_place()),
 * and the next one moves by as much: from data page j by k - j, one on from
 * before the data or from an absorbed failure (those come before the data
 * pages, but for what vmap() allocates after them: kmemleak's metadata of
 * its structs), one back from after them. Every run is checked as the sweep's are. Returns the errors.
 */
static int aim_data_pages(struct __test_metadata *_metadata,
			  struct fx_state *st, int sc, struct data_aim *d)
{
	const struct scen *s = &scens[sc];
	int k, j, t, near, place, errors = 0;
	unsigned int nth;
	struct outcome o;
	char why[1200], b1[200];

	for (k = 1; k <= d->npages; k++) {
		if (!(d->want & (1U << (k - 1))) || (d->seen & (1U << (k - 1))))
			continue;
		/* From the nearest data page failed, else from before them. */
		near = 0;
		for (j = 1; j <= d->npages; j++)
			if ((d->seen & (1U << (j - 1))) &&
			    (!near || abs(k - j) < abs(k - near)))
				near = j;
		nth = d->before + 1;
		if (near)
			nth = d->at[near - 1] + k > (unsigned int)near ?
			      d->at[near - 1] + k - near : 1;
		for (t = 0; t < AIM_RUNS && !(d->seen & (1U << (k - 1))); t++) {
			d->runs++;
			if (run_one(st, sc, nth, &o, why, sizeof(why))) {
				TH_LOG("%s, fail-nth %u (aimed at data page %d): %s [%s]",
				       s->label, nth, k, why, point_str(&o, b1, sizeof(b1)));
				if (++errors == 3)
					return errors;
				continue;
			}
			if (o.consumed && page_pass_point(s, &o, why, sizeof(why))) {
				TH_LOG("%s, fail-nth %u (aimed at data page %d): %s",
				       s->label, nth, k, why);
				if (++errors == 3)
					return errors;
			}
			place = data_place(&o, d->npages);
			if (trace)
				diag("  %s, fail-nth %u, aimed at data page %d: %s%s; %d data pages made",
				     s->label, nth, k, o.consumed ? "" : "nothing injected, ",
				     point_str(&o, b1, sizeof(b1)), o.data_pages);
			data_note(d, place, nth);
			if (place >= 1)
				nth += k - place;
			else if (place == PL_AFTER)
				nth -= nth > 1;
			else
				nth++;
		}
	}
	return errors;
}

static const char *const pass_name[4] = {
	"", "wms's hooks", "every slab allocation", "every page allocation",
};

/*
 * Run the call with fail-nth = 1, 2, 3, ... until it succeeds without a
 * fault injected; every run must leave everything as a failed or a
 * successful call leaves it (run_one()). Then, by pass:
 *   1: the injected failures of fail_wms must be the hooks of s->p1, in
 *      order, each failing the call or absorbed as the table says (the
 *      kernel's non-sleeping allocations may come in between). A sweep
 *      that does not see them so is repeated (TRIES sweeps in all);
 *   2: the injected failures must be s->p2, exactly and in order. A run
 *      whose failure point is not the expected one is repeated (TRIES
 *      times in all): the kernel's allocations on the way depend a little
 *      on its state (a vmap_area preloaded or not, ...);
 *   3: one sweep; each failure on its own (page_pass_point()), and each
 *      data page whose failure fails the call failed in the sweep or in a
 *      run aimed at it (aim_data_pages()).
 */
static void run_scenario(struct __test_metadata *_metadata,
			 struct fx_state *st, int sc)
{
	const struct scen *s = &scens[sc];
	int max = st->pass == 1 ? MAX_N_WMS : MAX_N_ALL;
	int points, wpoints, kpoints, absorbed, wms, slab, page;
	int errors = 0, retried = 0, tries = 0, sweep;
	struct data_aim d = { 0 };
	unsigned long long reached;
	unsigned int nth;
	long long worst;
	bool finished;
	struct outcome o;
	char why[1200], b1[200], b2[200], bad[400];

	if (agg)
		agg->ran[st->pass - 1][sc] = true;
	if (st->pass == 3)
		d.want = data_pages_want(sc, &d.npages);
	for (sweep = 1; ; sweep++) {
		points = wpoints = kpoints = absorbed = wms = slab = page = 0;
		reached = 0;
		worst = 0;
		finished = false;
		bad[0] = 0;
		for (nth = 1; nth <= (unsigned int)max && errors < 3; nth++) {
			if (run_one(st, sc, nth, &o, why, sizeof(why))) {
				errors++;
				TH_LOG("%s, fail-nth %u: %s [%s]", s->label, nth, why,
				       point_str(&o, b1, sizeof(b1)));
				continue;
			}
			if (trace) {
				b2[0] = 0;
				if (!o.consumed)
					snprintf(b2, sizeof(b2), "; it passed %d failure points",
						 o.passed);
				else if (st->pass == 3)
					snprintf(b2, sizeof(b2), "; %d allocations of wms and %d data pages made",
						 o.wms_allocs, o.data_pages);
				diag("  %s, fail-nth %u: %s%s; memory.current %+lld%s",
				     s->label, nth, o.consumed ? "" : "nothing injected, ",
				     point_str(&o, b1, sizeof(b1)), o.memcg_delta, b2);
			}
			if (st->pass == 2) {
				bool at_end = o.ok && !o.consumed;
				bool match = at_end ? points == s->n2 :
					points < s->n2 && point_is(&o, &s->p2[points]);

				if (at_end)
					snprintf(b1, sizeof(b1), "nothing injected");
				else
					point_str(&o, b1, sizeof(b1));
				if (points < s->n2)
					expected_str(&s->p2[points], b2, sizeof(b2));
				else
					snprintf(b2, sizeof(b2), "nothing injected (the call done)");
				if (!match) {
					/* Once more at this fail-nth value. */
					if (++tries < TRIES) {
						retried++;
						diag("fail-nth: %s, fail-nth %u: %s, expected %s; again",
						     s->label, nth, b1, b2);
						nth--;
						continue;
					}
					TH_LOG("%s, fail-nth %u (%d runs): %s, expected %s",
					       s->label, nth, tries, b1, b2);
					errors = 3;
					break;
				}
				tries = 0;
				if (at_end) {
					finished = true;
					break;
				}
				reached |= 1ULL << s->p2[points].site;
			} else if (o.ok && !o.consumed) {
				finished = true;
				break;
			}
			points++;
			wms += o.by_wms;
			slab += o.by_slab;
			page += o.by_page;
			if (o.ok)
				absorbed++;
			else if (llabs(o.memcg_delta) > llabs(worst))
				worst = o.memcg_delta;
			if (st->pass == 2)
				continue;
			if (st->pass == 3) {
				if (page_pass_point(s, &o, b2, sizeof(b2))) {
					errors++;
					TH_LOG("%s, fail-nth %u: %s", s->label, nth, b2);
				}
				data_note(&d, data_place(&o, d.npages), nth);
				continue;
			}
			/* Without debugfs every injected failure is taken for wms's. */
			if (st->attribution && o.by_wms != 1) {
				kpoints++;
				continue;
			}
			wpoints++;
			if (bad[0])
				continue;
			if (wpoints > s->n1)
				snprintf(bad, sizeof(bad), "fail-nth %u: hook %d of wms, %d expected",
					 nth, wpoints, s->n1);
			else if (o.ok == s->p1[wpoints - 1].fails)
				snprintf(bad, sizeof(bad), "fail-nth %u: %s, expected %s",
					 nth, point_str(&o, b1, sizeof(b1)),
					 expected_str(&s->p1[wpoints - 1], b2, sizeof(b2)));
			else
				reached |= 1ULL << s->p1[wpoints - 1].site;
		}
		if (st->pass == 2 || errors || !finished)
			break;
		if (st->pass == 1 && !bad[0] && wpoints != s->n1)
			snprintf(bad, sizeof(bad), "%d hooks of wms, %d expected",
				 wpoints, s->n1);
		if (!bad[0] || st->pass == 3 || sweep == TRIES)
			break;
		retried++;
		diag("fail-nth: %s: %s: %s; sweep again", s->label,
		     pass_name[st->pass], bad);
	}
	if (st->pass == 3 && finished && !errors && (d.seen & d.want) != d.want) {
		errors = aim_data_pages(_metadata, st, sc, &d);
		if ((d.seen & d.want) != d.want)
			snprintf(bad, sizeof(bad), "data pages not failed (bit k - 1 for page k): %#x of %#x, after %d aimed runs",
				 d.want & ~d.seen, d.want, d.runs);
	}
	EXPECT_EQ(0, errors);
	EXPECT_TRUE(finished)
		TH_LOG("%s: not done after %u runs", s->label, nth - 1);
	EXPECT_STREQ("", bad)
		TH_LOG("%s: %s (sweep %d)", s->label, bad, sweep);

	if (st->pass == 1) {
		char list[400] = "";
		int i;

		for (i = 0; i < s->n1; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", i ? ", " : ": ", sites[s->p1[i].site].name + 6);
		diag("fail-nth: %s: %s: %d failure points (expected %d%s); and %d of the kernel's non-sleeping allocations; absorbed %d, memory.current after a failure at most %+lld bytes%s",
		     s->label, pass_name[1], wpoints, s->n1, list, kpoints,
		     absorbed, worst, retried ? " (swept again: above)" : "");
		EXPECT_EQ(s->n1, wpoints);
	} else if (st->pass == 2) {
		diag("fail-nth: %s: %s: %d failure points (expected %d: hooks %d, slab %d), absorbed %d%s",
		     s->label, pass_name[2], points, s->n2, wms, slab, absorbed,
		     retried ? " (some runs repeated: above)" : "");
		EXPECT_EQ(s->n2, points);
	} else {
		b1[0] = 0;
		if (d.want)
			snprintf(b1, sizeof(b1), "; data pages that fail the call: %d of %d failed (%s), %d runs aimed at them",
				 __builtin_popcount(d.seen & d.want), __builtin_popcount(d.want),
				 d.npages > 1 ? "wms_data_vmap's pages" : "alloc_page",
				 d.runs);
		diag("fail-nth: %s: %s: %d failure points in the sweep (hooks %d, pages %d), absorbed %d, memory.current after a failure at most %+lld bytes%s",
		     s->label, pass_name[3], points, wms, page, absorbed, worst, b1);
		if (d.want && (d.seen & d.want) == d.want)
			reached |= 1ULL << (d.npages == 1 ? P_DATA_PAGE : P_VMAP_PAGES);
	}
	if (agg && finished && !errors && !bad[0]) {
		agg->points[st->pass - 1][sc] = st->pass == 1 ? wpoints : points;
		agg->sites[sc] |= reached;
		agg->passed[st->pass - 1][sc] = _metadata->passed;
	}
}

/*
 * A failed ADD leaves peak_bytes as it was, also when it failed after its
 * bytes were charged (wms_charge() comes before the entry and the data are
 * allocated). The size makes a charge raise the peak whatever ran before
 * (the limits are raised for it if needed; nothing of that size is ever
 * allocated: the data hook is the last one failed).
 */
FIXTURE(peak) {
	struct fx_state st;
};

FIXTURE_SETUP(peak)
{
	char why[512];

	ASSERT_EQ(0, fx_setup(&self->st, 1, why, sizeof(why))) TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(peak)
{
	fx_teardown(&self->st);
}

TEST_F(peak, failed_add_keeps_peak_bytes)
{
	static const char *const hook[] = {
		"the per-uid record, before the charge",
		"the entry, after it", "the data, after it",
	};
	struct fx_state *st = &self->st;
	__u64 cnt[NCNT], now[NCNT], size = 0, lim;
	char why[256], buf[32], rb[24];
	unsigned int nth;
	int fnfd, r, hooks = 0, k;
	long t;

	if (!st->have_failnth)
		SKIP(return, "%s", st->skip_why);
	ASSERT_TRUE(st->attribution) TH_LOG("needs %s", DBG "fail_wms/times");
	ASSERT_EQ(0, read_counters(cnt, why, sizeof(why))) TH_LOG("%s", why);
	fnfd = open(FAILNTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fnfd);
	/* Root owns nothing: its record, its entry, its data. */
	for (nth = 1; nth <= 3 * TRIES && hooks < 3; nth++) {
		/* So that a charge would raise the peak now. */
		size = cnt[C_PEAK] - cnt[C_BYTES] + MiB;
		ASSERT_EQ(0, rfile_u64(PARAM_DIR "max_entry_size", &lim));
		if (size > lim) {
			snprintf(buf, sizeof(buf), "%llu", (ull)size);
			ASSERT_EQ(0, knob_set(st, PARAM_DIR "max_entry_size", buf));
		}
		ASSERT_EQ(0, rfile_u64(PARAM_DIR "max_total_bytes", &lim));
		if (cnt[C_BYTES] + size > lim) {
			snprintf(buf, sizeof(buf), "%llu", (ull)(cnt[C_BYTES] + size));
			ASSERT_EQ(0, knob_set(st, PARAM_DIR "max_total_bytes", buf));
		}
		t = knob_long(DBG "fail_wms/times");
		k = snprintf(buf, sizeof(buf), "%u", nth);
		ASSERT_EQ(k, pwrite(fnfd, buf, k, 0));
		r = w_add(st->fd, PFX "peak", size, WMS_ADD_EXCL, 0600, NULL);
		memset(rb, 0, sizeof(rb));
		ASSERT_LT(0, pread(fnfd, rb, sizeof(rb) - 1, 0));
		ASSERT_EQ(1, pwrite(fnfd, "0", 1, 0));
		if (!r) {
			w_remove(st->fd, PFX "peak");
			TH_LOG("fail-nth %u: the ADD of %llu bytes succeeded (fail-nth left %s) after %d hooks of wms",
			       nth, (ull)size, rb, hooks);
			break;
		}
		ASSERT_EQ(-ENOMEM, r);
		cnt[C_ENOMEM]++;
		ASSERT_EQ(0, read_counters(now, why, sizeof(why))) TH_LOG("%s", why);
		if (t - knob_long(DBG "fail_wms/times") != 1) {
			/* one of the kernel's */
			memcpy(cnt, now, sizeof(cnt));
			continue;
		}
		EXPECT_EQ(cnt[C_PEAK], now[C_PEAK])
			TH_LOG("an ADD of %llu bytes failed at %s: peak_bytes went from %llu to %llu (bytes %llu)",
			       (ull)size, hook[hooks], (ull)cnt[C_PEAK],
			       (ull)now[C_PEAK], (ull)now[C_BYTES]);
		cnt[C_PEAK] = now[C_PEAK];
		EXPECT_EQ(0, memcmp(cnt, now, sizeof(cnt)))
			TH_LOG("an ADD failed at %s changed the counters", hook[hooks]);
		memcpy(cnt, now, sizeof(cnt));
		hooks++;
	}
	close(fnfd);
	EXPECT_EQ(3, hooks);
	diag("fail-nth: peak_bytes after an ADD (last of %llu bytes, more than the peak left) failed at each of its %d hooks: %s",
	     (ull)size, hooks, _metadata->passed ? "unchanged" : "changed (above)");
}

/*
 * The fixture of one pass: a variant per call (SCEN() below), whose test
 * runs run_scenario() with the fault attributes of that pass.
 */
#define PASS_FIXTURE(fx, pass, test, timeout)					\
	FIXTURE(fx) {								\
		struct fx_state st;						\
	};									\
										\
	FIXTURE_VARIANT(fx) {							\
		int sc;								\
	};									\
										\
	FIXTURE_SETUP(fx)							\
	{									\
		char why[512];							\
										\
		(void)variant;							\
		ASSERT_EQ(0, fx_setup(&self->st, pass, why, sizeof(why)))	\
			TH_LOG("%s", why);					\
	}									\
										\
	FIXTURE_TEARDOWN(fx)							\
	{									\
		fx_teardown(&self->st);						\
	}									\
										\
	TEST_F_TIMEOUT(fx, test, timeout)					\
	{									\
		if (!self->st.have_failnth)					\
			SKIP(return, "%s", self->st.skip_why);			\
		run_scenario(_metadata, &self->st, variant->sc);		\
	}

PASS_FIXTURE(failnth, 1, wms_sites, 600)
PASS_FIXTURE(failnth_all, 2, all_allocations, 900)
PASS_FIXTURE(failnth_pages, 3, page_allocations, 900)

#define SCEN(id, sc_)							\
	FIXTURE_VARIANT_ADD(failnth, id) { .sc = sc_ };			\
	FIXTURE_VARIANT_ADD(failnth_all, id) { .sc = sc_ };		\
	FIXTURE_VARIANT_ADD(failnth_pages, id) { .sc = sc_ }

SCEN(add_new_empty, SC_ADD_NEW_EMPTY);
SCEN(add_new_grow16, SC_ADD_NEW_GROW16);
SCEN(add_new_grow34, SC_ADD_NEW_GROW34);
SCEN(add_new_known_uid, SC_ADD_NEW_KNOWN);
SCEN(add_new_page, SC_ADD_NEW_PAGE);
SCEN(add_new_size0, SC_ADD_NEW_SIZE0);
SCEN(add_existing, SC_ADD_EXISTING);
SCEN(remove, SC_REMOVE);
SCEN(remove_shrink, SC_REMOVE_SHRINK);
SCEN(info, SC_INFO);
SCEN(read, SC_READ);
SCEN(write, SC_WRITE);
SCEN(write_17_pages, SC_WRITE_17);
SCEN(write_from_own_mapping, SC_WRITE_SELF);
SCEN(list, SC_LIST);
SCEN(open, SC_OPEN);
SCEN(attach, SC_ATTACH);
SCEN(file_read, SC_FREAD);
SCEN(file_write, SC_FWRITE);
SCEN(file_pread, SC_FPREAD);
SCEN(file_pwrite, SC_FPWRITE);
SCEN(file_pwrite_from_own_mapping, SC_FPWRITE_SELF);
SCEN(file_lseek, SC_LSEEK);
SCEN(mmap, SC_MMAP);
SCEN(munmap, SC_MUNMAP);
SCEN(close, SC_CLOSE);
SCEN(close_last, SC_CLOSE_LAST);

/* The sites that pass @pass's test of @sc must reach, a bit per enum site. */
static unsigned long long expected_sites(int pass, int sc)
{
	const struct scen *s = &scens[sc];
	unsigned long long m = 0;
	int i;

	if (pass == 1) {
		for (i = 0; i < s->n1; i++)
			m |= 1ULL << s->p1[i].site;
	} else if (pass == 2) {
		for (i = 0; i < s->n2; i++)
			m |= 1ULL << s->p2[i].site;
	} else if (is_add_new(sc) && new_size(sc)) {
		m |= 1ULL << (new_size(sc) <= PAGE ? P_DATA_PAGE : P_VMAP_PAGES);
	}
	return m;
}

/*
 * Over the three passes: per call the failure points reached against the
 * table, then the total, and which sites were reached against those in the
 * code (enum site). What this test itself checks: that the tables expect
 * every site of the code to be reached by some call in some pass (a site
 * added without a call that reaches it fails here), and that each pass's
 * test that passed recorded the sites it expects. A site that a failed test
 * did not reach is listed, not failed again here: that test has failed.
 * Without every test of the three passes run (-f, -v), it is skipped.
 */
FIXTURE(summary) {
	int unused;
};

FIXTURE_SETUP(summary)
{
	(void)variant;
	self->unused = 0;
}

FIXTURE_TEARDOWN(summary)
{
}

TEST_F(summary, sites_reached)
{
	unsigned long long reached = 0, tabled = 0, owed = 0, m;
	int i, p, n = 0, notrun = 0, total[3] = { 0 }, want[2] = { 0 };

	if (access(FAILNTH, F_OK))
		SKIP(return, "no %s: the kernel lacks CONFIG_FAULT_INJECTION, not applicable",
		     FAILNTH);
	ASSERT_TRUE(agg != NULL);
	for (p = 0; p < 3; p++)
		for (i = 0; i < NR_SCEN; i++)
			notrun += !agg->ran[p][i];
	if (notrun)
		SKIP(return, "%d of the %d tests of the three passes did not run (filtered out): the sites reached over all calls cannot be told",
		     notrun, 3 * NR_SCEN);
	diag("fail-nth: failure points per call (reached/expected): wms's hooks (pass 1), every slab allocation (pass 2), page allocations (pass 3); - for a test that failed");
	for (i = 0; i < NR_SCEN; i++) {
		const struct scen *s = &scens[i];
		char f[3][16];

		for (p = 0; p < 3; p++) {
			m = expected_sites(p + 1, i);
			tabled |= m;
			if (agg->passed[p][i]) {
				owed |= m;
				total[p] += agg->points[p][i];
				snprintf(f[p], sizeof(f[p]), "%d", agg->points[p][i]);
			} else {
				snprintf(f[p], sizeof(f[p]), "-");
			}
		}
		want[0] += s->n1;
		want[1] += s->n2;
		reached |= agg->sites[i];
		diag("fail-nth:   %-62s %3s/%-3d %3s/%-3d %3s", s->label, f[0], s->n1,
		     f[1], s->n2, f[2]);
	}
	diag("fail-nth: %d failure points over %d calls: pass 1 %d (expected %d), pass 2 %d (expected %d), pass 3 %d",
	     total[0] + total[1] + total[2], NR_SCEN, total[0], want[0],
	     total[1], want[1], total[2]);
	for (i = 0; i < NR_SITES; i++) {
		m = 1ULL << i;
		if (reached & m)
			n++;
		else
			diag("fail-nth: not reached: %s%s", sites[i].name,
			     !(tabled & m) ? " (no call's table expects it)" :
			     !(owed & m) ? " (the tests that expect it failed: above)" :
			     " (expected by a test that passed)");
		EXPECT_TRUE(!!(tabled & m))
			TH_LOG("no call's table expects %s: add a call that reaches it",
			       sites[i].name);
		EXPECT_TRUE(!(owed & m) || !!(reached & m))
			TH_LOG("%s: expected by a test that passed, not recorded as reached",
			       sites[i].name);
	}
	diag("fail-nth: %d distinct failure points reached; %d allocation sites in the code",
	     n, NR_SITES);
}

/* ------------------------------------------------------------------ */
/* main: the harness, with filters (wms_util.h)                        */
/* ------------------------------------------------------------------ */

/* -x and -S, the options of this suite's own */
static int own_opt(int opt, const char *arg)
{
	(void)arg;
	switch (opt) {
	case 'x':
		trace = true;
		return 0;
	case 'S':
		loud = true;
		return 0;
	}
	return -1;
}

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-x] [-S] [-f FIXTURE]... [-F FIXTURE]... [-v CALL]... [-V CALL]...\n"
		"  -l          list fixture.call.test names and exit\n"
		"  -x          one line per iteration (fail-nth value, outcome, who failed)\n"
		"  -S          the kernel logs each injected failure (fault attributes' verbose=1)\n"
		"  -f/-F NAME  run only / skip fixture NAME (peak, failnth, failnth_all,\n"
		"              failnth_pages, summary)\n"
		"  -v/-V NAME  run only / skip call NAME (e.g. add_new_grow34, mmap)\n"
		"Needs root, %s (wms.ko loaded, no entries) and fail-nth (CONFIG_FAULT_INJECTION).\n",
		prog, DEV);
	exit(code);
}

int main(int argc, char **argv)
{
	/* -v picks calls: peak and summary (no variants) run all the same */
	static struct filter fl = { .v_keeps_plain = true };
	bool list = false;
	int r;

	parse_args_more(argc, argv, "hlxSf:F:v:V:", &fl, &list, NULL, own_opt, usage);
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	return test_harness_run(1, argv);
}
