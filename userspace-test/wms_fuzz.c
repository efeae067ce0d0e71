// SPDX-License-Identifier: GPL-2.0
/*
 * wms_fuzz: a seeded, reproducible differential fuzzer for /dev/wms (ABI v2).
 *
 * It generates random operation sequences and runs each operation against the
 * real module and, in lockstep, against a small reference model of ABI.md and
 * of the decisions docs/ABI.md ("ABI notes") and docs/admin.md ("Security
 * model") record.  Any
 * difference in result, errno or data (and in the counters
 * /sys/class/misc/wms/{entries,bytes}, compared every 100 ops, or in the
 * others, peak_bytes, adds, removes, failed_adds/<ERRNO>, and the
 * /proc/driver/wms listing, every 1000) is a divergence: the run stops,
 * prints the seed, the operation, expected and got, and shrinks the
 * sequence, each replay starting from a clean registry (entries removed,
 * fds closed):
 *  1. the shortest failing prefix: generation is deterministic and every op
 *     before the divergence matched, so one re-run with the counters compared
 *     after every op of the last 100 finds it (instead of bisecting);
 *  2. cheap candidates: the last 16, 64, 256... ops alone (or with the earlier
 *     limit changes in front);
 *  3. delta debugging (drop chunks of ops while an op of the same kind still
 *     diverges), within the -m time budget;
 * and prints the minimised op list.
 *
 *   wms_fuzz [-s SEED] [-n OPS] [-t SECONDS] [-v] [-L] [-m SECONDS]
 *     -s SEED     seed (default: from the time; printed)
 *     -n OPS      operations (default 100000)
 *     -t SECONDS  stop after SECONDS (whichever of -n / -t comes first)
 *     -v          print every operation and its result
 *     -L          keep the module's limits (default: lower them to small,
 *                 seed-chosen values, and restore them at exit)
 *     -m SECONDS  time budget of the delta debugging (default 120)
 *
 * Output: "# " progress lines, the op mix with errno counts and coverage
 * counters of the rarer rules, then
 *   # Totals: pass:P fail:F xfail:0 xpass:0 skip:0 error:E
 *   # fuzz: N ops, seed S, D divergences, C chunks of 1000 matched
 * P is 1 for a run that matched the model throughout (one run is one check,
 * however long), F 1 for a divergence (the run stops at the first), E an
 * infrastructure error (a worker died...).
 * Exit status 0 iff there was no divergence and no error.
 *
 * The model: entry objects (size, owner, group, mode, data bytes, attached
 * files, mappings; removed ones live on while referenced and keep counting
 * toward max_total_bytes and the owner's quota), the registry in creation
 * order (LIST cursors follow it exactly: single-threaded, so exact), open
 * files (dup shares one file: one position, one attachment), mappings, the
 * limits, the counters, and the VFS rules around the driver (EBADF for a
 * closed fd or a wrong open mode, lseek/pread/mmap argument checks).
 *
 * ABI v2's "Trust boundaries", as the model has them:
 *  - ADD of an absent name that begins with '.' is EPERM, for root too (only
 *    kernel callers create such names): after the name checks and the
 *    lookup (EXCL on an existing name is still EEXIST; an existing '.'-entry
 *    follows the normal rules), before the limits (a '.'-name over
 *    max_entry_size is EPERM, not EFBIG).  The pool has three such names.
 *  - max_total_bytes, max_user_bytes, the bytes counter and peak_bytes count
 *    each entry's size rounded up to pages (sysconf(_SC_PAGESIZE)), 0 for
 *    size 0; INFO, LIST and /proc report the size asked.
 *  - max_user_entries: entries one uid without CAP_SYS_ADMIN has registered
 *    (size 0 included); at the limit, an ADD that would create is ENOSPC.
 *    REMOVE frees the slot at once, while the memory may live on.  The run
 *    lowers it with the other limits (and restores it).
 *  - failed_adds/<ERRNO> counts the ADDs the registry refuses: a bad name,
 *    EEXIST, EPERM, EFBIG, ENOSPC (not EFAULT, EACCES, or the EINVAL of
 *    reserved fields and flags, which the driver decides before).
 *  - /proc/driver/wms escapes every name byte outside 0x21..0x7e, and the
 *    backslash, as \ooo.
 *
 * Where ABI.md and admin.md leave a detail open, the model takes the
 * reading below (a divergence there is a question, not necessarily a bug):
 *  - a READ (or read()) needs only the bytes it copies to be writable: one
 *    that copies 0 bytes (len 0, offset >= size) succeeds even with a NULL
 *    buffer, and a short read near the end only needs the short part;
 *  - LIST with a NULL entries pointer fails with EFAULT only if there is an
 *    entry to report;
 *  - mmap checks, after the VFS ones: EBADFD, MAP_SHARED (EINVAL), the range
 *    (EINVAL), then write permission (EACCES), as ABI.md lists them;
 *  - lseek SEEK_DATA/SEEK_HOLE follow lseek(2) for a file that is all data:
 *    ENXIO at or past the end, else the offset (DATA) or the size (HOLE);
 *  - "lowering a limit below what is in use refuses new entries" also holds
 *    for an entry of size 0;
 *  - ADD checks that its output fields are writable (EFAULT) right after the
 *    reserved fields and flags, before the name, so that a call that cannot
 *    report its result changes nothing (the module's order since v2).
 * The VFS rules around the driver are the kernel's (fs/read_write.c,
 * mm/mmap.c): EBADF for a closed fd or a wrong open mode, EINVAL for a
 * negative pread/pwrite offset or one whose end overflows, for an lseek
 * whence past SEEK_HOLE, an unaligned mmap offset or a 0 length, EACCES for
 * MAP_SHARED + PROT_WRITE of a file opened read-only.
 *
 * Contexts: most operations run in this process (root, CAP_SYS_ADMIN); about
 * 8% run in one of four persistent unprivileged workers (setresuid/setresgid/
 * setgroups: 1000/1000, 1001/1000, 65534/65534+{1000}, 1002/0) that own no
 * files; about 1 in 1500 is a forked child (root or one of those credentials)
 * that does an ADD + WRITE of "fz.fork" and a few more operations, also on
 * the files and mappings it inherited; the parent then checks the effects.
 * Results come back through shared memory.
 *
 * Entry names are "fz.*" and ".fz*" plus hostile ones; the registry is left
 * without any of them at the end and the module parameters are restored
 * (also on SIGINT/SIGTERM and on a crash of this program).  Build:
 *   gcc -static -O2 -Wall -Wextra -Werror -pthread -I include/uapi -I include \
 *       -o wms_fuzz userspace-test/wms_fuzz.c userspace-test/wms_fuzz_model.c
 * (-m32 works too; it includes userspace-test/wms_util.h, without the
 * kselftest harness).  This file has the names, the operations, the
 * generator, their execution, runs and shrinking; wms_fuzz_model.c has the
 * model; wms_fuzz.h what they share.
 */
#include "wms_fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define GROUPMAX	(FORKMAX + 3)
#define CHUNK		1000
#define CHECK_EVERY	100			/* sysfs counters compared every N ops (/proc every CHUNK) */
#define CANFILL		(16 * 1024 + 512)	/* canary bytes laid behind a read */
#define STAT_DIR	"/sys/class/misc/wms/"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static bool g_verbose;
static pid_t g_main_pid;

const char *rstr(sll v)
{
	static char bufs[8][48];
	static unsigned int k;
	char *o = bufs[k++ % 8];

	if (v < -ERR_SIG && v > -(ERR_SIG + 100))
		snprintf(o, 48, "-%s", -v - ERR_SIG == SIGBUS ? "SIGBUS" : "SIGSEGV");
	else if (v < 0 && v > -(ERR_SIG + 100))
		snprintf(o, 48, "-%s", errname((int)-v));
	else
		snprintf(o, 48, "%lld", v);
	return o;
}

static sll rr(sll r)
{
	return r < 0 ? -errno : r;
}

static ull now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ull)ts.tv_sec * 1000000000ULL + (ull)ts.tv_nsec;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Random numbers: xorshift64*, seeded by splitmix64                   */
/* ------------------------------------------------------------------ */

static uint64_t g_rng;

static void rng_seed(uint64_t seed, uint64_t stream)
{
	g_rng = splitmix64(seed ^ splitmix64(stream + 1));
	if (!g_rng)
		g_rng = 1;
}

static uint64_t rnd(void)
{
	uint64_t x = g_rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g_rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* 0..n-1 (0 if n is 0) */
static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool pct(unsigned int p)
{
	return rn(100) < p;
}

void fill(unsigned char *p, ull n, uint32_t seed)
{
	uint64_t x = splitmix64(seed) | 1;

	while (n >= 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p, &x, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p, &x, n);
	}
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

struct nm names[MAXNAMES];
int nnames, nvalid;
static int N_FORK;

/* The name rules of ABI.md, written out independently of the module. */
static int name_rule(const char *f)
{
	size_t len = strnlen(f, NAME_LEN);

	if (len == NAME_LEN)
		return -ENAMETOOLONG;
	if (!len || memchr(f, '/', len) || !strcmp(f, ".") || !strcmp(f, ".."))
		return -EINVAL;
	return 0;
}

static int add_name(const void *s, size_t len)
{
	struct nm *n = &names[nnames];
	size_t l, i, o = 0;

	memset(n, 0, sizeof(*n));
	memcpy(n->f, s, len);
	n->err = name_rule(n->f);
	l = strnlen(n->f, NAME_LEN);
	for (i = 0; i < l && i < 18; i++) {
		unsigned char c = (unsigned char)n->f[i];

		if (c >= 0x21 && c < 0x7f && c != '\\' && c != '"')
			n->label[o++] = (char)c;
		else
			o += (size_t)sprintf(n->label + o, "\\x%02x", c);
	}
	if (l > 18)
		sprintf(n->label + o, "...(%zu%s)", l, l == NAME_LEN ? " bytes, no NUL" : " bytes");
	return nnames++;
}

static void build_names(void)
{
	static const char *const simple[] = {
		"fz.a", "fz.b", "fz.c", "fz.d", "fz.A", "fz.e", "fz.fork", "fz..",
		"fz.sp ace\t\\\n", "...", ".fz.a", ".fz",
	};
	static const char *const bad[] = {
		"", ".", "..", "fz/a", "/", "fz.a/", "fz.\xff/",
	};
	char b[NAME_LEN];
	size_t i, n;

	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		int k = add_name(simple[i], strlen(simple[i]));

		if (!strcmp(simple[i], "fz.fork"))
			N_FORK = k;
	}
	/* 255 bytes: the longest name */
	memset(b, 'L', sizeof(b));
	memcpy(b, "fz.", 3);
	add_name(b, WMS_NAME_MAX);
	/* every byte 0x01..0x7f except '/', then every byte 0x80..0xff */
	memcpy(b, "fz.", 3);
	for (n = 3, i = 1; i < 0x80; i++)
		if (i != '/')
			b[n++] = (char)i;
	add_name(b, n);
	memcpy(b, "fz.", 3);
	for (n = 3, i = 0x80; i < 0x100; i++)
		b[n++] = (char)i;
	add_name(b, n);
	nvalid = nnames;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		add_name(bad[i], strlen(bad[i]));
	/* 256 bytes without a NUL, with and without a '/' */
	memset(b, 'N', sizeof(b));
	memcpy(b, "fz.", 3);
	add_name(b, NAME_LEN);
	b[100] = '/';
	add_name(b, NAME_LEN);
	for (i = 0; i < (size_t)nvalid; i++)
		if (names[i].err) {
			fprintf(stderr, "wms_fuzz: pool name %d is not valid\n", (int)i);
			exit(2);
		}
}

