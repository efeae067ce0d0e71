// SPDX-License-Identifier: GPL-2.0
/*
 * wms_demo: a tiny /dev/wms client.
 *
 *   wms_demo put NAME TEXT   ADD NAME (4096 bytes, mode 0644) if absent,
 *                            WRITE TEXT and its NUL at offset 0
 *   wms_demo get NAME        READ NAME, print it up to the first NUL
 *   wms_demo ls              LIST every entry: name, size, uid, gid, mode
 *   wms_demo rm NAME         REMOVE NAME
 *   wms_demo ping NAME [S]   ADD NAME if absent, ATTACH, mmap it, store
 *                            "ping from pid N" in the mapping and wait (S
 *                            seconds at most, default 10; 0: no limit)
 *                            until the mapping says "pong ..."
 *   wms_demo pong NAME       ATTACH NAME, mmap it, print what the mapping
 *                            says and store "pong from pid N" in it
 *
 * Exit status: 0 ok, 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/wms.h>

#define PUT_SIZE	4096
#define PUT_MODE	0644

static const char *prog = "wms_demo";

static int fail(const char *what, const char *name, int err)
{
	if (name)
		fprintf(stderr, "%s: %s %s: %s\n", prog, what, name, strerror(err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	return 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: %s put NAME TEXT | get NAME | ls | rm NAME | ping NAME [SECONDS] | pong NAME\n",
		prog);
	return 2;
}

/* NAME into the 256-byte field; a longer name is passed without a NUL (ENAMETOOLONG). */
static void set_field(char *dst, const char *src)
{
	size_t n = strlen(src);

	memset(dst, 0, WMS_NAME_MAX + 1);
	memcpy(dst, src, n > WMS_NAME_MAX + 1 ? WMS_NAME_MAX + 1 : n);
}

