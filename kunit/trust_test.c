// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the ABI v2 trust rules: names that begin with '.' are the
 * kernel's, a kernel caller never receives an entry that user space made,
 * entries are charged whole pages, and one uid has max_user_entries entries
 * at most.
 *
 * The wms_trust suite works on a private registry with its own limits, as
 * struct wms_owner lets it act as user space or as a kernel caller; the
 * wms_trust_api suite works on the module's global registry through
 * <linux/wms.h> and removes what it adds.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/stat.h>
#include <linux/wait.h>
#include <linux/wms.h>

#include "../module/registry.h"
#include "wms_kunit.h"

#define WMS_TRUST_USER_ENTRIES	4

/* Users through /dev/wms, under their quotas. */
static const struct wms_owner trust_alice = {
	.uid = KUIDT_INIT(1000), .gid = KGIDT_INIT(1000), .mode = 0644,
	.quota = true,
};

static const struct wms_owner trust_bob = {
	.uid = KUIDT_INIT(1001), .gid = KGIDT_INIT(1001), .mode = 0644,
	.quota = true,
};

static int wms_trust_test_init(struct kunit *test)
{
	return wms_test_ctx_init(test, 64, WMS_TRUST_USER_ENTRIES);
}

static void wms_trust_test_exit(struct kunit *test)
{
	wms_test_ctx_exit(test);
}

/* Add as @owner an entry that the test expects to be created; keep the ref. */
static struct wms_entry *trust_create(struct kunit *test, const char *name,
				      size_t size,
				      const struct wms_owner *owner)
{
	struct wms_entry *entry;
	bool created = false;

	entry = wms_registry_add(test_reg(test), name, size, WMS_ADD_EXCL,
				 owner, &created);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(entry), "add %s: %ld", name,
			       PTR_ERR(entry));
	KUNIT_EXPECT_TRUE(test, created);
	return entry;
}

/* The same, dropping the reference: the registry keeps the entry. */
static void trust_create_put(struct kunit *test, const char *name,
			     size_t size, const struct wms_owner *owner)
{
	wms_entry_put(trust_create(test, name, size, owner));
}

/* Expect an add as @owner to fail with @err and to change nothing. */
static void trust_refused(struct kunit *test, const char *name, size_t size,
			  unsigned int flags, const struct wms_owner *owner,
			  long err)
{
	struct wms_registry_stats before = stats_of(test);
	struct wms_registry_stats after;
	bool created = true;
	struct wms_entry *entry;

	entry = wms_registry_add(test_reg(test), name, size, flags, owner,
				 &created);
	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(entry), err, "add %s, size %zu",
			    name, size);
	if (!IS_ERR(entry))
		wms_entry_put(entry);
	KUNIT_EXPECT_FALSE(test, created);
	after = stats_of(test);
	KUNIT_EXPECT_EQ(test, after.nr_entries, before.nr_entries);
	KUNIT_EXPECT_EQ(test, after.adds, before.adds);
	KUNIT_EXPECT_EQ(test, after.total_bytes, before.total_bytes);
}

/*
 * User space, quota or CAP_SYS_ADMIN alike, cannot create a '.' name: -EPERM
 * at the permission step, so before the limits (a huge size is not -EFBIG,
 * an exhausted quota not -ENOSPC), and nothing is charged for it.
 */
static void wms_trust_reserved_user_eperm(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);

	trust_refused(test, ".secret", 1, 0, &trust_alice, -EPERM);
	trust_refused(test, ".secret", 0, WMS_ADD_EXCL, &trust_alice, -EPERM);
	trust_refused(test, ".", 1, 0, &trust_alice, -EINVAL);
	trust_refused(test, "..x", 1, 0, &wms_test_root, -EPERM);
	trust_refused(test, ".secret", SIZE_MAX, 0, &trust_alice, -EPERM);
	trust_refused(test, ".secret", SIZE_MAX, 0, &wms_test_root, -EPERM);
	test_limits(test)->max_user_entries = 0;
	test_limits(test)->max_entries = 0;
	trust_refused(test, ".secret", 1, 0, &trust_alice, -EPERM);

	KUNIT_EXPECT_NULL(test, wms_registry_get(reg, ".secret"));
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(reg, ".secret"));
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, trust_alice.uid),
			0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, trust_alice.uid),
			0);
	KUNIT_EXPECT_EQ(test, stats_of(test).failed[WMS_FAIL_EFBIG], 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).failed[WMS_FAIL_ENOSPC], 0);
	/* A name that only contains a dot later is anybody's. */
	test_limits(test)->max_user_entries = WMS_TRUST_USER_ENTRIES;
	test_limits(test)->max_entries = 64;
	trust_create_put(test, "a.b", 1, &trust_alice);
	trust_create_put(test, "a.", 1, &trust_alice);
}

