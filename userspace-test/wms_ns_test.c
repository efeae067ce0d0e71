// SPDX-License-Identifier: GPL-2.0
/*
 * wms_ns_test: one registry per IPC namespace (issue 16; docs/ABI.md,
 * "Namespaces"). The tests fork "kids" that unshare CLONE_NEWIPC (some also
 * CLONE_NEWUSER, or join a kid's namespace with setns) and then run the
 * test's requests, sent over a unix socket: open, ADD, INFO, READ, WRITE,
 * LIST, ATTACH, mmap, read a /proc file, create an entry as another uid,
 * hand a file over or take one (SCM_RIGHTS). So every check is asserted in
 * the test itself, whichever namespace the call ran in.
 *
 * One fixture, "ns"; the tests, in source order:
 *
 *   registries_count          a registry appears at a namespace's first open
 *                             (one per namespace), goes when it dies (a read of
 *                             sysfs `registries` retires it at once)
 *   isolation_ipc             LIST, INFO, READ, WRITE, REMOVE, ATTACH and
 *   isolation_ipc_user        /proc/driver/wms see the caller's registry only;
 *                             each namespace can make the same name; a process
 *                             joining the namespace (setns) sees its entries
 *   fd_passed_keeps_registry  a file passed to another namespace (both ways),
 *                             and a /proc/driver/wms file, keep their
 *                             opener's registry
 *   dead_namespace_file       a file of a dead namespace: ADD -EIDRM, lookups
 *                             -ENOENT; an attached one keeps read, write, mmap
 *   nsfs_file_keeps_registry  a namespace kept alive by a file of it (no
 *                             process in it) keeps its entries; setns finds
 *                             them; they go with the file
 *   reaper_frees_entries      entries, bytes and registry go with nobody
 *                             reading `registries` (the 1 Hz reaper)
 *   churn_namespaces          1,000 namespaces made, filled and left, one in 8
 *                             with a mapping held across its death; wms's
 *                             counters exact, /proc/meminfo back to baseline
 *   container_no_override     uid 0 of new user+IPC namespaces with a file of
 *                             the host registry: no read, write or REMOVE of
 *                             host entries, no quota exemption (nor a fresh
 *                             quota in its own registry); its CAP_SYS_ADMIN
 *                             overrides permissions in its own registry only
 *   uid_in_callers_userns     owners in the caller's user namespace (for /proc
 *                             the opener's), unmapped ones as 65534
 *   total_bytes_host_wide     max_total_bytes bounds all registries together
 *   max_entries_per_registry  max_entries bounds each registry on its own
 *   user_quotas_all_registries max_user_entries and max_user_bytes bound a
 *                             kernel uid per registry in namespaces of the
 *                             initial user namespace (only root makes them),
 *                             over all registries together in those of other
 *                             user namespaces (anyone makes them), unless it
 *                             has CAP_SYS_ADMIN in the initial user namespace
 *   namespaces_proc           /proc/driver/wms_namespaces: the host's root sees
 *                             every registry, anyone else its own only
 *
 * Built static, -m64 and -m32; run as root against the real wms.ko (the VMs,
 * the UML debug kernel); kselftest harness, TAP output. Entries are named
 * "ns.<test>.*"; the teardown kills what is left of the kids, closes the
 * test's files, removes its entries from the host registry, restores the
 * module parameters, and fails the test if a registry outlived it (sysfs
 * `registries` not back within 30 s) or the kernel warned. Every wait is
 * a poll with that bound (120 s for the memory of the churn's namespaces),
 * never a bare sleep.
 *
 *   wms_ns_test [-l] [-t TEST]... [-T TEST]... [-n NAMESPACES]
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/wms.h>

#include "wms_util.h"

static_assert(sizeof(off_t) == 8, "build with _FILE_OFFSET_BITS=64");

#define PFX		"ns."
#define SYS_DIR		"/sys/class/misc/wms/"
#define PROC_WMS	"/proc/driver/wms"
#define PROC_NS		"/proc/driver/wms_namespaces"
#define WMS_HDR		"name size uid gid mode attached\n"
#define NS_HDR		"ipcns entries bytes\n"
#define CUID		100000u	/* host uid and gid of a container's 0 */
#define CRANGE		65536u	/* ids mapped into a container */
#define OVERFLOW_ID	65534u	/* an unmapped id, as reported */
#define NOBODY		65534
#define WAIT_S		30	/* bound of every wait: a reap, a kid's reply */
#define MEM_WAIT_S	120	/* ... but the memory of 1,000 dead namespaces */
#define TAINT_WARN	(1ULL << 9)
#define TEXT_MAX	8192
#ifndef SYS_close_range
#define SYS_close_range	436	/* the same on every architecture */
#endif

static unsigned int g_churn = 1000;	/* -n */

/* ---- Small utilities ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Byte @i of data set @seed; never 0. */
static unsigned char pat(unsigned int seed, __u64 i)
{
	return (unsigned char)(1 + mix32(seed * 0x9e3779b9u ^ (__u32)(i + 1)) % 255);
}

static void pat_fill(unsigned char *b, __u64 off, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(seed, off + i);
}

/* Whether b[0..len) is data set @seed from offset @off. */
static bool pat_ok(const unsigned char *b, __u64 off, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pat(seed, off + i))
			return false;
	return true;
}

static size_t round_pg(size_t n)
{
	return (n + page_size() - 1) / page_size() * page_size();
}

/* A sysfs counter of wms (or /proc/sys/kernel/tainted), ~0 if unreadable. */
static __u64 stat_or(const char *name)
{
	char path[128];
	__u64 v;

	snprintf(path, sizeof(path), "%s%s", name[0] == '/' ? "" : SYS_DIR, name);
	return read_u64_file(path, &v) ? ~0ULL : v;
}

/*
 * Poll (WAIT_S at most) until sysfs @name reads @want; with @reap, read
 * `registries` first each time (that retires dead namespaces' registries at
 * once). 0, -ETIMEDOUT or -ENOENT (unreadable); the last value in *got.
 */
static int wait_stat(const char *name, __u64 want, bool reap, __u64 *got, double *secs)
{
	double t0 = now_s();
	__u64 v;

	for (;;) {
		if (reap)
			stat_or("registries");
		v = stat_or(name);
		if (v == ~0ULL || v == want || now_s() - t0 > WAIT_S)
			break;
		nap_ms(10);
	}
	if (got)
		*got = v;
	if (secs)
		*secs = now_s() - t0;
	return v == want ? 0 : v == ~0ULL ? -ENOENT : -ETIMEDOUT;
}

/* The N of "ipc:[N]" of process @pid (0: this one); 0 on error. */
static unsigned long long ns_ino(pid_t pid)
{
	char path[64], l[64] = { 0 };
	unsigned long long n = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid ? pid : getpid());
	if (readlink(path, l, sizeof(l) - 1) < 0 || sscanf(l, "ipc:[%llu]", &n) != 1)
		return 0;
	return n;
}

/* File @fd from its position (or @path) into @buf, NUL-ended: the length or -errno. */
static int slurp_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	return n < 0 ? -errno : (int)len;
}

static int slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	r = slurp_fd(fd, buf, size);
	close(fd);
	return r;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		r = -errno;
	close(fd);
	return r;
}

/* Lines of @t after the header. */
static int body_lines(const char *t)
{
	int n = 0;

	for (t = strchr(t, '\n'); t && t[1]; t = strchr(t + 1, '\n'))
		n++;
	return n;
}

/*
 * The /proc/driver/wms lines of entry @name (plain ASCII) in @t: how many;
 * the first one's "size uid gid mode attached" in @rest.
 */
static int proc_entry(const char *t, const char *name, char *rest, size_t rlen)
{
	size_t nl = strlen(name);
	const char *l, *e;
	int n = 0;

	if (rest)
		rest[0] = 0;
	for (l = strchr(t, '\n'); l && *++l; l = strchr(l, '\n')) {
		if (strncmp(l, name, nl) || l[nl] != ' ' || n++ || !rest)
			continue;
		e = strchr(l, '\n');
		snprintf(rest, rlen, "%.*s", (int)((e ? e : l + strlen(l)) - l - nl - 1), l + nl + 1);
	}
	return n;
}

/* The /proc/driver/wms_namespaces lines of namespace @ino in @t; the first one's figures. */
static int ns_line(const char *t, unsigned long long ino, __u64 *entries, __u64 *bytes)
{
	unsigned long long i, e, b;
	const char *l;
	int n = 0;

	for (l = strchr(t, '\n'); l && *++l; l = strchr(l, '\n')) {
		if (sscanf(l, "%llu %llu %llu", &i, &e, &b) != 3 || i != ino || n++)
			continue;
		if (entries)
			*entries = e;
		if (bytes)
			*bytes = b;
	}
	return n;
}

/*
 * READ (@write false) of [off, off + len) of @name is data set @seed: 0,
 * -errno, -ERANGE (short), -EILSEQ (other data); or WRITE that data.
 */
static int io_pat(int fd, bool write, const char *name, __u64 off, size_t len, unsigned int seed)
{
	unsigned char *b = calloc(1, len + 1);
	__u64 done = 0;
	int r;

	if (!b)
		return -ENOMEM;
	if (write)
		pat_fill(b, off, len, seed);
	if (write)
		r = w_write(fd, name, off, b, len, &done);
	else
		r = w_read(fd, name, off, b, len, &done);
	if (!r && !write && done != len)
		r = -ERANGE;
	if (!r && !write && !pat_ok(b, off, len, seed))
		r = -EILSEQ;
	free(b);
	return r;
}

#define read_check(fd, name, off, len, seed)	io_pat(fd, false, name, off, len, seed)
#define write_pat(fd, name, off, len, seed)	io_pat(fd, true, name, off, len, seed)

/*
 * The entries LIST gives on @fd whose name starts with @prefix, up to @max
 * of them into @out; *total the last call's total. How many, or -errno.
 */
static int list_prefix(int fd, const char *prefix, struct wms_list_entry *out, int max,
		       __u64 *total)
{
	struct wms_list_entry e[16];
	struct wms_list l = { .entries = UPTR(e) };
	int n = 0, r;
	__u32 i;

	*total = 0;
	for (;;) {
		l.count = 16;
		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r)
			return r;
		*total = l.total;
		if (!l.count)
			return n;
		for (i = 0; i < l.count; i++)
			if (!strncmp(e[i].name, prefix, strlen(prefix)) && n++ < max)
				out[n - 1] = e[i];
	}
}

static void cleanup_prefix(int fd, const char *prefix)
{
	struct wms_list_entry e[64];
	__u64 total;
	int n = list_prefix(fd, prefix, e, 64, &total), i;

	for (i = 0; i < n && i < 64; i++)
		w_remove(fd, e[i].name);
}

