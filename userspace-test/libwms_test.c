// SPDX-License-Identifier: GPL-2.0
/*
 * libwms_test: the C library of wms (lib/libwms.h) against the real module.
 *
 * Built static (64-bit and 32-bit, the library built with the same flags)
 * and run as root inside the test VMs and on the UML debug kernel. Uses the
 * kselftest harness; output is TAP. Every function of libwms is called, and
 * every error its man page lists is caused and checked (errno and the -1 or
 * NULL return), except those no test can cause:
 *
 *   - EINTR (READ/WRITE wait, close): only a fatal signal ends such a wait,
 *     and then the caller never sees the error;
 *   - ENOMEM of wms_read()/wms_write() (the kernel's bounce buffer) and of
 *     open(2), ENFILE, ENXIO, EIO: no reliable way to run the kernel out of
 *     those in a test;
 *   - EOVERFLOW of wms_map(): an entry larger than a 32-bit address space
 *     needs more than 4 GiB of kernel memory.
 *
 * The checks that must run as another user (uid/gid 65534), in a chroot
 * without /dev/wms, under a lowered RLIMIT_NOFILE or RLIMIT_AS, or in a
 * memory cgroup run in a child process, which reports the first check that
 * failed through a shared page.
 *
 * Every entry a test makes is named "lw.<test>." and removed by the
 * teardown (with wms_list_* and wms_remove); the module parameters a test
 * changes are restored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libwms.h>

#include "wms_util.h"

#define NOBODY		65534
#define CG_ROOT		"/sys/fs/cgroup"
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif
#define MiB		(1024ULL * 1024)

static __u64 g_seed;

/* What a child reports: the first check that failed (line 0: none). */
struct child_result {
	int line;
	int err;		/* errno at that check */
	char what[200];
};

static struct child_result *g_res;

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

/* In a test: CALL returns -1 and sets errno to ERR. */
#define EXPECT_ERR(err, call) do {					\
	long __r;							\
	errno = 0;							\
	__r = (long)(call);						\
	EXPECT_EQ(-1L, __r) TH_LOG("%s: returned %ld, expected -1 (%s)",\
				   #call, __r, errname(err));		\
	EXPECT_STREQ(errname(err), errname(errno)) TH_LOG("%s", #call);	\
} while (0)

/* In a test: CALL returns NULL and sets errno to ERR. */
#define EXPECT_NULL_ERR(err, call) do {					\
	void *__p;							\
	errno = 0;							\
	__p = (void *)(call);						\
	EXPECT_TRUE(__p == NULL) TH_LOG("%s: expected NULL (%s)", #call,	\
					errname(err));			\
	EXPECT_STREQ(errname(err), errname(errno)) TH_LOG("%s", #call);	\
} while (0)

/* In a child: record the first failed check and return 1 from the function. */
#define CK(cond) do {							\
	if (!(cond)) {							\
		g_res->line = __LINE__;					\
		g_res->err = errno;					\
		snprintf(g_res->what, sizeof(g_res->what), "%s", #cond);\
		return 1;						\
	}								\
} while (0)

/* In a child: CALL returns -1 with errno ERR. */
#define CK_ERR(err, call) do {						\
	long __r;							\
	errno = 0;							\
	__r = (long)(call);						\
	CK(__r == -1 && errno == (err));				\
} while (0)

#define CK_NULL_ERR(err, call) do {					\
	void *__p;							\
	errno = 0;							\
	__p = (void *)(call);						\
	CK(__p == NULL && errno == (err));				\
} while (0)

/*
 * Run @fn(@arg) in a child, as uid and gid 65534 if @as_user. Returns 0 when
 * it returned 0; else the harness gets the first failed check, logged.
 */
static int in_child(bool as_user, int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid;

	memset(g_res, 0, sizeof(*g_res));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (as_user && (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
				setresuid(NOBODY, NOBODY, NOBODY)))
			_exit(3);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (g_res->line)
		diag("child: line %d: %s failed (errno %s)", g_res->line, g_res->what,
		     errname(g_res->err));
	else
		diag("child: status %#x without a failed check", st);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Remove every entry whose name begins with @prefix; the number removed, or -errno. */
static int cleanup_prefix(int fd, const char *prefix)
{
	char (*names)[NAME_LEN] = NULL, (*nn)[NAME_LEN];
	size_t n = 0, cap = 0, i, pl = strlen(prefix);
	struct wms_list_entry e;
	struct wms_list_iter *it;
	int r;

	it = wms_list_begin(fd);
	if (!it)
		return -errno;
	while ((r = wms_list_next(it, &e)) > 0) {
		if (strncmp(e.name, prefix, pl))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		memcpy(names[n++], e.name, NAME_LEN);
	}
	r = r < 0 ? -errno : 0;
	wms_list_end(it);
	for (i = 0; i < n; i++) {
		if (wms_remove(fd, names[i]))
			diag("cleanup: remove %s: %s", names[i], errname(errno));
	}
	free(names);
	return r ? r : (int)n;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned char pat(unsigned int seed, size_t off)
{
	return (unsigned char)mix32(seed * 0x9e3779b9u ^ (unsigned int)(off + 1));
}

static void pat_fill(unsigned char *b, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(seed, i);
}

/* Index of the first byte of @b that is not pattern @seed from @off, or -1. */
static long pat_check(const unsigned char *b, size_t len, unsigned int seed, size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pat(seed, off + i))
			return (long)i;
	return -1;
}

/* A name of @len bytes: @prefix, then 'x's. */
static char *long_name(const char *prefix, size_t len)
{
	static char buf[2048];
	size_t pl = strlen(prefix);

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, prefix, pl < len ? pl : len);
	buf[len] = '\0';
	return buf;
}

