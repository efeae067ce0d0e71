// SPDX-License-Identifier: GPL-2.0
/*
 * wms_attach_test: WMS_IOC_ATTACH and the file operations of an attached
 * /dev/wms file (read, write, pread, pwrite, lseek), INFO.attached,
 * permissions evaluated at ATTACH time, and re-attaching. Mappings and
 * lifetimes are wms_map_test's; the helpers and the fixture both use are in
 * wms_attach.h.
 *
 * The contract is docs/ABI.md (ABI v2).  Built static (-m64 and -m32) and
 * run as root inside the test VM against the real wms.ko; kselftest
 * harness, TAP output.  One fixture, "attach", tests in source order.
 * Every test names its entries "at.<test>.*" and removes them.
 *
 *   wms_attach_test [-l] [-t TEST]... [-T TEST]... [-s SEED]
 *     -l        list the tests          -t/-T   run only / skip TEST
 *     -s SEED   data pattern seed (default: $WMS_TEST_SEED, else the time)
 */
#include "wms_attach.h"

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

int main(int argc, char **argv)
{
	return attach_main(argc, argv, "wms_attach_test", "rw_atomic_against_each_other");
}
