// SPDX-License-Identifier: GPL-2.0
/*
 * wms_example: how kernel code uses the wms API of <linux/wms.h>.
 *
 * At load it creates an entry, writes to it, reads it back through a second
 * reference, removes it while that reference is still held, checks that the
 * data stays valid until the last wms_put(), and logs the outcome.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/wms.h>

#define EXAMPLE_NAME	"wms_example"
#define EXAMPLE_SIZE	4096

static const char example_text[] = "hello from the kernel";

static int __init wms_example_init(void)
{
	struct wms_entry *entry, *again;
	bool created;
	int err = -EIO;

	entry = wms_add(EXAMPLE_NAME, EXAMPLE_SIZE, WMS_ADD_EXCL, &created);
	if (IS_ERR(entry)) {
		pr_err("wms_add failed: %pe\n", entry);
		return PTR_ERR(entry);
	}
	memcpy(wms_data(entry), example_text, sizeof(example_text));

	again = wms_get(EXAMPLE_NAME);
	if (!again || wms_size(again) != EXAMPLE_SIZE ||
	    memcmp(wms_data(again), example_text, sizeof(example_text))) {
		pr_err("wms_get did not find what was written\n");
		goto put;
	}
	if (wms_remove(EXAMPLE_NAME) || wms_exists(EXAMPLE_NAME)) {
		pr_err("wms_remove did not remove the entry\n");
		goto put;
	}
	/* Removed, but our references keep the data valid. */
	if (memcmp(wms_data(again), example_text, sizeof(example_text))) {
		pr_err("data changed after removal\n");
		goto put;
	}
	err = 0;
put:
	wms_put(again);
	wms_put(entry);
	if (!err)
		pr_info("ok: created=%d size=%d text=\"%s\"\n", created,
			EXAMPLE_SIZE, example_text);
	return err;
}

static void __exit wms_example_exit(void)
{
	pr_info("unloaded\n");
}

module_init(wms_example_init);
module_exit(wms_example_exit);

MODULE_DESCRIPTION("Example client of the wms kernel API");
MODULE_AUTHOR("The wms developers");
MODULE_LICENSE("GPL");
