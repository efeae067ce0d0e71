/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wms registry: named, reference-counted blocks of kernel memory.
 *
 * A registry is an object so that the module can own one per namespace and
 * every test can make its own. It knows nothing of the character device, the
 * uapi structs or namespaces: callers pass who creates an entry (struct
 * wms_owner), the limits to apply (struct wms_limits) and the pool the
 * registry shares with others (struct wms_pool), and get entries back.
 */
#ifndef _WMS_REGISTRY_H
#define _WMS_REGISTRY_H

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>

/**
 * struct wms_limits - limits a registry enforces when it creates an entry
 * @max_entries: entries in the registry at most
 * @max_entry_size: bytes of data in one entry at most
 * @max_total_bytes: bytes of data of all entries not yet freed at most, over
 *	all the registries of a pool
 * @max_user_bytes: bytes of data one uid may own at most (see wms_owner.quota)
 * @max_user_entries: entries one uid may have registered at most (likewise)
 *
 * Bytes are charged as each entry's size rounded up to whole pages: that is
 * the memory it pins (see wms_charge_size()).
 *
 * The registry reads the fields with READ_ONCE() at each add, so the owner
 * of the struct may change them at any time (module parameters do).
 */
struct wms_limits {
	unsigned int max_entries;
	unsigned long max_entry_size;
	unsigned long max_total_bytes;
	unsigned long max_user_bytes;
	unsigned int max_user_entries;
};

/**
 * struct wms_owner - who creates an entry
 * @uid: owner recorded in the entry and charged for its bytes
 * @gid: owning group recorded in the entry
 * @mode: permission bits recorded in the entry (& 0777)
 * @quota: whether @uid's quotas (max_user_bytes, max_user_entries) apply
 *	to what it has in the registry
 * @host_quota: whether they apply to what it has in all registries of the
 *	pool together (so that a fresh registry, one per namespace anyone
 *	can make, gives no fresh quota)
 * @kernel: a kernel caller: it may create reserved ('.') names, finds only
 *	entries that kernel callers created, and is charged to no uid's quota
 */
struct wms_owner {
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	bool quota;
	bool host_quota;
	bool kernel;
};

/**
 * struct wms_entry - a named block of kernel memory
 * @node: link in the registry's name index while the entry is registered
 * @ref: references; the registry holds one while the entry is registered
 * @data_lock: makes each read and write of @data atomic against the others
 * @reg: the registry that made the entry (for uncharging its bytes); the
 *	entry holds a reference to it until it is freed
 * @data: zero-filled memory of @size bytes, a page or vmap()ed pages (NULL
 *	if the size is 0)
 * @size: bytes of @data, fixed at creation
 * @id: position in the registry's array and the LIST cursor; never reused
 * @slot: index in the registry's array, or WMS_NO_SLOT once removed
 * @uid: owner
 * @gid: owning group
 * @mode: permission bits
 * @kernel: created by a kernel caller (struct wms_owner.kernel)
 * @attached: open files attached to the entry
 * @mapped: mappings of @data that may exist: counted by mmap before it maps
 *	the first page, until the mapping's last VMA is gone
 * @ctime_ns: creation time, CLOCK_REALTIME
 * @rcu: frees the struct after a grace period (the index is read under RCU)
 * @name_len: strlen(@name)
 * @name: the name, NUL-terminated
 *
 * Everything but @ref, @attached, @mapped, @slot and the contents of @data is fixed
 * once the entry is registered.
 */
struct wms_entry {
	struct rhash_head node;
	struct kref ref;
	struct rw_semaphore data_lock;
	struct wms_registry *reg;
	void *data;
	size_t size;
	u64 id;
	unsigned int slot;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	bool kernel;
	atomic_t attached;
	atomic_t mapped;
	u64 ctime_ns;
	struct rcu_head rcu;
	size_t name_len;
	char name[];
};

#define WMS_NO_SLOT	UINT_MAX

/* Buckets of the per-uid tables: 1 << WMS_USERS_BITS. */
#define WMS_USERS_BITS	6

struct page;

/* Adds the registry refused, counted by errno. */
enum wms_add_failure {
	WMS_FAIL_EPERM,
	WMS_FAIL_EINVAL,
	WMS_FAIL_ENAMETOOLONG,
	WMS_FAIL_EEXIST,
	WMS_FAIL_EFBIG,
	WMS_FAIL_ENOSPC,
	WMS_FAIL_ENOMEM,
	WMS_FAIL_EIDRM,
	WMS_NR_FAILURES
};

/**
 * struct wms_pool - what the registries of one owner share
 * @lock: guards @users and the byte counts (taken inside a registry's
 *	acct_lock)
 * @users: per-uid charged bytes and registered entries over all registries
 *	(struct wms_user), what wms_owner.host_quota bounds
 * @total_bytes: bytes charged for the entries of all registries not yet
 *	freed: what max_total_bytes bounds
 * @pending_bytes: the part of @total_bytes charged for adds not yet done
 * @peak_bytes: the highest @total_bytes less @pending_bytes has been
 * @nr_entries: registered entries of all registries
 * @adds: entries created in all registries
 * @removes: entries removed from all registries
 * @failed: adds refused in all registries, by enum wms_add_failure
 *
 * Initialise with wms_pool_init(); it must outlive its registries.
 */
