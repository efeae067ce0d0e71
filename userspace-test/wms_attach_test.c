// SPDX-License-Identifier: GPL-2.0
/*
 * wms_attach_test: WMS_IOC_ATTACH and the file operations of an attached
 * /dev/wms file (read, write, pread, pwrite, lseek, mmap), INFO.attached,
 * permissions evaluated at ATTACH time, and entry lifetimes: REMOVE while
 * attached or mapped, the old memory freed with its last file and mapping
 * (proved through max_total_bytes), fork, a 64 MiB entry mapped by two
 * processes, the module pinned (rmmod refused) while an entry is mapped.
 *
 * The contract is docs/ABI.md (ABI v2).  Built static (-m64 and -m32) and
 * run as root inside the test VM against the real wms.ko; kselftest
 * harness, TAP output.  One fixture, "attach", tests in source order.
 * Every test names its entries "at.<test>.*" and removes them; the teardown
 * fails a test that leaves one behind, kills any helper process still alive
 * and restores every module parameter the test changed.
 *
 *   wms_attach_test [-l] [-t TEST]... [-T TEST]... [-s SEED]
 *     -l        list the tests          -t/-T   run only / skip TEST
 *     -s SEED   data pattern seed (default: $WMS_TEST_SEED, else the time)
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <assert.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/wms.h>

#include "wms_util.h"

#define NOBODY		65534
#define MiB		(1024ULL * 1024)

static_assert(sizeof(off_t) == 8, "build with _FILE_OFFSET_BITS=64");
static_assert(sizeof(struct wms_name) == 264, "sizeof(struct wms_name)");
static_assert(WMS_IOC_ATTACH == (WMS_PIN_IOW | 0x0108b906u), "WMS_IOC_ATTACH");

static __u64 g_seed;

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

/* A syscall result: "-EINVAL" for -errno values, else the number. */
static const char *rstr(long long v)
{
	static char bufs[8][48];
	static unsigned int k;
	char *o = bufs[k++ % 8];

	if (v < 0 && v > -4096)
		snprintf(o, 48, "-%s", errname((int)-v));
	else
		snprintf(o, 48, "%lld", v);
	return o;
}

/* read()/write()/lseek()... result as a value or -errno. */
static long long rr(long long r)
{
	return r < 0 ? -errno : r;
}

/*
 * Compare a syscall-style result (value or -errno) and log both as names:
 * "<call text> -> -EBUSY, want -ENOENT".
 */
#define EXPECT_RM(want, expr, fmt, ...) do {				\
	long long __g = (expr), __w = (want);				\
	EXPECT_EQ(__w, __g) TH_LOG("%s -> %s, want %s " fmt, #expr,	\
				   rstr(__g), rstr(__w), ##__VA_ARGS__); \
} while (0)
#define ASSERT_RM(want, expr, fmt, ...) do {				\
	long long __g = (expr), __w = (want);				\
	ASSERT_EQ(__w, __g) TH_LOG("%s -> %s, want %s " fmt, #expr,	\
				   rstr(__g), rstr(__w), ##__VA_ARGS__); \
} while (0)
#define EXPECT_R(want, expr)	EXPECT_RM(want, expr, "")
#define ASSERT_R(want, expr)	ASSERT_RM(want, expr, "")

/* ------------------------------------------------------------------ */
/* Random numbers and data patterns                                    */
/* ------------------------------------------------------------------ */

/* A seed per test and purpose, derived from the run's seed. */
static __u64 seed_for(const char *test, unsigned int k)
{
	__u64 h = g_seed;

	while (*test)
		h = splitmix64(h ^ (unsigned char)*test++);
	return splitmix64(h + k);
}

/*
 * The pattern of a seed: 8-byte word i (entry offset 8*i) is pat_word(seed,
 * i), stored little-endian, so any byte at any entry offset is known.
 */
static inline __u64 pat_word(__u64 seed, __u64 i)
{
	__u64 x = seed + i * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

static inline unsigned char pat_byte(__u64 seed, __u64 off)
{
	return (unsigned char)(pat_word(seed, off >> 3) >> ((off & 7) * 8));
}

/* buf[0..len) = the pattern at entry offsets off..off+len */
static void pat_fill(void *buf, __u64 off, size_t len, __u64 seed)
{
	unsigned char *b = buf;
	size_t i = 0;

	for (; i < len && ((off + i) & 7); i++)
		b[i] = pat_byte(seed, off + i);
	for (; i + 8 <= len; i += 8) {
		__u64 w = htole64(pat_word(seed, (off + i) >> 3));

		memcpy(b + i, &w, 8);
	}
	for (; i < len; i++)
		b[i] = pat_byte(seed, off + i);
}

/* Index of the first byte that differs from the pattern, or -1. */
static long long pat_diff(const void *buf, __u64 off, size_t len, __u64 seed)
{
	const unsigned char *b = buf;
	size_t i = 0, j;

	for (; i < len && ((off + i) & 7); i++)
		if (b[i] != pat_byte(seed, off + i))
			return i;
	for (; i + 8 <= len; i += 8) {
		__u64 w = htole64(pat_word(seed, (off + i) >> 3)), g;

		memcpy(&g, b + i, 8);
		if (g != w)
			for (j = 0; j < 8; j++)
				if (b[i + j] != pat_byte(seed, off + i + j))
					return i + j;
	}
	for (; i < len; i++)
		if (b[i] != pat_byte(seed, off + i))
			return i;
	return -1;
}

static long long zero_diff(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return i;
	return -1;
}

/* buf[0..len) holds the pattern of seed at entry offsets off.. */
#define EXPECT_PAT(buf, off, len, seed, what) do {			\
	const unsigned char *__b = (const void *)(buf);			\
	__u64 __o = (off), __s = (seed);				\
	size_t __l = (len);						\
	long long __d = pat_diff(__b, __o, __l, __s);			\
	EXPECT_EQ(-1LL, __d) TH_LOG("%s: first wrong byte at entry offset %llu " \
		"(of %llu..%llu): 0x%02x, want 0x%02x", (what),		\
		(ull)(__o + __d), (ull)__o, (ull)(__o + __l),		\
		__b[__d], pat_byte(__s, __o + __d));			\
} while (0)

#define EXPECT_ZERO(buf, off, len, what) do {				\
	const unsigned char *__b = (const void *)(buf);			\
	__u64 __o = (off);						\
	long long __d = zero_diff(__b, (len));				\
	EXPECT_EQ(-1LL, __d) TH_LOG("%s: byte at entry offset %llu is 0x%02x, want 0", \
		(what), (ull)(__o + __d), __b[__d]);			\
} while (0)

/* self-checking 8-byte values for the atomicity test */
static __u64 mkval(__u32 hi)
{
	return ((__u64)hi << 32) | mix32(hi ^ 0x5bd1e995u);
}