static int rfile(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int wfile(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The fixture                                                         */
/* ------------------------------------------------------------------ */

FIXTURE(libwms) {
	int fd;			/* wms_open(O_RDWR | O_CLOEXEC) */
	char prefix[96];	/* "lw.<test>." */
	__u64 orig[P_NR];	/* module parameters at setup */
	char tmpdir[64];	/* a chroot, removed by the teardown */
	char cgdir[128];	/* a memory cgroup, removed by the teardown */
	bool cg_mounted, cg_enabled;
};

FIXTURE_SETUP(libwms)
{
	unsigned int k;

	self->fd = -1;
	ASSERT_EQ(0U, (unsigned int)geteuid()) TH_LOG("these tests must run as root");
	self->fd = wms_open(O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("wms_open: %s (is wms.ko loaded?)", strerror(errno));
	snprintf(self->prefix, sizeof(self->prefix), "lw.%s.", _metadata->name);
	for (k = 0; k < P_NR; k++) {
		const char *p = param_name[k];

		ASSERT_EQ(0, param_read(p, &self->orig[k]))
			TH_LOG("cannot read " PARAM_DIR "%s", p ? p : "?");
	}
	ASSERT_EQ(0, cleanup_prefix(self->fd, self->prefix));
}

FIXTURE_TEARDOWN(libwms)
{
	char path[128];
	unsigned int k;
	__u64 v;
	int n, i;

	if (self->cgdir[0]) {
		for (i = 0; i < 50 && rmdir(self->cgdir) && errno == EBUSY; i++)
			usleep(100000);
		EXPECT_NE(0, access(self->cgdir, F_OK)) TH_LOG("rmdir %s failed", self->cgdir);
	}
	if (self->cg_enabled)
		EXPECT_EQ(0, wfile(CG_ROOT "/cgroup.subtree_control", "-memory"));
	if (self->cg_mounted)
		umount2(CG_ROOT, 0);
	if (self->tmpdir[0]) {
		snprintf(path, sizeof(path), "%s/dev/wms", self->tmpdir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/dev", self->tmpdir);
		rmdir(path);
		EXPECT_EQ(0, rmdir(self->tmpdir)) TH_LOG("rmdir %s: %s", self->tmpdir,
							strerror(errno));
	}
	if (self->fd < 0)
		return;
	for (k = 0; k < P_NR; k++)
		if (!param_read(param_name[k], &v) && v != self->orig[k])
			EXPECT_EQ(0, param_write(param_name[k], self->orig[k]));
	/* The tests leave their entries to this (wms_remove, wms_list_*). */
	n = cleanup_prefix(self->fd, self->prefix);
	EXPECT_LE(0, n) TH_LOG("removing the test's entries: %s", errname(n));
	wms_close(self->fd);
}

#define NM(...)	mkname(self->prefix, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* wms_open, wms_close                                                 */
/* ------------------------------------------------------------------ */

/* Each access mode opens; O_CLOEXEC is honoured; every call works through each. */
TEST_F(libwms, open_modes_and_close)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	unsigned char buf[8];
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		fd = wms_open(modes[i]);
		ASSERT_LE(0, fd) TH_LOG("wms_open(%d): %s", modes[i], strerror(errno));
		EXPECT_EQ(modes[i], fcntl(fd, F_GETFL) & O_ACCMODE);
		EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
		/* The calls do not depend on the access mode. */
		EXPECT_EQ(1, wms_add(fd, NM("m%u", i), 8, 0600, 0, NULL));
		EXPECT_EQ(0, wms_write(fd, NM("m%u", i), 0, "12345678", 8));
		EXPECT_EQ(8, wms_read(fd, NM("m%u", i), 0, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, "12345678", 8));
		EXPECT_EQ(0, wms_remove(fd, NM("m%u", i)));
		EXPECT_EQ(0, wms_close(fd));
		/* closed: the number is free again */
		EXPECT_ERR(EBADF, wms_close(fd));
		fd = wms_open(modes[i] | O_CLOEXEC);
		ASSERT_LE(0, fd);
		EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(0, wms_close(fd));
	}
	EXPECT_ERR(EBADF, wms_close(-1));
}

/* wms_open and wms_attach take an access mode and O_CLOEXEC only. */
TEST_F(libwms, open_flags_einval)
{
	static const int bad[] = {
		O_RDWR | O_WRONLY, O_ACCMODE | O_CLOEXEC, O_RDWR | O_CREAT,
		O_RDONLY | O_NONBLOCK, O_RDWR | O_APPEND, O_RDWR | O_TRUNC,
		O_RDWR | O_EXCL, O_RDWR | O_NOCTTY, O_RDWR | O_SYNC, 1 << 30, -1,
	};
	unsigned int i;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 16, 0600, 0, NULL));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, wms_open(bad[i])) TH_LOG("flags %#x", bad[i]);
		EXPECT_STREQ("EINVAL", errname(errno)) TH_LOG("flags %#x", bad[i]);
		errno = 0;
		EXPECT_EQ(-1, wms_attach(NM("a"), bad[i])) TH_LOG("flags %#x", bad[i]);
		EXPECT_STREQ("EINVAL", errname(errno)) TH_LOG("flags %#x", bad[i]);
	}
	/* flags come first: a bad name is not looked at */
	EXPECT_ERR(EINVAL, wms_attach(NULL, O_RDWR | O_CREAT));
}

struct chroot_arg {
	const char *dir;
	dev_t rdev;
	char name[NAME_LEN];
};

/* In a chroot without /dev/wms, then with a node of it only root may open. */
static int chroot_child(void *p)
{
	struct chroot_arg *a = p;
	size_t size;
	int fd;

	CK(chroot(a->dir) == 0 && chdir("/") == 0);
	CK_ERR(ENOENT, wms_open(O_RDWR));
	CK_ERR(ENOENT, wms_attach(a->name, O_RDONLY));
	CK_NULL_ERR(ENOENT, wms_map(a->name, PROT_READ, &size));
	CK(mknod("/dev/wms", S_IFCHR | 0600, a->rdev) == 0);
	/* the node is used: root opens it, and the entry is there */
	fd = wms_attach(a->name, O_RDONLY);
	CK(fd >= 0);
	CK(wms_close(fd) == 0);
	CK(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
	   setresuid(NOBODY, NOBODY, NOBODY) == 0);
	CK_ERR(EACCES, wms_open(O_RDWR));
	CK_ERR(EACCES, wms_open(O_RDONLY | O_CLOEXEC));
	CK_ERR(EACCES, wms_attach(a->name, O_RDONLY));
	CK_NULL_ERR(EACCES, wms_map(a->name, PROT_READ, &size));
	return 0;
}

/* ENOENT without /dev/wms (the module not loaded), EACCES from the node's mode. */
TEST_F(libwms, open_enoent_eacces)
{
	struct chroot_arg a;
	struct stat st;
	char dev[128];

	ASSERT_EQ(0, stat(WMS_DEVICE_PATH, &st));
	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 16, 0644, 0, NULL));
	snprintf(self->tmpdir, sizeof(self->tmpdir), "/tmp/lw.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->tmpdir) != NULL) TH_LOG("mkdtemp: %s", strerror(errno));
	snprintf(dev, sizeof(dev), "%s/dev", self->tmpdir);
	ASSERT_EQ(0, mkdir(dev, 0755));
	ASSERT_EQ(0, chmod(self->tmpdir, 0755));
	a.dir = self->tmpdir;
	a.rdev = st.st_rdev;
	snprintf(a.name, sizeof(a.name), "%s", NM("a"));
	EXPECT_EQ(0, in_child(false, chroot_child, &a));
}

