/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two files of wms_fuzz share: wms_fuzz.c (names, operations, the
 * generator, execution against /dev/wms, runs and shrinking) and
 * wms_fuzz_model.c (the reference model that predicts every operation).
 * See wms_fuzz.c's header comment for what the fuzzer does.
 */
#ifndef WMS_FUZZ_H
#define WMS_FUZZ_H

#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/wms.h>

#define WMS_UTIL_NO_HARNESS
#include "wms_util.h"	/* diag(), errname(), splitmix64(), NAME_LEN, UPTR(), PARAM_DIR */

typedef long long sll;

_Static_assert(sizeof(off_t) == 8, "build with _FILE_OFFSET_BITS=64");
_Static_assert(sizeof(struct wms_add) == 288, "struct wms_add");
_Static_assert(sizeof(struct wms_list_entry) == 280, "struct wms_list_entry");

/*
 * The page size of the running kernel: 4 KiB on x86, 16 KiB on arm64-16k,
 * 64 KiB on ppc64el. mmap offsets and lengths, the guard pages and the
 * page-rounded charge (m_charge) follow it; PG_MAX bounds it for buffers
 * sized at build time.
 */
static inline ull pg_size(void)
{
	static ull pg;

	if (!pg)
		pg = (ull)sysconf(_SC_PAGESIZE);
	return pg;
}
#define PG		pg_size()
#define PG_MAX		65536ULL
#define NSLOTS		4
#define NMAPS		4
#define NFILES		(NSLOTS + 1)
#define NCRED		5			/* 0 = root, 1..4 = workers */
#define NW		(NCRED - 1)
#define CTX_FORK	16			/* ctx >= CTX_FORK: forked child, cred ctx - CTX_FORK */
#define MAX_CREATE	(1ULL << 20)		/* largest entry the fuzzer creates */
#define IOSZ		(MAX_CREATE + 4 * PG)	/* user buffers, then a guard page */
#define IOSZ_MAX	(MAX_CREATE + 4 * PG_MAX)	/* IOSZ's bound, for arrays */
#define LISTCAP		128			/* LIST records buffer, then a guard page */
#define FORKMAX		6			/* ops of one forked child */
#define MAXNAMES	32
#define ERR_SIG		10000			/* rc -(ERR_SIG + sig): the access took a signal */

static inline ull min_u(ull a, ull b)
{
	return a < b ? a : b;
}

/* "-EINVAL" for a negative errno, "-SIGBUS" for one of ERR_SIG's, else the number. */
const char *rstr(sll v);
/* The data a WRITE, write() or a store through a mapping puts: a stream from a seed. */
void fill(unsigned char *p, ull n, uint32_t seed);

/* The pool of names: valid ones [0, nvalid), then invalid ones. */
struct nm {
	char f[NAME_LEN];	/* the 256-byte name field */
	int err;		/* what the name rules say: 0, -EINVAL, -ENAMETOOLONG */
	char label[128];
};

extern struct nm names[MAXNAMES];
extern int nnames, nvalid;

struct cred {
	uint32_t uid, gid;
	int ngroups;
	gid_t groups[2];
	const char *label;
};

extern const struct cred creds[NCRED];

enum {
	K_ADD, K_REMOVE, K_INFO, K_READ, K_WRITE, K_LIST, K_ATTACH, K_BADCMD,
	K_OPEN, K_CLOSE, K_DUP, K_FREAD, K_FWRITE, K_PREAD, K_PWRITE, K_LSEEK,
	K_MMAP, K_MUNMAP, K_MPROTECT, K_MCHECK, K_MSTORE, K_APROBE, K_SETPARAM,
	K_NKINDS
};

extern const char *const kname[K_NKINDS];

/* The module parameters (limits), in PARAM_DIR. */
enum { L_ENT, L_SIZE, L_TOTAL, L_USER, L_UENT, L_N };

/*
 * One operation, fully concrete (replayable without the generator).
 * Field use per kind:
 *  ADD      name, a = size, flags, mode, resv/rv (reserved[resv-1] = rv)
 *  REMOVE/INFO/ATTACH/APROBE  name, resv/rv; ATTACH: slot
 *  READ/WRITE  name, a = offset, b = len, bufkind/part, dseed
 *  LIST     acc (0 start, 1 continue the walk), count, bufkind (NULL), resv/rv
 *  BADCMD   flags = index in the bad command table
 *  OPEN     slot, acc (0 O_RDWR, 1 O_RDONLY, 2 O_WRONLY); CLOSE slot; DUP slot -> slot2
 *  read/write  slot, b = count, bufkind/part, dseed
 *  pread/pwrite  slot, a = (off_t) offset, b = count, bufkind/part, dseed
 *  lseek    slot, a = (off_t) offset, mode = whence
 *  mmap     slot, mslot, a = file offset (bytes), b = length, mode = prot, flags
 *  munmap/mprotect/mapcheck/mapstore  mslot; mprotect: mode = prot;
 *           mapstore: a = offset in the mapping, b = len, dseed
 *  setparam pidx, a = value, relative (see param_abs()) for entries/total
 * via: the fd of an ioctl, 0 = the main fd, else slot via-1.
 * argmode: 0 normal, 1 NULL argument, 2 argument in a read-only page.
 * bufkind: 0 valid, 1 NULL, 2 only the last `part` bytes before a guard page.
 */