/* ------------------------------------------------------------------ */
/* Credentials                                                         */
/* ------------------------------------------------------------------ */

const struct cred creds[NCRED] = {
	{ 0, 0, 0, { 0, 0 }, "root" },
	{ 1000, 1000, 0, { 0, 0 }, "u1000/g1000" },
	{ 1001, 1000, 0, { 0, 0 }, "u1001/g1000" },
	{ 65534, 65534, 1, { 1000, 0 }, "u65534/g65534+1000" },
	{ 1002, 0, 0, { 0, 0 }, "u1002/g0" },
};

static int drop_to(int c)
{
	if (!c)
		return 0;
	if (setgroups((size_t)creds[c].ngroups, creds[c].groups) ||
	    setresgid(creds[c].gid, creds[c].gid, creds[c].gid) ||
	    setresuid(creds[c].uid, creds[c].uid, creds[c].uid))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

const char *const kname[K_NKINDS] = {
	"ADD", "REMOVE", "INFO", "READ", "WRITE", "LIST", "ATTACH", "BADCMD",
	"open", "close", "dup", "read", "write", "pread", "pwrite", "lseek",
	"mmap", "munmap", "mprotect", "mapcheck", "mapstore", "attachprobe", "setparam",
};

static const char *const pname[L_N] = {
	"max_entries", "max_entry_size", "max_total_bytes", "max_user_bytes", "max_user_entries",
};

/* Unknown commands: the 0xB9 numbers with another size, direction or number. */
static const unsigned long badcmds[] = {
	_IOWR(WMS_IOC_MAGIC, 0x07, struct wms_name),
	_IOR(WMS_IOC_MAGIC, 0x00, struct wms_add),
	_IOW(WMS_IOC_MAGIC, 0x00, struct wms_add),
	_IOWR(WMS_IOC_MAGIC, 0x00, struct wms_name),
	_IO(WMS_IOC_MAGIC, 0x01),
	_IOWR(WMS_IOC_MAGIC, 0x02, struct wms_io),
	_IOR(WMS_IOC_MAGIC, 0x05, struct wms_list),
	_IOWR(WMS_IOC_MAGIC, 0x06, struct wms_name),
	_IOWR(WMS_IOC_MAGIC, 0x1f, int),
	_IOWR(0xB8, 0x00, struct wms_add),
};
#define NBADCMDS (sizeof(badcmds) / sizeof(badcmds[0]))

static const char *whence_str(uint32_t w)
{
	static char b[16];

	switch (w) {
	case SEEK_SET: return "SET";
	case SEEK_CUR: return "CUR";
	case SEEK_END: return "END";
	case SEEK_DATA: return "DATA";
	case SEEK_HOLE: return "HOLE";
	}
	snprintf(b, sizeof(b), "%u", w);
	return b;
}

static const char *buf_str(const struct op *op)
{
	static char b[40];

	if (op->bufkind == 1)
		return " buf=NULL";
	if (op->bufkind == 2) {
		snprintf(b, sizeof(b), " buf=partial(%llu valid)", (ull)op->part);
		return b;
	}
	return "";
}

static char *op_str(const struct op *op, char *s, size_t sz)
{
	const char *nmv = names[op->name].label;
	char ctx[48] = "", via[16] = "", extra[96] = "";
	int c = op_cred(op);

	if (op->ctx >= CTX_FORK)
		snprintf(ctx, sizeof(ctx), " [forked child %u, %s]", op->grp, creds[c].label);
	else if (op->ctx)
		snprintf(ctx, sizeof(ctx), " [worker %s]", creds[c].label);
	if (op->via)
		snprintf(via, sizeof(via), " via=slot%u", op->via - 1);
	if (op->argmode == 1)
		strcat(extra, " arg=NULL");
	else if (op->argmode == 2)
		strcat(extra, " arg=read-only");
	if (op->resv)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 " reserved%u=%#llx", op->resv - 1, (ull)op->rv);
	if (op->junk)
		strcat(extra, " junk-after-NUL");

	switch (op->kind) {
	case K_ADD:
		snprintf(s, sz, "ADD \"%s\" size=%llu flags=%#x mode=%#o%s%s%s", nmv,
			 (ull)op->a, op->flags, op->mode, via, extra, ctx);
		break;
	case K_REMOVE:
	case K_INFO:
	case K_APROBE:
		snprintf(s, sz, "%s \"%s\"%s%s%s", kname[op->kind], nmv, via, extra, ctx);
		break;
	case K_ATTACH:
		snprintf(s, sz, "ATTACH slot%u \"%s\"%s%s", op->slot, nmv, extra, ctx);
		break;
	case K_READ:
	case K_WRITE:
		snprintf(s, sz, "%s \"%s\" offset=%llu len=%llu%s%s%s%s", kname[op->kind], nmv,
			 (ull)op->a, (ull)op->b, buf_str(op), via, extra, ctx);
		break;
	case K_LIST:
		snprintf(s, sz, "LIST %s count=%u%s%s%s%s", op->acc ? "continue" : "cursor=0",
			 op->count, op->bufkind == 1 ? " entries=NULL" : "", via, extra, ctx);
		break;
	case K_BADCMD:
		snprintf(s, sz, "ioctl(cmd=%#lx)%s%s", badcmds[op->flags % NBADCMDS], via, ctx);
		break;
	case K_OPEN:
		snprintf(s, sz, "slot%u = open(/dev/wms, %s)", op->slot,
			 op->acc == 1 ? "O_RDONLY" : op->acc == 2 ? "O_WRONLY" : "O_RDWR");
		break;
	case K_CLOSE:
		snprintf(s, sz, "close(slot%u)", op->slot);
		break;
	case K_DUP:
		snprintf(s, sz, "slot%u = dup(slot%u)", op->slot2, op->slot);
		break;
	case K_FREAD:
	case K_FWRITE:
		snprintf(s, sz, "%s(slot%u, %llu)%s%s", kname[op->kind], op->slot, (ull)op->b,
			 buf_str(op), ctx);
		break;
	case K_PREAD:
	case K_PWRITE:
		snprintf(s, sz, "%s(slot%u, %llu, off=%lld)%s%s", kname[op->kind], op->slot,
			 (ull)op->b, (sll)op->a, buf_str(op), ctx);
		break;
	case K_LSEEK:
		snprintf(s, sz, "lseek(slot%u, %lld, %s)%s", op->slot, (sll)op->a,
			 whence_str(op->mode), ctx);
		break;
	case K_MMAP:
		snprintf(s, sz, "map%u = mmap(len=%llu, %s, %s, slot%u, off=%llu)", op->mslot,
			 (ull)op->b, op->mode == PROT_READ ? "R" : "RW",
			 op->flags == MAP_SHARED ? "MAP_SHARED" :
			 op->flags == MAP_PRIVATE ? "MAP_PRIVATE" : "MAP_SHARED_VALIDATE",
			 op->slot, (ull)op->a);
		break;
	case K_MUNMAP:
		snprintf(s, sz, "munmap(map%u)", op->mslot);
		break;
	case K_MPROTECT:
		snprintf(s, sz, "mprotect(map%u, %s)", op->mslot, op->mode == PROT_READ ? "R" : "RW");
		break;
	case K_MCHECK:
		snprintf(s, sz, "check contents of map%u%s", op->mslot, ctx);
		break;
	case K_MSTORE:
		snprintf(s, sz, "store %llu bytes at map%u+%llu%s", (ull)op->b, op->mslot,
			 (ull)op->a, ctx);
		break;
	case K_SETPARAM:
		snprintf(s, sz, "set %s (%s%llu)", pname[op->pidx],
			 op->pidx == L_ENT || op->pidx == L_TOTAL ? "baseline + " : "", (ull)op->a);
		break;
	default:
		snprintf(s, sz, "op %u?", op->kind);
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* Execution (against the real module)                                 */
/* ------------------------------------------------------------------ */

static struct env {
	int mainfd;
	int slotfd[NSLOTS];
	void *maddr[NMAPS];
	size_t mlen[NMAPS];
	ull walk;
} E;

static unsigned char *IOR, *SRC, *LST, *ROP;
static sigjmp_buf g_jb;
static volatile sig_atomic_t g_in_access;

static void *guarded(size_t sz)
{
	unsigned char *p;

	sz = (sz + PG - 1) & ~(size_t)(PG - 1);
	p = mmap(NULL, sz + PG, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + sz, PG, PROT_NONE)) {
		perror("wms_fuzz: mmap");
		exit(2);
	}
	return p;
}

static int opfd(const struct op *op)
{
	return op->via ? E.slotfd[op->via - 1] : E.mainfd;
}

static void setname(char *f, const struct op *op)
{
	size_t l, i;

	memcpy(f, names[op->name].f, NAME_LEN);
	l = strnlen(f, NAME_LEN);
	if (op->junk && l + 1 < NAME_LEN)
		for (i = l + 1; i < NAME_LEN; i++)
			f[i] = (char)(0x21 + (i * 7 + op->junk) % 90);
}

static void *argp(const struct op *op, void *st, size_t sz)
{
	if (op->argmode == 1)
		return NULL;
	if (op->argmode == 2) {
		mprotect(ROP, PG, PROT_READ | PROT_WRITE);
		memcpy(ROP, st, sz);
		mprotect(ROP, PG, PROT_READ);
		return ROP;
	}
	return st;
}

/* The user buffer of a read (into IOR) or a write (from SRC). */
static unsigned char *userbuf(unsigned char *base, const struct op *op)
{
	if (op->bufkind == 1)
		return NULL;
	if (op->bufkind == 2)
		return base + IOSZ - min_u(op->part, IOSZ);
	return base;
}

static void prep_src(unsigned char *buf, const struct op *op)
{
	ull n = op->bufkind == 2 ? min_u(op->part, op->b) : op->b;

	if (buf && n <= IOSZ)
		fill(buf, n, op->dseed);
}

/* Lay a canary behind where a read may write, for valid buffers. */
static ull canary_lay(const struct op *op, ull len)
{
	ull n;

	if (op->bufkind)
		return 0;
	n = min_u(len, CANFILL - 256) + 256;
	memset(IOR, 0xa5, n);
	return n;
}

static void read_result(const struct op *op, struct outcome *out, unsigned char *buf,
			ull done, ull laid)
{
	ull i, end;

	if (done > IOSZ)
		return;
	if (buf)
		memcpy(out->data, buf, done);
	out->ndata = (uint32_t)done;
	if (op->bufkind == 0 && laid > done) {
		end = min_u(laid, done + 256);
		for (i = done; i < end; i++)
			if (IOR[i] != 0xa5) {
				out->canary_bad = (uint32_t)(i - done + 1);
				break;
			}
	}
}

static void exec_op(const struct op *op, struct outcome *out)
{
	int fd = opfd(op);
	unsigned char *buf;
	ull laid;
	void *arg;

	out->rc = 0;
	memset(out->r, 0, sizeof(out->r));
	out->canary_bad = 0;
	out->ndata = 0;
	memset(&out->o, 0, sizeof(out->o));

	switch (op->kind) {
	case K_ADD: {
		struct wms_add add;

		memset(&add, 0, sizeof(add));
		setname(add.name, op);
		add.size = op->a;
		add.flags = op->flags;
		add.mode = op->mode;
		if (op->resv)
			add.reserved[op->resv - 1] = op->rv;
		arg = argp(op, &add, sizeof(add));
		out->t0 = now_ns();
		out->rc = rr(ioctl(fd, WMS_IOC_ADD, arg));
		out->t1 = now_ns();
		out->o.add = add;
		break;
	}
	case K_REMOVE:
	case K_ATTACH: {
		struct wms_name nm;

		memset(&nm, 0, sizeof(nm));
		setname(nm.name, op);
		if (op->resv)
			nm.reserved = op->rv;
		arg = argp(op, &nm, sizeof(nm));
		if (op->kind == K_ATTACH)
			out->rc = rr(ioctl(E.slotfd[op->slot], WMS_IOC_ATTACH, arg));
		else
			out->rc = rr(ioctl(fd, WMS_IOC_REMOVE, arg));
		break;
	}
	case K_INFO: {
		struct wms_info in;

		memset(&in, 0, sizeof(in));
		setname(in.name, op);
		if (op->resv)
			in.reserved[op->resv - 1] = op->rv;
		arg = argp(op, &in, sizeof(in));
		out->rc = rr(ioctl(fd, WMS_IOC_INFO, arg));
		out->o.info = in;
		break;
	}
	case K_READ: {
		struct wms_io io;

		memset(&io, 0, sizeof(io));
		setname(io.name, op);
		io.offset = op->a;
		io.len = op->b;
		buf = userbuf(IOR, op);
		io.buf = UPTR(buf);
		if (op->resv)
			io.reserved = op->rv;
		laid = canary_lay(op, op->b);
		arg = argp(op, &io, sizeof(io));
		out->rc = rr(ioctl(fd, WMS_IOC_READ, arg));
		out->o.io = io;
		if (!out->rc)
			read_result(op, out, buf, io.len, laid);
		break;
	}
	case K_WRITE: {
		struct wms_io io;

		memset(&io, 0, sizeof(io));
		setname(io.name, op);
		io.offset = op->a;
		io.len = op->b;
		buf = userbuf(SRC, op);
		prep_src(buf, op);
		io.buf = UPTR(buf);
		if (op->resv)
			io.reserved = op->rv;
		arg = argp(op, &io, sizeof(io));
		out->rc = rr(ioctl(fd, WMS_IOC_WRITE, arg));
		out->o.io = io;
		break;
	}
	case K_LIST: {
		struct wms_list l;
		ull n = min_u(op->count, LISTCAP), i, j;

		memset(&l, 0, sizeof(l));
		l.cursor = op->acc ? E.walk : 0;
		l.entries = op->bufkind == 1 ? 0 : UPTR(LST);
		l.count = op->count;
		if (op->resv == 1)
			l.reserved0 = (uint32_t)op->rv;
		else if (op->resv)
			l.reserved[op->resv - 2] = op->rv;
		memset(LST, 0xa5, n * sizeof(struct wms_list_entry));
		arg = argp(op, &l, sizeof(l));
		out->rc = rr(ioctl(fd, WMS_IOC_LIST, arg));
		out->o.list = l;
		if (!out->rc) {
			if (l.count <= LISTCAP) {
				memcpy(out->data, LST, l.count * sizeof(struct wms_list_entry));
				out->ndata = l.count;
				for (i = l.count * sizeof(struct wms_list_entry), j = 0;
				     i < n * sizeof(struct wms_list_entry) && j < 2 * 280; i++, j++)
					if (LST[i] != 0xa5) {
						out->canary_bad = 1;
						break;
					}
			}
			E.walk = l.cursor;
		}
		out->walk = E.walk;
		break;
	}
	case K_BADCMD: {
		static unsigned char junk[1024];

		memset(junk, 0, sizeof(junk));
		out->rc = rr(ioctl(fd, badcmds[op->flags % NBADCMDS], junk));
		break;
	}
	case K_OPEN: {
		static const int accs[3] = { O_RDWR, O_RDONLY, O_WRONLY };

		if (E.slotfd[op->slot] >= 0)
			close(E.slotfd[op->slot]);
		E.slotfd[op->slot] = open(WMS_DEVICE_PATH, accs[op->acc % 3] | O_CLOEXEC);
		out->rc = E.slotfd[op->slot] < 0 ? -errno : 0;
		break;
	}
	case K_CLOSE:
		out->rc = rr(close(E.slotfd[op->slot]));
		E.slotfd[op->slot] = -1;
		break;
	case K_DUP:
		if (E.slotfd[op->slot] < 0) {
			out->rc = -EBADF;
		} else if (op->slot != op->slot2) {
			if (E.slotfd[op->slot2] >= 0)
				close(E.slotfd[op->slot2]);
			E.slotfd[op->slot2] = fcntl(E.slotfd[op->slot], F_DUPFD_CLOEXEC, 0);
			out->rc = E.slotfd[op->slot2] < 0 ? -errno : 0;
		}
		break;
	case K_FREAD:
	case K_PREAD:
		buf = userbuf(IOR, op);
		laid = canary_lay(op, op->b);
		if (op->kind == K_FREAD)
			out->rc = rr(read(E.slotfd[op->slot], buf, (size_t)op->b));
		else
			out->rc = rr(pread(E.slotfd[op->slot], buf, (size_t)op->b, (off_t)op->a));
		if (out->rc >= 0)
			read_result(op, out, buf, (ull)out->rc, laid);
		break;
	case K_FWRITE:
	case K_PWRITE:
		buf = userbuf(SRC, op);
		prep_src(buf, op);
		if (op->kind == K_FWRITE)
			out->rc = rr(write(E.slotfd[op->slot], buf, (size_t)op->b));
		else
			out->rc = rr(pwrite(E.slotfd[op->slot], buf, (size_t)op->b, (off_t)op->a));
		break;
	case K_LSEEK:
		out->rc = rr(lseek(E.slotfd[op->slot], (off_t)op->a, (int)op->mode));
		break;
	case K_MMAP: {
		void *p;

		if (E.maddr[op->mslot]) {
			munmap(E.maddr[op->mslot], E.mlen[op->mslot]);
			E.maddr[op->mslot] = NULL;
		}
		p = mmap(NULL, (size_t)op->b, (int)op->mode, (int)op->flags,
			 E.slotfd[op->slot], (off_t)op->a);
		if (p == MAP_FAILED) {
			out->rc = -errno;
		} else {
			E.maddr[op->mslot] = p;
			E.mlen[op->mslot] = (size_t)((op->b + PG - 1) & ~(PG - 1));
		}
		break;
	}
	case K_MUNMAP:
		if (E.maddr[op->mslot]) {
			out->rc = rr(munmap(E.maddr[op->mslot], E.mlen[op->mslot]));
			E.maddr[op->mslot] = NULL;
		}
		break;
	case K_MPROTECT:
		if (E.maddr[op->mslot])
			out->rc = rr(mprotect(E.maddr[op->mslot], E.mlen[op->mslot], (int)op->mode));
		break;
	case K_MCHECK:
	case K_MSTORE: {
		volatile int sig;

		if (!E.maddr[op->mslot])
			break;
		g_in_access = 1;
		sig = sigsetjmp(g_jb, 1);
		if (!sig) {
			if (op->kind == K_MCHECK) {
				memcpy(out->data, E.maddr[op->mslot], E.mlen[op->mslot]);
				out->ndata = (uint32_t)E.mlen[op->mslot];
			} else {
				fill(SRC, op->b, op->dseed);
				memcpy((unsigned char *)E.maddr[op->mslot] + op->a, SRC, op->b);
			}
		} else {
			out->rc = -(ERR_SIG + sig);
		}
		g_in_access = 0;
		break;
	}
	case K_APROBE: {
		struct wms_name nm;
		struct wms_info in;
		void *p;
		int afd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

		if (afd < 0) {
			out->rc = -1000 - errno;
			break;
		}
		memset(&nm, 0, sizeof(nm));
		setname(nm.name, op);
		if (op->resv)
			nm.reserved = op->rv;
		out->rc = rr(ioctl(afd, WMS_IOC_ATTACH, &nm));
		if (!out->rc) {
			out->r[0] = rr(write(afd, SRC, 0));
			p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
			out->r[1] = p == MAP_FAILED ? -errno : 0;
			if (p != MAP_FAILED)
				munmap(p, PG);
			out->r[2] = rr(read(afd, IOR, 64));
			if (out->r[2] > 0)
				memcpy(out->data, IOR, (size_t)out->r[2]);
			memset(&in, 0, sizeof(in));
			memcpy(in.name, nm.name, NAME_LEN);
			out->r[3] = rr(ioctl(afd, WMS_IOC_INFO, &in));
			out->r[4] = in.attached;
		}
		close(afd);
		break;
	}
	case K_SETPARAM: {
		char path[128], v[32];
		int pfd;

		snprintf(path, sizeof(path), PARAM_DIR "%s", pname[op->pidx]);
		snprintf(v, sizeof(v), "%llu\n", (ull)op->a);	/* absolute by now */
		pfd = open(path, O_WRONLY | O_CLOEXEC);
		if (pfd < 0) {
			out->rc = -errno;
			break;
		}
		out->rc = write(pfd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -errno;
		close(pfd);
		break;
	}
	}
}

static bool lowered = true;
static ull L_rel[L_N];			/* the run's limits (entries/total relative to baseline) */


/* ------------------------------------------------------------------ */
/* Generator                                                           */
/* ------------------------------------------------------------------ */

static uint32_t g_grp;

static int live_pool_name(void)
{
	int cand[MAXNAMES], n = 0, i;

	for (i = 0; i < nvalid; i++)
		if (M.byname[i])
			cand[n++] = i;
	return n ? cand[rn((uint64_t)n)] : (int)rn((uint64_t)nvalid);
}

static int pick_name(int existing_pct)
{
	unsigned int r = (unsigned int)rn(100);

	if (r < (unsigned int)existing_pct)
		return live_pool_name();
	if (r < 92)
		return (int)rn((uint64_t)nvalid);
	return nvalid + (int)rn((uint64_t)(nnames - nvalid));
}

static ull name_size(int n)
{
	return n < nvalid && M.byname[n] ? M.byname[n]->size : rn(3 * PG + 1);
}

/* pref: 1 attached, 2 open and not attached, 3 closed */
static int pick_slot(int pref)
{
	int cand[NSLOTS], n = 0, s;

	for (s = 0; s < NSLOTS; s++) {
		struct mfile *f = m_slot(s);

		if ((pref == 1 && f && f->obj) || (pref == 2 && f && !f->obj) ||
		    (pref == 3 && !f))
			cand[n++] = s;
	}
	return n ? cand[rn((uint64_t)n)] : (int)rn(NSLOTS);
}

static int pick_map(int need_prot)
{
	int cand[NMAPS], n = 0, m;

	for (m = 0; m < NMAPS; m++)
		if (M.map[m].used && (M.map[m].prot & need_prot) == need_prot)
			cand[n++] = m;
	return n ? cand[rn((uint64_t)n)] : -1;
}

static ull room(ull used, ull limit)
{
	return limit > used ? limit - used : 0;
}

static ull gen_size(int c)
{
	const ull pages[] = { 0, 1, PG - 1, PG, PG + 1, 2 * PG - 1, 2 * PG, 3 * PG - 1,
				     3 * PG, 3 * PG + 1 };
	static const ull huge[] = { ~0ULL, 1ULL << 63, 1ULL << 32, (1ULL << 32) + 1,
				    (1ULL << 32) + 4096 };
	unsigned int r = (unsigned int)rn(100);
	ull s, b;

	if (r < 40) {
		s = rn(3 * PG + 1);
	} else if (r < 55) {
		s = pages[rn(sizeof(pages) / sizeof(pages[0]))];
	} else if (r < 77) {
		switch (rn(3)) {
		case 0:
			b = M.lim[L_SIZE];	/* the size asked counts */
			break;
		case 1:
			b = room(M.total, M.lim[L_TOTAL]);
			break;
		default:
			b = c ? room(M.ubytes[c], M.lim[L_USER]) : room(M.total, M.lim[L_TOTAL]);
			break;
		}
		/* Byte limits count whole pages: their edge is a page boundary. */
		if (b != M.lim[L_SIZE] && pct(50))
			b -= b % m_charge(1);
		s = b + rn(3) - 1;
		if (b == 0 && s == ~0ULL)
			s = 0;
	} else if (r < 83) {
		s = huge[rn(sizeof(huge) / sizeof(huge[0]))];
		if (s == (1ULL << 32) + 4096)
			s = M.lim[L_SIZE] + (1ULL << 32);
	} else {
		s = rn(65);
	}
	if (s > MAX_CREATE && s <= M.lim[L_SIZE])
		s = rn(3 * PG + 1);
	return s;
}

static uint32_t gen_mode(void)
{
	static const uint32_t modes[] = {
		0, 0600, 0644, 0640, 0604, 0660, 0606, 0666, 0400, 0200, 0440, 0404,
		0060, 0006, 0777, 0700, 0070, 0007, 0044, 0022, 07000, 0400644, 0620, 0462,
	};

	if (pct(25))
		return (uint32_t)rnd();
	return modes[rn(sizeof(modes) / sizeof(modes[0]))];
}

static void gen_common_ioctl(struct op *op, int nresv, bool ro_ok)
{
	if (op->ctx == 0 || op->ctx >= CTX_FORK)
		if (pct(8))
			op->via = (uint8_t)(1 + rn(NSLOTS));
	if (pct(1))
		op->argmode = 1;
	else if (ro_ok && pct(1))
		op->argmode = 2;
	if (nresv && pct(3)) {
		op->resv = (uint8_t)(1 + rn((uint64_t)nresv));
		op->rv = pct(50) ? 1ULL << rn(64) : rnd();
		if (!op->rv)
			op->rv = 1;
		if (op->kind == K_LIST && op->resv == 1 && !(uint32_t)op->rv)
			op->rv = 0x80000000u;
	}
	if (pct(5))
		op->junk = (uint8_t)(1 + rn(200));
}

/* offset and len of a READ or WRITE on an entry of size S */
static void gen_off_len(ull S, ull *off, ull *len)
{
	switch (rn(16)) {
	case 0:
		*off = 0;
		*len = S;
		break;
	case 1:
		*off = rn(S + 1);
		*len = S - *off + 1;
		break;
	case 2:
		*off = S;
		*len = 0;
		break;
	case 3:
		*off = S + 1 + rn(3);
		*len = 0;
		break;
	case 4:
		*off = S;
		*len = 1;
		break;
	case 5:
		*off = rn(S + 1);
		*len = 0;
		break;
	case 6:
		*off = pct(50) ? 1ULL << 63 : ~0ULL - rn(10);
		*len = rn(12);
		break;
	case 7:
		*off = rn(S + 1);
		*len = ~0ULL - *off + 1 + rn(3);
		break;
	case 8:
		*off = rn(S + 1);
		*len = ~0ULL - *off;
		break;
	case 9:
		*off = rn(2 * S + 8192);
		*len = rn(8192);
		break;
	case 10:
		*off = 0;
		*len = rn(S + 4096);
		break;
	default:
		*off = rn(S + 1);
		*len = rn(S - *off + 1);
		break;
	}
}

static void gen_buf(struct op *op, ull need)
{
	unsigned int r = (unsigned int)rn(100);

	if (r < 3) {
		op->bufkind = 1;
	} else if (r < 6 && need <= IOSZ) {
		op->bufkind = 2;
		op->part = need && pct(70) ? rn(need) : need;
	}
}

static const uint8_t fork_kinds[] = {
	K_ADD, K_REMOVE, K_INFO, K_READ, K_WRITE, K_LIST, K_ATTACH, K_FREAD, K_FWRITE,
	K_PREAD, K_PWRITE, K_LSEEK, K_MCHECK, K_MSTORE, K_APROBE, K_BADCMD,
};

/* Fill op for kind; false if the state does not allow it now. */
static bool gen_kind(struct op *op, int kind)
{
	int c = op_cred(op);
	struct mfile *f;
	ull S, P, off, len;
	int m;

	op->kind = (uint8_t)kind;
	op->dseed = (uint32_t)rnd();
	switch (kind) {
	case K_ADD:
		op->name = (uint16_t)pick_name(35);
		op->a = gen_size(c);
		/*
		 * Over a byte limit lowered below what is in use, an empty
		 * entry is refused too: ask for one often enough to see it.
		 */
		if ((M.total > M.lim[L_TOTAL] || (c && M.ubytes[c] > M.lim[L_USER]) ||
		     (c && M.uents[c] >= M.lim[L_UENT])) && pct(25))
			op->a = 0;
		op->flags = pct(70) ? 0 : pct(65) ? WMS_ADD_EXCL :
			    (uint32_t[]){ WMS_ADD_CREATED, 2, 1u << 30, 0xffffffffu,
					  WMS_ADD_EXCL | 4 }[rn(5)];
		op->mode = gen_mode();
		gen_common_ioctl(op, 2, true);
		return true;
	case K_REMOVE:
		op->name = (uint16_t)pick_name(75);
		gen_common_ioctl(op, 1, true);	/* _IOW: nothing is copied out */
		return true;
	case K_INFO:
	case K_APROBE:
		op->name = (uint16_t)pick_name(80);
		if (kind == K_INFO)
			gen_common_ioctl(op, 4, true);
		else if (pct(3))
			op->resv = 1, op->rv = 1;
		return true;
	case K_READ:
	case K_WRITE:
		op->name = (uint16_t)pick_name(85);
		S = name_size(op->name);
		gen_off_len(S, &off, &len);
		op->a = off;
		op->b = len;
		if (kind == K_READ)
			gen_buf(op, off >= S ? 0 : min_u(len, S - off));
		else if (len <= IOSZ)
			gen_buf(op, len);
		gen_common_ioctl(op, 1, kind == K_READ || len > 0);
		return true;
	case K_LIST:
		op->acc = pct(60) ? 1 : 0;
		op->count = (uint32_t)(pct(5) ? 0 : pct(70) ? 1 + rn(6) : pct(50) ? 1 + rn(LISTCAP) :
				       pct(50) ? 0xffffffffu : 1u << rn(32));
		if (op->count > LISTCAP && M.nlive + FORKMAX > LISTCAP)
			op->count = LISTCAP;
		if (pct(2))
			op->bufkind = 1;
		gen_common_ioctl(op, 3, true);
		return true;
	case K_ATTACH:
		op->slot = (uint8_t)pick_slot(pct(85) ? 2 : pct(60) ? 1 : 3);
		op->name = (uint16_t)pick_name(85);
		gen_common_ioctl(op, 1, true);
		op->via = 0;
		return true;
	case K_BADCMD:
		op->flags = (uint32_t)rn(NBADCMDS);
		gen_common_ioctl(op, 0, false);
		op->argmode = 0;
		return true;
	case K_OPEN:
		op->slot = (uint8_t)pick_slot(pct(90) ? 3 : 0);
		op->acc = pct(86) ? 0 : pct(70) ? 1 : 2;
		return true;
	case K_CLOSE:
		op->slot = (uint8_t)(pct(95) ? pick_slot(pct(50) ? 1 : 2) : (int)rn(NSLOTS));
		if (!m_slot(op->slot) && !pct(10))
			return false;
		return true;
	case K_DUP:
		op->slot = (uint8_t)pick_slot(1);
		op->slot2 = (uint8_t)pick_slot(3);
		return op->slot != op->slot2;
	case K_FREAD:
	case K_FWRITE:
	case K_PREAD:
	case K_PWRITE:
		op->slot = (uint8_t)pick_slot(pct(90) ? 1 : 0);
		f = m_slot(op->slot);
		S = f && f->obj ? f->obj->size : rn(3 * PG);
		P = f ? (ull)f->pos : 0;
		if (kind == K_PREAD || kind == K_PWRITE) {
			switch (rn(12)) {
			case 0:
				P = S;
				break;
			case 1:
				P = S + 1 + rn(100);
				break;
			case 2:
				P = (ull)-1LL;
				break;
			case 3:
				P = 1ULL << 63;
				break;
			case 4:
				P = (ull)INT64_MAX - rn(64);
				break;
			default:
				P = rn(S + 1);
				break;
			}
			op->a = P;
		}
		if (P > S)
			len = rn(100);
		else
			switch (rn(8)) {
			case 0:
				len = 0;
				break;
			case 1:
				len = S - P;
				break;
			case 2:
				len = S - P + 1;
				break;
			case 3:
				len = rn(S + PG);
				break;
			case 4:
				len = rn(64);
				break;
			default:
				len = rn(S - P + 1);
				break;
			}
		if (P >= (ull)INT64_MAX - 200 && P < (1ULL << 63))
			len = 64 + rn(300);
		op->b = len;
		if (kind == K_FREAD || kind == K_PREAD)
			gen_buf(op, P >= S ? 0 : min_u(len, S - P));
		else
			gen_buf(op, len);
		return true;
	case K_LSEEK:
		op->slot = (uint8_t)pick_slot(pct(90) ? 1 : 0);
		f = m_slot(op->slot);
		S = f && f->obj ? f->obj->size : rn(3 * PG);
		P = f ? (ull)f->pos : 0;
		op->mode = pct(95) ? (uint32_t)rn(5) : (uint32_t[]){ 5, 7, 99, 0xffffffffu }[rn(4)];
		switch (rn(12)) {
		case 0:
			op->a = 0;
			break;
		case 1:
			op->a = S;
			break;
		case 2:
			op->a = S + 1;
			break;
		case 3:
			op->a = (ull)-(sll)rn(S + 2);
			break;
		case 4:
			op->a = (ull)INT64_MAX - rn(2);
			break;
		case 5:
			op->a = (ull)INT64_MIN + rn(2);
			break;
		case 6:
			op->a = (ull)-(sll)P - rn(2);
			break;
		case 7:
			op->a = S - P + rn(3) - 1;
			break;
		default:
			op->a = rn(S + 1);
			break;
		}
		return true;
	case K_MMAP: {
		ull nr, np, pg;

		op->slot = (uint8_t)pick_slot(pct(88) ? 1 : 0);
		f = m_slot(op->slot);
		S = f && f->obj ? f->obj->size : rn(3 * PG);
		nr = (S + PG - 1) / PG;
		np = nr ? 1 + rn(nr) : 1;
		if (pct(8))
			np = nr + 1;
		pg = pct(70) ? 0 : rn(nr + 1);
		if (pct(60) && pg + np > nr && nr > pg)
			np = nr - pg;
		len = np * PG;
		if (pct(20) && len)
			len -= rn(PG);
		if (pct(3))
			len = 0;
		op->b = len;
		op->a = pg * PG + (pct(3) ? 1 + rn(PG - 1) : 0);
		op->mode = pct(60) ? PROT_READ | PROT_WRITE : PROT_READ;
		op->flags = pct(85) ? MAP_SHARED : pct(66) ? MAP_PRIVATE : MAP_SHARED_VALIDATE;
		for (m = 0; m < NMAPS && M.map[m].used; m++)
			;
		op->mslot = (uint8_t)(m < NMAPS ? m : (int)rn(NMAPS));
		return true;
	}
	case K_MUNMAP:
	case K_MPROTECT:
		m = pick_map(0);
		if (m < 0)
			return false;
		op->mslot = (uint8_t)m;
		op->mode = pct(60) ? PROT_READ | PROT_WRITE : PROT_READ;
		return true;
	case K_MCHECK:
		m = pick_map(PROT_READ);
		if (m < 0)
			return false;
		op->mslot = (uint8_t)m;
		return true;
	case K_MSTORE: {
		const struct mmapm *mp;
		ull v;

		m = pick_map(PROT_WRITE);
		if (m < 0)
			return false;
		mp = &M.map[m];
		v = min_u(mp->np * PG, mp->obj->size - mp->pg * PG);
		op->mslot = (uint8_t)m;
		if (pct(20)) {
			op->a = 0;
			op->b = v;
		} else {
			op->a = rn(v);
			op->b = 1 + rn(min_u(v - op->a, 2 * PG));
		}
		return true;
	}
	case K_SETPARAM:
		op->pidx = (uint8_t)rn(L_N);
		if (pct(55)) {
			op->a = L_rel[op->pidx];
			return true;
		}
		switch (op->pidx) {
		case L_ENT:
			S = (ull)M.nlive - M.base_entries;
			op->a = (ull[]){ 0, S, S + 1, S + 2, S + 5 }[rn(5)];
			if (!S && !op->a)
				op->a = rn(3);
			if (op->a == (ull)-1)
				op->a = 0;
			break;
		case L_SIZE:
			op->a = (ull[]){ 0, 1, PG, 3 * PG, 3 * PG + 1, 40000 }[rn(6)];
			break;
		case L_TOTAL:
			S = M.total - M.base_bytes;
			op->a = (ull[]){ S ? S - 1 : 0, S, S + 1, S + 5000, S + 3 * PG }[rn(5)];
			break;
		case L_UENT:
			S = M.uents[1 + rn(NW)];
			op->a = (ull[]){ 0, S, S + 1, S + 2, 1024 }[rn(5)];
			break;
		default:
			op->a = (ull[]){ 0, 1, 5000, 3 * PG, 100000 }[rn(5)];
			break;
		}
		return true;
	}
	return false;
}

static const struct { uint8_t kind; uint8_t w; } parent_mix[] = {
	{ K_ADD, 12 }, { K_REMOVE, 5 }, { K_INFO, 7 }, { K_READ, 11 }, { K_WRITE, 11 },
	{ K_LIST, 5 }, { K_ATTACH, 5 }, { K_BADCMD, 1 }, { K_OPEN, 3 }, { K_CLOSE, 2 },
	{ K_DUP, 1 }, { K_FREAD, 5 }, { K_FWRITE, 5 }, { K_PREAD, 4 }, { K_PWRITE, 4 },
	{ K_LSEEK, 5 }, { K_MMAP, 3 }, { K_MUNMAP, 2 }, { K_MPROTECT, 1 }, { K_MCHECK, 3 },
	{ K_MSTORE, 3 }, { K_APROBE, 1 },
};

static const struct { uint8_t kind; uint8_t w; } worker_mix[] = {
	{ K_ADD, 30 }, { K_REMOVE, 10 }, { K_INFO, 10 }, { K_READ, 15 }, { K_WRITE, 15 },
	{ K_LIST, 8 }, { K_APROBE, 10 }, { K_BADCMD, 2 },
};

#define PICK(mix) ({							\
	unsigned int __t = 0, __i, __r;					\
	for (__i = 0; __i < sizeof(mix) / sizeof(mix[0]); __i++)	\
		__t += mix[__i].w;					\
	__r = (unsigned int)rn(__t);					\
	for (__i = 0; __r >= mix[__i].w; __i++)				\
		__r -= mix[__i].w;					\
	(int)mix[__i].kind;						\
})