static bool val_ok(__u64 v)
{
	return v == 0 || (__u32)v == mix32((__u32)(v >> 32) ^ 0x5bd1e995u);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* ioctl helpers (more in wms_util.h): 0 (or a result) or -errno       */
/* ------------------------------------------------------------------ */

/* INFO.attached of name, or -errno */
static long long attached_of(int fd, const char *name)
{
	struct wms_info i;
	int r = w_info(fd, name, &i);

	return r ? r : (long long)i.attached;
}

/*
 * READ/WRITE ioctl; returns the bytes done, or -errno (like pread/pwrite,
 * unlike the w_read/w_write of wms_util.h).
 */
static long long w_io(int fd, unsigned long cmd, const char *name, __u64 off,
		      const void *buf, __u64 len)
{
	struct wms_io io;
	int r;

	memset(&io, 0, sizeof(io));
	set_field(io.name, name);
	io.offset = off;
	io.len = len;
	io.buf = UPTR(buf);
	r = xioctl(fd, cmd, &io);
	return r ? r : (long long)io.len;
}

#define w_pread(fd, name, off, buf, len)  w_io(fd, WMS_IOC_READ, name, off, buf, len)
#define w_pwrite(fd, name, off, buf, len) w_io(fd, WMS_IOC_WRITE, name, off, buf, len)

static int attach_f(int fd, const char *field, __u64 reserved)
{
	struct wms_name a;

	memcpy(a.name, field, NAME_LEN);
	a.reserved = reserved;
	return xioctl(fd, WMS_IOC_ATTACH, &a);
}

static int open_wms(void)
{
	int fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* open /dev/wms and ATTACH name: the fd, or -errno */
static int open_attach(const char *name)
{
	int fd = open_wms(), r;

	if (fd < 0)
		return fd;
	r = w_attach(fd, name);
	if (r) {
		close(fd);
		return r < 0 ? r : -EPROTO;
	}
	return fd;
}

/* mmap: 0 and *out, or -errno */
static int xmap(void **out, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED) {
		*out = NULL;
		return -errno;
	}
	*out = p;
	return 0;
}

/* Whether such an mmap succeeds (unmapped again at once): 0 or -errno. */
static int map_probe(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;
	int r = xmap(&p, len, prot, flags, fd, off);

	if (!r)
		munmap(p, len);
	return r;
}

/* All entries now in the registry; *n of them; -errno on failure. */
static int list_all(int fd, struct wms_list_entry **out, size_t *n)
{
	struct wms_list_entry *all = NULL, buf[32];
	size_t cnt = 0, cap = 0;
	struct wms_list l;
	__u64 cursor = 0;
	unsigned int guard = 0;
	int r;

	for (;;) {
		memset(&l, 0, sizeof(l));
		l.cursor = cursor;
		l.entries = UPTR(buf);
		l.count = 32;
		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r || !l.count || l.count > 32 || ++guard > 100000)
			break;
		if (cnt + l.count > cap) {
			void *na;

			cap = (cap + l.count) * 2;
			na = realloc(all, cap * sizeof(*all));
			if (!na) {
				r = -ENOMEM;
				break;
			}
			all = na;
		}
		memcpy(all + cnt, buf, l.count * sizeof(*buf));
		cnt += l.count;
		cursor = l.cursor;
	}
	if (!r && l.count > 32)
		r = -EOVERFLOW;
	if (r) {
		free(all);
		return r;
	}
	*out = all;
	*n = cnt;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helper processes                                                    */
/* ------------------------------------------------------------------ */

/*
 * Children never use the harness's EXPECT/ASSERT (an ASSERT would run the
 * fixture teardown in the child).  They return an exit code and describe
 * what went wrong here, in memory shared with the test process.
 */
struct kidlog {
	char msg[3072];
};
static struct kidlog *g_kl;

static int kfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int kfail(const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!g_kl)
		return 1;
	n = strnlen(g_kl->msg, sizeof(g_kl->msg) - 1);
	if (n && n < sizeof(g_kl->msg) - 3) {
		memcpy(g_kl->msg + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(g_kl->msg + n, sizeof(g_kl->msg) - n, fmt, ap);
	va_end(ap);
	return 1;
}

static const char *kid_msg(void)
{
	return g_kl && g_kl->msg[0] ? g_kl->msg : "(no message)";
}

static const char *kid_status(int st)
{
	static char b[96];

	if (st == -1)
		snprintf(b, sizeof(b), "not reaped");
	else if (WIFEXITED(st))
		snprintf(b, sizeof(b), "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b, sizeof(b), "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(b, sizeof(b), "wait status 0x%x", st);
	return b;
}

/* Two pipes: down (test -> child) and up (child -> test). */
struct chan {
	int down[2];
	int up[2];
};

static int chan_open(struct chan *c)
{
	if (pipe2(c->down, O_CLOEXEC))
		return -errno;
	if (pipe2(c->up, O_CLOEXEC)) {
		close(c->down[0]);
		close(c->down[1]);
		return -errno;
	}
	return 0;
}

static int chan_send(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -errno;
}

/* The next byte, -ETIMEDOUT, or -EPIPE when the other side is gone. */
static int chan_recv(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	int r;

	r = poll(&p, 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	r = read(fd, &c, 1);
	if (r == 1)
		return (unsigned char)c;
	return r ? -errno : -EPIPE;
}

static const char *chan_str(int c)
{
	static char b[32];

	if (c < 0)
		return rstr(c);
	snprintf(b, sizeof(b), "'%c'", c);
	return b;
}

/* uid/gid with no supplementary groups; saved ids root if keep_root */
static int become(uid_t uid, gid_t gid, bool keep_root)
{
	if (setgroups(0, NULL))
		return kfail("setgroups(0): %s", strerror(errno));
	if (setresgid(gid, gid, keep_root ? 0 : gid))
		return kfail("setresgid(%u): %s", gid, strerror(errno));
	if (setresuid(uid, uid, keep_root ? 0 : uid))
		return kfail("setresuid(%u): %s", uid, strerror(errno));
	if (geteuid() != uid || getegid() != gid)
		return kfail("credentials did not change (euid %u egid %u)",
			     geteuid(), getegid());
	return 0;
}

/* ------------------------------------------------------------------ */
/* The fixture                                                         */
/* ------------------------------------------------------------------ */

#define MAX_KIDS 8

FIXTURE(attach) {
	int fd;			/* an unattached /dev/wms file (or -1) */
	char prefix[96];	/* "at.<test>." */
	__u64 orig[P_NR];	/* module parameters at setup */
	pid_t kids[MAX_KIDS];
	unsigned int nkids;
	void (*stop_fn)(void);	/* stops a test's threads */
};

#define SEED(k)	seed_for(_metadata->name, (k))
#define TD	FIXTURE_DATA(attach)
#define MD	struct __test_metadata *_metadata

FIXTURE_SETUP(attach)
{
	unsigned int k;

	self->fd = -1;
	ASSERT_EQ(0U, (unsigned int)geteuid()) TH_LOG("these tests must run as root");
	self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s (is wms.ko loaded?)",
				      WMS_DEVICE_PATH, strerror(errno));
	snprintf(self->prefix, sizeof(self->prefix), "at.%s.", _metadata->name);
	for (k = 0; k < P_NR; k++) {
		ASSERT_EQ(0, param_read(param_name[k], &self->orig[k]))
			TH_LOG("cannot read " PARAM_DIR "%s", param_name[k]);
	}
	if (g_kl)
		memset(g_kl, 0, sizeof(*g_kl));
}

FIXTURE_TEARDOWN(attach)
{
	struct wms_list_entry *all;
	size_t n, i, pl = strlen(self->prefix);
	unsigned int k, left = 0;
	int r;

	/*
	 * A failed ASSERT longjmps out before the harness clears its trigger,
	 * which would print the next EXPECT's message although it passed.
	 */
	_metadata->trigger = 0;
	if (self->stop_fn)
		self->stop_fn();
	for (k = 0; k < self->nkids; k++) {
		if (self->kids[k] <= 0)
			continue;
		kill(self->kids[k], SIGKILL);
		waitpid(self->kids[k], NULL, 0);
		self->kids[k] = 0;
	}
	if (self->fd < 0)
		self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	r = list_all(self->fd, &all, &n);
	EXPECT_EQ(0, r) TH_LOG("LIST in teardown: %s", errname(r));
	if (!r) {
		for (i = 0; i < n; i++) {
			if (strncmp(all[i].name, self->prefix, pl))
				continue;
			left++;
			r = w_remove(self->fd, all[i].name);
			TH_LOG("entry '%s' (size %llu) left behind; REMOVE -> %s",
			       all[i].name, (ull)all[i].size, rstr(r));
		}
		free(all);
	}
	EXPECT_EQ(0U, left) TH_LOG("the test left %u entries behind", left);
	for (k = 0; k < P_NR; k++) {
		__u64 v = 0;

		if (!param_read(param_name[k], &v) && v == self->orig[k])
			continue;
		r = param_write(param_name[k], self->orig[k]);
		EXPECT_EQ(0, r) TH_LOG("cannot restore %s=%llu: %s", param_name[k],
				       (ull)self->orig[k], errname(r));
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* fork a helper running fn(arg); registered so the teardown can kill it */
static pid_t spawn(TD *self, int (*fn)(void *), void *arg, struct chan *c)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int rc;

		if (c) {
			close(c->down[1]);
			close(c->up[0]);
		}
		rc = fn(arg);
		fflush(stdout);
		_exit(rc);
	}
	if (pid > 0) {
		if (c) {
			close(c->down[0]);
			close(c->up[1]);
		}
		if (self->nkids < MAX_KIDS)
			self->kids[self->nkids++] = pid;
	}
	return pid;
}

static int reap(TD *self, pid_t pid)
{
	unsigned int k;
	int st = -1;
	pid_t r;

	do {
		r = waitpid(pid, &st, 0);
	} while (r < 0 && errno == EINTR);
	if (r != pid)
		st = -1;
	for (k = 0; k < self->nkids; k++)
		if (self->kids[k] == pid)
			self->kids[k] = 0;
	return st;
}

#define EXPECT_KID_OK(pid) do {						\
	int __st = reap(self, (pid));					\
	EXPECT_TRUE(__st != -1 && WIFEXITED(__st) && !WEXITSTATUS(__st)) \
		TH_LOG("child process: %s: %s", kid_status(__st), kid_msg()); \
} while (0)

#define ASSERT_RECV(fd, want, tmo, what) do {				\
	int __c = chan_recv((fd), (tmo));				\
	ASSERT_EQ((int)(want), __c) TH_LOG("waiting for the child (%s): got %s; " \
		"child says: %s", (what), chan_str(__c), kid_msg());	\
} while (0)

/* Create an entry (EXCL) that must not exist yet. */
static void mk_entry(MD, int fd, const char *name, __u64 size, __u32 mode)
{
	struct wms_add a;
	int r = w_add(fd, name, size, WMS_ADD_EXCL, mode, &a);

	ASSERT_EQ(0, r) TH_LOG("ADD '%s' size %llu mode %04o: %s", name, (ull)size,
			       mode, rstr(r));
	ASSERT_EQ(WMS_ADD_CREATED, a.flags) TH_LOG("ADD '%s': flags 0x%x", name, a.flags);
	ASSERT_EQ((ull)size, (ull)a.size);
}

#define MK(name, size, mode)	mk_entry(_metadata, self->fd, (name), (size), (mode))

/* An entry filled with the pattern of seed (through the WRITE ioctl). */
static void mk_pat_entry(MD, int fd, const char *name, __u64 size, __u32 mode,
			 __u64 seed)
{
	unsigned char *b;
	long long r;

	mk_entry(_metadata, fd, name, size, mode);
	if (!size)
		return;
	b = malloc(size);
	ASSERT_TRUE(b != NULL);
	pat_fill(b, 0, size, seed);
	r = w_pwrite(fd, name, 0, b, size);
	free(b);
	ASSERT_EQ((long long)size, r) TH_LOG("WRITE '%s' %llu bytes: %s", name,
					     (ull)size, rstr(r));
}

#define MKP(name, size, mode, seed) \
	mk_pat_entry(_metadata, self->fd, (name), (size), (mode), (seed))

static int open_attach_ok(MD, const char *name)
{
	int fd = open_attach(name);

	ASSERT_LE(0, fd) TH_LOG("open %s + ATTACH '%s': %s", WMS_DEVICE_PATH, name,
				rstr(fd));
	return fd;
}

#define OPEN_ATTACH(name)	open_attach_ok(_metadata, (name))
#define EXPECT_ATTACHED(n, name) \
	EXPECT_RM((n), attached_of(self->fd, (name)), "(INFO.attached of '%s')", (name))
#define EXPECT_POS(fd, want) \
	EXPECT_RM((want), rr(lseek((fd), 0, SEEK_CUR)), "(file position)")

/* The whole entry (through the READ ioctl) holds the pattern of seed. */
static void check_entry_pat(MD, int fd, const char *name, __u64 size, __u64 seed,
			    const char *what)
{
	unsigned char *b = calloc(1, size ? size : 1);
	long long r;

	ASSERT_TRUE(b != NULL);
	r = w_pread(fd, name, 0, b, size);
	EXPECT_EQ((long long)size, r) TH_LOG("%s: READ '%s' %llu bytes: %s", what,
					     name, (ull)size, rstr(r));
	if (r == (long long)size) {
		EXPECT_PAT(b, 0, size, seed, what);
	}
	free(b);
}

#define CHECK_ENTRY_PAT(name, size, seed, what) \
	check_entry_pat(_metadata, self->fd, (name), (size), (seed), (what))

/* ------------------------------------------------------------------ */
/* Byte-limit probe: proves when a removed entry's memory is freed      */
/* ------------------------------------------------------------------ */

static int raise_param(MD, TD *self, unsigned int p, __u64 min)
{
	__u64 v;
	int r = param_read(param_name[p], &v);

	ASSERT_EQ(0, r) TH_LOG("read %s: %s", param_name[p], errname(r));
	if (v >= min)
		return 0;
	r = param_write(param_name[p], min);
	ASSERT_EQ(0, r) TH_LOG("raise %s to %llu: %s", param_name[p], (ull)min,
			       errname(r));
	diag("%s: raised %s %llu -> %llu (restored in teardown)", _metadata->name,
	     param_name[p], (ull)v, (ull)min);
	(void)self;
	return 0;
}

/*
 * max_total_bytes := (bytes of the entries listed now) + S, so that one more
 * entry of S bytes fills it exactly.  Removed entries still held by someone
 * are invisible to LIST: the tests run one after the other and each one
 * releases everything it holds, so there are none.
 */
static void limit_total_to(MD, TD *self, __u64 S)
{
	struct wms_list_entry *all;
	__u64 live = 0;
	size_t n, i;
	int r;

	raise_param(_metadata, self, P_ENTRY_SIZE, S);
	r = list_all(self->fd, &all, &n);
	ASSERT_EQ(0, r) TH_LOG("LIST: %s", errname(r));
	for (i = 0; i < n; i++)
		live += all[i].size;
	free(all);
	raise_param(_metadata, self, P_ENTRIES, n + 8);
	r = param_write("max_total_bytes", live + S);
	ASSERT_EQ(0, r) TH_LOG("set max_total_bytes=%llu: %s", (ull)(live + S), errname(r));
	if (live)
		diag("%s: %zu other entries hold %llu bytes", _metadata->name, n, (ull)live);
}

/* ADD a new 1-byte entry (and REMOVE it again): 0, or the ADD's -errno. */
static int probe_add(int fd, const char *name)
{
	struct wms_add a;
	int r = w_add(fd, name, 1, WMS_ADD_EXCL, 0600, &a);

	if (r)
		return r;
	if (!(a.flags & WMS_ADD_CREATED))
		diag("probe ADD '%s' did not report CREATED (flags 0x%x)", name, a.flags);
	r = w_remove(fd, name);
	if (r)
		diag("probe REMOVE '%s': %s", name, errname(r));
	return 0;
}

/* Create the S-byte entry that fills max_total_bytes; check the limit is tight. */
static void mk_filling_entry(MD, TD *self, const char *name, __u64 S, __u64 seed)
{
	struct wms_add a;
	int r;

	limit_total_to(_metadata, self, S);
	r = w_add(self->fd, name, S, WMS_ADD_EXCL, 0600, &a);
	ASSERT_EQ(0, r) TH_LOG("ADD '%s' of %llu bytes with max_total_bytes = listed bytes "
			       "+ %llu: %s (memory of an earlier removed entry not freed?)",
			       name, (ull)S, (ull)S, rstr(r));
	ASSERT_EQ(WMS_ADD_CREATED, a.flags);
	if (seed) {
		unsigned char *b = malloc(S);

		ASSERT_TRUE(b != NULL);
		pat_fill(b, 0, S, seed);
		ASSERT_EQ((long long)S, w_pwrite(self->fd, name, 0, b, S));
		free(b);
	}
	ASSERT_RM(-ENOSPC, probe_add(self->fd, NM("probe")),
		  "(a 1-byte ADD with max_total_bytes exactly full must fail; "
		  "the probe below would prove nothing)");
}

#define MK_FILLING(name, S, seed) mk_filling_entry(_metadata, self, (name), (S), (seed))
#define PROBE()	probe_add(self->fd, NM("probe"))

/* ================================================================== */
/* ATTACH                                                              */
/* ================================================================== */

/* ATTACH binds the file: INFO.attached rises on ATTACH and falls on close. */
TEST_F(attach, attach_counts_in_info)
{
	const char *n = NM("e");
	int a, b;

	MK(n, 4096, 0600);
	EXPECT_ATTACHED(0, n);
	a = open_wms();
	ASSERT_LE(0, a);
	b = open_wms();
	ASSERT_LE(0, b);
	EXPECT_ATTACHED(0, n);
	EXPECT_R(0, w_attach(a, n));
	EXPECT_ATTACHED(1, n);
	EXPECT_R(0, w_attach(b, n));
	EXPECT_ATTACHED(2, n);
	close(a);
	EXPECT_ATTACHED(1, n);
	close(b);
	EXPECT_ATTACHED(0, n);
	/* the unattached fixture file never counted */
	EXPECT_R(0, w_remove(self->fd, n));
}

/* ATTACH of an absent name: -ENOENT; the file stays unattached and usable. */
TEST_F(attach, attach_absent_enoent)
{
	const char *n = NM("e");
	char buf[8];
	int fd = open_wms();

	ASSERT_LE(0, fd);
	EXPECT_R(-ENOENT, w_attach(fd, n));
	EXPECT_R(-ENOENT, w_attach(fd, NM("never")));
	EXPECT_RM(-EBADFD, rr(read(fd, buf, sizeof(buf))), "(after a failed ATTACH)");
	/* a removed name is absent too */
	MK(n, 64, 0600);
	EXPECT_R(0, w_remove(self->fd, n));
	EXPECT_R(-ENOENT, w_attach(fd, n));
	EXPECT_RM(-EBADFD, rr(read(fd, buf, sizeof(buf))), "(after a failed ATTACH)");
	/* the failed calls changed nothing: the same file attaches later */
	MKP(n, 64, 0600, SEED(1));
	EXPECT_R(0, w_attach(fd, n));
	EXPECT_ATTACHED(1, n);
	EXPECT_R(8, rr(read(fd, buf, sizeof(buf))));
	EXPECT_PAT(buf, 0, 8, SEED(1), "read after ATTACH");
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* ATTACH on an attached file: -EBUSY (same or other entry); the binding stays. */
TEST_F(attach, attach_twice_ebusy)
{
	const char *a = NM("a"), *b = NM("b");
	unsigned char buf[100];
	int fd;

	MKP(a, 100, 0600, SEED(1));
	MKP(b, 100, 0600, SEED(2));
	fd = OPEN_ATTACH(a);
	EXPECT_R(-EBUSY, w_attach(fd, a));
	EXPECT_R(-EBUSY, w_attach(fd, b));
	EXPECT_ATTACHED(1, a);
	EXPECT_ATTACHED(0, b);
	EXPECT_R(100, rr(pread(fd, buf, 100, 0)));
	EXPECT_PAT(buf, 0, 100, SEED(1), "still attached to the first entry");
	close(fd);
	EXPECT_ATTACHED(0, a);
	EXPECT_R(0, w_remove(self->fd, a));
	EXPECT_R(0, w_remove(self->fd, b));
}

/*
 * -EBUSY is checked before the lookup (absent name: -EBUSY, not -ENOENT),
 * after the reserved field and the name rules.
 */
TEST_F(attach, attach_ebusy_before_lookup)
{
	const char *a = NM("a");
	char f[NAME_LEN];
	unsigned char c;
	int fd;

	MKP(a, 16, 0600, SEED(1));
	fd = OPEN_ATTACH(a);
	EXPECT_R(-EBUSY, w_attach(fd, NM("absent")));
	set_field(f, a);
	EXPECT_RM(-EINVAL, attach_f(fd, f, 1), "(reserved before EBUSY)");
	set_field(f, "");
	EXPECT_RM(-EINVAL, attach_f(fd, f, 0), "(empty name before EBUSY)");
	set_field(f, "..");
	EXPECT_RM(-EINVAL, attach_f(fd, f, 0), "(\"..\" before EBUSY)");
	memset(f, 'x', NAME_LEN);
	EXPECT_RM(-ENAMETOOLONG, attach_f(fd, f, 0), "(no NUL before EBUSY)");
	EXPECT_ATTACHED(1, a);
	EXPECT_R(1, rr(pread(fd, &c, 1, 15)));
	EXPECT_EQ(pat_byte(SEED(1), 15), c);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, a));
}

