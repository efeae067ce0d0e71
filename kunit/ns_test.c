// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the registries table (module/ns.c): one registry per
 * namespace key, made on first use, retired when the namespace dies, freed
 * with its last reference; the pool's host-wide byte limit across
 * registries. The keys are the test's own (struct fake_ns), so no real
 * namespace is made: a test kills one by setting its flag.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/user_namespace.h>
#include <linux/wms.h>

#include "../module/ns.h"
#include "../module/registry.h"
#include "wms_kunit.h"

/* A namespace of the test's: its key is its address. */
struct fake_ns {
	bool dead;
	bool refuse_pin;
	int pins;
	unsigned int id;
};

struct ns_test_ctx {
	struct wms_limits limits;
	struct wms_namespaces nss;
	struct fake_ns initial;
	struct fake_ns ns[3];
	struct fake_ns *current_ns;
};

/* The ops have no argument to find the test by: one test runs at a time. */
static struct ns_test_ctx *ns_ctx;

static const void *fake_current_key(void)
{
	return ns_ctx->current_ns;
}

static void *fake_pin(const void *key)
{
	struct fake_ns *ns = (struct fake_ns *)key;

	if (ns->refuse_pin)
		return ERR_PTR(-EOPNOTSUPP);
	ns->pins++;
	return ns;
}

static void fake_unpin(void *pin)
{
	((struct fake_ns *)pin)->pins--;
}

static bool fake_dead(const void *key, void *pin)
{
	return READ_ONCE(((struct fake_ns *)pin)->dead);
}

static struct user_namespace *fake_user_ns(const void *key)
{
	return &init_user_ns;
}

static unsigned int fake_id(const void *key)
{
	return ((const struct fake_ns *)key)->id;
}

static const struct wms_ns_ops fake_ops = {
	.current_key = fake_current_key,
	.pin = fake_pin,
	.unpin = fake_unpin,
	.dead = fake_dead,
	.user_ns = fake_user_ns,
	.id = fake_id,
};

/* Two pages in all, 4 entries a registry. */
static int ns_test_init(struct kunit *test)
{
	struct ns_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->limits.max_entries = 4;
	ctx->limits.max_entry_size = SZ_1M;
	ctx->limits.max_total_bytes = 2 * PAGE_SIZE;
	ctx->limits.max_user_bytes = SZ_1M;
	ctx->limits.max_user_entries = 4;
	ctx->initial.id = 100;
	for (i = 0; i < ARRAY_SIZE(ctx->ns); i++)
		ctx->ns[i].id = 101 + i;
	ctx->current_ns = &ctx->initial;
	ns_ctx = ctx;
	KUNIT_ASSERT_EQ(test, wms_namespaces_init(&ctx->nss, &ctx->limits,
						  &fake_ops, &ctx->initial, 0),
			0);
	test->priv = ctx;
	return 0;
}

static void ns_test_exit(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	unsigned int i;

	wms_namespaces_exit(&ctx->nss);
	/* Every pin taken was released. */
	for (i = 0; i < ARRAY_SIZE(ctx->ns); i++)
		KUNIT_EXPECT_EQ(test, ctx->ns[i].pins, 0);
	ns_ctx = NULL;
}

static struct wms_entry *ns_add(struct kunit *test, struct wms_registry *reg,
				const char *name, size_t size)
{
	struct wms_entry *entry;

	entry = wms_registry_add(reg, name, size, WMS_ADD_EXCL, &wms_test_root,
				 NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	return entry;
}

static struct wms_registry_stats reg_stats(struct wms_registry *reg)
{
	struct wms_registry_stats stats;

	wms_registry_stats(reg, &stats);
	return stats;
}

static struct wms_registry_stats pool_stats(struct ns_test_ctx *ctx)
{
	struct wms_registry_stats stats;

	wms_pool_stats(&ctx->nss.pool, &stats);
	return stats;
}

/*
 * A key gets its registry on first use and the same one after; another key
 * another one; without @create, a key with none gets none. The initial key
 * is the initial registry, made at init.
 */
static void wms_ns_one_per_key(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *a, *a2, *b, *init;

	KUNIT_EXPECT_EQ(test, wms_namespaces_reap(&ctx->nss), 1);
	KUNIT_EXPECT_NULL(test, wms_namespaces_get(&ctx->nss, &ctx->ns[0],
						   false));
	a = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(a));
	a2 = wms_namespaces_get(&ctx->nss, &ctx->ns[0], false);
	KUNIT_EXPECT_PTR_EQ(test, a, a2);
	b = wms_namespaces_get(&ctx->nss, &ctx->ns[1], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(b));
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_EQ(test, ctx->ns[0].pins, 1);

	ctx->current_ns = &ctx->initial;
	init = wms_namespaces_current(&ctx->nss, false);
	KUNIT_EXPECT_PTR_EQ(test, init, wms_namespaces_initial(&ctx->nss));
	KUNIT_EXPECT_EQ(test, ctx->initial.pins, 0);
	KUNIT_EXPECT_EQ(test, wms_namespaces_reap(&ctx->nss), 3);

	wms_registry_unref(init);
	wms_registry_unref(a2);
	wms_registry_unref(a);
	wms_registry_unref(b);
}