struct wms_pool {
	spinlock_t lock;		/* guards users and the byte counts */
	DECLARE_HASHTABLE(users, WMS_USERS_BITS);
	u64 total_bytes;
	u64 pending_bytes;
	u64 peak_bytes;
	atomic_t nr_entries;
	atomic64_t adds;
	atomic64_t removes;
	atomic64_t failed[WMS_NR_FAILURES];
};

/**
 * struct wms_registry - the set of WMS entries
 * @lock: serialises every change of the index and the array
 * @index: name -> entry; read under RCU, written under @lock
 * @slots: entries in id order; a removal leaves a NULL hole
 * @nr_slots: slots in use, holes included
 * @capacity: slots allocated
 * @nr_entries: registered entries (non-NULL slots)
 * @next_id: id of the next entry created
 * @limits: limits applied when an entry is created
 * @pool: the pool the registry charges its bytes to, with other registries
 * @user_ns: the user namespace capabilities that override permissions and
 *	quotas are checked against
 * @ref: references: the owner's, one per entry not yet freed, and whatever
 *	the owner's users take (an open file, say)
 * @release: called with the last reference, after the registry is torn down,
 *	to free its storage; may be NULL
 * @retired: set (under @lock) by wms_registry_retire(): no more adds
 * @acct_lock: guards @total_bytes and @users (taken inside @lock, and alone
 *	when the last reference of an entry goes)
 * @total_bytes: bytes charged for all entries not yet freed
 * @peak_bytes: the highest @total_bytes has been
 * @users: per-uid charged bytes and registered entries (struct wms_user)
 * @adds: entries created (under @lock)
 * @removes: entries removed (under @lock)
 * @failed: adds refused, by enum wms_add_failure
 */
struct wms_registry {
	struct mutex lock;		/* serialises changes of index and array */
	struct rhashtable index;
	struct wms_entry **slots;
	unsigned int nr_slots;
	unsigned int capacity;
	unsigned int nr_entries;
	u64 next_id;
	const struct wms_limits *limits;
	struct wms_pool *pool;
	struct user_namespace *user_ns;
	struct kref ref;
	void (*release)(struct wms_registry *reg);
	bool retired;
	spinlock_t acct_lock;		/* guards total_bytes and users */
	u64 total_bytes;
	u64 peak_bytes;
	DECLARE_HASHTABLE(users, WMS_USERS_BITS);
	u64 adds;
	u64 removes;
	atomic64_t failed[WMS_NR_FAILURES];
};

/**
 * struct wms_registry_stats - a consistent snapshot of a registry's counters
 * @nr_entries: registered entries
 * @nr_slots: array slots in use, holes included
 * @capacity: array slots allocated
 * @total_bytes: bytes charged for all entries not yet freed (removed ones
 *	included)
 * @peak_bytes: the highest @total_bytes has been
 * @adds: entries created
 * @removes: entries removed
 * @failed: adds refused, by enum wms_add_failure
 */
struct wms_registry_stats {
	unsigned int nr_entries;
	unsigned int nr_slots;
	unsigned int capacity;
	u64 total_bytes;
	u64 peak_bytes;
	u64 adds;
	u64 removes;
	u64 failed[WMS_NR_FAILURES];
};

int wms_name_check(const char *name);
bool wms_name_reserved(const char *name);
u64 wms_charge_size(u64 size);

void wms_pool_init(struct wms_pool *pool);
void wms_pool_stats(struct wms_pool *pool, struct wms_registry_stats *stats);

int wms_registry_init(struct wms_registry *reg, const struct wms_limits *limits,
		      struct wms_pool *pool, struct user_namespace *user_ns,
		      void (*release)(struct wms_registry *reg));
void wms_registry_ref(struct wms_registry *reg);
void wms_registry_unref(struct wms_registry *reg);
void wms_registry_retire(struct wms_registry *reg);
void wms_registry_destroy(struct wms_registry *reg);

struct wms_entry *wms_registry_add(struct wms_registry *reg, const char *name,
				   size_t size, unsigned int flags,
				   const struct wms_owner *owner, bool *created);
struct wms_entry *wms_registry_get(struct wms_registry *reg, const char *name);
bool wms_registry_exists(struct wms_registry *reg, const char *name);
int wms_registry_unlink(struct wms_registry *reg, struct wms_entry *entry);
int wms_registry_remove(struct wms_registry *reg, const char *name);
unsigned int wms_registry_list(struct wms_registry *reg, u64 *cursor,
			       struct wms_entry **out, unsigned int max);
void wms_registry_stats(struct wms_registry *reg,
			struct wms_registry_stats *stats);
void wms_registry_usage(struct wms_registry *reg, unsigned int *nr_entries,
			u64 *bytes);
u64 wms_registry_user_bytes(struct wms_registry *reg, kuid_t uid);
unsigned int wms_registry_user_entries(struct wms_registry *reg, kuid_t uid);
const char *wms_add_failure_name(enum wms_add_failure failure);

struct page *wms_data_page(struct wms_entry *entry, unsigned long pgoff);

void wms_entry_get(struct wms_entry *entry);
void wms_entry_put(struct wms_entry *entry);

#endif /* _WMS_REGISTRY_H */
