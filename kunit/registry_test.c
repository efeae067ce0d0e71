// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the wms registry object: each test makes its own registry
 * with its own limits and leaves nothing behind (a leaked reference would
 * trip the WARN in wms_registry_destroy()).
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wms.h>

#include "../module/registry.h"
#include "wms_kunit.h"

static int wms_registry_test_init(struct kunit *test)
{
	return wms_test_ctx_init(test, 1024, 1024);
}

static void wms_registry_test_exit(struct kunit *test)
{
	wms_test_ctx_exit(test);
}

static struct wms_entry *add(struct kunit *test, const char *name, size_t size,
			     unsigned int flags, bool *created)
{
	return wms_registry_add(test_reg(test), name, size, flags,
				&wms_test_root, created);
}

/* Add a new entry that the test expects to be created, and drop our ref. */
static void add_new(struct kunit *test, const char *name, size_t size)
{
	struct wms_entry *entry;
	bool created = false;

	entry = add(test, name, size, WMS_ADD_EXCL, &created);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(entry), "add %s: %ld", name,
			       PTR_ERR(entry));
	KUNIT_EXPECT_TRUE(test, created);
	wms_entry_put(entry);
}

/* The array and the index agree, ids ascend, and every slot is accurate. */
static void check_invariants(struct kunit *test, struct wms_registry *reg)
{
	unsigned int i, live = 0;
	u64 last_id = 0;

	mutex_lock(&reg->lock);
	KUNIT_EXPECT_LE(test, reg->nr_slots, reg->capacity);
	for (i = 0; i < reg->nr_slots; i++) {
		struct wms_entry *entry = reg->slots[i];

		if (!entry)
			continue;
		live++;
		KUNIT_EXPECT_EQ(test, entry->slot, i);
		KUNIT_EXPECT_GT(test, entry->id, last_id);
		last_id = entry->id;
	}
	KUNIT_EXPECT_EQ(test, live, reg->nr_entries);
	KUNIT_EXPECT_LE(test, reg->nr_slots - live, reg->nr_slots / 2);
	mutex_unlock(&reg->lock);
}

static bool all_zero(const void *data, size_t size)
{
	return !size || (!*(const u8 *)data &&
			 !memcmp(data, data + 1, size - 1));
}

static void wms_add_creates(struct kunit *test)
{
	struct wms_entry *entry;
	bool created = false;

	entry = add(test, "alpha", 100, 0, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_STREQ(test, entry->name, "alpha");
	KUNIT_EXPECT_EQ(test, entry->size, 100);
	KUNIT_EXPECT_TRUE(test, uid_eq(entry->uid, GLOBAL_ROOT_UID));
	KUNIT_EXPECT_EQ(test, entry->mode, 0600);
	KUNIT_ASSERT_NOT_NULL(test, entry->data);
	KUNIT_EXPECT_TRUE(test, all_zero(entry->data, 100));
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 1);
	/* Charged whole pages: what the data pins. */
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, PAGE_SIZE);
	wms_entry_put(entry);
	check_invariants(test, test_reg(test));
}

static void wms_add_existing_returns_it(struct kunit *test)
{
	struct wms_entry *first, *second;
	bool created = true;

	first = add(test, "same", 64, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(first));
	memset(first->data, 0x5a, 64);
	/* A larger size: were it charged, total_bytes would show it. */
	second = add(test, "same", 4 * PAGE_SIZE, 0, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(second));
	KUNIT_EXPECT_PTR_EQ(test, first, second);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, second->size, 64);
	KUNIT_EXPECT_EQ(test, ((u8 *)second->data)[63], 0x5a);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 1);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, PAGE_SIZE);
	wms_entry_put(second);
	wms_entry_put(first);
}

static void wms_add_excl(struct kunit *test)
{
	struct wms_registry_stats before;
	struct wms_entry *entry;
	bool created = true;

	add_new(test, "excl", 8);
	before = stats_of(test);
	entry = add(test, "excl", 8, WMS_ADD_EXCL, &created);
	KUNIT_EXPECT_EQ(test, PTR_ERR(entry), -EEXIST);
	KUNIT_EXPECT_FALSE(test, created);
	expect_same_stats(test, before, stats_of(test));
}

