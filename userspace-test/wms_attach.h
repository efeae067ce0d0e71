/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wms_attach.h: what wms_attach_test and wms_map_test share: diagnostics
 * (rstr, EXPECT_R), seeded data patterns, ioctl helpers, helper processes
 * with their shared log and pipes, the "attach" fixture (its teardown fails
 * a test that leaves an entry behind, kills any helper still alive and
 * restores every module parameter the test changed), entry helpers, the
 * byte-limit probe that proves when removed memory is freed, and main().
 * Include it once, from the suite's .c file.
 */
#ifndef WMS_ATTACH_H
#define WMS_ATTACH_H

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
static __maybe_unused const char *rstr(long long v)
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
static __maybe_unused long long rr(long long r)
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
static __maybe_unused __u64 seed_for(const char *test, unsigned int k)
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
static __maybe_unused inline __u64 pat_word(__u64 seed, __u64 i)
{
	__u64 x = seed + i * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

static __maybe_unused inline unsigned char pat_byte(__u64 seed, __u64 off)
{
	return (unsigned char)(pat_word(seed, off >> 3) >> ((off & 7) * 8));
}

/* buf[0..len) = the pattern at entry offsets off..off+len */
static __maybe_unused void pat_fill(void *buf, __u64 off, size_t len, __u64 seed)
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
static __maybe_unused long long pat_diff(const void *buf, __u64 off, size_t len, __u64 seed)
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

static __maybe_unused long long zero_diff(const void *buf, size_t len)
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
static __maybe_unused __u64 mkval(__u32 hi)
{
	return ((__u64)hi << 32) | mix32(hi ^ 0x5bd1e995u);
}

static __maybe_unused bool val_ok(__u64 v)
{
	return v == 0 || (__u32)v == mix32((__u32)(v >> 32) ^ 0x5bd1e995u);
}

static __maybe_unused __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* ioctl helpers (more in wms_util.h): 0 (or a result) or -errno       */
/* ------------------------------------------------------------------ */

/* INFO.attached of name, or -errno */
static __maybe_unused long long attached_of(int fd, const char *name)
{
	struct wms_info i;
	int r = w_info(fd, name, &i);

	return r ? r : (long long)i.attached;
}

/*
 * READ/WRITE ioctl; returns the bytes done, or -errno (like pread/pwrite,
 * unlike the w_read/w_write of wms_util.h).
 */
static __maybe_unused long long w_io(int fd, unsigned long cmd, const char *name, __u64 off,
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

static __maybe_unused int attach_f(int fd, const char *field, __u64 reserved)
{
	struct wms_name a;

	memcpy(a.name, field, NAME_LEN);
	a.reserved = reserved;
	return xioctl(fd, WMS_IOC_ATTACH, &a);
}

static __maybe_unused int open_wms(void)
{
	int fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* open /dev/wms and ATTACH name: the fd, or -errno */
static __maybe_unused int open_attach(const char *name)
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
static __maybe_unused int xmap(void **out, size_t len, int prot, int flags, int fd, off_t off)
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
static __maybe_unused int map_probe(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;
	int r = xmap(&p, len, prot, flags, fd, off);

	if (!r)
		munmap(p, len);
	return r;
}

/* All entries now in the registry; *n of them; -errno on failure. */
static __maybe_unused int list_all(int fd, struct wms_list_entry **out, size_t *n)
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
static __maybe_unused int kfail(const char *fmt, ...)
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

static __maybe_unused const char *kid_msg(void)
{
	return g_kl && g_kl->msg[0] ? g_kl->msg : "(no message)";
}

static __maybe_unused const char *kid_status(int st)
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

static __maybe_unused int chan_open(struct chan *c)
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

static __maybe_unused int chan_send(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -errno;
}

/* The next byte, -ETIMEDOUT, or -EPIPE when the other side is gone. */
static __maybe_unused int chan_recv(int fd, int timeout_ms)
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

static __maybe_unused const char *chan_str(int c)
{
	static char b[32];

	if (c < 0)
		return rstr(c);
	snprintf(b, sizeof(b), "'%c'", c);
	return b;
}

/* uid/gid with no supplementary groups; saved ids root if keep_root */
static __maybe_unused int become(uid_t uid, gid_t gid, bool keep_root)
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
static __maybe_unused pid_t spawn(TD *self, int (*fn)(void *), void *arg, struct chan *c)
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

static __maybe_unused int reap(TD *self, pid_t pid)
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
static __maybe_unused void mk_entry(MD, int fd, const char *name, __u64 size, __u32 mode)
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
static __maybe_unused void mk_pat_entry(MD, int fd, const char *name, __u64 size, __u32 mode,
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

static __maybe_unused int open_attach_ok(MD, const char *name)
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
static __maybe_unused void check_entry_pat(MD, int fd, const char *name, __u64 size, __u64 seed,
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

static __maybe_unused int raise_param(MD, TD *self, unsigned int p, __u64 min)
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
static __maybe_unused void limit_total_to(MD, TD *self, __u64 S)
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
static __maybe_unused int probe_add(int fd, const char *name)
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
static __maybe_unused void mk_filling_entry(MD, TD *self, const char *name, __u64 S, __u64 seed)
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

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static const char *g_example;	/* a test of the suite, for usage() */

static __maybe_unused void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-t TEST]... [-T TEST]... [-s SEED]\n"
		"  -l       list fixture.test names and exit\n"
		"  -t/-T    run only / skip TEST (e.g. %s)\n"
		"  -s SEED  data pattern seed (default: $WMS_TEST_SEED or the time)\n"
		"Needs root and %s (wms.ko loaded).\n", prog, g_example, WMS_DEVICE_PATH);
	exit(code);
}

/* main() of the suite @suite; @example names one of its tests. */
static __maybe_unused int attach_main(int argc, char **argv, const char *suite, const char *example)
{
	/* the "attach" fixture alone, with the tests that pass the filter */
	static struct filter fl = { .inc_f = { "attach" }, .ninc_f = 1 };
	bool list = false;
	int r;

	g_example = example;
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
	printf("# %s: seed %llu, %zu-bit, page size %zu\n", suite, (ull)g_seed,
	       sizeof(void *) * 8, page_size());
	fflush(stdout);
	return test_harness_run(1, argv);
}

#endif /* WMS_ATTACH_H */
