// SPDX-License-Identifier: GPL-2.0
/*
 * wms_bench: wms against the kernel's other named-memory facilities, in one
 * boot, on the same operations (see scripts/bench.sh, `make bench`).
 *
 *   wms_bench [--csv FILE] [--summary FILE] [--budget SECONDS] [--runs R]
 *             [--batch B] [--levels N,N,...] [--quick]
 *
 * Facilities: wms (/dev/wms), POSIX shm (shm_open on the tmpfs at /dev/shm),
 * SysV shm (shmget), keyrings ("user" keys, raw syscalls), and memfd as an
 * unnamed floor. For every facility and every N of --levels (default 0,
 * 1000, 10000, 100000, 1000000 other objects present) it times
 *   create_destroy       a named 4 KiB object made and destroyed,
 *   create_fill_destroy  the same with its 4 KiB written,
 *   lookup               finding an object by name,
 * and, at N = 0: 1 MiB WRITE+READ against pwrite+pread of a tmpfs file,
 * memcpy of 1 MiB into a wms mapping against malloc'ed memory, the kernel
 * memory per 4 KiB entry beyond its data (/proc/meminfo), 1 against 2
 * threads of INFO lookups, and a breakdown of where a wms call's time goes.
 *
 * Every figure is the median of R runs (default 5). A run times one batch
 * of operations with CLOCK_MONOTONIC, and a batch of null ioctls (an unused
 * command on /dev/null) right before and after it; the run's ratio is the
 * batch's cost per operation over that null ioctl's cost, and the reported
 * ratio is the median of the runs' ratios.
 *
 * The N sweep has a time budget (--budget, seconds from the start): levels
 * up to 100000 are measured first for every facility; 1000000 is then tried
 * facility by facility (wms first, then the anchors cheapest first) while
 * the time (predicted from the measured create/remove rates) and the guest's
 * memory (predicted from MemAvailable) allow; what does not fit, or what a
 * hard kernel limit forbids, is reported as skipped with the reason.
 *
 * Output: one CSV row per figure (kernel,op,facility,N,ns_median,
 * ratio_median,runs,notes) to --csv as it goes, a table and the issue's
 * targets evaluated from the data on stdout, and the same as Markdown to
 * --summary. Run as root in the bench VM (userspace-test/vm/init.sh, mode
 * bench), which raises the anchors' limits first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/wms.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS	15
#define MAX_ROWS	1024
#define MAX_LEVELS	8
#define KIB4		4096
#define MIB1		(1024 * 1024)
#define NAME_LEN	16
#define NULL_BATCH	20000L	/* null ioctls per run, half before, half after */
#define MEM_ENTRIES	10000L
#define THREAD_OPS	100000L	/* per thread and run: ~0.3 s, so that thread start-up is noise */
#define CHUNK		5000L	/* background objects made between budget checks */

/* An ioctl command nothing implements for /dev/null: vfs_ioctl says -ENOTTY. */
#define NULL_CMD	_IO(0xB9, 0x7F)
#define SYSV_KEY_MEAS	0x57000000	/* + i: the measured segments */
#define SYSV_KEY_TARGET	0x56FFFFFF
#define SYSV_KEY_BG	0x58000000	/* + i: background segments */

/* ------------------------------------------------------------------------ */
/* Options and state */

static const char *opt_csv = "results.csv";
static const char *opt_summary;
static double opt_budget = 330;
static int opt_runs = 5;
static long opt_batch = 2000;
static long levels[MAX_LEVELS] = { 0, 1000, 10000, 100000, 1000000 };
static int nlevels = 5;
static const char *opt_only;	/* comma-separated parts to run; NULL: all */
static bool do_sweep = true;

static char kver[128];
static int wmsfd = -1, nullfd = -1;
static FILE *csv;
static double t_start;
static char errbuf[256];
static char meas_names[2][2000][NAME_LEN];	/* [0] bare, [1] with a leading '/' */
static char payload4k[KIB4] __attribute__((aligned(4096)));
static int32_t keyring = -1;
static long bg_have;	/* background objects made: 0 .. bg_have-1 */

struct row {
	char op[40];
	char fac[16];
	long n;
	double ns, ratio;	/* NAN: none */
	int runs;
	char notes[320];
};
static struct row rows[MAX_ROWS];
static int nrows;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double elapsed(void)
{
	return now_s() - t_start;
}

static double remaining(void)
{
	return opt_budget - elapsed();
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	printf("[%7.1fs] ", elapsed());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int fail(const char *what)
{
	int e = errno;

	snprintf(errbuf, sizeof(errbuf), "%s: %s", what, strerror(e));
	return -(e ? e : EIO);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS];

	if (n <= 0)
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void num_field(FILE *f, double v, const char *fmt)
{
	if (!isnan(v))
		fprintf(f, fmt, v);
}

static struct row *add_row(const char *op, const char *fac, long n, double ns,
			   double ratio, int runs, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static struct row *add_row(const char *op, const char *fac, long n, double ns,
			   double ratio, int runs, const char *fmt, ...)
{
	struct row *r;
	va_list ap;

	if (nrows >= MAX_ROWS) {
		fprintf(stderr, "wms_bench: too many rows\n");
		exit(1);
	}
	r = &rows[nrows++];
	snprintf(r->op, sizeof(r->op), "%s", op);
	snprintf(r->fac, sizeof(r->fac), "%s", fac);
	r->n = n;
	r->ns = ns;
	r->ratio = ratio;
	r->runs = runs;
	r->notes[0] = 0;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(r->notes, sizeof(r->notes), fmt, ap);
		va_end(ap);
	}
	if (csv) {
		fprintf(csv, "%s,%s,%s,%ld,", kver, r->op, r->fac, r->n);
		num_field(csv, r->ns, "%.1f");
		fputc(',', csv);
		num_field(csv, r->ratio, "%.3f");
		fprintf(csv, ",%d,", r->runs);
		csv_field(csv, r->notes);
		fputc('\n', csv);
		fflush(csv);
	}
	return r;
}

static const struct row *find_row(const char *op, const char *fac, long n)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (!strcmp(rows[i].op, op) && !strcmp(rows[i].fac, fac) &&
		    rows[i].n == n)
			return &rows[i];
	return NULL;
}

static const char *fmt_n(long n)
{
	static char buf[4][16];
	static int k;
	char *b = buf[k++ % 4];

	switch (n) {
	case 1000: return "1e3";
	case 10000: return "1e4";
	case 100000: return "1e5";
	case 1000000: return "1e6";
	}
	snprintf(b, 16, "%ld", n);
	return b;
}

/* ------------------------------------------------------------------------ */
/* Timing */

static inline void null_ioctl(void)
{
	ioctl(nullfd, NULL_CMD, 0);
}

static double time_null(long n)
{
	uint64_t t0 = now_ns();
	long i;

	for (i = 0; i < n; i++)
		null_ioctl();
	return (double)(now_ns() - t0) / n;
}

typedef int (*batch_fn)(long n);

struct meas {
	int runs;
	long batch;
	double ns[MAX_RUNS], null[MAX_RUNS], ratio[MAX_RUNS];
	double ns_med, ratio_med, null_med;
};

#define RUN_TARGET_S	0.25	/* a run's batch lasts about this long ... */

/*
 * R runs of @fn over a batch of operations, each with a null-ioctl batch
 * right before and after it. The batch is what takes about RUN_TARGET_S,
 * within [@max / 10, @max] (at least 2), judged from a timed warm-up.
 * Returns 0, or the failing operation's -errno (errbuf says which call).
 */
static int measure(batch_fn fn, long max, struct meas *m)
{
	long warm = max / 10 > 100 ? 100 : max / 10 > 0 ? max / 10 : 1;
	long lo = max / 10 > 2 ? max / 10 : 2, batch;
	uint64_t w0;
	double per;
	int r, err;

	memset(m, 0, sizeof(*m));
	err = fn(warm);	/* warm up (and page in, translate, fill caches) */
	if (err)
		return err;
	w0 = now_ns();
	err = fn(warm);
	if (err)
		return err;
	per = (double)(now_ns() - w0) * 1e-9 / warm;
	batch = (long)(RUN_TARGET_S / per);
	batch = batch < lo ? lo : batch > max ? max : batch;
	m->batch = batch;
	for (r = 0; r < opt_runs; r++) {
		double n0, n1, dt;
		uint64_t t0;

		n0 = time_null(NULL_BATCH / 2);
		t0 = now_ns();
		err = fn(batch);
		dt = (double)(now_ns() - t0);
		if (err)
			return err;
		n1 = time_null(NULL_BATCH / 2);
		m->ns[r] = dt / batch;
		m->null[r] = (n0 + n1) / 2;
		m->ratio[r] = m->ns[r] / m->null[r];
		m->runs++;
	}
	m->ns_med = median(m->ns, m->runs);
	m->ratio_med = median(m->ratio, m->runs);
	m->null_med = median(m->null, m->runs);
	return 0;
}

/* Measure and record one figure; returns the row (NAN figures if failed). */
static struct row *measure_row(const char *op, const char *fac, long n,
			       batch_fn fn, long batch, const char *note)
{
	struct meas m;
	struct row *r;
	int err;

	errbuf[0] = 0;
	err = measure(fn, batch, &m);
	if (err) {
		logf_("%-22s %-10s N=%-7s FAILED: %s", op, fac, fmt_n(n), errbuf);
		return add_row(op, fac, n, NAN, NAN, 0, "failed: %s", errbuf);
	}
	r = add_row(op, fac, n, m.ns_med, m.ratio_med, m.runs,
		    "%s%sbatch %ld; null ioctl %.0f ns", note ? note : "",
		    note && *note ? "; " : "", m.batch, m.null_med);
	logf_("%-22s %-10s N=%-7s %10.0f ns/op  x%-7.2f (null %.0f ns)", op,
	      fac, fmt_n(n), m.ns_med, m.ratio_med, m.null_med);
	return r;
}

/* ------------------------------------------------------------------------ */
/* /proc and /sys helpers */

struct meminfo {
	long memfree, memavail, slab, vmalloc, shmem;	/* kB */
	long pcp;	/* kB on the per-cpu page lists: free, but not in MemFree */
};