static void wms_add_bad_flags(struct kunit *test)
{
	struct wms_entry *entry;

	entry = add(test, "flags", 8, 1U << 1, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(entry), -EINVAL);
	entry = add(test, "flags", 8, WMS_ADD_CREATED, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(entry), -EINVAL);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 0);
}

static void wms_name_rules_invalid(struct kunit *test)
{
	static const char * const bad[] = {
		"", ".", "..", "/", "a/b", "/abc", "abc/", "//",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_EQ_MSG(test, wms_name_check(bad[i]), -EINVAL,
				    "name \"%s\"", bad[i]);
		KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, bad[i], 1, 0, NULL)),
				-EINVAL);
	}
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 0);
}

static void wms_name_rules_valid(struct kunit *test)
{
	static const char * const good[] = {
		"...", ".a", "a.", "a b", "tab\there", "\x01", "\xff\xfe",
		"line\nfeed", "-", "UPPER",
	};
	unsigned int i;

	/* A kernel caller, as "..." and ".a" are reserved names. */
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct wms_entry *entry;
		bool created = false;

		KUNIT_EXPECT_EQ(test, wms_name_check(good[i]), 0);
		entry = wms_registry_add(test_reg(test), good[i], 1,
					 WMS_ADD_EXCL, &wms_test_kernel,
					 &created);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(entry), "add %s: %ld",
				       good[i], PTR_ERR(entry));
		KUNIT_EXPECT_TRUE(test, created);
		wms_entry_put(entry);
	}
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, ARRAY_SIZE(good));
	for (i = 0; i < ARRAY_SIZE(good); i++)
		KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test),
							  good[i]), 0);
}

static void wms_name_length(struct kunit *test)
{
	char *name = kunit_kzalloc(test, WMS_NAME_MAX + 2, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, name);
	memset(name, 'n', WMS_NAME_MAX);
	add_new(test, name, 1);
	name[WMS_NAME_MAX] = 'n';
	KUNIT_EXPECT_EQ(test, wms_name_check(name), -ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, name, 1, 0, NULL)),
			-ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 1);
}

static void wms_name_case_sensitive(struct kunit *test)
{
	struct wms_entry *lower, *upper;

	lower = add(test, "case", 1, 0, NULL);
	upper = add(test, "CASE", 1, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(lower));
	KUNIT_ASSERT_FALSE(test, IS_ERR(upper));
	KUNIT_EXPECT_PTR_NE(test, lower, upper);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 2);
	wms_entry_put(lower);
	wms_entry_put(upper);
}

static void wms_size_zero(struct kunit *test)
{
	struct wms_entry *entry = add(test, "empty", 0, 0, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_EQ(test, entry->size, 0);
	KUNIT_EXPECT_NULL(test, entry->data);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
	wms_entry_put(entry);
}

static void wms_limit_entry_size(struct kunit *test)
{
	struct wms_registry_stats before;
	size_t max = test_limits(test)->max_entry_size;

	add_new(test, "biggest", max);
	before = stats_of(test);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "too-big", max + 1, 0, NULL)),
			-EFBIG);
	expect_same_stats(test, before, stats_of(test));
}

static void wms_limit_entries(struct kunit *test)
{
	char name[16];
	unsigned int i;

	test_limits(test)->max_entries = 20;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		add_new(test, name, 1);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "one-more", 1, 0, NULL)),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 20);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "n0"), 0);
	add_new(test, "one-more", 1);
}

static void wms_limit_total_bytes(struct kunit *test)
{
	struct wms_registry_stats before;

	/* Three pages: t1 takes one, t2 (a byte over a page) two. */
	test_limits(test)->max_total_bytes = 3 * PAGE_SIZE;
	add_new(test, "t1", 1000);
	add_new(test, "t2", PAGE_SIZE + 1);
	before = stats_of(test);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "t3", 1, 0, NULL)), -ENOSPC);
	expect_same_stats(test, before, stats_of(test));
	add_new(test, "t4", 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "t1"), 0);
	add_new(test, "t5", 1000);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 3 * PAGE_SIZE);
}

