/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kselftest suites (wms_*_test, libwms_test; and, without the
 * harness, wms_fuzz) share, kept here so that there is one copy of it (what
 * only two suites share is in wms_snap.h and wms_attach.h):
 *
 *   - the kselftest harness (included here), ull, NAME_LEN, UPTR, PARAM_DIR
 *   - diag() TAP comments, errname(), splitmix64(), mix32(), page_size()
 *   - the ioctl wrappers, each returning 0 or -errno: the *_f forms take a
 *     raw 256-byte name field, the w_* forms a C string (set_field())
 *   - module parameters: the limits' names (param_name[P_*]), each read and
 *     written by name (param_read/param_write), a set saved and put back
 *     (params_keep/params_put_back)
 *   - mkname()/NM(): entry names under a fixture's prefix
 *   - for main(): the command line, test selection by fixture, variant and
 *     test name (the 6.1 harness has none), -l listing, the seed (-s SEED,
 *     $WMS_TEST_SEED or the time)
 *
 * Everything is static (and __maybe_unused: not every suite uses all of it).
 * Include it after <linux/wms.h> in a file that defines _GNU_SOURCE before
 * its first include (strerrorname_np()). A program that does not use the
 * harness defines WMS_UTIL_NO_HARNESS first: then neither the harness nor
 * the main() part is included.
 */
#ifndef WMS_UTIL_H
#define WMS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/wms.h>

#ifndef WMS_UTIL_NO_HARNESS
/* The 6.1 harness itself is not -Wextra clean (unused handler parameter). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#endif

#ifndef __maybe_unused
#define __maybe_unused	__attribute__((unused))
#endif

typedef unsigned long long ull;

#define NAME_LEN	(WMS_NAME_MAX + 1)
#define UPTR(p)		((__u64)(uintptr_t)(p))
/*
 * The ioctl numbers are ABI: the suites pin them as these direction bits
 * OR the rest of the number (size, magic 0xb9, nr), which is the same on
 * every architecture. asm-generic's encoding (x86, arm64, s390...) has
 * _IOC_WRITE 1 and _IOC_READ 2 from bit 30; powerpc, mips and sparc have
 * _IOC_WRITE 4 and _IOC_READ 2 from bit 29 (and a 13-bit size field).
 */
#if defined(__powerpc__) || defined(__mips__) || defined(__sparc__)
#define WMS_PIN_IOW	0x80000000u
#else
#define WMS_PIN_IOW	0x40000000u
#endif
#define WMS_PIN_IOWR	0xc0000000u

#ifndef PARAM_DIR
#define PARAM_DIR	"/sys/module/wms/parameters/"
#endif

/* ------------------------------------------------------------------ */
/* Diagnostics and small utilities                                     */
/* ------------------------------------------------------------------ */

/* Diagnostics go to stdout as TAP comments, flushed (test children _exit). */
static __maybe_unused void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static __maybe_unused void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* "success" for 0, else the name of errno e (or -e): "EINVAL". */
static __maybe_unused const char *errname(int e)
{
	const char *s;

	if (e < 0)
		e = -e;
	if (!e)
		return "success";
	s = strerrorname_np(e);
	return s ? s : "?";
}

