// SPDX-License-Identifier: GPL-2.0
/*
 * One registry per namespace, as SysV IPC has one set of ids per IPC
 * namespace. A namespace's registry is made when the namespace first asks
 * for it and lives in the table until the namespace dies; then the reaper
 * retires it (its entries are removed as REMOVE removes them) and drops the
 * table's reference. Open files and entries still in use hold references of
 * their own, so the registry is freed only when the last of them is gone.
 *
 * The table pins no namespace: it would then have to tell when only it holds
 * one, and release it with calls a module may not have (see ipcns.c). A
 * key's pin lets ops->dead() tell, at any later time, that the namespace has
 * died, and guarantees that no other namespace reuses the key meanwhile as
 * far as the table can tell: a dead entry found under a live key is taken
 * out of the table before a new one is made, and the reaper retires it.
 */

#include <linux/err.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/user_namespace.h>

#include "fault.h"
#include "ns.h"

static void wms_ns_release(struct wms_registry *reg)
{
	kfree(container_of(reg, struct wms_ns, reg));
}

/* Make the registry of @key's namespace, with the owner's reference. */
static struct wms_ns *wms_ns_alloc(struct wms_namespaces *nss, const void *key,
				   void *pin, struct user_namespace *user_ns)
{
	struct wms_ns *ns = NULL;
	int err;

	if (!wms_should_fail_alloc(sizeof(*ns)))
		ns = kzalloc(sizeof(*ns), GFP_KERNEL_ACCOUNT);
	if (!ns)
		return ERR_PTR(-ENOMEM);
	err = wms_registry_init(&ns->reg, nss->limits, &nss->pool, user_ns,
				wms_ns_release);
	if (err) {
		kfree(ns);
		return ERR_PTR(err);
	}
	ns->key = key;
	ns->pin = pin;
	return ns;
}

/* Retire @ns, which is out of the table, and drop the table's reference. */
static void wms_ns_retire(struct wms_namespaces *nss, struct wms_ns *ns)
{
	void *pin = ns->pin;

	wms_registry_retire(&ns->reg);
	wms_registry_unref(&ns->reg);
	if (pin)
		nss->ops->unpin(pin);
}

/*
 * Take @ns out of the table onto @dead (a reap's own list, or nss->dead for
 * the next reap), to be retired once nss->lock is dropped: retiring frees
 * every entry (up to max_entries vfree()s) and may unmount, and open() of
 * every namespace, which runs under the misc device mutex, waits for
 * nss->lock.
 */
static void wms_ns_unhash(struct wms_namespaces *nss, struct wms_ns *ns,
			  struct hlist_head *dead)
{
	lockdep_assert_held(&nss->lock);
	hash_del(&ns->node);
	nss->nr--;
	hlist_add_head(&ns->node, dead);
}

/* Retire what wms_ns_unhash() put on @dead. */
static void wms_ns_retire_all(struct wms_namespaces *nss,
			      struct hlist_head *dead)
{
	struct hlist_node *tmp;
	struct wms_ns *ns;

	hlist_for_each_entry_safe(ns, tmp, dead, node) {
		hlist_del(&ns->node);
		wms_ns_retire(nss, ns);
	}
}

static void wms_namespaces_reaper(struct work_struct *work)
{
	struct wms_namespaces *nss = container_of(to_delayed_work(work),
						  struct wms_namespaces,
						  reaper);

	if (wms_namespaces_reap(nss) > 1)
		queue_delayed_work(system_wq, &nss->reaper,
				   round_jiffies_relative(nss->reap_interval));
}

/**
 * wms_namespaces_init() - make the table, with the initial namespace's registry
 * @nss: storage for the table
 * @limits: the limits of every registry; must outlive the table
 * @ops: the keys' operations
 * @initial_key: the initial namespace's key; its registry is never reaped
 * @reap_interval: jiffies between two looks for dead namespaces while any
 *	but the initial one have a registry; 0: only when asked
 *	(wms_namespaces_reap())
 *
 * Return: 0 or -ENOMEM.
 */