/* reserved != 0: -EINVAL, before the name rules; nothing attached. */
TEST_F(attach, attach_reserved_einval)
{
	const char *a = NM("a");
	char f[NAME_LEN], g[NAME_LEN];
	char buf[4];
	int fd = open_wms();

	ASSERT_LE(0, fd);
	MK(a, 16, 0600);
	set_field(f, a);
	EXPECT_R(-EINVAL, attach_f(fd, f, 1));
	EXPECT_R(-EINVAL, attach_f(fd, f, 1ULL << 63));
	EXPECT_R(-EINVAL, attach_f(fd, f, ~0ULL));
	memset(g, 'x', NAME_LEN);
	EXPECT_RM(-EINVAL, attach_f(fd, g, 1), "(reserved is checked before the name)");
	set_field(g, NM("absent"));
	EXPECT_RM(-EINVAL, attach_f(fd, g, 1), "(reserved is checked before the lookup)");
	EXPECT_ATTACHED(0, a);
	EXPECT_RM(-EBADFD, rr(read(fd, buf, sizeof(buf))), "(after refused ATTACHes)");
	EXPECT_R(0, attach_f(fd, f, 0));
	EXPECT_ATTACHED(1, a);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, a));
}

/* Name rules: "", ".", "..", '/' -EINVAL; no NUL -ENAMETOOLONG; 255 bytes OK. */
TEST_F(attach, attach_name_rules)
{
	char bad[8][NAME_LEN], f[NAME_LEN], n255[NAME_LEN];
	size_t pl = strlen(self->prefix);
	int i, nb = 0, fd, fd2;
	char buf[4];

	set_field(bad[nb++], "");
	set_field(bad[nb++], ".");
	set_field(bad[nb++], "..");
	set_field(bad[nb++], "/");
	set_field(bad[nb++], NM("a/b"));
	snprintf(bad[nb++], NAME_LEN, "/%s", self->prefix);
	set_field(bad[nb++], NM("x/"));
	fd = open_wms();
	ASSERT_LE(0, fd);
	for (i = 0; i < nb; i++) {
		int r = attach_f(fd, bad[i], 0);

		EXPECT_EQ(-EINVAL, r) TH_LOG("ATTACH '%s': %s, want -EINVAL", bad[i], rstr(r));
	}
	memset(f, 'x', NAME_LEN);
	EXPECT_R(-ENAMETOOLONG, attach_f(fd, f, 0));
	memset(f, '/', NAME_LEN);
	EXPECT_RM(-ENAMETOOLONG, attach_f(fd, f, 0), "(256 slashes: length before '/')");
	EXPECT_RM(-EBADFD, rr(read(fd, buf, sizeof(buf))), "(after refused ATTACHes)");

	/* the longest name (255 bytes) attaches */
	memset(n255, 0, sizeof(n255));
	memcpy(n255, self->prefix, pl);
	memset(n255 + pl, 'L', WMS_NAME_MAX - pl);
	MK(n255, 32, 0600);
	EXPECT_R(0, attach_f(fd, n255, 0));
	/* the same name followed by a NUL and garbage: the garbage is ignored */
	memset(f, 0, sizeof(f));
	memcpy(f, NM("g"), strlen(NM("g")));
	MK(f, 8, 0600);
	memcpy(f + strlen(f) + 1, "garbage/..", 10);
	memset(f + strlen(f) + 11, 0xff, NAME_LEN - strlen(f) - 11);
	fd2 = open_wms();
	ASSERT_LE(0, fd2);
	EXPECT_RM(0, attach_f(fd2, f, 0), "(bytes after the NUL are ignored)");
	EXPECT_ATTACHED(1, n255);
	EXPECT_ATTACHED(1, NM("g"));
	close(fd);
	close(fd2);
	EXPECT_R(0, w_remove(self->fd, n255));
	EXPECT_R(0, w_remove(self->fd, NM("g")));
}