static __maybe_unused __u64 splitmix64(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __maybe_unused __u32 mix32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static __maybe_unused size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Whether the kernel (not this program: a -m32 build may run on a 64-bit
 * kernel) is 32-bit. The VFS bounds some arguments by the kernel's
 * unsigned long before a driver sees them: mmap of a device file at an
 * offset past ULONG_MAX is -EOVERFLOW in file_mmap_ok(), before ->mmap.
 */
static __maybe_unused bool kernel_is_32bit(void)
{
	struct utsname u;

	if (uname(&u))
		return false;
	/* x86_64, aarch64, ppc64le, mips64, riscv64...; s390x says no 64. */
	return !strstr(u.machine, "64") && strcmp(u.machine, "s390x") != 0;
}

/* ------------------------------------------------------------------ */
/* ioctl helpers: each returns 0 (or a positive result) or -errno      */
/* ------------------------------------------------------------------ */

static __maybe_unused int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* A C string into a 256-byte name field, zero padded. */
static __maybe_unused void set_field(char *dst, const char *src)
{
	size_t n = strlen(src);

	memset(dst, 0, NAME_LEN);
	memcpy(dst, src, n > WMS_NAME_MAX ? WMS_NAME_MAX : n);
}

/* The *_f helpers take a raw 256-byte name field. */
static __maybe_unused int add_f(int fd, const char *field, __u64 size,
				__u32 flags, __u32 mode, struct wms_add *out)
{
	struct wms_add a;
	int r;

	memset(&a, 0, sizeof(a));
	memcpy(a.name, field, NAME_LEN);
	a.size = size;
	a.flags = flags;
	a.mode = mode;
	r = xioctl(fd, WMS_IOC_ADD, &a);
	if (out)
		*out = a;
	return r;
}

static __maybe_unused int remove_f(int fd, const char *field)
{
	struct wms_name n;

	memset(&n, 0, sizeof(n));
	memcpy(n.name, field, NAME_LEN);
	return xioctl(fd, WMS_IOC_REMOVE, &n);
}

static __maybe_unused int info_f(int fd, const char *field,
				 struct wms_info *out)
{
	struct wms_info i;
	int r;

	memset(&i, 0, sizeof(i));
	memcpy(i.name, field, NAME_LEN);
	r = xioctl(fd, WMS_IOC_INFO, &i);
	if (out)
		*out = i;
	return r;
}

/* READ or WRITE (cmd); *done (if given) is the length done, ~0 on error. */
static __maybe_unused int io_f(int fd, unsigned long cmd, const char *field,
			       __u64 off, const void *buf, __u64 len,
			       __u64 *done)
{
	struct wms_io io;
	int r;

	memset(&io, 0, sizeof(io));
	memcpy(io.name, field, NAME_LEN);
	io.offset = off;
	io.len = len;
	io.buf = UPTR(buf);
	r = xioctl(fd, cmd, &io);
	if (done)
		*done = r ? ~0ULL : io.len;
	return r;
}

static __maybe_unused int w_add(int fd, const char *name, __u64 size,
				__u32 flags, __u32 mode, struct wms_add *out)
{
	char f[NAME_LEN];

	set_field(f, name);
	return add_f(fd, f, size, flags, mode, out);
}

static __maybe_unused int w_remove(int fd, const char *name)
{
	char f[NAME_LEN];

	set_field(f, name);
	return remove_f(fd, f);
}

static __maybe_unused int w_attach(int fd, const char *name)
{
	struct wms_name n;

	memset(&n, 0, sizeof(n));
	set_field(n.name, name);
	return xioctl(fd, WMS_IOC_ATTACH, &n);
}

static __maybe_unused int w_info(int fd, const char *name,
				 struct wms_info *out)
{
	char f[NAME_LEN];

	set_field(f, name);
	return info_f(fd, f, out);
}

static __maybe_unused int w_read(int fd, const char *name, __u64 off,
				 void *buf, __u64 len, __u64 *done)
{
	char f[NAME_LEN];

	set_field(f, name);
	return io_f(fd, WMS_IOC_READ, f, off, buf, len, done);
}

static __maybe_unused int w_write(int fd, const char *name, __u64 off,
				  const void *buf, __u64 len, __u64 *done)
{
	char f[NAME_LEN];

	set_field(f, name);
	return io_f(fd, WMS_IOC_WRITE, f, off, buf, len, done);
}

/* ------------------------------------------------------------------ */
/* Module parameters                                                   */
/* ------------------------------------------------------------------ */

/* The limits the suites change (and restore), by index. */
enum { P_ENTRIES, P_ENTRY_SIZE, P_TOTAL, P_USER, P_NR };
static const char *const param_name[P_NR] __maybe_unused = {
	"max_entries", "max_entry_size", "max_total_bytes", "max_user_bytes",
};

/* A number read from a sysfs file: 0 or -errno. */
static __maybe_unused int read_u64_file(const char *path, __u64 *v)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	errno = 0;
	*v = strtoull(buf, NULL, 0);
	return errno ? -errno : 0;
}

static __maybe_unused int param_read(const char *p, __u64 *v)
{
	char path[128];

	snprintf(path, sizeof(path), PARAM_DIR "%s", p);
	return read_u64_file(path, v);
}

static __maybe_unused int param_write(const char *p, __u64 v)
{
	char path[128], buf[32];
	int fd, len;
	ssize_t n;

	snprintf(path, sizeof(path), PARAM_DIR "%s", p);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%llu\n", (ull)v);
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n == len ? 0 : (n < 0 ? (int)n : -EIO);
}

/* The values of the module parameters @names[0..@n) a suite changes. */
#define PARAMS_MAX	8
struct kept_params {
	const char *const *names;
	int n;
	__u64 v[PARAMS_MAX];
	bool have[PARAMS_MAX];	/* read; only those are put back */
};

static __maybe_unused void params_keep(struct kept_params *s,
				       const char *const *names, int n)
{
	int k;

	s->names = names;
	s->n = n < PARAMS_MAX ? n : PARAMS_MAX;
	for (k = 0; k < s->n; k++)
		s->have[k] = !param_read(names[k], &s->v[k]);
}

