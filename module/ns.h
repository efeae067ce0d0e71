/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One registry per namespace: a table from namespace keys to registries,
 * with the pool (host-wide accounting) they share, and a reaper that retires
 * the registry of a namespace once it has died. What a key is, how it is
 * pinned and how its death shows are the caller's (struct wms_ns_ops), so
 * the table can be tested with keys of its own.
 */
#ifndef _WMS_NS_H
#define _WMS_NS_H

#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "registry.h"

struct user_namespace;

/**
 * struct wms_ns_ops - what the table needs to know of its keys
 * @current_key: the key of the calling task's namespace
 * @pin: called with @key alive (the caller is in it): take whatever @dead
 *	needs to tell, later, whether the namespace has died, without keeping
 *	it alive; return it or an ERR_PTR()
 * @unpin: release what @pin took
 * @dead: whether the namespace of @key, pinned as @pin, has died; once true,
 *	never false again. Called under the table's mutex.
 * @user_ns: the user namespace that owns the namespace of @key (alive)
 * @id: a number that names the namespace of @key (alive) to an admin
 */
struct wms_ns_ops {
	const void *(*current_key)(void);
	void *(*pin)(const void *key);
	void (*unpin)(void *pin);
	bool (*dead)(const void *key, void *pin);
	struct user_namespace *(*user_ns)(const void *key);
	unsigned int (*id)(const void *key);
};

/**
 * struct wms_ns - the registry of one namespace
 * @reg: the registry
 * @node: link in the table while the namespace lives
 * @key: the namespace's key; compared, never dereferenced by the table
 * @pin: what ops->pin returned (NULL for the initial namespace)
 * @id: what ops->id returned
 */
struct wms_ns {
	struct wms_registry reg;
	struct hlist_node node;
	const void *key;
	void *pin;
	unsigned int id;
};

/**
 * struct wms_namespaces - the registries of all namespaces
 * @lock: guards @table, @nr and @dead; taken outside any registry's lock
 * @table: the live namespaces' registries, by key
 * @nr: registries in @table, the initial one included
 * @dead: registries that wms_namespaces_get() found dead and took out of
 *	@table, for the next wms_namespaces_reap() to retire
 * @initial: the initial namespace's registry: made at init, never reaped
 * @pool: the accounting all registries share (max_total_bytes)
 * @limits: the limits of every registry
 * @ops: the keys' operations
 * @reap_lock: held by a reap from taking registries out of @table until
 *	they are retired, so that a reap returns only once every registry
 *	found dead before it began is retired, whoever found it
 * @reaper: retires the registries of dead namespaces while any other than
 *	the initial one exist, and at once when wms_namespaces_get() has put
 *	one on @dead
 * @reap_interval: jiffies between two runs of @reaper; 0: never run it
 *	(wms_namespaces_reap() only)
 */
struct wms_namespaces {
	struct mutex lock;		/* guards table, nr and dead */
	DECLARE_HASHTABLE(table, 8);
	unsigned int nr;
	struct hlist_head dead;
	struct wms_ns *initial;
	struct wms_pool pool;
	const struct wms_limits *limits;
	const struct wms_ns_ops *ops;
	struct mutex reap_lock;		/* a reap, from unhash to retired */
	struct delayed_work reaper;
	unsigned long reap_interval;
};

int wms_namespaces_init(struct wms_namespaces *nss,
			const struct wms_limits *limits,
			const struct wms_ns_ops *ops, const void *initial_key,
			unsigned long reap_interval);
void wms_namespaces_exit(struct wms_namespaces *nss);
struct wms_registry *wms_namespaces_get(struct wms_namespaces *nss,
					const void *key, bool create);
struct wms_registry *wms_namespaces_current(struct wms_namespaces *nss,
					    bool create);
unsigned int wms_namespaces_reap(struct wms_namespaces *nss);
void wms_namespaces_walk(struct wms_namespaces *nss,
			 const struct wms_registry *only,
			 void (*fn)(void *arg, unsigned int id,
				    struct wms_registry *reg),
			 void *arg);

/**
 * wms_namespaces_initial() - the initial namespace's registry
 * @nss: the table
 *
 * Return: the registry, which lives as long as the table.
 */
static inline struct wms_registry *
wms_namespaces_initial(struct wms_namespaces *nss)
{
	return &nss->initial->reg;
}

#endif /* _WMS_NS_H */