/* With no file descriptor left: EMFILE from each function that opens one. */
static int emfile_child(void *p)
{
	const char *name = p;
	struct rlimit rl;
	size_t size;
	int fd;

	fd = dup(0);
	CK(fd >= 0);
	close(fd);
	rl.rlim_cur = rl.rlim_max = fd;	/* the lowest free number is too high now */
	CK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	CK_ERR(EMFILE, wms_open(O_RDWR | O_CLOEXEC));
	CK_ERR(EMFILE, wms_attach(name, O_RDWR | O_CLOEXEC));
	CK_NULL_ERR(EMFILE, wms_map(name, PROT_READ, &size));
	return 0;
}

TEST_F(libwms, open_emfile)
{
	char name[NAME_LEN];

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 16, 0600, 0, NULL));
	snprintf(name, sizeof(name), "%s", NM("a"));
	EXPECT_EQ(0, in_child(false, emfile_child, name));
}

/* ------------------------------------------------------------------ */
/* wms_add                                                             */
/* ------------------------------------------------------------------ */

TEST_F(libwms, add_creates_finds_excl)
{
	struct wms_info info;
	__u64 t0 = now_ns();
	uint64_t size = 12345;
	unsigned char buf[100];
	size_t i, nz = 0;

	EXPECT_EQ(1, wms_add(self->fd, NM("a"), 100, 0640, 0, &size));
	EXPECT_EQ(100U, size);
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(100U, info.size);
	EXPECT_EQ(0640U, info.mode);
	EXPECT_EQ(0U, info.uid);
	EXPECT_EQ(0U, info.gid);
	EXPECT_LE(t0, info.ctime_ns);
	/* found: its own size and mode, whatever is asked */
	size = 0;
	EXPECT_EQ(0, wms_add(self->fd, NM("a"), 999, 0666, 0, &size));
	EXPECT_EQ(100U, size);
	EXPECT_EQ(0, wms_add(self->fd, NM("a"), 1, 0, 0, NULL));
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(0640U, info.mode);
	EXPECT_EQ(100U, info.size);
	/* WMS_ADD_EXCL: EEXIST when it exists (size left alone), else creates */
	size = 7;
	EXPECT_ERR(EEXIST, wms_add(self->fd, NM("a"), 100, 0640, WMS_ADD_EXCL, &size));
	EXPECT_EQ(7U, size);
	EXPECT_EQ(1, wms_add(self->fd, NM("b"), 0, 0644, WMS_ADD_EXCL, &size));
	EXPECT_EQ(0U, size);
	/* mode & 0777, and 0 means 0600 */
	EXPECT_EQ(1, wms_add(self->fd, NM("c"), 1, 0, 0, NULL));
	ASSERT_EQ(0, wms_info(self->fd, NM("c"), &info));
	EXPECT_EQ(0600U, info.mode);
	EXPECT_EQ(1, wms_add(self->fd, NM("d"), 1, 07644, 0, NULL));
	ASSERT_EQ(0, wms_info(self->fd, NM("d"), &info));
	EXPECT_EQ(0644U, info.mode);
	/* the longest name */
	EXPECT_EQ(1, wms_add(self->fd, long_name(NM("l"), WMS_NAME_MAX), 1, 0600, 0, NULL));
	EXPECT_EQ(0, wms_remove(self->fd, long_name(NM("l"), WMS_NAME_MAX)));
	/* new data is zero */
	EXPECT_EQ(100, wms_read(self->fd, NM("a"), 0, buf, sizeof(buf)));
	for (i = 0; i < sizeof(buf); i++)
		nz += buf[i] != 0;
	EXPECT_EQ(0U, nz);
}

TEST_F(libwms, add_errors)
{
	__u64 max_size;
	uint64_t size = 99;
	int devnull;

	EXPECT_ERR(EFAULT, wms_add(self->fd, NULL, 1, 0600, 0, NULL));
	EXPECT_ERR(EBADF, wms_add(-1, NM("a"), 1, 0600, 0, NULL));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	EXPECT_ERR(ENOTTY, wms_add(devnull, NM("a"), 1, 0600, 0, NULL));
	close(devnull);
	EXPECT_ERR(EINVAL, wms_add(self->fd, NM("a"), 1, 0600, 2, NULL));
	EXPECT_ERR(EINVAL, wms_add(self->fd, NM("a"), 1, 0600, WMS_ADD_CREATED, NULL));
	EXPECT_ERR(EINVAL, wms_add(self->fd, NM("a"), 1, 0600, ~0U, NULL));
	/* the flags before the name */
	EXPECT_ERR(EINVAL, wms_add(self->fd, long_name("lw.", 300), 1, 0600, 2, NULL));
	EXPECT_ERR(ENAMETOOLONG, wms_add(self->fd, long_name(NM("l"), WMS_NAME_MAX + 1),
					 1, 0600, 0, NULL));
	EXPECT_ERR(ENAMETOOLONG, wms_add(self->fd, long_name(NM("l"), 1000), 1, 0600, 0, NULL));
	EXPECT_ERR(EINVAL, wms_add(self->fd, "", 1, 0600, 0, NULL));
	EXPECT_ERR(EINVAL, wms_add(self->fd, ".", 1, 0600, 0, NULL));
	EXPECT_ERR(EINVAL, wms_add(self->fd, "..", 1, 0600, 0, NULL));
	EXPECT_ERR(EINVAL, wms_add(self->fd, NM("a/b"), 1, 0600, 0, NULL));
	/* reserved: a '.' name that does not exist */
	EXPECT_ERR(EPERM, wms_add(self->fd, ".lw.reserved", 1, 0600, 0, NULL));
	EXPECT_ERR(EPERM, wms_add(self->fd, ".lw.reserved", 1, 0600, WMS_ADD_EXCL, NULL));
	ASSERT_EQ(0, param_read("max_entry_size", &max_size));
	EXPECT_ERR(EFBIG, wms_add(self->fd, NM("big"), max_size + 1, 0600, 0, &size));
	EXPECT_ERR(EFBIG, wms_add(self->fd, NM("big"), UINT64_MAX, 0600, 0, &size));
	EXPECT_EQ(99U, size);
	/* nothing was made */
	EXPECT_EQ(0, cleanup_prefix(self->fd, self->prefix));
}

