// SPDX-License-Identifier: GPL-2.0
/*
 * wms's fault attribute. With CONFIG_FAULT_INJECTION_DEBUG_FS it appears as
 * /sys/kernel/debug/fail_wms (probability, interval, times, verbose, ...);
 * the task's fail-nth counter works either way.
 */

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>

#include "fault.h"

static DECLARE_FAULT_ATTR(wms_fail_alloc);
static struct dentry *wms_fault_dir;

/**
 * wms_should_fail_alloc() - whether to fail the allocation about to be made
 * @size: its size
 *
 * Return: true to fail it.
 */
bool wms_should_fail_alloc(size_t size)
{
	return should_fail(&wms_fail_alloc, size);
}

/**
 * wms_fault_init() - publish the fault attribute in debugfs, if there is one
 */
void wms_fault_init(void)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	wms_fault_dir = fault_create_debugfs_attr("fail_wms", NULL,
						  &wms_fail_alloc);
	if (IS_ERR(wms_fault_dir))
		wms_fault_dir = NULL;
#endif
}

/**
 * wms_fault_exit() - remove what wms_fault_init() published
 */
void wms_fault_exit(void)
{
	debugfs_remove_recursive(wms_fault_dir);
}
