// SPDX-License-Identifier: GPL-2.0
/*
 * wms_hostile_test: the trust boundaries of ABI v2 (docs/ABI.md, "Trust
 * boundaries"), each tried the way an attacker or an unlucky caller would:
 * an unprivileged user (a forked child that drops to uid/gid 65534), a
 * second process or thread racing the first, and a page fault that never
 * completes (userfaultfd; needs root, as in the test VM).
 *
 * One fixture, "hostile"; the tests, in source order, with the issue 14
 * defect each one targets (a test for a path that had no test says so):
 *
 *   write_len0_returns_0        1  WRITE of 0 bytes returned stale stack
 *   reserved_dot_names          2  user space can create '.'-names
 *   uffd_read_ioctl_vs_write    3  READ holds the data lock across a fault
 *   uffd_read2_vs_write         3  the same through read(2)
 *   charge_whole_pages          4  limits count bytes, memory is pages
 *   max_user_entries            4  no entry quota per uid
 *   proc_escapes_names          5  control bytes reach root's terminal
 *   mmap_after_dontneed         6  SIGBUS after MADV_DONTNEED
 *   write_from_remapped_source  7  own-mapping check races with mmap (a loop)
 *   write_source_mapped_during_pin 7  the same, staged with userfaultfd
 *   pointers_above_4g           8  32-bit kernels truncate user pointers
 *   list_cursor_chosen          -  LIST from any cursor the caller picks
 *   attach_race                 -  two threads ATTACH one file
 *   proc_read_while_churning    -  /proc/driver/wms while entries come and go
 *
 * Each targeted test fails on a module without the fix and passes with it,
 * where the kernel lets the defect show: write_len0_returns_0 not on kernels
 * that zero the stack (Debian's), pointers_above_4g only on 32-bit kernels,
 * write_from_remapped_source only when its race hits within 2 s.
 * Built static, -m64 and -m32; run as root in the VM against the real
 * wms.ko; kselftest harness, TAP output. Entries are named
 * "hostile.<test>.*" (".hostile.*" for reserved names) and removed by the
 * teardown, which also restores every module parameter and fails a test
 * during which the kernel warned (TAINT_WARN newly set).
 *
 *   wms_hostile_test [-l] [-t TEST]... [-T TEST]...
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/userfaultfd.h>
#include <linux/wms.h>

#include "wms_util.h"

static_assert(sizeof(off_t) == 8, "build with _FILE_OFFSET_BITS=64");

#define NOBODY		65534	/* the attacker */
#define NOBODY2		65533	/* another unprivileged user */
#define PFX		"hostile."
#define DOT_PFX		".hostile."
#define STAT_DIR	"/sys/class/misc/wms/"
#define PROC_WMS	"/proc/driver/wms"
#define P_USER_ENTRIES	"max_user_entries"
#define TAINT_WARN	(1ULL << 9)

/* ------------------------------------------------------------------ */
/* Small utilities                                                     */
/* ------------------------------------------------------------------ */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Byte @i of data set @seed; never 0, so that 0 marks "not this data". */
static unsigned char pat(unsigned int seed, size_t i)
{
	return (unsigned char)(1 + mix32(seed * 0x9e3779b9u ^ (__u32)(i + 1)) % 255);
}

static void pat_fill(unsigned char *b, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(seed, i);
}

/* Memory a forked child can report into. */
static void *shmem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : memset(p, 0, len);
}

static __u64 tainted(void)
{
	__u64 v = 0;

	read_u64_file("/proc/sys/kernel/tainted", &v);
	return v;
}

/* What a child reports: a result per step and the first failure. */
struct rep {
	int stage;
	int r[40];
	__u32 flags[40];
	char msg[400];
};

static int rep_fail(struct rep *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int rep_fail(struct rep *rp, const char *fmt, ...)
{
	va_list ap;

	if (!rp->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(rp->msg, sizeof(rp->msg), fmt, ap);
		va_end(ap);
	}
	return 1;
}

/*
 * Run fn(arg) in a forked child that is uid/gid @id with no groups and so
 * no capabilities (0: stays root). Returns its exit status, 100 if it could
 * not drop its ids, or -SIG if a signal killed it.
 */
static int in_child(uid_t id, int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 101;
	if (!pid) {
		if (id && (setgroups(0, NULL) || setresgid(id, id, id) ||
			   setresuid(id, id, id)))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid)
		return 102;
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

/* A userfaultfd with [addr, addr + len) registered for missing pages; or -errno. */
static int uffd_on(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK), e;

	if (uffd < 0)
		return -errno;
	reg.range.start = UPTR(addr);
	reg.range.len = len;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		e = -errno;
		close(uffd);
		return e;
	}
	return uffd;
}

