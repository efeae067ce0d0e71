/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * wms: named blocks of kernel memory shared through /dev/wms (ABI v2; the
 * contract is docs/ABI.md in the wms repository).
 *
 * Every struct uses fixed-width fields, carries user pointers as __u64 and
 * has no implicit padding, so 32-bit and 64-bit programs share one layout.
 * Reserved fields must be zero on input; the kernel zeroes them on output.
 *
 * The ioctl magic 0xB9 (numbers 0x00-0x1F) is unassigned in
 * Documentation/userspace-api/ioctl/ioctl-number.rst of Linux 6.1 and unused
 * by the uapi headers of Linux 6.12.
 */
#ifndef _UAPI_LINUX_WMS_H
#define _UAPI_LINUX_WMS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define WMS_DEVICE_PATH		"/dev/wms"

/* Longest name in bytes, not counting the terminating NUL. */
#define WMS_NAME_MAX		255

/* struct wms_add.flags */
#define WMS_ADD_EXCL		(1U << 0)	/* in: fail with EEXIST if the name exists */
#define WMS_ADD_CREATED		(1U << 31)	/* out: this call created the entry */

struct wms_add {
	char	name[WMS_NAME_MAX + 1];	/* in */
	__u64	size;		/* in: size of a new entry; out: the entry's size */
	__u32	flags;		/* in: WMS_ADD_EXCL; out: WMS_ADD_CREATED */
	__u32	mode;		/* in: permission bits (& 0777); 0 means 0600 */
	__u64	reserved[2];
};

struct wms_name {
	char	name[WMS_NAME_MAX + 1];
	__u64	reserved;
};

struct wms_info {
	char	name[WMS_NAME_MAX + 1];	/* in */
	__u64	size;
	__u32	uid;		/* owner, in the caller's user namespace */
	__u32	gid;
	__u32	mode;
	__u32	attached;	/* open files attached to the entry */
	__u64	ctime_ns;	/* creation time, CLOCK_REALTIME */
	__u64	reserved[4];
};

struct wms_io {
	char	name[WMS_NAME_MAX + 1];
	__u64	offset;
	__u64	len;		/* in: bytes asked; out: bytes done */
	__u64	buf;		/* user pointer */
	__u64	reserved;
};

struct wms_list_entry {
	char	name[WMS_NAME_MAX + 1];
	__u64	size;
	__u32	uid;
	__u32	gid;
	__u32	mode;
	__u32	reserved;
};

struct wms_list {
	__u64	cursor;		/* in: 0 to start, else the last one returned; out: next */
	__u64	entries;	/* user pointer to struct wms_list_entry[count] */
	__u32	count;		/* in: capacity (> 0); out: entries filled, 0 = done */
	__u32	reserved0;
	__u64	total;		/* out: entries in the file's registry now */
	__u64	reserved[2];
};

#define WMS_IOC_MAGIC		0xB9

#define WMS_IOC_ADD		_IOWR(WMS_IOC_MAGIC, 0x00, struct wms_add)
#define WMS_IOC_REMOVE		_IOW(WMS_IOC_MAGIC, 0x01, struct wms_name)
#define WMS_IOC_INFO		_IOWR(WMS_IOC_MAGIC, 0x02, struct wms_info)
#define WMS_IOC_READ		_IOWR(WMS_IOC_MAGIC, 0x03, struct wms_io)
#define WMS_IOC_WRITE		_IOWR(WMS_IOC_MAGIC, 0x04, struct wms_io)
#define WMS_IOC_LIST		_IOWR(WMS_IOC_MAGIC, 0x05, struct wms_list)
#define WMS_IOC_ATTACH		_IOW(WMS_IOC_MAGIC, 0x06, struct wms_name)

#endif /* _UAPI_LINUX_WMS_H */