/* Each registry has its names: the same name in two, invisible to a third. */
static void wms_ns_names_apart(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *a = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	struct wms_registry *b = wms_namespaces_get(&ctx->nss, &ctx->ns[1], true);
	struct wms_registry *init = wms_namespaces_initial(&ctx->nss);
	struct wms_entry *ea, *eb;

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(b));
	ea = ns_add(test, a, "same", 8);
	eb = ns_add(test, b, "same", 8);
	KUNIT_EXPECT_PTR_NE(test, ea, eb);
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(init, "same"));
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).nr_entries, 2);

	KUNIT_EXPECT_EQ(test, wms_registry_remove(a, "same"), 0);
	KUNIT_EXPECT_TRUE(test, wms_registry_exists(b, "same"));
	wms_entry_put(ea);
	wms_entry_put(eb);
	wms_registry_unref(a);
	wms_registry_unref(b);
}

/*
 * A dead namespace's registry is retired by the reaper: its entries are
 * removed, an entry still referenced keeps its memory and its charge until
 * put, a file still holding the registry finds nothing and cannot add
 * (-EIDRM), and the pin is released.
 */
static void wms_ns_death_retires(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *a = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	struct wms_entry *held, *entry;
	char *data;

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(a));
	held = ns_add(test, a, "held", PAGE_SIZE);
	data = held->data;
	memset(data, 0x5a, PAGE_SIZE);
	wms_entry_put(ns_add(test, a, "dropped", 1));
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, 2 * PAGE_SIZE);

	WRITE_ONCE(ctx->ns[0].dead, true);
	KUNIT_EXPECT_EQ(test, wms_namespaces_reap(&ctx->nss), 1);
	KUNIT_EXPECT_EQ(test, ctx->ns[0].pins, 0);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).nr_entries, 0);
	/* "dropped" is freed; "held" lives on with its data and charge. */
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, data[PAGE_SIZE - 1], 0x5a);
	KUNIT_EXPECT_EQ(test, held->slot, WMS_NO_SLOT);

	KUNIT_EXPECT_NULL(test, wms_registry_get(a, "held"));
	entry = wms_registry_add(a, "late", 1, 0, &wms_test_root, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(entry), -EIDRM);
	KUNIT_EXPECT_EQ(test, reg_stats(a).failed[WMS_FAIL_EIDRM], 1);

	wms_entry_put(held);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, 0);
	/* The test's reference is the registry's last: this frees it. */
	wms_registry_unref(a);
}

/*
 * A key whose namespace died and whose address a new namespace now has
 * (the reaper has not run yet) gets a new, empty registry, not the dead
 * one's entries.
 */
static void wms_ns_key_reused(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *old, *fresh;

	old = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(old));
	wms_entry_put(ns_add(test, old, "old-secret", 8));
	wms_registry_unref(old);

	/* It dies; a new namespace is born at the same address. */
	WRITE_ONCE(ctx->ns[0].dead, true);
	KUNIT_EXPECT_NULL(test, wms_namespaces_get(&ctx->nss, &ctx->ns[0],
						   false));
	KUNIT_EXPECT_EQ(test, ctx->ns[0].pins, 0);
	WRITE_ONCE(ctx->ns[0].dead, false);
	fresh = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(fresh));
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(fresh, "old-secret"));
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).nr_entries, 0);
	KUNIT_EXPECT_EQ(test, wms_namespaces_reap(&ctx->nss), 2);
	wms_registry_unref(fresh);
}

/*
 * max_total_bytes bounds the registries together; max_entries each one:
 * a registry at its max_entries does not stop another.
 */