static int open_wms(void)
{
	return open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/* A new /dev/wms file attached to @name; -errno on failure. */
static int open_attached(const char *name)
{
	int fd = open_wms(), r;

	if (fd < 0)
		return -errno;
	r = w_attach(fd, name);
	if (r) {
		close(fd);
		return r;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* The registry as LIST shows it, with each entry's id                 */
/* ------------------------------------------------------------------ */

struct lent {
	char name[NAME_LEN];
	__u64 id, size;
};

/*
 * Every entry, in id order, by LISTing one at a time: the cursor returned
 * after an entry is its id + 1. Returns the count, or -errno.
 */
static int list_ids(int fd, struct lent **out)
{
	struct wms_list_entry e;
	struct lent *v = NULL, *nv;
	__u64 cursor = 0;
	int n = 0, r;

	for (;;) {
		struct wms_list l = { .cursor = cursor, .entries = UPTR(&e), .count = 1 };

		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r || !l.count)
			break;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		memcpy(v[n].name, e.name, NAME_LEN);
		v[n].id = l.cursor - 1;
		v[n].size = e.size;
		n++;
		cursor = l.cursor;
	}
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	return n;
}

/* Remove every entry whose name starts with @prefix; how many, or -errno. */
static int cleanup_prefix(int fd, const char *prefix)
{
	struct lent *v;
	int n = list_ids(fd, &v), i, k = 0;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (strncmp(v[i].name, prefix, strlen(prefix)))
			continue;
		w_remove(fd, v[i].name);
		k++;
	}
	free(v);
	return k;
}

/* The whole of /proc/driver/wms, read @chunk bytes at a time; a static buffer. */
static char *read_proc(size_t chunk, size_t *lenp)
{
	static char buf[1 << 20];
	int fd = open(PROC_WMS, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 1;

	if (fd < 0)
		return NULL;
	while (n > 0 && len + chunk < sizeof(buf)) {
		n = read(fd, buf + len, chunk);
		len += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	buf[len] = 0;
	*lenp = len;
	return buf;
}

/* A name as /proc/driver/wms must print it: outside 0x21..0x7e, and '\', as \ooo. */
static void escape_name(const char *name, char *out)
{
	const unsigned char *p = (const unsigned char *)name;

	for (; *p; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '\\')
			out += sprintf(out, "\\%03o", *p);
		else
			*out++ = (char)*p;
	}
	*out = 0;
}

/*
 * One /proc/driver/wms line (without its '\n'): "name size uid gid mode
 * attached", the name only bytes 0x21..0x7e, numbers in decimal, the mode
 * in four octal digits. NULL if well formed, else what is wrong.
 */
static const char *proc_line_bad(const char *l, size_t len)
{
	size_t i = 0, f;

	while (i < len && l[i] != ' ') {
		if ((unsigned char)l[i] < 0x21 || (unsigned char)l[i] > 0x7e)
			return "a name byte outside 0x21..0x7e";
		i++;
	}
	if (!i)
		return "empty name";
	for (f = 0; f < 5; f++) {
		size_t s;

		if (i >= len || l[i] != ' ')
			return "fewer than 6 fields";
		s = ++i;
		while (i < len && l[i] >= '0' && l[i] <= (f == 3 ? '7' : '9'))
			i++;
		if (i == s || (f == 3 && i - s != 4))
			return f == 3 ? "mode not 4 octal digits" : "a field not a number";
	}
	return i == len ? NULL : "more than 6 fields";
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

static const char *const all_params[] = {
	"max_entries", "max_entry_size", "max_total_bytes", "max_user_bytes",
	P_USER_ENTRIES,
};
#define NPARAMS	((int)(sizeof(all_params) / sizeof(all_params[0])))

/* Backstop for a test killed before its teardown. */
static struct kept_params g_start_params;

static void restore_start_params(void)
{
	params_put_back(&g_start_params);
}

FIXTURE(hostile) {
	int fd;
	struct kept_params prm;
	__u64 taint0;
	char prefix[96];
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0U, (unsigned int)geteuid()) TH_LOG("run as root");
	self->fd = open_wms();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	params_keep(&self->prm, all_params, NPARAMS);
	ASSERT_TRUE(self->prm.have[P_USER]) TH_LOG("cannot read " PARAM_DIR "*");
	ASSERT_LE(0, cleanup_prefix(self->fd, PFX));
	ASSERT_LE(0, cleanup_prefix(self->fd, DOT_PFX));
	ASSERT_LE(0, cleanup_prefix(self->fd, "." DOT_PFX));
	snprintf(self->prefix, sizeof(self->prefix), PFX "%s.", _metadata->name);
	self->taint0 = tainted();
}

FIXTURE_TEARDOWN(hostile)
{
	__u64 t = tainted();

	/* A failed ASSERT longjmps out with trigger still set: not ours to print. */
	_metadata->trigger = 0;

	cleanup_prefix(self->fd, PFX);
	cleanup_prefix(self->fd, DOT_PFX);
	cleanup_prefix(self->fd, "." DOT_PFX);
	EXPECT_EQ(0, params_put_back(&self->prm)) TH_LOG("cannot restore the module parameters");
	EXPECT_FALSE((t & TAINT_WARN) && !(self->taint0 & TAINT_WARN))
		TH_LOG("the kernel warned during this test (taint %llu): see the kernel log",
		       (ull)t);
	close(self->fd);
}

/* ------------------------------------------------------------------ */
/* 1. WRITE of 0 bytes                                                  */
/* ------------------------------------------------------------------ */

/*
 * Each len-0 WRITE follows a WRITE that failed with -EFBIG in the same
 * ioctl path, so that a result nobody set is likely -EFBIG on a kernel that
 * does not clear the stack. Debian's kernels zero it
 * (CONFIG_INIT_STACK_ALL_ZERO): there this test passes even without the
 * fix; the debug kernel (pattern-initialised stack) shows the defect.
 */
struct len0_ctx {
	char name[NAME_LEN];
	struct rep rp;
};

static int len0_child(void *arg)
{
	static const __u64 offs[] = { 0, 1, 63, 64 };
	struct len0_ctx *c = arg;
	struct rep *rp = &c->rp;
	char buf[64] = { 0 };
	int fd = open_wms(), afd, r;
	unsigned int i;

	if (fd < 0)
		return rep_fail(rp, "open: %s", strerror(errno));
	r = w_add(fd, c->name, 64, WMS_ADD_EXCL, 0600, NULL);
	if (r)
		return rep_fail(rp, "ADD %s: %s", c->name, errname(r));
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		w_write(fd, c->name, 65, buf, 1, NULL);
		r = w_write(fd, c->name, offs[i], buf, 0, NULL);
		if (r)
			rep_fail(rp, "as uid %d: WRITE len 0 at offset %llu of 64: %d (%s), want 0",
				 NOBODY, (ull)offs[i], r, r < 0 ? errname(r) : "stale value");
	}
	afd = open_attached(c->name);
	if (afd < 0)
		return rep_fail(rp, "ATTACH: %s", errname(afd));
	if (pwrite(afd, buf, 0, 64) != 0 || pwrite(afd, buf, 0, 0) != 0)
		rep_fail(rp, "pwrite(2) of 0 bytes at 64 or 0: %s", strerror(errno));
	close(afd);
	close(fd);
	return rp->msg[0] != 0;
}

TEST_F(hostile, write_len0_returns_0)
{
	static const __u64 offs[] = { 0, 1, 63, 64 };
	const char *e = NM("e"), *z = NM("z");
	struct len0_ctx *c = shmem(sizeof(*c));
	char buf[64] = { 0 };
	unsigned int i;
	int r;

	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(0, w_add(self->fd, e, 64, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_add(self->fd, z, 0, WMS_ADD_EXCL, 0600, NULL));
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		EXPECT_EQ(-EFBIG, w_write(self->fd, e, 65, buf, 1, NULL));
		r = w_write(self->fd, e, offs[i], buf, 0, NULL);
		EXPECT_EQ(0, r) TH_LOG("WRITE len 0 at offset %llu of a 64-byte entry: %d (%s)",
				       (ull)offs[i], r, r < 0 ? errname(r) : "a stale value");
	}
	EXPECT_EQ(-EFBIG, w_write(self->fd, z, 1, buf, 1, NULL));
	r = w_write(self->fd, z, 0, buf, 0, NULL);
	EXPECT_EQ(0, r) TH_LOG("WRITE len 0 at offset 0 of a size-0 entry: %d", r);
	/* Past the end is -EFBIG whatever the length, 0 included. */
	EXPECT_EQ(-EFBIG, w_write(self->fd, e, 65, buf, 0, NULL));
	EXPECT_EQ(-EFBIG, w_write(self->fd, z, 1, buf, 0, NULL));
	EXPECT_EQ(-EFBIG, w_write(self->fd, e, ~0ULL, buf, 0, NULL));

	snprintf(c->name, NAME_LEN, "%s", NM("nobody"));
	r = in_child(NOBODY, len0_child, c);
	EXPECT_EQ(0, r) TH_LOG("child (uid %d): status %d: %s", NOBODY, r, c->rp.msg);
}

/* ------------------------------------------------------------------ */
/* 2. Reserved names                                                    */
/* ------------------------------------------------------------------ */

/* ADD from a whole struct, so that reserved fields can be set. */
static int add_raw(int fd, const char *name, __u64 size, __u32 flags,
		   __u32 mode, __u64 rsv0, __u32 *flags_out)
{
	struct wms_add a;
	int r;

	memset(&a, 0, sizeof(a));
	set_field(a.name, name);
	a.size = size;
	a.flags = flags;
	a.mode = mode;
	a.reserved[0] = rsv0;
	r = xioctl(fd, WMS_IOC_ADD, &a);
	if (flags_out)
		*flags_out = a.flags;
	return r;
}

struct dot_case {
	const char *what;
	const char *name;	/* NULL: a 256-byte '.'-field without a NUL */
	__u64 size;
	__u32 flags, mode;
	__u64 rsv0;
	int want;		/* 0 or -errno */
};

static const struct dot_case dot_cases[] = {
	{ "ADD of an absent '.'-name", DOT_PFX "a", 0, 0, 0644, 0, -EPERM },
	{ "ADD EXCL of an absent '.'-name", DOT_PFX "a", 16, WMS_ADD_EXCL, 0666, 0, -EPERM },
	{ "ADD of a name starting with \"..\"", "." DOT_PFX "x", 0, 0, 0, 0, -EPERM },
	/* permission comes before the limits: not -EFBIG */
	{ "ADD of an absent '.'-name larger than max_entry_size", DOT_PFX "big",
	  1ULL << 62, 0, 0, 0, -EPERM },
	/* ... and after the argument and name checks */
	{ "ADD of a '.'-name with reserved[0] set", DOT_PFX "a", 0, 0, 0, 1, -EINVAL },
	{ "ADD of a '.'-name with an unknown flag", DOT_PFX "a", 0, 2, 0, 0, -EINVAL },
	{ "ADD of a '.'-name with WMS_ADD_CREATED as input", DOT_PFX "a", 0,
	  WMS_ADD_CREATED, 0, 0, -EINVAL },
	{ "ADD of a '.'-name with a '/'", DOT_PFX "a/b", 0, 0, 0, 0, -EINVAL },
	{ "ADD of \".\"", ".", 0, 0, 0, 0, -EINVAL },
	{ "ADD of \"..\"", "..", 0, 0, 0, 0, -EINVAL },
	{ "ADD of a 256-byte '.'-name without NUL", NULL, 0, 0, 0, 0, -ENAMETOOLONG },
};
#define NDOT	((int)(sizeof(dot_cases) / sizeof(dot_cases[0])))

struct dot_ctx {
	char plain[NAME_LEN];
	bool root_made;		/* DOT_PFX "r644" and "r600" exist, made by root */
	struct rep rp;
};

static int dot_child(void *arg)
{
	struct dot_ctx *c = arg;
	struct rep *rp = &c->rp;
	struct wms_info info;
	char buf[16] = { 0 }, field[NAME_LEN];
	int fd = open_wms(), i, r;
	__u32 fl;

	if (fd < 0)
		return rep_fail(rp, "open: %s", strerror(errno));
	for (i = 0; i < NDOT; i++) {
		const struct dot_case *d = &dot_cases[i];

		if (d->name) {
			r = add_raw(fd, d->name, d->size, d->flags, d->mode, d->rsv0, NULL);
		} else {
			memset(field, 'x', NAME_LEN);
			field[0] = '.';
			r = add_f(fd, field, 0, 0, 0, NULL);
		}
		rp->r[i] = r;
	}
	/* Nothing was created by the refused calls. */
	rp->r[NDOT] = w_info(fd, DOT_PFX "a", &info);
	rp->r[NDOT + 1] = w_info(fd, DOT_PFX "big", &info);
	/* A name with a '.' elsewhere is an ordinary name. */
	rp->r[NDOT + 2] = add_raw(fd, c->plain, 8, WMS_ADD_EXCL, 0600, 0, &rp->flags[0]);
	if (!c->root_made)
		return 0;
	/* Existing '.'-entries follow the normal rules. */
	r = add_raw(fd, DOT_PFX "r644", 0, 0, 0, 0, &fl);
	if (r || fl)
		rep_fail(rp, "ADD (find) of root's 0644 '.'-entry: %s, flags %#x; want success, no CREATED",
			 errname(r), fl);
	r = add_raw(fd, DOT_PFX "r644", 0, WMS_ADD_EXCL, 0, 0, NULL);
	if (r != -EEXIST)
		rep_fail(rp, "ADD EXCL of root's '.'-entry: %s, want EEXIST (lookup before permission)",
			 errname(r));
	r = add_raw(fd, DOT_PFX "r600", 0, 0, 0, 0, NULL);
	if (r != -EACCES)
		rep_fail(rp, "ADD (find) of root's 0600 '.'-entry: %s, want EACCES", errname(r));
	r = w_read(fd, DOT_PFX "r644", 0, buf, sizeof(buf), NULL);
	if (r)
		rep_fail(rp, "READ of root's 0644 '.'-entry: %s", errname(r));
	r = w_write(fd, DOT_PFX "r644", 0, buf, sizeof(buf), NULL);
	if (r != -EACCES)
		rep_fail(rp, "WRITE of root's 0644 '.'-entry: %s, want EACCES", errname(r));
	r = w_remove(fd, DOT_PFX "r644");
	if (r != -EPERM)
		rep_fail(rp, "REMOVE of root's '.'-entry: %s, want EPERM", errname(r));
	r = w_attach(fd, DOT_PFX "r600");
	if (r != -EACCES)
		rep_fail(rp, "ATTACH of root's 0600 '.'-entry: %s, want EACCES", errname(r));
	close(fd);
	return 0;
}

TEST_F(hostile, reserved_dot_names)
{
	struct dot_ctx *c = shmem(sizeof(*c));
	int r1, r2, st, i;

	ASSERT_TRUE(c != NULL);
	/*
	 * "User space cannot create one": whether that includes root is the
	 * module's choice. If root can, check the rules for an existing
	 * '.'-entry with root's; if not, those are KUnit's to check.
	 */
	r1 = w_add(self->fd, DOT_PFX "r644", 16, WMS_ADD_EXCL, 0644, NULL);
	r2 = w_add(self->fd, DOT_PFX "r600", 16, WMS_ADD_EXCL, 0600, NULL);
	c->root_made = !r1 && !r2;
	if (!c->root_made) {
		EXPECT_EQ(-EPERM, r1);
		EXPECT_EQ(-EPERM, r2);
		diag("root cannot create '.'-entries either: existing ones are left to KUnit");
	}
	snprintf(c->plain, NAME_LEN, "%s", NM("plain.x"));
	st = in_child(NOBODY, dot_child, c);
	ASSERT_EQ(0, st) TH_LOG("child (uid %d): status %d: %s", NOBODY, st, c->rp.msg);
	for (i = 0; i < NDOT; i++) {
		const char *what = dot_cases[i].what ?: "?";

		EXPECT_EQ(dot_cases[i].want, c->rp.r[i])
			TH_LOG("as uid %d, %s: %s, want %s", NOBODY, what,
			       errname(c->rp.r[i]), errname(dot_cases[i].want));
	}
	EXPECT_EQ(-ENOENT, c->rp.r[NDOT])
		TH_LOG("INFO of the refused '.'-name: %s: the user created it", errname(c->rp.r[NDOT]));
	EXPECT_EQ(-ENOENT, c->rp.r[NDOT + 1])
		TH_LOG("INFO of the refused large '.'-name: %s", errname(c->rp.r[NDOT + 1]));
	EXPECT_EQ(0, c->rp.r[NDOT + 2]) TH_LOG("ADD of '%s': %s", c->plain, errname(c->rp.r[NDOT + 2]));
	EXPECT_EQ(WMS_ADD_CREATED, c->rp.flags[0]);
	EXPECT_EQ(0, c->rp.msg[0]) TH_LOG("%s", c->rp.msg);
}

/* ------------------------------------------------------------------ */
/* 3. A READ stuck on a page fault must not stall WRITEs               */
/* ------------------------------------------------------------------ */

struct stuck_read {
	int fd;
	bool read2;		/* read(2) on an attached file, else the READ ioctl */
	const char *name;
	void *dst;
	size_t len;
	long ret;		/* bytes read or -errno */
	atomic_int finished;
};

static void *stuck_reader(void *arg)
{
	struct stuck_read *s = arg;
	__u64 done;
	int r;

	if (s->read2) {
		ssize_t n = pread(s->fd, s->dst, s->len, 0);

		s->ret = n < 0 ? -errno : n;
	} else {
		r = w_read(s->fd, s->name, 0, s->dst, s->len, &done);
		s->ret = r ? r : (long)done;
	}
	atomic_store(&s->finished, 1);
	return NULL;
}

struct stuck_writer {
	char name[NAME_LEN];
	unsigned char src[65536];
	size_t len;
	atomic_int started;
	int r;
	atomic_int done;
};

static int writer_child(void *arg)
{
	struct stuck_writer *w = arg;
	int fd = open_wms();

	atomic_store(&w->started, 1);
	w->r = fd < 0 ? -errno : w_write(fd, w->name, 0, w->src, w->len, NULL);
	atomic_store(&w->done, 1);
	return 0;
}

/* Wait up to @ms for @pid to exit; its wait status, or -1 if it did not. */
static int wait_ms(pid_t pid, int ms)
{
	__u64 end = now_ns() + (__u64)ms * 1000000ULL;
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(2000);
	} while (now_ns() < end);
	return -1;
}