static void wms_limit_user_bytes(struct kunit *test)
{
	struct wms_owner alice = {
		.uid = KUIDT_INIT(1000), .gid = KGIDT_INIT(1000),
		.mode = 0600, .quota = true,
	};
	struct wms_owner bob = alice;
	struct wms_registry *reg = test_reg(test);
	struct wms_entry *entry;

	bob.uid = KUIDT_INIT(1001);
	test_limits(test)->max_user_bytes = PAGE_SIZE;
	entry = wms_registry_add(reg, "a1", PAGE_SIZE, 0, &alice, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	wms_entry_put(entry);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, alice.uid),
			PAGE_SIZE);
	entry = wms_registry_add(reg, "a2", 1, 0, &alice, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(entry), -ENOSPC);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, alice.uid),
			PAGE_SIZE);

	/* Other users, and the same uid without a quota, are unaffected. */
	entry = wms_registry_add(reg, "b1", PAGE_SIZE, 0, &bob, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	wms_entry_put(entry);
	alice.quota = false;
	entry = wms_registry_add(reg, "a3", 100, 0, &alice, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	wms_entry_put(entry);
	/* 100 bytes are charged a whole page. */
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, alice.uid),
			2 * PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "a1"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "a3"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "b1"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, alice.uid), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, bob.uid), 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
}

static void wms_limit_existing_never_fails(struct kunit *test)
{
	struct wms_entry *entry;
	bool created = true;

	add_new(test, "full", 100);
	test_limits(test)->max_entries = 1;
	test_limits(test)->max_total_bytes = 100;
	test_limits(test)->max_entry_size = 10;
	entry = add(test, "full", 1000, 0, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_FALSE(test, created);
	wms_entry_put(entry);
}

static void wms_limit_lowered(struct kunit *test)
{
	struct wms_entry *entry;

	add_new(test, "l1", 10);
	add_new(test, "l2", 10);
	add_new(test, "l3", 10);
	test_limits(test)->max_entries = 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "l4", 10, 0, NULL)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 3);
	/*
	 * Bytes lowered below what is used (three entries of 10 bytes, a
	 * page each) refuse even an empty entry.
	 */
	test_limits(test)->max_entries = 100;
	test_limits(test)->max_total_bytes = 3 * PAGE_SIZE - 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "l5", 0, 0, NULL)), -ENOSPC);
	test_limits(test)->max_total_bytes = 3 * PAGE_SIZE;
	add_new(test, "l6", 0);
	entry = wms_registry_get(test_reg(test), "l1");
	KUNIT_EXPECT_NOT_NULL(test, entry);
	wms_entry_put(entry);
}

static void wms_remove_absent(struct kunit *test)
{
	add_new(test, "present", 1);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "absent"),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), ""), -ENOENT);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 1);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "present"),
			0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "present"),
			-ENOENT);
}

static void wms_get_absent(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, wms_registry_get(test_reg(test), "nothing"));
	add_new(test, "something", 1);
	KUNIT_EXPECT_NULL(test, wms_registry_get(test_reg(test), "Something"));
}

static void wms_readd_after_remove(struct kunit *test)
{
	struct wms_entry *old, *new, *found;
	bool created = false;

	old = add(test, "again", 32, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(old));
	memset(old->data, 0xff, 32);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "again"), 0);
	new = add(test, "again", 16, 0, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(new));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_NE(test, old, new);
	KUNIT_EXPECT_EQ(test, new->size, 16);
	KUNIT_EXPECT_TRUE(test, all_zero(new->data, 16));
	KUNIT_EXPECT_EQ(test, ((u8 *)old->data)[31], 0xff);
	/* The old one is gone for good: unlinking it again finds nothing. */
	KUNIT_EXPECT_EQ(test, wms_registry_unlink(test_reg(test), old), -ENOENT);
	found = wms_registry_get(test_reg(test), "again");
	KUNIT_EXPECT_PTR_EQ(test, found, new);
	wms_entry_put(found);
	wms_entry_put(new);
	wms_entry_put(old);
}