/*
 * A kernel caller creates a '.' name; user space then finds it under the
 * normal rules: returned without EXCL (limits do not apply to finding it),
 * -EEXIST with it, and -EPERM again once it is removed.
 */
static void wms_trust_reserved_kernel_creates(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	struct wms_entry *entry, *found;
	bool created = true;

	entry = trust_create(test, ".kernel", 100, &wms_test_kernel);
	KUNIT_EXPECT_TRUE(test, entry->kernel);
	KUNIT_EXPECT_TRUE(test, uid_eq(entry->uid, GLOBAL_ROOT_UID));

	found = wms_registry_add(reg, ".kernel", 1, 0, &trust_alice, &created);
	KUNIT_EXPECT_PTR_EQ(test, found, entry);
	KUNIT_EXPECT_FALSE(test, created);
	if (!IS_ERR(found))
		wms_entry_put(found);
	found = wms_registry_add(reg, ".kernel", SIZE_MAX, 0, &trust_alice,
				 NULL);
	KUNIT_EXPECT_PTR_EQ(test, found, entry);
	if (!IS_ERR(found))
		wms_entry_put(found);
	trust_refused(test, ".kernel", 1, WMS_ADD_EXCL, &trust_alice, -EEXIST);
	/* Found, not created: the user is charged nothing. */
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, trust_alice.uid),
			0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, trust_alice.uid),
			0);

	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, ".kernel"), 0);
	trust_refused(test, ".kernel", 1, 0, &trust_alice, -EPERM);
	wms_entry_put(entry);
}

/*
 * A kernel caller never receives an entry that user space made (size 0 or
 * not, quota or CAP_SYS_ADMIN): -EEXIST with and without WMS_ADD_EXCL. It
 * does receive one a kernel caller made, unless it asks for EXCL.
 */
static void wms_trust_kernel_gets_only_kernel_entries(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	struct wms_entry *user, *kern, *found;
	bool created = true;

	user = trust_create(test, "shared", 0, &trust_alice);
	trust_refused(test, "shared", 0, 0, &wms_test_kernel, -EEXIST);
	trust_refused(test, "shared", 0, WMS_ADD_EXCL, &wms_test_kernel, -EEXIST);
	trust_create_put(test, "rooted", PAGE_SIZE, &wms_test_root);
	trust_refused(test, "rooted", PAGE_SIZE, 0, &wms_test_kernel, -EEXIST);
	KUNIT_EXPECT_EQ(test, stats_of(test).failed[WMS_FAIL_EEXIST], 3);
	/* The user's entry is still there, untouched, for user space. */
	found = wms_registry_add(reg, "shared", 0, 0, &trust_bob, &created);
	KUNIT_EXPECT_PTR_EQ(test, found, user);
	KUNIT_EXPECT_FALSE(test, created);
	if (!IS_ERR(found))
		wms_entry_put(found);

	kern = trust_create(test, "made", 8, &wms_test_kernel);
	found = wms_registry_add(reg, "made", 8, 0, &wms_test_kernel, &created);
	KUNIT_EXPECT_PTR_EQ(test, found, kern);
	KUNIT_EXPECT_FALSE(test, created);
	if (!IS_ERR(found))
		wms_entry_put(found);
	trust_refused(test, "made", 8, WMS_ADD_EXCL, &wms_test_kernel, -EEXIST);

	/* Once the user's entry is removed, the kernel caller creates its own. */
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "shared"), 0);
	found = trust_create(test, "shared", 0, &wms_test_kernel);
	KUNIT_EXPECT_PTR_NE(test, found, user);
	KUNIT_EXPECT_TRUE(test, found->kernel);
	wms_entry_put(found);
	wms_entry_put(kern);
	wms_entry_put(user);
}

