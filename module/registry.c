// SPDX-License-Identifier: GPL-2.0
/*
 * The wms registry: an array of reference-counted entries in creation order,
 * a hash index over their names, a mutex for writers, RCU for lookups, and
 * the byte accounting behind the limits.
 *
 * The array keeps entries ordered by id (ids only grow), so a LIST cursor is
 * just the next id to report and a binary search finds it. A removal leaves a
 * NULL hole; once holes are more than half of the used slots the array is
 * compacted, and reallocated smaller once it is under a quarter full. It
 * grows by doubling. Both are amortised O(1) per add or remove.
 */

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <linux/vmalloc.h>
#include <linux/wms.h>

#include "fault.h"
#include "registry.h"

#define WMS_MIN_SLOTS	16U

/*
 * Entry memory is charged to the creator's memory cgroup. An add the cgroup
 * cannot afford fails with -ENOMEM; it must not invoke the OOM killer.
 */
#define WMS_GFP_ENTRY	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * What one uid has, in one registry (reg->users) or in all registries of a
 * pool (pool->users): bytes charged for its entries not yet freed, and its
 * registered entries. In the table while either is non-zero.
 */
struct wms_user {
	struct hlist_node node;
	kuid_t uid;
	u64 bytes;
	unsigned int entries;
};

static u32 wms_key_hash(const void *data, u32 len, u32 seed)
{
	const char *name = data;

	return jhash(name, strlen(name), seed);
}

static u32 wms_obj_hash(const void *data, u32 len, u32 seed)
{
	const struct wms_entry *entry = data;

	return jhash(entry->name, entry->name_len, seed);
}

static int wms_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct wms_entry *entry = obj;

	return strcmp(entry->name, arg->key);
}

static const struct rhashtable_params wms_index_params = {
	.head_offset = offsetof(struct wms_entry, node),
	.hashfn = wms_key_hash,
	.obj_hashfn = wms_obj_hash,
	.obj_cmpfn = wms_obj_cmp,
	.automatic_shrinking = true,
};

/**
 * wms_name_check() - check a name against the naming rules
 * @name: NUL-terminated within WMS_NAME_MAX + 1 bytes, or not at all
 *
 * Return: 0 for a valid name, -ENAMETOOLONG if there is no NUL within
 * WMS_NAME_MAX + 1 bytes, -EINVAL for "", ".", ".." or a name with a '/'.
 */
