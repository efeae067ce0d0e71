// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of attached files' lifetimes: an attached file holds its
 * entry (and the entry's bytes stay charged) until it is released, however
 * the entry is removed meanwhile.
 */

#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "../module/file.h"
#include "../module/registry.h"

struct wms_file_test_ctx {
	struct wms_limits limits;
	struct wms_pool pool;
	struct wms_registry reg;
	struct wms_file wf;
};

static const struct wms_owner wms_file_test_owner = {
	.uid = GLOBAL_ROOT_UID, .gid = GLOBAL_ROOT_GID, .mode = 0600,
};

static int wms_file_test_init(struct kunit *test)
{
	struct wms_file_test_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->limits.max_entries = 16;
	ctx->limits.max_entry_size = SZ_1M;
	ctx->limits.max_total_bytes = SZ_1M;
	ctx->limits.max_user_bytes = SZ_1M;
	ctx->limits.max_user_entries = 16;
	wms_pool_init(&ctx->pool);
	KUNIT_ASSERT_EQ(test, wms_registry_init(&ctx->reg, &ctx->limits,
						&ctx->pool, current_user_ns(),
						NULL), 0);
	ctx->wf.reg = &ctx->reg;
	spin_lock_init(&ctx->wf.attach_lock);
	test->priv = ctx;
	return 0;
}

static void wms_file_test_exit(struct kunit *test)
{
	struct wms_file_test_ctx *ctx = test->priv;

	wms_file_detach(&ctx->wf);
	wms_registry_destroy(&ctx->reg);
}

static struct wms_entry *file_test_add(struct kunit *test, const char *name,
				       size_t size)
{
	struct wms_file_test_ctx *ctx = test->priv;
	struct wms_entry *entry;

	entry = wms_registry_add(&ctx->reg, name, size, 0,
				 &wms_file_test_owner, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	return entry;
}

static u64 file_test_bytes(struct kunit *test)
{
	struct wms_file_test_ctx *ctx = test->priv;
	struct wms_registry_stats stats;

	wms_registry_stats(&ctx->reg, &stats);
	return stats.total_bytes;
}

static void wms_attach_counts(struct kunit *test)
{
	struct wms_file_test_ctx *ctx = test->priv;
	struct wms_entry *entry = file_test_add(test, "counted", 64);

	KUNIT_EXPECT_EQ(test, atomic_read(&entry->attached), 0);
	wms_entry_get(entry);
	KUNIT_ASSERT_EQ(test, wms_file_attach(&ctx->wf, entry, true), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&entry->attached), 1);
	KUNIT_EXPECT_TRUE(test, ctx->wf.writable);
	wms_file_detach(&ctx->wf);
	KUNIT_EXPECT_EQ(test, atomic_read(&entry->attached), 0);
	KUNIT_EXPECT_NULL(test, ctx->wf.entry);
	wms_entry_put(entry);
}

static void wms_attach_twice_busy(struct kunit *test)
{
	struct wms_file_test_ctx *ctx = test->priv;
	struct wms_entry *first = file_test_add(test, "first", 8);
	struct wms_entry *second = file_test_add(test, "second", 8);

	KUNIT_ASSERT_EQ(test, wms_file_attach(&ctx->wf, first, false), 0);
	KUNIT_EXPECT_EQ(test, wms_file_attach(&ctx->wf, second, true), -EBUSY);
	/* The refused attach changed nothing and left the reference ours. */
	KUNIT_EXPECT_PTR_EQ(test, ctx->wf.entry, first);
	KUNIT_EXPECT_FALSE(test, ctx->wf.writable);
	KUNIT_EXPECT_EQ(test, atomic_read(&second->attached), 0);
	wms_entry_put(second);
}

static void wms_attached_outlives_remove(struct kunit *test)
{
	struct wms_file_test_ctx *ctx = test->priv;
	struct wms_entry *entry = file_test_add(test, "kept", 4096);
	const u64 charge = round_up(4096, PAGE_SIZE);
	struct wms_entry *fresh;

	memset(entry->data, 0x3c, 4096);
	KUNIT_ASSERT_EQ(test, wms_file_attach(&ctx->wf, entry, true), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(&ctx->reg, "kept"), 0);

	/* The name is free at once; the new entry is independent and zeroed. */
	fresh = file_test_add(test, "kept", 4096);
	KUNIT_EXPECT_PTR_NE(test, fresh, entry);
	KUNIT_EXPECT_EQ(test, ((u8 *)fresh->data)[0], 0);
	KUNIT_EXPECT_EQ(test, ((u8 *)entry->data)[4095], 0x3c);
	KUNIT_EXPECT_EQ(test, file_test_bytes(test), 2 * charge);
	wms_entry_put(fresh);

	/* Releasing the file frees the old memory and its charge. */
	wms_file_detach(&ctx->wf);
	KUNIT_EXPECT_EQ(test, file_test_bytes(test), charge);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(&ctx->reg, "kept"), 0);
	KUNIT_EXPECT_EQ(test, file_test_bytes(test), 0);
}

static void wms_removed_charge_blocks_until_release(struct kunit *test)
{
	struct wms_file_test_ctx *ctx = test->priv;
	struct wms_entry *entry = file_test_add(test, "big", SZ_1M);
	struct wms_entry *other;

	KUNIT_ASSERT_EQ(test, wms_file_attach(&ctx->wf, entry, true), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(&ctx->reg, "big"), 0);
	other = wms_registry_add(&ctx->reg, "small", 1, 0,
				 &wms_file_test_owner, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(other), -ENOSPC);
	wms_file_detach(&ctx->wf);
	other = file_test_add(test, "small", 1);
	wms_entry_put(other);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(&ctx->reg, "small"), 0);
}

static struct kunit_case wms_file_test_cases[] = {
	KUNIT_CASE(wms_attach_counts),
	KUNIT_CASE(wms_attach_twice_busy),
	KUNIT_CASE(wms_attached_outlives_remove),
	KUNIT_CASE(wms_removed_charge_blocks_until_release),
	{}
};

static struct kunit_suite wms_file_test_suite = {
	.name = "wms_file",
	.init = wms_file_test_init,
	.exit = wms_file_test_exit,
	.test_cases = wms_file_test_cases,
};

kunit_test_suite(wms_file_test_suite);

MODULE_LICENSE("GPL");
