/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libwms: the C library of wms, named blocks of kernel memory shared by
 * name through /dev/wms (the wms kernel module, ABI v2; the contract is
 * docs/ABI.md of the wms sources, the structs are <linux/wms.h>).
 *
 * Link with -lwms (pkg-config --cflags --libs wms). One man page per
 * function: wms_open(3), wms_close(3), wms_add(3), wms_remove(3),
 * wms_info(3), wms_read(3), wms_write(3), wms_list_begin(3),
 * wms_list_next(3), wms_list_end(3), wms_attach(3), wms_map(3),
 * wms_unmap(3); libwms(3) is the overview.
 *
 * Errors: -1 and errno. Every function that can fail returns -1
 * (wms_list_begin() and wms_map(): NULL) and sets errno, as the system
 * calls it is made of do; none returns a negative errno (the liburing
 * convention). Each function is one or two system calls on /dev/wms, whose
 * errors docs/ABI.md specifies as errno values per ioctl; with errno a
 * caller handles libwms as it handles open(2), ioctl(2) and mmap(2),
 * perror() and strerror(errno) work unchanged, the functions that return a
 * file descriptor, a byte count or a pointer need no out-parameter, and
 * bindings that expect errno get it (Python's ctypes with use_errno, which
 * the wms Python module uses). liburing returns -errno because most of its
 * results come back through a completion ring, not through a system call's
 * errno; libwms has no such path. errno is meaningful only after a failure.
 *
 * Names are C strings: 1 to WMS_NAME_MAX (255) bytes, no '/', not "." or
 * "..". libwms passes them to the kernel unchanged, and the kernel judges
 * them: a longer name fails with ENAMETOOLONG, a bad one with EINVAL, and
 * a name beginning with '.' (reserved for kernel code) cannot be created.
 *
 * Thread safety: every function may be called from any thread at any
 * time, except that one iterator of wms_list_begin() must not be used by
 * two threads at once.
 */
#ifndef LIBWMS_H
#define LIBWMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/wms.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBWMS_VERSION_MAJOR	1
#define LIBWMS_VERSION_MINOR	0

/* An iterator over the entries (wms_list_begin()); its contents are private. */
struct wms_list_iter;

/* Open /dev/wms: flags O_RDONLY, O_WRONLY or O_RDWR, optionally O_CLOEXEC. */
int wms_open(int flags);

/* Close a file of wms_open() or wms_attach(): close(2). */
int wms_close(int fd);

/*
 * Create the entry @name of @size zero bytes with permission bits @mode
 * (& 0777; 0 means 0600), or find the existing one; @flags 0 or
 * WMS_ADD_EXCL (an existing name fails with EEXIST). Returns 1 if this call
 * created the entry, 0 if it existed; *@sizep (if not NULL) is the entry's
 * size, which for an existing entry may differ from @size.
 */
int wms_add(int fd, const char *name, uint64_t size, mode_t mode,
	    unsigned int flags, uint64_t *sizep);

/* Remove the entry @name (its owner or CAP_SYS_ADMIN): 0 or -1. */
int wms_remove(int fd, const char *name);

/* Size, owner, group, mode, attached files, creation time of @name into *@info. */
int wms_info(int fd, const char *name, struct wms_info *info);

/*
 * Copy up to @len bytes of @name's data at @offset into @buf, atomically.
 * Returns the bytes copied: fewer than @len across the end, 0 at or past it.
 */
ssize_t wms_read(int fd, const char *name, uint64_t offset, void *buf,
		 size_t len);

/* Copy @len bytes of @buf into @name's data at @offset: all (0) or nothing (-1). */
int wms_write(int fd, const char *name, uint64_t offset, const void *buf,
	      size_t len);

/*
 * Walk the entries: wms_list_begin() returns an iterator (NULL and errno on
 * failure), each wms_list_next() fills *@entry with the next entry and
 * returns 1, then 0 at the end, -1 on an error; wms_list_end() frees it.
 * Every entry registered for the whole walk is reported exactly once.
 */
struct wms_list_iter *wms_list_begin(int fd);
int wms_list_next(struct wms_list_iter *it, struct wms_list_entry *entry);
void wms_list_end(struct wms_list_iter *it);

/*
 * Open a new /dev/wms file (flags as wms_open()) attached to @name, for
 * read(2), write(2), lseek(2) and mmap(2) of the entry's data. Returns the
 * file descriptor.
 */
int wms_attach(const char *name, int flags);

/*
 * Map all of @name's data shared, with protection @prot (PROT_READ,
 * PROT_WRITE). Returns the address and stores the size in *@sizep; NULL on
 * failure. The mapping keeps the memory alive after the entry's removal;
 * wms_unmap(addr, size) ends it.
 */
void *wms_map(const char *name, int prot, size_t *sizep);
int wms_unmap(void *addr, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* LIBWMS_H */