static void uffd_read_vs_write(struct __test_metadata *_metadata,
			       FIXTURE_DATA(hostile) *self, bool read2)
{
	size_t ps = page_size();
	const char *name = NM("e");
	struct stuck_writer *w = shmem(sizeof(*w));
	struct stuck_read s = { .read2 = read2, .name = name, .len = ps };
	struct uffdio_copy cp = { 0 };
	struct uffd_msg msg;
	struct pollfd pfd;
	unsigned char *want_old, *got, *zero;
	pthread_t th;
	pid_t pid;
	int uffd, st;
	__u64 t0;

	ASSERT_TRUE(w != NULL);
	ASSERT_LE(ps, sizeof(w->src));
	want_old = malloc(ps);
	got = malloc(ps);
	zero = calloc(1, ps);
	ASSERT_TRUE(want_old && got && zero);
	pat_fill(want_old, ps, 1);
	pat_fill(w->src, ps, 2);
	w->len = ps;
	snprintf(w->name, NAME_LEN, "%s", name);
	ASSERT_EQ(0, w_add(self->fd, name, ps, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, name, 0, want_old, ps, NULL));

	s.dst = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(s.dst != MAP_FAILED);
	uffd = uffd_on(s.dst, ps);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s (needs CONFIG_USERFAULTFD and root)", errname(uffd));
	if (read2) {
		s.fd = open_attached(name);
		ASSERT_LE(0, s.fd) TH_LOG("ATTACH: %s", errname(s.fd));
	} else {
		s.fd = self->fd;
	}

	/* The reader faults on its destination, and nobody serves the fault. */
	ASSERT_EQ(0, pthread_create(&th, NULL, stuck_reader, &s));
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("the %s never faulted on its destination",
						 read2 ? "read(2)" : "READ");
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* Another process WRITEs the entry meanwhile. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(writer_child(w));
	while (!atomic_load(&w->started))
		usleep(1000);
	t0 = now_ns();
	st = wait_ms(pid, 1000);
	EXPECT_NE(-1, st) TH_LOG("a WRITE waited over 1 s for a %s whose destination page fault is never served",
				 read2 ? "read(2)" : "READ");
	if (st == -1) {
		/* A wait for such a lock must at least be killable. */
		kill(pid, SIGKILL);
		st = wait_ms(pid, 1000);
		EXPECT_NE(-1, st) TH_LOG("and SIGKILL did not end that WRITE within 1 s");
	} else {
		EXPECT_TRUE(WIFEXITED(st) && atomic_load(&w->done) && w->r == 0)
			TH_LOG("the WRITE: status %#x, %s", st, errname(w->r));
		diag("WRITE done in %.1f ms while the %s was stuck", (now_ns() - t0) / 1e6,
		     read2 ? "read(2)" : "READ");
	}

	/* Serve the fault: the reader completes, with all old or all new data. */
	cp.dst = msg.arg.pagefault.address & ~(__u64)(ps - 1);
	cp.src = UPTR(zero);
	cp.len = ps;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_COPY, &cp)) TH_LOG("UFFDIO_COPY: %s", strerror(errno));
	for (t0 = now_ns(); !atomic_load(&s.finished) && now_ns() - t0 < 10000000000ULL;)
		usleep(2000);
	close(uffd);	/* wakes the reader in any case */
	pthread_join(th, NULL);
	if (st == -1)
		waitpid(pid, &st, 0);
	EXPECT_EQ((long)ps, s.ret) TH_LOG("the stuck %s returned %ld", read2 ? "read(2)" : "READ", s.ret);
	EXPECT_TRUE(!memcmp(s.dst, want_old, ps) || !memcmp(s.dst, w->src, ps))
		TH_LOG("the %s returned neither the old data nor the new: not atomic",
		       read2 ? "read(2)" : "READ");
	ASSERT_EQ(0, w_read(self->fd, name, 0, got, ps, NULL));
	if (atomic_load(&w->done) && !w->r) {
		EXPECT_EQ(0, memcmp(got, w->src, ps)) TH_LOG("the WRITE's data is not in the entry");
	} else {
		EXPECT_TRUE(!memcmp(got, want_old, ps) || !memcmp(got, w->src, ps));
	}
	if (read2)
		close(s.fd);
	munmap(s.dst, ps);
	free(want_old);
	free(got);
	free(zero);
}