/* wms_is_kernel_entry() tells who made an entry that wms_get() may find. */
static void wms_trust_is_kernel_entry(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	struct wms_entry *entry;

	trust_create_put(test, "by-kernel", 1, &wms_test_kernel);
	trust_create_put(test, "by-user", 1, &trust_alice);
	trust_create_put(test, "by-root", 1, &wms_test_root);

	entry = wms_registry_get(reg, "by-kernel");
	KUNIT_ASSERT_NOT_NULL(test, entry);
	KUNIT_EXPECT_TRUE(test, wms_is_kernel_entry(entry));
	wms_entry_put(entry);
	entry = wms_registry_get(reg, "by-user");
	KUNIT_ASSERT_NOT_NULL(test, entry);
	KUNIT_EXPECT_FALSE(test, wms_is_kernel_entry(entry));
	wms_entry_put(entry);
	entry = wms_registry_get(reg, "by-root");
	KUNIT_ASSERT_NOT_NULL(test, entry);
	KUNIT_EXPECT_FALSE(test, wms_is_kernel_entry(entry));
	wms_entry_put(entry);
}

/* wms_registry_exists() finds an entry without touching its refcount. */
static void wms_trust_exists_takes_no_ref(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	struct wms_entry *entry = trust_create(test, "there", 1, &trust_alice);
	unsigned int refs = kref_read(&entry->ref);

	KUNIT_EXPECT_TRUE(test, wms_registry_exists(reg, "there"));
	KUNIT_EXPECT_EQ(test, kref_read(&entry->ref), refs);
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(reg, "There"));
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "there"), 0);
	KUNIT_EXPECT_FALSE(test, wms_registry_exists(reg, "there"));
	/* Only the registry's reference went. */
	KUNIT_EXPECT_EQ(test, kref_read(&entry->ref), refs - 1);
	wms_entry_put(entry);
}

/* Sizes are charged rounded up to pages, 0 for 0, saturating at U64_MAX. */
static void wms_trust_charge_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, wms_charge_size(0), 0);
	KUNIT_EXPECT_EQ(test, wms_charge_size(1), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_charge_size(PAGE_SIZE - 1), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_charge_size(PAGE_SIZE), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_charge_size(PAGE_SIZE + 1), 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_charge_size(U64_MAX - PAGE_SIZE + 1),
			U64_MAX - PAGE_SIZE + 1);
	KUNIT_EXPECT_EQ(test, wms_charge_size(U64_MAX - PAGE_SIZE + 2),
			U64_MAX);
	KUNIT_EXPECT_EQ(test, wms_charge_size(U64_MAX), U64_MAX);
}

/*
 * What the stats and the user's count show: 1 byte costs a page, size 0
 * nothing, PAGE_SIZE + 1 two pages; the charge goes when the memory does.
 */
static void wms_trust_page_charge(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	kuid_t uid = trust_alice.uid;

	trust_create_put(test, "one-byte", 1, &trust_alice);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), PAGE_SIZE);
	trust_create_put(test, "empty", 0, &trust_alice);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), PAGE_SIZE);
	trust_create_put(test, "page-and-one", PAGE_SIZE + 1, &trust_alice);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid),
			3 * PAGE_SIZE);
	/* A kernel caller's entries are charged pages too. */
	trust_create_put(test, "kernel-byte", 1, &wms_test_kernel);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, stats_of(test).peak_bytes, 4 * PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "page-and-one"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "one-byte"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "empty"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "kernel-byte"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).peak_bytes, 4 * PAGE_SIZE);
}

/* The byte limits count pages: a page of quota holds one 1-byte entry. */
static void wms_trust_page_charge_limits(struct kunit *test)
{
	test_limits(test)->max_user_bytes = PAGE_SIZE;
	trust_create_put(test, "first", 1, &trust_alice);
	trust_refused(test, "second", 1, 0, &trust_alice, -ENOSPC);
	/* Size 0 is charged no bytes, so the byte quota lets it through. */
	trust_create_put(test, "nothing", 0, &trust_alice);

	test_limits(test)->max_total_bytes = 2 * PAGE_SIZE;
	trust_create_put(test, "root-page", PAGE_SIZE, &wms_test_root);
	trust_refused(test, "root-byte", 1, 0, &wms_test_root, -ENOSPC);
	trust_refused(test, "kernel-byte", 1, 0, &wms_test_kernel, -ENOSPC);
	KUNIT_EXPECT_EQ(test, stats_of(test).failed[WMS_FAIL_ENOSPC], 3);
}