TEST_F(libwms, add_enospc)
{
	__u64 entries;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 1, 0600, 0, NULL));
	ASSERT_EQ(0, read_u64_file("/sys/class/misc/wms/entries", &entries));
	ASSERT_EQ(0, param_write("max_entries", entries));
	EXPECT_ERR(ENOSPC, wms_add(self->fd, NM("b"), 1, 0600, 0, NULL));
	/* finding one is no creation: no limit applies */
	EXPECT_EQ(0, wms_add(self->fd, NM("a"), 1, 0600, 0, NULL));
	ASSERT_EQ(0, param_write("max_entries", self->orig[P_ENTRIES]));
	EXPECT_EQ(1, wms_add(self->fd, NM("b"), 1, 0600, 0, NULL));
}

/*
 * An entry four times the group's limit cannot be charged. The module frees
 * (and so uncharges) what it got before ADD returns: the group's usage is
 * back at once, within cg_slack() for the per-CPU charge caches (up to 64
 * pages a CPU: 9 MiB with 64 KiB pages and 2 CPUs), and a small entry fits
 * right after. (A failed __vmalloc() frees its pages from a workqueue on
 * 7.2: a small ADD then failed with ENOMEM in 9 of 60 runs under load, with
 * 16 MiB still charged.)
 */
#define CG_MAX_BYTES	(16 * MiB)
#define CG_ENTRY_BYTES	(64 * MiB)

static __u64 cg_slack(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);

	return (__u64)(cpus > 0 ? cpus : 1) * 64 * (__u64)getpagesize() + MiB;
}

static void __attribute__((noinline)) touch_stack(void)
{
	volatile char b[64 * 1024];
	size_t i;

	for (i = 0; i < sizeof(b); i += 256)
		b[i] = (char)i;
}

struct memcg_arg {
	const char *procs;	/* the group's cgroup.procs */
	char current[160];	/* and its memory.current */
	int fd;
	char name[NAME_LEN];
};

/* Moves itself into the group; an entry larger than memory.max cannot be charged. */
static int memcg_child(void *p)
{
	struct memcg_arg *a = p;
	uint64_t size = 5;
	__u64 before, after;

	touch_stack();
	CK(wfile(a->procs, "0") == 0);
	CK(read_u64_file(a->current, &before) == 0);
	CK_ERR(ENOMEM, wms_add(a->fd, a->name, CG_ENTRY_BYTES, 0600, 0, &size));
	CK(size == 5);
	/* All or nothing: the failed ADD's charge is gone when it returns. */
	CK(read_u64_file(a->current, &after) == 0);
	if (after > before + cg_slack()) {
		g_res->line = __LINE__;
		g_res->err = 0;
		snprintf(g_res->what, sizeof(g_res->what),
			 "memory.current %llu after the failed ADD, %llu before (slack %llu)",
			 (ull)after, (ull)before, (ull)cg_slack());
		return 1;
	}
	/* a small one fits */
	CK(wms_add(a->fd, a->name, 4096, 0600, 0, &size) == 1);
	CK(size == 4096);
	return 0;
}

/* ENOMEM: the caller's memory cgroup refuses the charge. */
TEST_F(libwms, add_enomem_memcg)
{
	struct memcg_arg a;
	char buf[512], path[160];
	struct statfs sf;
	__u64 v;

	ASSERT_EQ(0, param_read("max_entry_size", &v));
	if (v < CG_ENTRY_BYTES)
		ASSERT_EQ(0, param_write("max_entry_size", CG_ENTRY_BYTES));
	ASSERT_EQ(0, param_read("max_total_bytes", &v));
	if (v < 8 * CG_ENTRY_BYTES)
		ASSERT_EQ(0, param_write("max_total_bytes", 8 * CG_ENTRY_BYTES));
	if (statfs(CG_ROOT, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		mkdir("/sys/fs", 0755);
		mkdir(CG_ROOT, 0755);
		ASSERT_EQ(0, mount("none", CG_ROOT, "cgroup2", 0, NULL))
			TH_LOG("mount cgroup2 on %s: %s", CG_ROOT, strerror(errno));
		self->cg_mounted = true;
	}
	ASSERT_EQ(0, rfile(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)));
	ASSERT_TRUE(strstr(buf, "memory") != NULL) TH_LOG("no memory controller: '%s'", buf);
	ASSERT_EQ(0, rfile(CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf)));
	if (!strstr(buf, "memory")) {
		ASSERT_EQ(0, wfile(CG_ROOT "/cgroup.subtree_control", "+memory"))
			TH_LOG("+memory: %s", strerror(errno));
		self->cg_enabled = true;
	}
	snprintf(self->cgdir, sizeof(self->cgdir), CG_ROOT "/lw.memcg.%d", getpid());
	ASSERT_EQ(0, mkdir(self->cgdir, 0755)) TH_LOG("mkdir %s: %s", self->cgdir,
						     strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.max", self->cgdir);
	snprintf(buf, sizeof(buf), "%llu", (ull)CG_MAX_BYTES);
	ASSERT_EQ(0, wfile(path, buf));
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->cgdir);
	a.procs = path;
	snprintf(a.current, sizeof(a.current), "%s/memory.current", self->cgdir);
	a.fd = self->fd;
	snprintf(a.name, sizeof(a.name), "%s", NM("a"));
	EXPECT_EQ(0, in_child(false, memcg_child, &a));
	EXPECT_EQ(0, wms_remove(self->fd, NM("a")));
}

/* ------------------------------------------------------------------ */
/* As another user: EACCES and EPERM                                   */
/* ------------------------------------------------------------------ */

struct user_arg {
	int fd;
	char priv[NAME_LEN], pub[NAME_LEN], own[NAME_LEN];
};

