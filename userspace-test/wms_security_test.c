// SPDX-License-Identifier: GPL-2.0
/*
 * wms_security_test: who may do what to a WMS entry, quotas, memory cgroup
 * accounting and hostile input from an unprivileged user (ABI v2, see
 * docs/ABI.md).
 *
 * Built static and run as root inside the test VM against the real wms.ko.
 * Uses the kselftest harness; output is TAP. Each role runs in a forked
 * child that drops to its ids (supplementary groups, then gids, then uids)
 * and reports over a pipe; the test process stays root and checks data,
 * metadata and the registry afterwards.
 *
 * Fixtures (select with -f NAME, tests with -t NAME, see -h):
 *   sec    - permission matrix, lookup order, fsuid/fsgid, ATTACH-time
 *            rights, per-uid quota, hostile input
 *   memcg  - entry memory charged to the creator's memory cgroup
 *
 * Every test removes the entries it creates ("sec.<test>.<n>") and restores
 * every module parameter it changes; a test that leaves an entry fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/wms.h>

#include "wms_util.h"

#define KiB		1024ULL
#define MiB		(1024ULL * 1024ULL)
#define GiB		(1024ULL * MiB)

/* A kernel address: every copy to or from it must fail with EFAULT. */
#define KADDR		0xffff888000000000ULL
#if UINTPTR_MAX > 0xffffffffu
#define KPTR		((void *)(uintptr_t)KADDR)
#else
#define KPTR		((void *)(uintptr_t)0xfffff000UL)
#endif

/* Results besides 0 (success) and positive errno values. */
#define R_NA		(-1)	/* not applicable: a precondition was refused */
#define R_BAD		(-2)	/* the call succeeded but its result is wrong */
#define R_NOTRUN	(-3)	/* the child never got to it */

#define OWNER_UID	1000
#define OWNER_GID	1000

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* 0, a positive errno or one of the R_* codes, as a name. */
static const char *ename(int e)
{
	const char *s;

	switch (e) {
	case 0: return "success";
	case R_NA: return "n/a";
	case R_BAD: return "success with a wrong result";
	case R_NOTRUN: return "not run";
	}
	if (e < 0)
		e = -e;
	s = strerrorname_np(e);
	return s ? s : "E???";
}

/* ------------------------------------------------------------------ */
/* Registry listing (the ioctl helpers are in wms_util.h)              */
/* ------------------------------------------------------------------ */

/* The whole registry, in LIST order. */
struct ents {
	struct wms_list_entry *e;
	size_t n;
};

static int list_all(int fd, struct ents *s)
{
	struct wms_list_entry buf[16];
	__u64 cursor = 0;
	unsigned int calls;

	memset(s, 0, sizeof(*s));
	for (calls = 0; calls < 100000; calls++) {
		struct wms_list l;
		void *ne;
		int r;

		memset(&l, 0, sizeof(l));
		l.cursor = cursor;
		l.entries = UPTR(buf);
		l.count = 16;
		r = xioctl(fd, WMS_IOC_LIST, &l);
		if (r || !l.count || l.count > 16) {
			if (!r && l.count > 16)
				r = -EOVERFLOW;
			if (r) {
				free(s->e);
				memset(s, 0, sizeof(*s));
			}
			return r;
		}
		ne = realloc(s->e, (s->n + l.count) * sizeof(*s->e));
		if (!ne) {
			free(s->e);
			memset(s, 0, sizeof(*s));
			return -ENOMEM;
		}
		s->e = ne;
		memcpy(s->e + s->n, buf, l.count * sizeof(*buf));
		s->n += l.count;
		cursor = l.cursor;
	}
	free(s->e);
	memset(s, 0, sizeof(*s));
	return -ELOOP;
}

static const struct wms_list_entry *ents_find(const struct ents *s,
					      const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strncmp(s->e[i].name, name, NAME_LEN))
			return &s->e[i];
	return NULL;
}

/* Remove every entry whose name starts with @prefix; returns how many. */
static int cleanup_prefix(int fd, const char *prefix, bool log)
{
	struct ents s;
	size_t i;
	int n = 0, r;

	r = list_all(fd, &s);
	if (r)
		return r;
	for (i = 0; i < s.n; i++) {
		if (strncmp(s.e[i].name, prefix, strlen(prefix)))
			continue;
		r = w_remove(fd, s.e[i].name);
		if (log)
			diag("leftover entry '%.*s' (uid %u, size %llu): REMOVE -> %s",
			     NAME_LEN, s.e[i].name, s.e[i].uid, (ull)s.e[i].size,
			     ename(-r));
		n++;
	}
	free(s.e);
	return n;
}

/* ------------------------------------------------------------------ */
/* Small utilities                                                     */
/* ------------------------------------------------------------------ */

/* Pattern byte @off of data set @seed. */
static unsigned char pat(unsigned int seed, unsigned int off)
{
	return (unsigned char)mix32(seed * 0x9e3779b9u ^ (off + 1));
}

static void pat_fill(unsigned char *b, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(seed, i);
}

/* First offset in [0, len) where @b differs from the pattern, or -1. */
static long pat_diff(const unsigned char *b, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pat(seed, i))
			return (long)i;
	return -1;
}

static ssize_t read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static int write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int wfile(const char *path, const char *s)
{
	ssize_t n;
	int fd, e;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	e = n < 0 ? -errno : (n == (ssize_t)strlen(s) ? 0 : -EIO);
	close(fd);
	return e;
}

