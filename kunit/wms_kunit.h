/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the KUnit suites share: a private registry per test (with limits of
 * its own, destroyed at the test's end, so a leaked reference trips the WARN
 * in wms_registry_destroy()), the owners a test acts as, and comparisons of
 * the registry's counters.
 */
#ifndef _WMS_KUNIT_H
#define _WMS_KUNIT_H

#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/sizes.h>

#include "../module/registry.h"

struct wms_test_ctx {
	struct wms_limits limits;
	struct wms_pool pool;
	struct wms_registry reg;
};

/* Root through /dev/wms: no quota, but not a kernel caller. */
static const struct wms_owner wms_test_root __maybe_unused = {
	.uid = GLOBAL_ROOT_UID, .gid = GLOBAL_ROOT_GID, .mode = 0600,
};

/* A kernel caller, as wms_add() makes it: the only one that may use '.'. */
static const struct wms_owner wms_test_kernel __maybe_unused = {
	.uid = GLOBAL_ROOT_UID, .gid = GLOBAL_ROOT_GID, .mode = 0600,
	.kernel = true,
};

/* A test's own registry: 1 MiB entries, 16 MiB in all, 4 MiB per uid. */
static inline int wms_test_ctx_init(struct kunit *test,
				    unsigned int max_entries,
				    unsigned int max_user_entries)
{
	struct wms_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->limits.max_entries = max_entries;
	ctx->limits.max_entry_size = SZ_1M;
	ctx->limits.max_total_bytes = SZ_16M;
	ctx->limits.max_user_bytes = SZ_4M;
	ctx->limits.max_user_entries = max_user_entries;
	wms_pool_init(&ctx->pool);
	KUNIT_ASSERT_EQ(test, wms_registry_init(&ctx->reg, &ctx->limits,
						&ctx->pool, current_user_ns(),
						NULL), 0);
	test->priv = ctx;
	return 0;
}

static inline void wms_test_ctx_exit(struct kunit *test)
{
	struct wms_test_ctx *ctx = test->priv;

	wms_registry_destroy(&ctx->reg);
}

static inline struct wms_registry *test_reg(struct kunit *test)
{
	return &((struct wms_test_ctx *)test->priv)->reg;
}

static inline struct wms_limits *test_limits(struct kunit *test)
{
	return &((struct wms_test_ctx *)test->priv)->limits;
}

static inline struct wms_registry_stats stats_of(struct kunit *test)
{
	struct wms_registry_stats stats;

	wms_registry_stats(test_reg(test), &stats);
	return stats;
}

/* The counters a call that changed nothing leaves as they were. */
static inline void expect_same_stats(struct kunit *test,
				     struct wms_registry_stats a,
				     struct wms_registry_stats b)
{
	KUNIT_EXPECT_EQ(test, a.nr_entries, b.nr_entries);
	KUNIT_EXPECT_EQ(test, a.nr_slots, b.nr_slots);
	KUNIT_EXPECT_EQ(test, a.total_bytes, b.total_bytes);
	KUNIT_EXPECT_EQ(test, a.peak_bytes, b.peak_bytes);
	KUNIT_EXPECT_EQ(test, a.adds, b.adds);
	KUNIT_EXPECT_EQ(test, a.removes, b.removes);
}

#endif /* _WMS_KUNIT_H */
