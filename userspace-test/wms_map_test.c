// SPDX-License-Identifier: GPL-2.0
/*
 * wms_map_test: mmap of an attached /dev/wms file (MAP_SHARED only, bounds,
 * offsets, coherence with pwrite and the ioctls, two processes, fork,
 * mremap, mprotect) and entry lifetimes: REMOVE while attached or mapped,
 * the old memory freed with its last file and mapping (proved through
 * max_total_bytes), fork, a 64 MiB entry mapped by two processes, the
 * module pinned (rmmod refused) while an entry is mapped. ATTACH and the
 * file operations are wms_attach_test's; the helpers and the fixture both
 * use are in wms_attach.h.
 *
 * The contract is docs/ABI.md (ABI v2).  Built static (-m64 and -m32) and
 * run as root inside the test VM against the real wms.ko; kselftest
 * harness, TAP output.  One fixture, "attach", tests in source order.
 * Every test names its entries "at.<test>.*" and removes them.
 *
 *   wms_map_test [-l] [-t TEST]... [-T TEST]... [-s SEED]
 *     -l        list the tests          -t/-T   run only / skip TEST
 *     -s SEED   data pattern seed (default: $WMS_TEST_SEED, else the time)
 */
#include "wms_attach.h"

/* ================================================================== */
/* mmap                                                                */
/* ================================================================== */

/* MAP_PRIVATE: -EINVAL (MAP_SHARED only). */
TEST_F(attach, mmap_private_einval)
{
	const char *n = NM("e");
	size_t ps = page_size();
	int fd;

	MK(n, 2 * ps, 0600);
	fd = OPEN_ATTACH(n);
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	EXPECT_R(-EINVAL, map_probe(2 * ps, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_R(0, map_probe(ps, PROT_READ, MAP_SHARED, fd, 0));
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* length + offset within the size rounded up to a page: the partial last page maps, one more page does not. */
TEST_F(attach, mmap_bounds_partial_last_page)
{
	const char *n = NM("e"), *ex = NM("exact"), *one = NM("one");
	size_t ps = page_size(), size = 2 * ps + 100;
	unsigned char *m, c;
	int fd, fe, f1;

	MKP(n, size, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_PAT(m, 0, size, SEED(1), "mapping of a 2-page + 100-byte entry");
	m[size - 1] = 0xc3;
	EXPECT_R(1, rr(pread(fd, &c, 1, size - 1)));
	EXPECT_EQ(0xc3, c);
	munmap(m, 3 * ps);
	EXPECT_RM(-EINVAL, map_probe(4 * ps, PROT_READ, MAP_SHARED, fd, 0), "(size %zu)", size);
	EXPECT_RM(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, fd, 3 * ps), "(size %zu)", size);
	EXPECT_RM(-EINVAL, map_probe(2 * ps, PROT_READ, MAP_SHARED, fd, 2 * ps), "(size %zu)", size);
	/* A 32-bit kernel refuses an offset past its ULONG_MAX before ->mmap. */
	EXPECT_RM(kernel_is_32bit() ? -EOVERFLOW : -EINVAL,
		  map_probe(ps, PROT_READ, MAP_SHARED, fd, (off_t)1 << 40), "(size %zu)", size);
	EXPECT_RM(0, map_probe(ps, PROT_READ, MAP_SHARED, fd, 2 * ps), "(size %zu)", size);
	EXPECT_RM(0, map_probe(2 * ps, PROT_READ, MAP_SHARED, fd, ps), "(size %zu)", size);

	MK(ex, 2 * ps, 0600);
	fe = OPEN_ATTACH(ex);
	EXPECT_RM(0, map_probe(2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fe, 0), "(size 2 pages)");
	EXPECT_RM(-EINVAL, map_probe(3 * ps, PROT_READ, MAP_SHARED, fe, 0), "(size 2 pages)");
	EXPECT_RM(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, fe, 2 * ps), "(size 2 pages)");

	MK(one, 1, 0600);
	f1 = OPEN_ATTACH(one);
	EXPECT_RM(0, map_probe(ps, PROT_READ | PROT_WRITE, MAP_SHARED, f1, 0), "(size 1)");
	EXPECT_RM(-EINVAL, map_probe(2 * ps, PROT_READ, MAP_SHARED, f1, 0), "(size 1)");
	EXPECT_RM(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, f1, ps), "(size 1)");
	close(fd);
	close(fe);
	close(f1);
	EXPECT_R(0, w_remove(self->fd, n));
	EXPECT_R(0, w_remove(self->fd, ex));
	EXPECT_R(0, w_remove(self->fd, one));
}

/* The offset must be page-aligned (kernel rule): -EINVAL otherwise. */
TEST_F(attach, mmap_offset_unaligned_einval)
{
	const char *n = NM("e");
	size_t ps = page_size();
	int fd;

	MK(n, 4 * ps, 0600);
	fd = OPEN_ATTACH(n);
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, fd, 100));
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, fd, ps / 2));
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, fd, ps + 1));
	EXPECT_R(0, map_probe(ps, PROT_READ, MAP_SHARED, fd, ps));
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* A mapping at a non-zero page offset shows (and stores to) the right bytes. */
TEST_F(attach, mmap_nonzero_offset)
{
	const char *n = NM("e");
	size_t ps = page_size(), size = 4 * ps;
	unsigned char *m2, *m1, *all, c;
	int fd;

	MKP(n, size, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m2, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * ps));
	EXPECT_PAT(m2, 2 * ps, 2 * ps, SEED(1), "mapping at offset 2 pages");
	ASSERT_R(0, xmap((void **)&m1, ps, PROT_READ, MAP_SHARED, fd, ps));
	EXPECT_PAT(m1, ps, ps, SEED(1), "mapping at offset 1 page");
	ASSERT_R(0, xmap((void **)&all, size, PROT_READ, MAP_SHARED, fd, 0));
	m2[5] = 0x11;
	m2[ps + 7] = 0x22;
	EXPECT_EQ(0x11, all[2 * ps + 5]) TH_LOG("store at offset-mapping byte 5 not at entry byte 2p+5");
	EXPECT_EQ(0x22, all[3 * ps + 7]) TH_LOG("store at offset-mapping byte p+7 not at entry byte 3p+7");
	EXPECT_R(1, rr(pread(fd, &c, 1, 2 * ps + 5)));
	EXPECT_EQ(0x11, c);
	EXPECT_R(1, w_pread(self->fd, n, 3 * ps + 7, &c, 1));
	EXPECT_EQ(0x22, c);
	EXPECT_PAT(all, 0, 2 * ps, SEED(1), "untouched first two pages");
	munmap(m1, ps);
	munmap(m2, 2 * ps);
	munmap(all, size);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* pwrite/WRITE are visible in the mapping at once, and stores in the mapping to pread/READ. */