TEST_F_TIMEOUT(hostile, uffd_read_ioctl_vs_write, 60)
{
	uffd_read_vs_write(_metadata, self, false);
}

TEST_F_TIMEOUT(hostile, uffd_read2_vs_write, 60)
{
	uffd_read_vs_write(_metadata, self, true);
}

/* ------------------------------------------------------------------ */
/* 4. Charging in pages, and the entry quota                           */
/* ------------------------------------------------------------------ */

struct quota_ctx {
	char name[16][NAME_LEN];
	__u64 size[16];
	int n;
	bool remove_after;	/* REMOVE what was created, in the child */
	int r[16];
	int rm[16];
};

/* ADD each name (EXCL, mode 0666); then optionally REMOVE the ones made. */
static int quota_child(void *arg)
{
	struct quota_ctx *c = arg;
	int fd = open_wms(), i;

	if (fd < 0)
		return 1;
	for (i = 0; i < c->n; i++)
		c->r[i] = w_add(fd, c->name[i], c->size[i], WMS_ADD_EXCL, 0666, NULL);
	for (i = 0; c->remove_after && i < c->n; i++)
		c->rm[i] = c->r[i] ? 0 : w_remove(fd, c->name[i]);
	close(fd);
	return 0;
}

static void quota_set(struct quota_ctx *c, int i, const char *name, __u64 size)
{
	snprintf(c->name[i], NAME_LEN, "%s", name);
	c->size[i] = size;
	if (c->n <= i)
		c->n = i + 1;
}

TEST_F(hostile, charge_whole_pages)
{
	size_t ps = page_size();
	const __u64 sizes[4] = { 1, ps, ps + 1, 0 };
	const __u64 pages[4] = { 1, 1, 2, 0 };
	struct quota_ctx *c = shmem(sizeof(*c));
	struct lent *v;
	struct wms_add out;
	struct wms_info info;
	__u64 b0, b1, b2, want = 0;
	int i, k, n, st;

	ASSERT_TRUE(c != NULL);
	/* The registry's bytes (root: no quota) count whole pages. */
	ASSERT_EQ(0, read_u64_file(STAT_DIR "bytes", &b0));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, w_add(self->fd, NM("r%d", i), sizes[i], WMS_ADD_EXCL, 0600, &out));
		EXPECT_EQ(sizes[i], out.size) TH_LOG("ADD reports the size asked");
		want += pages[i] * ps;
	}
	ASSERT_EQ(0, read_u64_file(STAT_DIR "bytes", &b1));
	EXPECT_EQ(b0 + want, b1)
		TH_LOG("%sbytes grew by %llu for sizes 1, %zu, %zu and 0: want %llu (whole pages)",
		       STAT_DIR, (ull)(b1 - b0), ps, ps + 1, (ull)want);
	n = list_ids(self->fd, &v);
	ASSERT_LE(0, n);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, w_info(self->fd, NM("r%d", i), &info));
		EXPECT_EQ(sizes[i], info.size) TH_LOG("INFO reports the size asked");
		for (k = 0; k < n && strcmp(v[k].name, NM("r%d", i)); k++)
			;
		ASSERT_LT(k, n);
		EXPECT_EQ(sizes[i], v[k].size) TH_LOG("LIST reports the size asked");
		EXPECT_EQ(0, w_remove(self->fd, NM("r%d", i)));
	}
	free(v);
	ASSERT_EQ(0, read_u64_file(STAT_DIR "bytes", &b2));
	EXPECT_EQ(b0, b2) TH_LOG("bytes after the REMOVEs");

	/* An unprivileged uid's quota counts whole pages too. */
	ASSERT_EQ(0, param_write("max_user_bytes", 3 * ps));
	for (i = 0; i < 4; i++)
		quota_set(c, i, NM("u%d", i), 1);
	c->remove_after = true;
	st = in_child(NOBODY, quota_child, c);
	ASSERT_EQ(0, st);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i < 3 ? 0 : -ENOSPC, c->r[i])
			TH_LOG("uid %d, max_user_bytes = 3 pages: ADD of 1-byte entry #%d: %s, want %s",
			       NOBODY, i + 1, errname(c->r[i]), i < 3 ? "success" : "ENOSPC");
	/* 1 byte and then 2 pages + 1 byte: 4 pages, over; 1 byte and 2 pages fit. */
	for (k = 0; k < 2; k++) {
		memset(c, 0, sizeof(*c));
		quota_set(c, 0, NM("v0"), 1);
		quota_set(c, 1, NM("v1"), 2 * ps + !k);
		c->remove_after = true;
		st = in_child(NOBODY, quota_child, c);
		ASSERT_EQ(0, st);
		EXPECT_EQ(0, c->r[0]);
		EXPECT_EQ(k ? 0 : -ENOSPC, c->r[1])
			TH_LOG("uid %d, max_user_bytes = 3 pages: 1 byte, then %zu bytes (%d pages in all): %s",
			       NOBODY, 2 * ps + !k, 4 - k, errname(c->r[1]));
	}
}

TEST_F(hostile, max_user_entries)
{
	struct quota_ctx *c = shmem(sizeof(*c));
	__u64 v;
	int i, st;

	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(0, param_read(P_USER_ENTRIES, &v))
		TH_LOG("no " PARAM_DIR P_USER_ENTRIES ": the module has no per-uid entry quota (ABI v2)");
	diag(P_USER_ENTRIES " is %llu (default 1024)", (ull)v);
	ASSERT_EQ(0, param_write(P_USER_ENTRIES, 4));

	/* uid NOBODY: 4 size-0 entries, then ENOSPC, whatever the size. */
	for (i = 0; i < 6; i++)
		quota_set(c, i, NM("n%d", i), i == 5 ? 1 : 0);
	st = in_child(NOBODY, quota_child, c);
	ASSERT_EQ(0, st);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(i < 4 ? 0 : -ENOSPC, c->r[i])
			TH_LOG("uid %d, " P_USER_ENTRIES " = 4: ADD #%d (size %llu): %s", NOBODY,
			       i + 1, (ull)c->size[i], errname(c->r[i]));

	/* Another uid is not affected, nor is root. */
	memset(c, 0, sizeof(*c));
	for (i = 0; i < 4; i++)
		quota_set(c, i, NM("m%d", i), 0);
	st = in_child(NOBODY2, quota_child, c);
	ASSERT_EQ(0, st);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, c->r[i]) TH_LOG("uid %d, ADD #%d while uid %d is at its quota: %s",
					     NOBODY2, i + 1, NOBODY, errname(c->r[i]));
	for (i = 0; i < 6; i++)
		EXPECT_EQ(0, w_add(self->fd, NM("root%d", i), 0, WMS_ADD_EXCL, 0600, NULL))
			TH_LOG("root (CAP_SYS_ADMIN) is not held to " P_USER_ENTRIES);

	/* At the quota: finding an existing entry still works; a REMOVE makes room. */
	memset(c, 0, sizeof(*c));
	quota_set(c, 0, NM("n0"), 0);	/* exists: EXCL -> EEXIST, not ENOSPC */
	quota_set(c, 1, NM("n4"), 0);
	st = in_child(NOBODY, quota_child, c);
	ASSERT_EQ(0, st);
	EXPECT_EQ(-EEXIST, c->r[0]);
	EXPECT_EQ(-ENOSPC, c->r[1]);
	EXPECT_EQ(0, w_remove(self->fd, NM("n0")));
	memset(c, 0, sizeof(*c));
	quota_set(c, 0, NM("n4"), 0);
	quota_set(c, 1, NM("n5"), 0);
	st = in_child(NOBODY, quota_child, c);
	ASSERT_EQ(0, st);
	EXPECT_EQ(0, c->r[0]) TH_LOG("after a REMOVE the uid has room for one more");
	EXPECT_EQ(-ENOSPC, c->r[1]);
}