static int read_meminfo(struct meminfo *mi)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	memset(mi, 0, sizeof(*mi));
	while (fgets(line, sizeof(line), f)) {
		long v;

		if (sscanf(line, "MemFree: %ld", &v) == 1)
			mi->memfree = v;
		else if (sscanf(line, "MemAvailable: %ld", &v) == 1)
			mi->memavail = v;
		else if (sscanf(line, "Slab: %ld", &v) == 1)
			mi->slab = v;
		else if (sscanf(line, "VmallocUsed: %ld", &v) == 1)
			mi->vmalloc = v;
		else if (sscanf(line, "Shmem: %ld", &v) == 1)
			mi->shmem = v;
	}
	fclose(f);
	f = fopen("/proc/zoneinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long v;

			if (sscanf(line, " count: %ld", &v) == 1)
				mi->pcp += v * (KIB4 / 1024);
		}
		fclose(f);
	}
	return 0;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void read_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

/* Keys root owns now (allocated, freed ones excluded), from /proc/key-users. */
static long root_nkeys(void)
{
	char line[256];
	FILE *f = fopen("/proc/key-users", "r");
	long n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int uid;
		long usage, nkeys;

		if (sscanf(line, " %u: %ld %ld", &uid, &usage, &nkeys) == 3 &&
		    uid == 0)
			n = nkeys;
	}
	fclose(f);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------------ */
/* wms */

static struct wms_add w_add;
static struct wms_name w_name;
static struct wms_info w_info;
static struct wms_io w_io;

static void wms_setname(char *field, const char *name)
{
	memcpy(field, name, strlen(name) + 1);
}

static int wms_add_(const char *name, uint64_t size)
{
	wms_setname(w_add.name, name);
	w_add.size = size;
	w_add.flags = WMS_ADD_EXCL;
	w_add.mode = 0600;
	if (ioctl(wmsfd, WMS_IOC_ADD, &w_add))
		return fail("WMS_IOC_ADD");
	return 0;
}

static int wms_remove_(const char *name)
{
	wms_setname(w_name.name, name);
	if (ioctl(wmsfd, WMS_IOC_REMOVE, &w_name))
		return fail("WMS_IOC_REMOVE");
	return 0;
}

static int wms_write_(const char *name, const void *buf, uint64_t len)
{
	wms_setname(w_io.name, name);
	w_io.offset = 0;
	w_io.len = len;
	w_io.buf = (uintptr_t)buf;
	if (ioctl(wmsfd, WMS_IOC_WRITE, &w_io))
		return fail("WMS_IOC_WRITE");
	return 0;
}

static int wms_cd(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		const char *nm = meas_names[0][i % 2000];

		err = wms_add_(nm, KIB4);
		if (err)
			return err;
		err = wms_remove_(nm);
		if (err)
			return err;
	}
	return 0;
}

static int wms_cfd(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		const char *nm = meas_names[0][i % 2000];

		err = wms_add_(nm, KIB4);
		if (err)
			return err;
		err = wms_write_(nm, payload4k, KIB4);
		if (err) {
			/* by hand: wms_remove_() would overwrite errbuf */
			wms_setname(w_name.name, nm);
			ioctl(wmsfd, WMS_IOC_REMOVE, &w_name);
			return err;
		}
		err = wms_remove_(nm);
		if (err)
			return err;
	}
	return 0;
}

static int wms_lookup(long n)
{
	long i;

	wms_setname(w_info.name, "t");
	for (i = 0; i < n; i++)
		if (ioctl(wmsfd, WMS_IOC_INFO, &w_info))
			return fail("WMS_IOC_INFO");
	return 0;
}

static int wms_setup(void)
{
	return wms_add_("t", KIB4);
}

static int wms_cleanup(void)
{
	return wms_remove_("t");
}

static int wms_populate(long to)
{
	char nm[32] = { 0 };
	int err;

	for (; bg_have < to; bg_have++) {
		snprintf(nm, sizeof(nm), "g%07ld", bg_have);
		err = wms_add_(nm, 0);
		if (err)
			return err;
	}
	return 0;
}

static int wms_teardown(long count)
{
	char nm[32] = { 0 };
	long i;
	int err = 0;

	for (i = 0; i < count; i++) {
		snprintf(nm, sizeof(nm), "g%07ld", i);
		if (wms_remove_(nm) && !err)
			err = -errno;
	}
	return err;
}

/* ------------------------------------------------------------------------ */
/* POSIX shm (tmpfs at /dev/shm) */

static char shm_opts[256];	/* tmpfs options of /dev/shm to mount it again */
static bool shm_gone;		/* unmounted and not mounted again */

static int shm_cd_(long n, bool fill)
{
	long i;

	for (i = 0; i < n; i++) {
		const char *nm = meas_names[1][i % 2000];
		int fd = shm_open(nm, O_CREAT | O_EXCL | O_RDWR, 0600);

		if (fd < 0)
			return fail("shm_open(O_CREAT|O_EXCL)");
		if (ftruncate(fd, KIB4) ||
		    (fill && pwrite(fd, payload4k, KIB4, 0) != KIB4)) {
			int err = fail(fill ? "ftruncate/pwrite" : "ftruncate");

			close(fd);
			shm_unlink(nm);
			return err;
		}
		close(fd);
		if (shm_unlink(nm))
			return fail("shm_unlink");
	}
	return 0;
}

static int shm_cd(long n) { return shm_cd_(n, false); }
static int shm_cfd(long n) { return shm_cd_(n, true); }

static int shm_lookup(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = shm_open("/t", O_RDWR, 0);

		if (fd < 0)
			return fail("shm_open(O_RDWR)");
		close(fd);
	}
	return 0;
}

static int shm_setup(void)
{
	int fd;

	if (shm_gone) {
		errno = ENODEV;
		return fail("/dev/shm could not be mounted again");
	}
	fd = shm_open("/t", O_CREAT | O_EXCL | O_RDWR, 0600);

	if (fd < 0)
		return fail("shm_open /t");
	if (ftruncate(fd, KIB4)) {
		close(fd);
		return fail("ftruncate /t");
	}
	close(fd);
	return 0;
}

static int shm_cleanup(void)
{
	/* (gone already if the teardown mounted a fresh /dev/shm) */
	return shm_unlink("/t") && errno != ENOENT ? fail("shm_unlink /t") : 0;
}

static int shm_populate(long to)
{
	char nm[32];

	for (; bg_have < to; bg_have++) {
		int fd;

		snprintf(nm, sizeof(nm), "/g%07ld", bg_have);
		fd = shm_open(nm, O_CREAT | O_EXCL | O_RDWR, 0600);
		if (fd < 0)
			return fail("shm_open (background)");
		close(fd);
	}
	return 0;
}


/* The tmpfs options of /dev/shm worth keeping (nr_inodes, size) + mode. */
static void shm_read_opts(void)
{
	char line[512], dev[64], dir[128], type[32], opts[384];
	FILE *f = fopen("/proc/mounts", "r");

	shm_opts[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (sscanf(line, "%63s %127s %31s %383s", dev, dir, type, opts) != 4 ||
		    strcmp(dir, "/dev/shm") || strcmp(type, "tmpfs"))
			continue;
		snprintf(shm_opts, sizeof(shm_opts), "mode=1777");
		for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (!strncmp(tok, "nr_inodes=", 10) || !strncmp(tok, "size=", 5))
				snprintf(shm_opts + strlen(shm_opts),
					 sizeof(shm_opts) - strlen(shm_opts), ",%s", tok);
	}
	fclose(f);
}

/*
 * Many background files go faster with the file system than one
 * shm_unlink() each: unmount /dev/shm (nothing is open there by now) and
 * mount a fresh tmpfs with the same limits.
 */
static int shm_teardown(long count)
{
	char nm[32];
	long i;
	int err = 0;

	if (count > 1000 && shm_opts[0] && !umount2("/dev/shm", 0)) {
		if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
			  shm_opts)) {
			shm_gone = true;	/* no tmpfs there any more */
			return fail("mount tmpfs /dev/shm again");
		}
		return 0;
	}
	for (i = 0; i < count; i++) {
		snprintf(nm, sizeof(nm), "/g%07ld", i);
		if (shm_unlink(nm) && !err)
			err = fail("shm_unlink (background)");
	}
	return err;
}

/* ------------------------------------------------------------------------ */
/* SysV shm */

static int *sysv_bg;

static int sysv_cd_(long n, bool fill)
{
	long i;

	for (i = 0; i < n; i++) {
		int id = shmget(SYSV_KEY_MEAS + (int)(i % 2000), KIB4,
				IPC_CREAT | IPC_EXCL | 0600);

		if (id < 0)
			return fail("shmget(IPC_CREAT|IPC_EXCL)");
		if (fill) {
			void *p = shmat(id, NULL, 0);

			if (p == (void *)-1) {
				int err = fail("shmat");

				shmctl(id, IPC_RMID, NULL);
				return err;
			}
			memset(p, 0x5a, KIB4);
			shmdt(p);
		}
		if (shmctl(id, IPC_RMID, NULL))
			return fail("shmctl(IPC_RMID)");
	}
	return 0;
}

static int sysv_cd(long n) { return sysv_cd_(n, false); }
static int sysv_cfd(long n) { return sysv_cd_(n, true); }

static int sysv_lookup(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (shmget(SYSV_KEY_TARGET, 0, 0) < 0)
			return fail("shmget(key, 0, 0)");
	return 0;
}

static int sysv_setup(void)
{
	return shmget(SYSV_KEY_TARGET, KIB4, IPC_CREAT | IPC_EXCL | 0600) < 0 ?
		fail("shmget target") : 0;
}

static int sysv_cleanup(void)
{
	int id = shmget(SYSV_KEY_TARGET, 0, 0);

	if (id < 0 || shmctl(id, IPC_RMID, NULL))
		return fail("remove SysV target");
	return 0;
}

static int sysv_populate(long to)
{
	for (; bg_have < to; bg_have++) {
		sysv_bg[bg_have] = shmget(SYSV_KEY_BG + (int)bg_have, 1,
					  IPC_CREAT | IPC_EXCL | 0600);
		if (sysv_bg[bg_have] < 0)
			return fail("shmget (background)");
	}
	return 0;
}