static int open_dev(void)
{
	int fd = open(WMS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail(WMS_DEVICE_PATH, NULL, errno);
	return fd;
}

/* Prints a name with non-printable bytes as \xNN; returns the width printed. */
static int print_name(const char *field)
{
	int w = 0;
	size_t i;

	for (i = 0; i <= WMS_NAME_MAX && field[i]; i++) {
		unsigned char c = field[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			putchar(c);
			w++;
		} else {
			w += printf("\\x%02x", c);
		}
	}
	return w;
}

static int do_put(int fd, const char *name, const char *text)
{
	struct wms_add a;
	struct wms_io io;
	size_t len = strlen(text) + 1;	/* with the NUL, so get stops there */

	memset(&a, 0, sizeof(a));
	set_field(a.name, name);
	a.size = PUT_SIZE;
	a.mode = PUT_MODE;
	if (ioctl(fd, WMS_IOC_ADD, &a))
		return fail("put", name, errno);
	if (len > a.size && len - 1 == a.size)
		len--;		/* exactly fills the entry: no room for the NUL */
	memset(&io, 0, sizeof(io));
	set_field(io.name, name);
	io.offset = 0;
	io.len = len;
	io.buf = (__u64)(uintptr_t)text;
	if (ioctl(fd, WMS_IOC_WRITE, &io))
		return fail("put", name, errno);
	print_name(a.name);
	printf(": %llu bytes written (%s entry of %llu bytes)\n",
	       (unsigned long long)io.len,
	       a.flags & WMS_ADD_CREATED ? "new" : "existing",
	       (unsigned long long)a.size);
	return 0;
}

static int do_get(int fd, const char *name)
{
	struct wms_info info;
	struct wms_io io;
	char *buf;
	size_t n;

	memset(&info, 0, sizeof(info));
	set_field(info.name, name);
	if (ioctl(fd, WMS_IOC_INFO, &info))
		return fail("get", name, errno);
	if (info.size > SIZE_MAX - 1)
		return fail("get", name, EFBIG);
	buf = malloc(info.size + 1);
	if (!buf)
		return fail("get", name, ENOMEM);
	memset(&io, 0, sizeof(io));
	set_field(io.name, name);
	io.len = info.size;
	io.buf = (__u64)(uintptr_t)buf;
	if (ioctl(fd, WMS_IOC_READ, &io)) {
		int e = errno;

		free(buf);
		return fail("get", name, e);
	}
	buf[io.len] = 0;
	n = strlen(buf);
	fwrite(buf, 1, n, stdout);
	putchar('\n');
	free(buf);
	return 0;
}


static int do_ls(int fd)
{
	struct wms_list_entry ents[64];
	struct wms_list l;
	__u64 cursor = 0;
	unsigned long calls = 0;
	__u32 i;

	printf("%-32s %12s %6s %6s %5s\n", "NAME", "SIZE", "UID", "GID", "MODE");
	for (;;) {
		if (++calls > 10000000)
			return fail("ls", NULL, ELOOP);
		memset(&l, 0, sizeof(l));
		l.cursor = cursor;
		l.entries = (__u64)(uintptr_t)ents;
		l.count = 64;
		if (ioctl(fd, WMS_IOC_LIST, &l))
			return fail("ls", NULL, errno);
		if (!l.count)
			break;
		if (l.count > 64)
			return fail("ls", NULL, EOVERFLOW);
		for (i = 0; i < l.count; i++) {
			int w = print_name(ents[i].name);

			/* pad the name column to 32 characters */
			if (w < 32)
				printf("%*s", 32 - w, "");
			printf(" %12llu %6u %6u  %04o\n", (unsigned long long)ents[i].size,
			       ents[i].uid, ents[i].gid, ents[i].mode);
		}
		cursor = l.cursor;
	}
	return 0;
}

static int do_rm(int fd, const char *name)
{
	struct wms_name n;

	memset(&n, 0, sizeof(n));
	set_field(n.name, name);
	if (ioctl(fd, WMS_IOC_REMOVE, &n))
		return fail("rm", name, errno);
	return 0;
}

/* ATTACH @fd to @name and map its first page shared, read-write. */
static char *map_entry(int fd, const char *name, const char *what)
{
	struct wms_name n;
	char *map;

	memset(&n, 0, sizeof(n));
	set_field(n.name, name);
	if (ioctl(fd, WMS_IOC_ATTACH, &n)) {
		fail(what, name, errno);
		return NULL;
	}
	map = mmap(NULL, PUT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fail(what, name, errno);
		return NULL;
	}
	return map;
}

static int do_ping(int fd, const char *name, unsigned long seconds)
{
	volatile char *seen;
	struct wms_add a;
	unsigned long i;
	char *map;

	memset(&a, 0, sizeof(a));
	set_field(a.name, name);
	a.size = PUT_SIZE;
	a.mode = PUT_MODE;
	if (ioctl(fd, WMS_IOC_ADD, &a))
		return fail("ping", name, errno);
	map = map_entry(fd, name, "ping");
	if (!map)
		return 1;
	snprintf(map, PUT_SIZE, "ping from pid %d", (int)getpid());
	printf("[A] stored in my mapping: %s\n", map);
	fflush(stdout);
	seen = map;
	for (i = 0; !seconds || i < 100 * seconds; i++) {
		if (!strncmp((const char *)seen, "pong", 4)) {
			printf("[A] my mapping now says: %s\n", map);
			return 0;
		}
		usleep(10000);
	}
	fprintf(stderr, "%s: ping %s: no pong within %lu s\n", prog, name, seconds);
	return 1;
}

static int do_pong(int fd, const char *name)
{
	char *map = map_entry(fd, name, "pong");

	if (!map)
		return 1;
	printf("[B] my mapping says: %s\n", map);
	snprintf(map, PUT_SIZE, "pong from pid %d", (int)getpid());
	printf("[B] stored in my mapping: %s\n", map);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long seconds = 10;
	const char *cmd;
	int fd, ret;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (!strcmp(cmd, "put") ? argc != 4 :
	    !strcmp(cmd, "get") || !strcmp(cmd, "rm") ||
	    !strcmp(cmd, "pong") ? argc != 3 :
	    !strcmp(cmd, "ping") ? argc != 3 && argc != 4 :
	    !strcmp(cmd, "ls") ? argc != 2 : 1)
		return usage();
	if (!strcmp(cmd, "ping") && argc == 4) {
		char *end;

		errno = 0;
		seconds = strtoul(argv[3], &end, 10);
		if (errno || end == argv[3] || *end || argv[3][0] == '-')
			return usage();
	}
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!strcmp(cmd, "put"))
		ret = do_put(fd, argv[2], argv[3]);
	else if (!strcmp(cmd, "get"))
		ret = do_get(fd, argv[2]);
	else if (!strcmp(cmd, "rm"))
		ret = do_rm(fd, argv[2]);
	else if (!strcmp(cmd, "ping"))
		ret = do_ping(fd, argv[2], seconds);
	else if (!strcmp(cmd, "pong"))
		ret = do_pong(fd, argv[2]);
	else
		ret = do_ls(fd);
	close(fd);
	if (!ret && fflush(stdout))
		ret = fail("stdout", NULL, errno);
	return ret;
}