static int open_wms(void)
{
	return open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/* Poll INFO of @name on @fd until -ENOENT, reading `registries` to retire it. */
static int wait_gone(int fd, const char *name)
{
	struct wms_info wi;
	double t0 = now_s();
	int r;

	while ((r = w_info(fd, name, &wi)) != -ENOENT && now_s() - t0 < WAIT_S) {
		stat_or("registries");
		nap_ms(10);
	}
	return r;
}

/* ---- File descriptors over a unix socket ---- */

union cmsg {
	char b[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* One message of @len bytes, with file @fd (if >= 0): 0 or -errno. */
static int msg_send(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	union cmsg u;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EPIPE;
}

/*
 * One message of exactly @len bytes within @ms ms (-1: no limit), its file
 * in *fd (-1: none): 0, -ETIMEDOUT, -EPIPE (the peer is gone) or -EPROTO.
 */
static int msg_recv(int sock, void *buf, size_t len, int *fd, int ms)
{
	struct iovec iov = { buf, len };
	union cmsg u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int got;

	if (fd)
		*fd = -1;
	if (poll(&p, 1, ms) <= 0)
		return -ETIMEDOUT;
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	for (c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&got, CMSG_DATA(c), sizeof(int));
		if (fd && *fd < 0)
			*fd = got;
		else
			close(got);
	}
	return n <= 0 ? -EPIPE : (size_t)n == len ? 0 : -EPROTO;
}

/* ---- Kids: processes in other namespaces that run the test's requests ---- */

enum {
	NS_IPC = 1,	/* unshare CLONE_NEWIPC */
	NS_USER = 2,	/* and CLONE_NEWUSER, 0..CRANGE-1 mapped to CUID..., be 0 there */
	NS_RAWUSER = 4,	/* and CLONE_NEWUSER, nothing mapped (still the host's root) */
};

enum {
	OP_OPEN,	/* open(name, flags): the new slot */
	OP_ADD,		/* out: flags, size */
	OP_REMOVE,
	OP_INFO,	/* out: size, uid, gid, mode, attached */
	OP_READ,	/* [off, off + len) is data set seed: 0, -ERANGE, -EILSEQ */
	OP_WRITE,	/* data set seed at [off, off + len) */
	OP_LIST,	/* the entries whose name starts with name (up to 16), total */
	OP_ATTACH,
	OP_GIVE,	/* hand the file of slot to the test */
	OP_TAKE,	/* take the test's file: the new slot */
	OP_CAT,		/* the file at path name, into text: its length */
	OP_MMAP,	/* mmap len bytes, prot mode; size bytes are data set seed
			 * (if seed); flags 1: mprotect(PROT_READ | PROT_WRITE) in r2 */
	OP_ADD_AS,	/* a child as uid = gid = id, no groups: open, ADD name */
};

#define KSLOTS	16

struct kreq {
	int op, slot;
	char name[NAME_LEN];	/* an entry name, a prefix or a path */
	__u64 size, off, len;
	__u32 flags, mode, seed, id;
};

struct kresp {
	int r, r2;
	__u32 flags, uid, gid, mode, attached, n;
	__u64 size, total;
	struct wms_list_entry ent[16];
	char text[TEXT_MAX];
};

struct kid {
	pid_t pid;
	int sock;
};

/* Kids not yet waited for, killed by the teardown. */
static pid_t g_kids[32];

static void kid_track(pid_t pid, pid_t old)
{
	unsigned int i;

	for (i = 0; i < sizeof(g_kids) / sizeof(g_kids[0]); i++)
		if (g_kids[i] == old) {
			g_kids[i] = pid;
			return;
		}
}

static int kfd[KSLOTS];	/* a kid's files */

static int kslot_new(int fd)
{
	int s;

	for (s = 0; s < KSLOTS; s++)
		if (kfd[s] < 0) {
			kfd[s] = fd;
			return s;
		}
	close(fd);
	return -EMFILE;
}

static int kid_add_as(const struct kreq *q)
{
	pid_t pid;
	int st, fd;

	pid = fork();
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(q->id, q->id, q->id) ||
		    setresuid(q->id, q->id, q->id) || (fd = open_wms()) < 0)
			_exit(255);
		_exit(-add_f(fd, q->name, q->size, q->flags, q->mode, NULL));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 255)
		return -ECHILD;
	return -WEXITSTATUS(st);
}

static void kid_op(const struct kreq *q, struct kresp *p, int in, int *out)
{
	int fd = q->slot >= 0 && q->slot < KSLOTS ? kfd[q->slot] : -1, r;
	struct wms_name wn = { .reserved = 0 };
	struct wms_info wi;
	struct wms_add a;
	unsigned char *m;

	switch (q->op) {
	case OP_OPEN:
		fd = open(q->name, (int)q->flags | O_CLOEXEC);
		p->r = fd < 0 ? -errno : kslot_new(fd);
		break;
	case OP_ADD:
		p->r = add_f(fd, q->name, q->size, q->flags, q->mode, &a);
		p->flags = a.flags;
		p->size = a.size;
		break;
	case OP_REMOVE:
		p->r = remove_f(fd, q->name);
		break;
	case OP_INFO:
		p->r = info_f(fd, q->name, &wi);
		p->size = wi.size;
		p->uid = wi.uid;
		p->gid = wi.gid;
		p->mode = wi.mode;
		p->attached = wi.attached;
		break;
	case OP_READ:
	case OP_WRITE:
		p->r = io_pat(fd, q->op == OP_WRITE, q->name, q->off, q->len, q->seed);
		break;
	case OP_LIST:
		r = list_prefix(fd, q->name, p->ent, 16, &p->total);
		p->r = r < 0 ? r : 0;
		p->n = r < 0 ? 0 : (__u32)r;
		break;
	case OP_ATTACH:
		memcpy(wn.name, q->name, NAME_LEN);
		p->r = xioctl(fd, WMS_IOC_ATTACH, &wn);
		break;
	case OP_GIVE:
		p->r = fd < 0 ? -EBADF : 0;
		*out = fd;
		break;
	case OP_TAKE:
		p->r = in < 0 ? -EBADF : kslot_new(in);
		break;
	case OP_CAT:
		p->r = slurp(q->name, p->text, sizeof(p->text));
		break;
	case OP_MMAP:
		m = mmap(NULL, q->len, (int)q->mode, MAP_SHARED, fd, (off_t)q->off);
		if (m == MAP_FAILED) {
			p->r = -errno;
			break;
		}
		p->r = q->seed && !pat_ok(m, q->off, q->size, q->seed) ? -EILSEQ : 0;
		if (q->flags & 1)
			p->r2 = mprotect(m, q->len, PROT_READ | PROT_WRITE) ? -errno : 0;
		munmap(m, q->len);
		break;
	case OP_ADD_AS:
		p->r = kid_add_as(q);
		break;
	default:
		p->r = -EINVAL;
	}
}

/* A kid's life: requests until the test closes its end. */
static void kid_serve(int sock, void *arg)
{
	struct kresp *p = malloc(sizeof(*p));
	struct kreq q;
	int in, out, r;

	(void)arg;
	memset(kfd, -1, sizeof(kfd));
	if (!p)
		_exit(3);
	for (;;) {
		r = msg_recv(sock, &q, sizeof(q), &in, -1);
		if (r)
			_exit(r == -EPIPE ? 0 : 4);
		memset(p, 0, sizeof(*p));
		out = -1;
		kid_op(&q, p, in, &out);
		if (in >= 0 && q.op != OP_TAKE)
			close(in);
		if (msg_send(sock, p, sizeof(*p), out))
			_exit(5);
	}
}

/*
 * Fork a kid into new namespaces @how (NS_*; 0: none), or into the IPC
 * namespace of process @join (setns), to run @fn (NULL: kid_serve). 0 or -errno.
 */
static int kid_start_fn(struct kid *k, int how, pid_t join,
			void (*fn)(int sock, void *arg), void *arg)
{
	int sv[2], flags = 0, r = 0, fd;
	char c = 'u', map[64], path[64];
	pid_t parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	k->pid = fork();
	if (!k->pid) {
		/* None of the test's files: they would keep registries alive. */
		if (sv[1] > 3)
			syscall(SYS_close_range, 3, sv[1] - 1, 0);
		syscall(SYS_close_range, sv[1] + 1, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(6);
		flags = (how & NS_IPC ? CLONE_NEWIPC : 0) |
			(how & (NS_USER | NS_RAWUSER) ? CLONE_NEWUSER : 0);
		if (flags && unshare(flags))
			_exit(7);
		snprintf(path, sizeof(path), "/proc/%d/ns/ipc", join);
		if (join && ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
			     setns(fd, CLONE_NEWIPC) || close(fd)))
			_exit(8);
		/* Wait for the test to write the id maps, then be uid 0 there. */
		if ((how & NS_USER) &&
		    (msg_send(sv[1], &c, 1, -1) || msg_recv(sv[1], &c, 1, NULL, WAIT_S * 1000) ||
		     setgroups(0, NULL) || setresgid(0, 0, 0) || setresuid(0, 0, 0)))
			_exit(9);
		/* In its namespaces now: the test may look at them. */
		if (msg_send(sv[1], "r", 1, -1))
			_exit(10);
		(fn ? fn : kid_serve)(sv[1], arg);
		_exit(0);
	}
	close(sv[1]);
	k->sock = sv[0];
	if (k->pid < 0) {
		close(sv[0]);
		return -EAGAIN;
	}
	kid_track(k->pid, 0);
	if (how & NS_USER) {
		snprintf(map, sizeof(map), "0 %u %u\n", CUID, CRANGE);
		r = msg_recv(k->sock, &c, 1, NULL, WAIT_S * 1000);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", k->pid);
		r = r ?: write_file(path, map);
		snprintf(path, sizeof(path), "/proc/%d/gid_map", k->pid);
		r = r ?: write_file(path, map);
		r = r ?: msg_send(k->sock, &c, 1, -1);
	}
	r = r ?: msg_recv(k->sock, &c, 1, NULL, WAIT_S * 1000);
	if (r)
		diag("kid %d did not get into its namespaces: %s", k->pid, errname(r));
	return r;
}

/* A kid of the initial namespaces that is uid = gid = NOBODY, no groups. */
static void kid_nobody(int sock, void *arg)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(11);
	kid_serve(sock, arg);
}

#define kid_start(k, how)	kid_start_fn(k, how, 0, NULL, NULL)
/* A kid in the IPC namespace of @pid (setns), in the test's user namespace. */
#define kid_join(k, pid)	kid_start_fn(k, 0, pid, NULL, NULL)

