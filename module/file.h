/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An open /dev/wms file, and the calls that work once it is attached to an
 * entry: read, write, lseek and mmap.
 */
#ifndef _WMS_FILE_H
#define _WMS_FILE_H

#include <linux/fs.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct vm_area_struct;
struct wms_entry;
struct wms_registry;

/**
 * struct wms_file - the state of one open /dev/wms file
 * @reg: the registry of the IPC namespace the file was opened in (a
 *	reference, dropped at release)
 * @attach_lock: makes ATTACH happen at most once
 * @entry: the attached entry, set once by ATTACH and held until release
 * @writable: whether the attacher had write permission at ATTACH
 */
struct wms_file {
	struct wms_registry *reg;
	spinlock_t attach_lock;		/* serialises ATTACH */
	struct wms_entry *entry;
	bool writable;
};

int wms_file_attach(struct wms_file *wf, struct wms_entry *entry,
		    bool writable);
void wms_file_detach(struct wms_file *wf);

ssize_t wms_file_read(struct file *file, char __user *buf, size_t count,
		      loff_t *ppos);
ssize_t wms_file_write(struct file *file, const char __user *buf,
		       size_t count, loff_t *ppos);
loff_t wms_file_llseek(struct file *file, loff_t offset, int whence);
int wms_file_mmap(struct file *file, struct vm_area_struct *vma);

#endif /* _WMS_FILE_H */
