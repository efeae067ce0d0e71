// SPDX-License-Identifier: GPL-2.0
/*
 * wms_badin_test: the catalogue of malformed calls to /dev/wms (ABI v2, see
 * docs/ABI.md): bad struct pointers, non-zero reserved fields, bad flags,
 * names, commands, buffers and ranges, and which error wins when a call has
 * several faults. One TAP line per case (a variant of the badin fixture):
 * each must fail with its errno and change nothing (the registry snapshot,
 * the probe entry's fields and data).
 *
 * Built static (64-bit and 32-bit) and run as root inside a VM against the
 * real wms.ko.  Uses the kselftest harness; output is TAP. The fixture
 * fails a case that leaves an entry behind.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/wms.h>

#include "wms_util.h"
#include "wms_snap.h"

/* ------------------------------------------------------------------ */
/* badin: catalogue of malformed calls                                 */
/* ------------------------------------------------------------------ */

#define PROBE		"wt.badin.probe"
#define ABSENT		"wt.badin.absent"
#define PROBE_SIZE	4096

struct bctx {
	int fd;
	size_t pg;
	char *hole;	/* an unmapped page */
	char *guard;	/* a PROT_NONE page, the page before it is read-write */
	char *ro;	/* a read-only page */
	__u64 max_entry_size;
	unsigned char scratch[PROBE_SIZE];	/* 0xEE: differs from the probe */
	struct wms_list_entry lbuf[8];
};

/* A copy of *src in the read-only page. */
static void *in_ro(struct bctx *c, const void *src, size_t len)
{
	mprotect(c->ro, c->pg, PROT_READ | PROT_WRITE);
	memcpy(c->ro, src, len);
	mprotect(c->ro, c->pg, PROT_READ);
	return c->ro;
}

/* A copy of *src that ends @inside bytes into the PROT_NONE guard page. */
static void *straddle(struct bctx *c, const void *src, size_t len, size_t inside)
{
	char *p = c->guard - (len - inside);

	memcpy(p, src, len - inside);
	return p;
}

static struct wms_add mk_add(const char *name, __u64 size, __u32 flags, __u32 mode)
{
	struct wms_add a;

	memset(&a, 0, sizeof(a));
	set_field(a.name, name);
	a.size = size;
	a.flags = flags;
	a.mode = mode;
	return a;
}

static struct wms_name mk_name(const char *name)
{
	struct wms_name n;

	memset(&n, 0, sizeof(n));
	set_field(n.name, name);
	return n;
}

static struct wms_info mk_info(const char *name)
{
	struct wms_info i;

	memset(&i, 0, sizeof(i));
	set_field(i.name, name);
	return i;
}

static struct wms_io mk_io(const char *name, __u64 off, const void *buf, __u64 len)
{
	struct wms_io io;

	memset(&io, 0, sizeof(io));
	set_field(io.name, name);
	io.offset = off;
	io.len = len;
	io.buf = UPTR(buf);
	return io;
}

static struct wms_list mk_list(void *ents, __u32 count)
{
	struct wms_list l;

	memset(&l, 0, sizeof(l));
	l.entries = UPTR(ents);
	l.count = count;
	return l;
}

/* 256 bytes, no NUL: starts with @start, padded with @fill */
static void nonul(char *field, const char *start, char fill)
{
	size_t n = strlen(start);

	memset(field, fill, NAME_LEN);
	memcpy(field, start, n > NAME_LEN ? NAME_LEN : n);
}

FIXTURE(badin) {
	struct bctx c;
	void *hole_base, *guard_base;
	struct pass before0, before;
	struct wms_info probe_info;
	unsigned char probe_data[PROBE_SIZE];
};

FIXTURE_VARIANT(badin) {
	int (*fn)(struct bctx *c);
	int err;
};

