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

/*
 * A namespace of the test's: its key is its address. A namespace that dies
 * and one born later at the same address are told apart by @gen, as the
 * real pin (a mount of the namespace's own) tells them apart.
 */
struct fake_ns {
	bool dead;
	bool refuse_pin;
	unsigned int gen;
	atomic_t pins;
	unsigned int id;
};

/* What fake_pin() takes: the namespace and the generation it pinned. */
struct fake_pin {
	struct fake_ns *ns;
	unsigned int gen;
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
	struct fake_pin *pin;

	if (ns->refuse_pin)
		return ERR_PTR(-EOPNOTSUPP);
	pin = kzalloc(sizeof(*pin), GFP_KERNEL);
	if (!pin)
		return ERR_PTR(-ENOMEM);
	pin->ns = ns;
	pin->gen = READ_ONCE(ns->gen);
	atomic_inc(&ns->pins);
	return pin;
}

static void fake_unpin(void *p)
{
	struct fake_pin *pin = p;

	atomic_dec(&pin->ns->pins);
	kfree(pin);
}

/* Dead: marked so, or a later namespace now has the address. */
static bool fake_dead(const void *key, void *p)
{
	struct fake_pin *pin = p;

	return READ_ONCE(pin->ns->dead) || READ_ONCE(pin->ns->gen) != pin->gen;
}

/* The namespace at @ns dies and a new one is born at its address. */
static void fake_reborn(struct fake_ns *ns)
{
	WRITE_ONCE(ns->gen, ns->gen + 1);
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
	int err;

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
	err = wms_namespaces_init(&ctx->nss, &ctx->limits, &fake_ops,
				  &ctx->initial, 0);
	/* ns_test_exit() ends only a table that was made. */
	if (!err)
		test->priv = ctx;
	return err;
}

static void ns_test_exit(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	unsigned int i;

	if (!ctx)
		return;
	wms_namespaces_exit(&ctx->nss);
	/* Every pin taken was released. */
	for (i = 0; i < ARRAY_SIZE(ctx->ns); i++)
		KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[i].pins), 0);
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
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 1);

	ctx->current_ns = &ctx->initial;
	init = wms_namespaces_current(&ctx->nss, false);
	KUNIT_EXPECT_PTR_EQ(test, init, wms_namespaces_initial(&ctx->nss));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->initial.pins), 0);
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
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 0);
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
	KUNIT_EXPECT_EQ(test, kref_read(&a->ref), 1);
	wms_registry_unref(a);
}

/*
 * A key whose namespace died and whose address a new namespace now has
 * (the reaper has not run yet): the new namespace's first open gets a new,
 * empty registry in that one call; the dead one is out of the table, not
 * handed over with its entries, and the next reap retires it (not the open,
 * which runs under the misc device mutex).
 */
static void wms_ns_key_reused(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *old, *fresh;
	struct wms_entry *kept;

	old = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(old));
	wms_entry_put(ns_add(test, old, "old-secret", 8));
	kept = ns_add(test, old, "old-kept", 8);

	fake_reborn(&ctx->ns[0]);
	fresh = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(fresh));
	KUNIT_EXPECT_PTR_NE(test, fresh, old);
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(fresh, "old-secret"));
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(fresh, "old-kept"));
	KUNIT_EXPECT_PTR_EQ(test, wms_namespaces_get(&ctx->nss, &ctx->ns[0],
						     false), fresh);
	wms_registry_unref(fresh);
	/* Out of the table, not yet retired: the reap does it. */
	KUNIT_EXPECT_TRUE(test, wms_registry_exists(old, "old-kept"));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 2);
	KUNIT_EXPECT_EQ(test, wms_namespaces_reap(&ctx->nss), 2);
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(old, "old-kept"));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 1);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).nr_entries, 0);
	/* The old file still works on its retired registry. */
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(wms_registry_add(old, "x", 1, 0,
							       &wms_test_root,
							       NULL)),
			-EIDRM);
	wms_entry_put(kept);
	wms_registry_unref(old);
	wms_registry_unref(fresh);
}