static int rfile(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_all(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	return (int)n;
}

static int rfile_u64(const char *path, __u64 *v)
{
	char buf[64], *end;
	int r = rfile(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Module parameters: saved, changed, restored                         */
/* ------------------------------------------------------------------ */

struct params {
	__u64 orig[P_NR];
	bool saved;
};

static int param_get(int k, __u64 *v)
{
	char path[128];

	snprintf(path, sizeof(path), PARAM_DIR "%s", param_name[k]);
	return rfile_u64(path, v);
}

/* Write and read back. */
static int param_set(int k, __u64 v)
{
	char path[128], buf[32];
	__u64 got;
	int r;

	snprintf(path, sizeof(path), PARAM_DIR "%s", param_name[k]);
	snprintf(buf, sizeof(buf), "%llu\n", (ull)v);
	r = wfile(path, buf);
	if (r)
		return r;
	r = param_get(k, &got);
	if (r)
		return r;
	return got == v ? 0 : -EIO;
}

static int params_save(struct params *p)
{
	int k, r;

	for (k = 0; k < P_NR; k++) {
		r = param_get(k, &p->orig[k]);
		if (r)
			return r;
	}
	p->saved = true;
	return 0;
}

/* Raise parameter @k to at least @v. */
static int param_at_least(int k, __u64 v)
{
	__u64 cur;
	int r = param_get(k, &cur);

	if (r)
		return r;
	return cur >= v ? 0 : param_set(k, v);
}

/* Put back every parameter that differs; 0 or the first error. */
static int params_restore(const struct params *p, char *why, size_t wl)
{
	int k, r, err = 0;

	if (!p->saved)
		return 0;
	for (k = 0; k < P_NR; k++) {
		__u64 v;

		r = param_get(k, &v);
		if (!r && v == p->orig[k])
			continue;
		r = param_set(k, p->orig[k]);
		if (r && !err) {
			err = r;
			snprintf(why, wl, "cannot restore %s=%llu: %s", param_name[k],
				 (ull)p->orig[k], ename(-r));
		}
	}
	return err;
}

static const char *params_str(void)
{
	static char buf[160];
	__u64 v[P_NR] = { 0 };
	int k;

	for (k = 0; k < P_NR; k++)
		param_get(k, &v[k]);
	snprintf(buf, sizeof(buf), "max_entries=%llu max_entry_size=%llu max_total_bytes=%llu max_user_bytes=%llu",
		 (ull)v[0], (ull)v[1], (ull)v[2], (ull)v[3]);
	return buf;
}

/* Backstop for a test killed before its teardown: put back what main saw. */
static struct params g_start_params;

static void restore_start_params(void)
{
	char why[160];

	if (g_start_params.saved && params_restore(&g_start_params, why, sizeof(why)))
		fprintf(stderr, "# wms_security_test: %s\n", why);
}

/* ------------------------------------------------------------------ */
/* Roles: who a child becomes                                          */
/* ------------------------------------------------------------------ */

struct role {
	const char *name;
	bool root;		/* stay uid 0 / gid 0, no supplementary groups */
	bool no_admin;		/* root without CAP_SYS_ADMIN */
	uid_t ruid, euid, fsuid;	/* saved uid = ruid */
	gid_t rgid, egid, fsgid;	/* saved gid = rgid */
	int ngroups;
	gid_t groups[4];
};

#define ROLE(n, u, g, ng, ...) {					\
	.name = (n), .ruid = (u), .euid = (u), .fsuid = (u),		\
	.rgid = (g), .egid = (g), .fsgid = (g),				\
	.ngroups = (ng), .groups = { __VA_ARGS__ } }

static const struct role role_owner = ROLE("owner", 1000, 1000, 0, 0);
static const struct role role_member_egid =
	ROLE("group member via gid", 1001, 1000, 0, 0);
static const struct role role_member_supp =
	ROLE("group member via supplementary group", 1001, 1001, 1, 1000);
static const struct role role_other = ROLE("other", 65534, 65534, 0, 0);
static const struct role role_other_supp =
	ROLE("other with unrelated groups", 1002, 1002, 2, 1001, 65534);
static const struct role role_root = { .name = "root" };
static const struct role role_root_noadmin = {
	.name = "root without CAP_SYS_ADMIN", .no_admin = true,
};
static const struct role role_uid1001 = ROLE("uid 1001", 1001, 1001, 0, 0);

static bool role_is_root(const struct role *r)
{
	return r->ruid == 0 && r->euid == 0;
}

static bool role_admin(const struct role *r)
{
	return role_is_root(r) && !r->no_admin;
}

static bool role_in_group(const struct role *r, gid_t g)
{
	int i;

	if (r->fsgid == g)
		return true;
	for (i = 0; i < r->ngroups; i++)
		if (r->groups[i] == g)
			return true;
	return false;
}

/* "owner [uid 1000 gid 1000 groups {}]" (r/e/fs shown when they differ). */
static const char *role_desc(const struct role *r)
{
	static char out[4][200];
	static unsigned int k;
	char *o = out[k++ % 4];
	int n, i;

	if (r->ruid == r->euid && r->euid == r->fsuid)
		n = snprintf(o, 200, "%s [uid %u", r->name, r->ruid);
	else
		n = snprintf(o, 200, "%s [ruid %u euid %u fsuid %u", r->name,
			     r->ruid, r->euid, r->fsuid);
	if (r->rgid == r->egid && r->egid == r->fsgid)
		n += snprintf(o + n, 200 - n, " gid %u", r->rgid);
	else
		n += snprintf(o + n, 200 - n, " rgid %u egid %u fsgid %u",
			      r->rgid, r->egid, r->fsgid);
	n += snprintf(o + n, 200 - n, " groups {");
	for (i = 0; i < r->ngroups; i++)
		n += snprintf(o + n, 200 - n, "%s%u", i ? "," : "", r->groups[i]);
	snprintf(o + n, 200 - n, "}%s]", role_is_root(r) ?
		 (r->no_admin ? " no CAP_SYS_ADMIN" : " CAP_SYS_ADMIN") : "");
	return o;
}

static int caps_read(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static bool cap_eff(const struct __user_cap_data_struct d[2], unsigned int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static int cap_drop(unsigned int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	__u32 m = ~(1u << (cap % 32));
	int r = caps_read(d);

	if (r)
		return r;
	d[cap / 32].effective &= m;
	d[cap / 32].permitted &= m;
	d[cap / 32].inheritable &= m;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * Become @r: supplementary groups, then gids, then uids (dropping the uids
 * first would take away the right to change the rest), then check all of
 * it, capabilities included. 0, or -1 with @why set.
 */
static int become(const struct role *r, char *why, size_t wl)
{
	struct __user_cap_data_struct d[2];
	uid_t a, b, c;
	gid_t x, y, z, gl[16];
	int n, i, j;

	if (role_is_root(r)) {
		if (setgroups(0, NULL) || setresgid(0, 0, 0)) {
			snprintf(why, wl, "setgroups/setresgid(0): %s", strerror(errno));
			return -1;
		}
		if (r->no_admin && (n = cap_drop(CAP_SYS_ADMIN))) {
			snprintf(why, wl, "capset without CAP_SYS_ADMIN: %s", ename(-n));
			return -1;
		}
	} else {
		if (setgroups(r->ngroups, r->groups)) {
			snprintf(why, wl, "setgroups(%d): %s", r->ngroups, strerror(errno));
			return -1;
		}
		if (setresgid(r->rgid, r->egid, r->rgid)) {
			snprintf(why, wl, "setresgid(%u,%u,%u): %s", r->rgid, r->egid,
				 r->rgid, strerror(errno));
			return -1;
		}
		setfsgid(r->fsgid);
		if (setresuid(r->ruid, r->euid, r->ruid)) {
			snprintf(why, wl, "setresuid(%u,%u,%u): %s", r->ruid, r->euid,
				 r->ruid, strerror(errno));
			return -1;
		}
		setfsuid(r->fsuid);
	}
	/* setfs[ug]id(-1) changes nothing and returns the current value */
	if (getresuid(&a, &b, &c) || a != r->ruid || b != r->euid || c != r->ruid ||
	    (uid_t)setfsuid((uid_t)-1) != r->fsuid) {
		snprintf(why, wl, "uids are %u/%u/%u fsuid %u", a, b, c,
			 (uid_t)setfsuid((uid_t)-1));
		return -1;
	}
	if (getresgid(&x, &y, &z) || x != r->rgid || y != r->egid || z != r->rgid ||
	    (gid_t)setfsgid((gid_t)-1) != r->fsgid) {
		snprintf(why, wl, "gids are %u/%u/%u fsgid %u", x, y, z,
			 (gid_t)setfsgid((gid_t)-1));
		return -1;
	}
	n = getgroups(16, gl);
	if (n != r->ngroups) {
		snprintf(why, wl, "%d supplementary groups, want %d", n, r->ngroups);
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && gl[i] != r->groups[j]; j++)
			;
		if (j == n) {
			snprintf(why, wl, "unexpected supplementary group %u", gl[i]);
			return -1;
		}
	}
	if (caps_read(d)) {
		snprintf(why, wl, "capget: %s", strerror(errno));
		return -1;
	}
	if (cap_eff(d, CAP_SYS_ADMIN) != role_admin(r)) {
		snprintf(why, wl, "CAP_SYS_ADMIN is %s", cap_eff(d, CAP_SYS_ADMIN) ?
			 "effective" : "not effective");
		return -1;
	}
	if (!role_is_root(r) && (d[0].effective | d[1].effective |
				 d[0].permitted | d[1].permitted)) {
		snprintf(why, wl, "capabilities left: eff %08x%08x perm %08x%08x",
			 d[1].effective, d[0].effective, d[1].permitted, d[0].permitted);
		return -1;
	}
	return 0;
}

struct as_hdr {
	int err;
	char why[240];
};

/*
 * Run @fn(@ctx) in a child that has become @r. The child sends its copy
 * of @ctx back over a pipe: @ctx is both the input and the report.
 * 0, or -1 with @why set (could not become @r, died, short report).
 */
static int run_as(const struct role *r, void (*fn)(void *), void *ctx,
		  size_t len, char *why, size_t wl)
{
	struct as_hdr h;
	ssize_t gh, gc;
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		snprintf(why, wl, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, wl, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (!pid) {
		close(p[0]);
		memset(&h, 0, sizeof(h));
		if (become(r, h.why, sizeof(h.why)))
			h.err = 1;
		else if (fn)
			fn(ctx);
		if (write_all(p[1], &h, sizeof(h)) || write_all(p[1], ctx, len))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	gh = read_all(p[0], &h, sizeof(h));
	gc = read_all(p[0], ctx, len);
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(why, wl, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, wl, "child as %s killed by signal %d (%s)", role_desc(r),
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -1;
	}
	if (gh != (ssize_t)sizeof(h) || gc != (ssize_t)len) {
		snprintf(why, wl, "child as %s sent a short report (%zd+%zd of %zu+%zu bytes), exit %d",
			 role_desc(r), gh, gc, sizeof(h), len,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	if (h.err) {
		snprintf(why, wl, "could not become %s: %s", role_desc(r), h.why);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, wl, "child as %s: exit status 0x%x", role_desc(r), status);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Scripts: a list of calls run as one role, checked by the parent     */
/* ------------------------------------------------------------------ */

enum { S_ADD, S_REMOVE, S_INFO, S_READ, S_WRITE, S_ATTACH };
static const char *const sop_name[] = {
	"ADD", "REMOVE", "INFO", "READ", "WRITE", "ATTACH",
};

#define ANY	(-1LL)
#define MAX_STEPS 24

struct step {
	int op;
	char name[48];
	__u64 size;		/* ADD: size; READ/WRITE: length */
	__u32 flags, mode;
	int expect;		/* 0 or a positive errno */
	int created;		/* ADD success: 1 creates, 0 finds, -1 either */
	long long want_size, want_uid, want_gid, want_mode;	/* ANY: unchecked */
	/* out */
	int got;
	__u64 out_size;
	__u32 out_flags, out_uid, out_gid, out_mode;
};

struct script {
	int n;
	struct step s[MAX_STEPS];
};

static struct step *s_op(struct script *sc, int op, const char *name, int expect)
{
	struct step *st;

	if (sc->n >= MAX_STEPS)
		abort();
	st = &sc->s[sc->n++];
	memset(st, 0, sizeof(*st));
	st->op = op;
	snprintf(st->name, sizeof(st->name), "%s", name);
	st->expect = expect;
	st->created = -1;
	st->want_size = st->want_uid = st->want_gid = st->want_mode = ANY;
	st->got = R_NOTRUN;
	return st;
}

static struct step *s_add(struct script *sc, const char *name, __u64 size,
			  __u32 flags, __u32 mode, int expect, int created)
{
	struct step *st = s_op(sc, S_ADD, name, expect);

	st->size = size;
	st->flags = flags;
	st->mode = mode;
	st->created = created;
	if (expect == 0 && created == 1)
		st->want_size = size;
	return st;
}

static struct step *s_info(struct script *sc, const char *name, int expect,
			   long long size, long long uid, long long gid, long long mode)
{
	struct step *st = s_op(sc, S_INFO, name, expect);

	st->want_size = size;
	st->want_uid = uid;
	st->want_gid = gid;
	st->want_mode = mode;
	return st;
}

static struct step *s_rw(struct script *sc, int op, const char *name,
			 __u64 len, int expect)
{
	struct step *st = s_op(sc, op, name, expect);

	st->size = len;
	return st;
}

static void script_fn(void *ctx)
{
	struct script *sc = ctx;
	unsigned char buf[64];
	int fd, i, r, fa;

	memset(buf, 0x5a, sizeof(buf));
	fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	for (i = 0; i < sc->n; i++) {
		struct step *st = &sc->s[i];
		__u64 len = st->size < sizeof(buf) ? st->size : sizeof(buf);
		struct wms_info in;
		struct wms_add a;

		if (fd < 0) {
			st->got = errno;
			continue;
		}
		switch (st->op) {
		case S_ADD:
			r = w_add(fd, st->name, st->size, st->flags, st->mode, &a);
			if (!r) {
				st->out_size = a.size;
				st->out_flags = a.flags;
			}
			break;
		case S_REMOVE:
			r = w_remove(fd, st->name);
			break;
		case S_INFO:
			r = w_info(fd, st->name, &in);
			if (!r) {
				st->out_size = in.size;
				st->out_uid = in.uid;
				st->out_gid = in.gid;
				st->out_mode = in.mode;
			}
			break;
		case S_READ:
			r = w_read(fd, st->name, 0, buf, len, NULL);
			break;
		case S_WRITE:
			r = w_write(fd, st->name, 0, buf, len, NULL);
			break;
		case S_ATTACH:
			fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			r = fa < 0 ? -errno : w_attach(fa, st->name);
			if (fa >= 0)
				close(fa);
			break;
		default:
			r = -EINVAL;
		}
		st->got = -r;
	}
	if (fd >= 0)
		close(fd);
}

static const char *step_desc(const struct step *st)
{
	static char out[2][160];
	static unsigned int k;
	char *o = out[k++ % 2];

	if (st->op == S_ADD)
		snprintf(o, 160, "ADD '%s' (size %llu%s, mode %04o)", st->name,
			 (ull)st->size, st->flags & WMS_ADD_EXCL ? ", EXCL" : "",
			 st->mode);
	else if (st->op == S_READ || st->op == S_WRITE)
		snprintf(o, 160, "%s '%s' (%llu bytes at 0)", sop_name[st->op],
			 st->name, (ull)st->size);
	else
		snprintf(o, 160, "%s '%s'", sop_name[st->op], st->name);
	return o;
}

/* Log every step that did not go as expected; returns how many. */
static int script_check(const char *what, const struct role *r,
			const struct script *sc)
{
	int i, bad = 0;

	for (i = 0; i < sc->n; i++) {
		const struct step *st = &sc->s[i];
		char msg[200] = "";

		if (st->got != st->expect) {
			snprintf(msg, sizeof(msg), "expected %s, got %s",
				 ename(st->expect), ename(st->got));
		} else if (st->got == 0 && st->op == S_ADD && st->created >= 0 &&
			   !!(st->out_flags & WMS_ADD_CREATED) != st->created) {
			snprintf(msg, sizeof(msg), "expected %s, got flags 0x%x",
				 st->created ? "WMS_ADD_CREATED" : "the existing entry (no WMS_ADD_CREATED)",
				 st->out_flags);
		} else if (st->got == 0 && (st->op == S_ADD || st->op == S_INFO) &&
			   st->want_size != ANY && st->out_size != (__u64)st->want_size) {
			snprintf(msg, sizeof(msg), "size out %llu, expected %lld",
				 (ull)st->out_size, st->want_size);
		} else if (st->got == 0 && st->op == S_INFO &&
			   ((st->want_uid != ANY && st->out_uid != st->want_uid) ||
			    (st->want_gid != ANY && st->out_gid != st->want_gid) ||
			    (st->want_mode != ANY && st->out_mode != st->want_mode))) {
			snprintf(msg, sizeof(msg), "uid %u gid %u mode %04o, expected uid %lld gid %lld mode %04llo",
				 st->out_uid, st->out_gid, st->out_mode, st->want_uid,
				 st->want_gid, st->want_mode == ANY ? 0 : st->want_mode);
		}
		if (msg[0]) {
			diag("%s: step %d: %s as %s: %s", what, i, step_desc(st),
			     role_desc(r), msg);
			bad++;
		}
	}
	return bad;
}

/* Run a script as @r; returns the number of problems (logged). */
static int run_script(const char *what, const struct role *r, struct script *sc)
{
	char why[512];

	if (run_as(r, script_fn, sc, sizeof(*sc), why, sizeof(why))) {
		diag("%s: %s", what, why);
		return 1;
	}
	return script_check(what, r, sc);
}

/* ------------------------------------------------------------------ */
/* sec fixture                                                         */
/* ------------------------------------------------------------------ */

FIXTURE(sec) {
	int fd;
	struct params prm;
	char why[512];
};

FIXTURE_SETUP(sec)
{
	int n;

	ASSERT_EQ(0U, (unsigned int)geteuid()) TH_LOG("run as root");
	self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, params_save(&self->prm)) TH_LOG("cannot read " PARAM_DIR "*");
	n = cleanup_prefix(self->fd, "sec.", true);
	ASSERT_LE(0, n) TH_LOG("LIST: %s", ename(-n));
	if (n)
		diag("removed %d sec.* entries left by an earlier test", n);
}

FIXTURE_TEARDOWN(sec)
{
	int n = cleanup_prefix(self->fd, "sec.", true);

	EXPECT_EQ(0, n) TH_LOG("the test left %d sec.* entries behind (removed now)", n);
	EXPECT_EQ(0, params_restore(&self->prm, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	close(self->fd);
}

/* ------------------------------------------------------------------ */
/* The permission matrix                                               */
/* ------------------------------------------------------------------ */

enum {
	M_ADD,		/* ADD of the existing name, no EXCL: needs r */
	M_ADD_EXCL,	/* ADD EXCL of the existing name: EEXIST for all */
	M_READ,		/* READ ioctl: r */
	M_WRITE,	/* WRITE ioctl: w */
	M_ATTACH,	/* ATTACH on a fresh fd: r */
	M_FREAD,	/* read(2) on that fd */
	M_FWRITE,	/* lseek + write(2) on it: w at ATTACH time */
	M_FPWRITE,	/* pwrite(2) on it */
	M_MMAP_W,	/* mmap PROT_READ|PROT_WRITE, MAP_SHARED */
	M_MMAP_R,	/* mmap PROT_READ, MAP_SHARED */
	M_MPROTECT_W,	/* mprotect of that mapping to PROT_READ|PROT_WRITE */
	M_INFO,		/* INFO: everyone */
	M_LIST,		/* LIST shows it: everyone */
	M_REMOVE,	/* REMOVE (of a second copy): owner or CAP_SYS_ADMIN */
	M_NR
};

static const char *const mop_name[M_NR] = {
	"ADD(existing)", "ADD(EXCL, existing)", "READ", "WRITE", "ATTACH",
	"read(2) after ATTACH", "write(2) after ATTACH", "pwrite(2) after ATTACH",
	"mmap(PROT_WRITE, MAP_SHARED) after ATTACH",
	"mmap(PROT_READ, MAP_SHARED) after ATTACH",
	"mprotect(PROT_READ->PROT_READ|PROT_WRITE)", "INFO", "LIST", "REMOVE",
};

#define M_SIZE		4096u	/* one page */
#define M_HALF		2048u	/* reads check [0, M_HALF); writes go above */

static const unsigned int m_modes[] = {
	0600, 0640, 0644, 0660, 0666,
	0066,	/* owner has nothing although group and other have rw */
	0606,	/* group has nothing although other has rw */
};

enum { RI_OWNER, RI_MEMBER_EGID, RI_MEMBER_SUPP, RI_OTHER, RI_OTHER_SUPP,
       RI_ROOT, RI_ROOT_NOADMIN, RI_NR };

static const struct role *const m_roles[RI_NR] = {
	[RI_OWNER] = &role_owner,
	[RI_MEMBER_EGID] = &role_member_egid,
	[RI_MEMBER_SUPP] = &role_member_supp,
	[RI_OTHER] = &role_other,
	[RI_OTHER_SUPP] = &role_other_supp,
	[RI_ROOT] = &role_root,
	[RI_ROOT_NOADMIN] = &role_root_noadmin,
};

#define NMODES	((int)(sizeof(m_modes) / sizeof(m_modes[0])))

/* Where each writing operation writes its byte (0: it does not write). */
static unsigned int m_woff(int op)
{
	switch (op) {
	case M_WRITE: return M_HALF + 0;
	case M_FWRITE: return M_HALF + 8;
	case M_FPWRITE: return M_HALF + 16;
	case M_MMAP_W: return M_HALF + 24;
	case M_MPROTECT_W: return M_HALF + 32;
	}
	return 0;
}

/*
 * The rules, as given: the class is decided by fsuid == owner uid, else
 * membership of the owner group (fsgid or a supplementary group), else
 * other; CAP_SYS_ADMIN bypasses the bits; lookup errors before permission.
 */
static int m_oracle(int op, const struct role *r, unsigned int mode)
{
	bool admin = role_admin(r), rd, wr;
	unsigned int bits;

	if (r->fsuid == OWNER_UID)
		bits = (mode >> 6) & 7;
	else if (role_in_group(r, OWNER_GID))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	rd = admin || (bits & 4);
	wr = admin || (bits & 2);

	switch (op) {
	case M_ADD:
	case M_READ:
	case M_ATTACH:
		return rd ? 0 : EACCES;
	case M_ADD_EXCL:
		return EEXIST;
	case M_WRITE:
		return wr ? 0 : EACCES;
	case M_FREAD:
	case M_MMAP_R:
		return rd ? 0 : EBADFD;		/* the fd was never attached */
	case M_FWRITE:
	case M_FPWRITE:
	case M_MMAP_W:
		return !rd ? EBADFD : wr ? 0 : EACCES;
	case M_MPROTECT_W:
		return !rd ? R_NA : wr ? 0 : EACCES;
	case M_INFO:
	case M_LIST:
		return 0;
	case M_REMOVE:
		return r->fsuid == OWNER_UID || admin ? 0 : EPERM;
	}
	return R_BAD;
}

/*
 * Hard-coded expectations, written out by hand from the rules: the oracle
 * must agree with every one, and so must the kernel.
 */
static const struct spot {
	int op, role;
	unsigned int mode;
	int want;
} m_spots[] = {
	{ M_READ, RI_OTHER, 0640, EACCES },
	{ M_READ, RI_OTHER, 0644, 0 },
	{ M_READ, RI_MEMBER_EGID, 0640, 0 },
	{ M_WRITE, RI_MEMBER_EGID, 0640, EACCES },
	{ M_WRITE, RI_MEMBER_SUPP, 0660, 0 },
	{ M_WRITE, RI_OTHER_SUPP, 0660, EACCES },
	{ M_WRITE, RI_OTHER, 0666, 0 },
	{ M_MMAP_W, RI_OTHER, 0644, EACCES },
	{ M_MMAP_R, RI_OTHER, 0644, 0 },
	{ M_MPROTECT_W, RI_MEMBER_EGID, 0644, EACCES },
	{ M_MPROTECT_W, RI_MEMBER_SUPP, 0660, 0 },
	{ M_FWRITE, RI_OTHER, 0644, EACCES },
	{ M_FWRITE, RI_OTHER, 0600, EBADFD },
	{ M_FPWRITE, RI_MEMBER_EGID, 0660, 0 },
	{ M_ATTACH, RI_OTHER, 0600, EACCES },
	{ M_ATTACH, RI_OTHER_SUPP, 0640, EACCES },
	{ M_ADD, RI_MEMBER_SUPP, 0600, EACCES },
	{ M_ADD, RI_MEMBER_SUPP, 0640, 0 },
	{ M_ADD_EXCL, RI_OTHER, 0600, EEXIST },
	{ M_ADD_EXCL, RI_ROOT, 0666, EEXIST },
	{ M_REMOVE, RI_MEMBER_SUPP, 0666, EPERM },
	{ M_REMOVE, RI_OTHER, 0666, EPERM },
	{ M_REMOVE, RI_ROOT, 0600, 0 },
	{ M_REMOVE, RI_OWNER, 0066, 0 },
	{ M_READ, RI_OWNER, 0066, EACCES },	/* the owner class decides */
	{ M_WRITE, RI_OWNER, 0066, EACCES },
	{ M_READ, RI_MEMBER_EGID, 0606, EACCES },	/* the group class decides */
	{ M_READ, RI_OTHER, 0606, 0 },
	{ M_WRITE, RI_ROOT, 0600, 0 },
	{ M_MMAP_W, RI_ROOT, 0600, 0 },
	{ M_WRITE, RI_ROOT_NOADMIN, 0600, EACCES },	/* uid 0 alone is nothing */
	{ M_REMOVE, RI_ROOT_NOADMIN, 0666, EPERM },
	{ M_INFO, RI_OTHER, 0600, 0 },
	{ M_LIST, RI_OTHER, 0600, 0 },
};

struct mctx {
	/* in */
	char a[48], b[48];	/* a: operated on; b: a copy for REMOVE */
	unsigned int mode, seed;
	__u64 ctime_ns;
	/* out */
	int res[M_NR];
	char detail[M_NR][128];
};

static void mbad(struct mctx *c, int op, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void mbad(struct mctx *c, int op, const char *fmt, ...)
{
	va_list ap;

	c->res[op] = R_BAD;
	va_start(ap, fmt);
	vsnprintf(c->detail[op], sizeof(c->detail[op]), fmt, ap);
	va_end(ap);
}

/* The value an operation writes: the pattern byte inverted. */
static unsigned char m_val(const struct mctx *c, int op)
{
	return pat(c->seed, m_woff(op)) ^ 0xff;
}

static int sysres(long r)
{
	return r < 0 ? errno : 0;
}

/* Runs in the child, as the role: every operation, REMOVE last. */
static void matrix_fn(void *arg)
{
	struct mctx *c = arg;
	unsigned char buf[M_SIZE], v, *p, *q;
	struct wms_info in;
	struct wms_add ad;
	struct ents s;
	__u64 done;
	ssize_t n;
	long d;
	int fd, fa, r, op;

	for (op = 0; op < M_NR; op++)
		c->res[op] = R_NOTRUN;
	fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mbad(c, M_ADD, "open %s: %s", WMS_DEVICE_PATH, strerror(errno));
		return;
	}

	/* another size and mode: finding the entry must change neither */
	r = w_add(fd, c->a, 1, 0, 0666, &ad);
	c->res[M_ADD] = -r;
	if (!r && (ad.size != M_SIZE || ad.flags))
		mbad(c, M_ADD, "size out %llu flags 0x%x, expected %u and 0",
		     (ull)ad.size, ad.flags, M_SIZE);

	c->res[M_ADD_EXCL] = -w_add(fd, c->a, 1, WMS_ADD_EXCL, 0666, NULL);

	memset(buf, 0, sizeof(buf));
	r = w_read(fd, c->a, 0, buf, M_HALF, &done);
	c->res[M_READ] = -r;
	if (!r && (done != M_HALF || (d = pat_diff(buf, M_HALF, c->seed)) >= 0))
		mbad(c, M_READ, "%llu bytes, data differ from the entry's at %ld",
		     (ull)done, pat_diff(buf, M_HALF, c->seed));

	v = m_val(c, M_WRITE);
	r = w_write(fd, c->a, m_woff(M_WRITE), &v, 1, &done);
	c->res[M_WRITE] = -r;
	if (!r && done != 1)
		mbad(c, M_WRITE, "len out %llu, expected 1", (ull)done);

	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fa < 0) {
		mbad(c, M_ATTACH, "open %s: %s", WMS_DEVICE_PATH, strerror(errno));
		close(fd);
		return;
	}
	c->res[M_ATTACH] = -w_attach(fa, c->a);

	memset(buf, 0, sizeof(buf));
	n = read(fa, buf, M_HALF);
	c->res[M_FREAD] = sysres(n);
	if (n >= 0 && (n != M_HALF || pat_diff(buf, M_HALF, c->seed) >= 0))
		mbad(c, M_FREAD, "%zd bytes, data differ at %ld", n,
		     pat_diff(buf, M_HALF, c->seed));

	v = m_val(c, M_FWRITE);
	d = lseek(fa, m_woff(M_FWRITE), SEEK_SET);
	n = write(fa, &v, 1);
	c->res[M_FWRITE] = sysres(n);
	if (n >= 0 && (n != 1 || d != (long)m_woff(M_FWRITE)))
		mbad(c, M_FWRITE, "write returned %zd after lseek returned %ld", n, d);

	v = m_val(c, M_FPWRITE);
	n = pwrite(fa, &v, 1, m_woff(M_FPWRITE));
	c->res[M_FPWRITE] = sysres(n);
	if (n >= 0 && n != 1)
		mbad(c, M_FPWRITE, "pwrite returned %zd", n);

	p = mmap(NULL, M_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	if (p == MAP_FAILED) {
		c->res[M_MMAP_W] = errno;
	} else {
		c->res[M_MMAP_W] = 0;
		if ((d = pat_diff(p, M_HALF, c->seed)) >= 0)
			mbad(c, M_MMAP_W, "mapped data differ at %ld", d);
		p[m_woff(M_MMAP_W)] = m_val(c, M_MMAP_W);
		munmap(p, M_SIZE);
	}

	q = mmap(NULL, M_SIZE, PROT_READ, MAP_SHARED, fa, 0);
	if (q == MAP_FAILED) {
		c->res[M_MMAP_R] = errno;
		c->res[M_MPROTECT_W] = R_NA;
	} else {
		c->res[M_MMAP_R] = 0;
		if ((d = pat_diff(q, M_HALF, c->seed)) >= 0)
			mbad(c, M_MMAP_R, "mapped data differ at %ld", d);
		if (mprotect(q, M_SIZE, PROT_READ | PROT_WRITE)) {
			c->res[M_MPROTECT_W] = errno;
		} else {
			c->res[M_MPROTECT_W] = 0;
			q[m_woff(M_MPROTECT_W)] = m_val(c, M_MPROTECT_W);
		}
		munmap(q, M_SIZE);
	}
	close(fa);

	r = w_info(fd, c->a, &in);
	c->res[M_INFO] = -r;
	if (!r && (in.uid != OWNER_UID || in.gid != OWNER_GID || in.mode != c->mode ||
		   in.size != M_SIZE || in.ctime_ns != c->ctime_ns))
		mbad(c, M_INFO, "uid %u gid %u mode %04o size %llu ctime %llu, expected %u %u %04o %u %llu",
		     in.uid, in.gid, in.mode, (ull)in.size, (ull)in.ctime_ns,
		     OWNER_UID, OWNER_GID, c->mode, M_SIZE, (ull)c->ctime_ns);

	r = list_all(fd, &s);
	c->res[M_LIST] = -r;
	if (!r) {
		const struct wms_list_entry *e = ents_find(&s, c->a);

		if (!e)
			mbad(c, M_LIST, "'%s' not in the listing of %zu entries", c->a, s.n);
		else if (e->uid != OWNER_UID || e->gid != OWNER_GID ||
			 e->mode != c->mode || e->size != M_SIZE)
			mbad(c, M_LIST, "listed uid %u gid %u mode %04o size %llu",
			     e->uid, e->gid, e->mode, (ull)e->size);
		free(s.e);
	}

	c->res[M_REMOVE] = -w_remove(fd, c->b);
	close(fd);
}

struct mstats {
	unsigned int checks, unauth, authfail, wrong, integrity, setup;
};

/* One mode x role cell: create, run the role, check, clean up. */
static void matrix_cell(int fd, int mi, int ri, struct mstats *st, int *obs)
{
	const struct role *r = m_roles[ri];
	unsigned int mode = m_modes[mi];
	unsigned char img[M_SIZE], got[M_SIZE];
	struct wms_info ia, ib, i2;
	struct script cs;
	struct mctx c;
	char why[512];
	int op, rr, k;

	memset(&c, 0, sizeof(c));
	snprintf(c.a, sizeof(c.a), "sec.matrix.%d", 2 * (mi * RI_NR + ri));
	snprintf(c.b, sizeof(c.b), "sec.matrix.%d", 2 * (mi * RI_NR + ri) + 1);
	c.mode = mode;
	c.seed = mi * RI_NR + ri + 1;

	/* the entries are made by uid 1000 / gid 1000 */
	memset(&cs, 0, sizeof(cs));
	s_add(&cs, c.a, M_SIZE, WMS_ADD_EXCL, mode, 0, 1);
	s_add(&cs, c.b, M_SIZE, WMS_ADD_EXCL, mode, 0, 1);
	s_info(&cs, c.a, 0, M_SIZE, OWNER_UID, OWNER_GID, mode);
	if (run_script("matrix setup (creator)", &role_owner, &cs)) {
		st->setup++;
		goto out;
	}
	/* the data, written as root (mode 0066 would not let the owner) */
	pat_fill(img, M_SIZE, c.seed);
	rr = w_write(fd, c.a, 0, img, M_SIZE, NULL);
	if (!rr)
		rr = w_info(fd, c.a, &ia);
	if (!rr)
		rr = w_info(fd, c.b, &ib);
	if (rr) {
		diag("matrix setup: WRITE/INFO of %s as root: %s", c.a, ename(-rr));
		st->setup++;
		goto out;
	}
	c.ctime_ns = ia.ctime_ns;

	if (run_as(r, matrix_fn, &c, sizeof(c), why, sizeof(why))) {
		diag("matrix: mode %04o: %s", mode, why);
		st->setup++;
		goto out;
	}

	for (op = 0; op < M_NR; op++) {
		int want = m_oracle(op, r, mode), res = c.res[op];

		obs[op] = res;
		if (want == R_NA && res == R_NA)
			continue;
		st->checks++;
		if (res == want)
			continue;
		if (want == 0 && res != R_BAD)
			st->authfail++;
		else if (res == 0)
			st->unauth++;
		else
			st->wrong++;
		diag("matrix FAIL: %s by %s on mode %04o entry '%s' (owner %u:%u): expected %s%s, got %s%s%s",
		     mop_name[op], role_desc(r), mode, op == M_REMOVE ? c.b : c.a,
		     OWNER_UID, OWNER_GID, ename(want),
		     want == EBADFD ? " (ATTACH must have been refused: the fd is not attached)" : "",
		     ename(res), c.detail[op][0] ? ": " : "", c.detail[op]);
	}

	/* A: exactly the authorised writes landed; metadata unchanged */
	for (op = 0; op < M_NR; op++)
		if (m_woff(op) && m_oracle(op, r, mode) == 0)
			img[m_woff(op)] ^= 0xff;
	rr = w_read(fd, c.a, 0, got, M_SIZE, NULL);
	if (rr) {
		diag("matrix FAIL: READ of '%s' as root after %s: %s", c.a, role_desc(r), ename(-rr));
		st->integrity++;
	} else {
		for (k = 0; k < (int)M_SIZE; k++) {
			const char *by = "no operation";

			if (got[k] == img[k])
				continue;
			for (op = 0; op < M_NR; op++)
				if (m_woff(op) == (unsigned int)k)
					by = mop_name[op];
			diag("matrix FAIL: after %s on mode %04o entry '%s': data[%d] = 0x%02x, expected 0x%02x (%s writes there, %s)",
			     role_desc(r), mode, c.a, k, got[k], img[k], by,
			     got[k] == pat(c.seed, k) ? "the write did not land" : "a refused write changed it");
			st->integrity++;
		}
	}
	rr = w_info(fd, c.a, &i2);
	if (rr || i2.uid != ia.uid || i2.gid != ia.gid || i2.mode != ia.mode ||
	    i2.size != ia.size || i2.ctime_ns != ia.ctime_ns || i2.attached) {
		diag("matrix FAIL: after %s: INFO '%s' -> %s uid %u gid %u mode %04o size %llu attached %u, expected uid %u gid %u mode %04o size %llu attached 0, same ctime",
		     role_desc(r), c.a, ename(-rr), i2.uid, i2.gid, i2.mode, (ull)i2.size,
		     i2.attached, ia.uid, ia.gid, ia.mode, (ull)ia.size);
		st->integrity++;
	}
	/* B: gone iff REMOVE was allowed, untouched otherwise */
	rr = w_info(fd, c.b, &i2);
	if (m_oracle(M_REMOVE, r, mode) == 0 ? rr != -ENOENT :
	    (rr || i2.uid != ib.uid || i2.mode != ib.mode || i2.ctime_ns != ib.ctime_ns)) {
		diag("matrix FAIL: after REMOVE by %s: INFO '%s' -> %s (mode %04o ctime %llu; before: mode %04o ctime %llu)",
		     role_desc(r), c.b, ename(-rr), i2.mode, (ull)i2.ctime_ns,
		     ib.mode, (ull)ib.ctime_ns);
		st->integrity++;
	}
out:
	if (w_remove(fd, c.a) && w_info(fd, c.a, NULL) != -ENOENT)
		st->setup++;
	w_remove(fd, c.b);
}

/*
 * Every operation x 7 roles x 7 modes, each against the oracle; REMOVE
 * works on a second copy so that it does not disturb the rest.
 */
TEST_F_TIMEOUT(sec, permission_matrix, 300)
{
	static int obs[NMODES][RI_NR][M_NR];
	struct mstats st = { 0 };
	unsigned int i, spot_bad = 0;
	int mi, ri, op;

	for (mi = 0; mi < NMODES; mi++)
		for (ri = 0; ri < RI_NR; ri++)
			for (op = 0; op < M_NR; op++)
				obs[mi][ri][op] = R_NOTRUN;
	ASSERT_EQ(0, param_at_least(P_ENTRIES, 64));
	ASSERT_EQ(0, param_at_least(P_ENTRY_SIZE, M_SIZE));
	ASSERT_EQ(0, param_at_least(P_TOTAL, 64 * M_SIZE));
	ASSERT_EQ(0, param_at_least(P_USER, 64 * M_SIZE));

	for (mi = 0; mi < NMODES; mi++)
		for (ri = 0; ri < RI_NR; ri++)
			matrix_cell(self->fd, mi, ri, &st, obs[mi][ri]);

	for (i = 0; i < sizeof(m_spots) / sizeof(m_spots[0]); i++) {
		const struct spot *sp = &m_spots[i];
		int o = m_oracle(sp->op, m_roles[sp->role], sp->mode);
		int seen = R_NOTRUN;

		for (mi = 0; mi < NMODES; mi++)
			if (m_modes[mi] == sp->mode)
				seen = obs[mi][sp->role][sp->op];
		if (o != sp->want || seen != sp->want) {
			diag("matrix spot check FAIL: %s by %s, mode %04o: hard-coded %s, oracle %s, kernel %s",
			     mop_name[sp->op], role_desc(m_roles[sp->role]), sp->mode,
			     ename(sp->want), ename(o), ename(seen));
			spot_bad++;
		}
	}

	diag("matrix: %u checks, %u unauthorised successes, %u authorised failures",
	     st.checks, st.unauth, st.authfail);
	diag("matrix: %u wrong errnos or results, %u data/metadata integrity failures, %u setup failures, %u/%zu spot checks failed",
	     st.wrong, st.integrity, st.setup, spot_bad,
	     sizeof(m_spots) / sizeof(m_spots[0]));
	EXPECT_EQ(0U, st.unauth);
	EXPECT_EQ(0U, st.authfail);
	EXPECT_EQ(0U, st.wrong);
	EXPECT_EQ(0U, st.integrity);
	EXPECT_EQ(0U, st.setup);
	EXPECT_EQ(0U, spot_bad);
	EXPECT_LE(100U, st.checks);
}

/* ------------------------------------------------------------------ */
/* Lookup before permission                                            */
/* ------------------------------------------------------------------ */

/*
 * An absent name is ENOENT for everyone, never EACCES/EPERM; an existing
 * one that the caller may not read is EEXIST under WMS_ADD_EXCL.
 */
TEST_F(sec, lookup_before_permission)
{
	static const struct role *const roles[] = {
		&role_owner, &role_member_egid, &role_other, &role_root_noadmin,
		&role_root,
	};
	const char *absent = "sec.lookup.absent";
	struct script sc;
	unsigned int i;
	int bad = 0;

	ASSERT_EQ(-ENOENT, w_info(self->fd, absent, NULL));
	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.lookup.0", 64, WMS_ADD_EXCL, 0600, 0, 1);
	ASSERT_EQ(0, run_script("lookup setup", &role_owner, &sc));

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		memset(&sc, 0, sizeof(sc));
		s_op(&sc, S_INFO, absent, ENOENT);
		s_rw(&sc, S_READ, absent, 16, ENOENT);
		s_rw(&sc, S_WRITE, absent, 16, ENOENT);
		s_op(&sc, S_ATTACH, absent, ENOENT);
		s_op(&sc, S_REMOVE, absent, ENOENT);
		/* an existing, unreadable (0600 of uid 1000) name */
		s_add(&sc, "sec.lookup.0", 64, WMS_ADD_EXCL, 0666, EEXIST, -1);
		bad += run_script("lookup", roles[i], &sc);
	}
	EXPECT_EQ(-ENOENT, w_info(self->fd, absent, NULL)) TH_LOG("an absent-name call created '%s'", absent);
	EXPECT_EQ(0, w_remove(self->fd, "sec.lookup.0"));
	EXPECT_EQ(0, bad);
}

/* ------------------------------------------------------------------ */
/* Owner = creator's fsuid/fsgid; permission decided by fsuid/fsgid    */
/* ------------------------------------------------------------------ */

TEST_F(sec, owner_is_creator_fsuid_fsgid)
{
	/* fsuid/fsgid differ from euid/egid: the fs ids must win */
	static const struct role creator = {
		.name = "creator with fsuid != euid",
		.ruid = 1004, .euid = 1002, .fsuid = 1004,
		.rgid = 1005, .egid = 1006, .fsgid = 1005,
	};
	static const struct role not_owner = {	/* euid 1000, fsuid 1003 */
		.name = "euid 1000 but fsuid 1003",
		.ruid = 1003, .euid = 1000, .fsuid = 1003,
		.rgid = 1003, .egid = 1003, .fsgid = 1003,
	};
	static const struct role owner_fs = {	/* euid 1003, fsuid 1000 */
		.name = "euid 1003 but fsuid 1000",
		.ruid = 1000, .euid = 1003, .fsuid = 1000,
		.rgid = 1003, .egid = 1003, .fsgid = 1003,
	};
	static const struct role not_member = {	/* egid 1000, fsgid 1007 */
		.name = "egid 1000 but fsgid 1007",
		.ruid = 1003, .euid = 1003, .fsuid = 1003,
		.rgid = 1007, .egid = 1000, .fsgid = 1007,
	};
	static const struct role member_fs = {	/* egid 1007, fsgid 1000 */
		.name = "egid 1007 but fsgid 1000",
		.ruid = 1003, .euid = 1003, .fsuid = 1003,
		.rgid = 1000, .egid = 1007, .fsgid = 1000,
	};
	struct script sc;
	int bad = 0;

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.fsuid.0", 64, WMS_ADD_EXCL, 0, 0, 1);
	s_info(&sc, "sec.fsuid.0", 0, 64, 1004, 1005, 0600);	/* 0 means 0600 */
	s_add(&sc, "sec.fsuid.1", 64, WMS_ADD_EXCL, 0170640, 0, 1);
	s_info(&sc, "sec.fsuid.1", 0, 64, 1004, 1005, 0640);	/* & 0777 */
	s_add(&sc, "sec.fsuid.2", 64, WMS_ADD_EXCL, 07000, 0, 1);
	s_info(&sc, "sec.fsuid.2", 0, 64, 1004, 1005, 0600);	/* & 0777 = 0 */
	s_add(&sc, "sec.fsuid.3", 64, WMS_ADD_EXCL, 0777, 0, 1);
	s_info(&sc, "sec.fsuid.3", 0, 64, 1004, 1005, 0777);
	/* the creator's euid (1002) is not the owner: fsuid is */
	bad += run_script("fsuid: creator", &creator, &sc);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.fsuid.p", 64, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, "sec.fsuid.r", 64, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, "sec.fsuid.g", 64, WMS_ADD_EXCL, 0040, 0, 1);
	bad += run_script("fsuid: setup", &role_owner, &sc);

	memset(&sc, 0, sizeof(sc));
	s_rw(&sc, S_READ, "sec.fsuid.p", 16, EACCES);
	s_rw(&sc, S_WRITE, "sec.fsuid.p", 16, EACCES);
	s_op(&sc, S_REMOVE, "sec.fsuid.r", EPERM);
	bad += run_script("fsuid: euid is the owner's, fsuid is not", &not_owner, &sc);

	memset(&sc, 0, sizeof(sc));
	s_rw(&sc, S_READ, "sec.fsuid.p", 16, 0);
	s_rw(&sc, S_WRITE, "sec.fsuid.p", 16, 0);
	s_op(&sc, S_ATTACH, "sec.fsuid.p", 0);
	s_op(&sc, S_REMOVE, "sec.fsuid.r", 0);
	bad += run_script("fsuid: fsuid is the owner's, euid is not", &owner_fs, &sc);

	memset(&sc, 0, sizeof(sc));
	s_rw(&sc, S_READ, "sec.fsuid.g", 16, EACCES);
	bad += run_script("fsgid: egid is the owner group, fsgid is not", &not_member, &sc);

	memset(&sc, 0, sizeof(sc));
	s_rw(&sc, S_READ, "sec.fsuid.g", 16, 0);
	s_rw(&sc, S_WRITE, "sec.fsuid.g", 16, EACCES);
	bad += run_script("fsgid: fsgid is the owner group, egid is not", &member_fs, &sc);

	EXPECT_EQ(0, bad);
	EXPECT_EQ(-ENOENT, w_info(self->fd, "sec.fsuid.r", NULL));
	/* 0..3, p and g are left (r was removed by its owner) */
	EXPECT_EQ(6, cleanup_prefix(self->fd, "sec.fsuid.", false));
}

/* ------------------------------------------------------------------ */
/* Write access of an attached file is decided at ATTACH               */
/* ------------------------------------------------------------------ */

struct actx {
	int fd;			/* an fd shared with the parent (inherited) */
	char name[48];
	int res[8];
	char detail[128];
};

enum { A_PWRITE, A_MMAP_W, A_MPROTECT_W, A_READ_IOC, A_ATTACH_NEW, A_ATTACH };

/* As other, on a file root attached: writable, as open(2) would be. */
static void attach_use_fn(void *arg)
{
	struct actx *c = arg;
	unsigned char v = 0xa5, *p;
	char buf[16];
	int fa;

	c->res[A_PWRITE] = sysres(pwrite(c->fd, &v, 1, 0));
	p = mmap(NULL, M_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	c->res[A_MMAP_W] = p == MAP_FAILED ? errno : 0;
	if (p != MAP_FAILED) {
		p[1] = 0xa6;
		munmap(p, M_SIZE);
	}
	p = mmap(NULL, M_SIZE, PROT_READ, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED) {
		c->res[A_MPROTECT_W] = R_NA;
	} else {
		c->res[A_MPROTECT_W] = sysres(mprotect(p, M_SIZE, PROT_READ | PROT_WRITE));
		if (!c->res[A_MPROTECT_W])
			p[2] = 0xa7;
		munmap(p, M_SIZE);
	}
	/* but an ioctl or a new ATTACH is checked against the caller now */
	c->res[A_READ_IOC] = -w_read(c->fd, c->name, 0, buf, sizeof(buf), NULL);
	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	c->res[A_ATTACH_NEW] = fa < 0 ? errno : -w_attach(fa, c->name);
	if (fa >= 0)
		close(fa);
}

/* As other, attach the inherited file to a 0644 entry: read-only. */
static void attach_ro_fn(void *arg)
{
	struct actx *c = arg;
	unsigned char v = 0xb5;

	c->res[A_ATTACH] = -w_attach(c->fd, c->name);
	c->res[A_PWRITE] = sysres(pwrite(c->fd, &v, 1, 0));
}

static int acheck(const char *what, const char *op, int want, int got)
{
	if (want == got)
		return 0;
	diag("attach FAIL: %s: %s: expected %s, got %s", what, op, ename(want), ename(got));
	return 1;
}

TEST_F(sec, attach_rights_fixed_at_attach)
{
	const char *a = "sec.attach.0", *b = "sec.attach.1";
	unsigned char got[M_SIZE], want[M_SIZE], v = 0xc3, *p;
	struct script sc;
	struct actx c;
	char why[512];
	int fa, bad = 0;

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, a, M_SIZE, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, b, M_SIZE, WMS_ADD_EXCL, 0644, 0, 1);
	ASSERT_EQ(0, run_script("attach setup", &role_owner, &sc));

	/* (1) root attaches a 0600 entry of uid 1000; uid 65534 inherits the fd */
	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fa);
	ASSERT_EQ(0, w_attach(fa, a));
	memset(&c, 0, sizeof(c));
	c.fd = fa;
	snprintf(c.name, sizeof(c.name), "%s", a);
	ASSERT_EQ(0, run_as(&role_other, attach_use_fn, &c, sizeof(c), why, sizeof(why)))
		TH_LOG("%s", why);
	close(fa);
	bad += acheck("fd attached by root, used by other", "pwrite(2)", 0, c.res[A_PWRITE]);
	bad += acheck("fd attached by root, used by other", "mmap(PROT_WRITE)", 0, c.res[A_MMAP_W]);
	bad += acheck("fd attached by root, used by other", "mprotect(+PROT_WRITE)", 0, c.res[A_MPROTECT_W]);
	bad += acheck("fd attached by root, used by other", "READ ioctl by name", EACCES, c.res[A_READ_IOC]);
	bad += acheck("fd attached by root, used by other", "ATTACH of a new fd", EACCES, c.res[A_ATTACH_NEW]);
	memset(want, 0, sizeof(want));
	want[0] = 0xa5;
	want[1] = 0xa6;
	want[2] = 0xa7;
	ASSERT_EQ(0, w_read(self->fd, a, 0, got, M_SIZE, NULL));
	if (memcmp(got, want, M_SIZE)) {
		diag("attach FAIL: '%s' starts %02x %02x %02x, expected a5 a6 a7 (the writes through root's fd)",
		     a, got[0], got[1], got[2]);
		bad++;
	}

	/* (2) other attaches a 0644 entry (read-only) on a file root then uses */
	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fa);
	memset(&c, 0, sizeof(c));
	c.fd = fa;
	snprintf(c.name, sizeof(c.name), "%s", b);
	ASSERT_EQ(0, run_as(&role_other, attach_ro_fn, &c, sizeof(c), why, sizeof(why)))
		TH_LOG("%s", why);
	bad += acheck("fd attached by other to a 0644 entry", "ATTACH", 0, c.res[A_ATTACH]);
	bad += acheck("fd attached by other to a 0644 entry", "pwrite(2) by other", EACCES, c.res[A_PWRITE]);
	bad += acheck("same fd, used by root (CAP_SYS_ADMIN)", "pwrite(2)", EACCES,
		      sysres(pwrite(fa, &v, 1, 0)));
	p = mmap(NULL, M_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	bad += acheck("same fd, used by root", "mmap(PROT_WRITE)", EACCES, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED)
		munmap(p, M_SIZE);
	p = mmap(NULL, M_SIZE, PROT_READ, MAP_SHARED, fa, 0);
	bad += acheck("same fd, used by root", "mmap(PROT_READ)", 0, p == MAP_FAILED ? errno : 0);
	if (p != MAP_FAILED) {
		bad += acheck("same fd, used by root", "mprotect(+PROT_WRITE)", EACCES,
			      sysres(mprotect(p, M_SIZE, PROT_READ | PROT_WRITE)));
		munmap(p, M_SIZE);
	}
	bad += acheck("same fd, used by root", "read(2)", 0, sysres(pread(fa, got, 16, 0)));
	close(fa);
	/* the WRITE ioctl is checked per call: root may */
	bad += acheck("root", "WRITE ioctl by name", 0, -w_write(self->fd, b, 8, &v, 1, NULL));
	memset(want, 0, sizeof(want));
	want[8] = v;
	ASSERT_EQ(0, w_read(self->fd, b, 0, got, M_SIZE, NULL));
	if (memcmp(got, want, M_SIZE)) {
		diag("attach FAIL: '%s' changed by a refused write: starts %02x %02x, byte 8 %02x",
		     b, got[0], got[1], got[8]);
		bad++;
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, w_remove(self->fd, a));
	EXPECT_EQ(0, w_remove(self->fd, b));
}

/* ------------------------------------------------------------------ */
/* Per-uid quota                                                       */
/* ------------------------------------------------------------------ */

#define QUOTA	(64 * KiB)

/* max_user_bytes = 64 KiB, the other limits out of the way. */
static int quota_setup(int fd, char *why, size_t wl)
{
	struct ents s;
	size_t i;
	int r;

	if ((r = param_at_least(P_ENTRIES, 64)) ||
	    (r = param_at_least(P_ENTRY_SIZE, 4 * QUOTA)) ||
	    (r = param_at_least(P_TOTAL, 64 * QUOTA)) ||
	    (r = param_set(P_USER, QUOTA))) {
		snprintf(why, wl, "setting the limits: %s", ename(-r));
		return -1;
	}
	r = list_all(fd, &s);
	if (r) {
		snprintf(why, wl, "LIST: %s", ename(-r));
		return -1;
	}
	for (i = 0; i < s.n; i++) {
		if (s.e[i].uid == 1000 || s.e[i].uid == 1001) {
			snprintf(why, wl, "entry '%.*s' of uid %u already exists: the quota test needs uids 1000 and 1001 to own nothing",
				 NAME_LEN, s.e[i].name, s.e[i].uid);
			free(s.e);
			return -1;
		}
	}
	free(s.e);
	diag("quota: %s", params_str());
	return 0;
}

/*
 * uid 1000: exactly 64 KiB fits, one more page is ENOSPC and creates
 * nothing (ABI v2: bytes are charged in whole pages, so a 1-byte entry
 * costs a page); uid 1001 is unaffected; root is exempt; removal uncharges.
 */
TEST_F(sec, quota_per_uid)
{
	const __u64 pg = (__u64)sysconf(_SC_PAGESIZE);
	struct script sc;
	struct wms_add ad;
	int bad = 0;

	ASSERT_EQ(0, quota_setup(self->fd, self->why, sizeof(self->why))) TH_LOG("%s", self->why);
	ASSERT_EQ(0ULL, (ull)(QUOTA % pg)) TH_LOG("page size %llu", (ull)pg);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.quota.0", QUOTA + 1, WMS_ADD_EXCL, 0600, ENOSPC, -1);
	s_op(&sc, S_INFO, "sec.quota.0", ENOENT);
	s_add(&sc, "sec.quota.1", QUOTA - pg, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, "sec.quota.2", 1, WMS_ADD_EXCL, 0600, 0, 1);	/* a page: = 64 KiB */
	s_add(&sc, "sec.quota.3", 1, WMS_ADD_EXCL, 0600, ENOSPC, -1);	/* + 1 page */
	s_op(&sc, S_INFO, "sec.quota.3", ENOENT);
	s_add(&sc, "sec.quota.3", 1, 0, 0600, ENOSPC, -1);	/* without EXCL too */
	s_op(&sc, S_INFO, "sec.quota.3", ENOENT);
	s_add(&sc, "sec.quota.5", 0, WMS_ADD_EXCL, 0600, 0, 1);	/* 0 bytes fit */
	/* finding an existing entry never fails for a limit */
	s_add(&sc, "sec.quota.1", 999999, 0, 0600, 0, 0)->want_size = QUOTA - pg;
	bad += run_script("quota: uid 1000 fills its 64 KiB", &role_owner, &sc);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.quota.6", QUOTA, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, "sec.quota.7", 1, WMS_ADD_EXCL, 0600, ENOSPC, -1);
	s_op(&sc, S_INFO, "sec.quota.7", ENOENT);
	bad += run_script("quota: uid 1001 while uid 1000 is full", &role_uid1001, &sc);

	/* root (CAP_SYS_ADMIN) is exempt: twice the quota and more */
	EXPECT_EQ(0, w_add(self->fd, "sec.quota.8", 2 * QUOTA, WMS_ADD_EXCL, 0600, &ad))
		TH_LOG("root ADD of %llu bytes with max_user_bytes=%llu", 2 * QUOTA, QUOTA);
	EXPECT_EQ(0, w_add(self->fd, "sec.quota.9", QUOTA, WMS_ADD_EXCL, 0600, &ad));

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.quota.10", 1, WMS_ADD_EXCL, 0600, ENOSPC, -1);
	s_op(&sc, S_REMOVE, "sec.quota.2", 0);		/* frees its page */
	s_add(&sc, "sec.quota.11", 1, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, "sec.quota.12", 1, WMS_ADD_EXCL, 0600, ENOSPC, -1);
	bad += run_script("quota: uid 1000 removes a page's worth", &role_owner, &sc);

	/* root removes everything, uid 1000's entries included */
	EXPECT_EQ(6, cleanup_prefix(self->fd, "sec.quota.", false))
		TH_LOG("expected sec.quota.{1,5,6,8,9,11} to be left");

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.quota.13", QUOTA, WMS_ADD_EXCL, 0600, 0, 1);
	s_add(&sc, "sec.quota.14", 1, WMS_ADD_EXCL, 0600, ENOSPC, -1);
	s_op(&sc, S_REMOVE, "sec.quota.13", 0);
	s_add(&sc, "sec.quota.15", QUOTA, WMS_ADD_EXCL, 0600, 0, 1);
	s_op(&sc, S_REMOVE, "sec.quota.15", 0);
	bad += run_script("quota: uid 1000 after everything was removed", &role_owner, &sc);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.quota.16", QUOTA, WMS_ADD_EXCL, 0600, 0, 1);
	s_op(&sc, S_REMOVE, "sec.quota.16", 0);
	bad += run_script("quota: uid 1001 after everything was removed", &role_uid1001, &sc);
	EXPECT_EQ(0, bad);
}

/*
 * A removed entry still counts toward its owner's quota while an attached
 * file or a mapping holds its memory; closing/unmapping uncharges it.
 */
TEST_F(sec, quota_held_until_freed)
{
	struct script sc;
	char buf[16];
	void *p;
	int fa, bad = 0;

	ASSERT_EQ(0, quota_setup(self->fd, self->why, sizeof(self->why))) TH_LOG("%s", self->why);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.held.0", QUOTA, WMS_ADD_EXCL, 0644, 0, 1);
	ASSERT_EQ(0, run_script("held: setup", &role_owner, &sc));

	/* another fd (root's) stays attached across the owner's REMOVE */
	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fa);
	ASSERT_EQ(0, w_attach(fa, "sec.held.0"));
	memset(&sc, 0, sizeof(sc));
	s_op(&sc, S_REMOVE, "sec.held.0", 0);
	s_op(&sc, S_INFO, "sec.held.0", ENOENT);
	s_add(&sc, "sec.held.1", 1, WMS_ADD_EXCL, 0644, ENOSPC, -1);
	s_op(&sc, S_INFO, "sec.held.1", ENOENT);
	bad += run_script("held: REMOVE while another fd is attached", &role_owner, &sc);
	EXPECT_EQ(16, pread(fa, buf, 16, 0)) TH_LOG("the attached fd lost its entry");
	close(fa);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.held.1", QUOTA, WMS_ADD_EXCL, 0644, 0, 1);
	bad += run_script("held: after the attached fd was closed", &role_owner, &sc);

	/* a mapping outlives its fd and the REMOVE */
	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fa);
	ASSERT_EQ(0, w_attach(fa, "sec.held.1"));
	p = mmap(NULL, QUOTA, PROT_READ, MAP_SHARED, fa, 0);
	ASSERT_TRUE(p != MAP_FAILED) TH_LOG("mmap: %s", strerror(errno));
	close(fa);
	memset(&sc, 0, sizeof(sc));
	s_op(&sc, S_REMOVE, "sec.held.1", 0);
	s_add(&sc, "sec.held.2", 1, WMS_ADD_EXCL, 0644, ENOSPC, -1);
	bad += run_script("held: REMOVE while a mapping is left", &role_owner, &sc);
	munmap(p, QUOTA);

	memset(&sc, 0, sizeof(sc));
	s_add(&sc, "sec.held.2", QUOTA, WMS_ADD_EXCL, 0644, 0, 1);
	s_op(&sc, S_REMOVE, "sec.held.2", 0);
	bad += run_script("held: after munmap", &role_owner, &sc);
	EXPECT_EQ(0, bad);
}

/* ------------------------------------------------------------------ */
/* Hostile input from an unprivileged user                             */
/* ------------------------------------------------------------------ */

#define HMAX	96

struct hctx {
	char probe[48], fresh[48];
	__u64 probe_size;
	int n, finished;
	struct {
		char what[100];
		int expect, got;
	} c[HMAX];
};

static void hrec(struct hctx *h, const char *what, int expect, int got)
{
	if (h->n >= HMAX)
		return;
	snprintf(h->c[h->n].what, sizeof(h->c[h->n].what), "%s", what);
	h->c[h->n].expect = expect;
	h->c[h->n].got = got;
	h->n++;
}

#define HC(what, expect, expr)	hrec(h, (what), (expect), (expr))

/* 0 or a positive errno from an ioctl on a raw argument pointer. */
static int hioc(int fd, unsigned long cmd, const void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

/*
 * Low in the address space, so that buf + 1 GiB is still user space and
 * the length reaches the driver; reached through a volatile pointer so the
 * compiler does not object to the deliberate over-length calls.
 */
static char h_bigbuf_store[64];
static char *volatile h_bigbuf = h_bigbuf_store;

/* Runs as uid 65534. Every case is refused; nothing may change or log. */
static void hostile_fn(void *arg)
{
	struct hctx *h = arg;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct wms_list_entry le[4];
	struct wms_info in;
	struct wms_name nm;
	struct wms_list l;
	struct wms_add a;
	struct wms_io io;
	char *area, *hole, *ro, buf[64];
	__u64 done;
	void *m;
	int fd, fa, i;

	fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	HC("open /dev/wms as uid 65534", 0, fd < 0 ? errno : 0);
	if (fd < 0)
		return;
	/* [page][hole][read-only page] */
	area = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	HC("mmap scratch pages", 0, area == MAP_FAILED ? errno : 0);
	if (area == MAP_FAILED)
		return;
	hole = area + pg;
	ro = area + 2 * pg;
	munmap(hole, pg);

#define ADD0()	(memset(&a, 0, sizeof(a)), set_field(a.name, h->fresh), a.size = 16, a.mode = 0600)
	ADD0(); a.reserved[0] = 1;
	HC("ADD reserved[0]=1", EINVAL, hioc(fd, WMS_IOC_ADD, &a));
	ADD0(); a.reserved[1] = 1ULL << 63;
	HC("ADD reserved[1]=1<<63", EINVAL, hioc(fd, WMS_IOC_ADD, &a));
	ADD0(); a.flags = WMS_ADD_CREATED;
	HC("ADD flags=WMS_ADD_CREATED", EINVAL, hioc(fd, WMS_IOC_ADD, &a));
	ADD0(); a.flags = 1u << 1;
	HC("ADD flags=0x2", EINVAL, hioc(fd, WMS_IOC_ADD, &a));
	ADD0(); a.flags = ~0u;
	HC("ADD flags=~0", EINVAL, hioc(fd, WMS_IOC_ADD, &a));
	HC("ADD arg NULL", EFAULT, hioc(fd, WMS_IOC_ADD, NULL));
	HC("ADD arg kernel address", EFAULT, hioc(fd, WMS_IOC_ADD, KPTR));
	HC("ADD arg unmapped page", EFAULT, hioc(fd, WMS_IOC_ADD, hole));
	ADD0();
	memcpy(hole - (sizeof(a) - 8), &a, sizeof(a) - 8);
	HC("ADD arg straddling an unmapped page", EFAULT,
	   hioc(fd, WMS_IOC_ADD, hole - (sizeof(a) - 8)));
	ADD0(); a.size = GiB;
	HC("ADD size 1 GiB", EFBIG, hioc(fd, WMS_IOC_ADD, &a));
	ADD0(); a.size = ~0ULL;
	HC("ADD size 2^64-1", EFBIG, hioc(fd, WMS_IOC_ADD, &a));
	HC("INFO of the refused names", ENOENT, -w_info(fd, h->fresh, NULL));

	memset(&nm, 0, sizeof(nm));
	set_field(nm.name, h->probe);
	nm.reserved = 1;
	HC("REMOVE reserved=1", EINVAL, hioc(fd, WMS_IOC_REMOVE, &nm));
	HC("REMOVE arg NULL", EFAULT, hioc(fd, WMS_IOC_REMOVE, NULL));
	HC("REMOVE arg kernel address", EFAULT, hioc(fd, WMS_IOC_REMOVE, KPTR));
	HC("REMOVE of root's entry", EPERM, -w_remove(fd, h->probe));

	for (i = 0; i < 4; i++) {
		char what[40];

		memset(&in, 0, sizeof(in));
		set_field(in.name, h->probe);
		in.reserved[i] = 1;
		snprintf(what, sizeof(what), "INFO reserved[%d]=1", i);
		HC(what, EINVAL, hioc(fd, WMS_IOC_INFO, &in));
	}
	HC("INFO arg NULL", EFAULT, hioc(fd, WMS_IOC_INFO, NULL));
	HC("INFO arg kernel address", EFAULT, hioc(fd, WMS_IOC_INFO, KPTR));
	memset(ro, 0, pg);
	set_field(ro, h->probe);	/* a valid struct wms_info, read-only */
	mprotect(ro, pg, PROT_READ);
	HC("INFO into a read-only struct", EFAULT, hioc(fd, WMS_IOC_INFO, ro));

#define IO0(p, n_)	(memset(&io, 0, sizeof(io)), set_field(io.name, h->probe), io.buf = UPTR(p), io.len = (n_))
	IO0(buf, 16); io.reserved = 1;
	HC("READ reserved=1", EINVAL, hioc(fd, WMS_IOC_READ, &io));
	IO0(NULL, 16);
	HC("READ into NULL", EFAULT, hioc(fd, WMS_IOC_READ, &io));
	IO0(0, 16); io.buf = KADDR;
	HC("READ into a kernel address", EFAULT, hioc(fd, WMS_IOC_READ, &io));
	IO0(ro, 16);
	HC("READ into a read-only page", EFAULT, hioc(fd, WMS_IOC_READ, &io));
	IO0(hole - 8, 16);
	HC("READ into a buffer straddling an unmapped page", EFAULT, hioc(fd, WMS_IOC_READ, &io));
	IO0(buf, 2); io.offset = ~0ULL;
	HC("READ offset 2^64-1 len 2 (overflow)", EINVAL, hioc(fd, WMS_IOC_READ, &io));
	HC("READ arg NULL", EFAULT, hioc(fd, WMS_IOC_READ, NULL));
	HC("READ arg kernel address", EFAULT, hioc(fd, WMS_IOC_READ, KPTR));
	m = mmap(NULL, h->probe_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED) {
		int r = w_read(fd, h->probe, 0, m, GiB, &done);

		/* a 1 GiB READ is a short read of the entry, not an allocation */
		HC("READ len 1 GiB (short read)", 0,
		   r ? -r : (done == h->probe_size ? 0 : R_BAD));
		munmap(m, h->probe_size);
	}
	IO0(buf, 16); io.reserved = 1;
	HC("WRITE reserved=1", EINVAL, hioc(fd, WMS_IOC_WRITE, &io));
	IO0(NULL, 16);
	HC("WRITE from NULL", EFAULT, hioc(fd, WMS_IOC_WRITE, &io));
	IO0(0, 16); io.buf = KADDR;
	HC("WRITE from a kernel address", EFAULT, hioc(fd, WMS_IOC_WRITE, &io));
	memset(hole - 8, 0x77, 8);
	IO0(hole - 8, 16);
	HC("WRITE from a buffer straddling an unmapped page", EFAULT, hioc(fd, WMS_IOC_WRITE, &io));
	IO0(h_bigbuf, GiB);
	HC("WRITE len 1 GiB", EFBIG, hioc(fd, WMS_IOC_WRITE, &io));
	IO0(h_bigbuf, 1); io.offset = h->probe_size;
	HC("WRITE 1 byte at the end", EFBIG, hioc(fd, WMS_IOC_WRITE, &io));
	IO0(h_bigbuf, 2); io.offset = ~0ULL;
	HC("WRITE offset 2^64-1 len 2 (overflow)", EINVAL, hioc(fd, WMS_IOC_WRITE, &io));
	HC("WRITE arg kernel address", EFAULT, hioc(fd, WMS_IOC_WRITE, KPTR));

#define LIST0(p, n)	(memset(&l, 0, sizeof(l)), l.entries = UPTR(p), l.count = (n))
	LIST0(le, 4); l.reserved0 = 1;
	HC("LIST reserved0=1", EINVAL, hioc(fd, WMS_IOC_LIST, &l));
	LIST0(le, 4); l.reserved[0] = 1;
	HC("LIST reserved[0]=1", EINVAL, hioc(fd, WMS_IOC_LIST, &l));
	LIST0(le, 4); l.reserved[1] = 1;
	HC("LIST reserved[1]=1", EINVAL, hioc(fd, WMS_IOC_LIST, &l));
	LIST0(le, 0);
	HC("LIST count 0", EINVAL, hioc(fd, WMS_IOC_LIST, &l));
	LIST0(NULL, 4);
	HC("LIST into NULL", EFAULT, hioc(fd, WMS_IOC_LIST, &l));
	LIST0(0, ~0u); l.entries = KADDR;
	HC("LIST count 2^32-1 into a kernel address", EFAULT, hioc(fd, WMS_IOC_LIST, &l));
	LIST0(ro, 4);
	HC("LIST into a read-only page", EFAULT, hioc(fd, WMS_IOC_LIST, &l));
	HC("LIST arg NULL", EFAULT, hioc(fd, WMS_IOC_LIST, NULL));
	HC("LIST arg kernel address", EFAULT, hioc(fd, WMS_IOC_LIST, KPTR));

	memset(&nm, 0, sizeof(nm));
	set_field(nm.name, h->probe);
	nm.reserved = ~0ULL;
	HC("ATTACH reserved=~0", EINVAL, hioc(fd, WMS_IOC_ATTACH, &nm));
	HC("ATTACH arg NULL", EFAULT, hioc(fd, WMS_IOC_ATTACH, NULL));
	HC("ATTACH arg kernel address", EFAULT, hioc(fd, WMS_IOC_ATTACH, KPTR));

	HC("unknown command 0x1f", ENOTTY,
	   hioc(fd, _IOWR(WMS_IOC_MAGIC, 0x1f, struct wms_add), &a));
	HC("ADD number with the _IOW direction", ENOTTY,
	   hioc(fd, _IOW(WMS_IOC_MAGIC, 0x00, struct wms_add), &a));
	HC("ADD number with another size", ENOTTY,
	   hioc(fd, _IOWR(WMS_IOC_MAGIC, 0x00, struct wms_name), &nm));

	/* an attached, writable (0666) file */
	fa = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	HC("ATTACH to the 0666 probe", 0, fa < 0 ? errno : -w_attach(fa, h->probe));
	if (fa >= 0) {
		HC("write(2) from a kernel address", EFAULT, sysres(write(fa, KPTR, 16)));
		HC("read(2) into a kernel address", EFAULT, sysres(pread(fa, KPTR, 16, 0)));
		HC("read(2) into a read-only page", EFAULT, sysres(pread(fa, ro, 16, 0)));
		HC("pwrite(2) from a straddling buffer", EFAULT, sysres(pwrite(fa, hole - 8, 16, 0)));
		HC("pwrite(2) of 1 GiB", EFBIG, sysres(pwrite(fa, h_bigbuf, GiB, 0)));
		HC("pwrite(2) 16 bytes at the end", EFBIG,
		   sysres(pwrite(fa, h_bigbuf, 16, h->probe_size)));
		HC("lseek(2) to -1", EINVAL, sysres(lseek(fa, -1, SEEK_SET)));
		HC("lseek(2) past the end (1 MiB)", EINVAL, sysres(lseek(fa, 1L << 20, SEEK_SET)));
		m = mmap(NULL, GiB, PROT_READ, MAP_SHARED, fa, 0);
		HC("mmap of 1 GiB", EINVAL, m == MAP_FAILED ? errno : 0);
		if (m != MAP_FAILED)
			munmap(m, GiB);
		m = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fa, 0);
		HC("mmap MAP_PRIVATE", EINVAL, m == MAP_FAILED ? errno : 0);
		if (m != MAP_FAILED)
			munmap(m, pg);
		m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fa, h->probe_size);
		HC("mmap at offset = size", EINVAL, m == MAP_FAILED ? errno : 0);
		if (m != MAP_FAILED)
			munmap(m, pg);
		HC("ATTACH again on an attached file", EBUSY, -w_attach(fa, h->probe));
		close(fa);
	}
	munmap(area, pg);
	munmap(ro, pg);
	close(fd);
	h->finished = 1;
#undef ADD0
#undef IO0
#undef LIST0
}

/* Kernel log lines that mean trouble (the VM runner greps the same). */
static bool kmsg_bad(const char *msg)
{
	static const char *const bad[] = {
		"wms", "WMS", "Oops", "BUG:", "WARNING:", "Call Trace",
		"general protection", "KASAN", "ernel panic", "lockdep",
		"possible circular", "possible recursive", "suspicious RCU",
		"invoked oom-killer", "vmalloc error",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(msg, bad[i]))
			return true;
	return false;
}

/*
 * A line of our own in the kernel log. It needs its newline: without one
 * the record stays open for continuation and readers do not see it yet.
 */
static void kmsg_mark(const char *text)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	char line[128];

	snprintf(line, sizeof(line), "%s\n", text);
	if (fd >= 0) {
		if (write(fd, line, strlen(line)) < 0)
			diag("write /dev/kmsg: %s", strerror(errno));
		close(fd);
	}
}

struct kscan {
	unsigned int records, flagged;
	bool begin, end;
};

/* Read the records logged since @fd was opened at the end. */
static int kmsg_scan(int fd, const char *begin, const char *end, struct kscan *ks)
{
	char rec[8192];

	memset(ks, 0, sizeof(*ks));
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EPIPE || errno == EINTR)
				continue;	/* overwritten records: go on */
			return -errno;
		}
		if (!n)
			return 0;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		ks->records++;
		if (strstr(msg, begin)) {
			ks->begin = true;
		} else if (strstr(msg, end)) {
			ks->end = true;
		} else if (ks->begin && !ks->end && kmsg_bad(msg)) {
			ks->flagged++;
			diag("kernel log during the hostile calls: %s", msg);
		} else {
			diag("kernel log (not counted): %s", msg);
		}
	}
}

TEST_F(sec, hostile_input_unprivileged)
{
	const char *probe = "sec.hostile.probe";
	unsigned char img[M_SIZE], got[M_SIZE];
	char begin[64], end[64];
	struct wms_info i0, i1;
	struct ents s0, s1;
	struct kscan ks;
	static struct hctx h;
	__u64 esz;
	int kfd, k, bad = 0;
	size_t j;

	/* the 1 GiB ADD must be over max_entry_size: EFBIG */
	ASSERT_EQ(0, param_get(P_ENTRY_SIZE, &esz));
	if (esz >= GiB)
		ASSERT_EQ(0, param_set(P_ENTRY_SIZE, 64 * MiB));

	ASSERT_EQ(0, w_add(self->fd, probe, M_SIZE, WMS_ADD_EXCL, 0666, NULL));
	pat_fill(img, M_SIZE, 4242);
	ASSERT_EQ(0, w_write(self->fd, probe, 0, img, M_SIZE, NULL));
	ASSERT_EQ(0, w_info(self->fd, probe, &i0));
	ASSERT_EQ(0, list_all(self->fd, &s0));

	memset(&h, 0, sizeof(h));
	snprintf(h.probe, sizeof(h.probe), "%s", probe);
	snprintf(h.fresh, sizeof(h.fresh), "sec.hostile.new");
	h.probe_size = M_SIZE;

	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kfd) TH_LOG("open /dev/kmsg: %s (needed to check the kernel log)", strerror(errno));
	ASSERT_LE(0, lseek(kfd, 0, SEEK_END)) TH_LOG("lseek /dev/kmsg: %s", strerror(errno));
	snprintf(begin, sizeof(begin), "sec-hostile-begin-%d", getpid());
	snprintf(end, sizeof(end), "sec-hostile-end-%d", getpid());
	kmsg_mark(begin);
	ASSERT_EQ(0, run_as(&role_other, hostile_fn, &h, sizeof(h), self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	kmsg_mark(end);

	for (k = 0; k < h.n; k++) {
		if (h.c[k].got == h.c[k].expect)
			continue;
		diag("hostile FAIL: %s as uid 65534: expected %s, got %s", h.c[k].what,
		     ename(h.c[k].expect), ename(h.c[k].got));
		bad++;
	}
	diag("hostile: %d calls as uid 65534, %d not as expected", h.n, bad);
	EXPECT_TRUE(h.finished && h.n < HMAX)
		TH_LOG("the child stopped early or ran out of slots (%d cases)", h.n);
	EXPECT_EQ(0, bad);

	/* nothing changed */
	ASSERT_EQ(0, w_info(self->fd, probe, &i1));
	EXPECT_TRUE(i1.uid == i0.uid && i1.gid == i0.gid && i1.mode == i0.mode &&
		    i1.size == i0.size && i1.ctime_ns == i0.ctime_ns && !i1.attached)
		TH_LOG("probe metadata changed: uid %u gid %u mode %04o size %llu attached %u",
		       i1.uid, i1.gid, i1.mode, (ull)i1.size, i1.attached);
	ASSERT_EQ(0, w_read(self->fd, probe, 0, got, M_SIZE, NULL));
	EXPECT_EQ(0, memcmp(img, got, M_SIZE)) TH_LOG("probe data changed");
	ASSERT_EQ(0, list_all(self->fd, &s1));
	EXPECT_EQ(s0.n, s1.n) TH_LOG("registry had %zu entries, now %zu", s0.n, s1.n);
	for (j = 0; j < s1.n; j++)
		EXPECT_TRUE(ents_find(&s0, s1.e[j].name) != NULL)
			TH_LOG("new entry '%.*s'", NAME_LEN, s1.e[j].name);
	free(s0.e);
	free(s1.e);

	/* and nothing was logged */
	ASSERT_EQ(0, kmsg_scan(kfd, begin, end, &ks));
	close(kfd);
	EXPECT_TRUE(ks.begin && ks.end)
		TH_LOG("the markers written to /dev/kmsg were not read back (%u records): the log check would be blind",
		       ks.records);
	EXPECT_EQ(0U, ks.flagged) TH_LOG("kernel log lines mentioning wms or a problem (above)");
	EXPECT_EQ(0, w_remove(self->fd, probe));
}

/* ------------------------------------------------------------------ */
/* Memory cgroup: entry memory is charged to the creator's memcg       */
/* ------------------------------------------------------------------ */

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_MAX		(8 * MiB)
#define CG_ENTRY	MiB
#define CG_SLACK	(64 * KiB)

/* Shared with the child in the cgroup (touched before it moves in). */
struct mshared {
	int err;		/* result of the last command */
	int oom_adj_err;
	int n_ok, fill_err, fill_info_err, rm_fail, rm_err, fill_max;
	__u64 size;
	char name[64];
	char fill_prefix[32];
};

struct cgev {
	__u64 max, oom, oom_kill;
};

static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while ((p = strstr(p, w))) {
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') &&
		    (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

static int cg_write(const char *dir, const char *file, const char *s)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return wfile(path, s);
}

static int cg_read_u64(const char *dir, const char *file, __u64 *v)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return rfile_u64(path, v);
}

static int cg_events(const char *dir, struct cgev *e)
{
	char path[256], buf[512], *line, *save = NULL;
	int r;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/memory.events", dir);
	r = rfile(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[32];
		ull v;

		if (sscanf(line, "%31s %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, "max"))
			e->max = v;
		else if (!strcmp(key, "oom"))
			e->oom = v;
		else if (!strcmp(key, "oom_kill"))
			e->oom_kill = v;
	}
	return 0;
}

/*
 * memory.current, without the per-cpu charge stocks (up to 64 pages per
 * cpu charged ahead or not yet given back): writing a memory.high below
 * the usage drains them, and "max" puts it back at once.
 */
static int cg_current(const char *dir, __u64 *v)
{
	char buf[32];
	__u64 cur;
	int r;

	r = cg_read_u64(dir, "memory.current", &cur);
	if (r)
		return r;
	snprintf(buf, sizeof(buf), "%llu", cur > 4096 ? (ull)(cur - 4096) : 0ULL);
	r = cg_write(dir, "memory.high", buf);
	if (!r)
		r = cg_write(dir, "memory.high", "max");
	if (r)
		return r;
	usleep(20000);		/* other cpus drain from a work item */
	return cg_read_u64(dir, "memory.current", v);
}

FIXTURE(memcg) {
	int fd;
	struct params prm;
	bool mounted, enabled, made, pinned;
	char dir[128];
	cpu_set_t old_cpus;
	struct mshared *sh;
	pid_t child;
	int to_child, from_child;
	char why[512];
};

FIXTURE_SETUP(memcg)
{
	int n;

	self->child = -1;
	self->to_child = self->from_child = -1;
	ASSERT_EQ(0U, (unsigned int)geteuid()) TH_LOG("run as root");
	self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, params_save(&self->prm)) TH_LOG("cannot read " PARAM_DIR "*");
	n = cleanup_prefix(self->fd, "sec.", true);
	ASSERT_LE(0, n) TH_LOG("LIST: %s", ename(-n));
}

FIXTURE_TEARDOWN(memcg)
{
	int status, n, i;

	if (self->child > 0) {
		char pid[16];

		/* back to the root group, then let it go */
		snprintf(pid, sizeof(pid), "%d", self->child);
		wfile(CG_ROOT "/cgroup.procs", pid);
		if (self->to_child >= 0 && write(self->to_child, "Q", 1) != 1)
			kill(self->child, SIGKILL);
		for (i = 0; i < 50 && waitpid(self->child, &status, WNOHANG) == 0; i++)
			usleep(100000);
		if (i == 50) {
			kill(self->child, SIGKILL);
			waitpid(self->child, &status, 0);
		}
	}
	if (self->to_child >= 0)
		close(self->to_child);
	if (self->from_child >= 0)
		close(self->from_child);
	if (self->fd >= 0) {
		n = cleanup_prefix(self->fd, "sec.", true);
		EXPECT_EQ(0, n) TH_LOG("the test left %d sec.* entries behind (removed now)", n);
	}
	if (self->pinned)
		sched_setaffinity(0, sizeof(self->old_cpus), &self->old_cpus);
	if (self->made) {
		for (i = 0; i < 50 && rmdir(self->dir) && errno == EBUSY; i++)
			usleep(100000);
		EXPECT_EQ(-ENOENT, access(self->dir, F_OK) ? -errno : 0)
			TH_LOG("rmdir %s failed", self->dir);
	}
	if (self->enabled)
		EXPECT_EQ(0, wfile(CG_ROOT "/cgroup.subtree_control", "-memory"))
			TH_LOG("could not disable the memory controller again");
	if (self->mounted && umount2(CG_ROOT, 0))
		diag("umount %s: %s (left mounted)", CG_ROOT, strerror(errno));
	EXPECT_EQ(0, params_restore(&self->prm, self->why, sizeof(self->why)))
		TH_LOG("%s", self->why);
	if (self->sh && self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
	if (self->fd >= 0)
		close(self->fd);
}

/* cgroup2 with the memory controller, a child group with memory.max = 8M. */
static void memcg_prepare(struct __test_metadata *_metadata,
			  FIXTURE_DATA(memcg) *self)
{
	char buf[512];
	struct statfs sf;
	cpu_set_t one;
	__u64 v;
	int cpu;

	/* root is exempt from the quota, not from the other limits */
	ASSERT_EQ(0, param_at_least(P_ENTRY_SIZE, CG_ENTRY));
	ASSERT_EQ(0, param_at_least(P_TOTAL, 8 * CG_MAX));
	ASSERT_EQ(0, param_at_least(P_ENTRIES, 64));

	if (statfs(CG_ROOT, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		mkdir("/sys/fs", 0755);
		mkdir(CG_ROOT, 0755);
		ASSERT_EQ(0, mount("none", CG_ROOT, "cgroup2", 0, NULL))
			TH_LOG("mount cgroup2 on %s: %s: the memory cgroup cannot be tested",
			       CG_ROOT, strerror(errno));
		self->mounted = true;
	}
	ASSERT_LE(0, rfile(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)))
		TH_LOG("read %s/cgroup.controllers: %s", CG_ROOT, strerror(errno));
	ASSERT_TRUE(word_in(buf, "memory"))
		TH_LOG("the memory controller is not available in cgroup v2 (cgroup.controllers: '%s'): entry memory accounting cannot be tested",
		       strtok(buf, "\n") ?: "");
	ASSERT_LE(0, rfile(CG_ROOT "/cgroup.subtree_control", buf, sizeof(buf)));
	if (!word_in(buf, "memory")) {
		ASSERT_EQ(0, wfile(CG_ROOT "/cgroup.subtree_control", "+memory"))
			TH_LOG("enabling the memory controller for child groups: %s", strerror(errno));
		self->enabled = true;
	}
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/sec.memcg.%d", getpid());
	if (mkdir(self->dir, 0755) && errno == EEXIST)
		rmdir(self->dir);
	ASSERT_EQ(0, access(self->dir, F_OK) ? mkdir(self->dir, 0755) : 0)
		TH_LOG("mkdir %s: %s", self->dir, strerror(errno));
	self->made = true;
	ASSERT_EQ(0, cg_write(self->dir, "memory.max", "8388608"))
		TH_LOG("%s/memory.max: %s", self->dir, strerror(errno));
	ASSERT_EQ(0, cg_read_u64(self->dir, "memory.max", &v));
	ASSERT_EQ((ull)CG_MAX, (ull)v);

	/* charge stocks are per cpu: keep both processes on one cpu */
	if (!sched_getaffinity(0, sizeof(self->old_cpus), &self->old_cpus)) {
		for (cpu = 0; cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &self->old_cpus); cpu++)
			;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		self->pinned = !sched_setaffinity(0, sizeof(one), &one);
	}
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(self->sh != MAP_FAILED);
	memset(self->sh, 0, sizeof(*self->sh));
	diag("memcg: group %s, memory.max %llu, %s", self->dir, (ull)CG_MAX, params_str());
}

static void __attribute__((noinline)) mc_touch_stack(void)
{
	volatile char b[256 * 1024];
	size_t i;

	for (i = 0; i < sizeof(b); i += 256)
		b[i] = (char)i;
}

/*
 * The process in the cgroup (root: exempt from the quota, not from the
 * memcg). Everything it will touch is touched before it is moved in, so
 * that its own page faults do not charge the group. It reports through
 * @sh and echoes each command byte.
 */
static void __attribute__((noreturn)) mc_child(int in, int out, struct mshared *sh)
{
	char cmd, nm[64];
	int fd = -1, i, r;

	mc_touch_stack();
	memset(nm, 0, sizeof(nm));
	errno = 0;
	/* if the OOM killer runs anyway, it must not take the reporter */
	sh->oom_adj_err = -wfile("/proc/self/oom_score_adj", "-1000");
	sh->err = 0;
	if (write(out, "R", 1) != 1)
		_exit(2);
	for (;;) {
		if (read(in, &cmd, 1) != 1)
			_exit(0);
		switch (cmd) {
		case 'O':
			fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
			sh->err = fd < 0 ? errno : 0;
			break;
		case 'A':
			sh->err = -w_add(fd, sh->name, sh->size, WMS_ADD_EXCL, 0600, NULL);
			break;
		case 'R':
			sh->err = -w_remove(fd, sh->name);
			break;
		case 'F':	/* ADD until one fails, then remove them all */
			sh->n_ok = 0;
			sh->fill_err = 0;
			sh->fill_info_err = R_NOTRUN;
			sh->rm_fail = 0;
			sh->rm_err = 0;
			for (i = 0; i < sh->fill_max; i++) {
				snprintf(nm, sizeof(nm), "%s%d", sh->fill_prefix, i);
				r = w_add(fd, nm, sh->size, WMS_ADD_EXCL, 0600, NULL);
				if (r) {
					sh->fill_err = -r;
					sh->fill_info_err = -w_info(fd, nm, NULL);
					break;
				}
				sh->n_ok++;
			}
			for (i = 0; i < sh->n_ok; i++) {
				snprintf(nm, sizeof(nm), "%s%d", sh->fill_prefix, i);
				r = w_remove(fd, nm);
				if (r) {
					sh->rm_fail++;
					sh->rm_err = -r;
				}
			}
			sh->err = 0;
			break;
		case 'Q':
			if (fd >= 0)
				close(fd);
			_exit(0);
		default:
			sh->err = EINVAL;
		}
		if (write(out, &cmd, 1) != 1)
			_exit(3);
	}
}

/* Send a command; wait up to @secs for its echo. 0, or -1 with why. */
static int mc_cmd(FIXTURE_DATA(memcg) *self, char cmd, int secs)
{
	struct pollfd pf = { .fd = self->from_child, .events = POLLIN };
	char echo = 0;
	int status, r;

	if (write(self->to_child, &cmd, 1) != 1) {
		snprintf(self->why, sizeof(self->why), "command '%c': write to the child: %s",
			 cmd, strerror(errno));
		return -1;
	}
	r = poll(&pf, 1, secs * 1000);
	if (r == 0) {
		snprintf(self->why, sizeof(self->why), "command '%c': no answer from the child in %d s",
			 cmd, secs);
		return -1;
	}
	if (r < 0 || read(self->from_child, &echo, 1) != 1 || echo != cmd) {
		int n = snprintf(self->why, sizeof(self->why), "command '%c': the child in the cgroup died",
				 cmd);

		if (waitpid(self->child, &status, 0) == self->child) {
			self->child = -1;
			if (WIFSIGNALED(status))
				snprintf(self->why + n, sizeof(self->why) - n, " (killed by signal %d, %s)",
					 WTERMSIG(status), strsignal(WTERMSIG(status)));
			else
				snprintf(self->why + n, sizeof(self->why) - n, " (exit status %d)",
					 WEXITSTATUS(status));
		}
		return -1;
	}
	return 0;
}

/* Fork the child, move it into the group, let it open /dev/wms there. */
static void memcg_spawn(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) *self)
{
	char buf[256], want[160], path[64], pid[16], c;
	int a[2], b[2];

	ASSERT_EQ(0, pipe2(a, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(b, O_CLOEXEC));
	fflush(stdout);
	fflush(stderr);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		close(a[1]);
		close(b[0]);
		mc_child(a[0], b[1], self->sh);
	}
	close(a[0]);
	close(b[1]);
	self->to_child = a[1];
	self->from_child = b[0];
	ASSERT_EQ(1, read(self->from_child, &c, 1)) TH_LOG("the cgroup child did not start");
	EXPECT_EQ(0, self->sh->oom_adj_err)
		TH_LOG("oom_score_adj -1000: %s", ename(self->sh->oom_adj_err));

	snprintf(pid, sizeof(pid), "%d", self->child);
	ASSERT_EQ(0, cg_write(self->dir, "cgroup.procs", pid))
		TH_LOG("moving pid %d into %s: %s", self->child, self->dir, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", self->child);
	ASSERT_LE(0, rfile(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "0::%s\n", self->dir + strlen(CG_ROOT));
	ASSERT_TRUE(strstr(buf, want) != NULL)
		TH_LOG("%s is '%s', expected '%s'", path, buf, want);

	ASSERT_EQ(0, mc_cmd(self, 'O', 30)) TH_LOG("%s", self->why);
	ASSERT_EQ(0, self->sh->err) TH_LOG("open %s in the cgroup: %s", WMS_DEVICE_PATH,
					   ename(self->sh->err));
}

static long long sdiff(__u64 a, __u64 b)
{
	return (long long)(a - b);
}

/*
 * One 1 MiB entry raises the creator's memory.current by 1 MiB plus its
 * struct and name; its REMOVE gives it back. Root's entry is not charged
 * to the group.
 */
TEST_F_TIMEOUT(memcg, entry_charged_to_creator, 120)
{
	struct mshared *sh;
	struct cgev e0, e1;
	__u64 c0, c1, c2, c3;

	memcg_prepare(_metadata, self);
	memcg_spawn(_metadata, self);
	sh = self->sh;
	ASSERT_EQ(0, cg_events(self->dir, &e0));
	ASSERT_EQ(0, cg_current(self->dir, &c0));

	snprintf(sh->name, sizeof(sh->name), "sec.memcg.one");
	sh->size = CG_ENTRY;
	ASSERT_EQ(0, mc_cmd(self, 'A', 60)) TH_LOG("%s", self->why);
	ASSERT_EQ(0, sh->err) TH_LOG("ADD of 1 MiB in the group (memory.current %llu of %llu): %s",
				     (ull)c0, (ull)CG_MAX, ename(sh->err));
	ASSERT_EQ(0, cg_current(self->dir, &c1));
	diag("memcg: memory.current %llu before, %llu after one 1 MiB ADD (%+lld)",
	     (ull)c0, (ull)c1, sdiff(c1, c0));
	EXPECT_TRUE(c1 >= c0 + CG_ENTRY && c1 <= c0 + CG_ENTRY + CG_SLACK)
		TH_LOG("memory.current rose by %lld, expected %llu..%llu: the entry (struct, name, data) must be charged to its creator's memory cgroup",
		       sdiff(c1, c0), (ull)CG_ENTRY, (ull)(CG_ENTRY + CG_SLACK));

	ASSERT_EQ(0, mc_cmd(self, 'R', 60)) TH_LOG("%s", self->why);
	ASSERT_EQ(0, sh->err) TH_LOG("REMOVE in the group: %s", ename(sh->err));
	ASSERT_EQ(0, cg_current(self->dir, &c2));
	diag("memcg: memory.current %llu after the REMOVE (%+lld from before the ADD)",
	     (ull)c2, sdiff(c2, c0));
	EXPECT_TRUE(c2 + CG_SLACK >= c0 && c2 <= c0 + CG_SLACK)
		TH_LOG("after the REMOVE memory.current is %lld from before the ADD, expected within %llu: the entry's memory was not uncharged",
		       sdiff(c2, c0), (ull)CG_SLACK);

	/* made by root in the root group: not this group's */
	ASSERT_EQ(0, w_add(self->fd, "sec.memcg.root", CG_ENTRY, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, cg_current(self->dir, &c3));
	EXPECT_TRUE(c3 + CG_SLACK >= c2 && c3 <= c2 + CG_SLACK)
		TH_LOG("root's 1 MiB ADD (root cgroup) moved this group's memory.current by %lld",
		       sdiff(c3, c2));
	EXPECT_EQ(0, w_remove(self->fd, "sec.memcg.root"));

	ASSERT_EQ(0, cg_events(self->dir, &e1));
	EXPECT_EQ(e0.oom, e1.oom) TH_LOG("memory.events oom rose without reaching memory.max");
}

/*
 * ADD 1 MiB entries until the group's memory.max refuses one: ENOMEM (not
 * ENOSPC), after at least 3, nothing created by the failed ADD, no charge
 * left behind, and no OOM killer.
 */
TEST_F_TIMEOUT(memcg, over_limit_add_fails_enomem, 180)
{
	struct mshared *sh;
	struct cgev e0, e1;
	__u64 c0, c2;
	int r, n;

	memcg_prepare(_metadata, self);
	memcg_spawn(_metadata, self);
	sh = self->sh;
	ASSERT_EQ(0, cg_events(self->dir, &e0));
	ASSERT_EQ(0, cg_current(self->dir, &c0));

	sh->size = CG_ENTRY;
	sh->fill_max = 4 * (CG_MAX / CG_ENTRY);
	snprintf(sh->fill_prefix, sizeof(sh->fill_prefix), "sec.memcg.fill.");
	r = mc_cmd(self, 'F', 150);
	ASSERT_EQ(0, cg_events(self->dir, &e1));
	if (r) {
		n = cleanup_prefix(self->fd, "sec.memcg.fill.", false);
		ASSERT_EQ(0, r)
			TH_LOG("%s after %d 1 MiB ADDs had succeeded (memory.events: max %llu->%llu, oom %llu->%llu, oom_kill %llu->%llu)%s",
			       self->why, n, (ull)e0.max, (ull)e1.max, (ull)e0.oom, (ull)e1.oom,
			       (ull)e0.oom_kill, (ull)e1.oom_kill,
			       e1.oom_kill > e0.oom_kill ?
			       ": the memcg OOM killer killed the adding process instead of the ADD failing with ENOMEM" : "");
	}
	diag("memcg: %d ADDs of 1 MiB succeeded under memory.max %llu, the next: %s; memory.events max +%llu, oom +%llu, oom_kill +%llu",
	     sh->n_ok, (ull)CG_MAX, ename(sh->fill_err), (ull)(e1.max - e0.max),
	     (ull)(e1.oom - e0.oom), (ull)(e1.oom_kill - e0.oom_kill));
	if (sh->fill_err == 0)
		TH_LOG("all %d ADDs of 1 MiB succeeded under memory.max %llu: entry memory is not charged to the creator's memory cgroup",
		       sh->n_ok, (ull)CG_MAX);
	else if (sh->fill_err == ENOSPC)
		TH_LOG("ENOSPC: a wms limit refused before the memory cgroup did (%s)", params_str());
	EXPECT_EQ(ENOMEM, sh->fill_err);
	EXPECT_LE(3, sh->n_ok);
	EXPECT_GE((int)(CG_MAX / CG_ENTRY), sh->n_ok) TH_LOG("more 1 MiB entries than memory.max holds");
	EXPECT_EQ(ENOENT, sh->fill_info_err)
		TH_LOG("INFO of the name whose ADD failed: %s (a failed ADD must create nothing)",
		       ename(sh->fill_info_err));
	EXPECT_EQ(0, sh->rm_fail) TH_LOG("%d REMOVEs failed, last: %s", sh->rm_fail, ename(sh->rm_err));
	EXPECT_LT(e0.max, e1.max)
		TH_LOG("memory.events max did not rise: the failed ADD never reached memory.max");
	EXPECT_EQ(e0.oom, e1.oom)
		TH_LOG("memory.events oom %llu -> %llu: the refused ADD ran the memcg OOM killer (the kernel log shows 'invoked oom-killer' and a Call Trace; without oom_score_adj -1000 the adding process would have been killed). An ADD the cgroup cannot afford must just fail with ENOMEM: __GFP_RETRY_MAYFAIL (or __GFP_NORETRY) on the entry allocations keeps the OOM killer out",
		       (ull)e0.oom, (ull)e1.oom);
	EXPECT_EQ(e0.oom_kill, e1.oom_kill);

	ASSERT_EQ(0, cg_current(self->dir, &c2));
	EXPECT_TRUE(c2 + CG_SLACK >= c0 && c2 <= c0 + CG_SLACK)
		TH_LOG("memory.current %llu before the ADDs, %llu after the failed ADD and the REMOVEs (%+lld): charges left behind",
		       (ull)c0, (ull)c2, sdiff(c2, c0));

	/* the group has its room back */
	snprintf(sh->name, sizeof(sh->name), "sec.memcg.after");
	ASSERT_EQ(0, mc_cmd(self, 'A', 60)) TH_LOG("%s", self->why);
	EXPECT_EQ(0, sh->err) TH_LOG("1 MiB ADD after the REMOVEs: %s", ename(sh->err));
	ASSERT_EQ(0, mc_cmd(self, 'R', 60)) TH_LOG("%s", self->why);
	EXPECT_EQ(sh->err ? ENOENT : 0, sh->err);
	EXPECT_EQ(0, cleanup_prefix(self->fd, "sec.memcg.", true));
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-f FIXTURE]... [-F FIXTURE]... [-t TEST]... [-T TEST]...\n"
		"  -l          list fixture.test names and exit\n"
		"  -f/-F NAME  run only / skip fixture NAME (sec, memcg)\n"
		"  -t/-T NAME  run only / skip test NAME (e.g. permission_matrix)\n"
		"Needs root and %s (wms.ko loaded); uses uids/gids 1000-1007 and 65534.\n",
		prog, WMS_DEVICE_PATH);
	exit(code);
}

int main(int argc, char **argv)
{
	static struct filter fl;
	bool list = false;
	int r;

	parse_args(argc, argv, "hlf:F:t:T:", &fl, &list, NULL, usage);
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	/* a test killed before its teardown must not leave the limits changed */
	if (!params_save(&g_start_params))
		atexit(restore_start_params);
	return test_harness_run(1, argv);
}