static int user_child(void *p)
{
	struct user_arg *a = p;
	struct wms_info info;
	unsigned char buf[16];
	uint64_t size = 0;
	size_t msize;
	char *m;
	int fd;

	/* priv: root's, 0600 */
	CK_ERR(EACCES, wms_add(a->fd, a->priv, 16, 0600, 0, &size));
	CK_ERR(EACCES, wms_read(a->fd, a->priv, 0, buf, sizeof(buf)));
	CK_ERR(EACCES, wms_write(a->fd, a->priv, 0, buf, 1));
	CK_ERR(EACCES, wms_attach(a->priv, O_RDONLY));
	CK_NULL_ERR(EACCES, wms_map(a->priv, PROT_READ, &msize));
	CK_ERR(EPERM, wms_remove(a->fd, a->priv));
	CK(wms_info(a->fd, a->priv, &info) == 0 && info.uid == 0);	/* public */
	/* pub: root's, 0644: read, not write, not remove */
	CK(wms_add(a->fd, a->pub, 1, 0600, 0, &size) == 0 && size == 16);
	CK(wms_read(a->fd, a->pub, 0, buf, sizeof(buf)) == 16);
	CK_ERR(EACCES, wms_write(a->fd, a->pub, 0, buf, 1));
	CK_ERR(EPERM, wms_remove(a->fd, a->pub));
	m = wms_map(a->pub, PROT_READ, &msize);
	CK(m && msize == 16);
	CK(wms_unmap(m, msize) == 0);
	CK_NULL_ERR(EACCES, wms_map(a->pub, PROT_READ | PROT_WRITE, &msize));
	/* attached read-write, but without write permission */
	fd = wms_attach(a->pub, O_RDWR);
	CK(fd >= 0);
	CK_ERR(EACCES, write(fd, "x", 1));
	CK(wms_close(fd) == 0);
	/* reserved names are the kernel's, for every user */
	CK_ERR(EPERM, wms_add(a->fd, ".lw.user", 1, 0600, 0, NULL));
	/* its own entry: made, owned, written and removed */
	CK(wms_add(a->fd, a->own, 32, 0600, WMS_ADD_EXCL, &size) == 1 && size == 32);
	CK(wms_info(a->fd, a->own, &info) == 0 && info.uid == NOBODY && info.gid == NOBODY);
	CK(wms_write(a->fd, a->own, 0, "mine", 4) == 0);
	CK(wms_remove(a->fd, a->own) == 0);
	return 0;
}

TEST_F(libwms, as_user_eacces_eperm)
{
	struct user_arg a;

	ASSERT_EQ(1, wms_add(self->fd, NM("priv"), 16, 0600, 0, NULL));
	ASSERT_EQ(1, wms_add(self->fd, NM("pub"), 16, 0644, 0, NULL));
	a.fd = self->fd;
	snprintf(a.priv, sizeof(a.priv), "%s", NM("priv"));
	snprintf(a.pub, sizeof(a.pub), "%s", NM("pub"));
	snprintf(a.own, sizeof(a.own), "%s", NM("own"));
	EXPECT_EQ(0, in_child(true, user_child, &a));
	EXPECT_ERR(ENOENT, wms_remove(self->fd, NM("own")));
}

/* ------------------------------------------------------------------ */
/* wms_remove                                                          */
/* ------------------------------------------------------------------ */

TEST_F(libwms, remove_and_errors)
{
	struct wms_info info;
	int devnull;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 8, 0600, 0, NULL));
	EXPECT_EQ(0, wms_remove(self->fd, NM("a")));
	EXPECT_ERR(ENOENT, wms_info(self->fd, NM("a"), &info));
	EXPECT_ERR(ENOENT, wms_remove(self->fd, NM("a")));
	/* the name is free again: a new entry */
	EXPECT_EQ(1, wms_add(self->fd, NM("a"), 4, 0600, WMS_ADD_EXCL, NULL));
	EXPECT_EQ(0, wms_remove(self->fd, NM("a")));
	EXPECT_ERR(EFAULT, wms_remove(self->fd, NULL));
	EXPECT_ERR(EBADF, wms_remove(-1, NM("a")));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	EXPECT_ERR(ENOTTY, wms_remove(devnull, NM("a")));
	close(devnull);
	EXPECT_ERR(ENAMETOOLONG, wms_remove(self->fd, long_name(NM("l"), WMS_NAME_MAX + 1)));
	EXPECT_ERR(EINVAL, wms_remove(self->fd, ""));
	EXPECT_ERR(EINVAL, wms_remove(self->fd, "."));
	EXPECT_ERR(EINVAL, wms_remove(self->fd, NM("a/b")));
	/* EPERM: as_user_eacces_eperm */
}

/* ------------------------------------------------------------------ */
/* wms_info                                                            */
/* ------------------------------------------------------------------ */

TEST_F(libwms, info_fields_and_attached)
{
	struct wms_info info;
	__u64 t0, t1;
	int a, b;

	t0 = now_ns();
	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 5000, 0604, 0, NULL));
	t1 = now_ns();
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_STREQ(NM("a"), info.name);
	EXPECT_EQ(5000U, info.size);
	EXPECT_EQ(0U, info.uid);
	EXPECT_EQ(0U, info.gid);
	EXPECT_EQ(0604U, info.mode);
	EXPECT_EQ(0U, info.attached);
	EXPECT_LE(t0, info.ctime_ns);
	EXPECT_GE(t1, info.ctime_ns);
	/* attached: open files, a dup counting once */
	a = wms_attach(NM("a"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(1U, info.attached);
	b = dup(a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(1U, info.attached);
	EXPECT_EQ(0, wms_close(a));
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(1U, info.attached);
	EXPECT_EQ(0, wms_close(b));
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(0U, info.attached);
}

TEST_F(libwms, info_errors)
{
	struct wms_info info, before;
	int devnull;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 8, 0600, 0, NULL));
	memset(&info, 0x5a, sizeof(info));
	before = info;
	EXPECT_ERR(EFAULT, wms_info(self->fd, NULL, &info));
	EXPECT_ERR(EFAULT, wms_info(self->fd, NM("a"), NULL));
	EXPECT_ERR(EBADF, wms_info(-1, NM("a"), &info));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	EXPECT_ERR(ENOTTY, wms_info(devnull, NM("a"), &info));
	close(devnull);
	EXPECT_ERR(ENAMETOOLONG, wms_info(self->fd, long_name(NM("l"), 300), &info));
	EXPECT_ERR(EINVAL, wms_info(self->fd, "", &info));
	EXPECT_ERR(EINVAL, wms_info(self->fd, "..", &info));
	EXPECT_ERR(EINVAL, wms_info(self->fd, NM("x/y"), &info));
	EXPECT_ERR(ENOENT, wms_info(self->fd, NM("none"), &info));
	/* *info is left alone on failure */
	EXPECT_EQ(0, memcmp(&info, &before, sizeof(info)));
}

/* ------------------------------------------------------------------ */
/* wms_read, wms_write                                                 */
/* ------------------------------------------------------------------ */