/*
 * max_user_entries bounds a quota owner's registered entries, size 0
 * included; not an owner without a quota, nor another uid. REMOVE gives the
 * slot back at once, even while a reference keeps the memory, whose bytes
 * stay charged until the last put.
 */
static void wms_trust_user_entries(struct kunit *test)
{
	struct wms_registry *reg = test_reg(test);
	struct wms_owner alice_admin = trust_alice;
	kuid_t uid = trust_alice.uid;
	struct wms_entry *held;
	char name[16];
	unsigned int i;

	alice_admin.quota = false;
	held = trust_create(test, "u0", PAGE_SIZE, &trust_alice);
	for (i = 1; i < WMS_TRUST_USER_ENTRIES; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		trust_create_put(test, name, 0, &trust_alice);
	}
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid),
			WMS_TRUST_USER_ENTRIES);
	trust_refused(test, "past", 0, 0, &trust_alice, -ENOSPC);
	trust_refused(test, "past", 1, 0, &trust_alice, -ENOSPC);
	KUNIT_EXPECT_EQ(test, stats_of(test).failed[WMS_FAIL_ENOSPC], 2);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid),
			WMS_TRUST_USER_ENTRIES);

	/* Another uid, and the same uid without a quota, are not limited. */
	trust_create_put(test, "bob", 0, &trust_bob);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, trust_bob.uid), 1);
	trust_create_put(test, "admin", 0, &alice_admin);
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "admin"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid),
			WMS_TRUST_USER_ENTRIES);

	/* REMOVE frees the slot now; the page stays charged while held. */
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "u0"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid),
			WMS_TRUST_USER_ENTRIES - 1);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), PAGE_SIZE);
	trust_create_put(test, "past", 0, &trust_alice);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid),
			WMS_TRUST_USER_ENTRIES);
	trust_refused(test, "beyond", 0, 0, &trust_alice, -ENOSPC);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, PAGE_SIZE);
	wms_entry_put(held);
	KUNIT_EXPECT_EQ(test, wms_registry_user_bytes(reg, uid), 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid),
			WMS_TRUST_USER_ENTRIES);

	for (i = 1; i < WMS_TRUST_USER_ENTRIES; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, name), 0);
	}
	KUNIT_EXPECT_EQ(test, wms_registry_remove(reg, "past"), 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(reg, uid), 0);
}

/* Each refusal is counted under its errno, -EPERM included. */
static void wms_trust_counters(struct kunit *test)
{
	struct wms_registry_stats stats;

	trust_refused(test, ".user", 1, 0, &trust_alice, -EPERM);
	trust_refused(test, ".root", SIZE_MAX, 0, &wms_test_root, -EPERM);
	trust_create_put(test, "mine", 1, &trust_alice);
	trust_refused(test, "mine", 1, 0, &wms_test_kernel, -EEXIST);
	stats = stats_of(test);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EPERM], 2);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EEXIST], 1);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EFBIG], 0);
	KUNIT_EXPECT_EQ(test, stats.failed[WMS_FAIL_EINVAL], 0);
	KUNIT_EXPECT_EQ(test, stats.adds, 1);
	KUNIT_EXPECT_STREQ(test, wms_add_failure_name(WMS_FAIL_EPERM), "EPERM");
}

#define WMS_RACE_ROUNDS		2000
#define WMS_RACE_KERNEL		0
#define WMS_RACE_USER		1
#define WMS_RACE_NO_LEAD	2

/* How a round ended. */
enum wms_race_outcome {
	WMS_RACE_USER_MADE,	/* the user created it, the kernel got -EEXIST */
	WMS_RACE_KERNEL_MADE,	/* the kernel created it, the user found it */
	WMS_RACE_USER_EPERM,	/* the user was refused, the kernel created */
	WMS_RACE_OUTCOMES
};

struct wms_race;

/**
 * struct wms_race_side - one of the two adding threads
 * @race: the race it runs in
 * @index: WMS_RACE_KERNEL or WMS_RACE_USER
 * @owner: whom it adds as
 * @task: its kthread
 * @entry: what its add of this round returned
 * @created: whether that add created the entry
 */