static void gen_one(struct op *op, int ctx)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		int kind;

		memset(op, 0, sizeof(*op));
		op->ctx = (uint8_t)ctx;
		if (ctx == 0)
			kind = PICK(parent_mix);
		else if (ctx < CTX_FORK)
			kind = PICK(worker_mix);
		else
			kind = fork_kinds[rn(sizeof(fork_kinds))];
		if (gen_kind(op, kind))
			return;
	}
	memset(op, 0, sizeof(*op));
	op->ctx = (uint8_t)ctx;
	gen_kind(op, K_INFO);
}

/* The next group of ops: one op, or a forked child's ops and the parent's checks. */
static int gen_group(struct op *g)
{
	uint64_t r = rn(100000);
	int n = 0, k, ctx;
	ull size;

	if (r < 67) {		/* ~1 in 1500: a forked child */
		ctx = CTX_FORK + (int)rn(NCRED);
		g_grp++;
		size = name_size(N_FORK);
		memset(&g[n], 0, sizeof(g[n]));
		g[n].ctx = (uint8_t)ctx;
		g[n].grp = g_grp;
		g[n].kind = K_ADD;
		g[n].name = (uint16_t)N_FORK;
		g[n].a = M.byname[N_FORK] ? rn(2 * PG) : (size = 1 + rn(2 * PG));
		g[n].mode = gen_mode();
		n++;
		memset(&g[n], 0, sizeof(g[n]));
		g[n].ctx = (uint8_t)ctx;
		g[n].grp = g_grp;
		g[n].kind = K_WRITE;
		g[n].name = (uint16_t)N_FORK;
		g[n].b = rn(size + 1);
		g[n].dseed = (uint32_t)rnd();
		n++;
		k = (int)rn(4);
		if (ctx != CTX_FORK && pct(60)) {
			/* an unprivileged child ATTACHes a file it shares with the parent */
			memset(&g[n], 0, sizeof(g[n]));
			g[n].ctx = (uint8_t)ctx;
			g[n].grp = g_grp;
			gen_kind(&g[n], K_ATTACH);
			g[n].slot = (uint8_t)pick_slot(2);
			n++;
			k = k > 2 ? 2 : k;
		}
		for (; k > 0; k--) {
			gen_one(&g[n], ctx);
			g[n].grp = g_grp;
			n++;
		}
		memset(&g[n], 0, sizeof(g[n]));
		g[n].kind = K_INFO;
		g[n].name = (uint16_t)N_FORK;
		n++;
		memset(&g[n], 0, sizeof(g[n]));
		g[n].kind = K_READ;
		g[n].name = (uint16_t)N_FORK;
		g[n].b = MAX_CREATE;
		n++;
		return n;
	}
	if (lowered && r < 67 + 50) {	/* ~1 in 2000: change a limit */
		memset(&g[0], 0, sizeof(g[0]));
		gen_kind(&g[0], K_SETPARAM);
		return 1;
	}
	ctx = pct(8) ? 1 + (int)rn(NW) : 0;
	gen_one(&g[0], ctx);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Workers, forked children                                            */
/* ------------------------------------------------------------------ */

struct shared {
	struct op wop[NW];
	ull wwalk[NW];
	struct op fop[FORKMAX];
	int nfop;
	ull fwalk;
};

static struct shared *SH;
static struct outcome *WOUT[NW], *FOUT[FORKMAX], *LOUT;
static struct { pid_t pid; int req, resp; } W[NW];
static bool g_error;

static void worker_main(int w, int req, int resp)
{
	unsigned char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != g_main_pid)
		_exit(0);
	close(E.mainfd);
	if (drop_to(w + 1)) {
		perror("wms_fuzz: worker: dropping privileges");
		_exit(3);
	}
	E.mainfd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (E.mainfd < 0)
		_exit(3);
	while (read(req, &b, 1) == 1) {
		E.walk = SH->wwalk[w];
		exec_op(&SH->wop[w], WOUT[w]);
		SH->wwalk[w] = E.walk;
		if (write(resp, &b, 1) != 1)
			break;
	}
	_exit(0);
}