/*
 * A uid's quotas with host_quota count what it has in every registry: a
 * fresh registry (a fresh namespace, where its owner may be CAP_SYS_ADMIN)
 * gives it no fresh quota. Without host_quota, only the registry's own
 * limits apply.
 */
static void wms_ns_host_quota(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_owner owner = {
		.uid = KUIDT_INIT(4242), .gid = KGIDT_INIT(4242),
		.mode = 0600, .quota = false, .host_quota = true,
	};
	struct wms_registry *reg[3];
	struct wms_entry *entry;
	char name[8];
	int i;

	ctx->limits.max_user_entries = 3;
	for (i = 0; i < 3; i++) {
		reg[i] = wms_namespaces_get(&ctx->nss, &ctx->ns[i], true);
		KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(reg[i]));
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		entry = wms_registry_add(reg[i % 2], name, 0, 0, &owner, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
		wms_entry_put(entry);
	}
	entry = wms_registry_add(reg[2], "q3", 0, 0, &owner, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(entry), -ENOSPC);
	/* The host's admin: no quota over the registries. */
	owner.host_quota = false;
	entry = wms_registry_add(reg[2], "q3", 0, 0, &owner, NULL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(entry));
	if (!IS_ERR(entry))
		wms_entry_put(entry);
	/*
	 * That entry counts too (as it would per registry): the uid has 4.
	 * Removing two, in two registries, leaves room for one more.
	 */
	owner.host_quota = true;
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg[0], "q0"), 0);
	entry = wms_registry_add(reg[1], "q4", 0, 0, &owner, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(entry), -ENOSPC);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg[2], "q3"), 0);
	entry = wms_registry_add(reg[1], "q4", 0, 0, &owner, NULL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(entry));
	if (!IS_ERR(entry))
		wms_entry_put(entry);
	for (i = 0; i < 3; i++)
		wms_registry_unref(reg[i]);
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
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 0);
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
	for (i = 0; i < 100 && atomic_read(&ctx->ns[0].pins); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 0);
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, 0);
}

/*
 * A dead registry that wms_namespaces_get() finds under a recycled key is
 * retired by the reaper at once, not at its next period (an hour here).
 */
static void wms_ns_get_kicks_reaper(struct kunit *test)
{
	struct ns_test_ctx *ctx = test->priv;
	struct wms_registry *old, *fresh;
	int i;

	wms_namespaces_exit(&ctx->nss);
	KUNIT_ASSERT_EQ(test, wms_namespaces_init(&ctx->nss, &ctx->limits,
						  &fake_ops, &ctx->initial,
						  3600 * HZ),
			0);
	old = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(old));
	wms_entry_put(ns_add(test, old, "old", 1));
	fake_reborn(&ctx->ns[0]);
	fresh = wms_namespaces_get(&ctx->nss, &ctx->ns[0], true);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(fresh));
	KUNIT_EXPECT_PTR_NE(test, fresh, old);
	/* The pin goes last, once the registry is retired. */
	for (i = 0; i < 100 && atomic_read(&ctx->ns[0].pins) != 1; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->ns[0].pins), 1);
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(old, "old"));
	KUNIT_EXPECT_EQ(test, pool_stats(ctx).total_bytes, 0);
	wms_registry_unref(old);
	wms_registry_unref(fresh);
}

static struct kunit_case wms_ns_test_cases[] = {
	KUNIT_CASE(wms_ns_one_per_key),
	KUNIT_CASE(wms_ns_names_apart),
	KUNIT_CASE(wms_ns_death_retires),
	KUNIT_CASE(wms_ns_key_reused),
	KUNIT_CASE(wms_ns_host_quota),
	KUNIT_CASE(wms_ns_limits),
	KUNIT_CASE(wms_ns_pin_refused),
	KUNIT_CASE(wms_ns_exit_with_references),
	KUNIT_CASE(wms_ns_reaper_runs),
	KUNIT_CASE(wms_ns_get_kicks_reaper),
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