struct wms_race_side {
	struct wms_race *race;
	unsigned int index;
	const struct wms_owner *owner;
	struct task_struct *task;
	struct wms_entry *entry;
	bool created;
};

/**
 * struct wms_race - a kernel caller and a user adding one name, round after
 *	round
 * @reg: the registry
 * @wait: where the threads wait for a round, and the test for its end
 * @round: the round the threads may run (set by the test)
 * @lead: the side that starts its add first this round, or
 *	WMS_RACE_NO_LEAD: the other waits until the lead has begun its add
 * @started: whether the lead has begun
 * @done: the sides that finished this round
 * @side: the kernel caller, then the user
 */
struct wms_race {
	struct wms_registry *reg;
	wait_queue_head_t wait;
	atomic_t round;
	unsigned int lead;
	atomic_t started;
	atomic_t done;
	struct wms_race_side side[2];
};

/* Odd rounds race for a reserved name, which only the kernel may create. */
static const char *race_name(unsigned int round)
{
	return round & 1 ? ".kunit-race" : "kunit-race";
}

static int wms_race_thread(void *arg)
{
	struct wms_race_side *side = arg;
	struct wms_race *race = side->race;
	bool lead, follow;
	unsigned int round;

	for (round = 1; round <= WMS_RACE_ROUNDS; round++) {
		wait_event(race->wait,
			   atomic_read_acquire(&race->round) >= round ||
			   kthread_should_stop());
		if (kthread_should_stop())
			break;
		lead = race->lead == side->index;
		follow = race->lead != WMS_RACE_NO_LEAD && !lead;
		if (follow)
			wait_event(race->wait,
				   atomic_read(&race->started) ||
				   kthread_should_stop());
		if (lead) {
			atomic_set(&race->started, 1);
			wake_up_all(&race->wait);
		}
		side->entry = wms_registry_add(race->reg, race_name(round), 64,
					       0, side->owner, &side->created);
		if (atomic_inc_return(&race->done) == 2)
			wake_up_all(&race->wait);
	}
	wait_event(race->wait, kthread_should_stop());
	return 0;
}

/*
 * Check one round: return its enum wms_race_outcome, or -1 if it breaks the
 * rules.
 */
static int wms_race_check(struct kunit *test, struct wms_race *race,
			  unsigned int round)
{
	struct wms_race_side *kern = &race->side[WMS_RACE_KERNEL];
	struct wms_race_side *user = &race->side[WMS_RACE_USER];
	bool reserved = round & 1;

	if (IS_ERR(kern->entry)) {
		/* Only a user's entry may stand in the kernel caller's way. */
		if (PTR_ERR(kern->entry) == -EEXIST && !reserved &&
		    !IS_ERR(user->entry) && user->created &&
		    !user->entry->kernel)
			return WMS_RACE_USER_MADE;
	} else if (kern->created && wms_is_kernel_entry(kern->entry)) {
		/* The user came first and was refused, or found this entry. */
		if (IS_ERR(user->entry) && reserved &&
		    PTR_ERR(user->entry) == -EPERM)
			return WMS_RACE_USER_EPERM;
		if (user->entry == kern->entry && !user->created)
			return WMS_RACE_KERNEL_MADE;
	}
	kunit_err(test, "round %u (%s, lead %u): kernel %ld created %d, user %ld created %d\n",
		  round, race_name(round), race->lead,
		  IS_ERR(kern->entry) ? PTR_ERR(kern->entry) : 0L,
		  kern->created,
		  IS_ERR(user->entry) ? PTR_ERR(user->entry) : 0L,
		  user->created);
	return -1;
}

/*
 * A kernel caller (a kthread adding as wms_add() does) and a user (another
 * kthread adding as /dev/wms does) add the same name, many rounds. The
 * kernel caller creates the entry, and the user then finds it (or is
 * refused a reserved name), or it gets -EEXIST because the user created
 * one: never the user's entry. Each round one side or neither is let start
 * first, so that both orders happen even on one CPU without preemption.
 */