/* ------------------------------------------------------------------ */
/* 5. /proc/driver/wms escapes names                                   */
/* ------------------------------------------------------------------ */

TEST_F(hostile, proc_escapes_names)
{
	static const char *const tails[] = {
		"esc\x1b[2J\x1b]0;pwned\x07", "sp ace", "back\\slash", "hi\xff",
		"tab\tnl\nend", "del\x7f", "c1\x80\x9b", "ok!~\"#",
	};
	const int nt = (int)(sizeof(tails) / sizeof(tails[0]));
	char esc[4 * NAME_LEN + 1], want[4 * NAME_LEN + 64];
	char *buf, *l, *nl;
	size_t len, i;
	int k, found;

	for (k = 0; k < nt; k++)
		ASSERT_EQ(0, w_add(self->fd, NM("%s", tails[k]), k, WMS_ADD_EXCL, 0640, NULL))
			TH_LOG("ADD of name #%d", k);
	buf = read_proc(4096, &len);
	ASSERT_TRUE(buf != NULL) TH_LOG("read " PROC_WMS ": %s", strerror(errno));
	for (i = 0; i < len; i++)
		if (buf[i] != '\n' && ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e))
			break;
	EXPECT_EQ(len, i) TH_LOG(PROC_WMS " has the raw byte 0x%02x at %zu: \"%.40s\"",
				 i < len ? (unsigned char)buf[i] : 0, i, buf + (i > 20 ? i - 20 : 0));
	for (k = 0; k < nt; k++) {
		escape_name(NM("%s", tails[k]), esc);
		snprintf(want, sizeof(want), "%s %d 0 0 0640 0", esc, k);
		found = 0;
		for (l = buf; (nl = strchr(l, '\n')); l = nl + 1)
			if ((size_t)(nl - l) == strlen(want) && !memcmp(l, want, strlen(want)))
				found++;
		EXPECT_EQ(1, found) TH_LOG("want the line \"%s\" once in " PROC_WMS, want);
	}
}

/* ------------------------------------------------------------------ */
/* 6. Mappings after MADV_DONTNEED                                     */
/* ------------------------------------------------------------------ */

struct dn_ctx {
	char name[NAME_LEN];
	size_t size;
	struct rep rp;
};

/* The mapping after DONTNEED: the entry's data, then zeros to the page end. */
static bool dn_check(const unsigned char *m, size_t size, size_t maplen)
{
	size_t i;

	for (i = 0; i < maplen; i++)
		if (m[i] != (i < size ? pat(3, i) : 0))
			return false;
	return true;
}