static void wms_remove_while_referenced(struct kunit *test)
{
	struct wms_entry *entry;
	u8 *data;

	entry = add(test, "held", 8192, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	data = entry->data;
	memset(data, 0xa5, 8192);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "held"), 0);
	KUNIT_EXPECT_NULL(test, wms_registry_get(test_reg(test), "held"));
	/* Still ours: KASAN reports any access after a premature free. */
	KUNIT_EXPECT_EQ(test, data[0], 0xa5);
	KUNIT_EXPECT_EQ(test, data[8191], 0xa5);
	data[100] = 1;
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes,
			round_up(8192, PAGE_SIZE));
	wms_entry_put(entry);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
}

static void wms_removed_bytes_count_until_freed(struct kunit *test)
{
	struct wms_entry *held;

	/* r1 of 1000 bytes is charged the page the limit allows. */
	test_limits(test)->max_total_bytes = PAGE_SIZE;
	test_limits(test)->max_entries = 1;
	held = add(test, "r1", 1000, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(held));
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "r1"), 0);
	/* No longer counts toward max_entries, still toward the bytes. */
	add_new(test, "r2", 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "r2"), 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "r3", 1, 0, NULL)), -ENOSPC);
	wms_entry_put(held);
	add_new(test, "r3", 1000);
}

static void wms_unlink_exact_entry(struct kunit *test)
{
	struct wms_entry *entry = add(test, "exact", 1, 0, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	KUNIT_EXPECT_EQ(test, wms_registry_unlink(test_reg(test), entry), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_unlink(test_reg(test), entry),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 0);
	wms_entry_put(entry);
}

static void wms_array_grows_geometrically(struct kunit *test)
{
	unsigned int i, changes = 0, capacity = 0;
	char name[16];

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "g%u", i);
		add_new(test, name, 0);
		if (stats_of(test).capacity != capacity) {
			capacity = stats_of(test).capacity;
			changes++;
		}
	}
	KUNIT_EXPECT_GE(test, capacity, 1000);
	KUNIT_EXPECT_LE(test, capacity, 2 * 1000 + 2);
	/* 16, 34, 70, ...: a handful of reallocations, not one per add. */
	KUNIT_EXPECT_LE(test, changes, 8);
	check_invariants(test, test_reg(test));
}

static void wms_array_shrinks_and_frees(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	struct wms_registry_stats stats;
	char name[16];
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		add_new(test, name, 1);
	}
	for (i = 0; i < 990; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		KUNIT_ASSERT_EQ(test, wms_registry_remove(reg, name), 0);
		check_invariants(test, reg);
	}
	stats = stats_of(test);
	KUNIT_EXPECT_EQ(test, stats.nr_entries, 10);
	KUNIT_EXPECT_LE(test, stats.capacity, 4 * 10);
	for (; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		KUNIT_ASSERT_EQ(test, wms_registry_remove(reg, name), 0);
	}
	stats = stats_of(test);
	KUNIT_EXPECT_EQ(test, stats.capacity, 0);
	KUNIT_EXPECT_EQ(test, stats.nr_slots, 0);
	KUNIT_EXPECT_NULL(test, reg->slots);
	KUNIT_EXPECT_EQ(test, stats.total_bytes, 0);
}

static void wms_array_hysteresis(struct kunit *test)
{
	unsigned int i, capacity, changes = 0;
	char name[16];

	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "h%u", i);
		add_new(test, name, 0);
	}
	capacity = stats_of(test).capacity;
	/* Add and remove at the boundary: no reallocation each time. */
	for (i = 0; i < 200; i++) {
		add_new(test, "edge", 0);
		KUNIT_ASSERT_EQ(test, wms_registry_remove(test_reg(test),
							  "edge"), 0);
		if (stats_of(test).capacity != capacity) {
			capacity = stats_of(test).capacity;
			changes++;
		}
	}
	KUNIT_EXPECT_LE(test, changes, 2);
	check_invariants(test, test_reg(test));
}