static void start_workers(void)
{
	int w, p1[2], p2[2];

	for (w = 0; w < NW; w++) {
		if (pipe2(p1, O_CLOEXEC) || pipe2(p2, O_CLOEXEC)) {
			perror("wms_fuzz: pipe");
			exit(2);
		}
		fflush(stdout);
		W[w].pid = fork();
		if (W[w].pid < 0) {
			perror("wms_fuzz: fork");
			exit(2);
		}
		if (!W[w].pid) {
			int k;

			for (k = 0; k < w; k++) {
				close(W[k].req);
				close(W[k].resp);
			}
			close(p1[1]);
			close(p2[0]);
			worker_main(w, p1[0], p2[1]);
		}
		close(p1[0]);
		close(p2[1]);
		W[w].req = p1[1];
		W[w].resp = p2[0];
	}
}

static void stop_workers(void)
{
	int w;

	for (w = 0; w < NW; w++) {
		if (W[w].pid <= 0)
			continue;
		close(W[w].req);
		close(W[w].resp);
		waitpid(W[w].pid, NULL, 0);
		W[w].pid = 0;
	}
}

static bool run_in_worker(const struct op *op, struct outcome **out)
{
	int w = op->ctx - 1;
	unsigned char b = 1;

	SH->wop[w] = *op;
	SH->wwalk[w] = E.walk;
	if (write(W[w].req, &b, 1) != 1 || read(W[w].resp, &b, 1) != 1) {
		diag("error: worker %s does not answer", creds[w + 1].label);
		g_error = true;
		return false;
	}
	E.walk = SH->wwalk[w];
	*out = WOUT[w];
	return true;
}

