// SPDX-License-Identifier: GPL-2.0
/*
 * wms_example: how kernel code publishes data to user space with the wms
 * API of <linux/wms.h>.
 *
 * At load it creates ".wms_example", readable by every user (mode 0444) and
 * writable by none: the name begins with '.', so only kernel code can have
 * created it, and wms_add_mode() with WMS_ADD_EXCL fails rather than hand
 * over an entry someone else made. It writes a text into the entry, checks
 * through a second reference from wms_get() that the entry is the kernel's
 * and holds the text, and keeps the entry published until it is unloaded:
 *
 *	$ wmsctl read .wms_example
 *	hello from the kernel
 *
 * At unload it removes the entry and puts its reference; a reader that
 * still has the entry attached or mapped keeps the memory until it lets go.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/wms.h>

#define EXAMPLE_NAME	".wms_example"
#define EXAMPLE_SIZE	4096

static const char example_text[] = "hello from the kernel\n";
static struct wms_entry *example_entry;

static int __init wms_example_init(void)
{
	struct wms_entry *entry, *again;
	bool created;

	entry = wms_add_mode(EXAMPLE_NAME, EXAMPLE_SIZE, WMS_ADD_EXCL, 0444,
			     &created);
	if (IS_ERR(entry)) {
		pr_err("wms_add_mode(%s) failed: %pe\n", EXAMPLE_NAME, entry);
		return PTR_ERR(entry);
	}
	/* User space can only read it: no one else writes it meanwhile. */
	memcpy(wms_data(entry), example_text, sizeof(example_text));

	again = wms_get(EXAMPLE_NAME);
	if (again != entry || !wms_is_kernel_entry(again) ||
	    wms_size(again) != EXAMPLE_SIZE ||
	    memcmp(wms_data(again), example_text, sizeof(example_text))) {
		pr_err("wms_get did not find the kernel's entry\n");
		wms_put(again);
		wms_remove(EXAMPLE_NAME);
		wms_put(entry);
		return -EIO;
	}
	wms_put(again);
	example_entry = entry;
	pr_info("ok: published %s (created=%d size=%d mode 0444)\n",
		EXAMPLE_NAME, created, EXAMPLE_SIZE);
	return 0;
}

static void __exit wms_example_exit(void)
{
	/* The name goes now; the memory with the last reference. */
	wms_remove(EXAMPLE_NAME);
	wms_put(example_entry);
	pr_info("unloaded, %s removed\n", EXAMPLE_NAME);
}

module_init(wms_example_init);
module_exit(wms_example_exit);

MODULE_DESCRIPTION("Example client of the wms kernel API");
MODULE_AUTHOR("The wms developers");
MODULE_LICENSE("GPL");
