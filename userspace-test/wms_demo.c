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
 * Exit status: 0 ok, 1 error, 2 usage. Built on libwms (lib/libwms.h): it
 * makes no ioctl of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libwms.h>

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

static int open_dev(void)
{
	int fd = wms_open(O_RDWR | O_CLOEXEC);

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
	size_t len = strlen(text) + 1;	/* with the NUL, so get stops there */
	uint64_t size;
	int created;

	created = wms_add(fd, name, PUT_SIZE, PUT_MODE, 0, &size);
	if (created < 0)
		return fail("put", name, errno);
	if (len > size && len - 1 == size)
		len--;		/* exactly fills the entry: no room for the NUL */
	if (wms_write(fd, name, 0, text, len))
		return fail("put", name, errno);
	print_name(name);
	printf(": %llu bytes written (%s entry of %llu bytes)\n",
	       (unsigned long long)len, created ? "new" : "existing",
	       (unsigned long long)size);
	return 0;
}

static int do_get(int fd, const char *name)
{
	struct wms_info info;
	ssize_t got;
	char *buf;
	size_t n;

	if (wms_info(fd, name, &info))
		return fail("get", name, errno);
	if (info.size > SIZE_MAX - 1)
		return fail("get", name, EFBIG);
	buf = malloc(info.size + 1);
	if (!buf)
		return fail("get", name, ENOMEM);
	got = wms_read(fd, name, 0, buf, info.size);
	if (got < 0) {
		int e = errno;

		free(buf);
		return fail("get", name, e);
	}
	buf[got] = 0;
	n = strlen(buf);
	fwrite(buf, 1, n, stdout);
	putchar('\n');
	free(buf);
	return 0;
}

static int do_ls(int fd)
{
	struct wms_list_iter *it;
	struct wms_list_entry e;
	int r;

	it = wms_list_begin(fd);
	if (!it)
		return fail("ls", NULL, errno);
	printf("%-32s %12s %6s %6s %5s\n", "NAME", "SIZE", "UID", "GID", "MODE");
	while ((r = wms_list_next(it, &e)) > 0) {
		int w = print_name(e.name);

		/* pad the name column to 32 characters */
		if (w < 32)
			printf("%*s", 32 - w, "");
		printf(" %12llu %6u %6u  %04o\n", (unsigned long long)e.size,
		       e.uid, e.gid, e.mode);
	}
	if (r < 0)
		r = fail("ls", NULL, errno);
	wms_list_end(it);
	return r;
}

static int do_rm(int fd, const char *name)
{
	if (wms_remove(fd, name))
		return fail("rm", name, errno);
	return 0;
}

/*
 * ATTACH a new file to @name and map its first page shared, read-write.
 * The file stays open (the entry counts it as attached) until exit.
 */
static char *map_entry(const char *name, const char *what)
{
	char *map;
	int fd;

	fd = wms_attach(name, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
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
	unsigned long i;
	char *map;

	if (wms_add(fd, name, PUT_SIZE, PUT_MODE, 0, NULL) < 0)
		return fail("ping", name, errno);
	map = map_entry(name, "ping");
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

static int do_pong(const char *name)
{
	char *map = map_entry(name, "pong");

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
		ret = do_pong(argv[2]);
	else
		ret = do_ls(fd);
	wms_close(fd);
	if (!ret && fflush(stdout))
		ret = fail("stdout", NULL, errno);
	return ret;
}