/* List everything with batches of @batch; count how often each was seen. */
static unsigned int list_all(struct kunit *test, unsigned int batch,
			     u8 *seen, unsigned int nr_names)
{
	struct wms_entry **out = kunit_kcalloc(test, batch, sizeof(*out),
					       GFP_KERNEL);
	unsigned int n, i, total = 0, idx;
	u64 cursor = 0;

	KUNIT_ASSERT_NOT_NULL(test, out);
	while ((n = wms_registry_list(test_reg(test), &cursor, out, batch))) {
		KUNIT_EXPECT_LE(test, n, batch);
		for (i = 0; i < n; i++) {
			if (sscanf(out[i]->name, "l%u", &idx) == 1 &&
			    idx < nr_names)
				seen[idx]++;
			wms_entry_put(out[i]);
		}
		total += n;
	}
	return total;
}

static void wms_list_exactly_once(struct kunit *test)
{
	static const unsigned int batches[] = { 1, 3, 7, 1000 };
	u8 *seen = kunit_kzalloc(test, 100, GFP_KERNEL);
	unsigned int b, i;
	char name[16];

	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "l%u", i);
		add_new(test, name, 0);
	}
	for (i = 0; i < 100; i += 3) {
		snprintf(name, sizeof(name), "l%u", i);
		KUNIT_ASSERT_EQ(test, wms_registry_remove(test_reg(test),
							  name), 0);
	}
	for (b = 0; b < ARRAY_SIZE(batches); b++) {
		memset(seen, 0, 100);
		KUNIT_EXPECT_EQ(test, list_all(test, batches[b], seen, 100), 66);
		for (i = 0; i < 100; i++)
			KUNIT_EXPECT_EQ_MSG(test, seen[i], i % 3 ? 1 : 0,
					    "l%u, batch %u", i, batches[b]);
	}
}

static void wms_list_across_compaction(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	u8 *seen = kunit_kzalloc(test, 200, GFP_KERNEL);
	struct wms_entry *out[10];
	unsigned int i, n, idx;
	u64 cursor = 0;
	char name[16];

	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "l%u", i);
		add_new(test, name, 0);
	}
	n = wms_registry_list(reg, &cursor, out, ARRAY_SIZE(out));
	KUNIT_ASSERT_EQ(test, n, 10);
	for (i = 0; i < n; i++) {
		/* The first batch is the oldest entries, in order. */
		snprintf(name, sizeof(name), "l%u", i);
		KUNIT_EXPECT_STREQ(test, out[i]->name, name);
		seen[i]++;
		wms_entry_put(out[i]);
	}
	/* Remove most odd names: the array is compacted under the walk. */
	for (i = 1; i < 190; i += 2) {
		snprintf(name, sizeof(name), "l%u", i);
		KUNIT_ASSERT_EQ(test, wms_registry_remove(reg, name), 0);
	}
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "new%u", i);
		add_new(test, name, 0);
	}
	while ((n = wms_registry_list(reg, &cursor, out, ARRAY_SIZE(out)))) {
		for (i = 0; i < n; i++) {
			if (sscanf(out[i]->name, "l%u", &idx) == 1)
				seen[idx]++;
			wms_entry_put(out[i]);
		}
	}
	for (i = 0; i < 200; i++)
		if (!(i & 1) || i >= 190)
			KUNIT_EXPECT_EQ_MSG(test, seen[i], 1, "l%u", i);
		else
			KUNIT_EXPECT_LE_MSG(test, seen[i], 1, "l%u", i);
	check_invariants(test, reg);
}

