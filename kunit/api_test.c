// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the exported in-kernel API of <linux/wms.h>, which works on
 * the module's global registry. Every test removes what it adds.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/string.h>
#include <linux/wms.h>

#include "../module/registry.h"
#include "wms_kunit.h"

static void wms_api_lifecycle(struct kunit *test)
{
	struct wms_entry *entry, *found;
	bool created = false;

	entry = wms_add("kunit-api", 4096, WMS_ADD_EXCL, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_EQ(test, wms_size(entry), 4096);
	KUNIT_ASSERT_NOT_NULL(test, wms_data(entry));
	strscpy(wms_data(entry), "kernel", 4096);

	KUNIT_EXPECT_TRUE(test, wms_exists("kunit-api"));
	found = wms_get("kunit-api");
	KUNIT_ASSERT_PTR_EQ(test, found, entry);
	KUNIT_EXPECT_STREQ(test, (char *)wms_data(found), "kernel");
	wms_put(found);

	KUNIT_EXPECT_EQ(test, wms_remove("kunit-api"), 0);
	KUNIT_EXPECT_FALSE(test, wms_exists("kunit-api"));
	KUNIT_EXPECT_NULL(test, wms_get("kunit-api"));
	/* Removed, but the reference keeps the data valid until the put. */
	KUNIT_EXPECT_STREQ(test, (char *)wms_data(entry), "kernel");
	wms_put(entry);
}

static void wms_api_kernel_owner(struct kunit *test)
{
	struct wms_entry *entry = wms_add("kunit-owner", 1, 0, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_TRUE(test, uid_eq(entry->uid, GLOBAL_ROOT_UID));
	KUNIT_EXPECT_TRUE(test, gid_eq(entry->gid, GLOBAL_ROOT_GID));
	KUNIT_EXPECT_EQ(test, entry->mode, 0600);
	wms_put(entry);
	KUNIT_EXPECT_EQ(test, wms_remove("kunit-owner"), 0);
}

static void wms_api_errors(struct kunit *test)
{
	char long_name[WMS_NAME_MAX + 2];
	struct wms_entry *entry;

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add("", 1, 0, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add("a/b", 1, 0, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add("..", 1, 0, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add(long_name, 1, 0, NULL)),
			-ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add("x", 1, 0x80, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add("x", SIZE_MAX, 0, NULL)), -EFBIG);

	entry = wms_add("kunit-excl", 1, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add("kunit-excl", 1, WMS_ADD_EXCL,
					      NULL)), -EEXIST);
	wms_put(entry);
	KUNIT_EXPECT_EQ(test, wms_remove("kunit-excl"), 0);
	KUNIT_EXPECT_EQ(test, wms_remove("kunit-excl"), -ENOENT);
	KUNIT_EXPECT_EQ(test, wms_remove(long_name), -ENOENT);
	KUNIT_EXPECT_FALSE(test, wms_exists(long_name));
}

static void wms_api_size_zero(struct kunit *test)
{
	struct wms_entry *entry = wms_add("kunit-zero", 0, 0, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_EQ(test, wms_size(entry), 0);
	KUNIT_EXPECT_NULL(test, wms_data(entry));
	wms_put(entry);
	KUNIT_EXPECT_EQ(test, wms_remove("kunit-zero"), 0);
}

/*
 * wms_put(NULL) is documented to be ignored: the global registry's counters
 * and a live entry's reference count stay as they were, and the entry stays
 * usable. (Without the NULL check, the put dereferences NULL: an oops that
 * fails this case and scripts/kunit.sh's scan of the console.)
 */
static void wms_api_put_null(struct kunit *test)
{
	struct wms_registry_stats before, after;
	struct wms_entry *entry;
	unsigned int refs;

	entry = wms_add("kunit-put-null", 16, WMS_ADD_EXCL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	refs = kref_read(&entry->ref);
	wms_registry_stats(entry->reg, &before);

	wms_put(NULL);

	wms_registry_stats(entry->reg, &after);
	KUNIT_EXPECT_EQ(test, kref_read(&entry->ref), refs);
	expect_same_stats(test, before, after);
	KUNIT_EXPECT_TRUE(test, wms_exists("kunit-put-null"));
	wms_put(entry);
	KUNIT_EXPECT_EQ(test, wms_remove("kunit-put-null"), 0);
}

static struct kunit_case wms_api_test_cases[] = {
	KUNIT_CASE(wms_api_lifecycle),
	KUNIT_CASE(wms_api_kernel_owner),
	KUNIT_CASE(wms_api_errors),
	KUNIT_CASE(wms_api_size_zero),
	KUNIT_CASE(wms_api_put_null),
	{}
};

static struct kunit_suite wms_api_test_suite = {
	.name = "wms_api",
	.test_cases = wms_api_test_cases,
};

kunit_test_suite(wms_api_test_suite);

MODULE_LICENSE("GPL");