static bool run_forked(const struct op *ops, int n)
{
	int c = op_cred(&ops[0]), i, st;
	pid_t pid;

	memcpy(SH->fop, ops, (size_t)n * sizeof(*ops));
	SH->nfop = n;
	SH->fwalk = E.walk;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		diag("error: fork: %s", strerror(errno));
		g_error = true;
		return false;
	}
	if (!pid) {
		if (drop_to(c))
			_exit(3);
		for (i = 0; i < n; i++)
			exec_op(&SH->fop[i], FOUT[i]);
		SH->fwalk = E.walk;
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		diag("error: forked child (%s) ended with status %#x", creds[c].label, st);
		g_error = true;
		return false;
	}
	E.walk = SH->fwalk;
	return true;
}

/* ------------------------------------------------------------------ */
/* Registry setup, cleanup, parameters, counters                       */
/* ------------------------------------------------------------------ */

static char orig_param[L_N][32];
static bool params_saved, params_touched;

static bool read_file_ull(const char *path, ull *v)
{
	char b[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return false;
	b[n] = 0;
	*v = strtoull(b, NULL, 10);
	return true;
}

static bool write_param(int p, const char *v)
{
	char path[128];
	int fd;
	ssize_t n;
	size_t len = strlen(v);

	snprintf(path, sizeof(path), PARAM_DIR "%s", pname[p]);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, v, len);
	close(fd);
	return n == (ssize_t)len;
}