int wms_namespaces_init(struct wms_namespaces *nss,
			const struct wms_limits *limits,
			const struct wms_ns_ops *ops, const void *initial_key,
			unsigned long reap_interval)
{
	struct wms_ns *ns;

	mutex_init(&nss->lock);
	mutex_init(&nss->reap_lock);
	hash_init(nss->table);
	INIT_HLIST_HEAD(&nss->dead);
	wms_pool_init(&nss->pool);
	nss->limits = limits;
	nss->ops = ops;
	nss->reap_interval = reap_interval;
	INIT_DELAYED_WORK(&nss->reaper, wms_namespaces_reaper);
	ns = wms_ns_alloc(nss, initial_key, NULL, &init_user_ns);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	ns->id = ops->id(initial_key);
	nss->initial = ns;
	nss->nr = 1;
	return 0;
}

/**
 * wms_namespaces_exit() - retire every registry and end the table
 * @nss: the table
 *
 * Nothing may ask the table for a registry any more. Registries still
 * referenced (open files) are freed with their last reference.
 */
void wms_namespaces_exit(struct wms_namespaces *nss)
{
	HLIST_HEAD(dead);
	struct hlist_node *tmp;
	struct wms_ns *ns;
	unsigned int bkt;

	cancel_delayed_work_sync(&nss->reaper);
	mutex_lock(&nss->lock);
	hlist_move_list(&nss->dead, &dead);
	hash_for_each_safe(nss->table, bkt, tmp, ns, node)
		wms_ns_unhash(nss, ns, &dead);
	mutex_unlock(&nss->lock);
	wms_ns_retire_all(nss, &dead);
	wms_ns_retire(nss, nss->initial);
	nss->initial = NULL;
	nss->nr = 0;
	mutex_destroy(&nss->reap_lock);
	mutex_destroy(&nss->lock);
}

/*
 * The live registry of @key in the table, or NULL; under nss->lock. A dead
 * one found under the key goes onto @dead.
 */
static struct wms_ns *wms_ns_find(struct wms_namespaces *nss, const void *key,
				  struct hlist_head *dead)
{
	struct wms_ns *ns;

	lockdep_assert_held(&nss->lock);
	hash_for_each_possible(nss->table, ns, node, (unsigned long)key) {
		if (ns->key != key)
			continue;
		/*
		 * The caller's namespace is alive: one found dead under its
		 * key is an earlier namespace's, not yet reaped.
		 */
		if (nss->ops->dead(ns->key, ns->pin)) {
			wms_ns_unhash(nss, ns, dead);
			return NULL;
		}
		return ns;
	}
	return NULL;
}

/* Make and enter the registry of @key (alive); under nss->lock. */
static struct wms_ns *wms_ns_create(struct wms_namespaces *nss,
				    const void *key)
{
	const struct wms_ns_ops *ops = nss->ops;
	struct wms_ns *ns;
	void *pin;

	lockdep_assert_held(&nss->lock);
	pin = ops->pin(key);
	if (IS_ERR(pin))
		return ERR_CAST(pin);
	ns = wms_ns_alloc(nss, key, pin, ops->user_ns(key));
	if (IS_ERR(ns)) {
		ops->unpin(pin);
		return ns;
	}
	ns->id = ops->id(key);
	hash_add(nss->table, &ns->node, (unsigned long)key);
	nss->nr++;
	if (nss->reap_interval)
		queue_delayed_work(system_wq, &nss->reaper,
				   round_jiffies_relative(nss->reap_interval));
	return ns;
}

/**
 * wms_namespaces_get() - the registry of a namespace
 * @nss: the table
 * @key: the key of a namespace that is alive for the whole call (the
 *	caller's own, say)
 * @create: make the registry if the namespace has none yet
 *
 * Return: the registry with a reference for the caller, to be dropped with
 * wms_registry_unref(); NULL if it has none and @create is false; or
 * ERR_PTR(-ENOMEM) or the error of ops->pin.
 */