/* A bad argument pointer: -EFAULT, checked first (even on an attached file). */
TEST_F(attach, attach_bad_pointer_efault)
{
	const char *a = NM("a");
	size_t ps = page_size();
	struct wms_name *edge;
	unsigned char *area;
	char buf[4];
	int fd = open_wms();

	ASSERT_LE(0, fd);
	MK(a, 16, 0600);
	ASSERT_R(0, xmap((void **)&area, 2 * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ASSERT_EQ(0, mprotect(area + ps, ps, PROT_NONE));
	/* the name is readable, the reserved field lies in the PROT_NONE page */
	edge = (struct wms_name *)(area + ps - offsetof(struct wms_name, reserved));
	set_field(edge->name, a);

	EXPECT_R(-EFAULT, xioctl(fd, WMS_IOC_ATTACH, NULL));
	EXPECT_R(-EFAULT, xioctl(fd, WMS_IOC_ATTACH, area + ps));
	EXPECT_RM(-EFAULT, xioctl(fd, WMS_IOC_ATTACH, edge), "(struct straddles into PROT_NONE)");
	EXPECT_ATTACHED(0, a);
	EXPECT_RM(-EBADFD, rr(read(fd, buf, sizeof(buf))), "(after refused ATTACHes)");
	EXPECT_R(0, w_attach(fd, a));
	EXPECT_RM(-EFAULT, xioctl(fd, WMS_IOC_ATTACH, NULL), "(copy-in before EBUSY)");
	EXPECT_RM(-EFAULT, xioctl(fd, WMS_IOC_ATTACH, edge), "(copy-in before EBUSY)");
	EXPECT_ATTACHED(1, a);
	close(fd);
	munmap(area, 2 * ps);
	EXPECT_R(0, w_remove(self->fd, a));
}

/* Another size or direction encoding of ATTACH's number: -ENOTTY, nothing attached. */
TEST_F(attach, attach_wrong_encoding_enotty)
{
	const unsigned long cmds[] = {
		_IOWR(WMS_IOC_MAGIC, 0x06, struct wms_name),
		_IOR(WMS_IOC_MAGIC, 0x06, struct wms_name),
		_IO(WMS_IOC_MAGIC, 0x06),
		_IOW(WMS_IOC_MAGIC, 0x06, struct wms_add),
		_IOW(WMS_IOC_MAGIC, 0x06, __u64),
	};
	const char *a = NM("a");
	struct wms_name arg[2];	/* large enough for every size above */
	char buf[4];
	unsigned int i;
	int fd = open_wms();

	ASSERT_LE(0, fd);
	MK(a, 16, 0600);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int r;

		memset(arg, 0, sizeof(arg));
		set_field(arg[0].name, a);
		r = xioctl(fd, cmds[i], arg);
		EXPECT_EQ(-ENOTTY, r) TH_LOG("ioctl 0x%lx: %s, want -ENOTTY", cmds[i], rstr(r));
	}
	EXPECT_ATTACHED(0, a);
	EXPECT_RM(-EBADFD, rr(read(fd, buf, sizeof(buf))), "(nothing attached)");
	EXPECT_R(0, w_attach(fd, a));
	close(fd);
	EXPECT_R(0, w_remove(self->fd, a));
}

/* ---- permissions (helpers run as uid/gid 65534) ------------------ */

struct perm_args {
	char deny[4][NAME_LEN];
	unsigned int ndeny;
	char ok[NAME_LEN];
	__u64 size, seed;
	gid_t gid;
};

static int kid_no_read(void *p)
{
	struct perm_args *a = p;
	unsigned char buf[64];
	struct wms_info in;
	unsigned int i;
	long long r;
	int fd;

	if (become(NOBODY, NOBODY, false))
		return 1;
	fd = open_wms();
	if (fd < 0)
		return kfail("uid 65534: open %s: %s", WMS_DEVICE_PATH, rstr(fd));
	for (i = 0; i < a->ndeny; i++) {
		r = w_info(fd, a->deny[i], &in);
		if (r)
			return kfail("uid 65534: INFO '%s': %s, want success (metadata is public)",
				     a->deny[i], rstr(r));
		r = w_attach(fd, a->deny[i]);
		if (r != -EACCES)
			return kfail("uid/gid 65534: ATTACH '%s' (mode %04o, owner %u:%u): %s, "
				     "want -EACCES", a->deny[i], in.mode, in.uid, in.gid, rstr(r));
		r = rr(read(fd, buf, sizeof(buf)));
		if (r != -EBADFD)
			return kfail("read() after the refused ATTACH of '%s': %s, want -EBADFD",
				     a->deny[i], rstr(r));
	}
	/* the same file still attaches where read is granted */
	r = w_attach(fd, a->ok);
	if (r)
		return kfail("uid 65534: ATTACH '%s' (mode 0604) after the refusals: %s, want 0",
			     a->ok, rstr(r));
	r = rr(read(fd, buf, a->size));
	if (r != (long long)a->size)
		return kfail("read() of '%s': %s, want %llu", a->ok, rstr(r), (ull)a->size);
	if (pat_diff(buf, 0, a->size, a->seed) != -1)
		return kfail("read() of '%s' returned wrong data", a->ok);
	close(fd);
	return 0;
}

/* ATTACH needs read permission: -EACCES for 0600, 0602 and 0660 as an outsider. */
TEST_F(attach, attach_no_read_perm_eacces)
{
	static const __u32 modes[] = { 0600, 0602, 0660, 0200 };
	struct perm_args a;
	unsigned int i;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.size = 64;
	a.seed = SEED(1);
	for (i = 0; i < 4; i++) {
		set_field(a.deny[i], NM("m%04o", modes[i]));
		MKP(a.deny[i], 64, modes[i], SEED(2));
	}
	a.ndeny = 4;
	set_field(a.ok, NM("m0604"));
	MKP(a.ok, 64, 0604, SEED(1));
	pid = spawn(self, kid_no_read, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	for (i = 0; i < 4; i++) {
		EXPECT_ATTACHED(0, a.deny[i]);
		CHECK_ENTRY_PAT(a.deny[i], 64, SEED(2), "entry after the refused ATTACH");
		EXPECT_R(0, w_remove(self->fd, a.deny[i]));
	}
	EXPECT_ATTACHED(0, a.ok);
	EXPECT_R(0, w_remove(self->fd, a.ok));
}

static int kid_readonly(void *p)
{
	struct perm_args *a = p;
	size_t ps = page_size();
	unsigned char buf[256], x[4] = { 1, 2, 3, 4 };
	unsigned char *m;
	long long r;
	int fd;

	if (become(NOBODY, NOBODY, false))
		return 1;
	fd = open_wms();
	if (fd < 0)
		return kfail("uid 65534: open %s: %s", WMS_DEVICE_PATH, rstr(fd));
	r = w_attach(fd, a->ok);
	if (r)
		return kfail("uid 65534: ATTACH '%s' (mode 0604): %s, want 0", a->ok, rstr(r));
	r = attached_of(fd, a->ok);
	if (r != 1)
		kfail("INFO.attached after ATTACH: %s, want 1", rstr(r));
	r = rr(read(fd, buf, a->size));
	if (r != (long long)a->size || pat_diff(buf, 0, a->size, a->seed) != -1)
		kfail("read() of the 0604 entry: %s, want %llu bytes of its data", rstr(r),
		      (ull)a->size);
	r = rr(write(fd, x, 4));
	if (r != -EACCES)
		kfail("write() on a 0604 entry as uid 65534: %s, want -EACCES", rstr(r));
	r = rr(pwrite(fd, x, 4, 0));
	if (r != -EACCES)
		kfail("pwrite() on a 0604 entry as uid 65534: %s, want -EACCES", rstr(r));
	r = w_pwrite(fd, a->ok, 0, x, 4);
	if (r != -EACCES)
		kfail("WRITE ioctl on a 0604 entry as uid 65534: %s, want -EACCES", rstr(r));
	r = map_probe(ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r != -EACCES)
		kfail("mmap(PROT_READ|PROT_WRITE, MAP_SHARED) as uid 65534: %s, want -EACCES",
		      rstr(r));
	r = map_probe(ps, PROT_WRITE, MAP_SHARED, fd, 0);
	if (r != -EACCES)
		kfail("mmap(PROT_WRITE, MAP_SHARED) as uid 65534: %s, want -EACCES", rstr(r));
	r = xmap((void **)&m, ps, PROT_READ, MAP_SHARED, fd, 0);
	if (r) {
		kfail("mmap(PROT_READ, MAP_SHARED) as uid 65534: %s, want success", rstr(r));
	} else {
		if (pat_diff(m, 0, a->size, a->seed) != -1)
			kfail("the PROT_READ mapping does not show the entry's data");
		r = rr(mprotect(m, ps, PROT_READ | PROT_WRITE));
		if (r != -EACCES)
			kfail("mprotect(PROT_READ|PROT_WRITE) of a read-only mapping as uid "
			      "65534: %s, want -EACCES", rstr(r));
		munmap(m, ps);
	}
	r = rr(lseek(fd, 0, SEEK_CUR));
	if (r != (long long)a->size)
		kfail("position after read() + refused writes: %s, want %llu", rstr(r),
		      (ull)a->size);
	close(fd);
	return g_kl->msg[0] ? 1 : 0;
}

/* 0604 entry as an outsider: ATTACH and read OK; write, pwrite, mmap(PROT_WRITE), mprotect: -EACCES. */
TEST_F(attach, attach_readonly_write_eacces)
{
	struct perm_args a;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	a.size = 200;
	a.seed = SEED(1);
	set_field(a.ok, NM("ro"));
	MKP(a.ok, 200, 0604, SEED(1));
	pid = spawn(self, kid_readonly, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	EXPECT_ATTACHED(0, a.ok);
	CHECK_ENTRY_PAT(a.ok, 200, SEED(1), "0604 entry after refused writes");
	EXPECT_R(0, w_remove(self->fd, a.ok));
}

static const unsigned char mark_a[9] = "markA-01";
static const unsigned char mark_b[9] = "markB-02";
static const unsigned char mark_c[9] = "markC-03";

/* attach as 65534 (saved uid root), write refused; become root again: still refused */
static int kid_perm_late_root(void *p)
{
	struct perm_args *a = p;
	long long r;
	int fd, fd2;

	if (become(NOBODY, NOBODY, true))
		return 1;
	fd = open_attach(a->ok);
	if (fd < 0)
		return kfail("euid 65534: open + ATTACH '%s' (0604): %s", a->ok, rstr(fd));
	r = rr(pwrite(fd, mark_a, 8, 0));
	if (r != -EACCES)
		return kfail("euid 65534: pwrite(): %s, want -EACCES", rstr(r));
	if (seteuid(0))
		return kfail("seteuid(0): %s", strerror(errno));
	r = rr(pwrite(fd, mark_a, 8, 0));
	if (r != -EACCES)
		kfail("pwrite() after seteuid(0) on a file attached as euid 65534: %s, want "
		      "-EACCES (write permission is decided at ATTACH time)", rstr(r));
	r = rr(write(fd, mark_a, 8));
	if (r != -EACCES)
		kfail("write() after seteuid(0) on a file attached as euid 65534: %s, want "
		      "-EACCES", rstr(r));
	r = map_probe(page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r != -EACCES)
		kfail("mmap(PROT_WRITE) after seteuid(0) on a file attached as euid 65534: %s, "
		      "want -EACCES", rstr(r));
	/* a file attached now, as root, may write */
	fd2 = open_attach(a->ok);
	if (fd2 < 0)
		return kfail("root again: open + ATTACH: %s", rstr(fd2));
	r = rr(pwrite(fd2, mark_a, 8, 0));
	if (r != 8)
		kfail("pwrite() on a file attached as root: %s, want 8", rstr(r));
	close(fd2);
	close(fd);
	return g_kl->msg[0] ? 1 : 0;
}

/* attach as root, then drop every privilege: the file may still write */
static int kid_perm_late_drop(void *p)
{
	struct perm_args *a = p;
	size_t ps = page_size();
	unsigned char *m;
	long long r;
	int fd, fd2;

	fd = open_attach(a->ok);
	if (fd < 0)
		return kfail("root: open + ATTACH '%s': %s", a->ok, rstr(fd));
	if (become(NOBODY, NOBODY, false))
		return 1;
	r = rr(pwrite(fd, mark_b, 8, 8));
	if (r != 8)
		kfail("uid 65534: pwrite() on a file attached as root: %s, want 8 (write "
		      "permission is decided at ATTACH time)", rstr(r));
	r = xmap((void **)&m, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r) {
		kfail("uid 65534: mmap(PROT_WRITE) of a file attached as root: %s, want 0",
		      rstr(r));
	} else {
		memcpy(m + 16, mark_c, 8);
		munmap(m, ps);
	}
	fd2 = open_attach(a->ok);
	if (fd2 < 0)
		return kfail("uid 65534: open + ATTACH '%s' (0604): %s, want success", a->ok,
			     rstr(fd2));
	r = rr(pwrite(fd2, mark_b, 8, 24));
	if (r != -EACCES)
		kfail("uid 65534: pwrite() on a file attached as uid 65534: %s, want -EACCES",
		      rstr(r));
	close(fd2);
	close(fd);
	return g_kl->msg[0] ? 1 : 0;
}

/* Write permission is evaluated once, at ATTACH, with the attacher's credentials. */
TEST_F(attach, attach_write_perm_fixed_at_attach)
{
	unsigned char got[32];
	struct perm_args a;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	set_field(a.ok, NM("e"));
	MK(a.ok, 4096, 0604);
	pid = spawn(self, kid_perm_late_root, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	memset(g_kl, 0, sizeof(*g_kl));
	pid = spawn(self, kid_perm_late_drop, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	EXPECT_R(32, w_pread(self->fd, a.ok, 0, got, 32));
	EXPECT_EQ(0, memcmp(got, mark_a, 8)) TH_LOG("bytes 0..7: the root-attached file's pwrite is missing");
	EXPECT_EQ(0, memcmp(got + 8, mark_b, 8)) TH_LOG("bytes 8..15: pwrite after dropping privileges is missing");
	EXPECT_EQ(0, memcmp(got + 16, mark_c, 8)) TH_LOG("bytes 16..23: store through the mapping is missing");
	EXPECT_ZERO(got + 24, 24, 8, "bytes 24..31 (refused pwrite)");
	EXPECT_ATTACHED(0, a.ok);
	EXPECT_R(0, w_remove(self->fd, a.ok));
}

struct og_args {
	char own_r[NAME_LEN], own_w[NAME_LEN], own_rw[NAME_LEN], own_none[NAME_LEN];
	char grp_r[NAME_LEN], grp_rw[NAME_LEN];
	gid_t gid;
};

/* check that an open+ATTACH gives want_attach and, if attached, pwrite gives want_write */
static int kid_try(const char *who, const char *name, int want_attach, long long want_write)
{
	long long r;
	int fd = open_wms();

	if (fd < 0)
		return kfail("%s: open: %s", who, rstr(fd));
	r = w_attach(fd, name);
	if (r != want_attach) {
		close(fd);
		return kfail("%s: ATTACH '%s': %s, want %s", who, name, rstr(r),
			     rstr(want_attach));
	}
	if (!r) {
		unsigned char b[9] = "written!";

		r = rr(pwrite(fd, b, 8, 0));
		if (r != want_write)
			kfail("%s: pwrite() on '%s': %s, want %s", who, name, rstr(r),
			      rstr(want_write));
		r = rr(pread(fd, b, 8, 0));
		if (r != 8)
			kfail("%s: pread() on '%s': %s, want 8", who, name, rstr(r));
	}
	close(fd);
	return 0;
}

static int kid_owner(void *p)
{
	struct og_args *a = p;
	int fd;

	if (become(NOBODY, NOBODY, false))
		return 1;
	fd = open_wms();
	if (fd < 0)
		return kfail("open: %s", rstr(fd));
	if (w_add(fd, a->own_r, 64, WMS_ADD_EXCL, 0400, NULL) ||
	    w_add(fd, a->own_w, 64, WMS_ADD_EXCL, 0200, NULL) ||
	    w_add(fd, a->own_rw, 64, WMS_ADD_EXCL, 0600, NULL) ||
	    w_add(fd, a->own_none, 64, WMS_ADD_EXCL, 0066, NULL))
		return kfail("uid 65534: ADD of its own entries failed");
	close(fd);
	kid_try("owner 65534, mode 0400", a->own_r, 0, -EACCES);
	kid_try("owner 65534, mode 0200", a->own_w, -EACCES, 0);
	kid_try("owner 65534, mode 0600", a->own_rw, 0, 8);
	/* SysV: the owner class decides for the owner, group/other bits do not help */
	kid_try("owner 65534, mode 0066", a->own_none, -EACCES, 0);
	return g_kl->msg[0] ? 1 : 0;
}

static int kid_group(void *p)
{
	struct og_args *a = p;

	if (become(NOBODY, a->gid, false))
		return 1;
	kid_try("uid 65534 in the owner's group, mode 0640", a->grp_r, 0, -EACCES);
	kid_try("uid 65534 in the owner's group, mode 0660", a->grp_rw, 0, 8);
	return g_kl->msg[0] ? 1 : 0;
}

/* Owner and group bits decide ATTACH (read) and write, SysV style. */
TEST_F(attach, attach_owner_and_group_bits)
{
	struct wms_info in;
	struct og_args a;
	unsigned char b[8];
	pid_t pid;

	memset(&a, 0, sizeof(a));
	set_field(a.own_r, NM("own_r"));
	set_field(a.own_w, NM("own_w"));
	set_field(a.own_rw, NM("own_rw"));
	set_field(a.own_none, NM("own_none"));
	set_field(a.grp_r, NM("grp_r"));
	set_field(a.grp_rw, NM("grp_rw"));
	MK(a.grp_r, 64, 0640);
	MK(a.grp_rw, 64, 0660);
	ASSERT_EQ(0, w_info(self->fd, a.grp_r, &in));
	a.gid = in.gid;
	ASSERT_NE((unsigned int)NOBODY, a.gid) TH_LOG("root's group is 65534?");
	pid = spawn(self, kid_owner, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	memset(g_kl, 0, sizeof(*g_kl));
	pid = spawn(self, kid_group, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	EXPECT_R(8, w_pread(self->fd, a.own_rw, 0, b, 8));
	EXPECT_EQ(0, memcmp(b, "written!", 8)) TH_LOG("owner's pwrite to its 0600 entry missing");
	EXPECT_R(8, w_pread(self->fd, a.grp_rw, 0, b, 8));
	EXPECT_EQ(0, memcmp(b, "written!", 8)) TH_LOG("group member's pwrite to the 0660 entry missing");
	EXPECT_R(8, w_pread(self->fd, a.grp_r, 0, b, 8));
	EXPECT_ZERO(b, 0, 8, "0640 entry after the refused pwrite");
	EXPECT_R(8, w_pread(self->fd, a.own_r, 0, b, 8));
	EXPECT_ZERO(b, 0, 8, "0400 entry after the refused pwrite");
	EXPECT_R(0, w_remove(self->fd, a.own_r));
	EXPECT_R(0, w_remove(self->fd, a.own_w));
	EXPECT_R(0, w_remove(self->fd, a.own_rw));
	EXPECT_R(0, w_remove(self->fd, a.own_none));
	EXPECT_R(0, w_remove(self->fd, a.grp_r));
	EXPECT_R(0, w_remove(self->fd, a.grp_rw));
}

/* CAP_SYS_ADMIN bypasses the mode: root attaches, writes and maps 0200/0400/0004 entries. */
TEST_F(attach, attach_root_bypasses_mode)
{
	static const __u32 modes[] = { 0200, 0400, 0004 };
	size_t ps = page_size();
	unsigned int i;

	for (i = 0; i < 3; i++) {
		const char *n = NM("m%04o", modes[i]);
		unsigned char b[9] = "rootwrit", g[8];
		unsigned char *m;
		int fd;

		MK(n, 64, modes[i]);
		fd = OPEN_ATTACH(n);
		EXPECT_RM(8, rr(pwrite(fd, b, 8, 0)), "(mode %04o)", modes[i]);
		EXPECT_RM(8, rr(pread(fd, g, 8, 0)), "(mode %04o)", modes[i]);
		EXPECT_EQ(0, memcmp(b, g, 8));
		EXPECT_RM(0, xmap((void **)&m, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
			  "(mode %04o)", modes[i]);
		if (m) {
			EXPECT_EQ(0, memcmp(m, b, 8));
			m[9] = 0x5a;
			munmap(m, ps);
			EXPECT_RM(1, rr(pread(fd, g, 1, 9)), "(mode %04o)", modes[i]);
			EXPECT_EQ(0x5a, g[0]);
		}
		close(fd);
		EXPECT_R(0, w_remove(self->fd, n));
	}
}

/* ================================================================== */
/* The file before ATTACH                                              */
/* ================================================================== */

/* read, write, pread, pwrite, lseek, mmap on an unattached file: -EBADFD. */
TEST_F(attach, unattached_ops_ebadfd)
{
	const char *n = NM("e");
	size_t ps = page_size();
	char buf[17] = "0123456789abcdef";

	MK(n, 4096, 0600);	/* an entry exists; the file just is not attached */
	EXPECT_R(-EBADFD, rr(read(self->fd, buf, 16)));
	EXPECT_R(-EBADFD, rr(write(self->fd, buf, 16)));
	EXPECT_R(-EBADFD, rr(pread(self->fd, buf, 16, 0)));
	EXPECT_R(-EBADFD, rr(pwrite(self->fd, buf, 16, 0)));
	EXPECT_R(-EBADFD, rr(lseek(self->fd, 0, SEEK_SET)));
	EXPECT_R(-EBADFD, rr(lseek(self->fd, 0, SEEK_CUR)));
	EXPECT_R(-EBADFD, rr(lseek(self->fd, 0, SEEK_END)));
	EXPECT_R(-EBADFD, rr(lseek(self->fd, 10, SEEK_SET)));
	EXPECT_R(-EBADFD, map_probe(ps, PROT_READ, MAP_SHARED, self->fd, 0));
	EXPECT_R(-EBADFD, map_probe(ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0));
	/* the ioctls still work on it, and nothing was written */
	EXPECT_ATTACHED(0, n);
	EXPECT_R(16, w_pread(self->fd, n, 0, buf, 16));
	EXPECT_ZERO(buf, 0, 16, "entry after the refused write()s");
	EXPECT_R(0, w_remove(self->fd, n));
}

/* ================================================================== */
/* read / write / pread / pwrite / lseek on an attached file           */
/* ================================================================== */

/* write/read move the position like a regular file's; pread/pwrite do not; the ioctls agree. */
TEST_F(attach, rw_roundtrip_and_position)
{
	const char *n = NM("e");
	const size_t ps = page_size(), size = 3 * ps + 123;
	unsigned char *p = malloc(size), *g = malloc(size + 1000), q[50];
	int fd;

	ASSERT_TRUE(p && g);
	pat_fill(p, 0, size, SEED(1));
	MK(n, size, 0600);
	fd = OPEN_ATTACH(n);
	EXPECT_POS(fd, 0);
	EXPECT_R(1000, rr(write(fd, p, 1000)));
	EXPECT_POS(fd, 1000);
	EXPECT_R((long long)size - 1000, rr(write(fd, p + 1000, size - 1000)));
	EXPECT_POS(fd, size);
	CHECK_ENTRY_PAT(n, size, SEED(1), "entry after write()s");

	EXPECT_R(0, rr(lseek(fd, 0, SEEK_SET)));
	memset(g, 0, size + 1000);
	EXPECT_R(500, rr(read(fd, g, 500)));
	EXPECT_POS(fd, 500);
	EXPECT_PAT(g, 0, 500, SEED(1), "read() of 500 bytes");
	EXPECT_RM((long long)size - 500, rr(read(fd, g + 500, size)), "(short read at the end)");
	EXPECT_POS(fd, size);
	EXPECT_PAT(g, 0, size, SEED(1), "two read()s of the whole entry");
	EXPECT_R(0, rr(read(fd, g, 10)));
	EXPECT_POS(fd, size);

	/* pread/pwrite leave the position alone */
	EXPECT_R(100, rr(pread(fd, g, 100, 2000)));
	EXPECT_PAT(g, 2000, 100, SEED(1), "pread()");
	pat_fill(q, 10, 50, SEED(2));
	EXPECT_R(50, rr(pwrite(fd, q, 50, 10)));
	EXPECT_POS(fd, size);
	EXPECT_R(60, w_pread(self->fd, n, 0, g, 60));
	EXPECT_PAT(g, 0, 10, SEED(1), "READ ioctl before the pwrite()");
	EXPECT_PAT(g + 10, 10, 50, SEED(2), "READ ioctl of the pwrite()");

	/* a WRITE ioctl is seen by read() */
	pat_fill(q, ps, 50, SEED(3));
	EXPECT_R(50, w_pwrite(self->fd, n, ps, q, 50));
	EXPECT_R((long long)ps, rr(lseek(fd, ps, SEEK_SET)));
	EXPECT_R(50, rr(read(fd, g, 50)));
	EXPECT_PAT(g, ps, 50, SEED(3), "read() of a WRITE ioctl");
	EXPECT_POS(fd, ps + 50);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
	free(p);
	free(g);
}

/* read/pread at pos >= size: 0 bytes, buffer untouched, position unchanged. */
TEST_F(attach, read_at_or_past_end_zero)
{
	const char *n = NM("e");
	unsigned char buf[64];
	int fd;

	MKP(n, 1000, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	memset(buf, 0xaa, sizeof(buf));
	EXPECT_R(0, rr(pread(fd, buf, 64, 1000)));
	EXPECT_R(0, rr(pread(fd, buf, 64, 1001)));
	EXPECT_R(0, rr(pread(fd, buf, 64, page_size())));
	EXPECT_R(0, rr(pread(fd, buf, 64, (off_t)1 << 40)));
	EXPECT_R(0, rr(pread(fd, buf, 1, 1000)));
	EXPECT_R(1000, rr(lseek(fd, 0, SEEK_END)));
	EXPECT_R(0, rr(read(fd, buf, 64)));
	EXPECT_POS(fd, 1000);
	EXPECT_R(1000, rr(lseek(fd, 1000, SEEK_SET)));
	EXPECT_R(0, rr(read(fd, buf, 1)));
	EXPECT_POS(fd, 1000);
	for (size_t i = 0; i < sizeof(buf); i++) {
		EXPECT_EQ(0xaa, buf[i]) TH_LOG("buffer byte %zu written by a 0-byte read", i);
		if (buf[i] != 0xaa)
			break;
	}
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* A read crossing the end is short; the bytes past it in the buffer are untouched. */
TEST_F(attach, read_crossing_end_short)
{
	const char *n = NM("e");
	unsigned char buf[4096];
	int fd;

	MKP(n, 1000, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	memset(buf, 0xaa, sizeof(buf));
	EXPECT_R(50, rr(pread(fd, buf, 100, 950)));
	EXPECT_PAT(buf, 950, 50, SEED(1), "short pread()");
	EXPECT_EQ(0xaa, buf[50]) TH_LOG("short pread() wrote past the bytes it returned");
	EXPECT_R(1, rr(pread(fd, buf, 4096, 999)));
	EXPECT_EQ(pat_byte(SEED(1), 999), buf[0]);
	EXPECT_R(990, rr(lseek(fd, 990, SEEK_SET)));
	memset(buf, 0xaa, sizeof(buf));
	EXPECT_R(10, rr(read(fd, buf, sizeof(buf))));
	EXPECT_PAT(buf, 990, 10, SEED(1), "short read()");
	EXPECT_EQ(0xaa, buf[10]) TH_LOG("short read() wrote past the bytes it returned");
	EXPECT_POS(fd, 1000);
	EXPECT_R(0, rr(lseek(fd, 0, SEEK_SET)));
	EXPECT_R(1000, rr(read(fd, buf, sizeof(buf))));
	EXPECT_PAT(buf, 0, 1000, SEED(1), "read() of the whole entry");
	EXPECT_POS(fd, 1000);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* write/pwrite with pos + count > size: -EFBIG, nothing written, position unchanged. */
TEST_F(attach, write_crossing_end_efbig)
{
	const char *n = NM("e");
	unsigned char q[2000];
	int fd;

	MKP(n, 1000, 0600, SEED(1));
	pat_fill(q, 0, sizeof(q), SEED(2));
	fd = OPEN_ATTACH(n);
	EXPECT_R(-EFBIG, rr(pwrite(fd, q, 100, 950)));
	EXPECT_R(-EFBIG, rr(pwrite(fd, q, 1, 1000)));
	EXPECT_R(-EFBIG, rr(pwrite(fd, q, 1, 5000)));
	EXPECT_R(-EFBIG, rr(pwrite(fd, q, 1001, 0)));
	EXPECT_R(-EFBIG, rr(pwrite(fd, q, 2000, 0)));
	EXPECT_R(-EFBIG, rr(pwrite(fd, q, 1, (off_t)1 << 40)));
	EXPECT_R(950, rr(lseek(fd, 950, SEEK_SET)));
	EXPECT_R(-EFBIG, rr(write(fd, q, 100)));
	EXPECT_POS(fd, 950);
	EXPECT_R(0, rr(lseek(fd, 0, SEEK_SET)));
	EXPECT_R(-EFBIG, rr(write(fd, q, 1001)));
	EXPECT_POS(fd, 0);
	CHECK_ENTRY_PAT(n, 1000, SEED(1), "entry after refused writes");
	/* exactly to the end is fine */
	EXPECT_R(50, rr(pwrite(fd, q, 50, 950)));
	EXPECT_R(950, rr(lseek(fd, 950, SEEK_SET)));
	EXPECT_R(50, rr(write(fd, q + 50, 50)));
	EXPECT_POS(fd, 1000);
	EXPECT_R(-EFBIG, rr(write(fd, q, 1)));
	EXPECT_POS(fd, 1000);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* count 0: read/write/pread/pwrite return 0, change nothing (also at pos == size). */
TEST_F(attach, rw_count0)
{
	const char *n = NM("e");
	unsigned char q[9] = "zzzzzzzz";
	int fd;

	MKP(n, 100, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	EXPECT_R(40, rr(lseek(fd, 40, SEEK_SET)));
	EXPECT_R(0, rr(read(fd, q, 0)));
	EXPECT_POS(fd, 40);
	EXPECT_R(0, rr(write(fd, q, 0)));
	EXPECT_POS(fd, 40);
	EXPECT_R(0, rr(pread(fd, q, 0, 0)));
	EXPECT_R(0, rr(pwrite(fd, q, 0, 0)));
	EXPECT_R(0, rr(pread(fd, q, 0, 100)));
	EXPECT_R(0, rr(pwrite(fd, q, 0, 100)));
	EXPECT_R(100, rr(lseek(fd, 0, SEEK_END)));
	EXPECT_R(0, rr(write(fd, q, 0)));
	EXPECT_R(0, rr(read(fd, q, 0)));
	EXPECT_POS(fd, 100);
	EXPECT_EQ(0, memcmp(q, "zzzzzzzz", 8));
	CHECK_ENTRY_PAT(n, 100, SEED(1), "entry after 0-byte writes");
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* lseek SEEK_SET/SEEK_CUR/SEEK_END (END relative to the size); size itself allowed. */
TEST_F(attach, lseek_set_cur_end)
{
	const char *n = NM("e");
	unsigned char c;
	int fd;

	MKP(n, 5000, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	EXPECT_R(0, rr(lseek(fd, 0, SEEK_SET)));
	EXPECT_R(4999, rr(lseek(fd, 4999, SEEK_SET)));
	EXPECT_R(1, rr(read(fd, &c, 1)));
	EXPECT_EQ(pat_byte(SEED(1), 4999), c);
	EXPECT_R(5000, rr(lseek(fd, 5000, SEEK_SET)));
	EXPECT_R(4000, rr(lseek(fd, -1000, SEEK_CUR)));
	EXPECT_R(4000, rr(lseek(fd, 0, SEEK_CUR)));
	EXPECT_R(5000, rr(lseek(fd, 1000, SEEK_CUR)));
	EXPECT_R(0, rr(lseek(fd, -5000, SEEK_CUR)));
	EXPECT_R(5000, rr(lseek(fd, 0, SEEK_END)));
	EXPECT_R(0, rr(lseek(fd, -5000, SEEK_END)));
	EXPECT_R(4999, rr(lseek(fd, -1, SEEK_END)));
	EXPECT_R(1, rr(read(fd, &c, 1)));
	EXPECT_EQ(pat_byte(SEED(1), 4999), c);
	EXPECT_R(1234, rr(lseek(fd, -3766, SEEK_END)));
	EXPECT_R(1, rr(read(fd, &c, 1)));
	EXPECT_EQ(pat_byte(SEED(1), 1234), c);
	EXPECT_POS(fd, 1235);
	/* The entry is all data: SEEK_DATA stays, SEEK_HOLE goes to the end. */
	EXPECT_R(600, rr(lseek(fd, 600, SEEK_DATA)));
	EXPECT_R(5000, rr(lseek(fd, 600, SEEK_HOLE)));
	EXPECT_R(-ENXIO, rr(lseek(fd, 5000, SEEK_DATA)));
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* lseek to an offset < 0 or > size: -EINVAL, position unchanged. */
TEST_F(attach, lseek_out_of_range_einval)
{
	const char *n = NM("e");
	int fd;

	MK(n, 5000, 0600);
	fd = OPEN_ATTACH(n);
	ASSERT_R(1234, rr(lseek(fd, 1234, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, 5001, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, -1, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, INT64_MAX, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, INT64_MIN, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, 3767, SEEK_CUR)));
	EXPECT_R(-EINVAL, rr(lseek(fd, -1235, SEEK_CUR)));
	EXPECT_R(-EINVAL, rr(lseek(fd, INT64_MAX, SEEK_CUR)));
	EXPECT_R(-EINVAL, rr(lseek(fd, INT64_MIN, SEEK_CUR)));
	EXPECT_R(-EINVAL, rr(lseek(fd, 1, SEEK_END)));
	EXPECT_R(-EINVAL, rr(lseek(fd, -5001, SEEK_END)));
	EXPECT_R(-EINVAL, rr(lseek(fd, INT64_MIN, SEEK_END)));
	EXPECT_R(-EINVAL, rr(lseek(fd, 0, 99)));
	EXPECT_POS(fd, 1234);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* All or nothing: a partly inaccessible buffer gives -EFAULT; write leaves the data as it was. */
TEST_F(attach, rw_partly_unmapped_efault)
{
	const char *n = NM("e"), *big = NM("big");
	size_t ps = page_size(), bigsz = 16 * ps;
	unsigned char *area, *b, *bb, good[200];
	int fd, fdb;

	MKP(n, 2 * ps, 0600, SEED(1));
	MKP(big, bigsz, 0600, SEED(2));
	fd = OPEN_ATTACH(n);
	fdb = OPEN_ATTACH(big);
	ASSERT_R(0, xmap((void **)&area, 2 * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	pat_fill(area, 0, 2 * ps, SEED(3));
	ASSERT_EQ(0, mprotect(area + ps, ps, PROT_NONE));
	b = area + ps - 100;	/* 100 bytes readable, then the PROT_NONE page */

	EXPECT_R(-EFAULT, rr(write(fd, b, 200)));
	EXPECT_POS(fd, 0);
	EXPECT_R(-EFAULT, rr(pwrite(fd, b, 200, 300)));
	EXPECT_RM(-EFAULT, rr(write(fd, area + ps, 10)), "(buffer wholly in PROT_NONE)");
	EXPECT_POS(fd, 0);
	CHECK_ENTRY_PAT(n, 2 * ps, SEED(1), "entry after write()s from a bad buffer");

	/* 15 good pages then a bad one: nothing of the 15 may land */
	ASSERT_R(0, xmap((void **)&bb, bigsz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	pat_fill(bb, 0, bigsz, SEED(4));
	ASSERT_EQ(0, mprotect(bb + bigsz - ps, ps, PROT_NONE));
	EXPECT_R(-EFAULT, rr(pwrite(fdb, bb, bigsz, 0)));
	EXPECT_R(-EFAULT, rr(write(fdb, bb + ps, bigsz - ps)));
	EXPECT_POS(fdb, 0);
	CHECK_ENTRY_PAT(big, bigsz, SEED(2), "16-page entry after a write() whose last page faults");

	EXPECT_R(-EFAULT, rr(read(fd, b, 200)));
	EXPECT_POS(fd, 0);
	EXPECT_R(-EFAULT, rr(pread(fd, b, 200, 0)));
	EXPECT_RM(-EFAULT, rr(read(fd, area + ps, 10)), "(buffer wholly in PROT_NONE)");
	ASSERT_EQ(0, mprotect(area, ps, PROT_READ));
	EXPECT_RM(-EFAULT, rr(read(fd, area, 10)), "(buffer is read-only)");
	EXPECT_POS(fd, 0);
	/* the file still works */
	EXPECT_R(200, rr(read(fd, good, 200)));
	EXPECT_PAT(good, 0, 200, SEED(1), "read() after the faults");
	EXPECT_POS(fd, 200);
	close(fd);
	close(fdb);
	munmap(area, 2 * ps);
	munmap(bb, bigsz);
	EXPECT_R(0, w_remove(self->fd, n));
	EXPECT_R(0, w_remove(self->fd, big));
}

/* Two files attached to one entry have their own positions; dup() shares one. */
TEST_F(attach, independent_positions)
{
	const char *n = NM("e");
	unsigned char b[16];
	int f1, f2, d;

	MKP(n, 100, 0600, SEED(1));
	f1 = OPEN_ATTACH(n);
	f2 = OPEN_ATTACH(n);
	EXPECT_R(10, rr(read(f1, b, 10)));
	EXPECT_POS(f1, 10);
	EXPECT_POS(f2, 0);
	EXPECT_R(100, rr(lseek(f2, 0, SEEK_END)));
	EXPECT_POS(f1, 10);
	EXPECT_R(16, rr(read(f1, b, 16)));
	EXPECT_PAT(b, 10, 16, SEED(1), "read() on the first file");
	d = dup(f1);
	ASSERT_LE(0, d);
	EXPECT_R(4, rr(read(d, b, 4)));
	EXPECT_POS(f1, 30);
	EXPECT_ATTACHED(2, n);
	close(d);
	close(f1);
	close(f2);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* A size-0 entry: ATTACH OK, read 0, write -EFBIG, lseek only to 0, mmap -EINVAL. */
TEST_F(attach, size0_entry)
{
	const char *n = NM("e");
	size_t ps = page_size();
	unsigned char b[9] = "xxxxxxxx";
	int fd;

	MK(n, 0, 0600);
	fd = OPEN_ATTACH(n);
	EXPECT_ATTACHED(1, n);
	EXPECT_R(0, rr(read(fd, b, 8)));
	EXPECT_R(0, rr(pread(fd, b, 8, 0)));
	EXPECT_R(-EFBIG, rr(write(fd, b, 1)));
	EXPECT_R(-EFBIG, rr(pwrite(fd, b, 1, 0)));
	EXPECT_R(0, rr(write(fd, b, 0)));
	EXPECT_R(0, rr(lseek(fd, 0, SEEK_END)));
	EXPECT_R(0, rr(lseek(fd, 0, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, 1, SEEK_SET)));
	EXPECT_R(-EINVAL, rr(lseek(fd, 1, SEEK_CUR)));
	EXPECT_R(-EINVAL, rr(lseek(fd, -1, SEEK_END)));
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_R(-EINVAL, map_probe(ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_POS(fd, 0);
	close(fd);
	EXPECT_ATTACHED(0, n);
	EXPECT_R(0, w_remove(self->fd, n));
}

/* ---- atomicity: fd read/write act like READ/WRITE ---------------- */

struct atom {
	int fd_w, ctl;
	char name[NAME_LEN];
	size_t size;
	atomic_int stop;
	atomic_ulong writes;
	long long err;
	atomic_bool exited;
	pthread_t th;
	bool started;
};
static struct atom g_atom;

static void *atom_writer(void *arg)
{
	struct atom *a = arg;
	size_t nw = a->size / 8, i;
	__u64 *buf = malloc(a->size);
	__u32 k = 0;

	if (!buf) {
		a->err = -ENOMEM;
		atomic_store(&a->exited, true);
		return NULL;
	}
	while (!atomic_load(&a->stop)) {
		__u64 v = mkval(++k);
		long long r;

		for (i = 0; i < nw; i++)
			buf[i] = v;
		if (k & 1)
			r = rr(pwrite(a->fd_w, buf, a->size, 0));
		else
			r = w_pwrite(a->ctl, a->name, 0, buf, a->size);
		if (r != (long long)a->size) {
			a->err = r;
			break;
		}
		atomic_fetch_add(&a->writes, 1);
	}
	free(buf);
	atomic_store(&a->exited, true);
	return NULL;
}

/* Wait until the writer has counted want writes; false if it stopped. */
static bool atom_wait_writes(unsigned long want)
{
	while (atomic_load(&g_atom.writes) < want) {
		if (atomic_load(&g_atom.exited))
			return false;
		usleep(50);
	}
	return true;
}

static void atom_stop(void)
{
	if (!g_atom.started)
		return;
	atomic_store(&g_atom.stop, 1);
	pthread_join(g_atom.th, NULL);
	g_atom.started = false;
}

/*
 * Whole-entry pwrite()/WRITE vs pread()/read()/READ: a reader never sees two
 * writes mixed. ATOM_READS reads, bounded by reads rather than time: a read
 * that sees the value of the read before waits for the writer to count two
 * more writes than it had counted when that read returned (one may have
 * finished uncounted), so the next read sees a newer write and at least
 * every second read sees a change. Its time is only bounded by the test's
 * timeout (120 s): on Debian 6.12 under QEMU TCG, the host's two cores at
 * a load average of 7 to 8 with busy loops on both, 3,000 reads took 3 to
 * 6 s (6,000: 6 to 20 s); on the UML debug kernel (one CPU, each wait a
 * 10 ms tick) 15 s. Reads without the data lock made it fail (3,859 of
 * 6,000 torn).
 */
#define ATOM_READS	3000
TEST_F_TIMEOUT(attach, rw_atomic_against_each_other, 120)
{
	const char *n = NM("e");
	const size_t size = 3 * page_size() + 512, nw = size / 8;
	unsigned long reads = 0, torn = 0, changes = 0, writes = 0;
	__u64 *buf = malloc(size), prev = 0, t0 = now_ns();
	bool same = false;
	int fd_r;

	ASSERT_TRUE(buf != NULL);
	MK(n, size, 0600);
	memset(&g_atom, 0, sizeof(g_atom));
	g_atom.fd_w = OPEN_ATTACH(n);
	g_atom.ctl = self->fd;
	set_field(g_atom.name, n);
	g_atom.size = size;
	fd_r = OPEN_ATTACH(n);
	ASSERT_EQ(0, pthread_create(&g_atom.th, NULL, atom_writer, &g_atom));
	g_atom.started = true;
	self->stop_fn = atom_stop;
	while (reads < ATOM_READS && atom_wait_writes(same ? writes + 2 : 1)) {
		long long r;
		size_t i;

		switch (reads % 3) {
		case 0:
			r = rr(pread(fd_r, buf, size, 0));
			break;
		case 1:
			r = rr(lseek(fd_r, 0, SEEK_SET));
			if (!r)
				r = rr(read(fd_r, buf, size));
			break;
		default:
			r = w_pread(self->fd, n, 0, buf, size);
		}
		writes = atomic_load(&g_atom.writes);
		ASSERT_EQ((long long)size, r) TH_LOG("read #%lu (kind %lu): %s", reads,
						     reads % 3, rstr(r));
		reads++;
		for (i = 1; i < nw; i++)
			if (buf[i] != buf[0])
				break;
		if (i < nw || !val_ok(buf[0])) {
			if (!torn++)
				TH_LOG("read #%lu (kind %lu, 0 pread 1 read 2 READ): word 0 = %016llx, "
				       "word %zu = %016llx: two writes mixed",
				       reads - 1, (reads - 1) % 3, (ull)buf[0], i,
				       (ull)(i < nw ? buf[i] : 0));
		}
		same = buf[0] == prev;
		if (!same)
			changes++;
		prev = buf[0];
	}
	atom_stop();
	EXPECT_EQ(0LL, g_atom.err) TH_LOG("writer: %s", rstr(g_atom.err));
	EXPECT_EQ((unsigned long)ATOM_READS, reads) TH_LOG("the writer stopped");
	EXPECT_EQ(0UL, torn) TH_LOG("%lu of %lu reads were torn", torn, reads);
	EXPECT_LE((unsigned long)ATOM_READS / 2, changes)
		TH_LOG("reads saw only %lu changes in %lu reads (%lu writes): the test "
		       "proved nothing", changes, reads, atomic_load(&g_atom.writes));
	diag("%lu reads, %lu writes, %lu changes seen, %.1f s", reads,
	     atomic_load(&g_atom.writes), changes, (double)(now_ns() - t0) / 1e9);
	close(fd_r);
	close(g_atom.fd_w);
	EXPECT_R(0, w_remove(self->fd, n));
	free(buf);
}

/* The user buffer may be a mapping of the same entry (no deadlock, right bytes). */
TEST_F(attach, rw_buffer_in_own_mapping)
{
	const char *n = NM("e");
	size_t ps = page_size(), size = 4 * ps;
	unsigned char *m, *want = malloc(size), g[200];
	int fd;

	ASSERT_TRUE(want != NULL);
	MKP(n, size, 0600, SEED(1));
	fd = OPEN_ATTACH(n);
	ASSERT_R(0, xmap((void **)&m, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	pat_fill(want, 0, size, SEED(1));
	/* pwrite from the mapping into another part of the entry */
	EXPECT_R(100, rr(pwrite(fd, m, 100, 2 * ps)));
	memcpy(want + 2 * ps, want, 100);
	/* pread into the mapping */
	EXPECT_R(200, rr(pread(fd, m + 3 * ps, 200, ps)));
	memcpy(want + 3 * ps, want + ps, 200);
	/* write() from the mapping into an overlapping range (dst < src) */
	EXPECT_R(64, rr(lseek(fd, 64, SEEK_SET)));
	EXPECT_R(100, rr(write(fd, m + 96, 100)));
	memmove(want + 64, want + 96, 100);
	/* and dst > src, which a forward copy would smear; WMS_IOC_WRITE too */
	EXPECT_R(100, rr(pwrite(fd, m + 200, 100, 232)));
	memmove(want + 232, want + 200, 100);
	EXPECT_R(300, w_pwrite(self->fd, n, 1000, m + 900, 300));
	memmove(want + 1000, want + 900, 300);
	EXPECT_EQ(0, memcmp(m, want, size)) TH_LOG("mapping differs from the expected bytes");
	EXPECT_R(200, w_pread(self->fd, n, 3 * ps, g, 200));
	EXPECT_EQ(0, memcmp(g, want + 3 * ps, 200));
	EXPECT_R(100, w_pread(self->fd, n, 64, g, 100));
	EXPECT_EQ(0, memcmp(g, want + 64, 100));
	munmap(m, size);
	close(fd);
	EXPECT_R(0, w_remove(self->fd, n));
	free(want);
}

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
/* INFO.attached counts open files                                     */
/* ================================================================== */

struct cnt_args {
	char name[NAME_LEN];
	int ctl, fd, dupfd;
};

static int kid_count(void *p)
{
	struct cnt_args *a = p;
	unsigned char c;
	long long r = attached_of(a->ctl, a->name);

	if (r != 1)
		kfail("child: INFO.attached after fork: %s, want 1", rstr(r));
	r = rr(pread(a->fd, &c, 1, 0));
	if (r != 1)
		kfail("child: pread() on the inherited attached file: %s, want 1", rstr(r));
	close(a->fd);
	close(a->dupfd);
	r = attached_of(a->ctl, a->name);
	if (r != 1)
		kfail("child: INFO.attached after closing its copies: %s, want 1 (the parent "
		      "still has the file)", rstr(r));
	return g_kl->msg[0] ? 1 : 0;
}

/* dup() and fork() share one open file: it is counted once, until its last close. */
TEST_F(attach, attached_counts_files_not_fds)
{
	struct cnt_args a;
	pid_t pid;
	int f2;

	memset(&a, 0, sizeof(a));
	set_field(a.name, NM("e"));
	a.ctl = self->fd;
	MK(a.name, 100, 0600);
	a.fd = OPEN_ATTACH(a.name);
	EXPECT_ATTACHED(1, a.name);
	a.dupfd = dup(a.fd);
	ASSERT_LE(0, a.dupfd);
	EXPECT_ATTACHED(1, a.name);
	pid = spawn(self, kid_count, &a, NULL);
	ASSERT_LE(0, pid);
	EXPECT_KID_OK(pid);
	EXPECT_ATTACHED(1, a.name);
	f2 = OPEN_ATTACH(a.name);
	EXPECT_ATTACHED(2, a.name);
	close(a.fd);
	EXPECT_RM(2, attached_of(self->fd, a.name), "(the dup still holds the file)");
	close(a.dupfd);
	EXPECT_ATTACHED(1, a.name);
	close(f2);
	EXPECT_ATTACHED(0, a.name);
	EXPECT_R(0, w_remove(self->fd, a.name));
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
/* Re-attaching                                                        */
/* ================================================================== */

/* attach, close, re-open, re-attach: works and sees what was written. */
TEST_F(attach, reattach_after_close)
{
	const char *n = NM("e");
	unsigned char q[100], g[100];
	int fd, k;

	MK(n, 1000, 0600);
	for (k = 0; k < 3; k++) {
		fd = OPEN_ATTACH(n);
		EXPECT_ATTACHED(1, n);
		if (k) {
			EXPECT_R(100, rr(pread(fd, g, 100, 100 * (k - 1))));
			EXPECT_PAT(g, 100 * (k - 1), 100, SEED(k), "data of the previous attachment");
		}
		pat_fill(q, 100 * k, 100, SEED(k + 1));
		EXPECT_R(100, rr(pwrite(fd, q, 100, 100 * k)));
		close(fd);
		EXPECT_ATTACHED(0, n);
	}
	EXPECT_R(0, w_remove(self->fd, n));
}

/* attach to A, close, attach another file to B: each sees its own entry. */
TEST_F(attach, attach_other_entry_after_close)
{
	const char *a = NM("a"), *b = NM("b");
	unsigned char g[64];
	int fd;

	MKP(a, 64, 0600, SEED(1));
	MKP(b, 64, 0600, SEED(2));
	fd = OPEN_ATTACH(a);
	EXPECT_R(64, rr(read(fd, g, 64)));
	EXPECT_PAT(g, 0, 64, SEED(1), "entry A");
	close(fd);
	fd = OPEN_ATTACH(b);
	EXPECT_ATTACHED(0, a);
	EXPECT_ATTACHED(1, b);
	EXPECT_POS(fd, 0);
	EXPECT_R(64, rr(read(fd, g, 64)));
	EXPECT_PAT(g, 0, 64, SEED(2), "entry B");
	close(fd);
	EXPECT_ATTACHED(0, b);
	EXPECT_R(0, w_remove(self->fd, a));
	EXPECT_R(0, w_remove(self->fd, b));
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

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-t TEST]... [-T TEST]... [-s SEED]\n"
		"  -l       list fixture.test names and exit\n"
		"  -t/-T    run only / skip TEST (e.g. big_64mib_two_processes)\n"
		"  -s SEED  data pattern seed (default: $WMS_TEST_SEED or the time)\n"
		"Needs root and %s (wms.ko loaded).\n", prog, WMS_DEVICE_PATH);
	exit(code);
}

int main(int argc, char **argv)
{
	/* the "attach" fixture alone, with the tests that pass the filter */
	static struct filter fl = { .inc_f = { "attach" }, .ninc_f = 1 };
	bool list = false;
	int r;

	parse_args(argc, argv, "hlt:T:s:", &fl, &list, &g_seed, usage);
	g_seed = pick_seed(g_seed, now_ns());
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;

	g_kl = mmap(NULL, sizeof(*g_kl), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_kl == MAP_FAILED) {
		perror("mmap");
		return KSFT_FAIL;
	}
	printf("# wms_attach_test: seed %llu, %zu-bit, page size %zu\n", (ull)g_seed,
	       sizeof(void *) * 8, page_size());
	fflush(stdout);
	return test_harness_run(1, argv);
}
