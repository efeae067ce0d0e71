// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/driver/wms lists the entries like /proc/sysvipc/shm: a header line,
 * then "name size uid gid mode attached" per entry in creation order, with
 * uid/gid in the reader's user namespace. Names may hold any byte but NUL
 * and '/', and the file reaches terminals: every byte outside printable
 * ASCII (0x21..0x7e), and the backslash, is printed as a \ooo escape.
 * Metadata is public, so the file is readable by all.
 *
 * The walk uses the LIST cursor (the seq_file position is the next entry
 * id), so no lock is held between reads and every entry present for the
 * whole read is shown exactly once.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uidgid.h>

#include "compat.h"
#include "proc.h"
#include "registry.h"

static struct wms_registry *wms_proc_registry(struct seq_file *m)
{
	return pde_data(file_inode(m->file));
}

/* Position 0 is the header; position p >= 1 is the first entry id >= p. */
static void *wms_proc_entry(struct seq_file *m, loff_t pos)
{
	struct wms_entry *entry;
	u64 cursor = pos;

	if (!wms_registry_list(wms_proc_registry(m), &cursor, &entry, 1))
		return NULL;
	return entry;
}

static void *wms_proc_start(struct seq_file *m, loff_t *pos)
{
	return *pos ? wms_proc_entry(m, *pos) : SEQ_START_TOKEN;
}

static void *wms_proc_next(struct seq_file *m, void *v, loff_t *pos)
{
	if (v == SEQ_START_TOKEN) {
		*pos = 1;
	} else {
		struct wms_entry *entry = v;

		*pos = entry->id + 1;
		wms_entry_put(entry);
	}
	return wms_proc_entry(m, *pos);
}

static void wms_proc_stop(struct seq_file *m, void *v)
{
	if (v && v != SEQ_START_TOKEN)
		wms_entry_put(v);
}

/* The name with every byte outside 0x21..0x7e, and the backslash, as \ooo. */
static void wms_proc_name(struct seq_file *m, const char *name)
{
	const unsigned char *c;

	for (c = (const unsigned char *)name; *c; c++) {
		if (*c < 0x21 || *c > 0x7e || *c == '\\')
			seq_printf(m, "\\%03o", *c);
		else
			seq_putc(m, *c);
	}
}

static int wms_proc_show(struct seq_file *m, void *v)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct wms_entry *entry = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "name size uid gid mode attached\n");
		return 0;
	}
	wms_proc_name(m, entry->name);
	seq_printf(m, " %zu %u %u %04o %d\n", entry->size,
		   from_kuid_munged(ns, entry->uid),
		   from_kgid_munged(ns, entry->gid), entry->mode,
		   atomic_read(&entry->attached));
	return 0;
}

static const struct seq_operations wms_proc_ops = {
	.start = wms_proc_start,
	.next = wms_proc_next,
	.stop = wms_proc_stop,
	.show = wms_proc_show,
};

/**
 * wms_proc_register() - create /proc/driver/wms for a registry
 * @reg: the registry; must outlive the file
 *
 * Return: 0 or -ENOMEM.
 */
int wms_proc_register(struct wms_registry *reg)
{
	if (!proc_create_seq_data("driver/wms", 0444, NULL, &wms_proc_ops, reg))
		return -ENOMEM;
	return 0;
}

/**
 * wms_proc_unregister() - remove /proc/driver/wms
 */
void wms_proc_unregister(void)
{
	remove_proc_entry("driver/wms", NULL);
}