static int sysv_teardown(long count)
{
	long i;
	int err = 0;

	for (i = 0; i < count; i++)
		if (shmctl(sysv_bg[i], IPC_RMID, NULL) && !err)
			err = fail("shmctl(IPC_RMID) (background)");
	return err;
}

/* ------------------------------------------------------------------------ */
/* Keyrings: "user" keys in a keyring of their own, raw syscalls */

static long sys_add_key(const char *type, const char *desc, const void *pl,
			size_t plen, int32_t ring)
{
	return syscall(SYS_add_key, type, desc, pl, plen, ring);
}

static long sys_keyctl(int cmd, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5)
{
	return syscall(SYS_keyctl, cmd, a2, a3, a4, a5);
}

static long keys_base;	/* root's keys when the keyring was empty */

static int keys_cd(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		long id = sys_add_key("user", meas_names[0][i % 2000],
				      payload4k, KIB4, keyring);

		if (id < 0)
			return fail("add_key(user, 4 KiB)");
		if (sys_keyctl(KEYCTL_UNLINK, id, keyring, 0, 0))
			return fail("keyctl(KEYCTL_UNLINK)");
	}
	return 0;
}

static int keys_lookup(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (sys_keyctl(KEYCTL_SEARCH, keyring, (unsigned long)"user",
			       (unsigned long)"t", 0) < 0)
			return fail("keyctl(KEYCTL_SEARCH)");
	return 0;
}

static int keys_setup(void)
{
	return sys_add_key("user", "t", payload4k, KIB4, keyring) < 0 ?
		fail("add_key target") : 0;
}

static int keys_cleanup(void)
{
	return sys_keyctl(KEYCTL_CLEAR, keyring, 0, 0, 0) ?
		fail("keyctl(KEYCTL_CLEAR)") : 0;
}

static int keys_populate(long to)
{
	char nm[32];

	for (; bg_have < to; bg_have++) {
		snprintf(nm, sizeof(nm), "g%07ld", bg_have);
		if (sys_add_key("user", nm, "x", 1, keyring) < 0)
			return fail("add_key (background)");
	}
	return 0;
}

static int keys_teardown(long count)
{
	(void)count;
	return sys_keyctl(KEYCTL_CLEAR, keyring, 0, 0, 0) ?
		fail("keyctl(KEYCTL_CLEAR)") : 0;
}

/*
 * Unlinked keys are freed by the key garbage collector, a work item: wait
 * until root's key count is back to @want so it does not run under the next
 * measurement.
 */
static void keys_wait_gc(long want, double max_s)
{
	double t0 = now_s();
	long n;

	while ((n = root_nkeys()) > want && now_s() - t0 < max_s)
		sleep_ms(20);
	if (n > want)
		logf_("note: key GC still has %ld keys to free after %.0f s",
		      n - want, max_s);
}

/* ------------------------------------------------------------------------ */
/* memfd: the unnamed floor */

static int *memfd_bg;

static int memfd_cd_(long n, bool fill)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = memfd_create("m", 0);

		if (fd < 0)
			return fail("memfd_create");
		if (ftruncate(fd, KIB4) ||
		    (fill && pwrite(fd, payload4k, KIB4, 0) != KIB4)) {
			int err = fail(fill ? "ftruncate/pwrite" : "ftruncate");

			close(fd);
			return err;
		}
		close(fd);
	}
	return 0;
}

static int memfd_cd(long n) { return memfd_cd_(n, false); }
static int memfd_cfd(long n) { return memfd_cd_(n, true); }
static int nop_setup(void) { return 0; }

static int memfd_populate(long to)
{
	for (; bg_have < to; bg_have++) {
		memfd_bg[bg_have] = memfd_create("g", 0);
		if (memfd_bg[bg_have] < 0)
			return fail("memfd_create (background)");
	}
	return 0;
}