static void wms_reinit_is_clean(struct kunit *test)
{
	struct wms_test_ctx *ctx = test->priv;
	struct wms_registry_stats stats;

	add_new(test, "first-life", 100);
	wms_registry_destroy(&ctx->reg);
	KUNIT_ASSERT_EQ(test, wms_registry_init(&ctx->reg, &ctx->limits,
						&ctx->pool, current_user_ns(),
						NULL), 0);
	stats = stats_of(test);
	KUNIT_EXPECT_EQ(test, stats.nr_entries, 0);
	KUNIT_EXPECT_EQ(test, stats.capacity, 0);
	KUNIT_EXPECT_EQ(test, stats.total_bytes, 0);
	KUNIT_EXPECT_NULL(test, wms_registry_get(&ctx->reg, "first-life"));
	add_new(test, "first-life", 100);
}

static void wms_failed_alloc_changes_nothing(struct kunit *test)
{
	struct wms_registry_stats before;
	struct wms_entry *entry = NULL;
	struct wms_owner user = {
		.uid = KUIDT_INIT(4242), .gid = KGIDT_INIT(4242),
		.mode = 0600, .quota = true,
	};
	unsigned int nth, failures = 0;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
	/* Fill the array to capacity so that the add must grow it too. */
	while (stats_of(test).nr_slots < 16) {
		char name[16];

		snprintf(name, sizeof(name), "f%u", stats_of(test).nr_slots);
		add_new(test, name, 0);
	}
	for (nth = 1; nth < 100; nth++) {
		before = stats_of(test);
		current->fail_nth = nth;
		entry = wms_registry_add(test_reg(test), "faulty", 4096, 0,
					 &user, NULL);
		current->fail_nth = 0;
		if (!IS_ERR(entry))
			break;
		failures++;
		KUNIT_EXPECT_EQ(test, PTR_ERR(entry), -ENOMEM);
		expect_same_stats(test, before, stats_of(test));
		KUNIT_EXPECT_EQ(test, before.capacity, stats_of(test).capacity);
		KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(test_reg(test),
							      user.uid), 0);
		KUNIT_EXPECT_NULL(test, wms_registry_get(test_reg(test),
							 "faulty"));
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	/*
	 * The uid's records (the registry's and the pool's), entry struct,
	 * data, array: five allocation sites.
	 */
	KUNIT_EXPECT_EQ(test, failures, 5);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(test_reg(test), user.uid),
			round_up(4096, PAGE_SIZE));
	wms_entry_put(entry);
	check_invariants(test, test_reg(test));
}

/*
 * Slots the last add or remove walked to move the array (wms_slots_move():
 * a reallocation, which changes the capacity, or a compaction, which lowers
 * the used slots): every used slot, so nr_slots as it was before.
 */
static unsigned int slots_walked(struct wms_registry *reg,
				 unsigned int nr_slots, unsigned int capacity)
{
	return reg->capacity != capacity || reg->nr_slots < nr_slots ?
	       nr_slots : 0;
}

/*
 * 100,000 adds, lookups and removes. The array must stay amortised O(1) per
 * add and remove: the slots walked to grow, compact and shrink it are
 * counted, not timed, so a loaded machine cannot fail it and a quadratic
 * policy cannot pass it. With doubling and compaction at half holes the
 * count is about 2 per add or remove (the case prints it); 4 is allowed.
 * Moving once every 16 adds, or compacting on every remove, gives over 1000.
 * The time is printed for information only.
 */
static void wms_many_entries(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	const unsigned int n = 100000;
	struct wms_entry *entry;
	unsigned int nr_slots, capacity;
	u64 walked = 0;
	char name[16];
	ktime_t start;
	unsigned int i;

	test_limits(test)->max_entries = n;
	start = ktime_get();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		nr_slots = reg->nr_slots;
		capacity = reg->capacity;
		entry = add(test, name, 0, WMS_ADD_EXCL, NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
		walked += slots_walked(reg, nr_slots, capacity);
		wms_entry_put(entry);
		if (!(i & 1023))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, n);
	for (i = 0; i < n; i += 7) {
		snprintf(name, sizeof(name), "m%u", i);
		entry = wms_registry_get(reg, name);
		KUNIT_ASSERT_NOT_NULL(test, entry);
		KUNIT_EXPECT_STREQ(test, entry->name, name);
		wms_entry_put(entry);
	}
	check_invariants(test, reg);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		nr_slots = reg->nr_slots;
		capacity = reg->capacity;
		KUNIT_ASSERT_EQ(test, wms_registry_remove(reg, name), 0);
		walked += slots_walked(reg, nr_slots, capacity);
		if (!(i & 1023))
			cond_resched();
	}
	kunit_info(test, "100000 adds, lookups and removes: %lld ms, %llu slots walked to move the array\n",
		   ktime_ms_delta(ktime_get(), start), walked);
	KUNIT_EXPECT_EQ(test, stats_of(test).capacity, 0);
	KUNIT_EXPECT_LE(test, walked, 4ULL * 2 * n);
}

