// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libwms: wrappers of the /dev/wms ioctls (see libwms.h and the man pages
 * in man/). Every function returns -1 (or NULL) and sets errno on failure.
 * The ioctl structs are filled here, zero-initialised (their reserved
 * fields must be zero), and names are passed to the kernel as they are:
 * the kernel alone decides what is a valid name.
 *
 * Only the functions marked WMS_API are exported (built with
 * -fvisibility=hidden, and libwms.map lists them under LIBWMS_1.0).
 */
#define _GNU_SOURCE
/* lseek() of a 32-bit program must see sizes of 2 GiB and more. */
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libwms.h"

#define WMS_API		__attribute__((visibility("default")))

/* Records fetched by one LIST call of an iterator. */
#define LIST_BATCH	64

struct wms_list_iter {
	int fd;
	int done;		/* LIST said there is no more: stay at the end */
	__u64 cursor;	/* what the next LIST call passes */
	__u32 count;		/* records in ents */
	__u32 next;		/* the next of them to return */
	size_t map_len;		/* the iterator is a private anonymous mapping */
	struct wms_list_entry ents[LIST_BATCH];
};

static int fail(int err)
{
	errno = err;
	return -1;
}

/*
 * @name into a 256-byte name field, zero padded. A name of 256 bytes or more
 * fills the field without a NUL, which the kernel refuses (ENAMETOOLONG).
 */
static int set_name(char *field, const char *name)
{
	size_t n;

	if (!name)
		return fail(EFAULT);
	n = strnlen(name, WMS_NAME_MAX + 1);
	memset(field, 0, WMS_NAME_MAX + 1);
	memcpy(field, name, n);
	return 0;
}

/* The open(2) flags wms_open() and wms_attach() take. */
static int check_flags(int flags)
{
	if ((flags & ~(O_ACCMODE | O_CLOEXEC)) || (flags & O_ACCMODE) == O_ACCMODE)
		return fail(EINVAL);
	return 0;
}

WMS_API int wms_open(int flags)
{
	if (check_flags(flags))
		return -1;
	return open(WMS_DEVICE_PATH, flags);
}

WMS_API int wms_close(int fd)
{
	return close(fd);
}

WMS_API int wms_add(int fd, const char *name, uint64_t size, mode_t mode,
		    unsigned int flags, uint64_t *sizep)
{
	struct wms_add a;

	memset(&a, 0, sizeof(a));
	if (set_name(a.name, name))
		return -1;
	a.size = size;
	a.flags = flags;
	a.mode = mode;
	if (ioctl(fd, WMS_IOC_ADD, &a))
		return -1;
	if (sizep)
		*sizep = a.size;
	return (a.flags & WMS_ADD_CREATED) ? 1 : 0;
}

WMS_API int wms_remove(int fd, const char *name)
{
	struct wms_name n;

	memset(&n, 0, sizeof(n));
	if (set_name(n.name, name))
		return -1;
	return ioctl(fd, WMS_IOC_REMOVE, &n) ? -1 : 0;
}

WMS_API int wms_info(int fd, const char *name, struct wms_info *info)
{
	struct wms_info i;

	if (!info)
		return fail(EFAULT);
	memset(&i, 0, sizeof(i));
	if (set_name(i.name, name))
		return -1;
	if (ioctl(fd, WMS_IOC_INFO, &i))
		return -1;
	*info = i;
	return 0;
}

/* READ or WRITE: 0 and the bytes done in *@done, or -1. */
static int do_io(int fd, unsigned long cmd, const char *name, uint64_t offset,
		 const void *buf, size_t len, __u64 *done)
{
	struct wms_io io;

	memset(&io, 0, sizeof(io));
	if (set_name(io.name, name))
		return -1;
	io.offset = offset;
	io.len = len;
	io.buf = (uintptr_t)buf;
	if (ioctl(fd, cmd, &io))
		return -1;
	*done = io.len;
	return 0;
}

WMS_API ssize_t wms_read(int fd, const char *name, uint64_t offset, void *buf,
			 size_t len)
{
	__u64 done;

	/* As read(2): a request too large for the result is a short read. */
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	if (do_io(fd, WMS_IOC_READ, name, offset, buf, len, &done))
		return -1;
	return done;
}

WMS_API int wms_write(int fd, const char *name, uint64_t offset,
		      const void *buf, size_t len)
{
	__u64 done;

	return do_io(fd, WMS_IOC_WRITE, name, offset, buf, len, &done);
}

WMS_API struct wms_list_iter *wms_list_begin(int fd)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;
	struct wms_list_iter *it;
	size_t len;

	len = (sizeof(*it) + page - 1) / page * page;
	/*
	 * Its own mapping rather than malloc(): no allocator state is
	 * involved, and a failure is always ENOMEM from the kernel.
	 */
	it = mmap(NULL, len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (it == MAP_FAILED)
		return NULL;
	it->fd = fd;
	it->map_len = len;
	return it;
}

WMS_API int wms_list_next(struct wms_list_iter *it,
			  struct wms_list_entry *entry)
{
	struct wms_list l;

	if (!it || !entry)
		return fail(EFAULT);
	if (it->next >= it->count) {
		if (it->done)
			return 0;
		memset(&l, 0, sizeof(l));
		l.cursor = it->cursor;
		l.entries = (uintptr_t)it->ents;
		l.count = LIST_BATCH;
		if (ioctl(it->fd, WMS_IOC_LIST, &l))
			return -1;
		if (!l.count) {
			it->done = 1;
			return 0;
		}
		it->cursor = l.cursor;
		it->count = l.count < LIST_BATCH ? l.count : LIST_BATCH;
		it->next = 0;
	}
	*entry = it->ents[it->next++];
	entry->name[WMS_NAME_MAX] = '\0';
	return 1;
}

WMS_API void wms_list_end(struct wms_list_iter *it)
{
	int err = errno;

	if (it)
		munmap(it, it->map_len);
	errno = err;
}

WMS_API int wms_attach(const char *name, int flags)
{
	struct wms_name n;
	int fd, err;

	memset(&n, 0, sizeof(n));
	if (check_flags(flags) || set_name(n.name, name))
		return -1;
	fd = open(WMS_DEVICE_PATH, flags);
	if (fd < 0)
		return -1;
	if (ioctl(fd, WMS_IOC_ATTACH, &n)) {
		err = errno;
		close(fd);
		return fail(err);
	}
	return fd;
}

WMS_API void *wms_map(const char *name, int prot, size_t *sizep)
{
	void *p = NULL;
	int fd, err;
	off_t end;

	if (!sizep) {
		errno = EFAULT;
		return NULL;
	}
	fd = wms_attach(name, ((prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* The size of the entry attached, whatever the name means by now. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		err = errno;
	} else if (end == 0) {
		err = EINVAL;		/* an entry of size 0 cannot be mapped */
	} else if ((uint64_t)end != (size_t)end) {
		err = EOVERFLOW;	/* larger than this program's address space */
	} else {
		p = mmap(NULL, end, prot, MAP_SHARED, fd, 0);
		err = p == MAP_FAILED ? errno : 0;
	}
	close(fd);
	if (err) {
		errno = err;
		return NULL;
	}
	*sizep = end;
	return p;
}

WMS_API int wms_unmap(void *addr, size_t size)
{
	return munmap(addr, size);
}