/* close_range() over each run of consecutive descriptors. */
static int memfd_teardown(long count)
{
	long i, j;

	for (i = 0; i < count; i = j) {
		for (j = i + 1; j < count && memfd_bg[j] == memfd_bg[j - 1] + 1; j++)
			;
		if (syscall(SYS_close_range, memfd_bg[i], memfd_bg[j - 1], 0))
			for (long k = i; k < j; k++)
				close(memfd_bg[k]);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The facilities */

struct facility {
	const char *name;
	bool named;
	int (*setup)(void);
	int (*cleanup)(void);
	batch_fn cd, cfd, lookup;
	int (*populate)(long to);	/* make background objects bg_have .. to-1 */
	int (*teardown)(long count);
	const char *note_cd, *note_cfd, *note_lookup, *note_bg;
	/* learnt during the sweep */
	double pop_ns, td_ns, meas_s, bg_bytes;
	long limit;		/* most background objects a hard limit allows */
	char limit_why[200];
};

#define FAC(n, nm, fx, l, c1, c2, c3, c4)					\
	{ .name = n, .named = nm, .setup = fx##_setup, .cleanup = fx##_cleanup,	\
	  .cd = fx##_cd, .cfd = fx##_cfd, .lookup = l,				\
	  .populate = fx##_populate, .teardown = fx##_teardown,		\
	  .note_cd = c1, .note_cfd = c2, .note_lookup = c3, .note_bg = c4 }

#define keys_cfd keys_cd
#define memfd_setup nop_setup
#define memfd_cleanup nop_setup

static struct facility facs[] = {
	FAC("wms", true, wms, wms_lookup,
	    "ADD(EXCL, 4 KiB)+REMOVE",
	    "ADD(EXCL, 4 KiB)+WRITE(4 KiB)+REMOVE",
	    "INFO by name",
	    "background: size-0 entries"),
	FAC("posix_shm", true, shm, shm_lookup,
	    "shm_open(O_CREAT|O_EXCL)+ftruncate(4 KiB)+close+shm_unlink",
	    "shm_open(O_CREAT|O_EXCL)+ftruncate+pwrite(4 KiB)+close+shm_unlink",
	    "shm_open(O_RDWR)+close",
	    "background: empty files in /dev/shm"),
	FAC("sysv_shm", true, sysv, sysv_lookup,
	    "shmget(IPC_CREAT|IPC_EXCL, 4 KiB)+shmctl(IPC_RMID)",
	    "shmget(IPC_CREAT|IPC_EXCL, 4 KiB)+shmat+memset(4 KiB)+shmdt+shmctl(IPC_RMID)",
	    "shmget(key, 0, 0)",
	    "background: 1-byte segments (SHMMIN)"),
	FAC("keyring", true, keys, keys_lookup,
	    "add_key(user, 4 KiB payload)+KEYCTL_UNLINK; the key is freed later by the key GC",
	    "same call as create_destroy: add_key copies the 4 KiB payload in; freed later by the key GC",
	    "KEYCTL_SEARCH(user, name)",
	    "background: user keys with a 1-byte payload (0 is refused)"),
	FAC("memfd", false, memfd, NULL,
	    "memfd_create+ftruncate(4 KiB)+close (unnamed floor)",
	    "memfd_create+ftruncate+pwrite(4 KiB)+close (unnamed floor)",
	    NULL,
	    "background: open size-0 memfds"),
};
#define NFACS ((int)(sizeof(facs) / sizeof(facs[0])))

static const char *ops3[] = { "create_destroy", "create_fill_destroy", "lookup" };

/* Wait for the key GC: @bg background keys and the lookup target remain. */
static void fac_settle(struct facility *f, long bg)
{
	if (!strcmp(f->name, "keyring"))
		keys_wait_gc(keys_base + bg + 1, 60);
}

/* Hard limits of each facility on the number of background objects. */
static void find_limits(void)
{
	struct statvfs sv;
	struct rlimit rl;
	long v, slack = opt_batch + 16;
	int i;

	for (i = 0; i < NFACS; i++)
		facs[i].limit = LONG_MAX;
	v = read_long("/sys/module/wms/parameters/max_entries");
	if (v >= 0) {
		facs[0].limit = v - slack;
		snprintf(facs[0].limit_why, 200, "wms max_entries = %ld", v);
	}
	if (!statvfs("/dev/shm", &sv) && sv.f_files) {
		facs[1].limit = (long)sv.f_ffree - slack;
		snprintf(facs[1].limit_why, 200,
			 "tmpfs /dev/shm has %lu free inodes (nr_inodes)",
			 (unsigned long)sv.f_ffree);
	}
	v = read_long("/proc/sys/kernel/shmmni");
	if (v >= 0) {
		char cmd[1024];

		read_str("/proc/cmdline", cmd, sizeof(cmd));
		facs[2].limit = v - slack;
		snprintf(facs[2].limit_why, 200,
			 "kernel.shmmni = %ld%s", v,
			 strstr(cmd, "ipcmni_extend") ? "" :
			 " (no ipcmni_extend on the command line: at most 32768)");
	}
	v = read_long("/proc/sys/kernel/keys/root_maxkeys");
	if (v >= 0) {
		long b = read_long("/proc/sys/kernel/keys/root_maxbytes");
		/* Unlinked keys count until the GC frees them: keep a batch free. */
		long byb = (b - (long)(opt_batch + 8) * (KIB4 + 8)) / 16;

		facs[3].limit = (v - slack) < byb ? v - slack : byb;
		snprintf(facs[3].limit_why, 200,
			 "kernel.keys.root_maxkeys = %ld, root_maxbytes = %ld",
			 v, b);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		facs[4].limit = (long)rl.rlim_cur - 64;
		snprintf(facs[4].limit_why, 200, "RLIMIT_NOFILE = %lu",
			 (unsigned long)rl.rlim_cur);
	}
}

/* ------------------------------------------------------------------------ */
/* The N sweep */

static void skip_level(struct facility *f, long n, const char *why)
{
	int k;

	logf_("%-10s N=%-7s skipped: %s", f->name, fmt_n(n), why);
	for (k = 0; k < 3; k++) {
		if (k == 2 && !f->lookup)
			continue;
		add_row(ops3[k], f->name, n, NAN, NAN, 0, "skipped: %s", why);
	}
}

static int grow_to(struct facility *f, long n, double deadline, char *why,
		   size_t whylen)
{
	struct meminfo m0, m1;
	double t0 = now_s();
	long from = bg_have;
	int err;

	read_meminfo(&m0);
	while (bg_have < n) {
		long to = bg_have + CHUNK < n ? bg_have + CHUNK : n;

		if (now_s() > deadline) {
			snprintf(why, whylen,
				 "time budget: populating stopped at %ld of %ld objects "
				 "(%.0f us per object)", bg_have, n,
				 (now_s() - t0) * 1e6 / (bg_have - from + 1));
			return -ETIME;
		}
		err = f->populate(to);
		if (err) {
			snprintf(why, whylen, "populating failed at %ld: %s",
				 bg_have, errbuf);
			return err;
		}
	}
	read_meminfo(&m1);
	if (n > from) {
		double dt = now_s() - t0;

		f->pop_ns = dt * 1e9 / (n - from);
		f->bg_bytes = (double)(m0.memfree + m0.pcp - m1.memfree - m1.pcp) *
			      1024 / (n - from);
		add_row("populate", f->name, n, f->pop_ns, NAN, 1,
			"%s; %ld made in %.1f s, free memory -%.0f B per object; one run",
			f->note_bg, n - from, dt, f->bg_bytes);
		logf_("%-10s populated to N=%s: %.0f ns per object, %.0f B each",
		      f->name, fmt_n(n), f->pop_ns, f->bg_bytes);
	}
	return 0;
}

static void teardown_all(struct facility *f)
{
	double t0 = now_s();
	long had = bg_have;

	if (had) {
		bool keys = !strcmp(f->name, "keyring");

		if (f->teardown(had))
			logf_("%s teardown: %s", f->name, errbuf);
		/* KEYCTL_CLEAR is one call; the key GC does the work after it. */
		if (keys)
			keys_wait_gc(keys_base, remaining() > 30 ? remaining() : 30);
		f->td_ns = (now_s() - t0) * 1e9 / had;
		add_row("teardown", f->name, had, f->td_ns, NAN, 1,
			"removing the background objects, per object%s; one run",
			keys ? " (KEYCTL_CLEAR, then waiting for the key GC to free them)" : "");
		logf_("%-10s removed %ld background objects: %.0f ns each",
		      f->name, had, f->td_ns);
	}
	bg_have = 0;
}

static void measure_level(struct facility *f, long n)
{
	double t0 = now_s();

	measure_row("create_destroy", f->name, n, f->cd, opt_batch, f->note_cd);
	fac_settle(f, n);
	measure_row("create_fill_destroy", f->name, n, f->cfd, opt_batch,
		    f->note_cfd);
	fac_settle(f, n);
	if (f->lookup)
		measure_row("lookup", f->name, n, f->lookup, opt_batch,
			    f->note_lookup);
	f->meas_s = now_s() - t0;
}

/*
 * Measure @f at each level in [lo, hi] of levels[]: grow the background to
 * each level, measure, and tear it down at the end.
 */
/* Predicted seconds to grow @f from @from to @n objects and measure there. */
static double predict_grow(const struct facility *f, long from, long n)
{
	return (n - from) * (f->pop_ns > 0 ? f->pop_ns : 100e3) * 1e-9 +
	       1.5 * (f->meas_s > 0 ? f->meas_s : 10);	/* +50% for a larger N */
}

/* Predicted seconds to remove @n background objects of @f. */
static double predict_teardown(const struct facility *f, long n)
{
	return n * (f->td_ns > 0 ? f->td_ns : f->pop_ns > 0 ? f->pop_ns : 100e3) *
	       1e-9;
}

/*
 * Measure @f at each level in [lo, hi] of levels[]: grow the background to
 * each level and measure. The prediction counts removing the objects again
 * unless @no_teardown. Returns false if @f could not even be set up (there
 * is then nothing to end with sweep_end()).
 */
static bool sweep_levels(struct facility *f, int lo, int hi, double reserve,
			 bool no_teardown)
{
	char why[300];
	int l, err;

	bg_have = 0;
	err = f->setup();
	if (err) {
		for (l = lo; l <= hi; l++) {
			snprintf(why, sizeof(why), "setup failed: %s", errbuf);
			skip_level(f, levels[l], why);
		}
		return false;
	}
	fac_settle(f, 0);
	for (l = lo; l <= hi; l++) {
		long n = levels[l];
		double pred;

		if (n > f->limit) {
			snprintf(why, sizeof(why), "hard limit: %s allows about %ld",
				 f->limit_why, f->limit);
			skip_level(f, n, why);
			continue;
		}
		pred = predict_grow(f, bg_have, n) +
		       (no_teardown ? 0 : predict_teardown(f, n));
		if (pred > remaining() - reserve) {
			snprintf(why, sizeof(why),
				 "time budget: predicted %.0f s (populate + measure%s) "
				 "> %.0f s left of the %.0f s budget",
				 pred, no_teardown ? "" : " + teardown",
				 remaining() - reserve, opt_budget);
			skip_level(f, n, why);
			continue;
		}
		err = grow_to(f, n, t_start + opt_budget - reserve, why,
			      sizeof(why));
		if (err) {
			skip_level(f, n, why);
			for (l++; l <= hi; l++)
				skip_level(f, levels[l], "a smaller N could not be populated");
			break;
		}
		fac_settle(f, n);
		measure_level(f, n);
	}
	return true;
}

/* Remove the background objects and the lookup target of @f. */
static void sweep_end(struct facility *f)
{
	teardown_all(f);
	if (f->cleanup())
		logf_("%s cleanup: %s", f->name, errbuf);
	if (!strcmp(f->name, "keyring"))
		keys_wait_gc(keys_base, 30);
}

static void sweep(struct facility *f, int lo, int hi, double reserve)
{
	if (sweep_levels(f, lo, hi, reserve, false))
		sweep_end(f);
}

/* ------------------------------------------------------------------------ */
/* Memory per entry */

static int mem_create(int fac, long i)
{
	char nm[32];
	int fd, id, err;
	void *p;

	switch (fac) {
	case 0:
		snprintf(nm, sizeof(nm), "k%07ld", i);
		err = wms_add_(nm, KIB4);
		return err ? err : wms_write_(nm, payload4k, KIB4);
	case 1:
		snprintf(nm, sizeof(nm), "/k%07ld", i);
		fd = shm_open(nm, O_CREAT | O_EXCL | O_RDWR, 0600);
		if (fd < 0)
			return fail("shm_open");
		if (ftruncate(fd, KIB4) || pwrite(fd, payload4k, KIB4, 0) != KIB4) {
			err = fail("ftruncate/pwrite");
			close(fd);
			return err;
		}
		close(fd);
		return 0;
	default:
		id = shmget(SYSV_KEY_BG + (int)i, KIB4, IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0)
			return fail("shmget");
		sysv_bg[i] = id;
		p = shmat(id, NULL, 0);
		if (p == (void *)-1)
			return fail("shmat");
		memset(p, 0x5a, KIB4);
		shmdt(p);
		return 0;
	}
}

static void mem_destroy(int fac, long i)
{
	char nm[32];

	switch (fac) {
	case 0:
		snprintf(nm, sizeof(nm), "k%07ld", i);
		wms_remove_(nm);
		break;
	case 1:
		snprintf(nm, sizeof(nm), "/k%07ld", i);
		shm_unlink(nm);
		break;
	default:
		shmctl(sysv_bg[i], IPC_RMID, NULL);
		break;
	}
}

static void bench_memory(void)
{
	static const char *names[] = { "wms", "posix_shm", "sysv_shm" };
	int fac, r;

	for (fac = 0; fac < 3; fac++) {
		double sv[MAX_RUNS], svs[MAX_RUNS], mf[MAX_RUNS], mfr[MAX_RUNS];
		int runs = 0;
		long i;

		for (r = 0; r < opt_runs; r++) {
			struct meminfo a, b;
			int err = 0;

			sleep_ms(400);	/* let RCU and deferred frees finish */
			read_meminfo(&a);
			for (i = 0; i < MEM_ENTRIES && !err; i++)
				err = mem_create(fac, i);
			read_meminfo(&b);
			if (err) {
				logf_("memory %s: %s", names[fac], errbuf);
				for (long j = 0; j < i; j++)
					mem_destroy(fac, j);
				break;
			}
			for (i = 0; i < MEM_ENTRIES; i++)
				mem_destroy(fac, i);
			sv[runs] = ((b.slab + b.vmalloc - a.slab - a.vmalloc) *
				    1024.0 - MEM_ENTRIES * (double)KIB4) /
				   MEM_ENTRIES;
			svs[runs] = ((b.slab + b.vmalloc + b.shmem - a.slab -
				      a.vmalloc - a.shmem) * 1024.0 -
				     MEM_ENTRIES * (double)KIB4) / MEM_ENTRIES;
			mf[runs] = ((a.memfree + a.pcp - b.memfree - b.pcp) * 1024.0 -
				    MEM_ENTRIES * (double)KIB4) / MEM_ENTRIES;
			mfr[runs] = ((a.memfree - b.memfree) * 1024.0 -
				     MEM_ENTRIES * (double)KIB4) / MEM_ENTRIES;
			runs++;
		}
		if (!runs) {
			add_row("mem_slab_vmalloc_B", names[fac], MEM_ENTRIES, NAN,
				NAN, 0, "failed: %s", errbuf);
			continue;
		}
		add_row("mem_slab_vmalloc_B", names[fac], MEM_ENTRIES,
			median(sv, runs), NAN, runs,
			"bytes per 4 KiB object, not ns: (delta(Slab+VmallocUsed) - N*4096)/N; "
			"tmpfs data is in Shmem and page-allocator pages are in neither, "
			"so a figure near -4096 means the data is elsewhere");
		add_row("mem_slab_vmalloc_shmem_B", names[fac], MEM_ENTRIES,
			median(svs, runs), NAN, runs,
			"bytes per 4 KiB object, not ns: (delta(Slab+VmallocUsed+Shmem) - N*4096)/N");
		add_row("mem_memfree_B", names[fac], MEM_ENTRIES,
			median(mf, runs), NAN, runs,
			"bytes per 4 KiB object, not ns: (drop of MemFree + the per-cpu "
			"page lists of /proc/zoneinfo - N*4096)/N; MemFree alone: %.0f B",
			median(mfr, runs));
		logf_("memory %-10s per 4 KiB object beyond its data: slab+vmalloc %.0f B, "
		      "+shmem %.0f B, MemFree %.0f B", names[fac], median(sv, runs),
		      median(svs, runs), median(mf, runs));
	}
}

/* ------------------------------------------------------------------------ */
/* 1 MiB copies */

static char *src1m, *dst1m, *wmsmap;
static int tmpfs1m = -1;

static int rw_wms(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		err = wms_write_("big", src1m, MIB1);
		if (err)
			return err;
		wms_setname(w_io.name, "big");
		w_io.offset = 0;
		w_io.len = MIB1;
		w_io.buf = (uintptr_t)dst1m;
		if (ioctl(wmsfd, WMS_IOC_READ, &w_io) || w_io.len != MIB1)
			return fail("WMS_IOC_READ");
	}
	return 0;
}

static int rw_tmpfs(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		if (pwrite(tmpfs1m, src1m, MIB1, 0) != MIB1)
			return fail("pwrite 1 MiB");
		if (pread(tmpfs1m, dst1m, MIB1, 0) != MIB1)
			return fail("pread 1 MiB");
	}
	return 0;
}