#define WMS_STRESS_THREADS	4
#define WMS_STRESS_OPS		4000
#define WMS_STRESS_NAMES	8

struct wms_stress {
	struct wms_registry *reg;
	atomic_t errors;
	atomic_t running;
	struct completion done;
};

static size_t stress_size(unsigned int i)
{
	return 64 * (i + 1);
}

static int wms_stress_thread(void *arg)
{
	struct wms_stress *st = arg;
	unsigned int op;

	for (op = 0; op < WMS_STRESS_OPS; op++) {
		unsigned int i = get_random_u32() % WMS_STRESS_NAMES;
		struct wms_entry *entry;
		char name[8];
		int err;

		snprintf(name, sizeof(name), "p%u", i);
		switch (get_random_u32() % 3) {
		case 0:
			entry = wms_registry_add(st->reg, name, stress_size(i),
						 0, &wms_test_root, NULL);
			if (IS_ERR(entry) || strcmp(entry->name, name) ||
			    entry->size != stress_size(i)) {
				atomic_inc(&st->errors);
				break;
			}
			memset(entry->data, i, entry->size);
			wms_entry_put(entry);
			break;
		case 1:
			entry = wms_registry_get(st->reg, name);
			if (entry && (strcmp(entry->name, name) ||
				      entry->size != stress_size(i)))
				atomic_inc(&st->errors);
			wms_entry_put(entry);
			break;
		default:
			err = wms_registry_remove(st->reg, name);
			if (err && err != -ENOENT)
				atomic_inc(&st->errors);
			break;
		}
		cond_resched();
	}
	if (atomic_dec_and_test(&st->running))
		complete(&st->done);
	return 0;
}