TEST_F(attach, mmap_coherent_with_pwrite_and_ioctl)
{
	const char *n = NM("e");
	size_t ps = page_size(), size = 3 * ps;
	unsigned char *m, q[300], g[300];
	int fd;

	MK(n, size, 0600);
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_ZERO(m, 0, size, "new entry through the mapping");
	pat_fill(q, ps - 100, 300, SEED(1));
	EXPECT_R(300, rr(pwrite(fd, q, 300, ps - 100)));
	EXPECT_PAT(m + ps - 100, ps - 100, 300, SEED(1), "mapping after pwrite()");
	pat_fill(q, 2 * ps + 1, 300, SEED(2));
	EXPECT_R(300, w_pwrite(self->fd, n, 2 * ps + 1, q, 300));
	EXPECT_PAT(m + 2 * ps + 1, 2 * ps + 1, 300, SEED(2), "mapping after the WRITE ioctl");
	pat_fill(m + 10, 10, 300, SEED(3));
	EXPECT_R(300, rr(pread(fd, g, 300, 10)));
	EXPECT_PAT(g, 10, 300, SEED(3), "pread() of stores through the mapping");
	EXPECT_R(300, w_pread(self->fd, n, 10, g, 300));
	EXPECT_PAT(g, 10, 300, SEED(3), "READ ioctl of stores through the mapping");
	munmap(m, size);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

struct two_args {
	char name[NAME_LEN];
	size_t size;
	__u64 seed;
	struct chan ch;
};

static bool wait_u32(volatile __u32 *p, __u32 want, unsigned int ms)
{
	__u64 t0 = now_ns();

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
		if (now_ns() - t0 > ms * 1000000ULL)
			return false;
	return true;
}

static int kid_two(void *p)
{
	struct two_args *a = p;
	size_t ps = page_size();
	unsigned char *m;
	long long r;
	int c, fd;

	c = chan_recv(a->ch.down[0], 20000);
	if (c != 'g')
		return kfail("no go from the test: %s", chan_str(c));
	fd = open_attach(a->name);
	if (fd < 0)
		return kfail("child: open + ATTACH '%s': %s", a->name, rstr(fd));
	r = attached_of(fd, a->name);
	if (r != 2)
		kfail("child: INFO.attached with two processes attached: %s, want 2", rstr(r));
	r = xmap((void **)&m, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r)
		return kfail("child: mmap: %s", rstr(r));
	if (chan_send(a->ch.up[1], 'r'))
		return kfail("child: send");
	if (!wait_u32((__u32 *)(m + ps + 8), 0x11223344u, 10000))
		return kfail("child: the parent's store at offset %zu never appeared in the "
			     "child's mapping (10 s)", ps + 8);
	__atomic_store_n((__u32 *)(m + 4), 0x55667788u, __ATOMIC_RELEASE);
	pat_fill(m + 100, 100, 200, a->seed);
	if (chan_send(a->ch.up[1], 'w'))
		return kfail("child: send");
	c = chan_recv(a->ch.down[0], 20000);
	if (c != 'q')
		kfail("child: no quit from the test: %s", chan_str(c));
	munmap(m, a->size);
	close(fd);
	return g_kl->msg[0] ? 1 : 0;
}

/* Two processes, each with its own file and mapping, see each other's stores at once. */
TEST_F(attach, mmap_two_processes_see_stores)
{
	struct two_args a;
	size_t ps = page_size();
	unsigned char *m, g[200];
	pid_t pid;
	int fd;

	memset(&a, 0, sizeof(a));
	set_field(a.name, NM("e"));
	a.size = 2 * ps;
	a.seed = SEED(1);
	MK(a.name, a.size, 0600);
	ASSERT_EQ(0, chan_open(&a.ch));
	pid = spawn(self, kid_two, &a, &a.ch);	/* before our own file and mapping */
	ASSERT_LE(0, pid);
	fd = OPEN_ATTACH(a.name);
	ASSERT_R(0, xmap((void **)&m, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'g'));
	ASSERT_RECV(a.ch.up[0], 'r', 20000, "child mapped the entry");
	__atomic_store_n((__u32 *)(m + ps + 8), 0x11223344u, __ATOMIC_RELEASE);
	EXPECT_TRUE(wait_u32((__u32 *)(m + 4), 0x55667788u, 10000))
		TH_LOG("the child's store at offset 4 never appeared in the parent's mapping");
	ASSERT_RECV(a.ch.up[0], 'w', 20000, "child stored its pattern");
	EXPECT_PAT(m + 100, 100, 200, SEED(1), "child's stores in the parent's mapping");
	EXPECT_R(200, rr(pread(fd, g, 200, 100)));
	EXPECT_PAT(g, 100, 200, SEED(1), "child's stores through the parent's pread()");
	EXPECT_ATTACHED(2, a.name);
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'q'));
	EXPECT_KID_OK(pid);
	EXPECT_ATTACHED(1, a.name);
	munmap(m, a.size);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, a.name));
}