/* Close a kid's socket (so it exits) and wait: its status, -SIG or -ETIMEDOUT. */
static int kid_end(struct kid *k)
{
	double t0 = now_s();
	int st = 0;
	pid_t w;

	close(k->sock);
	if (k->pid <= 0)
		return -ECHILD;
	while ((w = waitpid(k->pid, &st, WNOHANG)) == 0 && now_s() - t0 < WAIT_S)
		nap_ms(1);
	if (!w) {
		kill(k->pid, SIGKILL);
		waitpid(k->pid, &st, 0);
	}
	kid_track(0, k->pid);
	k->pid = 0;
	return !w ? -ETIMEDOUT : WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

/* The kid's last reply. */
static struct kresp kr;

/*
 * Request @q (entry name, prefix or path @name) of kid @k, passing file @in
 * (if >= 0); the file it hands back in *out. Its result kr.r, or -ETIMEDOUT,
 * -EPIPE or -EPROTO when the kid did not answer.
 */
static int kcall(struct kid *k, const char *name, struct kreq q, int in, int *out)
{
	int r;

	if (name)
		set_field(q.name, name);
	memset(&kr, 0, sizeof(kr));
	r = msg_send(k->sock, &q, sizeof(q), in);
	r = r ?: msg_recv(k->sock, &kr, sizeof(kr), out, WAIT_S * 1000);
	if (r) {
		diag("kid %d did not answer request %d: %s", k->pid, q.op, errname(r));
		kr.r = r;
	}
	return kr.r;
}

#define KOP(k, nm, ...)			kcall((k), (nm), (struct kreq){ __VA_ARGS__ }, -1, NULL)
#define K_OPEN(k)			KOP(k, WMS_DEVICE_PATH, .op = OP_OPEN, .flags = O_RDWR)
#define K_ADD(k, s, nm, sz, fl, md)	KOP(k, nm, .op = OP_ADD, .slot = s, .size = sz, .flags = fl, .mode = md)
#define K_REMOVE(k, s, nm)		KOP(k, nm, .op = OP_REMOVE, .slot = s)
#define K_INFO(k, s, nm)		KOP(k, nm, .op = OP_INFO, .slot = s)
#define K_READ(k, s, nm, o, l, sd)	KOP(k, nm, .op = OP_READ, .slot = s, .off = o, .len = l, .seed = sd)
#define K_WRITE(k, s, nm, o, l, sd)	KOP(k, nm, .op = OP_WRITE, .slot = s, .off = o, .len = l, .seed = sd)
#define K_LIST(k, s, pfx)		KOP(k, pfx, .op = OP_LIST, .slot = s)
#define K_ATTACH(k, s, nm)		KOP(k, nm, .op = OP_ATTACH, .slot = s)
#define K_CAT(k, path)			KOP(k, path, .op = OP_CAT)
#define K_ADD_AS(k, uid, nm, sz, md)	KOP(k, nm, .op = OP_ADD_AS, .id = uid, .size = sz, .mode = md)

/* The kid's file in slot @s, now the test's too (or -errno). */
static int k_give(struct kid *k, int s)
{
	int fd = -1, r = kcall(k, NULL, (struct kreq){ .op = OP_GIVE, .slot = s }, -1, &fd);

	if (r && fd >= 0)
		close(fd);
	return r ? r : fd >= 0 ? fd : -EPROTO;
}

/* Hand the test's file @fd to the kid: its slot there (or -errno). */
static int k_take(struct kid *k, int fd)
{
	return kcall(k, NULL, (struct kreq){ .op = OP_TAKE }, fd, NULL);
}

/*
 * Hand the kid two files of the host registry: the test's own @fd (its slot
 * in *@hs) and a fresh one, to attach with (*@ha). 0 or -errno.
 */
static int k_take_host(struct kid *k, int fd, int *hs, int *ha)
{
	int hfd = open_wms();

	*ha = hfd < 0 ? -errno : k_take(k, hfd);
	*hs = k_take(k, fd);
	if (hfd >= 0)
		close(hfd);
	return *hs < 0 ? *hs : *ha < 0 ? *ha : 0;
}

/* ---- Memory figures, as endurance.sh takes them ---- */

struct mem {
	long long slab, vmalloc, free;	/* kB; free: MemFree + per-cpu free lists */
};

static long long meminfo_kb(const char *key)
{
	static char buf[8192];
	size_t kl = strlen(key);
	char *l;

	slurp("/proc/meminfo", buf, sizeof(buf));
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ':')
			return strtoll(l + kl + 1, NULL, 10);
	return -1;
}

/*
 * Wait until Slab stops falling (3 samples in a row not below the lowest,
 * half a second apart, 60 at most), dropping the caches and shrinking every
 * slab cache before each sample; then take the figures. The pages on the
 * per-cpu free lists ("count:" in /proc/zoneinfo) count as free.
 */
static void settle(struct mem *m)
{
	static char buf[1 << 17];
	long long low = -1, s;
	struct dirent *d;
	char path[320], *l;
	int flat = 0, k;
	DIR *dir;

	for (k = 0; k < 60 && flat < 3; k++) {
		write_file("/proc/sys/vm/drop_caches", "3");
		dir = opendir("/sys/kernel/slab");
		while (dir && (d = readdir(dir))) {
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", d->d_name);
			if (d->d_name[0] != '.')
				write_file(path, "1");
		}
		if (dir)
			closedir(dir);
		s = meminfo_kb("Slab");
		flat = low < 0 || s < low ? 0 : flat + 1;
		low = low < 0 || s < low ? s : low;
		nap_ms(500);
	}
	m->slab = meminfo_kb("Slab");
	m->vmalloc = meminfo_kb("VmallocUsed");
	m->free = meminfo_kb("MemFree");
	slurp("/proc/zoneinfo", buf, sizeof(buf));
	for (l = buf; (l = strstr(l, "count:")); l += 6)
		m->free += strtoll(l + 6, NULL, 10) * (long long)(page_size() / 1024);
}

/* $WMS_ENDURANCE_<name>_NOISE_KB (endurance.sh's knobs), else @def. */
static long long noise_kb(const char *name, long long def)
{
	char var[64];
	const char *v;

	snprintf(var, sizeof(var), "WMS_ENDURANCE_%s_NOISE_KB", name);
	v = getenv(var);
	return v && *v ? strtoll(v, NULL, 10) : def;
}

/* ---- Fixture ---- */

/* The limits the tests change. */
static const char *const params[] = {
	"max_entries", "max_total_bytes", "max_user_entries", "max_user_bytes",
};
#define NPARAMS	((int)(sizeof(params) / sizeof(params[0])))

static struct kept_params g_start_params;

static void restore_start_params(void)
{
	params_put_back(&g_start_params);
}

/*
 * Close this process's files of wms, sockets and IPC namespace files (a
 * failed test's), but @keep.
 */
static void close_wms_files(int keep)
{
	DIR *dir = opendir("/proc/self/fd");
	char path[64], l[128];
	struct dirent *d;
	int fd;

	while (dir && (d = readdir(dir))) {
		fd = atoi(d->d_name);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		memset(l, 0, sizeof(l));
		if (fd <= 2 || fd == keep || fd == dirfd(dir) || readlink(path, l, sizeof(l) - 1) < 0)
			continue;
		if (!strcmp(l, WMS_DEVICE_PATH) || !strncmp(l, "socket:", 7) ||
		    !strncmp(l, "ipc:[", 5) || strstr(l, "wms"))
			close(fd);
	}
	if (dir)
		closedir(dir);
}

FIXTURE(ns) {
	int fd;
	size_t ps;
	bool have_reg;
	__u64 reg0, taint0;
	struct kept_params prm;
	char prefix[96];
};

FIXTURE_SETUP(ns)
{
	ASSERT_EQ(0U, (unsigned int)geteuid()) TH_LOG("run as root");
	self->ps = page_size();
	self->fd = open_wms();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	params_keep(&self->prm, params, NPARAMS);
	ASSERT_TRUE(params_all_kept(&self->prm)) TH_LOG("cannot read " PARAM_DIR "*");
	snprintf(self->prefix, sizeof(self->prefix), PFX "%s.", _metadata->name);
	cleanup_prefix(self->fd, PFX);
	cleanup_prefix(self->fd, "." PFX);
	self->reg0 = stat_or("registries");
	self->have_reg = self->reg0 != ~0ULL;
	self->taint0 = stat_or("/proc/sys/kernel/tainted");
}

FIXTURE_TEARDOWN(ns)
{
	__u64 got = 0, t;
	unsigned int i;
	int r;

	_metadata->trigger = 0;
	for (i = 0; i < sizeof(g_kids) / sizeof(g_kids[0]); i++)
		if (g_kids[i] > 0) {
			kill(g_kids[i], SIGKILL);
			waitpid(g_kids[i], NULL, 0);
			g_kids[i] = 0;
		}
	close_wms_files(self->fd);
	cleanup_prefix(self->fd, PFX);
	cleanup_prefix(self->fd, "." PFX);
	EXPECT_EQ(0, params_put_back(&self->prm)) TH_LOG("cannot restore the module parameters");
	if (self->have_reg) {
		r = wait_stat("registries", self->reg0, true, &got, NULL);
		EXPECT_EQ(0, r) TH_LOG("registries: %llu at the start, %llu after the test (%s): a registry outlived its namespace",
				       (ull)self->reg0, (ull)got, errname(r));
	}
	t = stat_or("/proc/sys/kernel/tainted");
	EXPECT_FALSE((t & TAINT_WARN) && !(self->taint0 & TAINT_WARN))
		TH_LOG("the kernel warned during this test (taint %llu): see the kernel log", (ull)t);
	close(self->fd);
}

/* A module without `registries` has no namespaces: fail at once. */
#define NEED_REGISTRIES() \
	ASSERT_TRUE(self->have_reg) TH_LOG(SYS_DIR "registries cannot be read: no registry per IPC namespace")

/* ---- Registries ---- */