static void wms_trust_race_kernel_user(struct kunit *test)
{
	struct wms_race *race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	unsigned int counts[WMS_RACE_OUTCOMES] = {};
	unsigned int round, i;
	int outcome = 0;

	KUNIT_ASSERT_NOT_NULL(test, race);
	race->reg = test_reg(test);
	init_waitqueue_head(&race->wait);
	race->side[WMS_RACE_KERNEL].owner = &wms_test_kernel;
	race->side[WMS_RACE_USER].owner = &trust_alice;
	for (i = 0; i < 2; i++) {
		race->side[i].race = race;
		race->side[i].index = i;
		race->side[i].task = kthread_run(wms_race_thread,
						 &race->side[i],
						 "wms_race/%u", i);
		if (IS_ERR(race->side[i].task))
			break;
	}
	if (i < 2) {
		if (i)
			kthread_stop(race->side[0].task);
		KUNIT_FAIL(test, "kthread_run: %ld",
			   PTR_ERR(race->side[i].task));
		return;
	}

	for (round = 1; round <= WMS_RACE_ROUNDS; round++) {
		race->lead = get_random_u32() % 3;
		atomic_set(&race->started, 0);
		atomic_set(&race->done, 0);
		atomic_set_release(&race->round, round);
		wake_up_all(&race->wait);
		if (!wait_event_timeout(race->wait,
					atomic_read_acquire(&race->done) == 2,
					10 * HZ)) {
			KUNIT_FAIL(test, "round %u did not end", round);
			break;
		}
		outcome = wms_race_check(test, race, round);
		for (i = 0; i < 2; i++)
			if (!IS_ERR(race->side[i].entry))
				wms_entry_put(race->side[i].entry);
		KUNIT_EXPECT_EQ(test, wms_registry_remove(race->reg,
							  race_name(round)), 0);
		if (outcome < 0)
			break;
		counts[outcome]++;
	}
	for (i = 0; i < 2; i++)
		kthread_stop(race->side[i].task);

	KUNIT_EXPECT_GE(test, outcome, 0);
	kunit_info(test, "%u rounds: user made %u, kernel made %u, user refused %u\n",
		   round - 1, counts[WMS_RACE_USER_MADE],
		   counts[WMS_RACE_KERNEL_MADE], counts[WMS_RACE_USER_EPERM]);
	KUNIT_EXPECT_EQ(test, counts[WMS_RACE_USER_MADE] +
			counts[WMS_RACE_KERNEL_MADE] +
			counts[WMS_RACE_USER_EPERM], WMS_RACE_ROUNDS);
	/* Both orders happened, or the race tested one of them only. */
	for (i = 0; i < WMS_RACE_OUTCOMES; i++)
		KUNIT_EXPECT_GT_MSG(test, counts[i], 0, "outcome %u", i);
	KUNIT_EXPECT_EQ(test, stats_of(test).nr_entries, 0);
	KUNIT_EXPECT_EQ(test, stats_of(test).total_bytes, 0);
	KUNIT_EXPECT_EQ(test, wms_registry_user_entries(race->reg,
							trust_alice.uid), 0);
}

static struct kunit_case wms_trust_test_cases[] = {
	KUNIT_CASE(wms_trust_reserved_user_eperm),
	KUNIT_CASE(wms_trust_reserved_kernel_creates),
	KUNIT_CASE(wms_trust_kernel_gets_only_kernel_entries),
	KUNIT_CASE(wms_trust_is_kernel_entry),
	KUNIT_CASE(wms_trust_exists_takes_no_ref),
	KUNIT_CASE(wms_trust_charge_size),
	KUNIT_CASE(wms_trust_page_charge),
	KUNIT_CASE(wms_trust_page_charge_limits),
	KUNIT_CASE(wms_trust_user_entries),
	KUNIT_CASE(wms_trust_counters),
	KUNIT_CASE(wms_trust_race_kernel_user),
	{}
};

static struct kunit_suite wms_trust_test_suite = {
	.name = "wms_trust",
	.init = wms_trust_test_init,
	.exit = wms_trust_test_exit,
	.test_cases = wms_trust_test_cases,
};

/*
 * The exported API on the global registry: a kernel caller creates a
 * reserved name, finds its own entry again, and wms_is_kernel_entry() says
 * so.
 */