/* Whether every parameter could be read. */
static __maybe_unused bool params_all_kept(const struct kept_params *s)
{
	int k;

	for (k = 0; k < s->n; k++)
		if (!s->have[k])
			return false;
	return true;
}

/* Put back what differs; 0 or the first error. */
static __maybe_unused int params_put_back(const struct kept_params *s)
{
	int k, r, err = 0;
	__u64 v;

	for (k = 0; k < s->n; k++) {
		if (!s->have[k] || (!param_read(s->names[k], &v) && v == s->v[k]))
			continue;
		r = param_write(s->names[k], s->v[k]);
		if (r && !err)
			err = r;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Entry names                                                         */
/* ------------------------------------------------------------------ */

/* "<prefix><suffix>" in a rotating buffer (16 live at a time). */
static __maybe_unused char *mkname(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static __maybe_unused char *mkname(const char *prefix, const char *fmt, ...)
{
	static char bufs[16][NAME_LEN];
	static unsigned int k;
	char *b = bufs[k++ % 16];
	size_t pl = strlen(prefix);
	va_list ap;

	memcpy(b, prefix, pl);
	va_start(ap, fmt);
	vsnprintf(b + pl, NAME_LEN - pl, fmt, ap);
	va_end(ap);
	return b;
}

/* In a test of a fixture that has a char prefix[] member. */
#define NM(...)	mkname(self->prefix, __VA_ARGS__)

#ifndef WMS_UTIL_NO_HARNESS
/* ------------------------------------------------------------------ */
/* main: the 6.1 harness has no filtering, so do it here               */
/* ------------------------------------------------------------------ */

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

/*
 * The names to run only (inc) or to skip (exc): fixtures, variants, tests.
 * A fixture without variants is dropped by -v, unless v_keeps_plain is set.
 */
struct filter {
	const char *inc_f[16], *exc_f[16], *inc_v[64], *exc_v[64], *inc_t[64], *exc_t[64];
	int ninc_f, nexc_f, ninc_v, nexc_v, ninc_t, nexc_t;
	bool v_keeps_plain;
};

/* Append s to the list l of *n names (at most max); -1 if it is full. */
static __maybe_unused int filter_add(const char **l, int *n, int max,
				     const char *s)
{
	if (*n >= max)
		return -1;
	l[(*n)++] = s;
	return 0;
}

/*
 * Record the argument of option -f/-F (fixture), -v/-V (variant) or -t/-T
 * (test), lower case to run only those, upper case to skip them.  0, or -1
 * for any other option or when that list is full.
 */
static __maybe_unused int filter_opt(struct filter *fl, int opt,
				     const char *arg)
{
	switch (opt) {
	case 'f':
		return filter_add(fl->inc_f, &fl->ninc_f, ARRAY_SIZE(fl->inc_f), arg);
	case 'F':
		return filter_add(fl->exc_f, &fl->nexc_f, ARRAY_SIZE(fl->exc_f), arg);
	case 'v':
		return filter_add(fl->inc_v, &fl->ninc_v, ARRAY_SIZE(fl->inc_v), arg);
	case 'V':
		return filter_add(fl->exc_v, &fl->nexc_v, ARRAY_SIZE(fl->exc_v), arg);
	case 't':
		return filter_add(fl->inc_t, &fl->ninc_t, ARRAY_SIZE(fl->inc_t), arg);
	case 'T':
		return filter_add(fl->exc_t, &fl->nexc_t, ARRAY_SIZE(fl->exc_t), arg);
	}
	return -1;
}

static __maybe_unused bool filter_in(const char *s, const char *const *l,
				     int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, l[i]))
			return true;
	return false;
}

static __maybe_unused bool filter_keep(const char *s,
				       const char *const *inc, int ninc,
				       const char *const *exc, int nexc)
{
	if (ninc && !filter_in(s, inc, ninc))
		return false;
	return !filter_in(s, exc, nexc);
}

/*
 * Append @it to a list of the harness being rebuilt from @head to @tail
 * (next and prev; the caller sets head->prev = tail at the end).
 */
#define LIST_APPEND(head, tail, it) do {	\
	(it)->next = NULL;			\
	if (!(head)) {				\
		(head) = (it);			\
	} else {				\
		(tail)->next = (it);		\
		(it)->prev = (tail);		\
	}					\
	(tail) = (it);				\
} while (0)