struct op {
	uint8_t kind, ctx, via, slot, slot2, mslot, argmode, bufkind;
	uint8_t junk, resv, acc, pidx;
	uint16_t name, pad;
	uint32_t flags, mode, count, dseed, grp;
	uint64_t a, b, part, rv;
};

static inline int op_cred(const struct op *op)
{
	if (op->ctx >= CTX_FORK)
		return op->ctx - CTX_FORK;
	return op->ctx;
}

/* What an operation did, as the model needs it to compare. */
struct outcome {
	sll rc;
	sll r[5];		/* attachprobe: write 0, mmap RW, read 64, INFO rc, attached */
	ull walk;		/* LIST cursor after the op */
	ull t0, t1;		/* CLOCK_REALTIME around an ADD */
	union {
		struct wms_add add;
		struct wms_info info;
		struct wms_io io;
		struct wms_list list;
	} o;
	uint32_t canary_bad;	/* bytes past what was read were modified */
	uint32_t ndata;
	unsigned char data[IOSZ_MAX];
};

/* ------------------------------------------------------------------ */
/* The model (wms_fuzz_model.c)                                        */
/* ------------------------------------------------------------------ */

struct mobj {
	ull seq, size;
	int nidx;		/* pool name, or -1 for an entry the fuzzer did not make */
	char fname[NAME_LEN];	/* name of a foreign entry */
	uint32_t uid, gid, mode;
	int cred;		/* creator, -1 foreign */
	unsigned char *data;
	bool live;
	unsigned int attached, maps;
	ull ct0, ct1;
};

struct mfile {
	int refs, acc;		/* acc: 0 O_RDWR, 1 O_RDONLY, 2 O_WRONLY */
	struct mobj *obj;
	bool writable;		/* write permission at ATTACH */
	sll pos;
};

struct mmapm {
	bool used, maywrite;
	struct mobj *obj;
	ull pg, np;
	int prot;
};

/*
 * The counters of /sys/class/misc/wms/ other than entries and bytes (which
 * are nlive and total): peak_bytes, adds, removes, and failed_adds/<ERRNO>
 * for each errno the registry counts (the order of ctr_file[]).
 */
enum {
	CT_PEAK, CT_ADDS, CT_REMOVES, CT_EPERM, CT_EINVAL, CT_ENAMETOOLONG, CT_EEXIST,
	CT_EFBIG, CT_ENOSPC, CT_ENOMEM, CT_N
};

struct model {
	struct mobj *live[1024];	/* the registry in creation order */
	int nlive;
	struct mobj *byname[MAXNAMES];
	ull total;			/* bytes charged, all entries not yet freed */
	ull ubytes[NCRED];		/* per worker uid */
	ull uents[NCRED];		/* entries registered, per worker uid */
	ull ctr[CT_N];			/* the other counters (absolute values) */
	ull lim[L_N];
	struct mfile files[NFILES];
	int slot[NSLOTS];		/* index in files, or -1 */
	struct mmapm map[NMAPS];
	ull wpos;			/* LIST walk: seq of the last entry reported */
	ull nextseq;
	ull base_entries, base_bytes;	/* not the fuzzer's, at the start of a run */
	int nobjs;			/* the fuzzer's objects not yet freed */
};

extern struct model M;

struct mfile *m_slot(int s);
/* The bytes an entry of @size is charged: whole pages of the running kernel. */
ull m_charge(ull size);
ull param_abs(int pidx, ull v);
/* Is the op safe to execute (no crash of the fuzzer, buffers large enough)? */
bool m_safe(const struct op *op);
/* Predict op, compare with *got (if not NULL), apply it; false on a mismatch (g_why). */
bool m_step(const struct op *op, const struct outcome *got);
/* An entry the fuzzer did not make, found in the registry at a reset. */
void m_import(const struct wms_list_entry *rec);
/* Close the model's files and mappings, forget its entries. */
void m_free(void);
const unsigned char *obj_name(const struct mobj *o);

/* Divergence reports: the explanation goes to g_why (g_whylen bytes). */
extern char *g_why;
extern size_t g_whylen;
bool mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Coverage of the rarer rules, counted by the model (main run only). */
enum {
	C_ENT_NOSPC, C_TOTAL_NOSPC, C_USER_NOSPC, C_DEAD_NOSPC, C_SIZE0, C_EXIST_NOREAD,
	C_REMOVE_EPERM, C_DEAD_IO, C_DEAD_MAP, C_NOWRITE_FILE, C_RO_FILE, C_MPROTECT_EACCES,
	C_WALK_END, C_CHILD_ATTACH, C_DUP_SHARED, C_SIZE0_NOSPC, C_SEEK_DATA, C_UENT_NOSPC,
	C_SIZE0_UENT_NOSPC, C_PAGE_NOSPC, C_RESERVED_EPERM, C_RESERVED_BIG, C_NCOV
};
extern const char *const covname[C_NCOV];
extern ull g_cov[C_NCOV];
extern bool g_count_cov;

#endif /* WMS_FUZZ_H */