static int w_1m(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		err = wms_write_("big", src1m, MIB1);
		if (err)
			return err;
	}
	return 0;
}

static int r_1m(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		wms_setname(w_io.name, "big");
		w_io.offset = 0;
		w_io.len = MIB1;
		w_io.buf = (uintptr_t)dst1m;
		if (ioctl(wmsfd, WMS_IOC_READ, &w_io) || w_io.len != MIB1)
			return fail("WMS_IOC_READ");
	}
	return 0;
}

static int pw_1m(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (pwrite(tmpfs1m, src1m, MIB1, 0) != MIB1)
			return fail("pwrite 1 MiB");
	return 0;
}

static int pr_1m(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (pread(tmpfs1m, dst1m, MIB1, 0) != MIB1)
			return fail("pread 1 MiB");
	return 0;
}

static int cp_wmsmap(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		memcpy(wmsmap, src1m, MIB1);
		__asm__ __volatile__("" : : "r"(wmsmap) : "memory");
	}
	return 0;
}

static int cp_malloc(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		memcpy(dst1m, src1m, MIB1);
		__asm__ __volatile__("" : : "r"(dst1m) : "memory");
	}
	return 0;
}

/* Operations per run so that a run takes about @target_s, within [lo, hi]. */
static long calibrate(batch_fn fn, double target_s, long lo, long hi)
{
	uint64_t t0 = now_ns();
	double per;
	long b;

	if (fn(lo))
		return lo;
	per = (double)(now_ns() - t0) * 1e-9 / lo;
	b = (long)(target_s / per);
	return b < lo ? lo : b > hi ? hi : b;
}

static void bench_big(void)
{
	int afd;
	long b;

	src1m = aligned_alloc(4096, MIB1);
	dst1m = aligned_alloc(4096, MIB1);
	if (!src1m || !dst1m) {
		add_row("rw_1MiB", "wms", 0, NAN, NAN, 0, "failed: out of memory");
		return;
	}
	memset(src1m, 0x3c, MIB1);
	memset(dst1m, 0, MIB1);

	if (wms_add_("big", MIB1)) {
		add_row("rw_1MiB", "wms", 0, NAN, NAN, 0, "failed: %s", errbuf);
	} else {
		b = calibrate(rw_wms, RUN_TARGET_S, 2, 2000);
		measure_row("rw_1MiB", "wms", 0, rw_wms, b,
			    "WRITE(1 MiB)+READ(1 MiB) of a 1 MiB entry");
		b = calibrate(w_1m, RUN_TARGET_S, 2, 2000);
		measure_row("bd_write_1MiB", "wms", 0, w_1m, b,
			    "WRITE(1 MiB) alone (user pages pinned, one copy)");
		b = calibrate(r_1m, RUN_TARGET_S, 2, 2000);
		measure_row("bd_read_1MiB", "wms", 0, r_1m, b,
			    "READ(1 MiB) alone (one copy_to_user)");
	}
	tmpfs1m = shm_open("/big", O_CREAT | O_RDWR, 0600);
	if (tmpfs1m < 0 || ftruncate(tmpfs1m, MIB1) ||
	    pwrite(tmpfs1m, src1m, MIB1, 0) != MIB1) {
		fail("shm_open/ftruncate/pwrite /dev/shm/big");
		add_row("rw_1MiB", "posix_shm", 0, NAN, NAN, 0, "failed: %s", errbuf);
	} else {
		b = calibrate(rw_tmpfs, RUN_TARGET_S, 2, 2000);
		measure_row("rw_1MiB", "posix_shm", 0, rw_tmpfs, b,
			    "pwrite(1 MiB)+pread(1 MiB) of a 1 MiB file in /dev/shm");
		b = calibrate(pw_1m, RUN_TARGET_S, 2, 2000);
		measure_row("bd_write_1MiB", "posix_shm", 0, pw_1m, b,
			    "pwrite(1 MiB) alone");
		b = calibrate(pr_1m, RUN_TARGET_S, 2, 2000);
		measure_row("bd_read_1MiB", "posix_shm", 0, pr_1m, b,
			    "pread(1 MiB) alone");
	}

	afd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	wms_setname(w_name.name, "big");
	if (afd < 0 || ioctl(afd, WMS_IOC_ATTACH, &w_name) ||
	    (wmsmap = mmap(NULL, MIB1, PROT_READ | PROT_WRITE, MAP_SHARED, afd,
			   0)) == MAP_FAILED) {
		fail("open/ATTACH/mmap of the 1 MiB entry");
		wmsmap = NULL;
		add_row("mmap_memcpy_1MiB", "wms", 0, NAN, NAN, 0, "failed: %s",
			errbuf);
	} else {
		b = calibrate(cp_wmsmap, RUN_TARGET_S, 2, 5000);
		measure_row("mmap_memcpy_1MiB", "wms", 0, cp_wmsmap, b,
			    "memcpy of 1 MiB into a MAP_SHARED mapping of an entry");
	}
	b = calibrate(cp_malloc, RUN_TARGET_S, 2, 5000);
	measure_row("mmap_memcpy_1MiB", "malloc", 0, cp_malloc, b,
		    "memcpy of 1 MiB into malloc'ed (pre-faulted) memory");

	if (wmsmap)
		munmap(wmsmap, MIB1);
	if (afd >= 0)
		close(afd);
	wms_remove_("big");
	if (tmpfs1m >= 0)
		close(tmpfs1m);
	shm_unlink("/big");
	free(src1m);
	free(dst1m);
}

/* ------------------------------------------------------------------------ */
/* Breakdown of a wms call (N = 0) */

static int bd_enotty(long n)
{
	long i;

	for (i = 0; i < n; i++)
		ioctl(wmsfd, NULL_CMD, 0);
	return 0;
}

static int bd_info_einval(long n)
{
	struct wms_info bad;
	long i;

	memset(&bad, 0, sizeof(bad));
	strcpy(bad.name, "t");
	bad.reserved[0] = 1;
	for (i = 0; i < n; i++)
		if (ioctl(wmsfd, WMS_IOC_INFO, &bad) != -1 || errno != EINVAL)
			return fail("INFO with a reserved field set: not EINVAL");
	return 0;
}

static int bd_info_enoent(long n)
{
	struct wms_info miss;
	long i;

	memset(&miss, 0, sizeof(miss));
	strcpy(miss.name, "absent");
	for (i = 0; i < n; i++)
		if (ioctl(wmsfd, WMS_IOC_INFO, &miss) != -1 || errno != ENOENT)
			return fail("INFO of an absent name: not ENOENT");
	return 0;
}

static int bd_add0_remove(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		const char *nm = meas_names[0][i % 2000];

		err = wms_add_(nm, 0);
		if (!err)
			err = wms_remove_(nm);
		if (err)
			return err;
	}
	return 0;
}

static int bd_add_eexist(long n)
{
	struct wms_add add;
	long i;

	memset(&add, 0, sizeof(add));
	strcpy(add.name, "t");
	for (i = 0; i < n; i++) {
		add.size = KIB4;
		add.flags = WMS_ADD_EXCL;
		if (ioctl(wmsfd, WMS_IOC_ADD, &add) != -1 || errno != EEXIST)
			return fail("ADD(EXCL) of an existing name: not EEXIST");
	}
	return 0;
}

static int bd_write4k(long n)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		err = wms_write_("t", payload4k, KIB4);
		if (err)
			return err;
	}
	return 0;
}

static int bd_read4k(long n)
{
	static char buf[KIB4];
	long i;

	for (i = 0; i < n; i++) {
		wms_setname(w_io.name, "t");
		w_io.offset = 0;
		w_io.len = KIB4;
		w_io.buf = (uintptr_t)buf;
		if (ioctl(wmsfd, WMS_IOC_READ, &w_io))
			return fail("WMS_IOC_READ");
	}
	return 0;
}

static int bd_shm_write4k(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (pwrite(tmpfs1m, payload4k, KIB4, 0) != KIB4)
			return fail("pwrite 4 KiB");
	return 0;
}

/* ADDs, then REMOVEs, each timed alone. */
static void bd_add_then_remove(void)
{
	double a[MAX_RUNS], rm[MAX_RUNS], ra[MAX_RUNS], rr[MAX_RUNS];
	long i, b = opt_batch;
	int r, err = 0;

	for (r = 0; r < opt_runs && !err; r++) {
		double n0, n1;
		uint64_t t0, t1, t2;

		n0 = time_null(NULL_BATCH / 2);
		t0 = now_ns();
		for (i = 0; i < b && !err; i++)
			err = wms_add_(meas_names[0][i], KIB4);
		t1 = now_ns();
		for (i = 0; i < b; i++)
			if (wms_remove_(meas_names[0][i]) && !err)
				err = -errno;
		t2 = now_ns();
		n1 = time_null(NULL_BATCH / 2);
		a[r] = (double)(t1 - t0) / b;
		rm[r] = (double)(t2 - t1) / b;
		ra[r] = a[r] / ((n0 + n1) / 2);
		rr[r] = rm[r] / ((n0 + n1) / 2);
	}
	if (err) {
		add_row("bd_add_4k_only", "wms", 0, NAN, NAN, 0, "failed: %s", errbuf);
		return;
	}
	add_row("bd_add_4k_only", "wms", 0, median(a, r), median(ra, r), r,
		"ADD(EXCL, 4 KiB) alone (a batch of ADDs, then the REMOVEs)");
	add_row("bd_remove_4k_only", "wms", 0, median(rm, r), median(rr, r), r,
		"REMOVE of a 4 KiB entry alone");
	logf_("%-22s %-10s        %10.0f ns/op  x%.2f", "bd_add_4k_only", "wms",
	      median(a, r), median(ra, r));
	logf_("%-22s %-10s        %10.0f ns/op  x%.2f", "bd_remove_4k_only", "wms",
	      median(rm, r), median(rr, r));
}