struct wms_registry *wms_namespaces_get(struct wms_namespaces *nss,
					const void *key, bool create)
{
	struct wms_ns *ns;

	if (key == nss->initial->key) {
		wms_registry_ref(&nss->initial->reg);
		return &nss->initial->reg;
	}
	mutex_lock(&nss->lock);
	ns = wms_ns_find(nss, key, &nss->dead);
	if (!ns && create)
		ns = wms_ns_create(nss, key);
	if (!IS_ERR_OR_NULL(ns))
		wms_registry_ref(&ns->reg);
	/*
	 * A dead registry found under the key is out of the table; the
	 * reaper retires it, not this call: open() runs under the misc
	 * device mutex, and retiring waits for the registry's mutex, which
	 * an ADD may hold across a large allocation.
	 */
	if (!hlist_empty(&nss->dead) && nss->reap_interval)
		mod_delayed_work(system_wq, &nss->reaper, 0);
	mutex_unlock(&nss->lock);
	if (IS_ERR_OR_NULL(ns))
		return ERR_CAST(ns);
	return &ns->reg;
}

/**
 * wms_namespaces_current() - the registry of the calling task's namespace
 * @nss: the table
 * @create: make the registry if the namespace has none yet
 *
 * Context: Process context of a task that is not exiting; may sleep.
 * Return: as wms_namespaces_get().
 */
struct wms_registry *wms_namespaces_current(struct wms_namespaces *nss,
					    bool create)
{
	return wms_namespaces_get(nss, nss->ops->current_key(), create);
}

/**
 * wms_namespaces_reap() - retire the registries of namespaces that have died
 * @nss: the table
 *
 * Context: Process context; may sleep.
 * Return: the registries left, the initial one included.
 */
unsigned int wms_namespaces_reap(struct wms_namespaces *nss)
{
	HLIST_HEAD(dead);
	struct hlist_node *tmp;
	struct wms_ns *ns;
	unsigned int bkt, nr;

	/*
	 * Not only nss->lock: a reap that finds nothing because another
	 * (the reaper's) has just taken the dead out must still return
	 * after they are retired.
	 */
	mutex_lock(&nss->reap_lock);
	mutex_lock(&nss->lock);
	hlist_move_list(&nss->dead, &dead);
	hash_for_each_safe(nss->table, bkt, tmp, ns, node)
		if (nss->ops->dead(ns->key, ns->pin))
			wms_ns_unhash(nss, ns, &dead);
	nr = nss->nr;
	mutex_unlock(&nss->lock);
	wms_ns_retire_all(nss, &dead);
	mutex_unlock(&nss->reap_lock);
	return nr;
}

/**
 * wms_namespaces_walk() - call a function on registries of the table
 * @nss: the table
 * @only: the one registry to show (if it is still in the table), or NULL
 *	for all (the initial one first, the others in no particular order)
 * @fn: called with @arg, the namespace's id and its registry, under the
 *	table's mutex: it must not sleep for long, nor take a registry's mutex
 *	(an add may hold it across a large allocation)
 * @arg: passed to @fn
 */
void wms_namespaces_walk(struct wms_namespaces *nss,
			 const struct wms_registry *only,
			 void (*fn)(void *arg, unsigned int id,
				    struct wms_registry *reg),
			 void *arg)
{
	struct wms_ns *ns;
	unsigned int bkt;

	mutex_lock(&nss->lock);
	if (!only || only == &nss->initial->reg)
		fn(arg, nss->initial->id, &nss->initial->reg);
	hash_for_each(nss->table, bkt, ns, node)
		if (!only || only == &ns->reg)
			fn(arg, ns->id, &ns->reg);
	mutex_unlock(&nss->lock);
}