TEST_F(libwms, read_write_ranges)
{
	const size_t size = 10000;
	unsigned int seed = (unsigned int)g_seed;
	unsigned char *w, *r;
	long bad;

	w = malloc(size);
	r = malloc(size + 100);
	ASSERT_TRUE(w && r);
	ASSERT_EQ(1, wms_add(self->fd, NM("a"), size, 0600, 0, NULL));
	pat_fill(w, size, seed);
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), 0, w, size));
	memset(r, 0, size + 100);
	EXPECT_EQ((ssize_t)size, wms_read(self->fd, NM("a"), 0, r, size + 100));
	bad = pat_check(r, size, seed, 0);
	EXPECT_EQ(-1, bad) TH_LOG("byte %ld differs", bad);
	/* at an offset, and short across the end */
	EXPECT_EQ(100, wms_read(self->fd, NM("a"), size - 100, r, 1000));
	bad = pat_check(r, 100, seed, size - 100);
	EXPECT_EQ(-1, bad);
	EXPECT_EQ(0, wms_read(self->fd, NM("a"), size, r, 10));
	EXPECT_EQ(0, wms_read(self->fd, NM("a"), size + 1, r, 10));
	EXPECT_EQ(0, wms_read(self->fd, NM("a"), UINT64_MAX - 10, r, 10));
	EXPECT_EQ(0, wms_read(self->fd, NM("a"), 0, r, 0));
	/* nothing to copy: the buffer is not used */
	EXPECT_EQ(0, wms_read(self->fd, NM("a"), size, NULL, 10));
	/* a length beyond SSIZE_MAX: what there is */
	EXPECT_EQ((ssize_t)size, wms_read(self->fd, NM("a"), 0, r, SIZE_MAX));
	/* a write in the middle */
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), 4000, "hello", 5));
	EXPECT_EQ(7, wms_read(self->fd, NM("a"), 3999, r, 7));
	EXPECT_EQ(pat(seed, 3999), r[0]);
	EXPECT_EQ(0, memcmp(r + 1, "hello", 5));
	EXPECT_EQ(pat(seed, 4005), r[6]);
	/* up to the end exactly, and 0 bytes at the end and before it */
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), size - 3, "xyz", 3));
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), size, NULL, 0));
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), 5, NULL, 0));
	/* EFBIG: crossing the end writes nothing; 0 bytes past the end too */
	EXPECT_ERR(EFBIG, wms_write(self->fd, NM("a"), size - 2, "abc", 3));
	EXPECT_ERR(EFBIG, wms_write(self->fd, NM("a"), size, "a", 1));
	EXPECT_ERR(EFBIG, wms_write(self->fd, NM("a"), size + 1, NULL, 0));
	EXPECT_EQ(3, wms_read(self->fd, NM("a"), size - 3, r, 3));
	EXPECT_EQ(0, memcmp(r, "xyz", 3));
	free(w);
	free(r);
}

TEST_F(libwms, read_write_errors)
{
	size_t page = page_size();
	unsigned char buf[64];
	unsigned char *ro, *gone;
	int devnull;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 64, 0600, 0, NULL));
	EXPECT_ERR(EFAULT, wms_read(self->fd, NULL, 0, buf, 1));
	EXPECT_ERR(EFAULT, wms_write(self->fd, NULL, 0, buf, 1));
	EXPECT_ERR(EBADF, wms_read(-1, NM("a"), 0, buf, 1));
	EXPECT_ERR(EBADF, wms_write(-1, NM("a"), 0, buf, 1));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	EXPECT_ERR(ENOTTY, wms_read(devnull, NM("a"), 0, buf, 1));
	EXPECT_ERR(ENOTTY, wms_write(devnull, NM("a"), 0, buf, 1));
	close(devnull);
	EXPECT_ERR(ENAMETOOLONG, wms_read(self->fd, long_name(NM("l"), 256), 0, buf, 1));
	EXPECT_ERR(ENAMETOOLONG, wms_write(self->fd, long_name(NM("l"), 256), 0, buf, 1));
	EXPECT_ERR(EINVAL, wms_read(self->fd, "", 0, buf, 1));
	EXPECT_ERR(EINVAL, wms_write(self->fd, "/", 0, buf, 1));
	/* offset + len overflows 64 bits */
	EXPECT_ERR(EINVAL, wms_read(self->fd, NM("a"), UINT64_MAX, buf, 2));
	EXPECT_ERR(EINVAL, wms_write(self->fd, NM("a"), UINT64_MAX, buf, 2));
	EXPECT_ERR(ENOENT, wms_read(self->fd, NM("none"), 0, buf, 1));
	EXPECT_ERR(ENOENT, wms_write(self->fd, NM("none"), 0, buf, 1));
	/* EFAULT: a buffer that cannot be written, or read */
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	gone = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(gone != MAP_FAILED);
	ASSERT_EQ(0, munmap(gone, page));
	EXPECT_ERR(EFAULT, wms_read(self->fd, NM("a"), 0, ro, 16));
	EXPECT_ERR(EFAULT, wms_read(self->fd, NM("a"), 0, gone, 16));
	EXPECT_ERR(EFAULT, wms_write(self->fd, NM("a"), 0, gone, 16));
	/* readable is enough to write from */
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), 0, ro, 16));
	munmap(ro, page);
	/* EACCES: as_user_eacces_eperm */
}

/* ------------------------------------------------------------------ */
/* wms_list_begin, wms_list_next, wms_list_end                         */
/* ------------------------------------------------------------------ */

#define NLIST	150	/* more than two of the library's batches */

TEST_F(libwms, list_walk)
{
	static unsigned char seen[NLIST + 1];
	struct wms_list_entry e;
	struct wms_list_iter *it;
	unsigned int k, last = 0, ours = 0;
	size_t pl = strlen(self->prefix);
	int r;

	for (k = 0; k < NLIST; k++)
		ASSERT_EQ(1, wms_add(self->fd, NM("e%03u", k), k, 0600 | (k & 7) << 3, 0, NULL));
	it = wms_list_begin(self->fd);
	ASSERT_TRUE(it != NULL);
	memset(seen, 0, sizeof(seen));
	memset(&e, 0xff, sizeof(e));
	while ((r = wms_list_next(it, &e)) == 1) {
		if (strncmp(e.name, self->prefix, pl))
			continue;
		ASSERT_EQ(1, sscanf(e.name + pl, "e%03u", &k)) TH_LOG("%s", e.name);
		ASSERT_LT(k, (unsigned int)NLIST);
		EXPECT_EQ(0, seen[k]++) TH_LOG("%s twice", e.name);
		/* creation order */
		EXPECT_TRUE(!ours || k > last) TH_LOG("%u after %u", k, last);
		last = k;
		ours++;
		EXPECT_EQ(k, e.size);
		EXPECT_EQ(0600U | (k & 7) << 3, e.mode);
		EXPECT_EQ(0U, e.uid);
		EXPECT_EQ(0U, e.gid);
		EXPECT_EQ(0U, e.reserved);
		EXPECT_EQ('\0', e.name[WMS_NAME_MAX]);
	}
	EXPECT_EQ(0, r);
	EXPECT_EQ((unsigned int)NLIST, ours);
	/* the end stays the end, even with a new entry */
	ASSERT_EQ(1, wms_add(self->fd, NM("late"), 1, 0600, 0, NULL));
	EXPECT_EQ(0, wms_list_next(it, &e));
	EXPECT_EQ(0, wms_list_next(it, &e));
	/* wms_list_end leaves errno as it was */
	errno = EXDEV;
	wms_list_end(it);
	EXPECT_EQ(EXDEV, errno);
	wms_list_end(NULL);
	EXPECT_EQ(EXDEV, errno);
	/* a new walk sees it */
	it = wms_list_begin(self->fd);
	ASSERT_TRUE(it != NULL);
	k = 0;
	while ((r = wms_list_next(it, &e)) == 1)
		k += !strcmp(e.name, NM("late"));
	EXPECT_EQ(0, r);
	EXPECT_EQ(1U, k);
	wms_list_end(it);
}