static void wms_concurrent_add_remove(struct kunit *test)
{
	struct wms_stress *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	struct task_struct *task;
	char name[8];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, st);
	st->reg = test_reg(test);
	init_completion(&st->done);
	atomic_set(&st->running, WMS_STRESS_THREADS);
	for (i = 0; i < WMS_STRESS_THREADS; i++) {
		task = kthread_run(wms_stress_thread, st, "wms_stress/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	}
	wait_for_completion(&st->done);
	KUNIT_EXPECT_EQ(test, atomic_read(&st->errors), 0);
	check_invariants(test, st->reg);
	KUNIT_EXPECT_LE(test, stats_of(test).nr_entries, WMS_STRESS_NAMES);
	for (i = 0; i < WMS_STRESS_NAMES; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		wms_registry_remove(st->reg, name);
	}
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
}

struct wms_lookup_ctx {
	struct wms_registry *reg;
	struct wms_entry *found;
	struct completion done;
};

static int wms_lookup_thread(void *arg)
{
	struct wms_lookup_ctx *lc = arg;

	lc->found = wms_registry_get(lc->reg, "l1");
	complete(&lc->done);
	return 0;
}

/*
 * A lookup completes while another task holds the registry mutex: readers
 * do not serialise on it (RCU and the entry's kref). Were the mutex taken,
 * the lookup would wait until the unlock and the timeout would fail it.
 */
static void wms_get_needs_no_mutex(struct kunit *test)
{
	struct wms_lookup_ctx *lc = kunit_kzalloc(test, sizeof(*lc), GFP_KERNEL);
	struct wms_entry *entry = add(test, "l1", 64, WMS_ADD_EXCL, NULL);
	struct task_struct *task;
	bool done;

	KUNIT_ASSERT_NOT_NULL(test, lc);
	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	lc->reg = test_reg(test);
	init_completion(&lc->done);
	mutex_lock(&lc->reg->lock);
	task = kthread_run(wms_lookup_thread, lc, "wms_lookup");
	done = !IS_ERR(task) && wait_for_completion_timeout(&lc->done, 10 * HZ);
	mutex_unlock(&lc->reg->lock);
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	if (!done)
		wait_for_completion(&lc->done);
	KUNIT_EXPECT_TRUE(test, done);
	KUNIT_EXPECT_PTR_EQ(test, lc->found, entry);
	wms_entry_put(lc->found);
	wms_entry_put(entry);
}

static void wms_stats_counters(struct kunit *test)
{
	struct wms_registry_stats stats;

	add_new(test, "c1", 100);
	add_new(test, "c2", 200);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(test_reg(test), "c1"), 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "c2", 1, WMS_ADD_EXCL, NULL)),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "big", SZ_2M, 0, NULL)), -EFBIG);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "a/b", 1, 0, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(add(test, "x", 1, 4, NULL)), -EINVAL);
	stats = stats_of(test);
	KUNIT_EXPECT_EQ(test, stats.adds, 2);
	KUNIT_EXPECT_EQ(test, stats.removes, 1);
	/* 100 and 200 bytes: a page each. */
	KUNIT_EXPECT_EQ(test, stats.total_bytes, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, stats.peak_bytes, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EEXIST], 1);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EFBIG], 1);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EINVAL], 2);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_ENOSPC], 0);
	KUNIT_EXPECT_STREQ(test, wms_add_failure_name(WMS_FAIL_ENOSPC),
			   "ENOSPC");
}

static struct kunit_case wms_registry_test_cases[] = {
	KUNIT_CASE(wms_add_creates),
	KUNIT_CASE(wms_add_existing_returns_it),
	KUNIT_CASE(wms_add_excl),
	KUNIT_CASE(wms_add_bad_flags),
	KUNIT_CASE(wms_name_rules_invalid),
	KUNIT_CASE(wms_name_rules_valid),
	KUNIT_CASE(wms_name_length),
	KUNIT_CASE(wms_name_case_sensitive),
	KUNIT_CASE(wms_size_zero),
	KUNIT_CASE(wms_limit_entry_size),
	KUNIT_CASE(wms_limit_entries),
	KUNIT_CASE(wms_limit_total_bytes),
	KUNIT_CASE(wms_limit_user_bytes),
	KUNIT_CASE(wms_limit_existing_never_fails),
	KUNIT_CASE(wms_limit_lowered),
	KUNIT_CASE(wms_remove_absent),
	KUNIT_CASE(wms_get_absent),
	KUNIT_CASE(wms_readd_after_remove),
	KUNIT_CASE(wms_remove_while_referenced),
	KUNIT_CASE(wms_removed_bytes_count_until_freed),
	KUNIT_CASE(wms_unlink_exact_entry),
	KUNIT_CASE(wms_array_grows_geometrically),
	KUNIT_CASE(wms_array_shrinks_and_frees),
	KUNIT_CASE(wms_array_hysteresis),
	KUNIT_CASE(wms_list_exactly_once),
	KUNIT_CASE(wms_list_across_compaction),
	KUNIT_CASE(wms_reinit_is_clean),
	KUNIT_CASE(wms_stats_counters),
	KUNIT_CASE(wms_failed_alloc_changes_nothing),
	KUNIT_CASE(wms_many_entries),
	KUNIT_CASE(wms_concurrent_add_remove),
	KUNIT_CASE(wms_get_needs_no_mutex),
	{}
};

static struct kunit_suite wms_registry_test_suite = {
	.name = "wms_registry",
	.init = wms_registry_test_init,
	.exit = wms_registry_test_exit,
	.test_cases = wms_registry_test_cases,
};

kunit_test_suite(wms_registry_test_suite);

MODULE_LICENSE("GPL");