/* As uid NOBODY: map, zap, read, fork, zap, read, write. */
static int dn_child(void *arg)
{
	struct dn_ctx *c = arg;
	struct rep *rp = &c->rp;
	size_t ps = page_size(), maplen = (c->size + ps - 1) / ps * ps;
	unsigned char *m;
	pid_t pid;
	int fd, st;

	rp->stage = 1;
	fd = open_attached(c->name);
	if (fd < 0)
		return rep_fail(rp, "ATTACH: %s", errname(fd));
	m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return rep_fail(rp, "mmap: %s", strerror(errno));
	close(fd);
	if (madvise(m, maplen, MADV_DONTNEED))
		return rep_fail(rp, "madvise(MADV_DONTNEED): %s", strerror(errno));
	rp->stage = 2;			/* SIGBUS here: reading after DONTNEED */
	if (!dn_check(m, c->size, maplen))
		return rep_fail(rp, "after MADV_DONTNEED the mapping does not show the entry's data");
	rp->stage = 3;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		/* The inherited mapping, zapped in the child. */
		if (madvise(m, maplen, MADV_DONTNEED) || !dn_check(m, c->size, maplen))
			_exit(1);
		m[0] = 0xa1;
		m[c->size / 2] = 0xa2;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return rep_fail(rp, "fork/waitpid: %s", strerror(errno));
	if (WIFSIGNALED(st))
		return rep_fail(rp, "a forked child that zapped its inherited mapping got signal %d (%s)",
				WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (WEXITSTATUS(st))
		return rep_fail(rp, "in a forked child, the zapped mapping does not show the data");
	rp->stage = 4;			/* SIGBUS here: writing after DONTNEED */
	if (madvise(m, maplen, MADV_DONTNEED))
		return rep_fail(rp, "madvise: %s", strerror(errno));
	m[c->size - 1] = 0xa3;
	rp->stage = 5;
	munmap(m, maplen);
	return 0;
}

TEST_F(hostile, mmap_after_dontneed)
{
	size_t ps = page_size();
	const size_t sizes[2] = { 100, 3 * ps + 100 };	/* one page; vmalloc'ed */
	struct dn_ctx *c = shmem(sizeof(*c));
	unsigned char *data, *got;
	int k, st;

	ASSERT_TRUE(c != NULL);
	data = malloc(sizes[1]);
	got = malloc(sizes[1]);
	ASSERT_TRUE(data && got);
	for (k = 0; k < 2; k++) {
		size_t size = sizes[k];

		memset(c, 0, sizeof(*c));
		snprintf(c->name, NAME_LEN, "%s", NM("e%zu", size));
		c->size = size;
		pat_fill(data, size, 3);
		ASSERT_EQ(0, w_add(self->fd, c->name, size, WMS_ADD_EXCL, 0666, NULL));
		ASSERT_EQ(0, w_write(self->fd, c->name, 0, data, size, NULL));
		st = in_child(NOBODY, dn_child, c);
		EXPECT_EQ(0, st) TH_LOG("size %zu: the mapping user (uid %d) %s %d at stage %d%s%s",
					size, NOBODY, st < 0 ? "was killed by signal" : "exited with",
					st < 0 ? -st : st, c->rp.stage, c->rp.msg[0] ? ": " : "",
					c->rp.msg);
		if (st)
			continue;
		/* Writes through a zapped mapping reach the entry. */
		data[0] = 0xa1;
		data[size / 2] = 0xa2;
		data[size - 1] = 0xa3;
		ASSERT_EQ(0, w_read(self->fd, c->name, 0, got, size, NULL));
		EXPECT_EQ(0, memcmp(got, data, size))
			TH_LOG("size %zu: stores through the mapping after MADV_DONTNEED are not in the entry",
			       size);
	}
	free(data);
	free(got);
}

/* ------------------------------------------------------------------ */
/* 7. WRITE from a source that becomes a mapping of the entry          */
/* ------------------------------------------------------------------ */

/*
 * WRITE copies entry[SRC_OFF .. +len) (as seen through a mapping of the
 * entry at address A) to entry[DST_OFF ..): the result must be memmove's,
 * or EFAULT with nothing changed. DST_OFF > SRC_OFF with these low address
 * bytes makes an overlapping forward copy (x86 memcpy, rep movsb) wrong.
 *
 * write_from_remapped_source: another thread maps the entry at A and
 * replaces it with fresh anonymous memory (zeros) in a loop, so each byte
 * written must be 0 or memmove's. The window between the own-mapping check
 * and the pin is short: this finds the defect only now and then.
 *
 * write_source_mapped_during_pin: A is userfaultfd-registered, so the pin
 * stops on its first page; the entry is mapped at A then, and the fault
 * woken. Without the fix the pin then takes the entry's own pages after the
 * check said they were not: every run shows the defect.
 */
#define SRC_OFF	0x40
#define DST_OFF	0x100

struct remap_ctx {
	int efd;
	void *a;
	size_t maplen;
	atomic_int stop;
	long rounds, errors;
	int err;
};

static void *remapper(void *arg)
{
	struct remap_ctx *r = arg;

	while (!atomic_load(&r->stop)) {
		if (mmap(r->a, r->maplen, PROT_READ, MAP_SHARED | MAP_FIXED, r->efd, 0) == MAP_FAILED ||
		    mmap(r->a, r->maplen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED) {
			r->errors++;
			r->err = errno;
		}
		r->rounds++;
	}
	return NULL;
}

/*
 * The entry after a WRITE (result @w) from entry[SRC_OFF ..) to DST_OFF of
 * @len bytes, the entry having been @p0: NULL if every byte is the old one,
 * memmove's or (if @zero_ok) 0, else what is wrong. Counts memmove's bytes
 * in *nm and zeros in *nz.
 */
static const char *memmove_bad(const unsigned char *got, const unsigned char *p0,
			       size_t size, size_t len, int w, bool zero_ok,
			       long *nm, long *nz)
{
	static char why[160];
	size_t i;

	for (i = 0; i < size; i++) {
		bool in = i >= DST_OFF && i < DST_OFF + len && !w;
		unsigned char want = in ? p0[i - DST_OFF + SRC_OFF] : p0[i];

		if (got[i] == want) {
			*nm += in;
			continue;
		}
		if (in && zero_ok && !got[i]) {
			(*nz)++;
			continue;
		}
		snprintf(why, sizeof(why), "WRITE %s, then byte %zu is 0x%02x; want 0x%02x%s",
			 errname(w), i, got[i], want,
			 in ? (zero_ok ? " (memmove) or 0 (fresh memory)" : " (memmove)") : " (unchanged)");
		return why;
	}
	return NULL;
}

/*
 * A mapping's stores leave no trace outside the entry, and syncing it
 * works. The mapping hangs on an anonymous-inode file, whose inode every
 * eventfd, epoll and timerfd of the system shares: a write fault that
 * stamped that file's mtime (file_update_time(), which the kernel calls
 * when a VMA has no page_mkwrite) would let any user time another user's
 * stores through its own eventfd. And msync(MS_SYNC) and fsync() succeed.
 */
TEST_F(hostile, mapping_writes_leave_no_trace)
{
	size_t ps = page_size(), size = 4 * ps, i;
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	struct stat before, after;
	int afd, efd;
	char *m;

	ASSERT_EQ(0, w_add(self->fd, NM("m"), size, WMS_ADD_EXCL, 0600, NULL));
	afd = open_attached(NM("m"));
	ASSERT_LE(0, afd) TH_LOG("ATTACH: %s", errname(afd));
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
	ASSERT_TRUE(m != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, fstat(efd, &before));
	/* Past the coarse clock's tick, so that a stamp would show. */
	nanosleep(&nap, NULL);
	/* Write faults (a read fault first would map a page writable). */
	for (i = 0; i < size; i += ps)
		m[i] = (char)(i / ps + 1);
	ASSERT_EQ(0, fstat(efd, &after));
	EXPECT_TRUE(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec &&
		    before.st_ctim.tv_nsec == after.st_ctim.tv_nsec)
		TH_LOG("an eventfd's mtime/ctime moved from %lld.%09ld to %lld.%09ld when a wms mapping was written",
		       (long long)before.st_mtim.tv_sec, before.st_mtim.tv_nsec,
		       (long long)after.st_mtim.tv_sec, after.st_mtim.tv_nsec);
	EXPECT_EQ(0, msync(m, size, MS_SYNC)) TH_LOG("msync(MS_SYNC): %s", strerror(errno));
	EXPECT_EQ(0, msync(m, size, MS_ASYNC)) TH_LOG("msync(MS_ASYNC): %s", strerror(errno));
	EXPECT_EQ(0, fsync(afd)) TH_LOG("fsync of the attached file: %s", strerror(errno));
	for (i = 0; i < size; i += ps) {
		char c = 0;

		EXPECT_EQ(0, w_read(self->fd, NM("m"), i, &c, 1, NULL));
		EXPECT_EQ((char)(i / ps + 1), c) TH_LOG("page %zu", i / ps);
	}
	munmap(m, size);
	close(efd);
	close(afd);
}

TEST_F_TIMEOUT(hostile, write_from_remapped_source, 60)
{
	size_t ps = page_size(), size = 3 * ps, len = ps;
	const char *name = NM("e"), *why;
	struct remap_ctx r = { .maplen = 2 * ps };
	unsigned char *p0, *got, *other;
	long writes = 0, efault = 0, zeros = 0, moved = 0, mixed = 0, bad = 0;
	pthread_t th;
	__u64 t0;

	p0 = malloc(size);
	got = malloc(size);
	ASSERT_TRUE(p0 && got);
	pat_fill(p0, size, 4);
	ASSERT_EQ(0, w_add(self->fd, name, size, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, name, 0, p0, size, NULL));
	r.efd = open_attached(name);
	ASSERT_LE(0, r.efd);
	/* A second mapping elsewhere keeps the entry "mapped" throughout. */
	other = mmap(NULL, size, PROT_READ, MAP_SHARED, r.efd, 0);
	ASSERT_TRUE(other != MAP_FAILED);
	r.a = mmap(NULL, r.maplen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(r.a != MAP_FAILED);
	ASSERT_EQ(0, pthread_create(&th, NULL, remapper, &r));

	for (t0 = now_ns(); now_ns() - t0 < 2000000000ULL && bad < 3; writes++) {
		long nz = 0, nm = 0;
		int w = w_write(self->fd, name, DST_OFF, (char *)r.a + SRC_OFF, len, NULL);

		if ((w && w != -EFAULT) || w_read(self->fd, name, 0, got, size, NULL)) {
			TH_LOG("WRITE #%ld: %s, or the READ after it failed", writes, errname(w));
			bad++;
			break;
		}
		why = memmove_bad(got, p0, size, len, w, true, &nm, &nz);
		if (why) {
			TH_LOG("WRITE #%ld: %s", writes, why);
			bad++;
		}
		efault += w == -EFAULT;
		zeros += nz && !nm;
		moved += nm && !nz;
		mixed += nz && nm;
		if (w_write(self->fd, name, 0, p0, size, NULL))
			break;
	}
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	diag("%ld WRITEs in 2 s (%ld remaps): %ld from the mapping, %ld from fresh memory, %ld mixed, %ld EFAULT",
	     writes, r.rounds, moved, zeros, mixed, efault);
	EXPECT_EQ(0, bad) TH_LOG("a WRITE from the entry's own mapping did not act as memmove");
	EXPECT_EQ(0, r.errors) TH_LOG("mmap in the remapping thread: %s", strerror(r.err));
	munmap(other, size);
	munmap(r.a, r.maplen);
	close(r.efd);
	free(p0);
	free(got);
}

struct pin_write {
	int fd;
	const char *name;
	void *src;
	size_t len;
	int r;
	atomic_int finished;
};

static void *pin_writer(void *arg)
{
	struct pin_write *p = arg;

	p->r = w_write(p->fd, p->name, DST_OFF, p->src, p->len, NULL);
	atomic_store(&p->finished, 1);
	return NULL;
}

TEST_F_TIMEOUT(hostile, write_source_mapped_during_pin, 60)
{
	size_t ps = page_size(), size = 3 * ps, maplen = 2 * ps;
	struct pin_write p = { .fd = self->fd, .name = NM("e"), .len = ps };
	struct uffdio_range wake;
	struct uffd_msg msg;
	struct pollfd pfd;
	unsigned char *p0, *got, *a;
	const char *why;
	long nm = 0, nz = 0;
	pthread_t th;
	int efd, uffd;
	__u64 t0;

	p0 = malloc(size);
	got = malloc(size);
	ASSERT_TRUE(p0 && got);
	pat_fill(p0, size, 6);
	ASSERT_EQ(0, w_add(self->fd, p.name, size, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, p.name, 0, p0, size, NULL));
	efd = open_attached(p.name);
	ASSERT_LE(0, efd);
	a = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(a != MAP_FAILED);
	uffd = uffd_on(a, maplen);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s (needs CONFIG_USERFAULTFD and root)", errname(uffd));

	/* The WRITE's source is not the entry yet: its first fault stops it. */
	p.src = a + SRC_OFF;
	ASSERT_EQ(0, pthread_create(&th, NULL, pin_writer, &p));
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("the WRITE never faulted on its source");
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	/* Now the source becomes the entry's own mapping; the fault goes on. */
	EXPECT_TRUE(mmap(a, maplen, PROT_READ, MAP_SHARED | MAP_FIXED, efd, 0) == (void *)a)
		TH_LOG("mmap of the entry at the source: %s", strerror(errno));
	wake.start = UPTR(a);
	wake.len = maplen;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_WAKE, &wake)) TH_LOG("UFFDIO_WAKE: %s", strerror(errno));
	for (t0 = now_ns(); !atomic_load(&p.finished) && now_ns() - t0 < 5000000000ULL;)
		usleep(2000);
	EXPECT_TRUE(atomic_load(&p.finished)) TH_LOG("the WRITE did not end within 5 s of the wake");
	close(uffd);
	pthread_join(th, NULL);
	EXPECT_TRUE(p.r == 0 || p.r == -EFAULT) TH_LOG("WRITE: %s", errname(p.r));
	ASSERT_EQ(0, w_read(self->fd, p.name, 0, got, size, NULL));
	why = memmove_bad(got, p0, size, ps, p.r, false, &nm, &nz);
	EXPECT_TRUE(why == NULL) TH_LOG("a WRITE whose source became the entry's own mapping before its pin: %s",
				    why);
	munmap(a, maplen);
	close(efd);
	free(p0);
	free(got);
}

/* ------------------------------------------------------------------ */
/* 8. User pointers that do not fit 32 bits                            */
/* ------------------------------------------------------------------ */

/*
 * buf/entries = HIGH | (a valid buffer's address). A 64-bit kernel sees an
 * unmapped (or kernel) address and fails with EFAULT today; a 32-bit kernel
 * that truncated the pointer would use the valid buffer instead, which this
 * test sees (a buffer filled, an entry changed).
 */
struct hi_ctx {
	char name[NAME_LEN];
	unsigned char *buf;	/* below 4 GiB, 4 pages */
	struct rep rp;
};

static const __u64 hi_bits[] = {
	1ULL << 32, 1ULL << 40, 1ULL << 63, 0xffffffff00000000ULL,
};

/* Whether @p (a 64-bit process's address) is mapped here. */
static bool addr_mapped(__u64 p)
{
	unsigned char vec;

	if (sizeof(void *) < 8 || p >> 47)
		return false;
	return !mincore((void *)(uintptr_t)(p & ~(__u64)(page_size() - 1)), 1, &vec);
}

static int hi_child(void *arg)
{
	struct hi_ctx *c = arg;
	struct rep *rp = &c->rp;
	unsigned char *want = malloc(64), got[64];
	int fd = open_wms(), r;
	unsigned int k, i;

	if (fd < 0 || !want)
		return rep_fail(rp, "open: %s", strerror(errno));
	pat_fill(want, 64, 5);
	for (k = 0; k < sizeof(hi_bits) / sizeof(hi_bits[0]); k++) {
		__u64 p = hi_bits[k] | UPTR(c->buf);
		struct wms_list l = { .entries = p, .count = 4 };
		struct wms_io io;

		if (addr_mapped(p))
			continue;
		memset(c->buf, 0x5a, 4 * page_size());
		memset(&io, 0, sizeof(io));
		set_field(io.name, c->name);
		io.len = 64;
		io.buf = p;
		r = xioctl(fd, WMS_IOC_READ, &io);
		if (r != -EFAULT)
			rep_fail(rp, "READ to %#llx: %s, want EFAULT", (ull)p, errname(r));
		for (i = 0; i < 4 * page_size(); i++)
			if (c->buf[i] != 0x5a) {
				rep_fail(rp, "READ to %#llx wrote to %p", (ull)p, (void *)c->buf);
				break;
			}
		r = xioctl(fd, WMS_IOC_WRITE, &io);
		if (r != -EFAULT)
			rep_fail(rp, "WRITE from %#llx: %s, want EFAULT", (ull)p, errname(r));
		r = w_read(fd, c->name, 0, got, 64, NULL);
		if (r || memcmp(got, want, 64))
			rep_fail(rp, "after the WRITE from %#llx the entry changed (%s)", (ull)p, errname(r));
		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r != -EFAULT)
			rep_fail(rp, "LIST to %#llx: %s, want EFAULT", (ull)p, errname(r));
		if (c->buf[0] != 0x5a)
			rep_fail(rp, "LIST to %#llx wrote to %p", (ull)p, (void *)c->buf);
	}
	close(fd);
	free(want);
	return rp->msg[0] != 0;
}