/* Async-signal-safe enough: open/write/close of saved strings. */
static void restore_params(void)
{
	int p;

	if (!params_saved || !params_touched || getpid() != g_main_pid)
		return;
	for (p = 0; p < L_N; p++)
		write_param(p, orig_param[p]);
	params_touched = false;
}

static void on_term(int sig)
{
	restore_params();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_crash(int sig)
{
	if (g_in_access)
		siglongjmp(g_jb, sig);
	restore_params();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void save_params(void)
{
	int p;
	ull v;

	for (p = 0; p < L_N; p++) {
		char path[128];

		snprintf(path, sizeof(path), PARAM_DIR "%s", pname[p]);
		if (!read_file_ull(path, &v)) {
			diag("error: cannot read %s", path);
			exit(2);
		}
		snprintf(orig_param[p], sizeof(orig_param[p]), "%llu\n", v);
	}
	params_saved = true;
}

static bool read_counters(ull *entries, ull *bytes)
{
	return read_file_ull(STAT_DIR "entries", entries) && read_file_ull(STAT_DIR "bytes", bytes);
}

static bool g_have_counters, g_have_proc;

/* The files of M.ctr[] in STAT_DIR, in its order; compared with /proc. */
static const char *const ctr_file[CT_N] = {
	"peak_bytes", "adds", "removes", "failed_adds/EPERM", "failed_adds/EINVAL",
	"failed_adds/ENAMETOOLONG", "failed_adds/EEXIST", "failed_adds/EFBIG",
	"failed_adds/ENOSPC", "failed_adds/ENOMEM",
};
static bool g_have_ctr[CT_N];

static bool read_ctr(int k, ull *v)
{
	char path[128];

	snprintf(path, sizeof(path), STAT_DIR "%s", ctr_file[k]);
	return read_file_ull(path, v);
}

/*
 * /proc/driver/wms as docs/admin.md describes it: a header line, then per entry
 * in creation order "name size uid gid mode attached", the name with every
 * byte outside 0x21..0x7e, and the backslash, as \ooo (ABI v2).  (Attached
 * counts of entries the fuzzer did not make are not known to the model.)
 */
static bool check_proc(void)
{
	static char buf[1 << 17], want[4 * NAME_LEN + 128];
	size_t len = 0, wl;
	ssize_t r;
	char *p, *nl;
	int fd = open("/proc/driver/wms", O_RDONLY | O_CLOEXEC), k;

	if (fd < 0)
		return mismatch("open /proc/driver/wms: %s", strerror(errno));
	while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = 0;
	p = buf;
	nl = strchr(p, '\n');
	if (!nl || strncmp(p, "name size uid gid mode attached\n", (size_t)(nl - p) + 1))
		return mismatch("/proc/driver/wms header: \"%.60s\"", p);
	p = nl + 1;
	for (k = 0; k < M.nlive; k++) {
		const struct mobj *o = M.live[k];
		const unsigned char *n = obj_name(o);
		size_t i;

		for (wl = 0, i = 0; n[i] && i < NAME_LEN; i++) {
			if (n[i] < 0x21 || n[i] > 0x7e || n[i] == '\\')
				wl += (size_t)sprintf(want + wl, "\\%03o", n[i]);
			else
				want[wl++] = (char)n[i];
		}
		wl += (size_t)sprintf(want + wl, " %llu %u %u %04o ", o->size, o->uid, o->gid, o->mode);
		if (o->cred >= 0)
			wl += (size_t)sprintf(want + wl, "%u\n", o->attached);
		nl = strchr(p, '\n');
		if (!nl || strncmp(p, want, wl))
			return mismatch("/proc/driver/wms line %d: \"%.*s\", want \"%.*s\"", k + 1,
					nl ? (int)(nl - p) : 40, p, (int)wl - (o->cred >= 0), want);
		p = nl + 1;
	}
	if (*p)
		return mismatch("/proc/driver/wms has more lines than the %d entries: \"%.60s\"",
				M.nlive, p);
	return true;
}

static bool check_counters(bool with_proc)
{
	ull ent, bytes, v;
	int k;

	if (with_proc && g_have_proc && !check_proc())
		return false;
	for (k = 0; with_proc && k < CT_N; k++) {
		if (!g_have_ctr[k])
			continue;
		if (!read_ctr(k, &v))
			return mismatch("cannot read " STAT_DIR "%s", ctr_file[k]);
		if (v != M.ctr[k])
			return mismatch("counter " STAT_DIR "%s=%llu, want %llu", ctr_file[k], v,
					M.ctr[k]);
	}
	if (!g_have_counters)
		return true;
	if (!read_counters(&ent, &bytes))
		return mismatch("cannot read " STAT_DIR "{entries,bytes}");
	if (ent != (ull)M.nlive || bytes != M.total)
		return mismatch("counters " STAT_DIR "entries=%llu bytes=%llu, want entries=%d bytes=%llu",
				ent, bytes, M.nlive, M.total);
	return true;
}

static int is_pool_name(const char *n)
{
	int i;

	for (i = 0; i < nvalid; i++)
		if (!strncmp(n, names[i].f, NAME_LEN))
			return i;
	return -1;
}

/* Remove every pool name; true if something was there. */
static int remove_pool(void)
{
	struct wms_name nm;
	int i, n = 0;

	for (i = 0; i < nvalid; i++) {
		memset(&nm, 0, sizeof(nm));
		memcpy(nm.name, names[i].f, NAME_LEN);
		if (!ioctl(E.mainfd, WMS_IOC_REMOVE, &nm))
			n++;
	}
	return n;
}

/*
 * A clean start: no fd, no mapping, no pool name in the registry; the model
 * holds what else is there (foreign entries, and bytes of removed entries
 * still referenced elsewhere); the run's limits are set.
 */
static bool reset_world(bool quiet)
{
	struct wms_list l;
	struct wms_list_entry *recs = (struct wms_list_entry *)LST;
	ull ent = 0, bytes = 0, fsum = 0;
	unsigned int i;
	int s, p;

	for (s = 0; s < NSLOTS; s++) {
		if (E.slotfd[s] >= 0)
			close(E.slotfd[s]);
		E.slotfd[s] = -1;
	}
	for (s = 0; s < NMAPS; s++) {
		if (E.maddr[s])
			munmap(E.maddr[s], E.mlen[s]);
		E.maddr[s] = NULL;
	}
	E.walk = 0;
	remove_pool();
	m_free();
	memset(&M, 0, sizeof(M));
	for (s = 0; s < NSLOTS; s++)
		M.slot[s] = -1;

	/* Import what else the registry holds, in its order. */
	memset(&l, 0, sizeof(l));
	for (;;) {
		l.entries = UPTR(recs);
		l.count = LISTCAP;
		if (ioctl(E.mainfd, WMS_IOC_LIST, &l)) {
			diag("error: LIST: %s", strerror(errno));
			return false;
		}
		if (!l.count)
			break;
		for (i = 0; i < l.count; i++) {
			if (is_pool_name(recs[i].name) >= 0) {
				diag("error: pool name still registered after removal");
				return false;
			}
			if (M.nlive >= 512) {
				diag("error: too many foreign entries");
				return false;
			}
			m_import(&recs[i]);
			fsum += m_charge(recs[i].size);
		}
	}
	g_have_counters = read_counters(&ent, &bytes);
	g_have_proc = !access("/proc/driver/wms", R_OK);
	for (p = 0; p < CT_N; p++) {
		g_have_ctr[p] = read_ctr(p, &M.ctr[p]);
		if (!g_have_ctr[p] && !quiet)
			diag("note: no " STAT_DIR "%s: not checked", ctr_file[p]);
	}
	if (!g_have_counters) {
		bytes = fsum;
		if (!quiet)
			diag("note: no " STAT_DIR "{entries,bytes}: counters not checked");
	}
	if (g_have_counters && ent != (ull)M.nlive)
		diag("warning: entries counter %llu, LIST shows %d", ent, M.nlive);
	M.base_entries = (ull)M.nlive;
	M.base_bytes = bytes;
	M.total = bytes;
	if (!quiet && (M.nlive || bytes))
		diag("registry holds %d other entries, %llu bytes (%llu of them not listed)",
		     M.nlive, bytes, bytes - fsum);

	for (p = 0; p < L_N; p++) {
		char path[128], v[32];

		if (lowered) {
			snprintf(v, sizeof(v), "%llu\n", param_abs(p, L_rel[p]));
			params_touched = true;
			if (!write_param(p, v)) {
				diag("error: cannot set %s", pname[p]);
				return false;
			}
		}
		snprintf(path, sizeof(path), PARAM_DIR "%s", pname[p]);
		if (!read_file_ull(path, &M.lim[p]))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Runs                                                                */
/* ------------------------------------------------------------------ */

enum rmode { RM_MAIN, RM_PREFIX, RM_DRY, RM_LIST };

struct rres {
	bool div;
	bool counters;		/* the divergence is in the sysfs counters */
	ull at;			/* index of the diverging op */
	struct op op;
	char why[2048];
	ull done;		/* ops run */
	ull last_ok_check;	/* ops run at the last counter check that passed */
	ull chunks_ok;
};

static ull g_seed;
static ull g_check_from = ~0ULL;	/* compare the counters after every op from here */
static ull g_kind_n[K_NKINDS], g_kind_ok[K_NKINDS], g_ctx_n[3], g_forks;
static unsigned int g_kind_err[K_NKINDS][136];	/* by errno */
static double g_kind_t[K_NKINDS], g_worker_t, g_fork_t;
static double g_deadline;

#define RING 64
static struct op g_ring[RING];

static void verbose_op(ull i, const struct op *op, const struct outcome *out)
{
	char s[512];

	printf("# [%llu] %s -> %s\n", i, op_str(op, s, sizeof(s)), out ? rstr(out->rc) : "(skipped)");
}

/*
 * Run ops: generated from the seed (RM_MAIN, RM_PREFIX), generated without
 * executing them into rec (RM_DRY), or replayed from list (RM_LIST).
 */
static void run(enum rmode mode, ull n, const struct op *list, struct op *rec, struct rres *res)
{
	struct op g[GROUPMAX];
	ull i = 0, next_check = CHECK_EVERY, next_chunk = CHUNK, next_progress = 100000;
	ull next_proc = CHUNK;
	double t0 = mono(), last_print = t0;
	bool exec = mode != RM_DRY;
	int ng, k;

	memset(res, 0, sizeof(*res));
	g_count_cov = mode == RM_MAIN;
	g_why = res->why;
	g_whylen = sizeof(res->why);
	if (exec && !reset_world(mode != RM_MAIN)) {
		g_error = true;
		return;
	}
	if (mode == RM_DRY) {
		/* The same model start as an executing run. */
		if (!reset_world(true)) {
			g_error = true;
			return;
		}
	}
	rng_seed(g_seed, 1);
	g_grp = 0;

	while (i < n) {
		if (list) {
			ng = 1;
			if (list[i].ctx >= CTX_FORK)
				while (i + (ull)ng < n && ng < FORKMAX &&
				       list[i + ng].ctx == list[i].ctx && list[i + ng].grp == list[i].grp)
					ng++;
			memcpy(g, &list[i], (size_t)ng * sizeof(g[0]));
		} else {
			ng = gen_group(g);
			if ((ull)ng > n - i)
				ng = (int)(n - i);
		}
		for (k = 0; k < ng; ) {
			struct outcome *outs[FORKMAX];
			int cnt = 1, j;
			bool skip;

			if (g[k].ctx >= CTX_FORK)
				while (k + cnt < ng && g[k + cnt].ctx == g[k].ctx &&
				       g[k + cnt].grp == g[k].grp)
					cnt++;
			skip = !m_safe(&g[k]);
			for (j = 1; j < cnt; j++)
				skip |= !m_safe(&g[k + j]);
			if (skip && !list)
				diag("warning: generated an unsafe op (%s), skipped", kname[g[k].kind]);
			if (rec)
				memcpy(&rec[i + (ull)k], &g[k], (size_t)cnt * sizeof(g[0]));
			if (exec && !skip) {
				double te = mono();

				if (g[k].ctx == 0) {
					struct op abs = g[k];

					if (abs.kind == K_SETPARAM)
						abs.a = param_abs(abs.pidx, abs.a);
					exec_op(&abs, LOUT);
					outs[0] = LOUT;
					g_kind_t[abs.kind] += mono() - te;
				} else if (g[k].ctx < CTX_FORK) {
					if (!run_in_worker(&g[k], &outs[0]))
						return;
					g_worker_t += mono() - te;
				} else {
					if (!run_forked(&g[k], cnt))
						return;
					for (j = 0; j < cnt; j++)
						outs[j] = FOUT[j];
					g_forks++;
					g_fork_t += mono() - te;
				}
			}
			for (j = 0; j < cnt; j++) {
				const struct op *op = &g[k + j];
				ull idx = i + (ull)k + (ull)j;

				g_ring[idx % RING] = *op;
				if (skip) {
					if (g_verbose)
						verbose_op(idx, op, NULL);
					continue;
				}
				if (g_verbose && exec)
					verbose_op(idx, op, outs[j]);
				if (mode == RM_MAIN) {
					g_kind_n[op->kind]++;
					g_ctx_n[op->ctx == 0 ? 0 : op->ctx < CTX_FORK ? 1 : 2]++;
					if (outs[j]->rc >= 0)
						g_kind_ok[op->kind]++;
					else if (outs[j]->rc > -136)
						g_kind_err[op->kind][-outs[j]->rc]++;
				}
				if (!m_step(op, exec ? outs[j] : NULL)) {
					res->div = true;
					res->at = idx;
					res->op = *op;
					res->done = idx + 1;
					return;
				}
			}
			k += cnt;
		}
		i += (ull)ng;
		res->done = i;
		if (exec && (i >= next_check || i == n || i > g_check_from)) {
			bool proc = i >= next_proc || i == n || i > g_check_from;

			while (next_check <= i)
				next_check += CHECK_EVERY;
			while (next_proc <= i)
				next_proc += CHUNK;
			if (!check_counters(proc)) {
				res->div = true;
				res->counters = true;
				res->at = i - 1;
				res->op = g[ng - 1];
				return;
			}
			res->last_ok_check = i;
		}
		if (mode != RM_MAIN)
			continue;
		while (i >= next_chunk) {
			res->chunks_ok++;
			next_chunk += CHUNK;
		}
		if ((i & 255) < (ull)ng || i >= next_progress) {
			double t = mono();

			if (t >= g_deadline) {
				diag("time limit reached");
				break;
			}
			if (t - last_print >= 30 || i >= next_progress) {
				diag("progress: %llu ops, %.0f ops/s, %d live entries, %d objects, %llu bytes",
				     i, (double)i / (t - t0), M.nlive, M.nobjs, M.total);
				last_print = t;
				while (next_progress <= i)
					next_progress += 100000;
			}
		}
	}
	if (exec && i && res->last_ok_check != i) {	/* stopped by -t between checks */
		if (!check_counters(true)) {
			res->div = true;
			res->counters = true;
			res->at = i - 1;
			res->op = g_ring[(i - 1) % RING];
			return;
		}
		res->last_ok_check = i;
	}
	if (mode == RM_MAIN && i % CHUNK)
		res->chunks_ok++;
}

/* ------------------------------------------------------------------ */
/* Shrinking                                                           */
/* ------------------------------------------------------------------ */

static double g_shrink_budget = 120;

static void print_div(const char *title, const struct rres *r)
{
	char s[512];

	diag("%s: op %llu: %s", title, r->at, op_str(&r->op, s, sizeof(s)));
	diag("  %s", r->why);
}

/* Does this list of ops still diverge the same way (op kind, or the counters)? */
static bool list_fails(const struct op *l, ull n, const struct rres *orig, ull *at)
{
	struct rres r;

	run(RM_LIST, n, l, NULL, &r);
	if (g_error)
		return false;
	if (r.div && r.counters == orig->counters &&
	    (orig->counters || r.op.kind == orig->op.kind)) {
		*at = r.at;
		return true;
	}
	return false;
}

static void print_list(const struct op *l, ull n)
{
	char s[512];
	ull i, from = n > 400 ? n - 400 : 0;

	if (from)
		diag("  (%llu ops before these not shown)", from);
	for (i = from; i < n; i++)
		diag("  [%llu] %s", i, op_str(&l[i], s, sizeof(s)));
}

static void shrink(const struct rres *orig)
{
	ull lo = orig->last_ok_check, hi = orig->done, n, at, chunk, end, start, w, i;
	struct rres r;
	struct op *l, *cand;
	double t0 = mono();
	bool reduced;

	diag("shrinking: re-running the ops from a clean registry");
	/*
	 * The generator is deterministic, and every op before the divergence
	 * was compared on its own and matched, as were the counters after op
	 * lo: a shorter failing prefix can only end after lo and fail at its
	 * final counters check.  So instead of bisecting, re-run once with the
	 * counters compared after every op past lo: the first mismatch gives
	 * the shortest failing prefix.
	 */
	if (lo >= hi)
		lo = 0;
	g_check_from = lo;
	run(RM_PREFIX, hi, NULL, NULL, &r);
	g_check_from = ~0ULL;
	if (g_error)
		return;
	if (!r.div) {
		diag("the first %llu ops do not diverge when re-run from a clean registry: not reproducible", hi);
		return;
	}
	print_div("re-run", &r);
	hi = r.done;	/* that re-run was exactly this prefix, with its final checks */
	diag("shortest failing prefix: %llu ops (wms_fuzz -s %llu -n %llu%s)", hi, g_seed, hi,
	     lowered ? "" : " -L");

	n = hi;
	l = calloc(n, sizeof(*l));
	cand = calloc(n, sizeof(*cand));
	if (!l || !cand) {
		diag("no memory for the op list");
		return;
	}
	run(RM_DRY, n, NULL, l, &r);
	if (!list_fails(l, n, orig, &at)) {
		diag("the generated list does not fail when replayed; showing it anyway");
		print_list(l, n);
		free(l);
		free(cand);
		return;
	}
	n = at + 1;
	t0 = mono();	/* the budget is for what follows */
	/*
	 * Cheap candidates first: the last W ops alone, then with every earlier
	 * limit change in front of them (replays start from a clean registry).
	 */
	for (w = 16; w < n && !g_error; w *= 4) {
		ull m = 0;
		int pass;

		for (pass = 0; pass < 2; pass++) {
			m = 0;
			if (pass)
				for (i = 0; i < n - w; i++)
					if (l[i].kind == K_SETPARAM)
						cand[m++] = l[i];
			memcpy(cand + m, l + n - w, w * sizeof(*l));
			m += w;
			if (list_fails(cand, m, orig, &at))
				break;
		}
		if (pass < 2) {
			n = at + 1;
			memcpy(l, cand, n * sizeof(*l));
			diag("  the last %llu ops%s reproduce it", w, pass ? " and the earlier limit changes" : "");
			break;
		}
	}
	/*
	 * Delta debugging: drop chunks of ops (never the failing last one),
	 * from the end backwards, while the same kind of divergence remains.
	 */
	chunk = n / 2 ? n / 2 : 1;
	while (mono() - t0 < g_shrink_budget && !g_error) {
		reduced = false;
		for (end = n - 1; end > 0 && mono() - t0 < g_shrink_budget; ) {
			start = end > chunk ? end - chunk : 0;
			memcpy(cand, l, start * sizeof(*l));
			memcpy(cand + start, l + end, (n - end) * sizeof(*l));
			if (list_fails(cand, start + n - end, orig, &at)) {
				n = at + 1;
				memcpy(l, cand, n * sizeof(*l));
				reduced = true;
				end = start < n - 1 ? start : n - 1;
			} else {
				end = start;
			}
			if (g_error)
				break;
		}
		if (!reduced) {
			if (chunk == 1)
				break;
			chunk /= 2;
		} else if (chunk > n / 2 && n / 2) {
			chunk = n / 2;
		}
	}
	run(RM_LIST, n, l, NULL, &r);
	diag("minimised to %llu ops (%.0f s)%s:", n, mono() - t0,
	     mono() - t0 >= g_shrink_budget ? ", time budget used up" : "");
	print_list(l, n);
	if (r.div)
		print_div("divergence of the minimised list", &r);
	free(l);
	free(cand);
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS] [-t SECONDS] [-v] [-L] [-m SECONDS]\n"
		"  -s SEED     seed (default: from the time)\n"
		"  -n OPS      operations (default 100000)\n"
		"  -t SECONDS  stop after SECONDS\n"
		"  -v          print every operation\n"
		"  -L          keep the module's limits (default: lower them, restore at exit)\n"
		"  -m SECONDS  time budget of the shrink (default 120)\n",
		argv0);
	exit(2);
}

static void totals(ull pass, ull fail, ull skip, ull error)
{
	printf("# Totals: pass:%llu fail:%llu xfail:0 xpass:0 skip:%llu error:%llu\n",
	       pass, fail, skip, error);
	fflush(stdout);
}

static void choose_limits(void)
{
	rng_seed(g_seed, 7);
	L_rel[L_ENT] = 5 + rn(14);
	L_rel[L_SIZE] = (ull[]){ 3 * PG, 3 * PG + 1 + rn(PG), 4 * PG, 8 * PG, 40000 }[rn(5)];
	L_rel[L_TOTAL] = 16 * 1024 + rn(100 * 1024);
	L_rel[L_USER] = 8 * 1024 + rn(40 * 1024);
	/* Low enough to bind before max_user_bytes (2 to 12 pages) does. */
	L_rel[L_UENT] = (ull[]){ 1, 2, 2, 3, 3, 4, 6, 1024 }[rn(8)];
}

int main(int argc, char **argv)
{
	ull nops = 100000, k, ok = 0, err = 0;
	double secs = 0, t0;
	struct sigaction sa;
	struct rres res;
	int opt, s;
	bool seeded = false;
	unsigned char *shm;
	size_t shsz;

	while ((opt = getopt(argc, argv, "s:n:t:vLm:h")) != -1) {
		switch (opt) {
		case 's':
			g_seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'n':
			nops = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'v':
			g_verbose = true;
			break;
		case 'L':
			lowered = false;
			break;
		case 'm':
			g_shrink_budget = strtod(optarg, NULL);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	if (!seeded)
		g_seed = splitmix64(now_ns() ^ ((ull)getpid() << 32)) % 1000000000000ULL;
	g_main_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	build_names();

	diag("wms_fuzz: seed %llu, %llu ops, time limit %s, %s limits, %zu-bit build", g_seed,
	     nops, secs > 0 ? "set" : "none", lowered ? "lowered" : "the module's",
	     sizeof(void *) * 8);
	if (secs > 0)
		diag("time limit: %.0f s", secs);
	if (geteuid()) {
		diag("SKIP: must run as root (uses worker credentials and module parameters)");
		totals(0, 0, 1, 0);
		return 4;
	}
	E.mainfd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (E.mainfd < 0) {
		diag("SKIP: open %s: %s", WMS_DEVICE_PATH, strerror(errno));
		totals(0, 0, 1, 0);
		return 4;
	}
	for (s = 0; s < NSLOTS; s++)
		E.slotfd[s] = -1;
	save_params();
	choose_limits();
	atexit(restore_params);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	IOR = guarded(IOSZ);
	SRC = guarded(IOSZ);
	LST = guarded(LISTCAP * sizeof(struct wms_list_entry));
	ROP = guarded(PG);
	LOUT = malloc(sizeof(*LOUT));
	shsz = sizeof(struct shared) + (NW + FORKMAX) * sizeof(struct outcome);
	shm = mmap(NULL, shsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED || !LOUT) {
		perror("wms_fuzz: memory");
		return 2;
	}
	SH = (struct shared *)shm;
	{
		/*
		 * One CPU for this process and its helpers: a round trip to a
		 * worker is then two context switches, not two cross-CPU
		 * wakeups (milliseconds each under QEMU TCG).
		 */
		cpu_set_t cs;
		int cpu = sched_getcpu();

		CPU_ZERO(&cs);
		CPU_SET(cpu < 0 ? 0 : cpu, &cs);
		if (sched_setaffinity(0, sizeof(cs), &cs))
			diag("note: sched_setaffinity: %s", strerror(errno));
	}
	for (s = 0; s < NW; s++)
		WOUT[s] = (struct outcome *)(shm + sizeof(struct shared)) + s;
	for (s = 0; s < FORKMAX; s++)
		FOUT[s] = (struct outcome *)(shm + sizeof(struct shared)) + NW + s;
	start_workers();

	if (lowered)
		diag("limits for the run: max_entries=baseline+%llu max_entry_size=%llu max_total_bytes=baseline+%llu max_user_bytes=%llu max_user_entries=%llu (restored at exit)",
		     L_rel[L_ENT], L_rel[L_SIZE], L_rel[L_TOTAL], L_rel[L_USER], L_rel[L_UENT]);
	t0 = mono();
	g_deadline = secs > 0 ? t0 + secs : 1e300;
	run(RM_MAIN, nops, NULL, NULL, &res);
	k = res.done;
	if (!g_error) {
		double dt = mono() - t0;
		struct rusage ru;

		diag("ran %llu ops in %.1f s: %.0f ops/s (parent %llu, workers %llu, forked children %llu ops in %llu forks)",
		     k, dt, dt > 0 ? (double)k / dt : 0.0, g_ctx_n[0], g_ctx_n[1], g_ctx_n[2], g_forks);

		for (s = 0; s < K_NKINDS; s++) {
			char eb[256] = "";
			int e;

			if (!g_kind_n[s])
				continue;
			for (e = 1; e < 136; e++)
				if (g_kind_err[s][e])
					snprintf(eb + strlen(eb), sizeof(eb) - strlen(eb), " %s:%u",
						 errname(e), g_kind_err[s][e]);
			diag("  %-12s %8llu ops, %8llu ok, %5.1f s in the parent,%s", kname[s], g_kind_n[s],
			     g_kind_ok[s], g_kind_t[s], eb);
		}
		diag("time in worker round trips %.1f s, in forked children %.1f s", g_worker_t, g_fork_t);
		diag("coverage of rarer rules:");
		for (s = 0; s < C_NCOV; s++)
			diag("  %-52s %llu", covname[s], g_cov[s]);
		if (!getrusage(RUSAGE_SELF, &ru))
			diag("cpu time of this process: user %.1f s, system %.1f s",
			     (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
			     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	}
	if (res.div) {
		char st[512];
		ull i;

		diag("DIVERGENCE: seed %llu, op %llu: %s", g_seed, res.at,
		     op_str(&res.op, st, sizeof(st)));
		diag("  %s", res.why);
		diag("  the ops before it:");
		for (i = res.at > 12 ? res.at - 12 : 0; i <= res.at; i++)
			diag("  [%llu] %s", i, op_str(&g_ring[i % RING], st, sizeof(st)));
		shrink(&res);
	} else if (g_error) {
		err = 1;
	}

	/* Leave nothing behind. */
	{
		struct rres tmp;

		memset(&tmp, 0, sizeof(tmp));
		g_why = tmp.why;
		g_whylen = sizeof(tmp.why);
		for (s = 0; s < NSLOTS; s++)
			if (E.slotfd[s] >= 0) {
				close(E.slotfd[s]);
				E.slotfd[s] = -1;
			}
		for (s = 0; s < NMAPS; s++)
			if (E.maddr[s]) {
				munmap(E.maddr[s], E.mlen[s]);
				E.maddr[s] = NULL;
			}
		remove_pool();
		restore_params();
		/* Check: parameters back as they were, no pool name registered. */
		for (s = 0; s < L_N; s++) {
			char path[128], now[32];
			ull v;

			snprintf(path, sizeof(path), PARAM_DIR "%s", pname[s]);
			if (read_file_ull(path, &v)) {
				snprintf(now, sizeof(now), "%llu\n", v);
				if (strcmp(now, orig_param[s])) {
					diag("error: %s is %llu after the run, was %s", pname[s], v,
					     orig_param[s]);
					err = 1;
				}
			}
		}
		{
			struct wms_list l;
			struct wms_list_entry *recs = (struct wms_list_entry *)LST;
			unsigned int i;

			memset(&l, 0, sizeof(l));
			do {
				l.entries = UPTR(recs);
				l.count = LISTCAP;
				if (ioctl(E.mainfd, WMS_IOC_LIST, &l))
					break;
				for (i = 0; i < l.count; i++)
					if (is_pool_name(recs[i].name) >= 0) {
						diag("error: entry \"%s\" left in the registry",
						     names[is_pool_name(recs[i].name)].label);
						err = 1;
					}
			} while (l.count);
		}
		if (!err)
			diag("registry has no fuzz entry left%s", lowered ? "; parameters restored" : "");
		if (!res.div && !g_error) {
			/* Everything the run made is freed: the counters are back at the baseline. */
			ull ent, bytes;

			m_free();
			if (g_have_counters && read_counters(&ent, &bytes) &&
			    (ent != M.base_entries || bytes != M.base_bytes)) {
				diag("DIVERGENCE: after cleanup the counters show entries=%llu bytes=%llu, want %llu and %llu",
				     ent, bytes, M.base_entries, M.base_bytes);
				res.div = true;
			}
		}
	}
	stop_workers();

	/* One run is one check; the chunks that matched are a progress figure. */
	ok = res.chunks_ok;
	totals(res.div || err ? 0 : 1, res.div ? 1 : 0, 0, err);
	diag("fuzz: %llu ops, seed %llu, %d divergences, %llu chunks of %d matched",
	     k, g_seed, res.div ? 1 : 0, ok, CHUNK);
	return res.div || err ? 1 : 0;
}