struct fork_args {
	char name[NAME_LEN];
	unsigned char *m;
	size_t size, ps;
	__u64 seed1, seed2;
	int ctl;
};

static int kid_forked(void *p)
{
	struct fork_args *a = p;
	long long d = pat_diff(a->m, 0, a->size, a->seed1), r;

	if (d != -1)
		kfail("child: inherited mapping differs at offset %lld: 0x%02x, want 0x%02x",
		      d, a->m[d], pat_byte(a->seed1, d));
	r = attached_of(a->ctl, a->name);
	if (r != 1)
		kfail("child: INFO.attached after fork: %s, want 1 (one open file, shared)",
		      rstr(r));
	pat_fill(a->m + a->ps, a->ps, a->ps, a->seed2);
	return g_kl->msg[0] ? 1 : 0;
}

/* fork with a live MAP_SHARED mapping: the child sees and modifies the parent's data. */
TEST_F(attach, mmap_fork_child_shares)
{
	struct fork_args a;
	pid_t pid;
	int fd;

	memset(&a, 0, sizeof(a));
	set_field(a.name, NM("e"));
	a.ps = page_size();
	a.size = 3 * a.ps;
	a.seed1 = SEED(1);
	a.seed2 = SEED(2);
	a.ctl = self->fd;
	MK(a.name, a.size, 0600);
	fd = OPEN_ATTACH(a.name);
	ASSERT_R(0, xmap((void **)&a.m, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	pat_fill(a.m, 0, a.size, a.seed1);
	pid = spawn(self, kid_forked, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	EXPECT_PAT(a.m, 0, a.ps, a.seed1, "page 0 (untouched)");
	EXPECT_PAT(a.m + a.ps, a.ps, a.ps, a.seed2, "page 1 (the child's stores)");
	EXPECT_PAT(a.m + 2 * a.ps, 2 * a.ps, a.ps, a.seed1, "page 2 (untouched)");
	EXPECT_ATTACHED(1, a.name);
	munmap(a.m, a.size);
	close(fd);
	EXPECT_ATTACHED(0, a.name);
	EXPECT_R(0, w_remove(self->fd, a.name));
}

/* A mapping outlives its file: still reads and writes the entry, but is not counted. */
TEST_F(attach, mmap_outlives_fd_not_counted)
{
	const char *n = NM("e");
	size_t ps = page_size();
	unsigned char *m, q[64], g[64];
	int fd;

	MKP(n, 2 * ps, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_ATTACHED(1, n);
	close(fd);
	EXPECT_ATTACHED(0, n);
	EXPECT_PAT(m, 0, 2 * ps, SEED(1), "mapping after its file was closed");
	pat_fill(m + 1000, 1000, 64, SEED(2));
	EXPECT_R(64, w_pread(self->fd, n, 1000, g, 64));
	EXPECT_PAT(g, 1000, 64, SEED(2), "READ of stores through the orphan mapping");
	pat_fill(q, ps, 64, SEED(3));
	EXPECT_R(64, w_pwrite(self->fd, n, ps, q, 64));
	EXPECT_PAT(m + ps, ps, 64, SEED(3), "orphan mapping after a WRITE ioctl");
	fd = OPEN_ATTACH(n);
	EXPECT_ATTACHED(1, n);
	close(fd);
	EXPECT_ATTACHED(0, n);
	munmap(m, 2 * ps);
	EXPECT_ATTACHED(0, n);
	EXPECT_R(0, w_remove(self->fd, n));
}

static int kid_touch(void *p)
{
	volatile unsigned char *q = p;
	unsigned char c = q[0];

	kfail("child read byte 0x%02x one page beyond a 1-page entry instead of dying", c);
	return 1;
}

/* mremap cannot grow a mapping past the entry (refused, or the page beyond faults). */
TEST_F(attach, mmap_mremap_grow_refused)
{
	const char *n = NM("e");
	size_t ps = page_size();
	unsigned char *m, *q;
	int fd;

	MK(n, ps, 0600);
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	m[0] = 0x42;
	q = mremap(m, ps, 2 * ps, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		diag("mremap to 2 pages refused: %s", errname(errno));
		EXPECT_EQ(0x42, m[0]);
		munmap(m, ps);
	} else {
		int st;
		pid_t pid;

		diag("mremap to 2 pages succeeded; touching the page beyond must fault");
		EXPECT_EQ(0x42, q[0]);
		pid = spawn(self, kid_touch, q + ps, NULL);
		ASSERT_LE(0, pid);
		st = reap(self, pid);
		EXPECT_TRUE(WIFSIGNALED(st) && (WTERMSIG(st) == SIGBUS || WTERMSIG(st) == SIGSEGV))
			TH_LOG("child touching the page beyond the entry: %s: %s", kid_status(st),
			       kid_msg());
		munmap(q, 2 * ps);
	}
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* With write permission, a PROT_READ mapping may be mprotect()ed to PROT_WRITE. */
TEST_F(attach, mmap_mprotect_upgrade_with_write_perm)
{
	const char *n = NM("e");
	size_t ps = page_size();
	unsigned char *m, c;
	int fd;

	MKP(n, ps, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, ps, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_PAT(m, 0, ps, SEED(1), "PROT_READ mapping");
	ASSERT_R(0, rr(mprotect(m, ps, PROT_READ | PROT_WRITE)));
	m[77] = (unsigned char)~pat_byte(SEED(1), 77);
	EXPECT_R(1, rr(pread(fd, &c, 1, 77)));
	EXPECT_EQ((unsigned char)~pat_byte(SEED(1), 77), c);
	munmap(m, ps);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/*
 * A file opened O_RDONLY attaches, reads and maps MAP_SHARED read-only (the
 * kernel hands the driver VM_MAYSHARE without VM_SHARED for such a file);
 * writing is refused by the VFS (EBADF, EACCES).
 */
TEST_F(attach, mmap_rdonly_file_shared)
{
	const char *n = NM("e");
	size_t ps = page_size();
	unsigned char *m = NULL, c = 0;
	int fd;

	MKP(n, 2 * ps, 0600, SEED(1));
	fd = open(WMS_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open O_RDONLY: %s", strerror(errno));
	ASSERT_R(0, w_attach(fd, n));
	EXPECT_R(1, rr(pread(fd, &c, 1, 5)));
	EXPECT_EQ(pat_byte(SEED(1), 5), c);
	EXPECT_RM(-EBADF, rr(write(fd, &c, 1)), "(file not open for writing)");
	EXPECT_RM(-EACCES, map_probe(ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
		  "(file not open for writing)");
	EXPECT_RM(-EINVAL, map_probe(ps, PROT_READ, MAP_PRIVATE, fd, 0), "(MAP_PRIVATE)");
	EXPECT_RM(0, xmap((void **)&m, 2 * ps, PROT_READ, MAP_SHARED, fd, 0),
		  "(MAP_SHARED + PROT_READ of an O_RDONLY file: the vma has VM_MAYSHARE, not "
		  "VM_SHARED; a driver testing VM_SHARED refuses it)");
	if (m) {
		EXPECT_PAT(m, 0, 2 * ps, SEED(1), "read-only shared mapping");
		EXPECT_R(-EACCES, rr(mprotect(m, ps, PROT_READ | PROT_WRITE)));
		c = (unsigned char)~pat_byte(SEED(1), 7);
		EXPECT_R(1, w_pwrite(self->fd, n, 7, &c, 1));
		EXPECT_EQ(c, m[7]) TH_LOG("a WRITE is not visible in the shared read-only mapping");
		munmap(m, 2 * ps);
	}
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* ================================================================== */
/* Removal while in use                                                */
/* ================================================================== */

/*
 * REMOVE while attached: the name goes at once; the old file keeps the OLD
 * data; a new ADD makes a new, zero-filled, independent entry.
 */
TEST_F(attach, remove_while_attached_keeps_old_data)
{
	const char *n = NM("e");
	unsigned char g[5000], q[64];
	struct wms_add ad;
	int old, nu, other;

	MKP(n, 3000, 0600, SEED(1));
	old = OPEN_ATTACH(n);
	other = open_wms();
	ASSERT_LE(0, other);
	EXPECT_R(0, w_remove(self->fd, n));
	EXPECT_R(-ENOENT, w_info(self->fd, n, NULL));
	EXPECT_R(-ENOENT, w_pread(self->fd, n, 0, g, 10));
	EXPECT_R(-ENOENT, w_attach(other, n));
	EXPECT_R(-ENOENT, w_remove(self->fd, n));
	/* the old file still reads and writes the old data */
	EXPECT_R(3000, rr(pread(old, g, 5000, 0)));
	EXPECT_PAT(g, 0, 3000, SEED(1), "old file after REMOVE");
	pat_fill(q, 100, 64, SEED(2));
	EXPECT_R(64, rr(pwrite(old, q, 64, 100)));
	EXPECT_R(3000, rr(lseek(old, 0, SEEK_END)));
	EXPECT_R(-EFBIG, rr(pwrite(old, q, 64, 2990)));
	/* a new entry of the same name: created, zero-filled, independent */
	ASSERT_EQ(0, w_add(self->fd, n, 5000, 0, 0600, &ad));
	EXPECT_EQ(WMS_ADD_CREATED, ad.flags) TH_LOG("ADD after REMOVE must create a new entry");
	EXPECT_EQ(5000ULL, (ull)ad.size);
	EXPECT_ATTACHED(0, n);
	EXPECT_R(5000, w_pread(self->fd, n, 0, g, 5000));
	EXPECT_ZERO(g, 0, 5000, "new entry of the removed name");
	EXPECT_R(0, w_attach(other, n));
	EXPECT_ATTACHED(1, n);
	EXPECT_R(-EBUSY, w_attach(old, n));
	nu = other;
	pat_fill(g, 0, 5000, SEED(3));
	EXPECT_R(5000, rr(pwrite(nu, g, 5000, 0)));
	EXPECT_R(5000, rr(lseek(nu, 0, SEEK_END)));
	/* the old file is not affected by the new entry and vice versa */
	EXPECT_R(3000, rr(pread(old, g, 3000, 0)));
	EXPECT_PAT(g, 0, 100, SEED(1), "old data (0..100)");
	EXPECT_PAT(g + 100, 100, 64, SEED(2), "old data (the pwrite after REMOVE)");
	EXPECT_PAT(g + 164, 164, 3000 - 164, SEED(1), "old data (164..3000)");
	EXPECT_R(64, rr(pwrite(old, q, 64, 0)));
	CHECK_ENTRY_PAT(n, 5000, SEED(3), "new entry after writes through the old file");
	close(old);
	EXPECT_ATTACHED(1, n);
	close(nu);
	EXPECT_ATTACHED(0, n);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* REMOVE while mapped (file closed): the mapping keeps the OLD memory; a new entry is independent. */
TEST_F(attach, remove_while_mapped_keeps_old_data)
{
	const char *n = NM("e");
	size_t ps = page_size(), size = 2 * ps + 100;
	unsigned char *m, g[300], q[300];
	struct wms_add ad;
	int fd;

	MKP(n, size, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
	EXPECT_R(-ENOENT, w_info(self->fd, n, NULL));
	EXPECT_PAT(m, 0, size, SEED(1), "mapping after REMOVE");
	ASSERT_EQ(0, w_add(self->fd, n, 300, 0, 0600, &ad));
	EXPECT_EQ(WMS_ADD_CREATED, ad.flags);
	EXPECT_R(300, w_pread(self->fd, n, 0, g, 300));
	EXPECT_ZERO(g, 0, 300, "new entry of the removed name");
	pat_fill(m, 0, 300, SEED(2));		/* store into the old memory */
	EXPECT_R(300, w_pread(self->fd, n, 0, g, 300));
	EXPECT_ZERO(g, 0, 300, "new entry after stores through the old mapping");
	pat_fill(q, 0, 300, SEED(3));
	EXPECT_R(300, w_pwrite(self->fd, n, 0, q, 300));
	EXPECT_PAT(m, 0, 300, SEED(2), "old mapping after a WRITE to the new entry");
	EXPECT_PAT(m + 300, 300, size - 300, SEED(1), "old mapping, rest");
	munmap(m, 3 * ps);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* The removed entry's memory goes with its last attached file (no mapping). */
TEST_F(attach, remove_frees_on_last_close)
{
	const char *n = NM("e");
	const __u64 S = 1 * MiB;
	unsigned char g[64];
	int fd;

	MK_FILLING(n, S, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, w_remove(self->fd, n));
	EXPECT_R(-ENOENT, w_info(self->fd, n, NULL));
	EXPECT_RM(-ENOSPC, PROBE(), "(the removed entry's bytes count while a file holds it)");
	EXPECT_RM(-ENOSPC, w_add(self->fd, n, 1, 0, 0600, NULL), "(same name, while held)");
	EXPECT_R(64, rr(pread(fd, g, 64, S - 64)));
	EXPECT_PAT(g, S - 64, 64, SEED(1), "old file after REMOVE");
	close(fd);
	EXPECT_RM(0, PROBE(), "(memory must be freed at the last close)");
	EXPECT_R(0, w_add(self->fd, n, S, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_R(0, w_remove(self->fd, n));
}

/* File closed first, mapping last: the memory goes at the munmap. */
TEST_F(attach, remove_frees_on_last_munmap)
{
	const char *n = NM("e");
	const __u64 S = 1 * MiB;
	unsigned char *m;
	int fd;

	MK_FILLING(n, S, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, S, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	ASSERT_R(0, w_remove(self->fd, n));
	EXPECT_RM(-ENOSPC, PROBE(), "(a mapping alone holds the removed entry)");
	EXPECT_PAT(m, 0, S, SEED(1), "mapping after close + REMOVE");
	m[S - 1] ^= 0xff;
	EXPECT_RM(-ENOSPC, PROBE(), "(still mapped)");
	munmap(m, S);
	EXPECT_RM(0, PROBE(), "(memory must be freed at the last munmap)");
}

/* Mapping gone first, file last: the memory goes at the close. */
TEST_F(attach, remove_frees_fd_after_munmap)
{
	const char *n = NM("e");
	const __u64 S = 1 * MiB;
	unsigned char *m, c;
	int fd;

	MK_FILLING(n, S, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, S, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	ASSERT_R(0, w_remove(self->fd, n));
	EXPECT_RM(-ENOSPC, PROBE(), "(file and mapping hold it)");
	m[12345] = 0x99;
	munmap(m, S);
	EXPECT_RM(-ENOSPC, PROBE(), "(the attached file still holds it after munmap)");
	EXPECT_R(1, rr(pread(fd, &c, 1, 12345)));
	EXPECT_EQ(0x99, c);
	close(fd);
	EXPECT_RM(0, PROBE(), "(memory must be freed at the last close)");
}

struct hold_args {
	unsigned char *m;
	size_t size;
	__u64 seed;
	struct chan ch;
};

static int kid_hold(void *p)
{
	struct hold_args *a = p;
	long long d;
	int c;

	c = chan_recv(a->ch.down[0], 20000);
	if (c != 'c')
		return kfail("child: no check request: %s", chan_str(c));
	d = pat_diff(a->m, 0, a->size, a->seed);
	if (d != -1)
		kfail("child: inherited mapping after the parent's munmap + REMOVE differs at "
		      "offset %lld", d);
	a->m[0] ^= 0xff;
	if (chan_send(a->ch.up[1], 'k'))
		return kfail("child: send");
	c = chan_recv(a->ch.down[0], 20000);
	if (c != 'q')
		kfail("child: no quit: %s", chan_str(c));
	return g_kl->msg[0] ? 1 : 0;
}

/* A forked child's inherited mapping holds the removed memory until the child exits. */
TEST_F(attach, remove_frees_after_last_process)
{
	const char *n = NM("e");
	const __u64 S = 1 * MiB;
	struct hold_args a;
	pid_t pid;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = S;
	a.seed = SEED(1);
	MK_FILLING(n, S, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&a.m, S, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	ASSERT_EQ(0, chan_open(&a.ch));
	pid = spawn(self, kid_hold, &a, &a.ch);
	ASSERT_LE(0, pid);
	munmap(a.m, S);
	close(fd);
	ASSERT_R(0, w_remove(self->fd, n));
	EXPECT_RM(-ENOSPC, PROBE(), "(the child's inherited mapping and file still hold it)");
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'c'));
	ASSERT_RECV(a.ch.up[0], 'k', 20000, "child checked the old data");
	EXPECT_RM(-ENOSPC, PROBE(), "(child still alive)");
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'q'));
	EXPECT_KID_OK(pid);
	EXPECT_RM(0, PROBE(), "(memory must be freed when the last process lets go)");
}

/* A removed entry stops counting toward max_entries at once, even while held. */
TEST_F(attach, remove_frees_entry_slot_at_once)
{
	const char *n = NM("e"), *o = NM("other");
	struct wms_list_entry *all;
	struct wms_add ad;
	size_t cnt;
	unsigned char c;
	int fd;

	ASSERT_EQ(0, list_all(self->fd, &all, &cnt));
	free(all);
	ASSERT_EQ(0, param_write("max_entries", cnt + 1));
	MKP(n, 4096, 0600, SEED(1));
	EXPECT_RM(-ENOSPC, w_add(self->fd, o, 0, 0, 0600, NULL), "(max_entries full)");
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, w_remove(self->fd, n));
	EXPECT_RM(0, w_add(self->fd, o, 0, 0, 0600, &ad), "(the removed entry's slot is free at once)");
	EXPECT_EQ(WMS_ADD_CREATED, ad.flags);
	EXPECT_R(1, rr(pread(fd, &c, 1, 4095)));
	EXPECT_EQ(pat_byte(SEED(1), 4095), c);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, o));
}

/* ================================================================== */
/* 64 MiB, two processes                                               */
/* ================================================================== */

#define BIG_SIZE	(64 * MiB)
#define BIG_CHUNKS	6
#define BIG_CHUNK	777

/* The chunks' offsets (the page boundaries are the running kernel's). */
static __u64 big_off(int k)
{
	const __u64 ps = page_size();
	const __u64 off[BIG_CHUNKS] = {
		0,				/* the first byte */
		ps - 7,				/* across the first page boundary */
		BIG_SIZE / 2 - 1,		/* across the middle */
		BIG_SIZE / 2 + 12345,
		BIG_SIZE - ps - 50,		/* across the last page boundary */
		BIG_SIZE - BIG_CHUNK,		/* up to the last byte */
	};

	return off[k];
}

struct big_args {
	char name[NAME_LEN];
	__u64 seed1, seed2;
	struct chan ch;
};

static int kid_big(void *p)
{
	struct big_args *a = p;
	unsigned char *m;
	long long r, d;
	__u64 t0;
	int c, fd, k;

	c = chan_recv(a->ch.down[0], 100000);
	if (c != 'g')
		return kfail("child: no go: %s", chan_str(c));
	fd = open_attach(a->name);
	if (fd < 0)
		return kfail("child: open + ATTACH '%s' by name: %s", a->name, rstr(fd));
	r = attached_of(fd, a->name);
	if (r != 2)
		kfail("child: INFO.attached: %s, want 2", rstr(r));
	r = xmap((void **)&m, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r)
		return kfail("child: mmap of 64 MiB: %s", rstr(r));
	t0 = now_ns();
	d = pat_diff(m, 0, BIG_SIZE, a->seed1);
	if (d != -1)
		return kfail("child: its own mapping differs from the parent's pattern at offset "
			     "%lld: 0x%02x, want 0x%02x", d, m[d], pat_byte(a->seed1, d));
	diag("child verified 64 MiB in %llu ms", (ull)((now_ns() - t0) / 1000000));
	for (k = 0; k < BIG_CHUNKS; k++)
		pat_fill(m + big_off(k), big_off(k), BIG_CHUNK, a->seed2);
	if (chan_send(a->ch.up[1], 'v'))
		return kfail("child: send");
	c = chan_recv(a->ch.down[0], 100000);
	if (c != 'r')
		return kfail("child: no release: %s", chan_str(c));
	munmap(m, BIG_SIZE);
	close(fd);
	if (chan_send(a->ch.up[1], 'd'))
		return kfail("child: send");
	c = chan_recv(a->ch.down[0], 100000);
	if (c != -EPIPE && c != 'q')
		kfail("child: unexpected %s at the end", chan_str(c));
	return g_kl->msg[0] ? 1 : 0;
}

/*
 * The acceptance case: a 64 MiB entry (the default max_entry_size)
 * mapped by two processes, each through its own file attached by name.
 */
TEST_F_TIMEOUT(attach, big_64mib_two_processes, 240)
{
	struct big_args a;
	unsigned char *m, g[BIG_CHUNK];
	__u64 pos = 0, t0, mes;
	pid_t pid;
	int fd, k;

	memset(&a, 0, sizeof(a));
	set_field(a.name, NM("big"));
	a.seed1 = SEED(1);
	a.seed2 = SEED(2);
	ASSERT_EQ(0, param_read("max_entry_size", &mes));
	if (mes != BIG_SIZE)
		diag("note: max_entry_size is %llu, not the default 64 MiB", (ull)mes);
	MK_FILLING(a.name, BIG_SIZE, 0);	/* max_total_bytes: listed + 64 MiB */
	ASSERT_EQ(0, chan_open(&a.ch));
	pid = spawn(self, kid_big, &a, &a.ch);	/* inherits neither file nor mapping */
	ASSERT_LE(0, pid);
	fd = OPEN_ATTACH(a.name);
	ASSERT_R(0, xmap((void **)&m, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	t0 = now_ns();
	pat_fill(m, 0, BIG_SIZE, a.seed1);
	diag("parent filled 64 MiB in %llu ms", (ull)((now_ns() - t0) / 1000000));
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'g'));
	ASSERT_RECV(a.ch.up[0], 'v', 150000, "child verified the parent's pattern and wrote its own");
	EXPECT_ATTACHED(2, a.name);
	for (k = 0; k < BIG_CHUNKS; k++) {
		EXPECT_PAT(m + pos, pos, big_off(k) - pos, a.seed1, "parent's data between the child's chunks");
		EXPECT_PAT(m + big_off(k), big_off(k), BIG_CHUNK, a.seed2, "child's chunk, in the parent's mapping");
		pos = big_off(k) + BIG_CHUNK;
	}
	EXPECT_EQ((ull)BIG_SIZE, (ull)pos);
	EXPECT_R(BIG_CHUNK, rr(pread(fd, g, BIG_CHUNK, big_off(3))));
	EXPECT_PAT(g, big_off(3), BIG_CHUNK, a.seed2, "child's chunk through the parent's pread()");

	ASSERT_R(0, w_remove(self->fd, a.name));
	EXPECT_R(-ENOENT, w_info(self->fd, a.name, NULL));
	EXPECT_RM(-ENOSPC, PROBE(), "(both processes hold the removed 64 MiB)");
	munmap(m, BIG_SIZE);
	close(fd);
	EXPECT_RM(-ENOSPC, PROBE(), "(the child still holds the removed 64 MiB)");
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'r'));
	ASSERT_RECV(a.ch.up[0], 'd', 100000, "child released its mapping and file");
	EXPECT_RM(0, PROBE(), "(64 MiB must be freed after both munmap + close)");
	ASSERT_EQ(0, chan_send(a.ch.down[1], 'q'));
	EXPECT_KID_OK(pid);
}

/* ================================================================== */
/* The module stays while in use                                       */
/* ================================================================== */

static long long module_refcnt(void)
{
	__u64 v;
	int r = read_u64_file("/sys/module/wms/refcnt", &v);

	return r ? r : (long long)v;
}

/* A mapping whose file is closed still holds a reference on the module. */
TEST_F(attach, module_ref_held_by_mapping)
{
	const char *n = NM("e");
	size_t ps = page_size();
	long long r0, r_open, r_map, r_after;
	unsigned char *m;
	int fd;

	close(self->fd);	/* this test must be the only user of /dev/wms */
	self->fd = -1;
	r0 = module_refcnt();
	ASSERT_LE(0LL, r0) TH_LOG("/sys/module/wms/refcnt: %s", rstr(r0));
	fd = open_wms();
	ASSERT_LE(0, fd);
	r_open = module_refcnt();
	ASSERT_LT(r0, r_open) TH_LOG("refcnt %lld with no file, %lld with one: it does not "
				     "count open files, so it proves nothing here", r0, r_open);
	ASSERT_EQ(0, w_add(fd, n, 2 * ps, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_R(0, w_attach(fd, n));
	ASSERT_R(0, xmap((void **)&m, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	r_map = module_refcnt();
	EXPECT_LT(r0, r_map) TH_LOG("refcnt %lld with only a mapping left, %lld with nothing: "
				    "the mapping does not pin the module", r_map, r0);
	m[0] = 1;
	munmap(m, 2 * ps);
	r_after = module_refcnt();
	EXPECT_EQ(r0, r_after) TH_LOG("refcnt after munmap: %lld, before anything: %lld",
				      r_after, r0);
	diag("refcnt: %lld idle, %lld with a file, %lld with only a mapping, %lld after",
	     r0, r_open, r_map, r_after);
	self->fd = open_wms();
	ASSERT_LE(0, self->fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* exit status of "rmmod wms" (busybox or kmod); its output in out */
static int run_rmmod(char *out, size_t outlen)
{
	static const char *const paths[] = { "/sbin/rmmod", "/usr/sbin/rmmod", "/bin/rmmod" };
	size_t n = 0;
	ssize_t r;
	int p[2], st = -1;
	unsigned int i;
	pid_t pid;

	out[0] = 0;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			execl(paths[i], "rmmod", "wms", (char *)NULL);
		execl("/bin/busybox", "busybox", "rmmod", "wms", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && n + 1 < outlen && (r = read(p[0], out + n, outlen - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return st;
}

/* modules that use wms's symbols (/sys/module/wms/holders), names in out */
static int module_holders(char *out, size_t outlen)
{
	DIR *d = opendir("/sys/module/wms/holders");
	struct dirent *de;
	size_t len = 0;
	int n = 0;

	out[0] = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		len += snprintf(out + len, len < outlen ? outlen - len : 0, " %s",
				de->d_name);
	}
	closedir(d);
	return n;
}

/*
 * rmmod wms while only a mapping uses it fails; everything keeps working.
 * Nothing else may pin the module (no open /dev/wms file, the fixture's
 * included, and no module using its symbols), else the refusal would not be
 * the mapping's doing.
 */
TEST_F(attach, rmmod_refused_while_mapped)
{
	const char *n = NM("e"), *t = NM("t");
	size_t ps = page_size();
	unsigned char *m, g[64];
	char out[512], holders[256];
	long long r0, r_map;
	int fd, st, nh;

	close(self->fd);	/* this test must be the only user of wms */
	self->fd = -1;
	nh = module_holders(holders, sizeof(holders));
	ASSERT_EQ(0, nh) TH_LOG("modules using wms:%s (%s): rmmod would be refused "
				"for them", holders, rstr(nh));
	r0 = module_refcnt();
	ASSERT_EQ(0LL, r0) TH_LOG("/sys/module/wms/refcnt is %s with none of our files "
				  "open: something else pins wms, so a refused rmmod "
				  "would prove nothing", rstr(r0));
	self->fd = open_wms();
	ASSERT_LE(0, self->fd);
	MKP(n, 2 * ps, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);		/* the mapping outlives its file */
	close(self->fd);	/* and is all that is left */
	self->fd = -1;
	r_map = module_refcnt();
	st = run_rmmod(out, sizeof(out));
	ASSERT_FALSE(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
		TH_LOG("could not run rmmod (tried /sbin, /usr/sbin, /bin, busybox)");
	EXPECT_FALSE(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("rmmod wms SUCCEEDED with only an entry mapped: %s", out);
	diag("refcnt %lld with nothing open, %lld with only a mapping; rmmod wms: %s; "
	     "it said: %s", r0, r_map, kid_status(st), strtok(out, "\n") ? out : "(nothing)");
	EXPECT_EQ(0, access("/sys/module/wms", F_OK)) TH_LOG("/sys/module/wms is gone");
	EXPECT_EQ(0, access(WMS_DEVICE_PATH, F_OK)) TH_LOG("%s is gone", WMS_DEVICE_PATH);
	/* everything still works */
	EXPECT_PAT(m, 0, 2 * ps, SEED(1), "mapping after the refused rmmod");
	m[3] = 0x33;
	self->fd = open_wms();
	ASSERT_LE(0, self->fd);
	fd = OPEN_ATTACH(n);
	EXPECT_R(64, rr(pread(fd, g, 64, 0)));
	EXPECT_EQ(0x33, g[3]);
	close(fd);
	EXPECT_R(0, w_add(self->fd, t, 8, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_R(0, w_remove(self->fd, t));
	munmap(m, 2 * ps);
	EXPECT_R(0, w_remove(self->fd, n));
}

int main(int argc, char **argv)
{
	return attach_main(argc, argv, "wms_map_test", "big_64mib_two_processes");
}