TEST_F_TIMEOUT(ns, registries_count, 120)
{
	static char t[TEXT_MAX];
	unsigned long long ino0 = ns_ino(0), ino;
	__u64 e = 0, b = 0, r;
	struct kid a;
	int s;

	NEED_REGISTRIES();
	EXPECT_LE(1ULL, self->reg0) TH_LOG("the initial namespace's registry is not counted");
	/* Root of the initial namespaces: a line per registry, ours too. */
	ASSERT_LE(0, slurp(PROC_NS, t, sizeof(t))) TH_LOG(PROC_NS ": %s", strerror(errno));
	EXPECT_EQ(0, strncmp(t, NS_HDR, strlen(NS_HDR))) TH_LOG("header: \"%.30s\"", t);
	EXPECT_EQ((int)self->reg0, body_lines(t)) TH_LOG("%s", t);
	EXPECT_EQ(1, ns_line(t, ino0, NULL, NULL)) TH_LOG("no line for ipc:[%llu]:\n%s", ino0, t);

	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	ino = ns_ino(a.pid);
	ASSERT_NE(0ULL, ino);
	EXPECT_NE(ino0, ino);
	/* No registry before the first open; reading /proc makes none. */
	EXPECT_LE(0, K_CAT(&a, PROC_WMS));
	EXPECT_STREQ(WMS_HDR, kr.text);
	EXPECT_LE(0, K_CAT(&a, PROC_NS));
	EXPECT_STREQ(NS_HDR, kr.text);
	EXPECT_EQ(self->reg0, stat_or("registries"));
	s = K_OPEN(&a);
	ASSERT_LE(0, s);
	EXPECT_EQ(self->reg0 + 1, stat_or("registries"));
	EXPECT_LE(0, K_OPEN(&a));
	EXPECT_EQ(self->reg0 + 1, stat_or("registries")) TH_LOG("one per namespace, not per file");
	EXPECT_EQ(0, K_ADD(&a, s, NM("e"), self->ps + 1, WMS_ADD_EXCL, 0600));
	EXPECT_LE(0, K_CAT(&a, PROC_NS));
	EXPECT_EQ(1, body_lines(kr.text)) TH_LOG("the kid's view:\n%s", kr.text);
	EXPECT_EQ(1, ns_line(kr.text, ino, &e, &b)) TH_LOG("the kid's view:\n%s", kr.text);
	EXPECT_EQ(1ULL, e);
	EXPECT_EQ(2 * self->ps, b);
	ASSERT_LE(0, slurp(PROC_NS, t, sizeof(t)));
	EXPECT_EQ((int)self->reg0 + 1, body_lines(t));
	EXPECT_EQ(1, ns_line(t, ino, &e, &b)) TH_LOG("no line for the kid's ipc:[%llu]:\n%s", ino, t);
	EXPECT_EQ(1ULL, e);
	EXPECT_EQ(2 * self->ps, b);

	EXPECT_EQ(0, kid_end(&a));
	/* Its last process is gone: the first read retires it. */
	r = stat_or("registries");
	EXPECT_EQ(self->reg0, r) TH_LOG("the first read of registries after the namespace died");
	EXPECT_EQ(0, wait_stat("registries", self->reg0, true, &r, NULL));
	ASSERT_LE(0, slurp(PROC_NS, t, sizeof(t)));
	EXPECT_EQ(0, ns_line(t, ino, NULL, NULL)) TH_LOG("%s", t);
}

