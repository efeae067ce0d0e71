// SPDX-License-Identifier: GPL-2.0
/*
 * wms_test: userspace tests for /dev/wms (ABI v2, see docs/ABI.md).
 *
 * Built static (64-bit and 32-bit) and run as root inside a VM against the
 * real wms.ko.  Uses the kselftest harness; output is TAP.
 *
 * Fixtures (select with -f NAME, see -h):
 *   layout  - struct layout / command values
 *   wms     - semantics, name rules, LIST, two processes, concurrency
 *   limits  - module parameter limits at their exact boundaries
 *   wms_end - the registry is empty after everything above
 *
 * The catalogue of malformed calls is wms_badin_test. Every test removes
 * every entry it creates; the wms fixture also fails a test that leaves an
 * entry behind.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
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
#include "wms_snap.h"

/* ------------------------------------------------------------------ */
/* ABI layout: identical for -m32 and -m64                             */
/* ------------------------------------------------------------------ */

#define CHECK_SIZE(t, sz) \
	static_assert(sizeof(struct t) == (sz), "sizeof(struct " #t ")")
#define CHECK_OFF(t, f, off) \
	static_assert(offsetof(struct t, f) == (off), "offsetof(" #t "." #f ")")

CHECK_SIZE(wms_add, 288);
CHECK_OFF(wms_add, name, 0);
CHECK_OFF(wms_add, size, 256);
CHECK_OFF(wms_add, flags, 264);
CHECK_OFF(wms_add, mode, 268);
CHECK_OFF(wms_add, reserved, 272);
CHECK_OFF(wms_add, reserved[1], 280);

CHECK_SIZE(wms_name, 264);
CHECK_OFF(wms_name, name, 0);
CHECK_OFF(wms_name, reserved, 256);

CHECK_SIZE(wms_info, 320);
CHECK_OFF(wms_info, name, 0);
CHECK_OFF(wms_info, size, 256);
CHECK_OFF(wms_info, uid, 264);
CHECK_OFF(wms_info, gid, 268);
CHECK_OFF(wms_info, mode, 272);
CHECK_OFF(wms_info, attached, 276);
CHECK_OFF(wms_info, ctime_ns, 280);
CHECK_OFF(wms_info, reserved, 288);
CHECK_OFF(wms_info, reserved[3], 312);

CHECK_SIZE(wms_io, 288);
CHECK_OFF(wms_io, name, 0);
CHECK_OFF(wms_io, offset, 256);
CHECK_OFF(wms_io, len, 264);
CHECK_OFF(wms_io, buf, 272);
CHECK_OFF(wms_io, reserved, 280);

CHECK_SIZE(wms_list_entry, 280);
CHECK_OFF(wms_list_entry, name, 0);
CHECK_OFF(wms_list_entry, size, 256);
CHECK_OFF(wms_list_entry, uid, 264);
CHECK_OFF(wms_list_entry, gid, 268);
CHECK_OFF(wms_list_entry, mode, 272);
CHECK_OFF(wms_list_entry, reserved, 276);

CHECK_SIZE(wms_list, 48);
CHECK_OFF(wms_list, cursor, 0);
CHECK_OFF(wms_list, entries, 8);
CHECK_OFF(wms_list, count, 16);
CHECK_OFF(wms_list, reserved0, 20);
CHECK_OFF(wms_list, total, 24);
CHECK_OFF(wms_list, reserved, 32);
CHECK_OFF(wms_list, reserved[1], 40);

static_assert(WMS_NAME_MAX == 255, "WMS_NAME_MAX");
static_assert(WMS_ADD_EXCL == 0x1u, "WMS_ADD_EXCL");
static_assert(WMS_ADD_CREATED == 0x80000000u, "WMS_ADD_CREATED");
/* The command values are ABI too: pin them (WMS_PIN_*: wms_util.h). */
static_assert(WMS_IOC_ADD == (WMS_PIN_IOWR | 0x0120b900u), "WMS_IOC_ADD");
static_assert(WMS_IOC_REMOVE == (WMS_PIN_IOW | 0x0108b901u), "WMS_IOC_REMOVE");
static_assert(WMS_IOC_INFO == (WMS_PIN_IOWR | 0x0140b902u), "WMS_IOC_INFO");
static_assert(WMS_IOC_READ == (WMS_PIN_IOWR | 0x0120b903u), "WMS_IOC_READ");
static_assert(WMS_IOC_WRITE == (WMS_PIN_IOWR | 0x0120b904u), "WMS_IOC_WRITE");
static_assert(WMS_IOC_LIST == (WMS_PIN_IOWR | 0x0030b905u), "WMS_IOC_LIST");
static_assert(WMS_IOC_ATTACH == (WMS_PIN_IOW | 0x0108b906u), "WMS_IOC_ATTACH");

/* ------------------------------------------------------------------ */
/* Globals set from the command line                                   */
/* ------------------------------------------------------------------ */

static __u64 g_seed;

/* ------------------------------------------------------------------ */
/* global: layout                                                      */
/* ------------------------------------------------------------------ */

/* TEST() wrappers trip -Wunused-parameter; a trivial fixture does not. */
FIXTURE(layout) {
	int unused;
};

FIXTURE_SETUP(layout)
{
}

FIXTURE_TEARDOWN(layout)
{
}

TEST_F(layout, struct_layout)
{
	/* The static_asserts above already pinned this at build time. */
	EXPECT_EQ(288U, (unsigned int)sizeof(struct wms_add));
	EXPECT_EQ(264U, (unsigned int)sizeof(struct wms_name));
	EXPECT_EQ(320U, (unsigned int)sizeof(struct wms_info));
	EXPECT_EQ(288U, (unsigned int)sizeof(struct wms_io));
	EXPECT_EQ(280U, (unsigned int)sizeof(struct wms_list_entry));
	EXPECT_EQ(48U, (unsigned int)sizeof(struct wms_list));
	EXPECT_EQ(sizeof(struct wms_add), (size_t)_IOC_SIZE(WMS_IOC_ADD));
	EXPECT_EQ(sizeof(struct wms_name), (size_t)_IOC_SIZE(WMS_IOC_REMOVE));
	EXPECT_EQ(sizeof(struct wms_info), (size_t)_IOC_SIZE(WMS_IOC_INFO));
	EXPECT_EQ(sizeof(struct wms_io), (size_t)_IOC_SIZE(WMS_IOC_READ));
	EXPECT_EQ(sizeof(struct wms_io), (size_t)_IOC_SIZE(WMS_IOC_WRITE));
	EXPECT_EQ(sizeof(struct wms_list), (size_t)_IOC_SIZE(WMS_IOC_LIST));
	EXPECT_EQ(sizeof(struct wms_name), (size_t)_IOC_SIZE(WMS_IOC_ATTACH));
	diag("%zu-bit build, page size %zu", sizeof(void *) * 8, page_size());
}

/* ------------------------------------------------------------------ */
/* wms fixture                                                         */
/* ------------------------------------------------------------------ */

FIXTURE(wms) {
	int fd;
	char prefix[96];
	struct pass before;
	/* stops a test's threads if an ASSERT ends the test early */
	void (*stop_fn)(void *);
	void *stop_arg;
};

FIXTURE_SETUP(wms)
{
	self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	snprintf(self->prefix, sizeof(self->prefix), "wt.%s.", _metadata->name);
	ASSERT_EQ(0, snap_take(self->fd, &self->before));
}

FIXTURE_TEARDOWN(wms)
{
	struct pass now;
	int r;

	if (self->stop_fn)
		self->stop_fn(self->stop_arg);
	r = snap_take(self->fd, &now);
	EXPECT_EQ(0, r) TH_LOG("LIST in teardown: %s", errname(r));
	if (!r) {
		int leaked = remove_new_entries(self->fd, &self->before, &now);

		EXPECT_EQ(0, leaked) TH_LOG("test left %d entries behind", leaked);
		pass_free(&now);
	}
	pass_free(&self->before);
	close(self->fd);
}

/* Registry must be empty at the start (and wms_end checks it at the end). */
TEST_F(wms, list_empty_registry)
{
	struct wms_list_entry e[4];
	__u64 cursor = 0, total = ~0ULL;
	__u32 filled = ~0U;

	memset(e, 0xAA, sizeof(e));
	ASSERT_EQ(0, w_list(self->fd, &cursor, e, 4, &filled, &total));
	EXPECT_EQ(0ULL, (ull)total) TH_LOG("registry not empty at start: leftovers?");
	EXPECT_EQ(0U, filled);
	EXPECT_TRUE(all_bytes(e, sizeof(e), 0xAA));
}

/* ADD, name absent: creates; CREATED; size out = size asked; zero-filled. */
TEST_F(wms, add_absent_creates)
{
	const char *n = NM("e");
	struct wms_add a;
	struct wms_info i;
	unsigned char *buf = malloc(12345);
	__u64 done;

	ASSERT_TRUE((buf) != NULL);
	ASSERT_EQ(-ENOENT, w_info(self->fd, n, NULL));
	ASSERT_EQ(0, w_add(self->fd, n, 12345, 0, 0640, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(12345ULL, (ull)a.size);
	EXPECT_EQ(0640U, a.mode & 0777);
	EXPECT_EQ(0ULL, (ull)(a.reserved[0] | a.reserved[1]));
	ASSERT_EQ(0, w_info(self->fd, n, &i));
	EXPECT_EQ(12345ULL, (ull)i.size);
	EXPECT_EQ(0640U, i.mode);
	EXPECT_EQ(0U, i.attached);
	memset(buf, 0x77, 12345);
	ASSERT_EQ(0, w_read(self->fd, n, 0, buf, 12345, &done));
	EXPECT_EQ(12345ULL, (ull)done);
	EXPECT_TRUE(all_bytes(buf, 12345, 0));
	EXPECT_EQ(0, w_remove(self->fd, n));
	free(buf);
}

/* ADD, name present: 0, no CREATED, size out = existing size, untouched. */
TEST_F(wms, add_present_returns_existing)
{
	const char *n = NM("e");
	unsigned char pat[100], got[100];
	struct wms_info i1, i2;
	struct wms_add a;
	__u64 done;

	fill_pattern(pat, sizeof(pat), 1);
	ASSERT_EQ(0, w_add(self->fd, n, 100, 0, 0640, &a));
	ASSERT_EQ(WMS_ADD_CREATED, a.flags);
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 100, &done));
	ASSERT_EQ(0, w_info(self->fd, n, &i1));

	ASSERT_EQ(0, w_add(self->fd, n, 5000, 0, 0604, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(100ULL, (ull)a.size);
	EXPECT_EQ(0ULL, (ull)(a.reserved[0] | a.reserved[1]));
	ASSERT_EQ(0, w_add(self->fd, n, 0, 0, 0, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(100ULL, (ull)a.size);

	ASSERT_EQ(0, w_info(self->fd, n, &i2));
	EXPECT_EQ(100ULL, (ull)i2.size);
	EXPECT_EQ(0640U, i2.mode);
	EXPECT_EQ(i1.uid, i2.uid);
	EXPECT_EQ(i1.gid, i2.gid);
	EXPECT_EQ((ull)i1.ctime_ns, (ull)i2.ctime_ns);
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, 100, &done));
	EXPECT_EQ(100ULL, (ull)done);
	EXPECT_EQ(0, memcmp(pat, got, 100));
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* ADD with WMS_ADD_EXCL, name present: -EEXIST, entry untouched. */
TEST_F(wms, add_excl_present_eexist)
{
	const char *n = NM("e");
	unsigned char pat[64], got[64];
	struct wms_add a;
	struct wms_info i;
	__u64 done;

	fill_pattern(pat, sizeof(pat), 2);
	ASSERT_EQ(0, w_add(self->fd, n, 64, WMS_ADD_EXCL, 0600, &a));
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 64, &done));
	EXPECT_EQ(-EEXIST, w_add(self->fd, n, 64, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-EEXIST, w_add(self->fd, n, 4096, WMS_ADD_EXCL, 0644, NULL));
	EXPECT_EQ(-EEXIST, w_add(self->fd, n, 0, WMS_ADD_EXCL, 0, NULL));
	ASSERT_EQ(0, w_info(self->fd, n, &i));
	EXPECT_EQ(64ULL, (ull)i.size);
	EXPECT_EQ(0600U, i.mode);
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, 64, &done));
	EXPECT_EQ(0, memcmp(pat, got, 64));
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* ADD with WMS_ADD_EXCL, name absent: creates. */
TEST_F(wms, add_excl_absent_creates)
{
	const char *n = NM("e");
	struct wms_add a;

	ASSERT_EQ(0, w_add(self->fd, n, 333, WMS_ADD_EXCL, 0600, &a));
	EXPECT_TRUE((a.flags & WMS_ADD_CREATED) != 0);
	/* Whether EXCL is echoed back is not specified; nothing else may be set. */
	EXPECT_EQ(0U, a.flags & ~(WMS_ADD_CREATED | WMS_ADD_EXCL));
	EXPECT_EQ(333ULL, (ull)a.size);
	EXPECT_EQ(0, w_info(self->fd, n, NULL));
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* ADD, size > max_entry_size: -EFBIG (nothing created). */
TEST_F(wms, add_size_over_max_efbig)
{
	const char *n = NM("e");
	__u64 max;

	ASSERT_EQ(0, param_read("max_entry_size", &max));
	EXPECT_EQ(-EFBIG, w_add(self->fd, n, max + 1, 0, 0600, NULL));
	EXPECT_EQ(-EFBIG, w_add(self->fd, n, max + 1, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-EFBIG, w_add(self->fd, n, 1ULL << 63, 0, 0600, NULL));
	EXPECT_EQ(-EFBIG, w_add(self->fd, n, ~0ULL, 0, 0600, NULL));
	EXPECT_EQ(-ENOENT, w_info(self->fd, n, NULL));
}

/* Limits apply only on create: existing + size > max_entry_size -> 0. */
TEST_F(wms, add_existing_ignores_size_limit)
{
	const char *n = NM("e");
	struct wms_add a;
	__u64 max;

	ASSERT_EQ(0, param_read("max_entry_size", &max));
	ASSERT_EQ(0, w_add(self->fd, n, 16, 0, 0600, &a));
	ASSERT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(0, w_add(self->fd, n, max + 1, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(16ULL, (ull)a.size);
	EXPECT_EQ(0, w_add(self->fd, n, ~0ULL, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(16ULL, (ull)a.size);
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* Every op with one name field; returns -errno. */
static int op_on_field(int fd, int op, const char *field)
{
	unsigned char buf[8] = { 0 };

	switch (op) {
	case 0: return add_f(fd, field, 8, 0, 0600, NULL);
	case 1: return add_f(fd, field, 8, WMS_ADD_EXCL, 0600, NULL);
	case 2: return remove_f(fd, field);
	case 3: return info_f(fd, field, NULL);
	case 4: return io_f(fd, WMS_IOC_READ, field, 0, buf, 8, NULL);
	case 5: return io_f(fd, WMS_IOC_WRITE, field, 0, buf, 8, NULL);
	}
	return -999;
}

static const char *const op_on_field_name[] = {
	"ADD", "ADD|EXCL", "REMOVE", "INFO", "READ", "WRITE",
};

/* Empty name, '/' in name, "." and "..": -EINVAL for every op. */
TEST_F(wms, name_invalid_einval)
{
	char bad[12][NAME_LEN];
	struct pass after;
	char why[512];
	int i, op, nb = 0;

	memset(bad, 0, sizeof(bad));
	set_field(bad[nb++], "");
	set_field(bad[nb++], "/");
	set_field(bad[nb++], "//");
	set_field(bad[nb++], NM("a/b"));
	snprintf(bad[nb++], NAME_LEN, "/%sx", self->prefix);
	set_field(bad[nb++], NM("x/"));
	set_field(bad[nb++], ".");
	set_field(bad[nb++], "..");
	set_field(bad[nb++], "./");
	set_field(bad[nb++], "/.");
	set_field(bad[nb++], "../x");
	for (i = 0; i < nb; i++) {
		for (op = 0; op < 6; op++) {
			int r = op_on_field(self->fd, op, bad[i]);

			EXPECT_EQ(-EINVAL, r) TH_LOG("%s '%s': %s", op_on_field_name[op],
						     pname(bad[i]), errname(r));
		}
	}
	ASSERT_EQ(0, snap_take(self->fd, &after));
	EXPECT_EQ(0, snap_diff(&self->before, &after, why, sizeof(why))) TH_LOG("%s", why);
	pass_free(&after);
}

/*
 * No NUL in the 256-byte field: -ENAMETOOLONG for every op, even when the
 * first 255 bytes name an existing entry; a 255-byte name is valid.
 */
TEST_F(wms, name_no_nul_enametoolong)
{
	char n255[NAME_LEN], f256[NAME_LEN], slashes[NAME_LEN];
	struct wms_info i;
	struct pass p;
	int op;

	memset(n255, 0, sizeof(n255));
	memcpy(n255, self->prefix, strlen(self->prefix));
	memset(n255 + strlen(self->prefix), 'L', WMS_NAME_MAX - strlen(self->prefix));
	ASSERT_EQ((size_t)WMS_NAME_MAX, strlen(n255));
	ASSERT_EQ(0, add_f(self->fd, n255, 32, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, info_f(self->fd, n255, &i));
	EXPECT_EQ(32ULL, (ull)i.size);
	EXPECT_EQ(0, strncmp(i.name, n255, NAME_LEN));

	memcpy(f256, n255, WMS_NAME_MAX);
	f256[WMS_NAME_MAX] = 'L';	/* no NUL anywhere */
	memset(slashes, '/', sizeof(slashes));
	for (op = 0; op < 6; op++) {
		int r = op_on_field(self->fd, op, f256);

		EXPECT_EQ(-ENAMETOOLONG, r) TH_LOG("%s 256 bytes: %s",
						   op_on_field_name[op], errname(r));
		r = op_on_field(self->fd, op, slashes);
		EXPECT_EQ(-ENAMETOOLONG, r) TH_LOG("%s 256 slashes: %s",
						   op_on_field_name[op], errname(r));
	}
	ASSERT_EQ(0, list_pass(self->fd, 16, &p));
	EXPECT_EQ(1U, pass_count(&p, n255));
	EXPECT_EQ(self->before.n + 1, p.n);
	pass_free(&p);
	EXPECT_EQ(0, remove_f(self->fd, n255));
}

/* Names that look odd but are valid: "...", ".a", "a.", spaces, \n, 0xff, every byte but '/'. */
TEST_F(wms, name_odd_but_valid)
{
	char names[10][NAME_LEN];
	int i, k, nn = 0;
	char *q;

	/* ABI v2: a name that begins with '.' is the kernel's: see below. */
	set_field(names[nn++], NM("..."));
	set_field(names[nn++], "a.b.");
	set_field(names[nn++], "a.");
	set_field(names[nn++], NM(" with spaces "));
	set_field(names[nn++], NM("new\nline\ttab"));
	set_field(names[nn++], NM("\xff\xfe\x80"));
	set_field(names[nn++], NM("."));
	set_field(names[nn++], NM(".."));
	/* bytes 0x01..0x7f except '/', then 0x80..0xff */
	q = stpcpy(names[nn], self->prefix);
	for (k = 0x01; k <= 0x7f; k++)
		if (k != '/')
			*q++ = (char)k;
	memset(q, 0, names[nn] + NAME_LEN - q);
	nn++;
	q = stpcpy(names[nn], self->prefix);
	for (k = 0x80; k <= 0xff; k++)
		*q++ = (char)k;
	memset(q, 0, names[nn] + NAME_LEN - q);
	nn++;

	for (i = 0; i < nn; i++) {
		unsigned char w[4] = { 1, 2, 3, 4 }, g[4] = { 0 };
		const struct wms_list_entry *le;
		struct wms_add a;
		struct pass p;
		int r;

		ASSERT_LT(strlen(names[i]), (size_t)NAME_LEN);
		r = add_f(self->fd, names[i], 4, WMS_ADD_EXCL, 0600, &a);
		EXPECT_EQ(0, r) TH_LOG("ADD '%s': %s", pname(names[i]), errname(r));
		if (r)
			continue;
		EXPECT_TRUE((a.flags & WMS_ADD_CREATED) != 0);
		EXPECT_EQ(0, info_f(self->fd, names[i], NULL));
		EXPECT_EQ(0, io_f(self->fd, WMS_IOC_WRITE, names[i], 0, w, 4, NULL));
		EXPECT_EQ(0, io_f(self->fd, WMS_IOC_READ, names[i], 0, g, 4, NULL));
		EXPECT_EQ(0, memcmp(w, g, 4));
		ASSERT_EQ(0, list_pass(self->fd, 8, &p));
		le = pass_find(&p, names[i]);
		EXPECT_TRUE((le) != NULL) TH_LOG("LIST lacks '%s'", pname(names[i]));
		if (le) {
			EXPECT_EQ(0, memcmp(le->name, names[i], NAME_LEN));
		}
		EXPECT_EQ(1U, pass_count(&p, names[i]));
		pass_free(&p);
		EXPECT_EQ(0, remove_f(self->fd, names[i]));
		EXPECT_EQ(-ENOENT, info_f(self->fd, names[i], NULL));
	}
	/* Valid names, but reserved: user space, root too, cannot create them. */
	EXPECT_EQ(-EPERM, add_f(self->fd, "...", 4, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-EPERM, add_f(self->fd, ".a", 4, 0, 0600, NULL));
	EXPECT_EQ(-ENOENT, info_f(self->fd, "...", NULL));
	EXPECT_EQ(-ENOENT, info_f(self->fd, ".a", NULL));
}

/* Bytes after the name's NUL are ignored. */
TEST_F(wms, name_bytes_after_nul_ignored)
{
	const char *base = NM("abc");
	char g[NAME_LEN];
	unsigned char pat[64], got[64];
	const struct wms_list_entry *le;
	struct wms_add a;
	struct wms_info i;
	struct pass p;
	size_t bl = strlen(base);

	memset(g, 0xff, sizeof(g));
	memcpy(g, base, bl + 1);
	memcpy(g + bl + 1, "garbage", 7);

	ASSERT_EQ(0, w_add(self->fd, base, 64, 0, 0600, &a));
	ASSERT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(0, add_f(self->fd, g, 999, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(64ULL, (ull)a.size);
	EXPECT_EQ(-EEXIST, add_f(self->fd, g, 64, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, info_f(self->fd, g, &i));
	EXPECT_EQ(64ULL, (ull)i.size);
	fill_pattern(pat, sizeof(pat), 3);
	EXPECT_EQ(0, io_f(self->fd, WMS_IOC_WRITE, g, 0, pat, 64, NULL));
	EXPECT_EQ(0, w_read(self->fd, base, 0, got, 64, NULL));
	EXPECT_EQ(0, memcmp(pat, got, 64));
	memset(got, 0, sizeof(got));
	EXPECT_EQ(0, io_f(self->fd, WMS_IOC_READ, g, 0, got, 64, NULL));
	EXPECT_EQ(0, memcmp(pat, got, 64));
	EXPECT_EQ(0, remove_f(self->fd, g));
	EXPECT_EQ(-ENOENT, w_info(self->fd, base, NULL));

	/* Created through a field with garbage: stored and listed clean. */
	ASSERT_EQ(0, add_f(self->fd, g, 8, 0, 0600, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	ASSERT_EQ(0, list_pass(self->fd, 4, &p));
	le = pass_find(&p, base);
	ASSERT_TRUE((le) != NULL);
	EXPECT_TRUE(all_bytes(le->name + bl, NAME_LEN - bl, 0));
	EXPECT_EQ(self->before.n + 1, p.n);
	pass_free(&p);
	EXPECT_EQ(0, w_remove(self->fd, base));
}

/* Names are case-sensitive and compared as bytes. */
TEST_F(wms, name_case_sensitive)
{
	struct wms_info i;

	ASSERT_EQ(0, w_add(self->fd, NM("Foo"), 8, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_add(self->fd, NM("foo"), 16, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_info(self->fd, NM("Foo"), &i));
	EXPECT_EQ(8ULL, (ull)i.size);
	ASSERT_EQ(0, w_info(self->fd, NM("foo"), &i));
	EXPECT_EQ(16ULL, (ull)i.size);
	EXPECT_EQ(-ENOENT, w_info(self->fd, NM("FOO"), NULL));
	EXPECT_EQ(-ENOENT, w_info(self->fd, NM("fo"), NULL));
	EXPECT_EQ(-ENOENT, w_info(self->fd, NM("foo "), NULL));
	EXPECT_EQ(0, w_remove(self->fd, NM("Foo")));
	EXPECT_EQ(0, w_info(self->fd, NM("foo"), NULL));
	EXPECT_EQ(0, w_remove(self->fd, NM("foo")));
}

/* REMOVE, INFO, READ, WRITE of an absent name: -ENOENT (also len 0). */
TEST_F(wms, absent_name_enoent)
{
	const char *n = NM("absent");
	unsigned char buf[16] = { 0 };

	EXPECT_EQ(-ENOENT, w_remove(self->fd, n));
	EXPECT_EQ(-ENOENT, w_info(self->fd, n, NULL));
	EXPECT_EQ(-ENOENT, w_read(self->fd, n, 0, buf, 16, NULL));
	EXPECT_EQ(-ENOENT, w_write(self->fd, n, 0, buf, 16, NULL));
	EXPECT_EQ(-ENOENT, w_read(self->fd, n, 0, buf, 0, NULL));
	EXPECT_EQ(-ENOENT, w_write(self->fd, n, 0, buf, 0, NULL));
	EXPECT_EQ(-ENOENT, w_read(self->fd, n, 1ULL << 40, buf, 16, NULL));
	EXPECT_EQ(-ENOENT, w_write(self->fd, n, 1ULL << 40, buf, 16, NULL));
	/* and after a REMOVE */
	ASSERT_EQ(0, w_add(self->fd, n, 16, 0, 0600, NULL));
	ASSERT_EQ(0, w_remove(self->fd, n));
	EXPECT_EQ(-ENOENT, w_remove(self->fd, n));
	EXPECT_EQ(-ENOENT, w_info(self->fd, n, NULL));
	EXPECT_EQ(-ENOENT, w_read(self->fd, n, 0, buf, 16, NULL));
	EXPECT_EQ(-ENOENT, w_write(self->fd, n, 0, buf, 16, NULL));
}

/* READ at offset >= size: 0 bytes, buffer untouched. */
TEST_F(wms, read_at_or_past_end_zero)
{
	static const __u64 offs[] = { 1000, 1001, 4096, 1ULL << 40, ~0ULL - 16 };
	const char *n = NM("e");
	unsigned char buf[16];
	unsigned int k;
	__u64 done;

	ASSERT_EQ(0, w_add(self->fd, n, 1000, 0, 0600, NULL));
	for (k = 0; k < ARRAY_SIZE(offs); k++) {
		memset(buf, 0x5a, sizeof(buf));
		EXPECT_EQ(0, w_read(self->fd, n, offs[k], buf, 16, &done))
			TH_LOG("offset %llu", (ull)offs[k]);
		EXPECT_EQ(0ULL, (ull)done);
		EXPECT_TRUE(all_bytes(buf, sizeof(buf), 0x5a));
	}
	/* offset + len == 2^64 - 1 does not overflow */
	EXPECT_EQ(0, w_read(self->fd, n, ~0ULL - 16, buf, 16, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_read(self->fd, n, ~0ULL, buf, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* A READ crossing the end is short; bytes past the short count untouched. */
TEST_F(wms, read_crossing_end_short)
{
	const char *n = NM("e");
	unsigned char pat[1000], buf[2000];
	__u64 done;

	fill_pattern(pat, sizeof(pat), 4);
	ASSERT_EQ(0, w_add(self->fd, n, 1000, 0, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 1000, NULL));
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, w_read(self->fd, n, 990, buf, 100, &done));
	EXPECT_EQ(10ULL, (ull)done);
	EXPECT_EQ(0, memcmp(buf, pat + 990, 10));
	EXPECT_TRUE(all_bytes(buf + 10, 90, 0x5a));
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, w_read(self->fd, n, 0, buf, 2000, &done));
	EXPECT_EQ(1000ULL, (ull)done);
	EXPECT_EQ(0, memcmp(buf, pat, 1000));
	EXPECT_TRUE(all_bytes(buf + 1000, 1000, 0x5a));
	ASSERT_EQ(0, w_read(self->fd, n, 999, buf, 2, &done));
	EXPECT_EQ(1ULL, (ull)done);
	EXPECT_EQ(pat[999], buf[0]);
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* A WRITE crossing the end: -EFBIG, nothing written. */
TEST_F(wms, write_crossing_end_efbig_nothing_written)
{
	static const struct { __u64 off, len; } bad[] = {
		{ 990, 20 }, { 0, 1001 }, { 1000, 1 }, { 999, 2 },
		{ 1001, 0 }, { 5000, 0 }, { 1ULL << 40, 8 },
	};
	const char *n = NM("e");
	unsigned char pat[1000], q[2000], got[1000];
	unsigned int k;
	__u64 done;

	fill_pattern(pat, sizeof(pat), 5);
	memset(q, 0xee, sizeof(q));
	ASSERT_EQ(0, w_add(self->fd, n, 1000, 0, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 1000, NULL));
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		int r = w_write(self->fd, n, bad[k].off, q, bad[k].len, NULL);

		EXPECT_EQ(-EFBIG, r) TH_LOG("offset %llu len %llu: %s",
					    (ull)bad[k].off, (ull)bad[k].len, errname(r));
		ASSERT_EQ(0, w_read(self->fd, n, 0, got, 1000, NULL));
		EXPECT_EQ(0, memcmp(pat, got, 1000)) TH_LOG("data changed by failed WRITE #%u", k);
	}
	/* the boundary itself is fine */
	EXPECT_EQ(0, w_write(self->fd, n, 1000, q, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_write(self->fd, n, 999, q, 1, &done));
	EXPECT_EQ(1ULL, (ull)done);
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, 1000, NULL));
	EXPECT_EQ(0, memcmp(pat, got, 999));
	EXPECT_EQ(0xee, got[999]);
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* offset + len overflows u64: -EINVAL (before lookup, before EFBIG). */
TEST_F(wms, offset_len_overflow_einval)
{
	static const struct { __u64 off, len; } ov[] = {
		{ ~0ULL, 1 }, { 1, ~0ULL }, { ~0ULL - 7, 16 }, { 1ULL << 63, 1ULL << 63 },
		{ ~0ULL, ~0ULL },
	};
	const char *n = NM("e"), *absent = NM("absent");
	unsigned char pat[1000], got[1000], buf[16] = { 0 };
	unsigned int k;

	fill_pattern(pat, sizeof(pat), 6);
	ASSERT_EQ(0, w_add(self->fd, n, 1000, 0, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 1000, NULL));
	for (k = 0; k < ARRAY_SIZE(ov); k++) {
		EXPECT_EQ(-EINVAL, w_read(self->fd, n, ov[k].off, buf, ov[k].len, NULL))
			TH_LOG("READ #%u", k);
		EXPECT_EQ(-EINVAL, w_write(self->fd, n, ov[k].off, buf, ov[k].len, NULL))
			TH_LOG("WRITE #%u", k);
		EXPECT_EQ(-EINVAL, w_read(self->fd, absent, ov[k].off, buf, ov[k].len, NULL))
			TH_LOG("READ absent #%u", k);
		EXPECT_EQ(-EINVAL, w_write(self->fd, absent, ov[k].off, buf, ov[k].len, NULL))
			TH_LOG("WRITE absent #%u", k);
	}
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, 1000, NULL));
	EXPECT_EQ(0, memcmp(pat, got, 1000));
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* len 0 READ/WRITE: 0, never touch buf. */
TEST_F(wms, rw_len0)
{
	const char *n = NM("e");
	unsigned char pat[100], got[100];
	__u64 done;

	fill_pattern(pat, sizeof(pat), 7);
	ASSERT_EQ(0, w_add(self->fd, n, 100, 0, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 100, NULL));
	EXPECT_EQ(0, w_read(self->fd, n, 0, NULL, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_read(self->fd, n, 50, (void *)1, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_read(self->fd, n, 500, NULL, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_write(self->fd, n, 0, NULL, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_write(self->fd, n, 100, (void *)1, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(-EFBIG, w_write(self->fd, n, 101, NULL, 0, NULL));
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, 100, NULL));
	EXPECT_EQ(0, memcmp(pat, got, 100));
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* WRITE then READ round trip at many offsets, against a shadow copy. */
TEST_F(wms, write_read_roundtrip)
{
	/* Three pages and a bit, the ranges around the kernel's page boundaries. */
	const __u64 ps = page_size(), size = 3 * ps + 123;
	const struct { __u64 off, len; } fixed[] = {
		{ 0, 1 }, { 1, 1 }, { ps - 1, 2 }, { ps, ps }, { ps + 1, 100 },
		{ 3 * ps + 122, 1 }, { 0, 3 * ps + 123 }, { 100, ps + 904 },
		{ 2 * ps - 1, ps + 2 }, { 7, 0 },
	};
	const char *n = NM("e");
	unsigned char *shadow = calloc(1, size), *got = malloc(size), *w = malloc(size);
	__u64 rng = rng_init(g_seed, 1000);
	unsigned int k;

	ASSERT_TRUE((shadow) != NULL);
	ASSERT_TRUE((got) != NULL);
	ASSERT_TRUE((w) != NULL);
	ASSERT_EQ(0, w_add(self->fd, n, size, 0, 0600, NULL));
	for (k = 0; k < ARRAY_SIZE(fixed) + 60; k++) {
		__u64 off, len, done;

		if (k < ARRAY_SIZE(fixed)) {
			off = fixed[k].off;
			len = fixed[k].len;
		} else {
			off = rng_next(&rng) % size;
			len = rng_next(&rng) % (size - off + 1);
		}
		fill_pattern(w, len, rng_next(&rng));
		ASSERT_EQ(0, w_write(self->fd, n, off, w, len, &done))
			TH_LOG("WRITE off %llu len %llu", (ull)off, (ull)len);
		EXPECT_EQ((ull)len, (ull)done);
		memcpy(shadow + off, w, len);
		memset(got, 0x5a, size);
		ASSERT_EQ(0, w_read(self->fd, n, off, got, len, &done));
		EXPECT_EQ((ull)len, (ull)done);
		EXPECT_EQ(0, memcmp(got, w, len)) TH_LOG("sub-range off %llu len %llu", (ull)off, (ull)len);
		ASSERT_EQ(0, w_read(self->fd, n, 0, got, size, &done));
		EXPECT_EQ((ull)size, (ull)done);
		ASSERT_EQ(0, memcmp(got, shadow, size))
			TH_LOG("whole entry differs after WRITE off %llu len %llu (seed %llu)",
			       (ull)off, (ull)len, (ull)g_seed);
	}
	EXPECT_EQ(0, w_remove(self->fd, n));
	free(shadow);
	free(got);
	free(w);
}

/* data is zero-filled at creation */
TEST_F(wms, data_zero_filled)
{
	const __u64 ps = page_size();
	const __u64 sizes[] = { 1, 7, ps - 1, ps, ps + 1, 65536 + 3, 1 << 20 };
	unsigned char *buf = malloc(1 << 20);
	unsigned int k;

	ASSERT_TRUE((buf) != NULL);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		const char *n = NM("z%u", k);
		__u64 done;

		ASSERT_EQ(0, w_add(self->fd, n, sizes[k], WMS_ADD_EXCL, 0600, NULL));
		memset(buf, 0xa5, sizes[k]);
		ASSERT_EQ(0, w_read(self->fd, n, 0, buf, sizes[k], &done));
		EXPECT_EQ((ull)sizes[k], (ull)done);
		EXPECT_TRUE(all_bytes(buf, sizes[k], 0)) TH_LOG("size %llu", (ull)sizes[k]);
		EXPECT_EQ(0, w_remove(self->fd, n));
	}
	free(buf);
}

/*
 * Data is zero-filled at creation: memory freed by an entry full of a
 * pattern, most likely handed to the next one, must never show, neither
 * before a write nor around the range of a first, partial write.
 */
TEST_F(wms, no_stale_bytes_in_new_entries)
{
	const __u64 ps = page_size(), sizes[] = { ps, 100, 3 * ps + 5 };
	unsigned char *pat = malloc(3 * ps + 5), *buf = malloc(3 * ps + 5);
	unsigned int k, round;
	__u64 done;

	ASSERT_TRUE(pat && buf);
	memset(pat, 0xa5, 3 * ps + 5);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		__u64 size = sizes[k], off = size / 3, len = size / 3;

		for (round = 0; round < 16; round++) {
			/* Fill one entry completely and free it... */
			ASSERT_EQ(0, w_add(self->fd, NM("full"), size,
					   WMS_ADD_EXCL, 0600, NULL));
			ASSERT_EQ(0, w_write(self->fd, NM("full"), 0, pat, size,
					     NULL));
			ASSERT_EQ(0, w_remove(self->fd, NM("full")));
			/* ...then a new one reads as zeros, before a write, */
			ASSERT_EQ(0, w_add(self->fd, NM("new"), size,
					   WMS_ADD_EXCL, 0600, NULL));
			memset(buf, 0x5a, size);
			ASSERT_EQ(0, w_read(self->fd, NM("new"), 0, buf, size,
					    &done));
			EXPECT_EQ((ull)size, (ull)done);
			EXPECT_TRUE(all_bytes(buf, size, 0))
				TH_LOG("size %llu round %u: unwritten entry",
				       (ull)size, round);
			/* and around the range of its first, partial write. */
			ASSERT_EQ(0, w_write(self->fd, NM("new"), off, pat, len,
					     NULL));
			ASSERT_EQ(0, w_read(self->fd, NM("new"), 0, buf, size,
					    &done));
			EXPECT_TRUE(all_bytes(buf, off, 0));
			EXPECT_TRUE(all_bytes(buf + off, len, 0xa5));
			EXPECT_TRUE(all_bytes(buf + off + len, size - off - len,
					      0))
				TH_LOG("size %llu round %u: after a partial write",
				       (ull)size, round);
			ASSERT_EQ(0, w_remove(self->fd, NM("new")));
		}
	}
	free(pat);
	free(buf);
}

/* size 0 entries are valid */
TEST_F(wms, size0_entry)
{
	const char *n = NM("e");
	unsigned char buf[16];
	const struct wms_list_entry *le;
	struct wms_add a;
	struct wms_info i;
	struct pass p;
	__u64 done;

	ASSERT_EQ(0, w_add(self->fd, n, 0, 0, 0600, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(0ULL, (ull)a.size);
	ASSERT_EQ(0, w_info(self->fd, n, &i));
	EXPECT_EQ(0ULL, (ull)i.size);
	memset(buf, 0x5a, sizeof(buf));
	EXPECT_EQ(0, w_read(self->fd, n, 0, buf, 16, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_TRUE(all_bytes(buf, sizeof(buf), 0x5a));
	EXPECT_EQ(-EFBIG, w_write(self->fd, n, 0, buf, 1, NULL));
	EXPECT_EQ(0, w_write(self->fd, n, 0, buf, 0, &done));
	EXPECT_EQ(0ULL, (ull)done);
	EXPECT_EQ(0, w_add(self->fd, n, 100, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(0ULL, (ull)a.size);
	ASSERT_EQ(0, list_pass(self->fd, 4, &p));
	le = pass_find(&p, n);
	ASSERT_TRUE((le) != NULL);
	EXPECT_EQ(0ULL, (ull)le->size);
	pass_free(&p);
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* REMOVE then ADD of the same name: a new, zero-filled entry. */
TEST_F(wms, remove_then_add_creates_new)
{
	const char *n = NM("e");
	unsigned char pat[256], got[512];
	struct wms_info i1, i2;
	struct wms_add a;
	__u64 done;

	fill_pattern(pat, sizeof(pat), 8);
	ASSERT_EQ(0, w_add(self->fd, n, 256, 0, 0640, NULL));
	ASSERT_EQ(0, w_write(self->fd, n, 0, pat, 256, NULL));
	ASSERT_EQ(0, w_info(self->fd, n, &i1));
	ASSERT_EQ(0, w_remove(self->fd, n));
	EXPECT_EQ(-ENOENT, w_remove(self->fd, n));
	EXPECT_EQ(-ENOENT, w_info(self->fd, n, NULL));
	EXPECT_EQ(-ENOENT, w_read(self->fd, n, 0, got, 16, NULL));
	usleep(2000);
	ASSERT_EQ(0, w_add(self->fd, n, 512, 0, 0604, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(512ULL, (ull)a.size);
	ASSERT_EQ(0, w_info(self->fd, n, &i2));
	EXPECT_EQ(512ULL, (ull)i2.size);
	EXPECT_EQ(0604U, i2.mode);
	EXPECT_LE((ull)i1.ctime_ns, (ull)i2.ctime_ns);
	memset(got, 0x5a, sizeof(got));
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, 512, &done));
	EXPECT_EQ(512ULL, (ull)done);
	EXPECT_TRUE(all_bytes(got, 512, 0));
	EXPECT_EQ(0, w_remove(self->fd, n));
}

/* INFO and LIST: owner uid/gid 0 (root), mode & 0777 (0 -> 0600), ctime. */
TEST_F(wms, info_list_owner_mode_ctime)
{
	static const struct { __u32 in, out; } modes[] = {
		{ 0, 0600 }, { 0600, 0600 }, { 0644, 0644 }, { 0777, 0777 },
		{ 0400, 0400 }, { 0007, 0007 }, { 07777, 0777 }, { 01644, 0644 },
		{ 0xffffffffu, 0777 }, { 0x80000000u | 0640, 0640 }, { 0100640, 0640 },
	};
	const __u64 slack = 50 * 1000000ULL;	/* coarse clocks tick at most every 10ms */
	unsigned int k;

	ASSERT_EQ(0U, geteuid()) TH_LOG("run as root");
	ASSERT_EQ(0U, getegid()) TH_LOG("run as root (gid 0)");
	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		const char *n = NM("m%u", k);
		const struct wms_list_entry *le;
		struct wms_info i, i2;
		struct wms_add a;
		struct pass p;
		__u64 t0, t1;

		t0 = now_ns(CLOCK_REALTIME);
		ASSERT_EQ(0, w_add(self->fd, n, 24 + k, WMS_ADD_EXCL, modes[k].in, &a));
		t1 = now_ns(CLOCK_REALTIME);
		ASSERT_EQ(0, w_info(self->fd, n, &i));
		EXPECT_EQ(0U, i.uid);
		EXPECT_EQ(0U, i.gid);
		EXPECT_EQ(modes[k].out, i.mode) TH_LOG("mode in %#o", modes[k].in);
		EXPECT_EQ((ull)(24 + k), (ull)i.size);
		EXPECT_EQ(0U, i.attached);
		EXPECT_EQ(0ULL, (ull)(i.reserved[0] | i.reserved[1] | i.reserved[2] | i.reserved[3]));
		EXPECT_LE((ull)(t0 - slack), (ull)i.ctime_ns);
		EXPECT_GE((ull)(t1 + slack), (ull)i.ctime_ns);

		ASSERT_EQ(0, list_pass(self->fd, 8, &p));
		le = pass_find(&p, n);
		ASSERT_TRUE((le) != NULL);
		EXPECT_EQ(0U, le->uid);
		EXPECT_EQ(0U, le->gid);
		EXPECT_EQ(modes[k].out, le->mode);
		EXPECT_EQ((ull)(24 + k), (ull)le->size);
		EXPECT_EQ(0U, le->reserved);
		pass_free(&p);

		/* finding it again changes neither mode nor ctime */
		ASSERT_EQ(0, w_add(self->fd, n, 24 + k, 0, 0111, &a));
		ASSERT_EQ(0, w_info(self->fd, n, &i2));
		EXPECT_EQ(i.mode, i2.mode);
		EXPECT_EQ((ull)i.ctime_ns, (ull)i2.ctime_ns);
		EXPECT_EQ(0, w_remove(self->fd, n));
	}
}

/*
 * LIST zeroes reserved fields and the name tail: with the output buffer
 * pre-filled with 0xAA no 0xAA byte survives in a filled entry, and
 * entries past the filled count are untouched.
 */
TEST_F(wms, list_reserved_zeroed_no_stale_bytes)
{
	static const __u64 sizes[] = { 0, 1, 4096, 77, 12345 };
	static const __u32 modes[] = { 0600, 0644, 0640, 0777, 0400 };
	static const unsigned int lens[] = { 1, 2, 40, 100, 200 };
	const unsigned int cap = 1000;
	struct wms_list_entry *buf = malloc(cap * sizeof(*buf));
	char names[5][NAME_LEN];
	unsigned int k, ours = 0, passes;

	ASSERT_TRUE((buf) != NULL);
	for (k = 0; k < 5; k++) {
		size_t pl = strlen(self->prefix);

		memset(names[k], 0, NAME_LEN);
		memcpy(names[k], self->prefix, pl);
		memset(names[k] + pl, 'a' + k, lens[k]);
		ASSERT_EQ(0, add_f(self->fd, names[k], sizes[k], WMS_ADD_EXCL, modes[k], NULL));
	}
	for (passes = 0; passes < 2; passes++) {
		__u32 count = passes ? 1 : cap;
		__u64 cursor = 0;
		unsigned long calls = 0;

		for (;;) {
			struct wms_list l;
			__u32 j;

			ASSERT_LT(calls++, 100000UL);
			memset(buf, 0xAA, cap * sizeof(*buf));
			memset(&l, 0, sizeof(l));
			l.cursor = cursor;
			l.entries = UPTR(buf);
			l.count = count;
			ASSERT_EQ(0, xioctl(self->fd, WMS_IOC_LIST, &l));
			EXPECT_EQ(0U, l.reserved0);
			EXPECT_EQ(0ULL, (ull)(l.reserved[0] | l.reserved[1]));
			ASSERT_LE(l.count, count);
			for (j = 0; j < l.count; j++) {
				const struct wms_list_entry *e = &buf[j];
				size_t nl = strnlen(e->name, NAME_LEN);

				ASSERT_LT(nl, (size_t)NAME_LEN) TH_LOG("name without NUL");
				EXPECT_TRUE(all_bytes(e->name + nl, NAME_LEN - nl, 0))
					TH_LOG("stale bytes after name '%s'", pname(e->name));
				EXPECT_EQ(0U, e->reserved);
				for (k = 0; k < 5; k++) {
					if (!ent_is(e, names[k]))
						continue;
					ours++;
					EXPECT_TRUE(memchr(e, 0xAA, sizeof(*e)) == NULL)
						TH_LOG("0xAA survives in entry '%s'", pname(e->name));
					EXPECT_EQ((ull)sizes[k], (ull)e->size);
					EXPECT_EQ(modes[k], e->mode);
				}
			}
			EXPECT_TRUE(all_bytes(buf + l.count, (cap - l.count) * sizeof(*buf), 0xAA))
				TH_LOG("LIST wrote past the %u entries it filled", l.count);
			if (!l.count)
				break;
			cursor = l.cursor;
		}
	}
	EXPECT_EQ(10U, ours);
	for (k = 0; k < 5; k++) {
		EXPECT_EQ(0, remove_f(self->fd, names[k]));
	}
	free(buf);
}

/* LIST copies at most count entries. */
TEST_F(wms, list_copies_at_most_count)
{
	static const __u32 counts[] = { 1, 2, 3, 9 };
	struct wms_list_entry buf[11];
	unsigned int k;

	for (k = 0; k < 10; k++) {
		ASSERT_EQ(0, w_add(self->fd, NM("e%u", k), k, WMS_ADD_EXCL, 0600, NULL));
	}
	for (k = 0; k < ARRAY_SIZE(counts); k++) {
		__u64 cursor = 0, total;
		__u32 filled;

		memset(buf, 0xAA, sizeof(buf));
		ASSERT_EQ(0, w_list(self->fd, &cursor, buf, counts[k], &filled, &total));
		EXPECT_LE(1U, filled);
		EXPECT_GE(counts[k], filled);
		EXPECT_EQ((ull)(self->before.n + 10), (ull)total);
		EXPECT_TRUE(all_bytes(buf + counts[k], (ARRAY_SIZE(buf) - counts[k]) * sizeof(buf[0]), 0xAA))
			TH_LOG("count %u: LIST wrote past the array", counts[k]);
	}
	for (k = 0; k < 10; k++) {
		EXPECT_EQ(0, w_remove(self->fd, NM("e%u", k)));
	}
}

/* Cursor iteration with count 1, 2, 7, 1000 reports the same set, each once. */
TEST_F(wms, list_cursor_counts)
{
	static const __u32 counts[] = { 1, 2, 7, 1000 };
	const unsigned int ne = 37;
	unsigned int k, c;

	for (k = 0; k < ne; k++) {
		ASSERT_EQ(0, w_add(self->fd, NM("e%02u", k), 8 * k, WMS_ADD_EXCL, 0600, NULL));
	}
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		struct pass p;
		size_t j;

		ASSERT_EQ(0, list_pass(self->fd, counts[c], &p)) TH_LOG("count %u", counts[c]);
		EXPECT_EQ(self->before.n + ne, p.n) TH_LOG("count %u", counts[c]);
		EXPECT_EQ((ull)(self->before.n + ne), (ull)p.first_total);
		EXPECT_FALSE(p.totals_vary);
		if (counts[c] == 1) {
			EXPECT_EQ((unsigned long)(self->before.n + ne + 1), p.calls);
		}
		for (k = 0; k < ne; k++) {
			const struct wms_list_entry *le = pass_find(&p, NM("e%02u", k));

			EXPECT_EQ(1U, pass_count(&p, NM("e%02u", k)))
				TH_LOG("count %u: e%02u", counts[c], k);
			if (le) {
				EXPECT_EQ((ull)(8 * k), (ull)le->size);
			}
		}
		/* same set as the snapshot (plus ours), no duplicates */
		qsort(p.e, p.n, sizeof(*p.e), ent_cmp);
		for (j = 1; j < p.n; j++) {
			EXPECT_NE(0, ent_cmp(&p.e[j - 1], &p.e[j]))
				TH_LOG("'%s' listed twice", pname(p.e[j].name));
		}
		for (j = 0; j < self->before.n; j++) {
			EXPECT_TRUE((pass_find(&p, self->before.e[j].name)) != NULL);
		}
		pass_free(&p);
	}
	for (k = 0; k < ne; k++) {
		EXPECT_EQ(0, w_remove(self->fd, NM("e%02u", k)));
	}
}

/* LIST with count 0: -EINVAL. */
TEST_F(wms, list_count0_einval)
{
	struct wms_list_entry buf[2];
	__u64 cursor = 0;

	ASSERT_EQ(0, w_add(self->fd, NM("e"), 8, 0, 0600, NULL));
	EXPECT_EQ(-EINVAL, w_list(self->fd, &cursor, buf, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, w_list(self->fd, &cursor, NULL, 0, NULL, NULL));
	cursor = 12345;
	EXPECT_EQ(-EINVAL, w_list(self->fd, &cursor, buf, 0, NULL, NULL));
	EXPECT_EQ(0, w_remove(self->fd, NM("e")));
}

/*
 * ATTACH binds another open file to an entry and INFO counts it until that
 * file is closed (wms_attach_test covers ATTACH and attached files fully).
 */
TEST_F(wms, attach_counted_in_info)
{
	struct wms_name an;
	struct wms_info i;
	int fd2;

	ASSERT_EQ(0, w_add(self->fd, NM("e"), 4096, 0, 0600, NULL));
	fd2 = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	memset(&an, 0, sizeof(an));
	set_field(an.name, NM("e"));
	EXPECT_EQ(0, xioctl(fd2, WMS_IOC_ATTACH, &an));
	ASSERT_EQ(0, w_info(self->fd, NM("e"), &i));
	EXPECT_EQ(1U, i.attached);
	EXPECT_EQ(-EBUSY, xioctl(fd2, WMS_IOC_ATTACH, &an));
	close(fd2);
	ASSERT_EQ(0, w_info(self->fd, NM("e"), &i));
	EXPECT_EQ(0U, i.attached);
	EXPECT_EQ(0, w_remove(self->fd, NM("e")));
}

/* Two processes share data by name. */
TEST_F(wms, two_processes_share_by_name)
{
	const char *n = NM("shared");
	const size_t sz = 8192;
	unsigned char *pat = malloc(sz), *got = malloc(sz);
	int c2p[2], p2c[2], status;
	struct wms_add a;
	struct wms_info i;
	char ch = 0;
	__u64 done;
	pid_t pid;

	ASSERT_TRUE((pat) != NULL);
	ASSERT_TRUE((got) != NULL);
	fill_pattern(pat, sz, 9);
	ASSERT_EQ(-ENOENT, w_info(self->fd, n, NULL));
	ASSERT_EQ(0, pipe(c2p));
	ASSERT_EQ(0, pipe(p2c));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC), code = 0;

		if (fd < 0)
			code = 10;
		else if (w_add(fd, n, sz, 0, 0644, &a) || a.flags != WMS_ADD_CREATED)
			code = 11;
		else if (w_write(fd, n, 0, pat, sz, &done) || done != sz)
			code = 12;
		if (write(c2p[1], code ? "E" : "K", 1) != 1)
			code = 13;
		if (read(p2c[0], &ch, 1) != 1)
			code = code ? code : 14;
		_exit(code);
	}
	ASSERT_EQ(1, read(c2p[0], &ch, 1));
	EXPECT_EQ('K', ch);
	ASSERT_EQ(0, w_add(self->fd, n, 4096, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ((ull)sz, (ull)a.size);
	memset(got, 0, sz);
	ASSERT_EQ(0, w_read(self->fd, n, 0, got, sz, &done));
	EXPECT_EQ((ull)sz, (ull)done);
	EXPECT_EQ(0, memcmp(pat, got, sz));
	ASSERT_EQ(1, write(p2c[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the entry outlives the creator's file and process */
	ASSERT_EQ(0, w_info(self->fd, n, &i));
	EXPECT_EQ((ull)sz, (ull)i.size);
	EXPECT_EQ(0644U, i.mode);
	EXPECT_EQ(0, w_remove(self->fd, n));
	close(c2p[0]);
	close(c2p[1]);
	close(p2c[0]);
	close(p2c[1]);
	free(pat);
	free(got);
}

/* ------------------------------------------------------------------ */
/* READ/WRITE atomicity: whole-entry uniform writes, readers never see */
/* a mix of two writes.                                                */
/* ------------------------------------------------------------------ */

struct at_shared {
	int fd;
	char name[NAME_LEN];
	__u64 size;
	unsigned int idx;
	atomic_int stop;
	atomic_ulong writes;
	atomic_int exited;	/* writers that stopped (on stop or on an error) */
};

struct at_writer {
	pthread_t th;
	struct at_shared *sh;
	unsigned int tid;
	unsigned long fails;
	char fail[256];
};

static void *at_writer_fn(void *arg)
{
	struct at_writer *w = arg;
	struct at_shared *sh = w->sh;
	__u64 *buf = malloc(sh->size), n = 0;
	size_t i;

	if (!buf) {
		w->fails++;
		snprintf(w->fail, sizeof(w->fail), "malloc");
		atomic_fetch_add(&sh->exited, 1);
		return NULL;
	}
	while (!atomic_load(&sh->stop)) {
		__u64 v = mkval((__u32)((w->tid + 1) << 24) | (__u32)(++n & 0xffffff), sh->idx);
		__u64 done;
		int r;

		for (i = 0; i < sh->size / 8; i++)
			buf[i] = v;
		r = w_write(sh->fd, sh->name, 0, buf, sh->size, &done);
		if (r || done != sh->size) {
			if (!w->fails++)
				snprintf(w->fail, sizeof(w->fail), "WRITE: %s done %llu",
					 errname(r), (ull)done);
			break;
		}
		atomic_fetch_add(&sh->writes, 1);
	}
	free(buf);
	atomic_fetch_add(&sh->exited, 1);
	return NULL;
}

/* Wait until the writers have counted want WRITEs; false if one stopped. */
static bool at_wait_writes(struct at_shared *sh, unsigned long want)
{
	while (atomic_load(&sh->writes) < want) {
		if (atomic_load(&sh->exited))
			return false;
		usleep(50);
	}
	return true;
}

struct at_stats {
	unsigned long reads, changes, torn, bad, nonzero;
	char msg[256];
};

/*
 * AT_READS READs; every one must see one write whole. Bounded by reads, not
 * by time: a READ that sees the value of the READ before waits for the two
 * writers to count AT_WRITERS + 1 more WRITEs than they had counted when
 * that READ returned. At most one WRITE of each writer had finished
 * uncounted then, so one more finished after it and the next READ sees a
 * newer write: at least every second READ sees a change. Its time is only
 * bounded by the test's timeout (180 s): on Debian 6.12 under QEMU TCG,
 * the host's two cores at a load average of 7 to 8 with busy loops on
 * both, the case took 16 to 25 s (about 1,550 changes seen); on the UML
 * debug kernel 15 s. A READ without the data lock made it fail (1,101 torn
 * READs of 3,000).
 */
#define AT_WRITERS	2
#define AT_READS	3000
static __attribute__((noinline)) void at_read_loop(struct at_shared *sh, __u64 *buf, struct at_stats *st)
{
	__u64 rng = rng_init(g_seed, 2000), last = 0;
	unsigned long writes = 0;
	bool same = false;

	memset(st, 0, sizeof(*st));
	while (st->reads < AT_READS) {
		__u64 off = 8 * (rng_next(&rng) % (sh->size / 8));
		__u64 len = rng_next(&rng) & 1 ? sh->size - off : sh->size;
		__u64 done, first;
		size_t i;
		int r;

		if (same && !at_wait_writes(sh, writes + AT_WRITERS + 1)) {
			snprintf(st->msg, sizeof(st->msg), "a writer stopped after %lu READs",
				 st->reads);
			break;
		}
		if (len == sh->size)
			off = 0;
		r = w_read(sh->fd, sh->name, off, buf, len, &done);
		writes = atomic_load(&sh->writes);
		if (r || done != len) {
			st->bad++;
			snprintf(st->msg, sizeof(st->msg), "READ off %llu len %llu: %s done %llu",
				 (ull)off, (ull)len, errname(r), (ull)done);
			break;
		}
		st->reads++;
		first = buf[0];
		if (!val_ok(first, sh->idx)) {
			if (!st->bad++)
				snprintf(st->msg, sizeof(st->msg), "READ: foreign value %#llx", (ull)first);
		}
		for (i = 1; i < len / 8; i++) {
			if (buf[i] != first) {
				if (!st->torn++)
					snprintf(st->msg, sizeof(st->msg),
						 "torn READ: word 0 %#llx, word %zu %#llx (off %llu len %llu)",
						 (ull)first, i, (ull)buf[i], (ull)off, (ull)len);
				break;
			}
		}
		if (first)
			st->nonzero++;
		same = first == last;
		if (!same)
			st->changes++;
		last = first;
	}
}

static struct at_shared at_sh;
static struct at_writer at_w[2];
static unsigned int at_started;

static void at_stop(void *unused)
{
	unsigned int k;

	(void)unused;
	atomic_store(&at_sh.stop, 1);
	for (k = 0; k < at_started; k++)
		pthread_join(at_w[k].th, NULL);
	at_started = 0;
}

TEST_F_TIMEOUT(wms, read_write_atomic, 180)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC);
	struct at_stats st;
	unsigned int k;
	__u64 *buf;

	memset(&st, 0, sizeof(st));
	memset(&at_sh, 0, sizeof(at_sh));
	memset(at_w, 0, sizeof(at_w));
	at_sh.fd = self->fd;
	at_sh.size = 64 * 1024;
	at_sh.idx = 5;
	set_field(at_sh.name, NM("e"));
	buf = malloc(at_sh.size);
	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(0, w_add(self->fd, at_sh.name, at_sh.size, WMS_ADD_EXCL, 0600, NULL));
	self->stop_fn = at_stop;
	for (k = 0; k < 2; k++) {
		at_w[k].sh = &at_sh;
		at_w[k].tid = k;
		ASSERT_EQ(0, pthread_create(&at_w[k].th, NULL, at_writer_fn, &at_w[k]));
		at_started++;
	}
	/* the entry holds written data before the first READ */
	if (at_wait_writes(&at_sh, 1))
		at_read_loop(&at_sh, buf, &st);
	else
		snprintf(st.msg, sizeof(st.msg), "a writer stopped before its first WRITE");
	if (st.msg[0])
		TH_LOG("%s", st.msg);
	at_stop(NULL);
	self->stop_fn = NULL;
	for (k = 0; k < 2; k++) {
		EXPECT_EQ(0UL, at_w[k].fails) TH_LOG("writer %u: %s", k, at_w[k].fail);
	}
	diag("atomic: %lu reads, %lu writes, %lu value changes seen, %.1f s", st.reads,
	     (unsigned long)atomic_load(&at_sh.writes), st.changes,
	     (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	EXPECT_EQ(0UL, st.torn);
	EXPECT_EQ(0UL, st.bad);
	EXPECT_EQ((unsigned long)AT_READS, st.reads);
	/* every second READ at least (see at_read_loop) */
	EXPECT_LE((unsigned long)AT_READS / 2, st.changes)
		TH_LOG("READs saw the writes change too seldom: the test proved nothing");
	EXPECT_EQ(st.reads, st.nonzero);
	EXPECT_EQ(0, w_remove(self->fd, at_sh.name));
	free(buf);
}

/* ------------------------------------------------------------------ */
/* LIST exactly once while other threads churn other names             */
/* ------------------------------------------------------------------ */

/*
 * Names: stable "s123", churned "s123-c1" and fillers "s124-f" are
 * interleaved both by name and by creation order, so that whatever order
 * the registry keeps, adding or removing a churned name or a filler moves
 * stable entries.  Fillers are removed and re-added by the listing thread
 * itself, behind the cursor, between two LIST calls of a pass: a cursor
 * that is an array index then skips or repeats a stable entry for sure.
 */
#define CH_STABLE	500
#define CH_THREADS	2
#define CH_NAMES	32
#define CH_FILL_EVERY	2	/* a filler after every 2nd stable entry */

struct ch_thread {
	pthread_t th;
	int fd;
	atomic_int *stop;
	unsigned int tid;
	__u64 rng;
	char names[CH_NAMES][NAME_LEN];
	/*
	 * Each churned name belongs to one thread, which knows its state:
	 * gen is odd while an ADD or REMOVE that changes it is in flight.
	 */
	atomic_ulong gen[CH_NAMES];
	atomic_bool present[CH_NAMES];
	atomic_ulong ops;
	unsigned long fails;
	char fail[256];
};

static void *ch_fn(void *arg)
{
	struct ch_thread *t = arg;

	while (!atomic_load(t->stop)) {
		__u64 x = rng_next(&t->rng);
		unsigned int k = x % CH_NAMES;
		bool present = atomic_load(&t->present[k]);
		struct wms_add a;
		int r;

		if ((x >> 32) & 1) {
			if (!present)
				atomic_fetch_add(&t->gen[k], 1);
			r = w_add(t->fd, t->names[k], 8 * k, 0, 0600, &a);
			if (!present) {
				atomic_store(&t->present[k], r == 0);
				atomic_fetch_add(&t->gen[k], 1);
			}
			if ((r || a.flags != (present ? 0 : WMS_ADD_CREATED)) && !t->fails++)
				snprintf(t->fail, sizeof(t->fail), "ADD %s (%s): %s flags %#x",
					 pname(t->names[k]), present ? "present" : "absent",
					 errname(r), a.flags);
		} else {
			if (present)
				atomic_fetch_add(&t->gen[k], 1);
			r = w_remove(t->fd, t->names[k]);
			if (present) {
				atomic_store(&t->present[k], r != 0);
				atomic_fetch_add(&t->gen[k], 1);
			}
			if (r != (present ? 0 : -ENOENT) && !t->fails++)
				snprintf(t->fail, sizeof(t->fail), "REMOVE %s (%s): %s",
					 pname(t->names[k]), present ? "present" : "absent",
					 errname(r));
		}
		atomic_fetch_add(&t->ops, 1);
	}
	return NULL;
}

static unsigned long ch_ops(struct ch_thread *t)
{
	unsigned long s = 0;
	int i;

	for (i = 0; i < CH_THREADS; i++)
		s += atomic_load(&t[i].ops);
	return s;
}

/* The churn slot of thread i's name k: spread over the stable range. */
static unsigned int ch_slot(unsigned int i, unsigned int k)
{
	return (k * (CH_STABLE / CH_NAMES) + i * 7 + 3) % CH_STABLE;
}

/* Index of a stable name "<sprefix>NNN", else -1. */
static int ch_stable_index(const char *nm, const char *sprefix, size_t spl)
{
	unsigned long idx;
	char *end;

	if (strncmp(nm, sprefix, spl) || !isdigit((unsigned char)nm[spl]))
		return -1;
	idx = strtoul(nm + spl, &end, 10);
	if (*end || idx >= CH_STABLE || end - (nm + spl) != 3)
		return -1;
	return (int)idx;
}

struct ch_pass_stats {
	unsigned long filler_moves, legal_dups, untouched_checked;
};

static struct ch_thread ch_t[CH_THREADS];
static atomic_int ch_stop_flag;
static unsigned int ch_started;

static void ch_stop(void *unused)
{
	unsigned int i;

	(void)unused;
	atomic_store(&ch_stop_flag, 1);
	for (i = 0; i < ch_started; i++)
		pthread_join(ch_t[i].th, NULL);
	ch_started = 0;
}

TEST_F_TIMEOUT(wms, list_exactly_once_under_churn, 600)
{
	static const __u32 counts[] = { 1, 3, 64 };
	struct ch_thread *t = ch_t;
	static unsigned short seen[CH_STABLE];
	static unsigned long g0[CH_THREADS][CH_NAMES];
	static bool p0[CH_THREADS][CH_NAMES];
	static bool fill_present[CH_STABLE];
	static unsigned int fill_removed[CH_STABLE];
	static struct wms_list_entry buf[64];
	struct ch_pass_stats st = { 0, 0, 0 };
	unsigned long ops_before, ops_after;
	unsigned int i, k, round, c, passes = 0;
	char sprefix[NAME_LEN];
	size_t spl;

	snprintf(sprefix, sizeof(sprefix), "%ss", self->prefix);
	spl = strlen(sprefix);
	memset(ch_t, 0, sizeof(ch_t));
	atomic_store(&ch_stop_flag, 0);
	for (i = 0; i < CH_THREADS; i++) {
		t[i].fd = self->fd;
		t[i].stop = &ch_stop_flag;
		t[i].tid = i;
		t[i].rng = rng_init(g_seed, 3000 + i);
		for (k = 0; k < CH_NAMES; k++)
			set_field(t[i].names[k], NM("s%03u-c%u", ch_slot(i, k), i));
	}
	/* create stable entries, fillers and churned names interleaved */
	for (i = 0; i < CH_STABLE; i++) {
		unsigned int j;

		ASSERT_EQ(0, w_add(self->fd, NM("s%03u", i), 0, WMS_ADD_EXCL, 0600, NULL)) {
			TH_LOG("stable %u", i);
		}
		fill_present[i] = false;
		fill_removed[i] = 0;
		if (i % CH_FILL_EVERY == 1) {
			ASSERT_EQ(0, w_add(self->fd, NM("s%03u-f", i), 0, WMS_ADD_EXCL, 0600, NULL));
			fill_present[i] = true;
		}
		for (j = 0; j < CH_THREADS; j++)
			for (k = 0; k < CH_NAMES; k++)
				if (ch_slot(j, k) == i) {
					ASSERT_EQ(0, w_add(self->fd, t[j].names[k], 8 * k, 0, 0600, NULL));
					atomic_store(&t[j].present[k], true);
				}
	}
	self->stop_fn = ch_stop;
	for (i = 0; i < CH_THREADS; i++) {
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, ch_fn, &t[i]));
		ch_started++;
	}
	/* let the churn get going */
	for (i = 0; i < 10000 && ch_ops(t) < 100; i++)
		usleep(1000);
	ops_before = ch_ops(t);

	for (round = 0; round < 3; round++) {
		for (c = 0; c < ARRAY_SIZE(counts); c++) {
			struct pass p;
			__u64 cursor = 0;
			unsigned long calls = 0, moves = 0;
			size_t j;

			memset(&p, 0, sizeof(p));
			memset(fill_removed, 0, sizeof(fill_removed));
			for (i = 0; i < CH_THREADS; i++) {
				for (k = 0; k < CH_NAMES; k++) {
					g0[i][k] = atomic_load(&t[i].gen[k]);
					p0[i][k] = atomic_load(&t[i].present[k]);
				}
			}
			for (;;) {
				__u32 filled;
				int last = -1, r;

				ASSERT_LT(calls++, 1000000UL);
				r = w_list(self->fd, &cursor, buf, counts[c], &filled, NULL);
				ASSERT_EQ(0, r) TH_LOG("LIST: %s", errname(r));
				ASSERT_LE(filled, counts[c]);
				if (!filled)
					break;
				p.e = realloc(p.e, (p.n + filled) * sizeof(*p.e));
				ASSERT_TRUE(p.e != NULL);
				memcpy(p.e + p.n, buf, filled * sizeof(*buf));
				p.n += filled;
				/* the last stable entry this call reported */
				for (j = filled; j-- > 0 && last < 0; )
					last = ch_stable_index(buf[j].name, sprefix, spl);
				if (last < 0 || moves >= 40)
					continue;
				/*
				 * After an even stable entry (its successor is stable too)
				 * remove the nearest filler behind it, after an odd one
				 * re-add one: an index cursor then skips or repeats a
				 * stable entry whichever order the registry keeps.
				 */
				for (i = last; i-- > 0; ) {
					bool rm = last % 2 == 0;

					if (i % CH_FILL_EVERY != 1 || fill_present[i] != rm)
						continue;
					if (rm) {
						ASSERT_EQ(0, w_remove(self->fd, NM("s%03u-f", i)));
						fill_removed[i]++;
					} else {
						ASSERT_EQ(0, w_add(self->fd, NM("s%03u-f", i), 0,
								   WMS_ADD_EXCL, 0600, NULL));
					}
					fill_present[i] = !fill_present[i];
					moves++;
					break;
				}
			}
			passes++;
			st.filler_moves += moves;
			memset(seen, 0, sizeof(seen));
			for (j = 0; j < p.n; j++) {
				int idx = ch_stable_index(p.e[j].name, sprefix, spl);

				if (idx >= 0)
					seen[idx]++;
			}
			for (i = 0; i < CH_STABLE; i++) {
				EXPECT_EQ(1, seen[i]) {
					TH_LOG("count %u, round %u: stable s%03u seen %u times",
					       counts[c], round, i, seen[i]);
				}
			}
			/*
			 * A churned name untouched during the pass is listed exactly
			 * once if it was present, never if absent.  Any other name
			 * twice in a pass needs a REMOVE that overlapped the pass.
			 */
			qsort(p.e, p.n, sizeof(*p.e), ent_cmp);
			for (i = 0; i < CH_THREADS; i++) {
				for (k = 0; k < CH_NAMES; k++) {
					struct wms_list_entry key;
					unsigned long g1 = atomic_load(&t[i].gen[k]);
					unsigned int n = 0;

					if (g1 != g0[i][k] || (g1 & 1))
						continue;
					memcpy(key.name, t[i].names[k], NAME_LEN);
					for (j = 0; j < p.n; j++)
						n += !ent_cmp(&key, &p.e[j]);
					EXPECT_EQ(p0[i][k] ? 1U : 0U, n) {
						TH_LOG("count %u, round %u: '%s' (%s during the whole pass) listed %u times",
						       counts[c], round, pname(t[i].names[k]),
						       p0[i][k] ? "present" : "absent", n);
					}
					st.untouched_checked++;
				}
			}
			for (j = 0; j < p.n; ) {
				size_t e = j + 1;
				bool legal = false;

				while (e < p.n && !ent_cmp(&p.e[j], &p.e[e]))
					e++;
				if (e - j > 1) {
					for (i = 0; i < CH_THREADS; i++)
						for (k = 0; k < CH_NAMES; k++)
							if (ent_is(&p.e[j], t[i].names[k]) &&
							    (atomic_load(&t[i].gen[k]) - g0[i][k] + 1) / 2 >= e - j - 1)
								legal = true;
					for (i = 0; i < CH_STABLE; i++)
						if (fill_removed[i] >= e - j - 1 &&
						    ent_is(&p.e[j], NM("s%03u-f", i)))
							legal = true;
					EXPECT_TRUE(legal) {
						TH_LOG("count %u: '%s' listed %zu times in one pass",
						       counts[c], pname(p.e[j].name), e - j);
					}
					st.legal_dups += legal;
				}
				j = e;
			}
			pass_free(&p);
		}
	}
	ops_after = ch_ops(t);
	ch_stop(NULL);
	self->stop_fn = NULL;
	for (i = 0; i < CH_THREADS; i++) {
		EXPECT_EQ(0UL, t[i].fails) TH_LOG("churn %u: %s", i, t[i].fail);
	}
	diag("churn: %u passes, %lu churn ops during the passes, %lu filler moves behind the cursor, "
	     "%lu churned names checked while untouched, %lu re-created names seen twice",
	     passes, ops_after - ops_before, st.filler_moves, st.untouched_checked, st.legal_dups);
	EXPECT_LT(0UL, ops_after - ops_before) TH_LOG("no churn while listing");
	EXPECT_LE((unsigned long)passes * 10, st.filler_moves) TH_LOG("too few filler moves");
	for (i = 0; i < CH_THREADS; i++) {
		for (k = 0; k < CH_NAMES; k++) {
			int r = w_remove(self->fd, t[i].names[k]);

			EXPECT_TRUE(r == 0 || r == -ENOENT);
		}
	}
	for (i = 0; i < CH_STABLE; i++) {
		if (fill_present[i]) {
			EXPECT_EQ(0, w_remove(self->fd, NM("s%03u-f", i)));
		}
		EXPECT_EQ(0, w_remove(self->fd, NM("s%03u", i)));
	}
}

/* ------------------------------------------------------------------ */
/* Stress: 4 threads x 20000 random ops on 8 names                     */
/* ------------------------------------------------------------------ */

#define ST_THREADS	4
#define ST_OPS		20000
#define ST_NAMES	8
#define ST_MODE		0640

enum { OP_ADD, OP_EXCL, OP_REMOVE, OP_INFO, OP_READ, OP_WRITE, OP_LIST, OP_NR };
static const char *const st_op_name[OP_NR] = {
	"add", "excl", "remove", "info", "read", "write", "list",
};
static const __u64 st_sizes[ST_NAMES] = { 8, 64, 256, 1024, 4096, 4104, 8192, 16384 };

struct st_shared {
	int fd;
	char names[ST_NAMES][NAME_LEN];
	atomic_ulong rm_started[ST_NAMES], rm_finished[ST_NAMES];
};

struct st_thread {
	pthread_t th;
	struct st_shared *sh;
	unsigned int tid;
	__u64 rng;
	unsigned long ops[OP_NR], ok[OP_NR];
	unsigned long created, read_words, read_nonzero, legal_dups, efbig;
	unsigned long fails;
	char fail[512];
};

#define ST_FAIL(t, fmt, ...) do {						\
	if (!(t)->fails++)							\
		snprintf((t)->fail, sizeof((t)->fail), fmt, ##__VA_ARGS__);	\
} while (0)

static int st_index(struct st_shared *sh, const struct wms_list_entry *e)
{
	int i;

	for (i = 0; i < ST_NAMES; i++)
		if (ent_is(e, sh->names[i]))
			return i;
	return -1;
}

static void st_list(struct st_thread *t, __u32 count)
{
	struct st_shared *sh = t->sh;
	struct wms_list_entry buf[64];
	unsigned long f0[ST_NAMES];
	unsigned int seen[ST_NAMES] = { 0 };
	char (*foreign)[NAME_LEN] = NULL;
	size_t nforeign = 0, capf = 0;
	__u64 cursor = 0, total;
	unsigned long calls = 0;
	__u32 filled, j;
	int i, r;

	for (i = 0; i < ST_NAMES; i++)
		f0[i] = atomic_load(&sh->rm_finished[i]);
	for (;;) {
		if (++calls > 10000) {
			ST_FAIL(t, "LIST pass with count %u does not end", count);
			break;
		}
		r = w_list(sh->fd, &cursor, buf, count, &filled, &total);
		if (r) {
			ST_FAIL(t, "LIST: %s", errname(r));
			break;
		}
		if (!filled)
			break;
		if (filled > count) {
			ST_FAIL(t, "LIST filled %u > count %u", filled, count);
			break;
		}
		for (j = 0; j < filled; j++) {
			const struct wms_list_entry *e = &buf[j];
			size_t k;

			i = st_index(sh, e);
			if (i < 0) {
				for (k = 0; k < nforeign; k++)
					if (!strncmp(foreign[k], e->name, NAME_LEN))
						ST_FAIL(t, "LIST: '%s' twice", pname(e->name));
				if (nforeign == capf) {
					capf = capf ? capf * 2 : 16;
					foreign = realloc(foreign, capf * NAME_LEN);
					if (!foreign) {
						ST_FAIL(t, "realloc");
						return;
					}
				}
				memcpy(foreign[nforeign++], e->name, NAME_LEN);
				continue;
			}
			seen[i]++;
			if (e->size != st_sizes[i] || e->mode != ST_MODE || e->uid || e->gid || e->reserved)
				ST_FAIL(t, "LIST '%s': size %llu mode %o uid %u gid %u",
					pname(e->name), (ull)e->size, e->mode, e->uid, e->gid);
		}
	}
	for (i = 0; i < ST_NAMES; i++) {
		unsigned long removes;

		if (seen[i] < 2)
			continue;
		removes = atomic_load(&sh->rm_started[i]) - f0[i];
		if (removes >= seen[i] - 1)
			t->legal_dups++;
		else
			ST_FAIL(t, "LIST: '%s' %u times in one pass with %lu overlapping REMOVEs",
				pname(sh->names[i]), seen[i], removes);
	}
	free(foreign);
}

static void *st_fn(void *arg)
{
	struct st_thread *t = arg;
	struct st_shared *sh = t->sh;
	__u64 *rbuf = malloc(16384 + 64), *wbuf = malloc(16384 + 64);
	unsigned long n;

	if (!rbuf || !wbuf) {
		ST_FAIL(t, "malloc");
		return NULL;
	}
	for (n = 0; n < ST_OPS; n++) {
		__u64 x = rng_next(&t->rng), y = rng_next(&t->rng);
		unsigned int i = x % ST_NAMES, pick = (x >> 8) % 100, op;
		const char *nm = sh->names[i];
		const __u64 sz = st_sizes[i];
		struct wms_add a;
		struct wms_info inf;
		__u64 done;
		int r;

		op = pick < 20 ? OP_ADD : pick < 30 ? OP_EXCL : pick < 40 ? OP_REMOVE :
		     pick < 55 ? OP_INFO : pick < 75 ? OP_READ : pick < 95 ? OP_WRITE : OP_LIST;
		t->ops[op]++;
		switch (op) {
		case OP_ADD:
			r = w_add(sh->fd, nm, sz, 0, ST_MODE, &a);
			if (r)
				ST_FAIL(t, "ADD %s: %s", pname(nm), errname(r));
			else if (a.size != sz || (a.flags & ~WMS_ADD_CREATED))
				ST_FAIL(t, "ADD %s: size %llu flags %#x", pname(nm), (ull)a.size, a.flags);
			else
				t->created += !!a.flags;
			break;
		case OP_EXCL:
			r = w_add(sh->fd, nm, sz, WMS_ADD_EXCL, ST_MODE, &a);
			if (r && r != -EEXIST)
				ST_FAIL(t, "ADD|EXCL %s: %s", pname(nm), errname(r));
			else if (!r && (a.size != sz || !(a.flags & WMS_ADD_CREATED) ||
					(a.flags & ~(WMS_ADD_CREATED | WMS_ADD_EXCL))))
				ST_FAIL(t, "ADD|EXCL %s: size %llu flags %#x", pname(nm), (ull)a.size, a.flags);
			else
				t->created += !r;
			break;
		case OP_REMOVE:
			atomic_fetch_add(&sh->rm_started[i], 1);
			r = w_remove(sh->fd, nm);
			atomic_fetch_add(&sh->rm_finished[i], 1);
			if (r && r != -ENOENT)
				ST_FAIL(t, "REMOVE %s: %s", pname(nm), errname(r));
			break;
		case OP_INFO:
			r = w_info(sh->fd, nm, &inf);
			if (r && r != -ENOENT)
				ST_FAIL(t, "INFO %s: %s", pname(nm), errname(r));
			else if (!r && (inf.size != sz || inf.mode != ST_MODE || inf.uid ||
					inf.gid || inf.attached))
				ST_FAIL(t, "INFO %s: size %llu mode %o uid %u gid %u attached %u",
					pname(nm), (ull)inf.size, inf.mode, inf.uid, inf.gid, inf.attached);
			break;
		case OP_READ: {
			__u64 off = 8 * (y % (sz / 8 + 2)), len = 8 * ((y >> 24) % (sz / 8 + 8));
			__u64 want = off >= sz ? 0 : (len < sz - off ? len : sz - off);
			size_t k;

			r = w_read(sh->fd, nm, off, rbuf, len, &done);
			if (r && r != -ENOENT) {
				ST_FAIL(t, "READ %s: %s", pname(nm), errname(r));
			} else if (!r && done != want) {
				ST_FAIL(t, "READ %s off %llu len %llu: done %llu want %llu",
					pname(nm), (ull)off, (ull)len, (ull)done, (ull)want);
			} else if (!r) {
				for (k = 0; k < done / 8; k++) {
					if (!val_ok(rbuf[k], i) || rbuf[k] != rbuf[0]) {
						ST_FAIL(t, "READ %s off %llu: word %zu %#llx, word 0 %#llx (torn or foreign)",
							pname(nm), (ull)off, k, (ull)rbuf[k], (ull)rbuf[0]);
						break;
					}
				}
				t->read_words += done / 8;
				t->read_nonzero += done && rbuf[0];
			}
			break;
		}
		case OP_WRITE: {
			__u64 v = mkval((__u32)(y >> 32) | 1, i);
			size_t k;

			for (k = 0; k < sz / 8; k++)
				wbuf[k] = v;
			if ((y & 15) == 0) {
				/* crossing the end: must fail and leave no trace */
				r = w_write(sh->fd, nm, 8, wbuf, sz, &done);
				if (r != -EFBIG && r != -ENOENT)
					ST_FAIL(t, "WRITE %s crossing end: %s", pname(nm), errname(r));
				t->efbig += r == -EFBIG;
				if (r == -EFBIG)
					r = 0;	/* counted as a correct outcome */
				break;
			}
			r = w_write(sh->fd, nm, 0, wbuf, sz, &done);
			if (r && r != -ENOENT)
				ST_FAIL(t, "WRITE %s: %s", pname(nm), errname(r));
			else if (!r && done != sz)
				ST_FAIL(t, "WRITE %s: done %llu", pname(nm), (ull)done);
			break;
		}
		case OP_LIST: {
			static const __u32 lc[] = { 1, 3, 8, 64 };

			st_list(t, lc[y % 4]);
			r = 0;
			break;
		}
		default:
			r = -1;
		}
		if (!r)
			t->ok[op]++;
	}
	free(rbuf);
	free(wbuf);
	return NULL;
}

static struct st_thread st_t[ST_THREADS];
static struct st_shared st_sh;
static unsigned int st_started;

static void st_join(void *unused)
{
	unsigned int i;

	(void)unused;
	for (i = 0; i < st_started; i++)
		pthread_join(st_t[i].th, NULL);
	st_started = 0;
}

TEST_F_TIMEOUT(wms, stress_random_ops, 600)
{
	struct st_thread *t = st_t;
	struct st_shared *shp = &st_sh;
	unsigned long tot[OP_NR] = { 0 }, ok[OP_NR] = { 0 };
	unsigned long created = 0, nonzero = 0, words = 0, dups = 0, efbig = 0;
	unsigned int i, k;
	__u64 t0 = now_ns(CLOCK_MONOTONIC);

	diag("stress: seed %llu (reproduce the op sequence with -s %llu): %u threads x %u ops on %u names",
	     (ull)g_seed, (ull)g_seed, ST_THREADS, ST_OPS, ST_NAMES);
	memset(shp, 0, sizeof(*shp));
	shp->fd = self->fd;
	for (i = 0; i < ST_NAMES; i++) {
		set_field(shp->names[i], NM("n%u", i));
		ASSERT_EQ(-ENOENT, w_info(self->fd, shp->names[i], NULL));
	}
	memset(st_t, 0, sizeof(st_t));
	self->stop_fn = st_join;
	for (i = 0; i < ST_THREADS; i++) {
		t[i].sh = shp;
		t[i].tid = i;
		t[i].rng = rng_init(g_seed, 4000 + i);
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, st_fn, &t[i]));
		st_started++;
	}
	st_join(NULL);
	self->stop_fn = NULL;
	for (i = 0; i < ST_THREADS; i++) {
		EXPECT_EQ(0UL, t[i].fails) TH_LOG("thread %u: %lu failures; first: %s",
						   i, t[i].fails, t[i].fail);
		for (k = 0; k < OP_NR; k++) {
			tot[k] += t[i].ops[k];
			ok[k] += t[i].ok[k];
		}
		created += t[i].created;
		nonzero += t[i].read_nonzero;
		words += t[i].read_words;
		dups += t[i].legal_dups;
		efbig += t[i].efbig;
	}
	for (k = 0; k < OP_NR; k++)
		diag("stress: %-6s %6lu ops, %6lu succeeded", st_op_name[k], tot[k], ok[k]);
	diag("stress: %lu created, %lu words read (%lu reads of written data), %lu EFBIG writes, "
	     "%lu legal LIST repeats, %.1f s",
	     created, words, nonzero, efbig, dups,
	     (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	{
		unsigned long sum = 0;

		for (k = 0; k < OP_NR; k++)
			sum += tot[k];
		EXPECT_EQ((unsigned long)ST_THREADS * ST_OPS, sum);
	}
	/* not vacuous: every kind of op succeeded and written data was read back */
	for (k = 0; k < OP_NR; k++) {
		EXPECT_LT(0UL, ok[k]) TH_LOG("no successful %s", st_op_name[k]);
	}
	EXPECT_LT(0UL, created);
	EXPECT_LT(0UL, nonzero);
	EXPECT_LT(0UL, efbig);
	for (i = 0; i < ST_NAMES; i++) {
		int r = w_remove(self->fd, shp->names[i]);

		EXPECT_TRUE(r == 0 || r == -ENOENT) TH_LOG("REMOVE: %s", errname(r));
		EXPECT_EQ(-ENOENT, w_info(self->fd, shp->names[i], NULL));
	}
}

/* ------------------------------------------------------------------ */
/* limits                                                              */
/* ------------------------------------------------------------------ */

static const __u64 lim_small[P_NR] = { 16, 65536, 262144, 262144 };

FIXTURE(limits) {
	int fd;
	char prefix[96];
	__u64 orig[P_NR];
	__u64 E, S, T;
	bool set_by_test;
	struct pass before;
};

FIXTURE_SETUP(limits)
{
	unsigned int k;

	self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	snprintf(self->prefix, sizeof(self->prefix), "wt.%s.", _metadata->name);
	for (k = 0; k < P_NR; k++) {
		ASSERT_EQ(0, param_read(param_name[k], &self->orig[k]))
			TH_LOG("cannot read " PARAM_DIR "%s", param_name[k]);
	}
	ASSERT_EQ(0, snap_take(self->fd, &self->before));
	ASSERT_EQ(0U, (unsigned int)self->before.n)
		TH_LOG("limits need an empty registry; it has %zu entries", self->before.n);
	if (self->orig[P_ENTRIES] > 1024) {
		/* first lower max_entries so the fixture restores on any failure */
		self->set_by_test = true;
		for (k = 0; k < P_NR; k++) {
			__u64 v;

			ASSERT_EQ(0, param_write(param_name[k], lim_small[k]));
			ASSERT_EQ(0, param_read(param_name[k], &v));
			ASSERT_EQ((ull)lim_small[k], (ull)v);
		}
	}
	ASSERT_EQ(0, param_read(param_name[P_ENTRIES], &self->E));
	ASSERT_EQ(0, param_read(param_name[P_ENTRY_SIZE], &self->S));
	ASSERT_EQ(0, param_read(param_name[P_TOTAL], &self->T));
	diag("limits: max_entries=%llu max_entry_size=%llu max_total_bytes=%llu (%s)",
	     (ull)self->E, (ull)self->S, (ull)self->T,
	     self->set_by_test ? "set by the test" : "as loaded");
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int k, pass;
	struct pass now;

	if (!snap_take(self->fd, &now)) {
		int leaked = remove_new_entries(self->fd, &self->before, &now);

		EXPECT_EQ(0, leaked);
		pass_free(&now);
	}
	/* restore every parameter that differs; twice in case of ordering rules */
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < P_NR; k++) {
			__u64 v;

			if (!param_read(param_name[k], &v) && v == self->orig[k])
				continue;
			if (param_write(param_name[k], self->orig[k]) && pass == 1)
				TH_LOG("cannot restore %s=%llu", param_name[k], (ull)self->orig[k]);
		}
	}
	for (k = 0; k < P_NR; k++) {
		__u64 v = 0;

		EXPECT_EQ(0, param_read(param_name[k], &v));
		EXPECT_EQ((ull)self->orig[k], (ull)v) TH_LOG("%s not restored", param_name[k]);
	}
	pass_free(&self->before);
	close(self->fd);
}

static __u64 min3(__u64 a, __u64 b, __u64 c)
{
	__u64 m = a < b ? a : b;

	return m < c ? m : c;
}

/* size == max_entry_size OK, +1 -> EFBIG */
TEST_F(limits, entry_size_boundary)
{
	const char *n = NM("max");
	unsigned char z = 0xff, one = 1;
	struct wms_add a;
	__u64 done;
	int r;

	EXPECT_EQ(-EFBIG, w_add(self->fd, NM("plus1"), self->S + 1, 0, 0600, NULL));
	EXPECT_EQ(-EFBIG, w_add(self->fd, NM("plus1"), self->S + 1, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-EFBIG, w_add(self->fd, NM("huge"), ~0ULL, 0, 0600, NULL));
	r = w_add(self->fd, n, self->S, WMS_ADD_EXCL, 0600, &a);
	if (self->S > self->T) {
		/* the entry fits max_entry_size but not max_total_bytes */
		EXPECT_EQ(-ENOSPC, r);
		return;
	}
	ASSERT_EQ(0, r) TH_LOG("ADD size %llu: %s", (ull)self->S, errname(r));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ((ull)self->S, (ull)a.size);
	if (self->S) {
		EXPECT_EQ(0, w_read(self->fd, n, self->S - 1, &z, 1, &done));
		EXPECT_EQ(1ULL, (ull)done);
		EXPECT_EQ(0, z);
		EXPECT_EQ(0, w_write(self->fd, n, self->S - 1, &one, 1, &done));
	}
	EXPECT_EQ(-EFBIG, w_write(self->fd, n, self->S, &one, 1, NULL));
	EXPECT_EQ(0, w_remove(self->fd, n));
	EXPECT_EQ(-ENOENT, w_info(self->fd, NM("plus1"), NULL));
}

/* exactly max_entries entries OK, one more -> ENOSPC, after REMOVE one more OK */
TEST_F(limits, max_entries_boundary)
{
	struct wms_add a;
	struct pass p;
	unsigned int k;
	int r;

	ASSERT_GE(4096ULL, (ull)self->E) TH_LOG("max_entries too large for this test");
	for (k = 0; k < self->E; k++) {
		r = w_add(self->fd, NM("e%u", k), 0, WMS_ADD_EXCL, 0600, NULL);
		ASSERT_EQ(0, r) TH_LOG("entry %u of %llu: %s", k, (ull)self->E, errname(r));
	}
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("over"), 0, 0, 0600, NULL));
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("over"), 0, WMS_ADD_EXCL, 0600, NULL));
	EXPECT_EQ(-ENOENT, w_info(self->fd, NM("over"), NULL));
	/* finding an existing entry never fails for a limit */
	EXPECT_EQ(0, w_add(self->fd, NM("e0"), 0, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ(-EEXIST, w_add(self->fd, NM("e0"), 0, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, list_pass(self->fd, 7, &p));
	EXPECT_EQ((size_t)self->E, p.n);
	EXPECT_EQ((ull)self->E, (ull)p.first_total);
	pass_free(&p);
	ASSERT_EQ(0, w_remove(self->fd, NM("e0")));
	EXPECT_EQ(0, w_add(self->fd, NM("over"), 0, 0, 0600, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("over2"), 0, 0, 0600, NULL));
	for (k = 1; k < self->E; k++) {
		EXPECT_EQ(0, w_remove(self->fd, NM("e%u", k)));
	}
	EXPECT_EQ(0, w_remove(self->fd, NM("over")));
}

/* bytes exactly at max_total_bytes OK, +1 -> ENOSPC */
TEST_F(limits, total_bytes_boundary)
{
	__u64 n, last, k;
	struct wms_add a;
	int r;

	if (!self->S)
		SKIP(return, "max_entry_size is 0");
	if (self->T > (256ULL << 20))
		SKIP(return, "max_total_bytes=%llu is too large to fill in a test VM", (ull)self->T);
	n = (self->T + self->S - 1) / self->S;
	if (!n)
		n = 1;
	if (n > self->E)
		SKIP(return, "cannot reach max_total_bytes=%llu with %llu entries of <= %llu bytes",
		     (ull)self->T, (ull)self->E, (ull)self->S);
	last = self->T - (n - 1) * self->S;
	for (k = 0; k < n; k++) {
		__u64 sz = k == n - 1 ? last : self->S;

		r = w_add(self->fd, NM("t%llu", (ull)k), sz, WMS_ADD_EXCL, 0600, &a);
		ASSERT_EQ(0, r) TH_LOG("entry %llu (size %llu) of %llu: %s", (ull)k, (ull)sz,
				       (ull)n, errname(r));
		EXPECT_EQ((ull)sz, (ull)a.size);
	}
	/* now exactly max_total_bytes are in use */
	if (n + 1 <= self->E) {
		EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("one"), 1, 0, 0600, NULL));
		EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("one"), 1, WMS_ADD_EXCL, 0600, NULL));
		/* 0 more bytes do not go past the limit */
		EXPECT_EQ(0, w_add(self->fd, NM("zero"), 0, 0, 0600, &a));
		EXPECT_EQ(WMS_ADD_CREATED, a.flags);
		w_remove(self->fd, NM("zero"));
	}
	/* finding an existing entry never fails for a limit */
	EXPECT_EQ(0, w_add(self->fd, NM("t0"), self->S + 1, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ((ull)(n == 1 ? last : self->S), (ull)a.size);
	/* replace the last entry with one byte more: refused; same size: fine */
	ASSERT_EQ(0, w_remove(self->fd, NM("t%llu", (ull)(n - 1))));
	if (last < self->S) {
		EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("t%llu", (ull)(n - 1)), last + 1, 0, 0600, NULL));
	}
	EXPECT_EQ(0, w_add(self->fd, NM("t%llu", (ull)(n - 1)), last, 0, 0600, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	for (k = 0; k < n; k++) {
		EXPECT_EQ(0, w_remove(self->fd, NM("t%llu", (ull)k)));
	}
	EXPECT_EQ(-ENOENT, w_info(self->fd, NM("one"), NULL));
}

/* with the registry full, finding any existing entry never fails */
TEST_F(limits, existing_add_never_limited)
{
	__u64 sz0 = min3(self->S, self->T, 4096), k;
	struct wms_add a;
	int r;

	ASSERT_GE(4096ULL, (ull)self->E);
	for (k = 0; k < self->E; k++) {
		r = w_add(self->fd, NM("e%llu", (ull)k), k ? 0 : sz0, WMS_ADD_EXCL, 0600, NULL);
		ASSERT_EQ(0, r) TH_LOG("entry %llu: %s", (ull)k, errname(r));
	}
	ASSERT_EQ(-ENOSPC, w_add(self->fd, NM("new"), 0, 0, 0600, NULL));
	for (k = 0; k < self->E; k++) {
		const char *n = NM("e%llu", (ull)k);
		__u64 want = k ? 0 : sz0;

		EXPECT_EQ(0, w_add(self->fd, n, self->S + 1, 0, 0600, &a));
		EXPECT_EQ(0U, a.flags);
		EXPECT_EQ((ull)want, (ull)a.size);
		EXPECT_EQ(0, w_add(self->fd, n, ~0ULL, 0, 0600, &a));
		EXPECT_EQ((ull)want, (ull)a.size);
		/* EXCL: lookup (EEXIST) comes before limits (EFBIG) */
		EXPECT_EQ(-EEXIST, w_add(self->fd, n, self->S + 1, WMS_ADD_EXCL, 0600, NULL));
	}
	/* a new name: the limits decide (EFBIG before ENOSPC) */
	EXPECT_EQ(-EFBIG, w_add(self->fd, NM("new"), self->S + 1, 0, 0600, NULL));
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("new"), 0, 0, 0600, NULL));
	for (k = 0; k < self->E; k++) {
		EXPECT_EQ(0, w_remove(self->fd, NM("e%llu", (ull)k)));
	}
}

/* lowering max_entries below the count refuses new entries, removes nothing */
TEST_F(limits, lower_max_entries_removes_nothing)
{
	const unsigned int k = 3;
	__u64 sz = (3 * 8 <= self->T && 8 <= self->S) ? 8 : 0;
	unsigned char pat[3][8], got[8];
	struct wms_add a;
	struct pass p;
	unsigned int i;

	if (self->E < k)
		SKIP(return, "max_entries=%llu < %u", (ull)self->E, k);
	for (i = 0; i < k; i++) {
		fill_pattern(pat[i], 8, 20 + i);
		ASSERT_EQ(0, w_add(self->fd, NM("e%u", i), sz, WMS_ADD_EXCL, 0600, NULL));
		ASSERT_EQ(0, w_write(self->fd, NM("e%u", i), 0, pat[i], sz, NULL));
	}
	ASSERT_EQ(0, param_write("max_entries", k - 1));
	for (i = 0; i < k; i++) {
		ASSERT_EQ(0, w_read(self->fd, NM("e%u", i), 0, got, sz, NULL)) TH_LOG("e%u", i);
		EXPECT_EQ(0, memcmp(got, pat[i], sz));
	}
	ASSERT_EQ(0, list_pass(self->fd, 2, &p));
	EXPECT_EQ((size_t)k, p.n);
	pass_free(&p);
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("new"), 0, 0, 0600, NULL));
	EXPECT_EQ(0, w_add(self->fd, NM("e2"), sz, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	ASSERT_EQ(0, w_remove(self->fd, NM("e0")));
	/* k-1 entries == the limit: still full */
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("new"), 0, 0, 0600, NULL));
	ASSERT_EQ(0, w_remove(self->fd, NM("e1")));
	EXPECT_EQ(0, w_add(self->fd, NM("new"), 0, 0, 0600, &a));
	EXPECT_EQ(WMS_ADD_CREATED, a.flags);
	EXPECT_EQ(0, w_remove(self->fd, NM("new")));
	EXPECT_EQ(0, w_remove(self->fd, NM("e2")));
}

/* lowering the byte limits below what is in use removes nothing */
TEST_F(limits, lower_byte_limits_removes_nothing)
{
	__u64 sz = min3(self->S, self->T, 4096);
	unsigned char pat[4096], got[4096];
	struct wms_add a;
	struct wms_info i;
	int r;

	if (sz < 2)
		SKIP(return, "limits too small");
	fill_pattern(pat, sz, 30);
	ASSERT_EQ(0, w_add(self->fd, NM("a"), sz, WMS_ADD_EXCL, 0600, NULL));
	ASSERT_EQ(0, w_write(self->fd, NM("a"), 0, pat, sz, NULL));

	ASSERT_EQ(0, param_write("max_total_bytes", sz - 1));
	ASSERT_EQ(0, w_info(self->fd, NM("a"), &i));
	EXPECT_EQ((ull)sz, (ull)i.size);
	ASSERT_EQ(0, w_read(self->fd, NM("a"), 0, got, sz, NULL));
	EXPECT_EQ(0, memcmp(pat, got, sz));
	EXPECT_EQ(-ENOSPC, w_add(self->fd, NM("b"), 1, 0, 0600, NULL));
	EXPECT_EQ(0, w_add(self->fd, NM("a"), sz, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ((ull)sz, (ull)a.size);
	ASSERT_EQ(0, param_write("max_total_bytes", self->T));

	ASSERT_EQ(0, param_write("max_entry_size", sz - 1));
	ASSERT_EQ(0, w_info(self->fd, NM("a"), &i));
	EXPECT_EQ((ull)sz, (ull)i.size);
	EXPECT_EQ(0, w_add(self->fd, NM("a"), sz, 0, 0600, &a));
	EXPECT_EQ(0U, a.flags);
	EXPECT_EQ((ull)sz, (ull)a.size);
	EXPECT_EQ(-EFBIG, w_add(self->fd, NM("b"), sz, 0, 0600, NULL));
	r = w_add(self->fd, NM("b"), sz - 1, 0, 0600, &a);
	if (2 * sz - 1 <= self->T && self->E >= 2) {
		EXPECT_EQ(0, r);
		EXPECT_EQ(WMS_ADD_CREATED, a.flags);
		EXPECT_EQ(0, w_remove(self->fd, NM("b")));
	} else {
		EXPECT_EQ(-ENOSPC, r);
	}
	ASSERT_EQ(0, w_read(self->fd, NM("a"), 0, got, sz, NULL));
	EXPECT_EQ(0, memcmp(pat, got, sz));
	EXPECT_EQ(0, w_remove(self->fd, NM("a")));
}

/* ------------------------------------------------------------------ */
/* wms_end: after everything, the registry is empty                    */
/* ------------------------------------------------------------------ */

FIXTURE(wms_end) {
	int fd;
};

FIXTURE_SETUP(wms_end)
{
	self->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(wms_end)
{
	close(self->fd);
}

TEST_F(wms_end, registry_empty)
{
	struct pass p;
	size_t j;

	ASSERT_EQ(0, list_pass(self->fd, 16, &p));
	for (j = 0; j < p.n; j++)
		TH_LOG("left in the registry: '%s' size %llu", pname(p.e[j].name),
		       (ull)p.e[j].size);
	EXPECT_EQ(0U, (unsigned int)p.n);
	EXPECT_EQ(0ULL, (ull)p.first_total);
	pass_free(&p);
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-s SEED] [-f FIXTURE]... [-F FIXTURE]... [-t TEST]...\n"
		"          [-T TEST]...\n"
		"  -l          list fixture.variant.test names and exit\n"
		"  -f/-F NAME  run only / skip fixture NAME (layout, wms, limits, wms_end)\n"
		"  -t/-T NAME  run only / skip test NAME (e.g. stress_random_ops)\n"
		"  -s SEED     seed for the random tests (default: $WMS_TEST_SEED or time)\n"
		"Needs root and %s (wms.ko loaded).\n", prog, WMS_DEVICE_PATH);
	exit(code);
}

int main(int argc, char **argv)
{
	static struct filter fl;
	bool list = false;
	int r;

	parse_args(argc, argv, "hlf:F:t:T:s:", &fl, &list, &g_seed, usage);
	g_seed = pick_seed(g_seed, now_ns(CLOCK_REALTIME));
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	/* stderr: nothing may precede "TAP version 13" on stdout */
	fprintf(stderr, "# wms_test: seed %llu\n", (ull)g_seed);
	return test_harness_run(1, argv);
}