static void wms_ns_limits(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *a = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	struct wms_registry *b = wms_namespaces_get(&ctx->nss, &ctx->ns[1], true);
	struct wms_entry *entry;
	char name[8];
	int i;

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(b));
	wms_entry_put(ns_add(test, a, "a-page", 1));
	wms_entry_put(ns_add(test, b, "b-page", 1));
	entry = wms_registry_add(b, "b-more", 1, 0, &wms_test_root, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(entry), -ENOSPC);
	entry = wms_registry_add(a, "a-more", 1, 0, &wms_test_kernel, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(entry), -ENOSPC);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).failed[WMS_FAIL_ENOSPC], 2);

	/* a's death gives its page back to the pool, for b. */
	WRITE_ONCE(ctx->ns[0].dead, true);
	wms_namespaces_reap(&ctx->nss);
	wms_entry_put(ns_add(test, b, "b-more", 1));

	/* Size-0 entries cost no bytes: fill b's max_entries with them. */
	for (i = 2; i < 4; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		wms_entry_put(ns_add(test, b, name, 0));
	}
	entry = wms_registry_add(b, "b-full", 0, 0, &wms_test_root, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(entry), -ENOSPC);
	wms_entry_put(ns_add(test, wms_namespaces_initial(&ctx->nss), "i0", 0));
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).nr_entries, 5);

	wms_registry_unref(a);
	wms_registry_unref(b);
}

/* A namespace whose key cannot be pinned gets no registry (not another's). */
static void wms_ns_pin_refused(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *reg;

	ctx->ns[2].refuse_pin = true;
	ctx->current_ns = &ctx->ns[2];
	reg = wms_namespaces_current(&ctx->nss, true);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(reg), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, wms_namespaces_reap(&ctx->nss), 1);
}

/*
 * The table ends with registries and entries still referenced (an open
 * file, a mapping): they live until their last reference, then go, with
 * every byte uncharged.
 */
static void wms_ns_exit_with_references(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *a = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	struct wms_entry *held;

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(a));
	held = ns_add(test, a, "held", 1);
	wms_entry_put(ns_add(test, wms_namespaces_initial(&ctx->nss), "i", 1));

	wms_namespaces_exit(&ctx->nss);
	KUNIT_EXPECT_EQ(test, ctx->ns[0].pins, 0);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).nr_entries, 0);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(wms_registry_add(a, "x", 1, 0,
							       &wms_test_root,
							       NULL)),
			-EIDRM);
	wms_entry_put(held);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, 0);
	wms_registry_unref(a);
	/* For ns_test_exit(): a table to end again. */
	KUNIT_ASSERT_EQ(test, wms_namespaces_init(&ctx->nss, &ctx->limits,
						  &fake_ops, &ctx->initial, 0),
			0);
}

/* The reaper runs on its own, once a namespace other than the initial exists. */
static void wms_ns_reaper_runs(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *a;
	int i;

	wms_namespaces_exit(&ctx->nss);
	KUNIT_ASSERT_EQ(test, wms_namespaces_init(&ctx->nss, &ctx->limits,
						  &fake_ops, &ctx->initial, 1),
			0);
	a = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(a));
	wms_entry_put(ns_add(test, a, "gone", 1));
	wms_registry_unref(a);
	WRITE_ONCE(ctx->ns[0].dead, true);
	/* Without calling wms_namespaces_reap(): the pin goes when it runs. */
	for (i = 0; i < 100 && READ_ONCE(ctx->ns[0].pins); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ctx->ns[0].pins), 0);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, 0);
}

static struct kunit_case wms_ns_test_cases[] = {
	KUNIT_CASE(wms_ns_one_per_key),
	KUNIT_CASE(wms_ns_names_apart),
	KUNIT_CASE(wms_ns_death_retires),
	KUNIT_CASE(wms_ns_key_reused),
	KUNIT_CASE(wms_ns_limits),
	KUNIT_CASE(wms_ns_pin_refused),
	KUNIT_CASE(wms_ns_exit_with_references),
	KUNIT_CASE(wms_ns_reaper_runs),
	{}
};

static struct kunit_suite wms_ns_test_suite = {
	.name = "wms_ns",
	.init = ns_test_init,
	.exit = ns_test_exit,
	.test_cases = wms_ns_test_cases,
};

kunit_test_suites(&wms_ns_test_suite);

MODULE_LICENSE("GPL");