/* Entries removed and added during a walk: the others come exactly once. */
TEST_F(libwms, list_changes_during_walk)
{
	static unsigned char seen[NLIST];
	struct wms_list_entry e;
	struct wms_list_iter *it;
	size_t pl = strlen(self->prefix);
	unsigned int k, n = 0, news = 0;
	bool changed = false;
	int r;

	for (k = 0; k < NLIST; k++)
		ASSERT_EQ(1, wms_add(self->fd, NM("e%03u", k), 1, 0600, 0, NULL));
	it = wms_list_begin(self->fd);
	ASSERT_TRUE(it != NULL);
	memset(seen, 0, sizeof(seen));
	while ((r = wms_list_next(it, &e)) == 1) {
		if (strncmp(e.name, self->prefix, pl))
			continue;
		if (e.name[pl] == 'n') {
			news++;
			continue;
		}
		ASSERT_EQ(1, sscanf(e.name + pl, "e%03u", &k));
		EXPECT_EQ(0, seen[k]++) TH_LOG("%s twice", e.name);
		if (++n == 10 && !changed) {
			/* ahead of the walk: 100..139 go, 20 new ones come */
			for (k = 100; k < 140; k++)
				ASSERT_EQ(0, wms_remove(self->fd, NM("e%03u", k)));
			for (k = 0; k < 20; k++)
				ASSERT_EQ(1, wms_add(self->fd, NM("n%02u", k), 1, 0600, 0, NULL));
			changed = true;
		}
	}
	EXPECT_EQ(0, r);
	wms_list_end(it);
	EXPECT_TRUE(changed);
	for (k = 0; k < NLIST; k++)
		if (k < 100 || k >= 140)
			EXPECT_EQ(1, seen[k]) TH_LOG("e%03u seen %u times", k, seen[k]);
	EXPECT_GE(20U, news);
	diag("list_changes_during_walk: %u of the 20 added during the walk seen", news);
}

struct enomem_arg {
	int fd;
	char name[NAME_LEN];
};

static int list_enomem_child(void *p)
{
	struct enomem_arg *a = p;
	struct rlimit rl = { 0, 0 };
	size_t size = 3;

	CK(setrlimit(RLIMIT_AS, &rl) == 0);
	CK_NULL_ERR(ENOMEM, wms_list_begin(a->fd));
	CK_NULL_ERR(ENOMEM, wms_map(a->name, PROT_READ, &size));
	CK(size == 3);
	return 0;
}

TEST_F(libwms, list_errors)
{
	struct enomem_arg ea;
	struct wms_list_entry e;
	struct wms_list_iter *it;
	int devnull;

	it = wms_list_begin(self->fd);
	ASSERT_TRUE(it != NULL);
	EXPECT_ERR(EFAULT, wms_list_next(NULL, &e));
	EXPECT_ERR(EFAULT, wms_list_next(it, NULL));
	wms_list_end(it);
	it = wms_list_begin(-1);
	ASSERT_TRUE(it != NULL);
	EXPECT_ERR(EBADF, wms_list_next(it, &e));
	EXPECT_ERR(EBADF, wms_list_next(it, &e));
	wms_list_end(it);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, devnull);
	it = wms_list_begin(devnull);
	ASSERT_TRUE(it != NULL);
	EXPECT_ERR(ENOTTY, wms_list_next(it, &e));
	wms_list_end(it);
	close(devnull);
	/* ENOMEM: no address space left (and wms_map's mmap, below) */
	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 16, 0600, 0, NULL));
	ea.fd = self->fd;
	snprintf(ea.name, sizeof(ea.name), "%s", NM("a"));
	EXPECT_EQ(0, in_child(false, list_enomem_child, &ea));
}

/* ------------------------------------------------------------------ */
/* wms_attach                                                          */
/* ------------------------------------------------------------------ */