TEST_F(hostile, pointers_above_4g)
{
	struct hi_ctx *c = shmem(sizeof(*c));
	unsigned char data[64];
	uintptr_t hint;
	int st;

	ASSERT_TRUE(c != NULL);
	/* A buffer below 4 GiB (MAP_32BIT is x86-64 only, not UML). */
	c->buf = MAP_FAILED;
	for (hint = 0x10000000; c->buf == MAP_FAILED && hint < 0xf0000000u; hint += 0x10000000)
		c->buf = mmap((void *)hint, 4 * page_size(), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_TRUE(c->buf != MAP_FAILED) TH_LOG("no room for a buffer below 4 GiB");
	snprintf(c->name, NAME_LEN, "%s", NM("e"));
	pat_fill(data, 64, 5);
	ASSERT_EQ(0, w_add(self->fd, c->name, 64, WMS_ADD_EXCL, 0666, NULL));
	ASSERT_EQ(0, w_write(self->fd, c->name, 0, data, 64, NULL));
	/* The WRITE's source is the low buffer: a truncating kernel copies it. */
	memset(c->buf, 0x5a, 4 * page_size());
	st = in_child(0, hi_child, c);
	EXPECT_EQ(0, st) TH_LOG("as root: %s", c->rp.msg);
	memset(&c->rp, 0, sizeof(c->rp));
	st = in_child(NOBODY, hi_child, c);
	EXPECT_EQ(0, st) TH_LOG("as uid %d: %s", NOBODY, c->rp.msg);
	munmap(c->buf, 4 * page_size());
}

/* ------------------------------------------------------------------ */
/* LIST with a cursor the caller chose                                 */
/* ------------------------------------------------------------------ */

/* LIST from @cursor with room for @cap (count @count) must give @want[0..nw). */
static void list_from(struct __test_metadata *_metadata, int fd, __u64 cursor,
		      __u32 count, size_t cap, const struct lent *want, int nw,
		      __u64 total)
{
	struct wms_list_entry *buf = calloc(cap, sizeof(*buf));
	struct wms_list l = { .cursor = cursor, .count = count };
	int r, i, got = 0;

	ASSERT_TRUE(buf != NULL);
	l.entries = UPTR(buf);
	r = xioctl(fd, WMS_IOC_LIST, &l);
	EXPECT_EQ(0, r) TH_LOG("LIST from cursor %#llx: %s", (ull)cursor, errname(r));
	if (!r) {
		got = (int)l.count;
		EXPECT_EQ(nw, got) TH_LOG("LIST from cursor %#llx (count %u): %d entries, want %d",
					  (ull)cursor, count, got, nw);
		EXPECT_EQ(total, l.total);
		for (i = 0; i < got && i < nw; i++)
			EXPECT_EQ(0, strncmp(buf[i].name, want[i].name, NAME_LEN))
				TH_LOG("cursor %#llx, entry %d: '%.40s', want '%.40s'", (ull)cursor, i,
				       buf[i].name, want[i].name);
		if (got && got == nw)
			EXPECT_EQ(want[nw - 1].id + 1, l.cursor) TH_LOG("cursor out");
	}
	free(buf);
}

TEST_F(hostile, list_cursor_chosen)
{
	const int n = 40;
	struct lent *v;
	__u64 cursors[24], last;
	int nc = 0, nv, i, k;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, w_add(self->fd, NM("%02d", i), (__u64)i, WMS_ADD_EXCL, 0600, NULL));
	/* Holes: a run in the middle, single ones, the last two entries. */
	for (i = 5; i < 25; i++)
		ASSERT_EQ(0, w_remove(self->fd, NM("%02d", i)));
	ASSERT_EQ(0, w_remove(self->fd, NM("%02d", 30)));
	ASSERT_EQ(0, w_remove(self->fd, NM("%02d", 38)));
	ASSERT_EQ(0, w_remove(self->fd, NM("%02d", 39)));
	nv = list_ids(self->fd, &v);
	ASSERT_LE(n - 23, nv);
	for (i = 1; i < nv; i++)
		ASSERT_LT(v[i - 1].id, v[i].id) TH_LOG("LIST not in id order");
	last = v[nv - 1].id;
	/* ids of our entries: first = id of "00"; the removed ones lie between. */
	for (k = 0; k < nv && strcmp(v[k].name, NM("04")); k++)
		;
	ASSERT_LT(k + 1, nv);
	cursors[nc++] = 0;
	cursors[nc++] = 1;
	cursors[nc++] = v[k].id;		/* "04" */
	cursors[nc++] = v[k].id + 1;		/* the first hole: "05" */
	cursors[nc++] = v[k].id + 10;		/* inside the run of holes */
	cursors[nc++] = v[k + 1].id;		/* "25", right after it */
	cursors[nc++] = v[k + 1].id - 1;	/* "24", the hole's last */
	cursors[nc++] = last;
	cursors[nc++] = last + 1;		/* past the end: "38" was removed */
	cursors[nc++] = last + 3;		/* past every id ever given */
	cursors[nc++] = last + 1000;
	cursors[nc++] = 1ULL << 32;
	cursors[nc++] = (1ULL << 32) + 1;
	cursors[nc++] = 1ULL << 63;
	cursors[nc++] = ~0ULL - 1;
	cursors[nc++] = ~0ULL;
	for (i = 0; i < nc; i++) {
		for (k = 0; k < nv && v[k].id < cursors[i]; k++)
			;
		/* room for all, room for one less than all, count 1, count UINT32_MAX */
		list_from(_metadata, self->fd, cursors[i], nv + 1, nv + 1, v + k, nv - k, nv);
		if (nv - k > 1)
			list_from(_metadata, self->fd, cursors[i], nv - k - 1, nv, v + k, nv - k - 1, nv);
		list_from(_metadata, self->fd, cursors[i], 1, 1, v + k, nv - k > 0, nv);
		list_from(_metadata, self->fd, cursors[i], UINT32_MAX, nv + 1, v + k, nv - k, nv);
	}
	free(v);
}