int wms_name_check(const char *name)
{
	size_t len = strnlen(name, WMS_NAME_MAX + 1);

	if (len > WMS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

/**
 * wms_name_reserved() - whether a name is reserved for kernel callers
 * @name: a valid name
 *
 * Names that begin with '.' are the kernel's, as for keyrings: user space
 * cannot create one, so a kernel caller that makes one knows it is its own.
 *
 * Return: true for a reserved name.
 */
bool wms_name_reserved(const char *name)
{
	return name[0] == '.';
}

/**
 * wms_charge_size() - the bytes an entry of @size is charged
 * @size: the size of its data
 *
 * Data is whole pages, so that is what it costs and what the limits count:
 * the size rounded up to pages of the running kernel, 0 for 0, and U64_MAX
 * for a size that cannot be rounded (no limit lets it through but U64_MAX).
 *
 * Return: the bytes to charge.
 */
u64 wms_charge_size(u64 size)
{
	if (size > U64_MAX - PAGE_SIZE + 1)
		return U64_MAX;
	return round_up(size, PAGE_SIZE);
}

/* True if @size more bytes on top of @used would pass @limit. */
static bool wms_over_limit(u64 used, u64 size, u64 limit)
{
	return used > limit || size > limit - used;
}

/* The bucket of @uid in a users table (reg->users, pool->users). */
static struct hlist_head *wms_user_bucket(struct hlist_head *table, kuid_t uid)
{
	return &table[hash_min(__kuid_val(uid), WMS_USERS_BITS)];
}

static struct wms_user *wms_user_in(struct hlist_head *bucket, kuid_t uid)
{
	struct wms_user *user;

	hlist_for_each_entry(user, bucket, node)
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

static struct wms_user *wms_user_find(struct wms_registry *reg, kuid_t uid)
{
	lockdep_assert_held(&reg->acct_lock);
	return wms_user_in(wms_user_bucket(reg->users, uid), uid);
}

/* True if one more entry of @bytes would pass a quota of @user's. */
static bool wms_user_over(const struct wms_user *user, u64 bytes,
			  u64 max_bytes, unsigned int max_entries)
{
	return wms_over_limit(user ? user->bytes : 0, bytes, max_bytes) ||
	       (user ? user->entries : 0) >= max_entries;
}

static struct wms_user *wms_user_alloc(void)
{
	struct wms_user *user;

	if (wms_should_fail_alloc(sizeof(*user)))
		return NULL;
	return kzalloc(sizeof(*user), WMS_GFP_ENTRY);
}

/* @user, or else *@fresh made @uid's record in @bucket. */
static struct wms_user *wms_user_take(struct wms_user *user,
				      struct wms_user **fresh,
				      struct hlist_head *bucket, kuid_t uid)
{
	if (user)
		return user;
	user = *fresh;
	*fresh = NULL;
	user->uid = uid;
	hlist_add_head(&user->node, bucket);
	return user;
}

/*
 * Take @bytes and @entries off @uid's record in @bucket. Return the record
 * if that emptied it, unhashed, for the caller to free.
 */
static struct wms_user *wms_user_drop(struct hlist_head *bucket, kuid_t uid,
				      u64 bytes, unsigned int entries)
{
	struct wms_user *user = wms_user_in(bucket, uid);

	if (WARN_ON_ONCE(!user))
		return NULL;
	user->bytes -= bytes;
	user->entries -= entries;
	if (user->bytes || user->entries)
		return NULL;
	hlist_del(&user->node);
	return user;
}

/*
 * Charge @bytes and one entry to the registry, its pool and @owner's uid in
 * both, or fail with -ENOSPC (a limit) or -ENOMEM. The uid's quotas apply
 * in the registry if @owner->quota, and to what it has in all registries of
 * the pool together if @owner->host_quota. A kernel caller's entry is
 * charged to the registry and the pool alone: it is nobody's quota, root's
 * included. Called under reg->lock, so no other charge of this registry
 * runs meanwhile; uncharges, and charges of other registries, may: the pool
 * is checked and charged in one hold of its lock.
 *
 * The bytes stay pending in the pool until wms_charge_done() says whether
 * the entry was made, so that a failed add leaves no peak.
 */
static int wms_charge(struct wms_registry *reg, const struct wms_owner *owner,
		      u64 bytes)
{
	const struct wms_limits *limits = reg->limits;
	struct wms_user *fresh = NULL, *fresh_host = NULL;
	struct wms_user *user = NULL, *host = NULL;
	struct wms_pool *pool = reg->pool;
	unsigned int max_entries;
	u64 max_bytes;
	int err;

	lockdep_assert_held(&reg->lock);
	for (;;) {
		max_bytes = READ_ONCE(limits->max_user_bytes);
		max_entries = READ_ONCE(limits->max_user_entries);
		spin_lock(&reg->acct_lock);
		spin_lock(&pool->lock);
		if (!owner->kernel) {
			user = wms_user_find(reg, owner->uid);
			host = wms_user_in(wms_user_bucket(pool->users,
							   owner->uid),
					   owner->uid);
		}
		/* Every limit first, so a full one allocates nothing. */
		err = 0;
		if ((owner->quota &&
		     wms_user_over(user, bytes, max_bytes, max_entries)) ||
		    (owner->host_quota &&
		     wms_user_over(host, bytes, max_bytes, max_entries)) ||
		    wms_over_limit(pool->total_bytes, bytes,
				   READ_ONCE(limits->max_total_bytes)))
			err = -ENOSPC;
		if (err || owner->kernel ||
		    ((user || fresh) && (host || fresh_host)))
			break;
		spin_unlock(&pool->lock);
		spin_unlock(&reg->acct_lock);
		if (!user && !fresh)
			fresh = wms_user_alloc();
		if (!host && !fresh_host && (user || fresh))
			fresh_host = wms_user_alloc();
		if (!(user || fresh) || !(host || fresh_host)) {
			err = -ENOMEM;
			goto out;
		}
	}
	if (!err) {
		if (!owner->kernel) {
			user = wms_user_take(user, &fresh,
					     wms_user_bucket(reg->users,
							     owner->uid),
					     owner->uid);
			host = wms_user_take(host, &fresh_host,
					     wms_user_bucket(pool->users,
							     owner->uid),
					     owner->uid);
			user->bytes += bytes;
			user->entries++;
			host->bytes += bytes;
			host->entries++;
		}
		reg->total_bytes += bytes;
		pool->total_bytes += bytes;
		pool->pending_bytes += bytes;
	}
	spin_unlock(&pool->lock);
	spin_unlock(&reg->acct_lock);
out:
	kfree(fresh);
	kfree(fresh_host);
	return err;
}

/*
 * Settle a charge of @bytes that wms_charge() left pending: the entry was
 * @made (its bytes now count toward the peaks), or it was not and the
 * caller uncharges them.
 */
static void wms_charge_done(struct wms_registry *reg, u64 bytes, bool made)
{
	struct wms_pool *pool = reg->pool;

	spin_lock(&reg->acct_lock);
	spin_lock(&pool->lock);
	pool->pending_bytes -= bytes;
	if (made) {
		reg->peak_bytes = max(reg->peak_bytes, reg->total_bytes);
		pool->peak_bytes = max(pool->peak_bytes,
				       pool->total_bytes - pool->pending_bytes);
	}
	spin_unlock(&pool->lock);
	spin_unlock(&reg->acct_lock);
}

/*
 * Take back @bytes and @entries of what wms_charge() charged for an entry
 * of @uid (@kernel: a kernel caller's, charged to the registry and pool
 * alone).
 */
static void wms_uncharge(struct wms_registry *reg, kuid_t uid, bool kernel,
			 u64 bytes, unsigned int entries)
{
	struct wms_user *user = NULL, *host = NULL;
	struct wms_pool *pool = reg->pool;

	/* A size-0 entry's last put: its uid's records may be gone already. */
	if (!bytes && !entries)
		return;
	spin_lock(&reg->acct_lock);
	spin_lock(&pool->lock);
	reg->total_bytes -= bytes;
	pool->total_bytes -= bytes;
	if (!kernel) {
		user = wms_user_drop(wms_user_bucket(reg->users, uid), uid,
				     bytes, entries);
		host = wms_user_drop(wms_user_bucket(pool->users, uid), uid,
				     bytes, entries);
	}
	spin_unlock(&pool->lock);
	spin_unlock(&reg->acct_lock);
	kfree(user);
	kfree(host);
}

/*
 * Larger data: zeroed pages, vmap()ed into one range that vfree() frees with
 * its pages and their array (VM_MAP_PUT_PAGES). Not __vmalloc(): on newer
 * kernels (7.2's) a failed __vmalloc() frees its pages from a workqueue, so
 * their memory cgroup charge outlives the -ENOMEM and a smaller ADD right
 * after can fail too. Here every page is freed, and uncharged, before ADD
 * returns. High memory is fine: the data is reached through the mapping.
 */
static void *wms_data_vmap(size_t size)
{
	unsigned long nr = DIV_ROUND_UP(size, PAGE_SIZE), i;
	struct page **pages;
	void *data;

	/* More than RAM (root raised both limits) fails before any page. */
	if (nr > totalram_pages() || nr != (unsigned int)nr)
		return NULL;
	pages = kvmalloc_array(nr, sizeof(*pages), WMS_GFP_ENTRY);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++) {
		/* As vmalloc: a task being killed stops allocating. */
		if (fatal_signal_pending(current))
			goto free_pages;
		pages[i] = alloc_page(WMS_GFP_ENTRY | __GFP_ZERO | __GFP_HIGHMEM);
		if (!pages[i])
			goto free_pages;
		cond_resched();
	}
	data = vmap(pages, nr, VM_MAP | VM_MAP_PUT_PAGES, PAGE_KERNEL);
	if (data)
		return data;
free_pages:
	while (i--)
		__free_page(pages[i]);
	kvfree(pages);
	return NULL;
}

/*
 * Data of up to a page is one page from the page allocator: no vmalloc
 * area, no page-table update and no TLB flush to make or undo, and about
 * 150 bytes less kernel memory per entry. Larger data is vmap()ed pages.
 */
static void *wms_data_alloc(size_t size)
{
	struct page *page;

	if (!size)
		return NULL;
	if (wms_should_fail_alloc(size))
		return NULL;
	if (size > PAGE_SIZE)
		return wms_data_vmap(size);
	page = alloc_page(WMS_GFP_ENTRY | __GFP_ZERO);
	return page ? page_address(page) : NULL;
}

static void wms_data_free(void *data)
{
	if (is_vmalloc_addr(data))
		vfree(data);
	else if (data)
		free_page((unsigned long)data);
}

/**
 * wms_data_page() - the page behind part of an entry's data
 * @entry: a referenced entry of non-zero size
 * @pgoff: a page index below DIV_ROUND_UP(size, PAGE_SIZE)
 *
 * Return: the page, for mapping it into user space.
 */
struct page *wms_data_page(struct wms_entry *entry, unsigned long pgoff)
{
	void *addr = entry->data + (pgoff << PAGE_SHIFT);

	return is_vmalloc_addr(addr) ? vmalloc_to_page(addr) : virt_to_page(addr);
}

static void wms_entry_release(struct kref *ref)
{
	struct wms_entry *entry = container_of(ref, struct wms_entry, ref);

	struct wms_registry *reg = entry->reg;

	wms_uncharge(reg, entry->uid, entry->kernel,
		     wms_charge_size(entry->size), 0);
	wms_data_free(entry->data);
	/* RCU readers of the index may still be comparing its name. */
	kfree_rcu(entry, rcu);
	wms_registry_unref(reg);
}

/**
 * wms_entry_get() - take another reference to an entry
 * @entry: an entry the caller already holds a reference to
 */
void wms_entry_get(struct wms_entry *entry)
{
	kref_get(&entry->ref);
}

/**
 * wms_entry_put() - drop a reference; the last one frees the entry
 * @entry: the entry; may be NULL
 *
 * May sleep (the last reference may free the data with vfree()).
 */
void wms_entry_put(struct wms_entry *entry)
{
	if (entry)
		kref_put(&entry->ref, wms_entry_release);
}

static struct wms_entry **wms_slots_alloc(unsigned int capacity)
{
	if (wms_should_fail_alloc(capacity * sizeof(struct wms_entry *)))
		return NULL;
	return kvmalloc_array(capacity, sizeof(struct wms_entry *),
			      GFP_KERNEL_ACCOUNT);
}

/*
 * Move the registered entries, in order and without holes, to @dst (which
 * may be reg->slots itself), and make it the array of @capacity slots.
 */
static void wms_slots_move(struct wms_registry *reg, struct wms_entry **dst,
			   unsigned int capacity)
{
	unsigned int i, n = 0;

	for (i = 0; i < reg->nr_slots; i++) {
		struct wms_entry *entry = reg->slots[i];

		if (!entry)
			continue;
		entry->slot = n;
		dst[n++] = entry;
	}
	if (dst != reg->slots) {
		kvfree(reg->slots);
		reg->slots = dst;
	}
	reg->nr_slots = n;
	reg->capacity = capacity;
}

/* Make room for one more slot: double what the registered entries need. */
static int wms_slots_grow(struct wms_registry *reg)
{
	u64 want = max_t(u64, WMS_MIN_SLOTS, 2 * ((u64)reg->nr_entries + 1));
	unsigned int capacity = min_t(u64, want, UINT_MAX);
	struct wms_entry **slots;

	if (reg->nr_slots < reg->capacity)
		return 0;
	if (capacity <= reg->nr_entries)
		return -ENOSPC;
	slots = wms_slots_alloc(capacity);
	if (!slots)
		return -ENOMEM;
	wms_slots_move(reg, slots, capacity);
	return 0;
}

/*
 * After a removal: free the array when it holds nothing, compact it once
 * holes are more than half of the used slots, and reallocate it at twice
 * the registered entries once they fill less than a quarter of it. If that
 * smaller array cannot be had, compact in place: a removal never fails.
 */
static void wms_slots_shrink(struct wms_registry *reg)
{
	unsigned int holes = reg->nr_slots - reg->nr_entries;
	unsigned int capacity = reg->capacity;
	struct wms_entry **slots = NULL;

	if (!reg->nr_entries) {
		kvfree(reg->slots);
		reg->slots = NULL;
		reg->nr_slots = 0;
		reg->capacity = 0;
		return;
	}
	if (holes <= reg->nr_slots / 2)
		return;
	if (capacity > WMS_MIN_SLOTS && reg->nr_entries < capacity / 4) {
		capacity = max(WMS_MIN_SLOTS, 2 * reg->nr_entries);
		slots = wms_slots_alloc(capacity);
	}
	if (slots)
		wms_slots_move(reg, slots, capacity);
	else
		wms_slots_move(reg, reg->slots, reg->capacity);
}

/* Index of the first slot, holes skipped, whose entry's id is >= @id. */
static unsigned int wms_slots_seek(struct wms_registry *reg, u64 id)
{
	unsigned int lo = 0, hi = reg->nr_slots;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		unsigned int probe = mid;

		while (probe < hi && !reg->slots[probe])
			probe++;
		if (probe < hi && reg->slots[probe]->id < id)
			lo = probe + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Create and register a new entry; called under reg->lock. */
static struct wms_entry *wms_entry_create(struct wms_registry *reg,
					  const char *name, size_t size,
					  const struct wms_owner *owner)
{
	const struct wms_limits *limits = reg->limits;
	u64 charge = wms_charge_size(size);
	size_t len = strlen(name);
	struct wms_entry *entry;
	int err;

	lockdep_assert_held(&reg->lock);
	if (size > READ_ONCE(limits->max_entry_size))
		return ERR_PTR(-EFBIG);
	if (reg->nr_entries >= READ_ONCE(limits->max_entries))
		return ERR_PTR(-ENOSPC);
	err = wms_charge(reg, owner, charge);
	if (err)
		return ERR_PTR(err);

	err = -ENOMEM;
	if (wms_should_fail_alloc(struct_size(entry, name, len + 1)))
		goto uncharge;
	entry = kzalloc(struct_size(entry, name, len + 1), WMS_GFP_ENTRY);
	if (!entry)
		goto uncharge;
	entry->data = wms_data_alloc(size);
	if (size && !entry->data)
		goto free_entry;

	kref_init(&entry->ref);
	init_rwsem(&entry->data_lock);
	wms_registry_ref(reg);
	entry->reg = reg;
	entry->size = size;
	entry->id = reg->next_id;
	entry->uid = owner->uid;
	entry->gid = owner->gid;
	entry->mode = owner->mode & 0777;
	entry->kernel = owner->kernel;
	atomic_set(&entry->attached, 0);
	atomic_set(&entry->mapped, 0);
	entry->ctime_ns = ktime_get_real_ns();
	entry->name_len = len;
	memcpy(entry->name, name, len + 1);

	/* Last, so that a failure leaves the array as it was. */
	err = wms_slots_grow(reg);
	if (err)
		goto free_data;
	entry->slot = reg->nr_slots;
	err = rhashtable_insert_fast(&reg->index, &entry->node,
				     wms_index_params);
	if (err) {
		err = -ENOMEM;
		goto free_data;
	}
	reg->slots[reg->nr_slots++] = entry;
	reg->nr_entries++;
	reg->next_id++;
	reg->adds++;
	atomic_inc(&reg->pool->nr_entries);
	atomic64_inc(&reg->pool->adds);
	/* Only now: an add that fails after its charge leaves no peak. */
	wms_charge_done(reg, charge, true);
	return entry;

free_data:
	wms_registry_unref(reg);
	wms_data_free(entry->data);
free_entry:
	kfree(entry);
uncharge:
	wms_charge_done(reg, charge, false);
	wms_uncharge(reg, owner->uid, owner->kernel, charge, 1);
	return ERR_PTR(err);
}

static const struct {
	int err;
	const char *name;
} wms_failures[WMS_NR_FAILURES] = {
	[WMS_FAIL_EPERM] = { -EPERM, "EPERM" },
	[WMS_FAIL_EINVAL] = { -EINVAL, "EINVAL" },
	[WMS_FAIL_ENAMETOOLONG] = { -ENAMETOOLONG, "ENAMETOOLONG" },
	[WMS_FAIL_EEXIST] = { -EEXIST, "EEXIST" },
	[WMS_FAIL_EFBIG] = { -EFBIG, "EFBIG" },
	[WMS_FAIL_ENOSPC] = { -ENOSPC, "ENOSPC" },
	[WMS_FAIL_ENOMEM] = { -ENOMEM, "ENOMEM" },
	[WMS_FAIL_EIDRM] = { -EIDRM, "EIDRM" },
};

/**
 * wms_add_failure_name() - the errno name a failure is counted under
 * @failure: the failure
 *
 * Return: its name, e.g. "ENOSPC".
 */
const char *wms_add_failure_name(enum wms_add_failure failure)
{
	return wms_failures[failure].name;
}

static void wms_count_failure(struct wms_registry *reg, long err)
{
	unsigned int i;

	for (i = 0; i < WMS_NR_FAILURES; i++) {
		if (wms_failures[i].err == err) {
			atomic64_inc(&reg->failed[i]);
			atomic64_inc(&reg->pool->failed[i]);
			return;
		}
	}
}

/**
 * wms_registry_add() - find or create an entry
 * @reg: the registry
 * @name: the entry's name (see wms_name_check())
 * @size: bytes of data of a new entry
 * @flags: 0 or WMS_ADD_EXCL
 * @owner: owner, group and mode of a new entry, and whether a quota applies
 * @created: set to whether this call created the entry; may be NULL
 *
 * The lookup and the creation happen under the registry mutex, so two racing
 * adds of one name never make two entries. Limits apply only to a creation.
 * Only a kernel caller (@owner->kernel) creates a reserved name, and it finds
 * only entries that kernel callers created: another is -EEXIST to it, so
 * that user space cannot hand it an entry of its own.
 *
 * Return: a referenced entry, or ERR_PTR(-EINVAL, -ENAMETOOLONG, -EEXIST,
 * -EPERM, -EFBIG, -ENOSPC, -ENOMEM, or -EIDRM once the registry is retired);
 * a failure changes nothing.
 */
struct wms_entry *wms_registry_add(struct wms_registry *reg, const char *name,
				   size_t size, unsigned int flags,
				   const struct wms_owner *owner, bool *created)
{
	struct wms_entry *entry;
	bool made = false;
	int err;

	if (created)
		*created = false;
	/* As /dev/wms checks them: flags, then the name. */
	err = flags & ~WMS_ADD_EXCL ? -EINVAL : wms_name_check(name);
	if (err) {
		wms_count_failure(reg, err);
		return ERR_PTR(err);
	}

	mutex_lock(&reg->lock);
	entry = rhashtable_lookup_fast(&reg->index, name, wms_index_params);
	if (reg->retired) {
		entry = ERR_PTR(-EIDRM);
	} else if (entry && ((flags & WMS_ADD_EXCL) ||
		      (owner->kernel && !entry->kernel))) {
		entry = ERR_PTR(-EEXIST);
	} else if (!entry && !owner->kernel && wms_name_reserved(name)) {
		entry = ERR_PTR(-EPERM);
	} else if (!entry) {
		entry = wms_entry_create(reg, name, size, owner);
		made = !IS_ERR(entry);
	}
	if (!IS_ERR(entry))
		wms_entry_get(entry);
	mutex_unlock(&reg->lock);

	if (IS_ERR(entry))
		wms_count_failure(reg, PTR_ERR(entry));
	if (created)
		*created = made;
	return entry;
}

/**
 * wms_registry_get() - look an entry up by name
 * @reg: the registry
 * @name: NUL-terminated name
 *
 * Lock-free: the index is read under RCU and a reference is taken only if
 * the entry is not already on its way out.
 *
 * Return: a referenced entry, or NULL if no entry has that name.
 */
struct wms_entry *wms_registry_get(struct wms_registry *reg, const char *name)
{
	struct wms_entry *entry;

	rcu_read_lock();
	entry = rhashtable_lookup(&reg->index, name, wms_index_params);
	if (entry && !kref_get_unless_zero(&entry->ref))
		entry = NULL;
	rcu_read_unlock();
	return entry;
}

/**
 * wms_registry_exists() - whether an entry of that name is registered
 * @reg: the registry
 * @name: NUL-terminated name
 *
 * Takes no reference: the answer may be stale as soon as it is given.
 *
 * Return: true if it is, at the moment of the lookup.
 */
bool wms_registry_exists(struct wms_registry *reg, const char *name)
{
	bool found;

	rcu_read_lock();
	found = rhashtable_lookup(&reg->index, name, wms_index_params);
	rcu_read_unlock();
	return found;
}

/*
 * Take @entry out of the index and the array, and out of its owner's count
 * of registered entries; the caller puts the registry's reference.
 */
static void wms_unlink_locked(struct wms_registry *reg, struct wms_entry *entry)
{
	lockdep_assert_held(&reg->lock);
	rhashtable_remove_fast(&reg->index, &entry->node, wms_index_params);
	reg->slots[entry->slot] = NULL;
	entry->slot = WMS_NO_SLOT;
	reg->nr_entries--;
	reg->removes++;
	atomic_dec(&reg->pool->nr_entries);
	atomic64_inc(&reg->pool->removes);
	wms_uncharge(reg, entry->uid, entry->kernel, 0, 1);
	wms_slots_shrink(reg);
}

/**
 * wms_registry_unlink() - remove this very entry, if it is still registered
 * @reg: the registry
 * @entry: an entry the caller holds a reference to
 *
 * Lets a caller check something about the entry it looked up (an owner, say)
 * and then remove exactly that entry, not a newer one of the same name.
 *
 * Return: 0, or -ENOENT if the entry was already removed.
 */
int wms_registry_unlink(struct wms_registry *reg, struct wms_entry *entry)
{
	mutex_lock(&reg->lock);
	if (entry->slot == WMS_NO_SLOT) {
		mutex_unlock(&reg->lock);
		return -ENOENT;
	}
	wms_unlink_locked(reg, entry);
	mutex_unlock(&reg->lock);
	wms_entry_put(entry);
	return 0;
}

/**
 * wms_registry_remove() - remove an entry by name
 * @reg: the registry
 * @name: NUL-terminated name
 *
 * The name is free again at once; the memory goes with the last reference.
 *
 * Return: 0, or -ENOENT if no entry has that name.
 */
int wms_registry_remove(struct wms_registry *reg, const char *name)
{
	struct wms_entry *entry = wms_registry_get(reg, name);
	int err;

	if (!entry)
		return -ENOENT;
	err = wms_registry_unlink(reg, entry);
	wms_entry_put(entry);
	return err;
}

/**
 * wms_registry_list() - take references to the next entries in id order
 * @reg: the registry
 * @cursor: in: the first id to report (0 to start); out: the next one
 * @out: filled with up to @max referenced entries, to be put by the caller
 * @max: capacity of @out
 *
 * An entry registered for the whole walk is reported exactly once however
 * the walk is split up; entries added or removed meanwhile may or may not be.
 *
 * Return: the number of entries stored in @out; 0 when the walk is done.
 */
unsigned int wms_registry_list(struct wms_registry *reg, u64 *cursor,
			       struct wms_entry **out, unsigned int max)
{
	unsigned int i, n = 0;

	mutex_lock(&reg->lock);
	for (i = wms_slots_seek(reg, *cursor); i < reg->nr_slots && n < max;
	     i++) {
		struct wms_entry *entry = reg->slots[i];

		if (!entry)
			continue;
		wms_entry_get(entry);
		out[n++] = entry;
		*cursor = entry->id + 1;
	}
	mutex_unlock(&reg->lock);
	return n;
}

/**
 * wms_registry_stats() - read a registry's counters
 * @reg: the registry
 * @stats: filled with one consistent snapshot
 */
void wms_registry_stats(struct wms_registry *reg,
			struct wms_registry_stats *stats)
{
	unsigned int i;

	mutex_lock(&reg->lock);
	stats->nr_entries = reg->nr_entries;
	stats->nr_slots = reg->nr_slots;
	stats->capacity = reg->capacity;
	stats->adds = reg->adds;
	stats->removes = reg->removes;
	spin_lock(&reg->acct_lock);
	stats->total_bytes = reg->total_bytes;
	stats->peak_bytes = reg->peak_bytes;
	spin_unlock(&reg->acct_lock);
	mutex_unlock(&reg->lock);
	for (i = 0; i < WMS_NR_FAILURES; i++)
		stats->failed[i] = atomic64_read(&reg->failed[i]);
}

/**
 * wms_registry_usage() - what a registry holds, without taking its mutex
 * @reg: the registry
 * @nr_entries: set to its registered entries (a moment's value)
 * @bytes: set to the bytes charged for its entries not yet freed
 *
 * Context: Process context; takes only a spinlock.
 */
void wms_registry_usage(struct wms_registry *reg, unsigned int *nr_entries,
			u64 *bytes)
{
	*nr_entries = READ_ONCE(reg->nr_entries);
	spin_lock(&reg->acct_lock);
	*bytes = reg->total_bytes;
	spin_unlock(&reg->acct_lock);
}

/**
 * wms_registry_user_bytes() - bytes charged to one uid
 * @reg: the registry
 * @uid: the owner
 *
 * Return: the bytes charged for the entries @uid owns that are not yet freed.
 */
u64 wms_registry_user_bytes(struct wms_registry *reg, kuid_t uid)
{
	struct wms_user *user;
	u64 bytes;

	spin_lock(&reg->acct_lock);
	user = wms_user_find(reg, uid);
	bytes = user ? user->bytes : 0;
	spin_unlock(&reg->acct_lock);
	return bytes;
}

/**
 * wms_registry_user_entries() - entries one uid has registered
 * @reg: the registry
 * @uid: the owner
 *
 * Return: the registered entries @uid owns (what max_user_entries bounds).
 */
unsigned int wms_registry_user_entries(struct wms_registry *reg, kuid_t uid)
{
	struct wms_user *user;
	unsigned int entries;

	spin_lock(&reg->acct_lock);
	user = wms_user_find(reg, uid);
	entries = user ? user->entries : 0;
	spin_unlock(&reg->acct_lock);
	return entries;
}

/**
 * wms_pool_init() - make an empty pool
 * @pool: storage for the pool
 */
void wms_pool_init(struct wms_pool *pool)
{
	unsigned int i;

	spin_lock_init(&pool->lock);
	hash_init(pool->users);
	pool->total_bytes = 0;
	pool->pending_bytes = 0;
	pool->peak_bytes = 0;
	atomic_set(&pool->nr_entries, 0);
	atomic64_set(&pool->adds, 0);
	atomic64_set(&pool->removes, 0);
	for (i = 0; i < WMS_NR_FAILURES; i++)
		atomic64_set(&pool->failed[i], 0);
}

/**
 * wms_pool_stats() - read the counters of a pool's registries together
 * @pool: the pool
 * @stats: filled with the sums (@nr_slots and @capacity are 0)
 *
 * Each counter is read on its own: the set is not one snapshot.
 */
void wms_pool_stats(struct wms_pool *pool, struct wms_registry_stats *stats)
{
	unsigned int i;

	memset(stats, 0, sizeof(*stats));
	stats->nr_entries = atomic_read(&pool->nr_entries);
	stats->adds = atomic64_read(&pool->adds);
	stats->removes = atomic64_read(&pool->removes);
	spin_lock(&pool->lock);
	stats->total_bytes = pool->total_bytes;
	stats->peak_bytes = pool->peak_bytes;
	spin_unlock(&pool->lock);
	for (i = 0; i < WMS_NR_FAILURES; i++)
		stats->failed[i] = atomic64_read(&pool->failed[i]);
}

/**
 * wms_registry_init() - make an empty registry
 * @reg: storage for the registry
 * @limits: limits to apply; must outlive the registry
 * @pool: the pool to charge bytes to; must outlive the registry
 * @user_ns: the user namespace whose CAP_SYS_ADMIN overrides permissions
 *	and quotas in the registry; a reference is taken
 * @release: called with the last reference to free @reg; may be NULL
 *
 * The caller holds the one reference: it ends the registry with
 * wms_registry_retire() and wms_registry_unref(), or wms_registry_destroy().
 *
 * Return: 0 or -ENOMEM.
 */
int wms_registry_init(struct wms_registry *reg, const struct wms_limits *limits,
		      struct wms_pool *pool, struct user_namespace *user_ns,
		      void (*release)(struct wms_registry *reg))
{
	unsigned int i;
	int err;

	mutex_init(&reg->lock);
	spin_lock_init(&reg->acct_lock);
	hash_init(reg->users);
	reg->slots = NULL;
	reg->nr_slots = 0;
	reg->capacity = 0;
	reg->nr_entries = 0;
	reg->next_id = 1;
	reg->total_bytes = 0;
	reg->peak_bytes = 0;
	reg->adds = 0;
	reg->removes = 0;
	for (i = 0; i < WMS_NR_FAILURES; i++)
		atomic64_set(&reg->failed[i], 0);
	reg->limits = limits;
	reg->pool = pool;
	reg->retired = false;
	reg->release = release;
	kref_init(&reg->ref);
	err = rhashtable_init(&reg->index, &wms_index_params);
	if (err)
		return err;
	reg->user_ns = get_user_ns(user_ns);
	return 0;
}

/**
 * wms_registry_ref() - take another reference to a registry
 * @reg: a registry the caller holds a reference to
 */
void wms_registry_ref(struct wms_registry *reg)
{
	kref_get(&reg->ref);
}

static void wms_registry_free(struct kref *ref)
{
	struct wms_registry *reg = container_of(ref, struct wms_registry, ref);

	WARN_ONCE(reg->nr_entries || reg->total_bytes || !hash_empty(reg->users),
		  "wms: registry freed with %u entries, %llu bytes\n",
		  reg->nr_entries, reg->total_bytes);
	kvfree(reg->slots);
	rhashtable_destroy(&reg->index);
	put_user_ns(reg->user_ns);
	mutex_destroy(&reg->lock);
	if (reg->release)
		reg->release(reg);
}

/**
 * wms_registry_unref() - drop a reference to a registry
 * @reg: the registry
 *
 * The last reference frees it. Only a retired registry has no owner's
 * reference, so its entries, which hold one each, are gone by then.
 *
 * Context: Process context; may sleep.
 */
void wms_registry_unref(struct wms_registry *reg)
{
	kref_put(&reg->ref, wms_registry_free);
}

/**
 * wms_registry_retire() - remove every entry and refuse new ones
 * @reg: the registry
 *
 * As if every entry were removed: the memory of each lives until its last
 * reference is put. Adds fail with -EIDRM from now on; lookups find nothing.
 * The registry lives until its last reference is dropped.
 *
 * Context: Process context; may sleep.
 */
void wms_registry_retire(struct wms_registry *reg)
{
	struct wms_entry **slots;
	unsigned int i, nr_slots;

	mutex_lock(&reg->lock);
	reg->retired = true;
	slots = reg->slots;
	nr_slots = reg->nr_slots;
	for (i = 0; i < nr_slots; i++) {
		if (!slots[i])
			continue;
		rhashtable_remove_fast(&reg->index, &slots[i]->node,
				       wms_index_params);
		slots[i]->slot = WMS_NO_SLOT;
		reg->removes++;
		atomic_dec(&reg->pool->nr_entries);
		atomic64_inc(&reg->pool->removes);
		wms_uncharge(reg, slots[i]->uid, slots[i]->kernel, 0, 1);
	}
	reg->slots = NULL;
	reg->nr_slots = 0;
	reg->capacity = 0;
	reg->nr_entries = 0;
	mutex_unlock(&reg->lock);

	for (i = 0; i < nr_slots; i++)
		wms_entry_put(slots[i]);
	kvfree(slots);
}

/**
 * wms_registry_destroy() - retire a registry and drop the owner's reference
 * @reg: the registry, with no release function
 *
 * For an owner that expects the registry to be gone at once: every reference
 * other than its own must have been put (an entry must not outlive the
 * registry that accounts for it). One that is not trips a warning.
 */
void wms_registry_destroy(struct wms_registry *reg)
{
	wms_registry_retire(reg);
	WARN_ONCE(!kref_put(&reg->ref, wms_registry_free),
		  "wms: registry still referenced at destroy\n");
}