TEST_F(libwms, attach_file_ops)
{
	const size_t size = 3000;
	unsigned char buf[16];
	struct wms_info info;
	int fd, ro, wo;
	char *m;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), size, 0600, 0, NULL));
	fd = wms_attach(NM("a"), O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(5, write(fd, "hello", 5));
	EXPECT_EQ((off_t)size, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(5, pread(fd, buf, 5, 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	/* crossing the end writes nothing */
	EXPECT_EQ(-1, pwrite(fd, "abc", 3, size - 2));
	EXPECT_EQ(EFBIG, errno);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	EXPECT_EQ(0, memcmp(m, "hello", 5));
	memcpy(m + 100, "world", 5);
	EXPECT_EQ(5, wms_read(self->fd, NM("a"), 100, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	munmap(m, size);
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(1U, info.attached);
	/* the file holds the memory after the entry is removed */
	EXPECT_EQ(0, wms_remove(self->fd, NM("a")));
	EXPECT_EQ(5, pread(fd, buf, 5, 100));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	EXPECT_EQ(0, wms_close(fd));
	/* the access mode is the file's */
	ASSERT_EQ(1, wms_add(self->fd, NM("b"), 16, 0600, 0, NULL));
	ro = wms_attach(NM("b"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ro, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-1, write(ro, "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_TRUE(mmap(NULL, 16, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
	EXPECT_EQ(EACCES, errno);
	wo = wms_attach(NM("b"), O_WRONLY);
	ASSERT_LE(0, wo);
	EXPECT_EQ(-1, read(wo, buf, 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1, write(wo, "y", 1));
	EXPECT_EQ(1, read(ro, buf, 1));
	EXPECT_EQ('y', buf[0]);
	EXPECT_EQ(0, wms_close(ro));
	EXPECT_EQ(0, wms_close(wo));
}

TEST_F(libwms, attach_errors)
{
	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 16, 0600, 0, NULL));
	EXPECT_ERR(EFAULT, wms_attach(NULL, O_RDWR));
	EXPECT_ERR(ENAMETOOLONG, wms_attach(long_name(NM("l"), 256), O_RDWR));
	EXPECT_ERR(EINVAL, wms_attach("", O_RDWR));
	EXPECT_ERR(EINVAL, wms_attach("..", O_RDONLY));
	EXPECT_ERR(EINVAL, wms_attach(NM("a/"), O_RDONLY));
	EXPECT_ERR(ENOENT, wms_attach(NM("none"), O_RDWR));
	/*
	 * EINVAL of the flags: open_flags_einval; ENOENT, EACCES of the
	 * device: open_enoent_eacces; EMFILE: open_emfile; EACCES of the
	 * entry: as_user_eacces_eperm.
	 */
}

/* ------------------------------------------------------------------ */
/* wms_map, wms_unmap                                                  */
/* ------------------------------------------------------------------ */

TEST_F(libwms, map_share_and_outlive)
{
	const size_t esize = 10000;
	size_t page = page_size(), size = 0, size2 = 0, i, nz = 0;
	unsigned char buf[8];
	struct wms_info info;
	char *m, *m2;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), esize, 0600, 0, NULL));
	m = wms_map(NM("a"), PROT_READ | PROT_WRITE, &size);
	ASSERT_TRUE(m != NULL) TH_LOG("wms_map: %s", strerror(errno));
	EXPECT_EQ(esize, size);
	EXPECT_EQ(0U, (uintptr_t)m % page);
	/* no file stays attached */
	ASSERT_EQ(0, wms_info(self->fd, NM("a"), &info));
	EXPECT_EQ(0U, info.attached);
	/* stores are seen by READ, WRITEs in the mapping, and by a second mapping */
	memcpy(m, "first", 5);
	EXPECT_EQ(5, wms_read(self->fd, NM("a"), 0, buf, 5));
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), esize - 4, "last", 4));
	EXPECT_EQ(0, memcmp(m + esize - 4, "last", 4));
	m2 = wms_map(NM("a"), PROT_READ, &size2);
	ASSERT_TRUE(m2 != NULL);
	EXPECT_EQ(esize, size2);
	EXPECT_EQ(0, memcmp(m2, "first", 5));
	m[1] = 'X';
	EXPECT_EQ('X', m2[1]);
	/* the rest of the last page reads as zero */
	for (i = esize; i < (esize + page - 1) / page * page; i++)
		nz += m2[i] != 0;
	EXPECT_EQ(0U, nz);
	/* a WRITE from a mapping of the same entry */
	EXPECT_EQ(0, wms_write(self->fd, NM("a"), 100, m, 5));
	EXPECT_EQ(0, memcmp(m2 + 100, "fXrst", 5));
	/* the mappings outlive the entry */
	EXPECT_EQ(0, wms_remove(self->fd, NM("a")));
	m[2] = 'Y';
	EXPECT_EQ('Y', m2[2]);
	EXPECT_EQ(0, wms_unmap(m, size));
	EXPECT_EQ(0, memcmp(m2, "fXYst", 5));
	EXPECT_EQ(0, wms_unmap(m2, size2));
	/* a new entry of the name is another one, of its own size */
	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 1, 0600, 0, NULL));
	m = wms_map(NM("a"), PROT_READ, &size);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ(1U, size);
	EXPECT_EQ(0, m[0]);
	EXPECT_EQ(0, wms_unmap(m, size));
}

TEST_F(libwms, map_unmap_errors)
{
	size_t size = 77;
	char *m;

	ASSERT_EQ(1, wms_add(self->fd, NM("a"), 16, 0600, 0, NULL));
	ASSERT_EQ(1, wms_add(self->fd, NM("zero"), 0, 0600, 0, NULL));
	EXPECT_NULL_ERR(EFAULT, wms_map(NM("a"), PROT_READ, NULL));
	EXPECT_NULL_ERR(EFAULT, wms_map(NULL, PROT_READ, &size));
	EXPECT_NULL_ERR(ENAMETOOLONG, wms_map(long_name(NM("l"), 256), PROT_READ, &size));
	EXPECT_NULL_ERR(EINVAL, wms_map("", PROT_READ, &size));
	EXPECT_NULL_ERR(EINVAL, wms_map("a/b", PROT_READ, &size));
	EXPECT_NULL_ERR(ENOENT, wms_map(NM("none"), PROT_READ, &size));
	/* size 0: nothing to map */
	EXPECT_NULL_ERR(EINVAL, wms_map(NM("zero"), PROT_READ, &size));
	EXPECT_EQ(77U, size);
	/* wms_unmap: EINVAL for an unaligned address or a size of 0 */
	m = wms_map(NM("a"), PROT_READ | PROT_WRITE, &size);
	ASSERT_TRUE(m != NULL);
	EXPECT_ERR(EINVAL, wms_unmap(m + 1, size));
	EXPECT_ERR(EINVAL, wms_unmap(m, 0));
	m[0] = 1;	/* still mapped */
	EXPECT_EQ(0, wms_unmap(m, size));
	/*
	 * EACCES: as_user_eacces_eperm and open_enoent_eacces; ENOMEM:
	 * list_errors; EMFILE: open_emfile.
	 */
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-t TEST]... [-T TEST]... [-s SEED]\n"
		"  -l       list fixture.test names and exit\n"
		"  -t/-T    run only / skip TEST (e.g. list_walk)\n"
		"  -s SEED  data pattern seed (default: $WMS_TEST_SEED or the time)\n"
		"Needs root and %s (wms.ko loaded).\n", prog, WMS_DEVICE_PATH);
	exit(code);
}

int main(int argc, char **argv)
{
	static struct filter fl;
	bool list = false;
	int r;

	parse_args(argc, argv, "hlt:T:s:", &fl, &list, &g_seed, usage);
	g_seed = pick_seed(g_seed, now_ns());
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	g_res = mmap(NULL, sizeof(*g_res), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_res == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	printf("# libwms_test: seed %llu, %zu-bit, page size %zu\n", (ull)g_seed,
	       sizeof(void *) * 8, page_size());
	fflush(stdout);
	return test_harness_run(1, argv);
}