#define BAD(id, e)							\
	static int bad_##id(struct bctx *c);				\
	FIXTURE_VARIANT_ADD(badin, id) { .fn = bad_##id, .err = (e) };	\
	static int bad_##id(struct bctx *c)

#define KERNEL_PTR	((void *)(uintptr_t)-4096L)

/* --- bad struct pointers: -EFAULT --- */
BAD(add_arg_null, EFAULT) { return xioctl(c->fd, WMS_IOC_ADD, NULL); }
BAD(add_arg_one, EFAULT) { return xioctl(c->fd, WMS_IOC_ADD, (void *)1); }
BAD(add_arg_unmapped, EFAULT) { return xioctl(c->fd, WMS_IOC_ADD, c->hole); }
BAD(add_arg_kernel, EFAULT) { return xioctl(c->fd, WMS_IOC_ADD, KERNEL_PTR); }
BAD(add_arg_straddles_guard, EFAULT)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, WMS_IOC_ADD, straddle(c, &a, sizeof(a), 8));
}
BAD(add_arg_readonly, EFAULT)	/* copy-out fails: the ADD must not stay done */
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, WMS_IOC_ADD, in_ro(c, &a, sizeof(a)));
}
BAD(remove_arg_null, EFAULT) { return xioctl(c->fd, WMS_IOC_REMOVE, NULL); }
BAD(remove_arg_one, EFAULT) { return xioctl(c->fd, WMS_IOC_REMOVE, (void *)1); }
BAD(remove_arg_unmapped, EFAULT) { return xioctl(c->fd, WMS_IOC_REMOVE, c->hole); }
BAD(remove_arg_straddles_guard, EFAULT)
{
	struct wms_name n = mk_name(PROBE);

	return xioctl(c->fd, WMS_IOC_REMOVE, straddle(c, &n, sizeof(n), 4));
}
BAD(info_arg_null, EFAULT) { return xioctl(c->fd, WMS_IOC_INFO, NULL); }
BAD(info_arg_one, EFAULT) { return xioctl(c->fd, WMS_IOC_INFO, (void *)1); }
BAD(info_arg_unmapped, EFAULT) { return xioctl(c->fd, WMS_IOC_INFO, c->hole); }
BAD(info_arg_readonly, EFAULT)
{
	struct wms_info i = mk_info(PROBE);

	return xioctl(c->fd, WMS_IOC_INFO, in_ro(c, &i, sizeof(i)));
}
BAD(read_arg_null, EFAULT) { return xioctl(c->fd, WMS_IOC_READ, NULL); }
BAD(read_arg_one, EFAULT) { return xioctl(c->fd, WMS_IOC_READ, (void *)1); }
BAD(read_arg_unmapped, EFAULT) { return xioctl(c->fd, WMS_IOC_READ, c->hole); }
BAD(read_arg_readonly, EFAULT)
{
	struct wms_io io = mk_io(PROBE, 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_READ, in_ro(c, &io, sizeof(io)));
}
BAD(write_arg_null, EFAULT) { return xioctl(c->fd, WMS_IOC_WRITE, NULL); }
BAD(write_arg_one, EFAULT) { return xioctl(c->fd, WMS_IOC_WRITE, (void *)1); }
BAD(write_arg_unmapped, EFAULT) { return xioctl(c->fd, WMS_IOC_WRITE, c->hole); }
BAD(write_arg_readonly, EFAULT)	/* copy-out fails: the data must not change */
{
	struct wms_io io = mk_io(PROBE, 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, in_ro(c, &io, sizeof(io)));
}
BAD(list_arg_null, EFAULT) { return xioctl(c->fd, WMS_IOC_LIST, NULL); }
BAD(list_arg_one, EFAULT) { return xioctl(c->fd, WMS_IOC_LIST, (void *)1); }
BAD(list_arg_unmapped, EFAULT) { return xioctl(c->fd, WMS_IOC_LIST, c->hole); }
BAD(list_arg_readonly, EFAULT)
{
	struct wms_list l = mk_list(c->lbuf, 8);

	return xioctl(c->fd, WMS_IOC_LIST, in_ro(c, &l, sizeof(l)));
}