static void isolation(struct __test_metadata *_metadata, FIXTURE_DATA(ns) *self, int how)
{
	static char t[TEXT_MAX];
	const char *h = NM("same"), *o = NM("hostonly"), *names[2] = { h, o };
	size_t ps = self->ps;
	struct wms_list_entry le[4];
	struct wms_info wi;
	struct kid a, j;
	char rest[128], want[128];
	__u64 total;
	int s, s2, i;

	NEED_REGISTRIES();
	ASSERT_EQ(0, w_add(self->fd, h, 2 * ps + 3, WMS_ADD_EXCL, 0644, NULL));
	ASSERT_EQ(0, w_add(self->fd, o, 64, WMS_ADD_EXCL, 0666, NULL));
	ASSERT_EQ(0, write_pat(self->fd, h, 0, 2 * ps + 3, 1));
	ASSERT_EQ(0, kid_start(&a, how));
	s = K_OPEN(&a);
	ASSERT_LE(0, s);

	/* Nothing of the host's registry is seen from the new namespace. */
	EXPECT_EQ(0, K_LIST(&a, s, ""));
	EXPECT_EQ(0ULL, kr.total);
	EXPECT_EQ(0ULL, kr.n);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-ENOENT, K_INFO(&a, s, names[i])) TH_LOG("INFO %s", names[i]);
		EXPECT_EQ(-ENOENT, K_READ(&a, s, names[i], 0, 1, 1)) TH_LOG("READ %s", names[i]);
		EXPECT_EQ(-ENOENT, K_WRITE(&a, s, names[i], 0, 1, 9)) TH_LOG("WRITE %s", names[i]);
		EXPECT_EQ(-ENOENT, K_REMOVE(&a, s, names[i])) TH_LOG("REMOVE %s", names[i]);
		EXPECT_EQ(-ENOENT, K_ATTACH(&a, K_OPEN(&a), names[i])) TH_LOG("ATTACH %s", names[i]);
	}
	EXPECT_LE(0, K_CAT(&a, PROC_WMS));
	EXPECT_STREQ(WMS_HDR, kr.text);

	/* The same name, in its own registry. */
	EXPECT_EQ(0, K_ADD(&a, s, h, ps, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(WMS_ADD_CREATED, kr.flags);
	EXPECT_EQ(ps, kr.size);
	EXPECT_EQ(0, K_WRITE(&a, s, h, 0, ps, 2));
	EXPECT_EQ(0, K_LIST(&a, s, ""));
	EXPECT_EQ(1ULL, kr.total);
	ASSERT_EQ(1ULL, kr.n);
	EXPECT_STREQ(h, kr.ent[0].name);
	EXPECT_EQ(ps, kr.ent[0].size);
	EXPECT_LE(0, K_CAT(&a, PROC_WMS));
	EXPECT_EQ(1, body_lines(kr.text)) TH_LOG("%s", kr.text);
	EXPECT_EQ(1, proc_entry(kr.text, h, rest, sizeof(rest))) TH_LOG("%s", kr.text);
	EXPECT_EQ((ull)ps, strtoull(rest, NULL, 10)) TH_LOG("\"%s\"", rest);

	/* The host's entry is as it was, and shown once. */
	EXPECT_EQ(0, w_info(self->fd, h, &wi));
	EXPECT_EQ(2 * ps + 3, wi.size);
	EXPECT_EQ(0644U, wi.mode);
	EXPECT_EQ(0, read_check(self->fd, h, 0, 2 * ps + 3, 1));
	ASSERT_EQ(2, list_prefix(self->fd, self->prefix, le, 4, &total));
	EXPECT_EQ(2 * ps + 3, !strcmp(le[0].name, h) ? le[0].size : le[1].size);
	ASSERT_LE(0, slurp(PROC_WMS, t, sizeof(t)));
	EXPECT_EQ(1, proc_entry(t, h, rest, sizeof(rest)));
	snprintf(want, sizeof(want), "%llu 0 0 0644 0", (ull)(2 * ps + 3));
	EXPECT_STREQ(want, rest);

	/* A process that joins the namespace sees the kid's registry. */
	ASSERT_EQ(0, kid_join(&j, a.pid));
	s2 = K_OPEN(&j);
	ASSERT_LE(0, s2);
	EXPECT_EQ(0, K_INFO(&j, s2, h));
	EXPECT_EQ(ps, kr.size);
	EXPECT_EQ(0600U, kr.mode);
	EXPECT_EQ(0, K_READ(&j, s2, h, 0, ps, 2));
	EXPECT_EQ(-ENOENT, K_INFO(&j, s2, o));
	EXPECT_EQ(-EEXIST, K_ADD(&j, s2, h, 1, WMS_ADD_EXCL, 0));
	EXPECT_EQ(0, K_LIST(&j, s2, ""));
	EXPECT_EQ(1ULL, kr.total);
	EXPECT_LE(0, K_CAT(&j, PROC_WMS));
	EXPECT_EQ(1, proc_entry(kr.text, h, rest, sizeof(rest))) TH_LOG("%s", kr.text);
	EXPECT_EQ((ull)ps, strtoull(rest, NULL, 10));
	EXPECT_EQ(0, kid_end(&j));
	EXPECT_EQ(0, kid_end(&a));

	EXPECT_EQ(0, wait_stat("registries", self->reg0, true, NULL, NULL));
	EXPECT_EQ(0, w_info(self->fd, h, &wi));
	EXPECT_EQ(2 * ps + 3, wi.size);
	EXPECT_EQ(0, read_check(self->fd, h, 0, 2 * ps + 3, 1));
}

TEST_F_TIMEOUT(ns, isolation_ipc, 120)
{
	isolation(_metadata, self, NS_IPC);
}

TEST_F_TIMEOUT(ns, isolation_ipc_user, 120)
{
	isolation(_metadata, self, NS_IPC | NS_USER);
}

TEST_F_TIMEOUT(ns, fd_passed_keeps_registry, 120)
{
	static char t[TEXT_MAX];
	const char *h = NM("h"), *c = NM("c"), *fk = NM("fromkid"), *fp = NM("fromparent");
	size_t ps = self->ps;
	struct wms_list_entry le[4];
	struct wms_info wi;
	struct kid a;
	char rest[128];
	__u64 total;
	int s, kf, ka, pf, hs, ha;
	unsigned char *m;

	NEED_REGISTRIES();
	ASSERT_EQ(0, w_add(self->fd, h, ps, WMS_ADD_EXCL, 0644, NULL));
	ASSERT_EQ(0, write_pat(self->fd, h, 0, ps, 1));
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	s = K_OPEN(&a);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, K_ADD(&a, s, c, 2 * ps, WMS_ADD_EXCL, 0600));
	ASSERT_EQ(0, K_WRITE(&a, s, c, 0, 2 * ps, 3));
	ASSERT_EQ(0, K_ADD(&a, s, h, 3 * ps, WMS_ADD_EXCL, 0600));
	ASSERT_EQ(0, K_WRITE(&a, s, h, 0, 3 * ps, 4));
	kf = k_give(&a, s);
	ka = k_give(&a, K_OPEN(&a));
	pf = k_give(&a, KOP(&a, PROC_WMS, .op = OP_OPEN, .flags = O_RDONLY));
	ASSERT_LE(0, kf);
	ASSERT_LE(0, ka);
	ASSERT_LE(0, pf);

	/* The kid's files, in the test's hands, act on the kid's registry. */
	EXPECT_EQ(0, w_info(kf, c, &wi));
	EXPECT_EQ(2 * ps, wi.size);
	EXPECT_EQ(0, w_info(kf, h, &wi));
	EXPECT_EQ(3 * ps, wi.size);
	EXPECT_EQ(0, read_check(kf, h, 0, 3 * ps, 4));
	EXPECT_EQ(2, list_prefix(kf, "", le, 4, &total));
	EXPECT_EQ(2ULL, total);
	EXPECT_EQ(0, w_add(kf, fp, 0, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-ENOENT, w_info(self->fd, fp, &wi));
	EXPECT_EQ(0, K_INFO(&a, s, fp));
	EXPECT_EQ(0, w_attach(ka, h));
	m = mmap(NULL, 3 * ps, PROT_READ, MAP_SHARED, ka, 0);
	ASSERT_TRUE(m != MAP_FAILED) TH_LOG("mmap of the kid's entry: %s", strerror(errno));
	EXPECT_TRUE(pat_ok(m, 0, 3 * ps, 4)) TH_LOG("the mapping is not the kid's entry");
	munmap(m, 3 * ps);
	/* A /proc/driver/wms file opened in the kid's namespace shows its registry. */
	EXPECT_LE(0, slurp_fd(pf, t, sizeof(t)));
	EXPECT_EQ(3, body_lines(t)) TH_LOG("%s", t);
	EXPECT_EQ(1, proc_entry(t, c, NULL, 0)) TH_LOG("%s", t);
	EXPECT_EQ(1, proc_entry(t, fp, NULL, 0)) TH_LOG("%s", t);
	EXPECT_EQ(1, proc_entry(t, h, rest, sizeof(rest))) TH_LOG("%s", t);
	EXPECT_EQ((ull)(3 * ps), strtoull(rest, NULL, 10)) TH_LOG("h: \"%s\"", rest);

	/* The host's files, in the kid's hands, act on the host registry. */
	ASSERT_EQ(0, k_take_host(&a, self->fd, &hs, &ha));
	EXPECT_EQ(0, K_INFO(&a, hs, h));
	EXPECT_EQ(ps, kr.size);
	EXPECT_EQ(0, K_READ(&a, hs, h, 0, ps, 1));
	EXPECT_EQ(-ENOENT, K_INFO(&a, hs, c));
	EXPECT_EQ(0, K_LIST(&a, hs, self->prefix));
	EXPECT_EQ(1ULL, kr.n);
	EXPECT_EQ(ps, kr.ent[0].size);
	EXPECT_EQ(0, K_ADD(&a, hs, fk, 1, WMS_ADD_EXCL, 0644));
	EXPECT_EQ(0, w_info(self->fd, fk, &wi));
	EXPECT_EQ(1ULL, wi.size);
	EXPECT_EQ(-ENOENT, K_INFO(&a, s, fk));
	EXPECT_EQ(0, K_ATTACH(&a, ha, h));
	EXPECT_EQ(0, KOP(&a, NULL, .op = OP_MMAP, .slot = ha, .len = ps, .size = ps,
			 .mode = PROT_READ, .seed = 1)) TH_LOG("mapping the host's entry in the kid");
	EXPECT_EQ(0, w_info(self->fd, h, &wi));
	EXPECT_EQ(1U, wi.attached);

	/* The kid's namespace dies: its files in the test's hands see it retired. */
	EXPECT_EQ(0, kid_end(&a));
	EXPECT_EQ(-ENOENT, wait_gone(kf, c)) TH_LOG("the kid's entries outlived its namespace");
	EXPECT_EQ(0, w_info(self->fd, h, &wi));
	EXPECT_EQ(0U, wi.attached) TH_LOG("the kid's attached file of the host's entry is gone");
	close(kf);
	close(ka);
	close(pf);
	EXPECT_EQ(0, wait_stat("registries", self->reg0, true, NULL, NULL));
}

TEST_F_TIMEOUT(ns, dead_namespace_file, 120)
{
	const char *d = NM("d"), *nw = NM("new");
	size_t ps = self->ps, size = 2 * ps + 1, msize = round_pg(size);
	__u64 b0 = stat_or("bytes"), e0 = stat_or("entries"), f0 = stat_or("failed_adds/EIDRM");
	__u64 got, total;
	struct wms_list_entry le;
	struct wms_info wi;
	unsigned char *buf, *m;
	struct kid a;
	int s, kf, fa;

	NEED_REGISTRIES();
	buf = malloc(msize);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	s = K_OPEN(&a);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, K_ADD(&a, s, d, size, WMS_ADD_EXCL, 0600));
	ASSERT_EQ(0, K_WRITE(&a, s, d, 0, size, 5));
	fa = K_OPEN(&a);
	ASSERT_EQ(0, K_ATTACH(&a, fa, d));
	kf = k_give(&a, s);
	fa = k_give(&a, fa);
	ASSERT_LE(0, kf);
	ASSERT_LE(0, fa);
	EXPECT_EQ(0, kid_end(&a));

	EXPECT_EQ(-ENOENT, wait_gone(kf, d)) TH_LOG("the entry outlived its namespace");
	EXPECT_EQ(-EIDRM, w_add(kf, nw, ps, 0, 0600, NULL));
	EXPECT_EQ(-EIDRM, w_add(kf, nw, 0, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-EIDRM, w_add(kf, d, size, 0, 0600, NULL));
	EXPECT_EQ(f0 + 3, stat_or("failed_adds/EIDRM"));
	EXPECT_EQ(-ENOENT, w_read(kf, d, 0, buf, 1, NULL));
	EXPECT_EQ(-ENOENT, w_write(kf, d, 0, buf, 1, NULL));
	EXPECT_EQ(-ENOENT, w_remove(kf, d));
	EXPECT_EQ(0, list_prefix(kf, "", &le, 1, &total));
	EXPECT_EQ(0ULL, total);
	EXPECT_EQ(-ENOENT, w_attach(kf, d));
	EXPECT_EQ(-ENOENT, w_info(self->fd, nw, &wi)) TH_LOG("a refused ADD made an entry in the host registry");
	EXPECT_EQ(e0, stat_or("entries"));

	/* The attached file keeps read, write and mmap of the retired entry. */
	EXPECT_EQ((ssize_t)size, pread(fa, buf, size, 0));
	EXPECT_TRUE(pat_ok(buf, 0, size, 5));
	pat_fill(buf, ps, 16, 6);
	EXPECT_EQ(16, pwrite(fa, buf, 16, ps));
	m = mmap(NULL, msize, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	ASSERT_TRUE(m != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_TRUE(pat_ok(m, 0, ps, 5));
	EXPECT_TRUE(pat_ok(m + ps, ps, 16, 6));
	m[size - 1] = 0x5a;
	EXPECT_EQ(1, pread(fa, buf, 1, size - 1));
	EXPECT_EQ(0x5a, buf[0]);
	munmap(m, msize);
	/* Charged until freed, as any removed entry in use. */
	EXPECT_EQ(b0 + msize, stat_or("bytes"));
	close(fa);
	EXPECT_EQ(0, wait_stat("bytes", b0, false, &got, NULL)) TH_LOG("bytes %llu, want %llu", (ull)got, (ull)b0);
	close(kf);
	EXPECT_EQ(0, wait_stat("registries", self->reg0, true, NULL, NULL));
	free(buf);
}

/*
 * A namespace no process is in, kept alive by a file of it (an nsfs file, as
 * /proc/PID/ns/ipc or a bind mount of it gives): its registry and entries stay,
 * a process joining it with setns() finds them, and they go with the file.
 */
TEST_F_TIMEOUT(ns, nsfs_file_keeps_registry, 120)
{
	const char *p = NM("p");
	size_t size = self->ps + 3;
	__u64 e0 = stat_or("entries"), b0 = stat_or("bytes"), got;
	unsigned long long ino;
	char path[64];
	static char t[TEXT_MAX];
	__u64 e = 0, b = 0;
	int s, nsfd, own, f, r1, r2;
	struct kid a;

	NEED_REGISTRIES();
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	ino = ns_ino(a.pid);
	s = K_OPEN(&a);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, K_ADD(&a, s, p, size, WMS_ADD_EXCL, 0600));
	ASSERT_EQ(0, K_WRITE(&a, s, p, 0, size, 11));
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", a.pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, nsfd) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_EQ(0, kid_end(&a));

	/* No process in it, and a read of `registries` retires dead ones at once. */
	EXPECT_EQ(self->reg0 + 1, stat_or("registries")) TH_LOG("a namespace pinned by a file was taken for dead");
	EXPECT_EQ(e0 + 1, stat_or("entries"));
	EXPECT_EQ(b0 + round_pg(size), stat_or("bytes"));
	ASSERT_LE(0, slurp(PROC_NS, t, sizeof(t)));
	EXPECT_EQ(1, ns_line(t, ino, &e, &b)) TH_LOG("no line for ipc:[%llu]:\n%s", ino, t);
	EXPECT_EQ(1ULL, e);
	EXPECT_EQ((__u64)round_pg(size), b);

	/* Join it (and come back at once): the entry is there, with its data. */
	own = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, own);
	r1 = setns(nsfd, CLONE_NEWIPC) ? -errno : 0;
	f = r1 ? -1 : open_wms();
	r2 = setns(own, CLONE_NEWIPC) ? -errno : 0;
	close(own);
	ASSERT_EQ(0, r2) TH_LOG("cannot get back to the test's IPC namespace: %s", errname(r2));
	ASSERT_EQ(0, r1) TH_LOG("setns into the pinned namespace: %s", errname(r1));
	ASSERT_LE(0, f) TH_LOG("open in the pinned namespace: %s", strerror(errno));
	EXPECT_EQ(0, read_check(f, p, 0, size, 11));
	EXPECT_EQ(-ENOENT, w_info(self->fd, p, NULL)) TH_LOG("the pinned namespace's entry is in the host registry");
	close(f);
	EXPECT_EQ(self->reg0 + 1, stat_or("registries")) TH_LOG("the last /dev/wms file of a pinned namespace retired it");

	/* The namespace dies with its last file: entries and registry go. */
	close(nsfd);
	EXPECT_EQ(0, wait_stat("registries", self->reg0, true, &got, NULL)) TH_LOG("registries %llu", (ull)got);
	EXPECT_EQ(e0, stat_or("entries"));
	EXPECT_EQ(0, wait_stat("bytes", b0, false, &got, NULL)) TH_LOG("bytes %llu, want %llu", (ull)got, (ull)b0);
}

TEST_F_TIMEOUT(ns, reaper_frees_entries, 120)
{
	size_t ps = self->ps;
	__u64 e0 = stat_or("entries"), b0 = stat_or("bytes"), a0 = stat_or("adds"), got;
	__u64 r0 = stat_or("removes");
	double secs;
	struct kid a;
	int s;

	NEED_REGISTRIES();
	ASSERT_EQ(0, kid_start(&a, NS_IPC | NS_USER));
	s = K_OPEN(&a);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, K_ADD(&a, s, NM("z"), 0, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_ADD(&a, s, NM("one"), 1, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_ADD(&a, s, NM("big"), 3 * ps - 5, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_WRITE(&a, s, NM("big"), 0, 3 * ps - 5, 7));
	/* sysfs counts every registry. */
	EXPECT_EQ(e0 + 3, stat_or("entries"));
	EXPECT_EQ(b0 + 4 * ps, stat_or("bytes"));
	EXPECT_EQ(a0 + 3, stat_or("adds"));
	EXPECT_EQ(0, kid_end(&a));
	/* Nobody reads registries: the reaper retires it. */
	EXPECT_EQ(0, wait_stat("entries", e0, false, &got, &secs)) TH_LOG("entries %llu, want %llu", (ull)got, (ull)e0);
	diag("entries back %.2f s after the namespace died", secs);
	EXPECT_EQ(0, wait_stat("bytes", b0, false, &got, NULL)) TH_LOG("bytes %llu, want %llu", (ull)got, (ull)b0);
	EXPECT_EQ(r0 + 3, stat_or("removes")) TH_LOG("a namespace's death counts as removes");
	EXPECT_EQ(0, wait_stat("registries", self->reg0, false, NULL, NULL));
}

/* ---- 1,000 namespaces ---- */

struct churn {
	unsigned int seed;
	size_t size;
	bool hold;
	char a[NAME_LEN], z[NAME_LEN];
};

/* A churn kid: fill its new namespace, maybe hand an attached file over, exit. */
static void churn_kid(int sock, void *arg)
{
	const struct churn *c = arg;
	int fd = open_wms(), fa = -1;
	struct wms_add out;

	if (fd < 0)
		_exit(20);
	if (w_add(fd, c->a, c->size, WMS_ADD_EXCL, 0600, &out) || out.flags != WMS_ADD_CREATED)
		_exit(21);
	if (write_pat(fd, c->a, 0, c->size, c->seed))
		_exit(22);
	if (w_add(fd, c->z, 0, WMS_ADD_EXCL, 0600, NULL))
		_exit(23);
	if (c->hold && ((fa = open_wms()) < 0 || w_attach(fa, c->a)))
		_exit(24);
	if (c->hold && msg_send(sock, "h", 1, fa))
		_exit(25);
	_exit(0);
}

/* One namespace of the churn: how many checks failed (each logged). */
static int churn_one(struct __test_metadata *_metadata, unsigned int i, struct churn *c,
		     __u64 e0, __u64 b0)
{
	size_t msize;
	unsigned char *m;
	int r, bad = 0, fa = -1;
	struct kid k;
	__u64 got;
	char tag;

	c->seed = i + 1;
	c->size = (1 + i % 3) * page_size() - i % 7;
	c->hold = i % 8 == 3;
	msize = round_pg(c->size);
	/* Odd ones in a new user namespace too (unmapped: cheap). */
	r = kid_start_fn(&k, NS_IPC | (i & 1 ? NS_RAWUSER : 0), 0, churn_kid, c);
	if (r) {
		TH_LOG("namespace %u: fork: %s", i, errname(r));
		return 1;
	}
	if (c->hold && (r = msg_recv(k.sock, &tag, 1, &fa, WAIT_S * 1000))) {
		TH_LOG("namespace %u: no attached file from the kid: %s", i, errname(r));
		bad++;
	}
	r = kid_end(&k);
	if (r) {
		TH_LOG("namespace %u: kid status %d (20 open, 21 ADD, 22 WRITE, 23 ADD, 24 ATTACH, 25 send)",
		       i, r);
		bad++;
	}
	r = wait_stat("entries", e0, true, &got, NULL);
	if (r) {
		TH_LOG("namespace %u: entries %llu, not back to %llu (%s)", i, (ull)got, (ull)e0,
		       errname(r));
		bad++;
	}
	if (fa >= 0) {
		/* The namespace is gone; its entry lives on in this file. */
		got = stat_or("bytes");
		m = mmap(NULL, msize, PROT_READ, MAP_SHARED, fa, 0);
		if (got != b0 + msize) {
			TH_LOG("namespace %u: bytes %llu with the retired entry held, want %llu",
			       i, (ull)got, (ull)(b0 + msize));
			bad++;
		}
		if (m == MAP_FAILED || !pat_ok(m, 0, c->size, c->seed) ||
		    (c->size < msize && m[c->size])) {
			TH_LOG("namespace %u: the data did not survive its namespace (mmap: %s)",
			       i, m == MAP_FAILED ? strerror(errno) : "done");
			bad++;
		}
		if (m != MAP_FAILED)
			munmap(m, msize);
		close(fa);
	}
	r = wait_stat("bytes", b0, false, &got, NULL);
	if (r) {
		TH_LOG("namespace %u: bytes %llu, not back to %llu (%s)", i, (ull)got, (ull)b0,
		       errname(r));
		bad++;
	}
	return bad;
}

TEST_F_TIMEOUT(ns, churn_namespaces, 900)
{
	/*
	 * endurance.sh's noise on 4 KiB pages. With larger pages every slab
	 * is a 16 or 64 KiB page, and the kernel frees dead IPC namespaces
	 * in a worker, one RCU grace period each (kern_unmount() of the
	 * mqueue mount), so what 1,000 of them leave in partly used slabs
	 * is counted in whole pages: ppc64el (64 KiB) was seen at +640 kB
	 * and at +8256 kB in two runs. There 256 pages of Slab (and of
	 * MemFree), which a leak of wms's, the same code on every
	 * architecture, would still pass only if it also passed amd64's
	 * 512 kB (and kmemleak on the debug kernel). VmallocUsed also moves
	 * with the kernel stacks of exited tasks kept for reuse, up to 2 per
	 * cpu (16 KiB each, or a page if larger).
	 */
	long long pg = (long long)page_size() / 1024, stack = pg > 16 ? pg : 16;
	long long slab_n = noise_kb("SLAB", pg > 4 ? 256 * pg : 512),
		  free_n = noise_kb("MEMFREE", pg > 4 && 256 * pg > 8192 ? 256 * pg : 8192),
		  vm_n = noise_kb("VMALLOC", 16 * pg + 2 * stack * sysconf(_SC_NPROCESSORS_CONF));
	unsigned int i, bad = 0;
	struct mem m0, m1;
	struct churn c;
	__u64 e0, b0, got;
	double t0;

	NEED_REGISTRIES();
	memset(&c, 0, sizeof(c));
	set_field(c.a, NM("a"));
	set_field(c.z, NM("z"));
	e0 = stat_or("entries");
	b0 = stat_or("bytes");
	/*
	 * A tenth first, so that what the kernel keeps once made (the memcg
	 * shrinker maps grow with the mqueue superblocks alive at once: +148 kB
	 * of VmallocUsed in the first churn of an i386 boot, +0 in the next)
	 * is in the baseline.
	 */
	for (i = 0; i < g_churn / 10 + 50 && !bad; i++)
		bad += churn_one(_metadata, i, &c, e0, b0);
	settle(&m0);
	diag("baseline: Slab %lld kB, VmallocUsed %lld kB, MemFree + per-cpu lists %lld kB; entries %llu, bytes %llu, registries %llu",
	     m0.slab, m0.vmalloc, m0.free, (ull)e0, (ull)b0, (ull)self->reg0);
	t0 = now_s();
	for (i = 0; i < g_churn && bad < 5; i++)
		bad += churn_one(_metadata, i, &c, e0, b0);
	diag("%u namespaces (%u with a mapping held across their death) in %.1f s",
	     i, (i + 4) / 8, now_s() - t0);
	EXPECT_EQ(0U, bad);
	EXPECT_EQ(g_churn, i);
	EXPECT_EQ(0, wait_stat("registries", self->reg0, true, &got, NULL))
		TH_LOG("registries %llu, want %llu", (ull)got, (ull)self->reg0);
	EXPECT_EQ(e0, stat_or("entries"));
	EXPECT_EQ(b0, stat_or("bytes"));
	/*
	 * The kernel frees dead IPC namespaces in one work item, an RCU grace
	 * period for each one's mqueue mount (kern_unmount()): after 1,000 of
	 * them that took 30 s on i386 under TCG. So wait (MEM_WAIT_S at most)
	 * for the figures to come back; a leak never does.
	 */
	t0 = now_s();
	do
		settle(&m1);
	while ((m1.slab - m0.slab > slab_n || m1.vmalloc - m0.vmalloc > vm_n ||
		m0.free - m1.free > free_n) && now_s() - t0 < MEM_WAIT_S);
	diag("end, %.1f s later: Slab %lld kB (%+lld), VmallocUsed %lld kB (%+lld), MemFree + per-cpu lists %lld kB (%+lld)",
	     now_s() - t0, m1.slab, m1.slab - m0.slab, m1.vmalloc, m1.vmalloc - m0.vmalloc, m1.free,
	     m1.free - m0.free);
	EXPECT_LE(m1.slab - m0.slab, slab_n) TH_LOG("Slab grew by more than the noise, %lld kB", slab_n);
	EXPECT_LE(m1.vmalloc - m0.vmalloc, vm_n) TH_LOG("VmallocUsed grew by more than the noise, %lld kB", vm_n);
	EXPECT_LE(m0.free - m1.free, free_n) TH_LOG("MemFree + per-cpu lists fell by more than the noise, %lld kB", free_n);
}

/* ---- Containers and owners ---- */

TEST_F_TIMEOUT(ns, container_no_override, 120)
{
	const char *h600 = NM("h600"), *h644 = NM("h644"), *h666 = NM("h666"), *g = NM("g");
	size_t ps = self->ps;
	struct wms_info wi;
	char q[3][NAME_LEN];
	int hs, ha, own, i;
	struct kid a;

	NEED_REGISTRIES();
	ASSERT_EQ(0, param_write("max_user_entries", 2));
	ASSERT_EQ(0, w_add(self->fd, h600, ps, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_add(self->fd, h644, ps, WMS_ADD_EXCL, 0644, NULL));
	ASSERT_EQ(0, w_add(self->fd, h666, ps, WMS_ADD_EXCL, 0666, NULL));
	ASSERT_EQ(0, write_pat(self->fd, h600, 0, ps, 11));
	ASSERT_EQ(0, write_pat(self->fd, h644, 0, ps, 12));
	ASSERT_EQ(0, write_pat(self->fd, h666, 0, ps, 13));
	/* uid 0 of new user and IPC namespaces, host uid CUID. */
	ASSERT_EQ(0, kid_start(&a, NS_IPC | NS_USER));
	ASSERT_EQ(0, k_take_host(&a, self->fd, &hs, &ha));

	EXPECT_EQ(0, K_INFO(&a, hs, h600));
	EXPECT_EQ(OVERFLOW_ID, kr.uid);
	EXPECT_EQ(OVERFLOW_ID, kr.gid);
	EXPECT_EQ(-EACCES, K_READ(&a, hs, h600, 0, ps, 11));
	EXPECT_EQ(-EACCES, K_WRITE(&a, hs, h600, 0, 1, 1));
	EXPECT_EQ(-EPERM, K_REMOVE(&a, hs, h600));
	EXPECT_EQ(-EACCES, K_ADD(&a, hs, h600, ps, 0, 0600)) TH_LOG("ADD of an existing name");
	EXPECT_EQ(-EACCES, K_ATTACH(&a, ha, h600));
	EXPECT_EQ(0, K_READ(&a, hs, h644, 0, ps, 12));
	EXPECT_EQ(-EACCES, K_WRITE(&a, hs, h644, 0, 1, 1));
	EXPECT_EQ(-EPERM, K_REMOVE(&a, hs, h644));
	EXPECT_EQ(0, K_READ(&a, hs, h666, 0, ps, 13));
	EXPECT_EQ(0, K_WRITE(&a, hs, h666, 0, 16, 14));
	EXPECT_EQ(-EPERM, K_REMOVE(&a, hs, h666));
	EXPECT_EQ(-EPERM, K_ADD(&a, hs, "." PFX "container", 1, 0, 0600)) TH_LOG("a reserved name");
	EXPECT_EQ(0, K_ATTACH(&a, ha, h644));
	EXPECT_EQ(-EACCES, KOP(&a, NULL, .op = OP_MMAP, .slot = ha, .len = ps,
			       .mode = PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, KOP(&a, NULL, .op = OP_MMAP, .slot = ha, .len = ps, .size = ps,
			 .mode = PROT_READ, .seed = 12, .flags = 1));
	EXPECT_EQ(-EACCES, kr.r2) TH_LOG("mprotect(PROT_WRITE) of a read-only mapping");
	/* No quota exemption in the host registry... */
	for (i = 0; i < 3; i++)
		snprintf(q[i], NAME_LEN, "%sq%d", self->prefix, i);
	EXPECT_EQ(0, K_ADD(&a, hs, q[0], 0, WMS_ADD_EXCL, 0644));
	EXPECT_EQ(0, K_ADD(&a, hs, q[1], 0, WMS_ADD_EXCL, 0644));
	EXPECT_EQ(-ENOSPC, K_ADD(&a, hs, q[2], 0, WMS_ADD_EXCL, 0644)) TH_LOG("max_user_entries 2");
	EXPECT_EQ(0, K_INFO(&a, hs, q[0]));
	EXPECT_EQ(0U, kr.uid);
	EXPECT_EQ(0, w_info(self->fd, q[0], &wi));
	EXPECT_EQ(CUID, wi.uid);
	EXPECT_EQ(CUID, wi.gid);
	/* ... nor a fresh quota in its own: its uid is at it in all registries. */
	own = K_OPEN(&a);
	ASSERT_LE(0, own);
	EXPECT_EQ(-ENOSPC, K_ADD(&a, own, q[0], 0, WMS_ADD_EXCL, 0644))
		TH_LOG("CAP_SYS_ADMIN of its own user namespace escaped the quota over all registries");

	/* Its CAP_SYS_ADMIN overrides permissions in its own registry. */
	EXPECT_EQ(0, K_ADD_AS(&a, 1000, g, ps, 0600));
	EXPECT_EQ(0, K_INFO(&a, own, g));
	EXPECT_EQ(1000U, kr.uid);
	EXPECT_EQ(0, K_WRITE(&a, own, g, 0, ps, 15));
	EXPECT_EQ(0, K_READ(&a, own, g, 0, ps, 15));
	EXPECT_EQ(0, K_REMOVE(&a, own, g));
	EXPECT_EQ(0, kid_end(&a));

	/* The host's entries are untouched. */
	EXPECT_EQ(0, read_check(self->fd, h600, 0, ps, 11));
	EXPECT_EQ(0, read_check(self->fd, h644, 0, ps, 12));
	EXPECT_EQ(0, read_check(self->fd, h666, 0, 16, 14));
	EXPECT_EQ(0, read_check(self->fd, h666, 16, ps - 16, 13));
	EXPECT_EQ(-ENOENT, w_info(self->fd, q[2], &wi));
}

TEST_F_TIMEOUT(ns, uid_in_callers_userns, 120)
{
	static char t[TEXT_MAX];
	const char *hu = NM("hu"), *u0 = NM("u0"), *u1 = NM("u1k");
	size_t ps = self->ps;
	struct wms_list_entry le[4];
	struct wms_info wi;
	struct kid a, j;
	char rest[128], want[128];
	__u64 total;
	int own, kf, pf, hs, n, i;

	NEED_REGISTRIES();
	ASSERT_EQ(0, w_add(self->fd, hu, ps, WMS_ADD_EXCL, 0644, NULL));
	ASSERT_EQ(0, kid_start(&a, NS_IPC | NS_USER));
	own = K_OPEN(&a);
	ASSERT_LE(0, own);
	ASSERT_EQ(0, K_ADD(&a, own, u0, ps, WMS_ADD_EXCL, 0644));
	ASSERT_EQ(0, K_ADD_AS(&a, 1000, u1, 1, 0644));

	/* In the kid's user namespace. */
	EXPECT_EQ(0, K_INFO(&a, own, u0));
	EXPECT_EQ(0U, kr.uid);
	EXPECT_EQ(0U, kr.gid);
	EXPECT_EQ(0, K_INFO(&a, own, u1));
	EXPECT_EQ(1000U, kr.uid);
	EXPECT_EQ(1000U, kr.gid);
	EXPECT_EQ(0, K_LIST(&a, own, ""));
	ASSERT_EQ(2U, kr.n);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(strcmp(kr.ent[i].name, u0) ? 1000U : 0U, kr.ent[i].uid);
	}
	EXPECT_LE(0, K_CAT(&a, PROC_WMS));
	EXPECT_EQ(1, proc_entry(kr.text, u0, rest, sizeof(rest))) TH_LOG("%s", kr.text);
	snprintf(want, sizeof(want), "%llu 0 0 0644 0", (ull)ps);
	EXPECT_STREQ(want, rest);
	EXPECT_EQ(1, proc_entry(kr.text, u1, rest, sizeof(rest)));
	EXPECT_STREQ("1 1000 1000 0644 0", rest);
	/* The host's root, unmapped there. */
	hs = k_take(&a, self->fd);
	ASSERT_LE(0, hs);
	EXPECT_EQ(0, K_INFO(&a, hs, hu));
	EXPECT_EQ(OVERFLOW_ID, kr.uid);
	EXPECT_EQ(OVERFLOW_ID, kr.gid);
	EXPECT_EQ(0, K_LIST(&a, hs, hu));
	ASSERT_EQ(1U, kr.n);
	EXPECT_EQ(OVERFLOW_ID, kr.ent[0].uid);
	EXPECT_EQ(OVERFLOW_ID, kr.ent[0].gid);

	/* The kid's file in the test's hands: ids in the test's user namespace. */
	kf = k_give(&a, own);
	ASSERT_LE(0, kf);
	EXPECT_EQ(0, w_info(kf, u0, &wi));
	EXPECT_EQ(CUID, wi.uid);
	EXPECT_EQ(CUID, wi.gid);
	EXPECT_EQ(0, w_info(kf, u1, &wi));
	EXPECT_EQ(CUID + 1000, wi.uid);
	EXPECT_EQ(CUID + 1000, wi.gid);
	n = list_prefix(kf, "", le, 4, &total);
	EXPECT_EQ(2, n);
	for (i = 0; i < n && i < 4; i++) {
		EXPECT_EQ(strcmp(le[i].name, u0) ? CUID + 1000 : CUID, le[i].uid);
	}
	/* /proc/driver/wms: ids in its opener's user namespace, whoever reads. */
	pf = k_give(&a, KOP(&a, PROC_WMS, .op = OP_OPEN, .flags = O_RDONLY));
	ASSERT_LE(0, pf);
	EXPECT_LE(0, slurp_fd(pf, t, sizeof(t)));
	close(pf);
	EXPECT_EQ(1, proc_entry(t, u1, rest, sizeof(rest))) TH_LOG("%s", t);
	EXPECT_STREQ("1 1000 1000 0644 0", rest);
	/* Opened by the host's root, joined to the kid's IPC namespace. */
	ASSERT_EQ(0, kid_join(&j, a.pid));
	EXPECT_LE(0, K_CAT(&j, PROC_WMS));
	EXPECT_EQ(1, proc_entry(kr.text, u0, rest, sizeof(rest))) TH_LOG("%s", kr.text);
	snprintf(want, sizeof(want), "%llu %u %u 0644 0", (ull)ps, CUID, CUID);
	EXPECT_STREQ(want, rest);
	EXPECT_EQ(1, proc_entry(kr.text, u1, rest, sizeof(rest)));
	snprintf(want, sizeof(want), "1 %u %u 0644 0", CUID + 1000, CUID + 1000);
	EXPECT_STREQ(want, rest);
	EXPECT_EQ(0, kid_end(&j));
	EXPECT_EQ(0, kid_end(&a));
	close(kf);
}

/* ---- Limits ---- */

TEST_F_TIMEOUT(ns, total_bytes_host_wide, 120)
{
	size_t ps = self->ps;
	__u64 b0 = stat_or("bytes"), f0 = stat_or("failed_adds/ENOSPC"), got;
	struct kid a, b;
	int sa, sb;

	NEED_REGISTRIES();
	ASSERT_NE(~0ULL, b0);
	ASSERT_EQ(0, param_write("max_total_bytes", b0 + 8 * ps));
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	ASSERT_EQ(0, kid_start(&b, NS_IPC | NS_USER));
	sa = K_OPEN(&a);
	sb = K_OPEN(&b);
	ASSERT_LE(0, sa);
	ASSERT_LE(0, sb);
	EXPECT_EQ(0, K_ADD(&a, sa, NM("a5"), 5 * ps, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(-ENOSPC, K_ADD(&b, sb, NM("b4"), 4 * ps, WMS_ADD_EXCL, 0600))
		TH_LOG("5 + 4 pages in two namespaces under a limit of 8");
	EXPECT_EQ(0, K_ADD(&b, sb, NM("b3"), 3 * ps, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_ADD(&b, sb, NM("bz"), 0, WMS_ADD_EXCL, 0600)) TH_LOG("size 0 at the limit");
	EXPECT_EQ(-ENOSPC, K_ADD(&b, sb, NM("b1"), 1, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("h1"), 1, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(b0 + 8 * ps, stat_or("bytes"));
	EXPECT_EQ(f0 + 3, stat_or("failed_adds/ENOSPC"));
	/* a's namespace dies: its bytes come back, for the others. */
	EXPECT_EQ(0, kid_end(&a));
	EXPECT_EQ(0, wait_stat("bytes", b0 + 3 * ps, true, &got, NULL)) TH_LOG("bytes %llu", (ull)got);
	EXPECT_EQ(0, K_ADD(&b, sb, NM("b5"), 5 * ps, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, kid_end(&b));
	EXPECT_EQ(0, wait_stat("bytes", b0, true, &got, NULL)) TH_LOG("bytes %llu", (ull)got);
}

TEST_F_TIMEOUT(ns, max_entries_per_registry, 120)
{
	struct wms_list_entry le;
	__u64 host, lim;
	struct kid a, b;
	int sa, sb, i;

	NEED_REGISTRIES();
	ASSERT_EQ(0, list_prefix(self->fd, "\377", &le, 1, &host));
	lim = host + 2 > 3 ? host + 2 : 3;
	ASSERT_EQ(0, param_write("max_entries", lim));
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	ASSERT_EQ(0, kid_start(&b, NS_IPC | NS_USER));
	sa = K_OPEN(&a);
	sb = K_OPEN(&b);
	ASSERT_LE(0, sa);
	ASSERT_LE(0, sb);
	/* a fills its registry; b and the host still have room in theirs. */
	for (i = 0; i < (int)lim; i++) {
		EXPECT_EQ(0, K_ADD(&a, sa, NM("a%d", i), 0, WMS_ADD_EXCL, 0600)) TH_LOG("a: %d of %llu", i, (ull)lim);
	}
	EXPECT_EQ(-ENOSPC, K_ADD(&a, sa, NM("a-over"), 0, WMS_ADD_EXCL, 0600));
	for (i = 0; i < (int)lim; i++) {
		EXPECT_EQ(0, K_ADD(&b, sb, NM("b%d", i), 0, WMS_ADD_EXCL, 0600)) TH_LOG("b: %d of %llu", i, (ull)lim);
	}
	EXPECT_EQ(-ENOSPC, K_ADD(&b, sb, NM("b-over"), 0, WMS_ADD_EXCL, 0600));
	for (i = 0; i < (int)(lim - host); i++) {
		EXPECT_EQ(0, w_add(self->fd, NM("h%d", i), 0, WMS_ADD_EXCL, 0600, NULL))
			TH_LOG("host: %d of %llu", i, (ull)(lim - host));
	}
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("h-over"), 0, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(0, kid_end(&a));
	EXPECT_EQ(0, kid_end(&b));
}

TEST_F_TIMEOUT(ns, user_quotas_all_registries, 120)
{
	size_t ps = self->ps;
	struct kid a, b, c, h;
	int sb, sc;

	NEED_REGISTRIES();
	ASSERT_EQ(0, param_write("max_user_entries", 3));
	ASSERT_EQ(0, param_write("max_user_bytes", 2 * ps));
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	ASSERT_EQ(0, kid_start(&b, NS_IPC | NS_USER));
	ASSERT_EQ(0, kid_start(&c, NS_IPC | NS_USER));
	ASSERT_EQ(0, kid_start(&h, 0));
	sb = K_OPEN(&b);
	ASSERT_LE(0, sb);
	sc = K_OPEN(&c);
	ASSERT_LE(0, sc);
	/*
	 * a's namespace belongs to the initial user namespace: only the
	 * host's root can make one (as a container runtime does), and its
	 * registry has quotas of its own, as the host's has. The host's uid
	 * 1000: two pages and three entries in each.
	 */
	EXPECT_EQ(0, K_ADD_AS(&a, 1000, NM("ua0"), 2 * ps, 0600));
	EXPECT_EQ(-ENOSPC, K_ADD_AS(&a, 1000, NM("ua1"), 1, 0600));
	EXPECT_EQ(0, K_ADD_AS(&h, 1000, NM("uh0"), 2 * ps, 0600))
		TH_LOG("what uid 1000 has in a root-made namespace counted in the host registry");
	EXPECT_EQ(-ENOSPC, K_ADD_AS(&h, 1000, NM("uh1"), 1, 0600));
	EXPECT_EQ(0, K_ADD_AS(&a, 1000, NM("ua1"), 0, 0600));
	EXPECT_EQ(0, K_ADD_AS(&a, 1000, NM("ua2"), 0, 0600));
	EXPECT_EQ(-ENOSPC, K_ADD_AS(&a, 1000, NM("ua3"), 0, 0600)) TH_LOG("max_user_entries 3");
	EXPECT_EQ(0, K_ADD_AS(&h, 1000, NM("uh1"), 0, 0600));
	/*
	 * b's and c's belong to user namespaces, which anyone can make: there
	 * a kernel uid's quotas bound what it has in all registries together,
	 * the host's and a's included. Their uid 1000 is the host's CUID +
	 * 1000: an entry of size 0 in the host's, a page in a's...
	 */
	EXPECT_EQ(0, K_ADD_AS(&h, CUID + 1000, NM("uh2"), 0, 0600));
	EXPECT_EQ(0, K_ADD_AS(&a, CUID + 1000, NM("ua4"), ps, 0600));
	EXPECT_EQ(0, K_ADD_AS(&b, 1000, NM("ub0"), ps, 0600));
	/* ... a page in b's, and no more bytes in b's or a fresh one... */
	EXPECT_EQ(-ENOSPC, K_ADD_AS(&b, 1000, NM("ub1"), 1, 0600))
		TH_LOG("what the uid has in a's registry did not count");
	EXPECT_EQ(-ENOSPC, K_ADD_AS(&c, 1000, NM("uc0"), 1, 0600))
		TH_LOG("a fresh user namespace's registry gave a fresh quota");
	/* ... nor a fourth entry, even of size 0. */
	EXPECT_EQ(-ENOSPC, K_ADD_AS(&c, 1000, NM("uc0"), 0, 0600)) TH_LOG("max_user_entries 3 in all");
	/* b's uid 0 has CAP_SYS_ADMIN there, not in the initial user namespace. */
	EXPECT_EQ(0, K_ADD(&b, sb, NM("b0"), 2 * ps, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(-ENOSPC, K_ADD(&c, sc, NM("c0"), 1, WMS_ADD_EXCL, 0600))
		TH_LOG("CAP_SYS_ADMIN of its own user namespace escaped the quota over all registries");
	/* b's namespace dies: what its uids had there is uncharged. */
	EXPECT_EQ(0, kid_end(&b));
	EXPECT_EQ(0, wait_stat("registries", self->reg0 + 2, true, NULL, NULL));
	EXPECT_EQ(0, K_ADD(&c, sc, NM("c0"), 2 * ps, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_ADD_AS(&c, 1000, NM("uc0"), ps, 0600));
	/* The host's root has no quota. */
	EXPECT_EQ(0, w_add(self->fd, NM("root"), 3 * ps, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(0, kid_end(&h));
	EXPECT_EQ(0, kid_end(&c));
	EXPECT_EQ(0, kid_end(&a));
}

TEST_F_TIMEOUT(ns, namespaces_proc, 120)
{
	static char t[TEXT_MAX];
	unsigned long long ino0 = ns_ino(0), ia, ib, ic;
	size_t ps = self->ps;
	struct wms_list_entry le;
	__u64 e, b, host;
	struct kid a, bk, c, j, u;
	int sa, sb;

	NEED_REGISTRIES();
	ASSERT_EQ(0, kid_start(&a, NS_IPC));
	ASSERT_EQ(0, kid_start(&bk, NS_IPC | NS_USER));
	ASSERT_EQ(0, kid_start(&c, NS_IPC));
	ia = ns_ino(a.pid);
	ib = ns_ino(bk.pid);
	ic = ns_ino(c.pid);
	sa = K_OPEN(&a);
	sb = K_OPEN(&bk);
	ASSERT_LE(0, sa);
	ASSERT_LE(0, sb);
	EXPECT_EQ(0, K_ADD(&a, sa, NM("x"), ps + 1, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_ADD(&a, sa, NM("y"), 0, WMS_ADD_EXCL, 0600));
	EXPECT_EQ(0, K_ADD(&bk, sb, NM("x"), ps, WMS_ADD_EXCL, 0600));

	/* The host's root sees every registry; c's namespace has none. */
	ASSERT_LE(0, slurp(PROC_NS, t, sizeof(t)));
	EXPECT_EQ(0, strncmp(t, NS_HDR, strlen(NS_HDR)));
	EXPECT_EQ(self->reg0 + 2, stat_or("registries"));
	EXPECT_EQ((int)self->reg0 + 2, body_lines(t)) TH_LOG("%s", t);
	EXPECT_EQ(1, ns_line(t, ino0, &e, &b)) TH_LOG("%s", t);
	EXPECT_EQ(ino0, strtoull(t + strlen(NS_HDR), NULL, 10)) TH_LOG("the initial registry first:\n%s", t);
	ASSERT_EQ(0, list_prefix(self->fd, "\377", &le, 1, &host));
	EXPECT_EQ(host, e);
	EXPECT_EQ(1, ns_line(t, ia, &e, &b)) TH_LOG("%s", t);
	EXPECT_EQ(2ULL, e);
	EXPECT_EQ(2 * ps, b);
	EXPECT_EQ(1, ns_line(t, ib, &e, &b)) TH_LOG("%s", t);
	EXPECT_EQ(1ULL, e);
	EXPECT_EQ(ps, b);
	EXPECT_EQ(0, ns_line(t, ic, NULL, NULL)) TH_LOG("%s", t);

	/* Anyone else: its own line only. */
	EXPECT_LE(0, K_CAT(&a, PROC_NS));
	EXPECT_EQ(1, body_lines(kr.text)) TH_LOG("a:\n%s", kr.text);
	EXPECT_EQ(1, ns_line(kr.text, ia, &e, &b));
	EXPECT_EQ(2ULL, e);
	EXPECT_LE(0, K_CAT(&bk, PROC_NS));
	EXPECT_EQ(1, body_lines(kr.text)) TH_LOG("uid 0 of its own user namespace:\n%s", kr.text);
	EXPECT_EQ(1, ns_line(kr.text, ib, &e, &b));
	EXPECT_LE(0, K_CAT(&c, PROC_NS));
	EXPECT_STREQ(NS_HDR, kr.text) TH_LOG("no registry, no line");
	ASSERT_EQ(0, kid_join(&j, a.pid));
	EXPECT_LE(0, K_CAT(&j, PROC_NS));
	EXPECT_EQ(1, body_lines(kr.text)) TH_LOG("root, joined to a's IPC namespace:\n%s", kr.text);
	EXPECT_EQ(1, ns_line(kr.text, ia, NULL, NULL));
	EXPECT_EQ(0, kid_end(&j));
	/* A user of the initial namespaces, without CAP_SYS_ADMIN. */
	ASSERT_EQ(0, kid_start_fn(&u, 0, 0, kid_nobody, NULL));
	EXPECT_LE(0, K_CAT(&u, PROC_NS));
	EXPECT_EQ(1, body_lines(kr.text)) TH_LOG("uid %d:\n%s", NOBODY, kr.text);
	EXPECT_EQ(1, ns_line(kr.text, ino0, NULL, NULL)) TH_LOG("uid %d:\n%s", NOBODY, kr.text);
	EXPECT_EQ(0, kid_end(&u));
	EXPECT_EQ(0, kid_end(&a));
	EXPECT_EQ(0, kid_end(&bk));
	EXPECT_EQ(0, kid_end(&c));
}

/* ---- main ---- */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-t TEST]... [-T TEST]... [-n NAMESPACES]\n"
		"  -l          list fixture.test names and exit\n"
		"  -t/-T NAME  run only / skip test NAME (e.g. isolation_ipc)\n"
		"  -n N        namespaces of churn_namespaces (default %u)\n"
		"Needs root and %s (wms.ko loaded); uses uids %d, 1000 and %u..%u.\n",
		prog, g_churn, WMS_DEVICE_PATH, NOBODY, CUID, CUID + CRANGE - 1);
	exit(code);
}

static int more_opt(int opt, const char *arg)
{
	__u64 v;

	if (opt != 'n')
		return -1;
	if (!parse_u64(arg, &v) || !v || v > 1000000)
		usage("wms_ns_test", 2);
	g_churn = (unsigned int)v;
	return 0;
}

int main(int argc, char **argv)
{
	static struct filter fl;
	bool list = false;
	int r;

	parse_args_more(argc, argv, "hlt:T:n:", &fl, &list, NULL, more_opt, usage);
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	params_keep(&g_start_params, params, NPARAMS);
	atexit(restore_start_params);
	return test_harness_run(1, argv);
}