static void bench_breakdown(void)
{
	if (wms_setup()) {
		add_row("bd_info_hit", "wms", 0, NAN, NAN, 0, "failed: %s", errbuf);
		return;
	}
	measure_row("bd_ioctl_enotty", "wms", 0, bd_enotty, opt_batch * 5,
		    "unknown command on /dev/wms: VFS + the driver's switch");
	measure_row("bd_info_einval", "wms", 0, bd_info_einval, opt_batch * 5,
		    "INFO with a reserved field set: + copy-in (name to its NUL, then the fields)");
	measure_row("bd_info_enoent", "wms", 0, bd_info_enoent, opt_batch * 5,
		    "INFO of an absent name: + name check + hash lookup (miss)");
	measure_row("bd_info_hit", "wms", 0, wms_lookup, opt_batch * 5,
		    "INFO of an existing name: + reference + copy-out");
	measure_row("bd_add_eexist", "wms", 0, bd_add_eexist, opt_batch * 5,
		    "ADD(EXCL) of an existing name: copy-in + mutex + lookup, EEXIST");
	measure_row("bd_add0_remove", "wms", 0, bd_add0_remove, opt_batch,
		    "ADD(EXCL, size 0)+REMOVE: no data allocation");
	measure_row("bd_add4k_remove", "wms", 0, wms_cd, opt_batch,
		    "ADD(EXCL, 4 KiB)+REMOVE: + the data page (allocated zeroed, freed)");
	bd_add_then_remove();
	measure_row("bd_write_4k", "wms", 0, bd_write4k, opt_batch,
		    "WRITE(4 KiB) to an existing entry (user page pinned, one copy)");
	measure_row("bd_read_4k", "wms", 0, bd_read4k, opt_batch,
		    "READ(4 KiB) of an existing entry");
	tmpfs1m = shm_open("/bd", O_CREAT | O_RDWR, 0600);
	if (tmpfs1m >= 0 && !ftruncate(tmpfs1m, KIB4)) {
		measure_row("bd_write_4k", "posix_shm", 0, bd_shm_write4k, opt_batch,
			    "pwrite(4 KiB) to an existing /dev/shm file");
	}
	if (tmpfs1m >= 0)
		close(tmpfs1m);
	tmpfs1m = -1;
	shm_unlink("/bd");
	wms_cleanup();
}

/* ------------------------------------------------------------------------ */
/* 1 vs 2 threads of INFO lookups */

struct thr {
	pthread_t tid;
	int cpu, fd;
	const char *name;
	bool null;
	pthread_barrier_t *bar;
	uint64_t t_end;
	int err;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct wms_info info;
	cpu_set_t set;
	long i;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	memset(&info, 0, sizeof(info));
	wms_setname(info.name, t->name);
	pthread_barrier_wait(t->bar);
	for (i = 0; i < THREAD_OPS; i++) {
		if (t->null) {
			ioctl(t->fd, NULL_CMD, 0);
		} else if (ioctl(t->fd, WMS_IOC_INFO, &info)) {
			t->err = errno;
			break;
		}
	}
	t->t_end = now_ns();
	return NULL;
}

