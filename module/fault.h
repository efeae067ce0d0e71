/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection at every allocation wms makes on behalf of a caller, so
 * that tests can fail each one in turn (/proc/self/fail-nth, or
 * current->fail_nth in KUnit) and check that nothing changed.
 */
#ifndef _WMS_FAULT_H
#define _WMS_FAULT_H

#include <linux/types.h>

#ifdef CONFIG_FAULT_INJECTION
bool wms_should_fail_alloc(size_t size);
void wms_fault_init(void);
void wms_fault_exit(void);
#else
static inline bool wms_should_fail_alloc(size_t size)
{
	return false;
}

static inline void wms_fault_init(void)
{
}

static inline void wms_fault_exit(void)
{
}
#endif

#endif /* _WMS_FAULT_H */