/* Re-link the harness's lists keeping only what passes the filter. */
static __maybe_unused void apply_filter(const struct filter *fl)
{
	struct __fixture_metadata *f, *fnext, *fhead = NULL, *ftail = NULL;

	for (f = __fixture_list; f; f = fnext) {
		struct __test_metadata *t, *tnext, *thead = NULL, *ttail = NULL;
		struct __fixture_variant_metadata *v, *vnext, *vhead = NULL, *vtail = NULL;
		bool had_variants = f->variant != NULL;

		fnext = f->next;
		if (!filter_keep(f->name, fl->inc_f, fl->ninc_f, fl->exc_f, fl->nexc_f))
			continue;
		for (t = f->tests; t; t = tnext) {
			tnext = t->next;
			if (!filter_keep(t->name, fl->inc_t, fl->ninc_t, fl->exc_t, fl->nexc_t))
				continue;
			LIST_APPEND(thead, ttail, t);
		}
		if (thead)
			thead->prev = ttail;
		f->tests = thead;
		for (v = f->variant; v; v = vnext) {
			vnext = v->next;
			if (!filter_keep(v->name, fl->inc_v, fl->ninc_v, fl->exc_v, fl->nexc_v))
				continue;
			LIST_APPEND(vhead, vtail, v);
		}
		if (vhead)
			vhead->prev = vtail;
		f->variant = vhead;
		if (!thead || (had_variants && !vhead))
			continue;
		/* without variants, -v filters out the whole fixture */
		if (!had_variants && fl->ninc_v && !fl->v_keeps_plain)
			continue;
		LIST_APPEND(fhead, ftail, f);
	}
	if (fhead)
		fhead->prev = ftail;
	__fixture_list = fhead;
}

/*
 * Apply @fl, then with @list print the fixture[.variant].test names left.
 * Returns main()'s exit code where it is to stop (KSFT_FAIL when nothing is
 * left, 0 once listed), else -1: run the tests.
 */
static __maybe_unused int select_tests(const struct filter *fl, bool list,
				       const char *prog)
{
	struct __fixture_metadata *f;
	struct __fixture_variant_metadata *v, nov = { .name = "" };
	struct __test_metadata *t;

	apply_filter(fl);
	if (!__fixture_list) {
		fprintf(stderr, "%s: no test matches the filter\n", prog);
		return KSFT_FAIL;
	}
	if (!list)
		return -1;
	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &nov; v; v = v->next)
			for (t = f->tests; t; t = t->next)
				printf("%s%s%s.%s\n", f->name, v->name[0] ? "." : "",
				       v->name, t->name);
	return 0;
}

/* s as a number (any base strtoull() takes) in *v; false if it is not one */
static __maybe_unused bool parse_u64(const char *s, __u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

/*
 * main()'s command line: -l sets *list, -h is usage(prog, 0), -s SEED sets
 * *seed, -f/-F/-v/-V/-t/-T go to @fl (those of them that @opts, getopt()'s
 * optstring, has); any other option goes to @more (if not NULL), which
 * returns 0 if it is one of the suite's own. An option neither takes, a bad
 * number or list, or an operand is usage(prog, 2).  usage() does not return.
 */
static __maybe_unused void parse_args_more(int argc, char **argv, const char *opts,
					   struct filter *fl, bool *list, __u64 *seed,
					   int (*more)(int opt, const char *arg),
					   void (*usage)(const char *prog, int code))
{
	int opt;

	while ((opt = getopt(argc, argv, opts)) != -1) {
		switch (opt) {
		case 'l':
			*list = true;
			break;
		case 's':
			if (!parse_u64(optarg, seed))
				usage(argv[0], 2);
			break;
		case 'h':
			usage(argv[0], 0);
			break;
		default:
			if (more && !more(opt, optarg))
				break;
			if (filter_opt(fl, opt, optarg))
				usage(argv[0], 2);
		}
	}
	if (optind != argc)
		usage(argv[0], 2);
}

/* parse_args_more() for a suite without options of its own */
static __maybe_unused void parse_args(int argc, char **argv, const char *opts,
				      struct filter *fl, bool *list, __u64 *seed,
				      void (*usage)(const char *prog, int code))
{
	parse_args_more(argc, argv, opts, fl, list, seed, NULL, usage);
}

/*
 * The run's seed: @seed if nonzero (-s), else $WMS_TEST_SEED, else one made
 * from @now (a clock in ns) and the pid; never 0.
 */
static __maybe_unused __u64 pick_seed(__u64 seed, __u64 now)
{
	const char *env;

	if (seed)
		return seed;
	env = getenv("WMS_TEST_SEED");
	if (env && *env)
		seed = strtoull(env, NULL, 0);
	else
		seed = splitmix64(now ^ ((__u64)getpid() << 32));
	return seed ? seed : 1;
}
#endif /* !WMS_UTIL_NO_HARNESS */

#endif /* WMS_UTIL_H */