static void wms_trust_api_reserved(struct kunit *test)
{
	struct wms_entry *entry, *again;
	bool created = false;

	entry = wms_add(".kunit-trust", 16, WMS_ADD_EXCL, &created);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(entry), "wms_add: %ld",
			       PTR_ERR(entry));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_TRUE(test, wms_is_kernel_entry(entry));
	KUNIT_EXPECT_EQ(test, entry->mode, 0600);

	again = wms_add(".kunit-trust", 16, 0, &created);
	KUNIT_EXPECT_PTR_EQ(test, again, entry);
	KUNIT_EXPECT_FALSE(test, created);
	if (!IS_ERR(again))
		wms_put(again);
	KUNIT_EXPECT_EQ(test, PTR_ERR(wms_add(".kunit-trust", 16, WMS_ADD_EXCL,
					      NULL)), -EEXIST);
	again = wms_get(".kunit-trust");
	KUNIT_EXPECT_PTR_EQ(test, again, entry);
	if (again)
		KUNIT_EXPECT_TRUE(test, wms_is_kernel_entry(again));
	wms_put(again);
	wms_put(entry);
	KUNIT_EXPECT_EQ(test, wms_remove(".kunit-trust"), 0);
}

/*
 * wms_add_mode() records the mode of the entry it creates (bits outside
 * 0777 dropped) and leaves an existing entry's alone.
 */
static void wms_trust_api_add_mode(struct kunit *test)
{
	struct wms_entry *ro, *rw, *again;
	bool created = false;

	ro = wms_add_mode(".kunit-trust-ro", 1, WMS_ADD_EXCL, 0444, &created);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ro));
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_EQ(test, ro->mode, 0444);
	KUNIT_EXPECT_TRUE(test, uid_eq(ro->uid, GLOBAL_ROOT_UID));
	KUNIT_EXPECT_TRUE(test, gid_eq(ro->gid, GLOBAL_ROOT_GID));
	KUNIT_EXPECT_TRUE(test, wms_is_kernel_entry(ro));

	again = wms_add_mode(".kunit-trust-ro", 1, 0, 0666, &created);
	KUNIT_EXPECT_PTR_EQ(test, again, ro);
	KUNIT_EXPECT_FALSE(test, created);
	KUNIT_EXPECT_EQ(test, ro->mode, 0444);
	if (!IS_ERR(again))
		wms_put(again);

	rw = wms_add_mode("kunit-trust-rw", 1, WMS_ADD_EXCL, S_ISUID | 0664,
			  NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rw));
	KUNIT_EXPECT_EQ(test, rw->mode, 0664);
	wms_put(rw);
	wms_put(ro);
	KUNIT_EXPECT_EQ(test, wms_remove("kunit-trust-rw"), 0);
	KUNIT_EXPECT_EQ(test, wms_remove(".kunit-trust-ro"), 0);
}

/*
 * wms_exists() takes no reference (the count is the same after it), and
 * answers false once the entry is removed, while a reference is still held.
 */
static void wms_trust_api_exists_no_ref(struct kunit *test)
{
	struct wms_entry *entry = wms_add("kunit-trust-exists", 1, 0, NULL);
	unsigned int refs;

	KUNIT_ASSERT_FALSE(test, IS_ERR(entry));
	refs = kref_read(&entry->ref);
	KUNIT_EXPECT_TRUE(test, wms_exists("kunit-trust-exists"));
	KUNIT_EXPECT_EQ(test, kref_read(&entry->ref), refs);

	KUNIT_EXPECT_EQ(test, wms_remove("kunit-trust-exists"), 0);
	KUNIT_EXPECT_FALSE(test, wms_exists("kunit-trust-exists"));
	KUNIT_EXPECT_EQ(test, kref_read(&entry->ref), refs - 1);
	wms_put(entry);
}

static struct kunit_case wms_trust_api_test_cases[] = {
	KUNIT_CASE(wms_trust_api_reserved),
	KUNIT_CASE(wms_trust_api_add_mode),
	KUNIT_CASE(wms_trust_api_exists_no_ref),
	{}
};

static struct kunit_suite wms_trust_api_test_suite = {
	.name = "wms_trust_api",
	.test_cases = wms_trust_api_test_cases,
};

kunit_test_suites(&wms_trust_test_suite, &wms_trust_api_test_suite);

MODULE_LICENSE("GPL");
