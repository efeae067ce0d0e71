// SPDX-License-Identifier: GPL-2.0
/*
 * IPC namespaces as the keys of the registries table: a registry per IPC
 * namespace, as SysV shm has its segments per IPC namespace.
 *
 * A module has no hook on an IPC namespace's death, and holding a reference
 * to one would keep it alive: put_ipc_ns() is not exported before 6.12, and
 * the namespace would have to be watched for the moment only wms holds it,
 * which no pair of counter reads tells without a race. Instead the key's pin
 * is the namespace's internal mqueue mount, whose superblock points back at
 * the namespace (s_fs_info) for exactly as long as it lives: put_ipc_ns()
 * clears that pointer, under mq_lock, when the last reference goes
 * (mq_clear_sbinfo(), the same test mqueue uses to refuse new queues in a
 * dying namespace). Holding the mount keeps the superblock, not the
 * namespace, and no other namespace can have that mount while it is held.
 * So "dead" is one read, and once true stays true.
 *
 * That needs CONFIG_POSIX_MQUEUE (every distribution kernel has it). Without
 * it a non-initial IPC namespace has no such mount, and /dev/wms refuses to
 * open there (-EOPNOTSUPP) rather than share the initial registry.
 */

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "ipcns.h"
#include "ns.h"

static const void *wms_ipcns_current(void)
{
	return current->nsproxy->ipc_ns;
}

static void *wms_ipcns_pin(const void *key)
{
	const struct ipc_namespace *ns = key;

	if (!IS_ENABLED(CONFIG_POSIX_MQUEUE) || !ns->mq_mnt)
		return ERR_PTR(-EOPNOTSUPP);
	return mntget(ns->mq_mnt);
}

static void wms_ipcns_unpin(void *pin)
{
	mntput(pin);
}

static bool wms_ipcns_dead(const void *key, void *pin)
{
	struct vfsmount *mnt = pin;

	return READ_ONCE(mnt->mnt_sb->s_fs_info) != key;
}

static struct user_namespace *wms_ipcns_user_ns(const void *key)
{
	const struct ipc_namespace *ns = key;

	return ns ? ns->user_ns : &init_user_ns;
}

static unsigned int wms_ipcns_id(const void *key)
{
	const struct ipc_namespace *ns = key;

	return ns ? ns->ns.inum : 0;
}

const struct wms_ns_ops wms_ipcns_ops = {
	.current_key = wms_ipcns_current,
	.pin = wms_ipcns_pin,
	.unpin = wms_ipcns_unpin,
	.dead = wms_ipcns_dead,
	.user_ns = wms_ipcns_user_ns,
	.id = wms_ipcns_id,
};

/**
 * wms_ipcns_initial() - the initial IPC namespace's key
 * @void: no arguments
 *
 * init_ipc_ns itself is not exported before 6.12; init_task's is the same.
 *
 * Return: the key; NULL on a kernel with neither SysV IPC nor POSIX message
 * queues, where every task has that NULL.
 */
const void *wms_ipcns_initial(void)
{
	return init_task.nsproxy->ipc_ns;
}