/* Wall time of @nthr threads doing THREAD_OPS each; ns per op overall. */
static double thr_run(int nthr, bool null, bool same)
{
	static const char *names[2] = { "t", "t2" };
	pthread_barrier_t bar;
	struct thr t[2];
	uint64_t t0, end = 0;
	int i, err = 0;

	pthread_barrier_init(&bar, NULL, nthr + 1);
	for (i = 0; i < nthr; i++) {
		t[i].cpu = i;
		t[i].null = null;
		t[i].name = names[same ? 0 : i];
		t[i].bar = &bar;
		t[i].err = 0;
		t[i].fd = open(null ? "/dev/null" : WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		pthread_create(&t[i].tid, NULL, thr_main, &t[i]);
	}
	pthread_barrier_wait(&bar);
	t0 = now_ns();
	for (i = 0; i < nthr; i++) {
		pthread_join(t[i].tid, NULL);
		if (t[i].t_end > end)
			end = t[i].t_end;
		if (t[i].err)
			err = t[i].err;
		close(t[i].fd);
	}
	pthread_barrier_destroy(&bar);
	if (err) {
		errno = err;
		fail("INFO in a thread");
		return NAN;
	}
	return (double)(end - t0) / (THREAD_OPS * nthr);
}

static void bench_threads(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	static const struct {
		const char *fac;
		bool null, same;
		const char *what;
	} cases[] = {
		{ "wms", false, false, "INFO, each thread its own /dev/wms fd and entry" },
		{ "wms_same", false, true, "INFO, each thread its own fd, both the same entry" },
		{ "null", true, false, "null ioctl on /dev/null, each thread its own fd (platform control)" },
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	double one[NCASES][MAX_RUNS], two[NCASES][MAX_RUNS], sc[NCASES][MAX_RUNS],
	       r1[NCASES][MAX_RUNS], r2[NCASES][MAX_RUNS];
	int runs[NCASES] = { 0 }, c, r;

	if (ncpu < 2) {
		add_row("threads_2_over_1", "wms", 0, NAN, NAN, 0,
			"skipped: %ld CPU online (run the VM with -smp 2)", ncpu);
		return;
	}
	if (wms_setup() || wms_add_("t2", KIB4)) {
		add_row("threads_2_over_1", "wms", 0, NAN, NAN, 0, "failed: %s", errbuf);
		return;
	}
	for (c = 0; c < NCASES; c++)
		thr_run(1, cases[c].null, cases[c].same);	/* warm up */
	/*
	 * The cases take turns within each run, so that all three meet the
	 * same moments of the host (TCG's two-vCPU throughput drifts).
	 */
	for (r = 0; r < opt_runs; r++) {
		for (c = 0; c < NCASES; c++) {
			double n0 = time_null(NULL_BATCH / 2);
			double a = thr_run(1, cases[c].null, cases[c].same);
			double b = thr_run(2, cases[c].null, cases[c].same);
			double n1 = time_null(NULL_BATCH / 2);

			int i = runs[c];

			if (isnan(a) || isnan(b))
				continue;
			one[c][i] = a;
			two[c][i] = b;
			sc[c][i] = a / b;	/* throughput(2) / throughput(1) */
			r1[c][i] = a / ((n0 + n1) / 2);
			r2[c][i] = b / ((n0 + n1) / 2);
			runs[c]++;
		}
	}
	for (c = 0; c < NCASES; c++) {
		int n = runs[c];

		if (!n) {
			add_row("threads_2_over_1", cases[c].fac, 0, NAN, NAN, 0,
				"failed: %s", errbuf);
			continue;
		}
		add_row("threads_1", cases[c].fac, 0, median(one[c], n),
			median(r1[c], n), n, "%s; 1 thread, %ld ops", cases[c].what,
			THREAD_OPS);
		add_row("threads_2", cases[c].fac, 0, median(two[c], n),
			median(r2[c], n), n,
			"%s; 2 threads on 2 CPUs, wall time / all ops", cases[c].what);
		add_row("threads_2_over_1", cases[c].fac, 0, NAN, median(sc[c], n),
			n, "ratio column = throughput(2 threads)/throughput(1 thread); %s; the three cases take turns in each run",
			cases[c].what);
		logf_("threads %-9s 1: %.0f ns/op  2: %.0f ns/op  scaling x%.2f",
		      cases[c].fac, median(one[c], n), median(two[c], n),
		      median(sc[c], n));
	}
	wms_remove_("t2");
	wms_cleanup();
}

/* ------------------------------------------------------------------------ */
/* Report */

static void print_cell(FILE *f, const struct row *r, bool md)
{
	char buf[64];

	if (!r)
		snprintf(buf, sizeof(buf), "-");
	else if (isnan(r->ns))
		snprintf(buf, sizeof(buf), "%s", r->runs ? "?" :
			 !strncmp(r->notes, "skipped", 7) ? "skipped" : "failed");
	else
		snprintf(buf, sizeof(buf), "%.0f (x%.1f)", r->ns, r->ratio);
	if (md)
		fprintf(f, " %s |", buf);
	else
		fprintf(f, " %18s", buf);
}

static void print_tables(FILE *f, bool md)
{
	int k, l, i;

	if (md)
		fprintf(f, "\n## ns per operation (ratio to a null ioctl), median of %d runs\n\n",
			opt_runs);
	else
		fprintf(f, "\n=== %s: ns per operation (ratio to a null ioctl), median of %d runs ===\n",
			kver, opt_runs);
	for (k = 0; k < 3; k++) {
		if (md) {
			fprintf(f, "### %s\n\n| N |", ops3[k]);
			for (i = 0; i < NFACS; i++)
				fprintf(f, " %s |", facs[i].name);
			fprintf(f, "\n|---|");
			for (i = 0; i < NFACS; i++)
				fprintf(f, "---|");
			fputc('\n', f);
		} else {
			fprintf(f, "\n%s\n%8s", ops3[k], "N");
			for (i = 0; i < NFACS; i++)
				fprintf(f, " %18s", facs[i].name);
			fputc('\n', f);
		}
		for (l = 0; l < nlevels; l++) {
			if (md)
				fprintf(f, "| %s |", fmt_n(levels[l]));
			else
				fprintf(f, "%8s", fmt_n(levels[l]));
			for (i = 0; i < NFACS; i++)
				print_cell(f, find_row(ops3[k], facs[i].name, levels[l]),
					   md);
			fputc('\n', f);
		}
		if (md)
			fputc('\n', f);
	}
}

static void print_all_rows(FILE *f)
{
	int i;

	fprintf(f, "\n## All figures\n\n| op | facility | N | ns_median | ratio_median | runs | notes |\n"
		"|---|---|---|---|---|---|---|\n");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		fprintf(f, "| %s | %s | %ld | ", r->op, r->fac, r->n);
		num_field(f, r->ns, "%.1f");
		fprintf(f, " | ");
		num_field(f, r->ratio, "%.3f");
		fprintf(f, " | %d | ", r->runs);
		for (const char *c = r->notes; *c; c++) {
			if (*c == '|')
				fputc('\\', f);	/* a cell of a Markdown table */
			fputc(*c, f);
		}
		fprintf(f, " |\n");
	}
}

struct verdict {
	int state;	/* 1 met, 0 not met, -1 not evaluable */
	char text[2048];
};

static void vcat(struct verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vcat(struct verdict *v, const char *fmt, ...)
{
	size_t len = strlen(v->text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->text + len, sizeof(v->text) - len, fmt, ap);
	va_end(ap);
}

static bool have(const struct row *r)
{
	return r && !isnan(r->ns);
}

static void targets(struct verdict *v)
{
	static const char *anchors[] = { "posix_shm", "sysv_shm", "keyring" };
	int t, k, l, a;

	for (t = 0; t < 6; t++) {
		v[t].state = 1;
		v[t].text[0] = 0;
	}

	/*
	 * Figures measured at different times are compared by their ratios to
	 * the null ioctl timed beside them, which cancel the host's speed
	 * drift; the ns figures are given too.
	 */

	/* 1: wms create(+fill)+destroy >= 2x faster than the fastest named anchor */
	for (k = 0; k < 2; k++) {
		vcat(&v[0], " %s:", ops3[k]);
		for (l = 0; l < nlevels; l++) {
			const struct row *w = find_row(ops3[k], "wms", levels[l]), *best = NULL;
			char missing[64] = "";

			for (a = 0; a < 3; a++) {
				const struct row *r = find_row(ops3[k], anchors[a], levels[l]);

				if (have(r) && (!best || r->ratio < best->ratio))
					best = r;
				else if (!have(r))
					snprintf(missing + strlen(missing),
						 sizeof(missing) - strlen(missing),
						 "%s%s", *missing ? ", " : "", anchors[a]);
			}
			if (!have(w) || !best) {
				vcat(&v[0], " N=%s n/a%s;", fmt_n(levels[l]),
				     have(w) ? " (no anchor measured)" : " (wms not measured)");
				if (v[0].state == 1)
					v[0].state = -1;
				continue;
			}
			vcat(&v[0], " N=%s %.2fx vs %s (x%.1f/x%.1f null; %.0f/%.0f ns = %.2fx)%s%s%s;",
			     fmt_n(levels[l]), best->ratio / w->ratio, best->fac,
			     best->ratio, w->ratio, best->ns, w->ns, best->ns / w->ns,
			     *missing ? " [not measured: " : "", missing,
			     *missing ? "]" : "");
			if (best->ratio / w->ratio < 2.0)
				v[0].state = 0;
		}
	}

	/* 2: wms lookup within 1.3x of the null ioctl */
	for (l = 0; l < nlevels; l++) {
		const struct row *w = find_row("lookup", "wms", levels[l]);

		if (!have(w)) {
			vcat(&v[1], " N=%s n/a;", fmt_n(levels[l]));
			if (v[1].state == 1)
				v[1].state = -1;
			continue;
		}
		vcat(&v[1], " N=%s x%.2f (%.0f ns);", fmt_n(levels[l]), w->ratio, w->ns);
		if (w->ratio > 1.3)
			v[1].state = 0;
	}

	/* 3: cost at the largest N within 1.3x of N = 0 */
	if (nlevels < 2) {
		v[2].state = -1;
		vcat(&v[2], " n/a (one level)");
	} else {
		long nmax = levels[nlevels - 1];

		for (k = 0; k < 3; k++) {
			const struct row *z = find_row(ops3[k], "wms", 0);
			const struct row *m = find_row(ops3[k], "wms", nmax);

			if (!have(z) || !have(m)) {
				vcat(&v[2], " %s: n/a;", ops3[k]);
				if (v[2].state == 1)
					v[2].state = -1;
				continue;
			}
			vcat(&v[2], " %s: N=%s/N=0 = %.2f (x%.1f/x%.1f null; %.0f/%.0f ns = %.2f);",
			     ops3[k], fmt_n(nmax), m->ratio / z->ratio, m->ratio,
			     z->ratio, m->ns, z->ns, m->ns / z->ns);
			if (m->ratio / z->ratio > 1.3)
				v[2].state = 0;
		}
	}

	/* 4: 1 MiB WRITE+READ at least as fast as tmpfs pwrite+pread */
	{
		const struct row *w = find_row("rw_1MiB", "wms", 0);
		const struct row *s = find_row("rw_1MiB", "posix_shm", 0);

		if (!have(w) || !have(s)) {
			v[3].state = -1;
			vcat(&v[3], " n/a");
		} else {
			vcat(&v[3], " wms/tmpfs = %.2f (x%.0f/x%.0f null; %.0f/%.0f ns = %.2f)",
			     w->ratio / s->ratio, w->ratio, s->ratio, w->ns, s->ns,
			     w->ns / s->ns);
			if (w->ratio > s->ratio)
				v[3].state = 0;
		}
	}

	/* 5: kernel memory per wms entry beyond its data <= 350 B */
	{
		const struct row *a = find_row("mem_slab_vmalloc_B", "wms", MEM_ENTRIES);
		const struct row *b = find_row("mem_memfree_B", "wms", MEM_ENTRIES);

		if (!have(a) || !have(b)) {
			v[4].state = -1;
			vcat(&v[4], " n/a");
		} else {
			double raw = a->ns + KIB4, meta = a->ns;

			/*
			 * Data from the page allocator is in neither Slab nor
			 * VmallocUsed: then the whole delta is metadata.
			 */
			if (raw < KIB4 / 2) {
				meta = raw;
				vcat(&v[4], " delta(Slab+VmallocUsed) per entry is %.0f B, so the "
				     "data pages are not in those counters (page allocator): "
				     "all %.0f B are metadata (the formula minus 4096 gives %.0f);",
				     raw, raw, a->ns);
			} else {
				vcat(&v[4], " delta(Slab+VmallocUsed) - 4096: %.0f B;", a->ns);
			}
			vcat(&v[4], " drop of free memory (MemFree + per-cpu lists) - 4096: "
			     "%.0f B per entry (both must be <= 350)", b->ns);
			if (meta > 350 || b->ns > 350)
				v[4].state = 0;
		}
	}

	/* 6: two threads of lookups >= 1.6x one thread */
	{
		const struct row *w = find_row("threads_2_over_1", "wms", 0);
		const struct row *s = find_row("threads_2_over_1", "wms_same", 0);
		const struct row *n = find_row("threads_2_over_1", "null", 0);

		if (!w || isnan(w->ratio)) {
			v[5].state = -1;
			vcat(&v[5], " n/a");
		} else {
			vcat(&v[5], " x%.2f (distinct entries)", w->ratio);
			if (s && !isnan(s->ratio))
				vcat(&v[5], "; same entry x%.2f", s->ratio);
			if (n && !isnan(n->ratio))
				vcat(&v[5], "; null-ioctl control x%.2f (what this host "
				     "delivered to two vCPUs at that time)", n->ratio);
			if (w->ratio < 1.6)
				v[5].state = 0;
			/* A host that cannot run two vCPUs at once decides nothing. */
			if (w->ratio < 1.6 && n && !isnan(n->ratio) && n->ratio < 1.6) {
				v[5].state = -1;
				vcat(&v[5], "; the control itself is below 1.6, so this "
				     "run cannot tell (rerun on an idle host)");
			}
		}
	}
}

static void print_targets(FILE *f, bool md, const struct verdict *v)
{
	static const char *what[6] = {
		"wms create+destroy and create+fill+destroy >= 2x faster than the fastest named anchor at every N",
		"wms lookup within 1.3x of the null ioctl at every N",
		"wms per-op cost at the largest N within 1.3x of N=0",
		"1 MiB WRITE+READ at least as fast as tmpfs pwrite+pread",
		"kernel memory per wms entry beyond its data <= 350 B",
		"two threads of lookups >= 1.6x one thread",
	};
	int t;

	fprintf(f, md ? "\n## Targets\n\n" : "\n=== %s: targets ===\n", kver);
	fprintf(f, "%sFigures measured at different times are compared by their ratios to the null "
		"ioctl timed beside them (the ns figures are shown too).\n%s",
		md ? "" : "   ", md ? "\n" : "");
	for (t = 0; t < 6; t++) {
		const char *s = v[t].state == 1 ? "MET" : v[t].state == 0 ?
			"NOT MET" : "NOT EVALUABLE";

		if (md)
			fprintf(f, "%d. **%s** — %s.%s\n", t + 1, s, what[t], v[t].text);
		else
			fprintf(f, "%d. [%s] %s.\n   %s\n", t + 1, s, what[t], v[t].text);
	}
}

static void print_env(FILE *f, bool md)
{
	char buf[512];
	int i;

	if (md)
		fprintf(f, "# wms benchmark: Linux %s\n\n", kver);
	read_str("/sys/devices/system/cpu/vulnerabilities/meltdown", buf, sizeof(buf));
	fprintf(f, "%sCPUs online %ld; meltdown: %s; kernel command line: ",
		md ? "- " : "", sysconf(_SC_NPROCESSORS_ONLN), buf);
	read_str("/proc/cmdline", buf, sizeof(buf));
	fprintf(f, "%s\n", buf);
	{
		/* How the kernel copies: copy_user uses rep movsb with erms, memcpy with fsrm. */
		char line[4096];
		FILE *c = fopen("/proc/cpuinfo", "r");
		bool erms = false, fsrm = false;

		while (c && fgets(line, sizeof(line), c))
			if (!strncmp(line, "flags", 5)) {
				erms = strstr(line, " erms") != NULL;
				fsrm = strstr(line, " fsrm") != NULL;
				break;
			}
		if (c)
			fclose(c);
		fprintf(f, "%sCPU flags: erms %s, fsrm %s (QEMU TCG runs rep movsb one byte at a time)\n",
			md ? "- " : "", erms ? "yes" : "no", fsrm ? "yes" : "no");
	}
	for (i = 0; i < NFACS; i++)
		if (facs[i].limit_why[0])
			fprintf(f, "%s%s: %s\n", md ? "- " : "", facs[i].name,
				facs[i].limit_why);
	fprintf(f, "%sruns per figure %d, batch %ld ops, null-ioctl batch %ld; budget %.0f s, used %.0f s\n",
		md ? "- " : "", opt_runs, opt_batch, NULL_BATCH, opt_budget, elapsed());
}

static void report(void)
{
	struct verdict v[6];
	FILE *md = opt_summary ? fopen(opt_summary, "w") : NULL;
	int i;

	targets(v);
	print_tables(stdout, false);
	printf("\nother figures (ns/op, x null ioctl; mem_* rows are bytes per object):\n");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		bool sweep = false;
		int k;

		for (k = 0; k < 3; k++)
			sweep |= !strcmp(r->op, ops3[k]);
		if (sweep || !strcmp(r->op, "populate") || !strcmp(r->op, "teardown"))
			continue;
		printf("  %-26s %-10s ", r->op, r->fac);
		if (isnan(r->ns))
			printf("%10s", "-");
		else
			printf("%10.1f", r->ns);
		if (!isnan(r->ratio))
			printf("  x%.2f", r->ratio);
		if (!strncmp(r->notes, "failed", 6) || !strncmp(r->notes, "skipped", 7))
			printf("  %s", r->notes);
		putchar('\n');
	}
	print_targets(stdout, false, v);
	print_env(stdout, false);
	fflush(stdout);
	if (md) {
		print_env(md, true);
		print_tables(md, true);
		print_targets(md, true, v);
		print_all_rows(md);
		fclose(md);
	}
}

/* ------------------------------------------------------------------------ */

static bool part(const char *name)
{
	const char *p;
	size_t len = strlen(name);

	if (!opt_only)
		return true;
	for (p = opt_only; (p = strstr(p, name)); p += len)
		if ((p == opt_only || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: wms_bench [--csv FILE] [--summary FILE] [--budget SECONDS]\n"
		"                 [--runs R] [--batch B] [--levels N,N,...] [--quick]\n"
		"                 [--only null,mem,big,threads,breakdown,sweep]\n");
	exit(2);
}

static void parse_levels(const char *s)
{
	char *dup = strdup(s), *tok, *save;

	nlevels = 0;
	for (tok = strtok_r(dup, ",", &save); tok && nlevels < MAX_LEVELS;
	     tok = strtok_r(NULL, ",", &save))
		levels[nlevels++] = strtol(tok, NULL, 0);
	free(dup);
	if (!nlevels || levels[0] != 0)
		usage();
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct utsname u;
	cpu_set_t set;
	long nmax, i;
	int a, f, split;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--csv") && a + 1 < argc)
			opt_csv = argv[++a];
		else if (!strcmp(argv[a], "--summary") && a + 1 < argc)
			opt_summary = argv[++a];
		else if (!strcmp(argv[a], "--budget") && a + 1 < argc)
			opt_budget = atof(argv[++a]);
		else if (!strcmp(argv[a], "--runs") && a + 1 < argc)
			opt_runs = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--batch") && a + 1 < argc)
			opt_batch = atol(argv[++a]);
		else if (!strcmp(argv[a], "--levels") && a + 1 < argc)
			parse_levels(argv[++a]);
		else if (!strcmp(argv[a], "--only") && a + 1 < argc)
			opt_only = argv[++a];
		else if (!strcmp(argv[a], "--quick"))
			opt_runs = 3, opt_batch = 500, parse_levels("0,1000");
		else
			usage();
	}
	if (opt_runs < 1 || opt_runs > MAX_RUNS || opt_batch < 10 || opt_batch > 2000)
		usage();
	t_start = now_s();
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	snprintf(kver, sizeof(kver), "%s", u.release);

	/* Stay on CPU 0; the threads test places its threads itself. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);

	nmax = levels[nlevels - 1];
	rl.rlim_cur = rl.rlim_max = nmax + 4096;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("setrlimit(RLIMIT_NOFILE) (memfd levels may be skipped)");
	sysv_bg = calloc(nmax > MEM_ENTRIES ? nmax : MEM_ENTRIES, sizeof(int));
	memfd_bg = calloc(nmax + 1, sizeof(int));
	if (!sysv_bg || !memfd_bg) {
		fprintf(stderr, "wms_bench: out of memory\n");
		return 1;
	}
	for (i = 0; i < 2000; i++) {
		snprintf(meas_names[0][i], NAME_LEN, "m%05ld", i);
		snprintf(meas_names[1][i], NAME_LEN, "/m%05ld", i);
	}
	memset(payload4k, 0xa5, sizeof(payload4k));

	csv = fopen(opt_csv, "w");
	if (!csv) {
		perror(opt_csv);
		return 1;
	}
	fprintf(csv, "kernel,op,facility,N,ns_median,ratio_median,runs,notes\n");
	fflush(csv);

	wmsfd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (wmsfd < 0 || nullfd < 0) {
		perror(wmsfd < 0 ? WMS_DEVICE_PATH : "/dev/null");
		return 1;
	}
	/* A keyring of our own in a session keyring of our own. */
	if (sys_keyctl(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"wms-bench", 0, 0, 0) < 0)
		perror("KEYCTL_JOIN_SESSION_KEYRING");
	keyring = sys_add_key("keyring", "wms-bench-ring", NULL, 0,
			      KEY_SPEC_SESSION_KEYRING);
	if (keyring < 0)
		perror("add_key(keyring)");
	keys_base = root_nkeys();
	shm_read_opts();
	find_limits();

	printf("wms_bench on Linux %s: %d runs per figure, batch %ld, budget %.0f s\n",
	       kver, opt_runs, opt_batch, opt_budget);
	print_env(stdout, false);

	/* The null ioctl itself. */
	{
		double v[MAX_RUNS];
		int r;

		time_null(NULL_BATCH);
		for (r = 0; r < opt_runs; r++)
			v[r] = time_null(NULL_BATCH);
		add_row("null_ioctl", "null", 0, median(v, opt_runs), 1.0, opt_runs,
			"ioctl(/dev/null, unused command) = -ENOTTY; batch %ld", NULL_BATCH);
		logf_("null ioctl: %.0f ns", median(v, opt_runs));
	}

	/*
	 * Quiet parts first: deferred work of the bulky ones (RCU frees, lazy
	 * vmap purges, key GC) must not run beside the threads test.
	 */
	if (part("threads"))
		bench_threads();
	if (part("breakdown"))
		bench_breakdown();
	if (part("big"))
		bench_big();
	sleep_ms(1000);
	if (part("mem"))
		bench_memory();
	sleep_ms(1000);
	do_sweep = part("sweep");

	/* Levels below 1e6 for every facility, then 1e6 as the budget allows. */
	for (split = nlevels; split > 0 && levels[split - 1] >= 1000000; split--)
		;
	for (f = 0; f < NFACS && do_sweep; f++) {
		/* keep ~15 s per facility still to come for its small levels */
		sweep(&facs[f], 0, split - 1, 15.0 * (NFACS - 1 - f));
	}
	if (split < nlevels && do_sweep) {
		int order[NFACS], n = 0, j;
		const char *left_in_place = NULL;
		double left_td = 0;

		/*
		 * wms first, then the named anchors by predicted time, cheapest
		 * first, then the unnamed floor (memfd): the targets compare wms
		 * with the named ones.
		 */
		order[n++] = 0;
		for (f = 1; f < NFACS; f++)
			order[n++] = f;
		for (f = 1; f < n; f++)
			for (j = f + 1; j < n; j++) {
				struct facility *x = &facs[order[f]], *y = &facs[order[j]];

				if (x->named != y->named ? y->named :
				    y->pop_ns + y->td_ns < x->pop_ns + x->td_ns) {
					int tmp = order[f];

					order[f] = order[j];
					order[j] = tmp;
				}
			}
		for (j = 0; j < n; j++) {
			struct facility *fc = &facs[order[j]];
			struct meminfo mi;
			char why[300];
			long big = levels[split];

			read_meminfo(&mi);
			if (fc->bg_bytes > 0 &&
			    fc->bg_bytes * big > 0.85 * mi.memavail * 1024.0) {
				snprintf(why, sizeof(why),
					 "memory: %ld objects at ~%.0f B each need ~%.0f MiB, "
					 "MemAvailable is %ld MiB",
					 big, fc->bg_bytes, fc->bg_bytes * big / 1048576,
					 mi.memavail / 1024);
				skip_level(fc, big, why);
				continue;
			}
			if (left_in_place) {
				snprintf(why, sizeof(why),
					 "time budget: predicted %.0f s (populate + measure) "
					 "+ %.0f s removing the %s objects before it "
					 "> %.0f s left of the %.0f s budget",
					 predict_grow(fc, 0, big), left_td, left_in_place,
					 remaining(), opt_budget);
				skip_level(fc, big, why);
				continue;
			}
			if (!sweep_levels(fc, split, nlevels - 1, 0, true))
				continue;
			/*
			 * Remove its objects only if a facility after it can still
			 * be measured; else leave them: the VM powers off next.
			 */
			{
				double td = predict_teardown(fc, bg_have);
				bool more = false;
				int k;

				for (k = j + 1; k < n; k++)
					more |= predict_grow(&facs[order[k]], 0, big) + td <=
						remaining();
				if (more || !bg_have) {
					sweep_end(fc);
				} else {
					logf_("%-10s leaving its %ld background objects in place: "
					      "nothing after it fits the budget", fc->name, bg_have);
					left_in_place = fc->name;
					left_td = td;
				}
			}
		}
	}

	report();
	fclose(csv);
	return 0;
}