/* ------------------------------------------------------------------ */
/* Two threads ATTACH one file                                         */
/* ------------------------------------------------------------------ */

struct att_ctx {
	const char *volatile name[2];
	atomic_int fd, gen, ready, done;
	int r[2];
};

struct att_arg {
	struct att_ctx *c;
	int me;
};

static void *attacher(void *arg)
{
	struct att_arg *a = arg;
	struct att_ctx *c = a->c;
	int seen = 0, g;

	for (;;) {
		while ((g = atomic_load(&c->gen)) == seen)
			sched_yield();
		if (g < 0)
			return NULL;
		seen = g;
		atomic_fetch_add(&c->ready, 1);
		while (atomic_load(&c->ready) < 2)
			;
		c->r[a->me] = w_attach(atomic_load(&c->fd), c->name[a->me]);
		atomic_fetch_add(&c->done, 1);
	}
}

TEST_F_TIMEOUT(hostile, attach_race, 90)
{
	struct att_ctx c;
	struct att_arg args[2] = { { &c, 0 }, { &c, 1 } };
	char na[NAME_LEN], nb[NAME_LEN];
	struct wms_info ia, ib;
	pthread_t th[2];
	int iter, fd, bad = 0;

	memset(&c, 0, sizeof(c));
	snprintf(na, NAME_LEN, "%s", NM("a"));
	snprintf(nb, NAME_LEN, "%s", NM("b"));
	c.name[0] = na;
	ASSERT_EQ(0, w_add(self->fd, na, 16, WMS_ADD_EXCL, 0644, NULL));
	ASSERT_EQ(0, w_add(self->fd, nb, 16, WMS_ADD_EXCL, 0644, NULL));
	ASSERT_EQ(0, pthread_create(&th[0], NULL, attacher, &args[0]));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, attacher, &args[1]));
	/* A count of rounds, not a time: the verdict must not hang on speed. */
	for (iter = 0; iter < 400 && bad < 5; iter++) {
		/* Odd rounds: one entry each; even rounds: both the same. */
		bool two = iter & 1;

		c.name[1] = two ? nb : na;
		fd = open_wms();
		if (fd < 0)
			break;
		atomic_store(&c.fd, fd);
		atomic_store(&c.ready, 0);
		atomic_store(&c.done, 0);
		atomic_fetch_add(&c.gen, 1);
		while (atomic_load(&c.done) < 2)
			sched_yield();
		w_info(self->fd, na, &ia);
		w_info(self->fd, nb, &ib);
		if (!((c.r[0] == 0 && c.r[1] == -EBUSY) || (c.r[0] == -EBUSY && c.r[1] == 0)) ||
		    ia.attached + ib.attached != 1) {
			TH_LOG("round %d (%s): ATTACHes %s and %s, attached %u + %u; want one success, one EBUSY, 1",
			       iter, two ? "two entries" : "one entry", errname(c.r[0]),
			       errname(c.r[1]), ia.attached, ib.attached);
			bad++;
		}
		close(fd);
		w_info(self->fd, na, &ia);
		w_info(self->fd, nb, &ib);
		if (ia.attached || ib.attached) {
			TH_LOG("round %d: attached %u + %u after close", iter, ia.attached, ib.attached);
			bad++;
		}
	}
	atomic_store(&c.gen, -1);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	diag("%d rounds", iter);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(400, iter) TH_LOG("open of /dev/wms failed in round %d", iter);
}

/* ------------------------------------------------------------------ */
/* /proc/driver/wms while entries come and go                          */
/* ------------------------------------------------------------------ */

struct churn_ctx {
	char prefix[96];
	long ops, errors;
	int last_err;
};

/* Another user ADDs and REMOVEs, 4,000 times (a count: not a time). */
static int churn_child(void *arg)
{
	struct churn_ctx *c = arg;
	int fd = open_wms(), r;
	char name[NAME_LEN];

	if (fd < 0)
		return 1;
	for (; c->ops < 4000; c->ops++) {
		snprintf(name, sizeof(name), "%sc %ld", c->prefix, c->ops % 24);
		r = c->ops % 24 < 12 ? w_add(fd, name, (__u64)(c->ops % 3) * 100, WMS_ADD_EXCL, 0644, NULL)
				     : w_remove(fd, mkname(c->prefix, "c %ld", c->ops % 24 - 12));
		if (r) {
			c->errors++;
			c->last_err = r;
		}
	}
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(hostile, proc_read_while_churning, 60)
{
	static const size_t chunks[] = { 65536, 4096, 7 };
	struct churn_ctx *c = shmem(sizeof(*c));
	char esc[4 * NAME_LEN + 1];
	long reads = 0, bad = 0;
	__u64 slowest = 0;
	pid_t pid;
	int st = -1, i, nst = 12;

	ASSERT_TRUE(c != NULL);
	snprintf(c->prefix, sizeof(c->prefix), "%s", self->prefix);
	for (i = 0; i < nst; i++)
		ASSERT_EQ(0, w_add(self->fd, NM("s%02d", i), 8, WMS_ADD_EXCL, 0600, NULL));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		_exit(churn_child(c));
	}
	while (bad < 5) {
		size_t len, chunk = chunks[reads % 3];
		__u64 t0 = now_ns(), dt;
		char *buf = read_proc(chunk, &len), *l, *nl;
		int seen[12] = { 0 };
		const char *why;

		dt = now_ns() - t0;
		slowest = dt > slowest ? dt : slowest;
		if (!buf) {
			TH_LOG("read " PROC_WMS ": %s", strerror(errno));
			bad++;
			break;
		}
		if (strncmp(buf, "name size uid gid mode attached\n", 32)) {
			TH_LOG("read #%ld (%zu-byte reads): header \"%.40s\"", reads, chunk, buf);
			bad++;
		}
		for (l = strchr(buf, '\n'); l && (nl = strchr(++l, '\n')); l = nl) {
			why = proc_line_bad(l, (size_t)(nl - l));
			if (why) {
				TH_LOG("read #%ld (%zu-byte reads): %s: \"%.*s\"", reads, chunk, why,
				       (int)(nl - l), l);
				bad++;
			}
			for (i = 0; i < nst; i++) {
				escape_name(NM("s%02d", i), esc);
				if (!strncmp(l, esc, strlen(esc)) && l[strlen(esc)] == ' ')
					seen[i]++;
			}
		}
		for (i = 0; i < nst; i++)
			if (seen[i] != 1) {
				TH_LOG("read #%ld (%zu-byte reads): the stable entry s%02d shown %d times",
				       reads, chunk, i, seen[i]);
				bad++;
			}
		reads++;
		/* At least three reads, however fast the churner is. */
		if (reads >= 3 && waitpid(pid, &st, WNOHANG) == pid)
			break;
	}
	if (bad >= 5 || waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	diag("%ld reads, slowest %.1f ms; the churner did %ld ops (%ld failed, last %s)", reads,
	     slowest / 1e6, c->ops, c->errors, errname(c->last_err));
	EXPECT_EQ(0, bad);
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("churner status %#x", st);
	/*
	 * A read waits for no one: it takes the registry lock per entry, never
	 * across a copy to user space. 5 s is a hang, not a slow machine (the
	 * slowest read seen on the KASAN debug kernel of a loaded host: ms).
	 */
	EXPECT_LT(slowest, 5000000000ULL) TH_LOG("a read of " PROC_WMS " took over 5 s");
	EXPECT_EQ(0, c->errors) TH_LOG("the churner's ADD/REMOVE failed: %s", errname(c->last_err));
	EXPECT_LT(2, reads);
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-t TEST]... [-T TEST]...\n"
		"  -l          list fixture.test names and exit\n"
		"  -t/-T NAME  run only / skip test NAME (e.g. reserved_dot_names)\n"
		"Needs root and %s (wms.ko loaded); uses uids/gids %d and %d.\n",
		prog, WMS_DEVICE_PATH, NOBODY, NOBODY2);
	exit(code);
}

int main(int argc, char **argv)
{
	static struct filter fl;
	bool list = false;
	int r;

	parse_args(argc, argv, "hlt:T:", &fl, &list, NULL, usage);
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	params_keep(&g_start_params, all_params, NPARAMS);
	atexit(restore_start_params);
	return test_harness_run(1, argv);
}