/* --- reserved fields non-zero: -EINVAL --- */
BAD(add_reserved0, EINVAL)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	a.reserved[0] = 1;
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(add_reserved1, EINVAL)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	a.reserved[1] = 1ULL << 63;
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(remove_reserved, EINVAL)
{
	struct wms_name n = mk_name(PROBE);

	n.reserved = 1;
	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
#define INFO_RESERVED(k)						\
	BAD(info_reserved##k, EINVAL)					\
	{								\
		struct wms_info i = mk_info(PROBE);			\
									\
		i.reserved[k] = 0x100;					\
		return xioctl(c->fd, WMS_IOC_INFO, &i);			\
	}
INFO_RESERVED(0)
INFO_RESERVED(1)
INFO_RESERVED(2)
INFO_RESERVED(3)
BAD(read_reserved, EINVAL)
{
	struct wms_io io = mk_io(PROBE, 0, c->scratch, 16);

	io.reserved = 1;
	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(write_reserved, EINVAL)
{
	struct wms_io io = mk_io(PROBE, 0, c->scratch, 16);

	io.reserved = 1;
	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(list_reserved0, EINVAL)
{
	struct wms_list l = mk_list(c->lbuf, 8);

	l.reserved0 = 1;
	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(list_reserved_0, EINVAL)
{
	struct wms_list l = mk_list(c->lbuf, 8);

	l.reserved[0] = 1;
	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(list_reserved_1, EINVAL)
{
	struct wms_list l = mk_list(c->lbuf, 8);

	l.reserved[1] = 1;
	return xioctl(c->fd, WMS_IOC_LIST, &l);
}

/* --- ADD flags --- */
#define ADD_FLAGS(id, fl)						\
	BAD(id, EINVAL)							\
	{								\
		struct wms_add a = mk_add(ABSENT, 16, (fl), 0600);	\
									\
		return xioctl(c->fd, WMS_IOC_ADD, &a);			\
	}
ADD_FLAGS(add_flag_bit1, 1u << 1)
ADD_FLAGS(add_flag_bit30, 1u << 30)
ADD_FLAGS(add_flag_created_as_input, WMS_ADD_CREATED)
ADD_FLAGS(add_flag_excl_and_bit1, WMS_ADD_EXCL | (1u << 1))
ADD_FLAGS(add_flag_all_ones, 0xffffffffu)

/* --- names --- */
#define ADD_NAME(id, e, nm)						\
	BAD(id, e)							\
	{								\
		struct wms_add a = mk_add((nm), 16, 0, 0600);		\
									\
		return xioctl(c->fd, WMS_IOC_ADD, &a);			\
	}
ADD_NAME(add_name_empty, EINVAL, "")
ADD_NAME(add_name_slash, EINVAL, "/")
ADD_NAME(add_name_a_slash_b, EINVAL, "wt.badin.a/b")
ADD_NAME(add_name_leading_slash, EINVAL, "/wt.badin.x")
ADD_NAME(add_name_trailing_slash, EINVAL, "wt.badin.x/")
ADD_NAME(add_name_dot, EINVAL, ".")
ADD_NAME(add_name_dotdot, EINVAL, "..")
BAD(add_name_no_nul, ENAMETOOLONG)
{
	struct wms_add a = mk_add("", 16, 0, 0600);

	nonul(a.name, "wt.badin.long", 'x');
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(add_name_no_nul_slashes, ENAMETOOLONG)
{
	struct wms_add a = mk_add("", 16, 0, 0600);

	nonul(a.name, "", '/');
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(remove_name_empty, EINVAL)
{
	struct wms_name n = mk_name("");

	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
BAD(remove_name_dot, EINVAL)
{
	struct wms_name n = mk_name(".");

	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
BAD(remove_name_no_nul, ENAMETOOLONG)	/* probe name + padding: not truncated */
{
	struct wms_name n = mk_name("");

	nonul(n.name, PROBE, 'x');
	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
BAD(info_name_trailing_slash, EINVAL)
{
	struct wms_info i = mk_info(PROBE "/");

	return xioctl(c->fd, WMS_IOC_INFO, &i);
}
BAD(info_name_dotdot, EINVAL)
{
	struct wms_info i = mk_info("..");

	return xioctl(c->fd, WMS_IOC_INFO, &i);
}
BAD(info_name_no_nul, ENAMETOOLONG)
{
	struct wms_info i = mk_info("");

	nonul(i.name, PROBE, 'y');
	return xioctl(c->fd, WMS_IOC_INFO, &i);
}
BAD(read_name_dot, EINVAL)
{
	struct wms_io io = mk_io(".", 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(read_name_no_nul, ENAMETOOLONG)
{
	struct wms_io io = mk_io("", 0, c->scratch, 16);

	nonul(io.name, PROBE, 'z');
	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(write_name_empty, EINVAL)
{
	struct wms_io io = mk_io("", 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(write_name_slash_probe, EINVAL)
{
	struct wms_io io = mk_io("/" PROBE, 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(write_name_no_nul, ENAMETOOLONG)
{
	struct wms_io io = mk_io("", 0, c->scratch, 16);

	nonul(io.name, PROBE, 'w');
	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}

/* --- unknown commands: -ENOTTY --- */
BAD(cmd_io_nr_1f, ENOTTY) { return xioctl(c->fd, _IO(WMS_IOC_MAGIC, 0x1f), NULL); }
BAD(cmd_iowr_nr_07, ENOTTY)
{
	struct wms_name n = mk_name(PROBE);

	return xioctl(c->fd, _IOWR(WMS_IOC_MAGIC, 0x07, struct wms_name), &n);
}
BAD(cmd_add_nr_wms_name_size, ENOTTY)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, _IOWR(WMS_IOC_MAGIC, 0x00, struct wms_name), &a);
}
BAD(cmd_add_nr_ior, ENOTTY)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, _IOR(WMS_IOC_MAGIC, 0x00, struct wms_add), &a);
}
BAD(cmd_add_nr_iow, ENOTTY)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, _IOW(WMS_IOC_MAGIC, 0x00, struct wms_add), &a);
}
BAD(cmd_add_nr_io, ENOTTY)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, _IO(WMS_IOC_MAGIC, 0x00), &a);
}
BAD(cmd_remove_nr_iowr, ENOTTY)
{
	struct wms_name n = mk_name(PROBE);

	return xioctl(c->fd, _IOWR(WMS_IOC_MAGIC, 0x01, struct wms_name), &n);
}
BAD(cmd_read_nr_ior, ENOTTY)
{
	struct wms_io io = mk_io(PROBE, 0, c->scratch, 16);

	return xioctl(c->fd, _IOR(WMS_IOC_MAGIC, 0x03, struct wms_io), &io);
}
BAD(cmd_write_nr_info_size, ENOTTY)
{
	struct { struct wms_io io; char pad[320 - 288]; } x;

	memset(&x, 0, sizeof(x));
	x.io = mk_io(PROBE, 0, c->scratch, 16);
	return xioctl(c->fd, _IOWR(WMS_IOC_MAGIC, 0x04, struct wms_info), &x);
}
BAD(cmd_list_size_plus8, ENOTTY)
{
	struct { struct wms_list l; __u64 pad; } x;

	memset(&x, 0, sizeof(x));
	x.l = mk_list(c->lbuf, 8);
	return xioctl(c->fd, _IOC(_IOC_READ | _IOC_WRITE, WMS_IOC_MAGIC, 0x05, sizeof(x)), &x);
}
BAD(cmd_other_magic, ENOTTY)
{
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	return xioctl(c->fd, _IOWR(0xBA, 0x00, struct wms_add), &a);
}
BAD(cmd_tcgets, ENOTTY)
{
	struct termios tio;

	(void)c;
	return xioctl(c->fd, TCGETS, &tio);
}

/* --- READ/WRITE buffers and ranges (probe is 4096 bytes) --- */
#define IO_CASE(id, e, cmd, off, buf, len)				\
	BAD(id, e)							\
	{								\
		struct wms_io io = mk_io(PROBE, (off), (buf), (len));	\
									\
		return xioctl(c->fd, (cmd), &io);			\
	}
IO_CASE(read_buf_null, EFAULT, WMS_IOC_READ, 0, NULL, 16)
IO_CASE(read_buf_unmapped, EFAULT, WMS_IOC_READ, 0, c->hole, 16)
IO_CASE(read_buf_kernel, EFAULT, WMS_IOC_READ, 0, KERNEL_PTR, 16)
IO_CASE(read_buf_readonly, EFAULT, WMS_IOC_READ, 0, c->ro, 16)
IO_CASE(read_buf_half_mapped, EFAULT, WMS_IOC_READ, 0, c->guard - 100, 200)
IO_CASE(write_buf_null, EFAULT, WMS_IOC_WRITE, 0, NULL, 16)
IO_CASE(write_buf_unmapped, EFAULT, WMS_IOC_WRITE, 0, c->hole, 16)
IO_CASE(write_buf_kernel, EFAULT, WMS_IOC_WRITE, 0, KERNEL_PTR, 16)
BAD(write_buf_half_mapped, EFAULT)	/* all-or-nothing: the probe must not change */
{
	struct wms_io io = mk_io(PROBE, 0, c->guard - 100, 200);

	memset(c->guard - 100, 0xEE, 100);
	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
IO_CASE(read_overflow, EINVAL, WMS_IOC_READ, ~0ULL - 3, c->scratch, 8)
IO_CASE(read_overflow_len_max, EINVAL, WMS_IOC_READ, 1, c->scratch, ~0ULL)
IO_CASE(write_overflow, EINVAL, WMS_IOC_WRITE, ~0ULL - 3, c->scratch, 8)
IO_CASE(write_overflow_len_max, EINVAL, WMS_IOC_WRITE, 1, c->scratch, ~0ULL)
IO_CASE(write_cross_end, EFBIG, WMS_IOC_WRITE, PROBE_SIZE - 6, c->scratch, 16)
IO_CASE(write_at_end_len1, EFBIG, WMS_IOC_WRITE, PROBE_SIZE, c->scratch, 1)
IO_CASE(write_past_end_len0, EFBIG, WMS_IOC_WRITE, PROBE_SIZE + 1, c->scratch, 0)
IO_CASE(write_whole_plus1, EFBIG, WMS_IOC_WRITE, 0, c->scratch, PROBE_SIZE + 1)

/* --- LIST --- */
BAD(list_count0, EINVAL)
{
	struct wms_list l = mk_list(c->lbuf, 0);

	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(list_entries_null, EFAULT)
{
	struct wms_list l = mk_list(NULL, 4);

	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(list_entries_unmapped, EFAULT)
{
	struct wms_list l = mk_list(c->hole, 4);

	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(list_entries_readonly, EFAULT)
{
	struct wms_list l = mk_list(c->ro, 4);

	return xioctl(c->fd, WMS_IOC_LIST, &l);
}

/* --- ADD size / existence / absence --- */
BAD(add_size_max_plus1, EFBIG)
{
	struct wms_add a = mk_add(ABSENT, c->max_entry_size + 1, 0, 0600);

	if (!c->max_entry_size)
		return -1000;	/* parameter unreadable: fail loudly */
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(add_size_u64_max, EFBIG)
{
	struct wms_add a = mk_add(ABSENT, ~0ULL, 0, 0600);

	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(add_excl_existing, EEXIST)
{
	struct wms_add a = mk_add(PROBE, PROBE_SIZE, WMS_ADD_EXCL, 0600);

	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(remove_absent, ENOENT)
{
	struct wms_name n = mk_name(ABSENT);

	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
BAD(remove_probe_prefix, ENOENT)
{
	struct wms_name n = mk_name("wt.badin.prob");

	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
BAD(info_absent, ENOENT)
{
	struct wms_info i = mk_info(ABSENT);

	return xioctl(c->fd, WMS_IOC_INFO, &i);
}
BAD(info_probe_upper_case, ENOENT)
{
	struct wms_info i = mk_info("WT.BADIN.PROBE");

	return xioctl(c->fd, WMS_IOC_INFO, &i);
}
BAD(read_absent, ENOENT)
{
	struct wms_io io = mk_io(ABSENT, 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(write_absent, ENOENT)
{
	struct wms_io io = mk_io(ABSENT, 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(write_probe_trailing_space, ENOENT)
{
	struct wms_io io = mk_io(PROBE " ", 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}

/* --- precedence: copy-in, reserved/flags, name, overflow, lookup, limits --- */
BAD(prec_add_reserved_over_name_too_long, EINVAL)
{
	struct wms_add a = mk_add("", 16, 0, 0600);

	nonul(a.name, "wt.badin.long", 'x');
	a.reserved[0] = 1;
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_add_flags_over_name_too_long, EINVAL)
{
	struct wms_add a = mk_add("", 16, 1u << 5, 0600);

	nonul(a.name, "wt.badin.long", 'x');
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_add_reserved_and_bad_name, EINVAL)
{
	struct wms_add a = mk_add("wt.badin.a/b", 16, 0, 0600);

	a.reserved[1] = 2;
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_info_reserved_over_name_too_long, EINVAL)
{
	struct wms_info i = mk_info("");

	nonul(i.name, PROBE, 'q');
	i.reserved[2] = 1;
	return xioctl(c->fd, WMS_IOC_INFO, &i);
}
BAD(prec_remove_reserved_over_absent, EINVAL)
{
	struct wms_name n = mk_name(ABSENT);

	n.reserved = 1;
	return xioctl(c->fd, WMS_IOC_REMOVE, &n);
}
BAD(prec_read_reserved_over_buf_null, EINVAL)
{
	struct wms_io io = mk_io(PROBE, 0, NULL, 16);

	io.reserved = 1;
	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(prec_name_too_long_over_slash, ENAMETOOLONG)
{
	struct wms_io io = mk_io("", 0, c->scratch, 16);

	nonul(io.name, "wt.badin/a/b", '/');
	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(prec_read_name_too_long_over_overflow, ENAMETOOLONG)
{
	struct wms_io io = mk_io("", ~0ULL, c->scratch, 16);

	nonul(io.name, PROBE, 'o');
	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(prec_read_bad_name_over_absent, EINVAL)
{
	struct wms_io io = mk_io("wt.badin.nope/", 0, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_READ, &io);
}
IO_CASE(prec_write_overflow_over_efbig, EINVAL, WMS_IOC_WRITE, ~0ULL - 7, c->scratch, 16)
BAD(prec_read_overflow_over_absent, EINVAL)
{
	struct wms_io io = mk_io(ABSENT, ~0ULL - 3, c->scratch, 8);

	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(prec_write_overflow_over_absent, EINVAL)
{
	struct wms_io io = mk_io(ABSENT, 8, c->scratch, ~0ULL);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(prec_read_absent_over_buf_null, ENOENT)
{
	struct wms_io io = mk_io(ABSENT, 0, NULL, 16);

	return xioctl(c->fd, WMS_IOC_READ, &io);
}
BAD(prec_write_absent_over_buf_null, ENOENT)
{
	struct wms_io io = mk_io(ABSENT, 0, NULL, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(prec_write_absent_over_past_end, ENOENT)
{
	struct wms_io io = mk_io(ABSENT, 1ULL << 40, c->scratch, 16);

	return xioctl(c->fd, WMS_IOC_WRITE, &io);
}
BAD(prec_add_excl_existing_over_huge_size, EEXIST)
{
	struct wms_add a = mk_add(PROBE, ~0ULL, WMS_ADD_EXCL, 0600);

	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_add_flags_over_excl_existing, EINVAL)
{
	struct wms_add a = mk_add(PROBE, PROBE_SIZE, WMS_ADD_EXCL | (1u << 2), 0600);

	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_add_bad_name_over_huge_size, EINVAL)
{
	struct wms_add a = mk_add("wt.badin.a/b", ~0ULL, 0, 0600);

	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_add_name_too_long_over_huge_size, ENAMETOOLONG)
{
	struct wms_add a = mk_add("", ~0ULL, 0, 0600);

	nonul(a.name, "wt.badin.long", 'x');
	return xioctl(c->fd, WMS_IOC_ADD, &a);
}
BAD(prec_list_count0_over_entries_null, EINVAL)
{
	struct wms_list l = mk_list(NULL, 0);

	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(prec_list_reserved_over_entries_null, EINVAL)
{
	struct wms_list l = mk_list(NULL, 4);

	l.reserved0 = 1;
	return xioctl(c->fd, WMS_IOC_LIST, &l);
}
BAD(prec_copyin_over_reserved, EFAULT)
{
	/* reserved[0] (mapped) is non-zero, but reserved[1] lies in the guard page */
	struct wms_add a = mk_add(ABSENT, 16, 0, 0600);

	a.reserved[0] = 1;
	return xioctl(c->fd, WMS_IOC_ADD, straddle(c, &a, sizeof(a), 8));
}

FIXTURE_SETUP(badin)
{
	struct bctx *c = &self->c;
	__u64 done;
	int r;

	c->fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->fd) TH_LOG("open %s: %s", WMS_DEVICE_PATH, strerror(errno));
	c->pg = page_size();
	self->hole_base = mmap(NULL, 3 * c->pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE((self->hole_base) != MAP_FAILED);
	c->hole = (char *)self->hole_base + c->pg;
	ASSERT_EQ(0, munmap(c->hole, c->pg));
	self->guard_base = mmap(NULL, 3 * c->pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE((self->guard_base) != MAP_FAILED);
	c->guard = (char *)self->guard_base + c->pg;
	ASSERT_EQ(0, mprotect(c->guard, c->pg, PROT_NONE));
	c->ro = c->guard + c->pg;
	ASSERT_EQ(0, mprotect(c->ro, c->pg, PROT_READ));
	memset(c->scratch, 0xEE, sizeof(c->scratch));
	if (param_read("max_entry_size", &c->max_entry_size))
		c->max_entry_size = 0;

	/* an earlier failed setup may have left the probe behind */
	if (!w_remove(c->fd, PROBE))
		TH_LOG("removed a leftover '%s'", PROBE);
	ASSERT_EQ(0, snap_take(c->fd, &self->before0));
	ASSERT_EQ(-ENOENT, w_info(c->fd, ABSENT, NULL)) TH_LOG("leftover '%s'", ABSENT);
	ASSERT_EQ(0, w_add(c->fd, PROBE, PROBE_SIZE, WMS_ADD_EXCL, 0640, NULL));
	fill_pattern(self->probe_data, PROBE_SIZE, 10);
	r = w_write(c->fd, PROBE, 0, self->probe_data, PROBE_SIZE, &done);
	ASSERT_EQ(0, r);
	ASSERT_EQ(0, w_info(c->fd, PROBE, &self->probe_info));
	ASSERT_EQ(0, snap_take(c->fd, &self->before));
}

FIXTURE_TEARDOWN(badin)
{
	struct pass now;

	w_remove(self->c.fd, PROBE);
	if (!snap_take(self->c.fd, &now)) {
		remove_new_entries(self->c.fd, &self->before0, &now);
		pass_free(&now);
	}
	pass_free(&self->before0);
	pass_free(&self->before);
	munmap(self->hole_base, 3 * self->c.pg);
	munmap(self->guard_base, 3 * self->c.pg);
	close(self->c.fd);
}

TEST_F(badin, rejected)
{
	unsigned char got[PROBE_SIZE];
	struct wms_info i;
	struct pass after;
	char why[512];
	int r;

	r = variant->fn(&self->c);
	EXPECT_EQ(-variant->err, r) TH_LOG("expected %s, got %s", errname(variant->err), errname(r));
	/* a failed call changes nothing */
	ASSERT_EQ(0, snap_take(self->c.fd, &after));
	EXPECT_EQ(0, snap_diff(&self->before, &after, why, sizeof(why)))
		TH_LOG("registry changed: %s", why);
	pass_free(&after);
	ASSERT_EQ(0, w_info(self->c.fd, PROBE, &i)) TH_LOG("probe entry gone");
	EXPECT_EQ((ull)self->probe_info.size, (ull)i.size);
	EXPECT_EQ(self->probe_info.mode, i.mode);
	EXPECT_EQ(self->probe_info.uid, i.uid);
	EXPECT_EQ(self->probe_info.gid, i.gid);
	EXPECT_EQ((ull)self->probe_info.ctime_ns, (ull)i.ctime_ns);
	ASSERT_EQ(0, w_read(self->c.fd, PROBE, 0, got, PROBE_SIZE, NULL));
	EXPECT_EQ(0, memcmp(got, self->probe_data, PROBE_SIZE)) TH_LOG("probe data changed");
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static void usage(const char *prog, int code)
{
	fprintf(code ? stderr : stdout,
		"usage: %s [-l] [-v VARIANT]... [-V VARIANT]...\n"
		"  -l          list fixture.variant.test names and exit\n"
		"  -v/-V NAME  run only / skip case NAME (e.g. add_arg_null)\n"
		"Needs root and %s (wms.ko loaded).\n", prog, WMS_DEVICE_PATH);
	exit(code);
}

int main(int argc, char **argv)
{
	static struct filter fl;
	bool list = false;
	__u64 seed = 0;	/* no -s: the cases use fixed data */
	int r;

	parse_args(argc, argv, "hlv:V:", &fl, &list, &seed, usage);
	r = select_tests(&fl, list, argv[0]);
	if (r >= 0)
		return r;
	return test_harness_run(1, argv);
}
