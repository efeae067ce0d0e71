// SPDX-License-Identifier: GPL-2.0
/*
 * wms_load: a mixed load on /dev/wms for the endurance run.
 *
 *   wms_load [-t THREADS] [-s SECONDS] [-n NAMES] [-p PREFIX]
 *
 * THREADS (default 8) threads do random ADD (sizes 0..64 KiB, sometimes
 * WMS_ADD_EXCL), WRITE, READ, INFO, LIST walks, REMOVE, open+close, and
 * open+ATTACH with read/write/lseek and a mapping that is written, read
 * back and unmapped, on NAMES (default 48) names "PREFIX<n>" (default
 * "load."), for SECONDS (default 60). Errors the contract allows for a race
 * (ENOENT of a name another thread removed, EEXIST of an exclusive ADD,
 * EFBIG of a write past a smaller entry of the same name) are expected;
 * any other error is counted as unexpected. At the end every entry with the
 * prefix is removed.
 *
 * Prints one line "# wms_load: ..." with the operation counts; exit status
 * 0 if nothing unexpected happened, 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/wms.h>

#define DEV	"/dev/wms"
#define MAXSZ	(64 * 1024)
#define UPTR(p)	((__u64)(uintptr_t)(p))

enum { O_ADD, O_WRITE, O_READ, O_INFO, O_LIST, O_REMOVE, O_OPEN, O_ATTACH, NOPS };
static const char *const op_name[NOPS] = {
	"add", "write", "read", "info", "list", "remove", "open", "attach+mmap",
};

static int nthreads = 8, seconds = 60, nnames = 48;
static const char *prefix = "load.";
static struct timespec deadline;
static atomic_ulong ops[NOPS], unexpected;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void report(const char *what, const char *name, int err)
{
	unsigned long n = atomic_fetch_add(&unexpected, 1);

	if (n < 20) {
		pthread_mutex_lock(&log_lock);
		printf("# wms_load: unexpected: %s %s: %s\n", what, name, strerror(err));
		fflush(stdout);
		pthread_mutex_unlock(&log_lock);
	}
}

static bool past_deadline(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void set_name(char *dst, const char *src)
{
	memset(dst, 0, WMS_NAME_MAX + 1);
	strncpy(dst, src, WMS_NAME_MAX);
}

static int list_walk(int fd)
{
	static __thread struct wms_list_entry le[32];
	struct wms_list l;

	memset(&l, 0, sizeof(l));
	for (;;) {
		l.entries = UPTR(le);
		l.count = 32;
		if (ioctl(fd, WMS_IOC_LIST, &l))
			return errno;
		if (!l.count)
			return 0;
	}
}

static void attach_op(const char *name, uint64_t *seed, unsigned char *buf)
{
	struct wms_name an;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	off_t size;
	size_t len;
	void *p;

	if (fd < 0) {
		report("open", DEV, errno);
		return;
	}
	memset(&an, 0, sizeof(an));
	set_name(an.name, name);
	if (ioctl(fd, WMS_IOC_ATTACH, &an)) {
		if (errno != ENOENT)
			report("ATTACH", name, errno);
		close(fd);
		return;
	}
	/* The attached entry's own size, whatever is registered by now. */
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		report("lseek", name, errno);
		close(fd);
		return;
	}
	if (size > 0) {
		len = 1 + rnd(seed) % size;
		if (pread(fd, buf, len, 0) != (ssize_t)len)
			report("pread", name, errno);
		if (pwrite(fd, buf, len, size - len) != (ssize_t)len)
			report("pwrite", name, errno);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			report("mmap", name, errno);
		} else {
			volatile unsigned char *c = p;

			c[0] = c[size - 1] + 1;
			if (munmap(p, size))
				report("munmap", name, errno);
		}
	}
	close(fd);
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1) ^ (uint64_t)time(NULL);
	static __thread unsigned char buf[MAXSZ];
	char name[64];
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		report("open", DEV, errno);
		return NULL;
	}
	memset(buf, (int)(uintptr_t)arg, sizeof(buf));
	while (!past_deadline()) {
		int op = rnd(&seed) % NOPS, r;
		struct wms_add add;
		struct wms_name nm;
		struct wms_info info;
		struct wms_io io;

		snprintf(name, sizeof(name), "%s%u", prefix,
			 (unsigned int)(rnd(&seed) % nnames));
		atomic_fetch_add(&ops[op], 1);
		switch (op) {
		case O_ADD:
			memset(&add, 0, sizeof(add));
			set_name(add.name, name);
			add.size = rnd(&seed) % 4 ? rnd(&seed) % (MAXSZ + 1) : 0;
			add.mode = 0600;
			add.flags = rnd(&seed) % 2 ? WMS_ADD_EXCL : 0;
			r = ioctl(fd, WMS_IOC_ADD, &add) ? errno : 0;
			if (r && !(r == EEXIST && add.flags))
				report("ADD", name, r);
			break;
		case O_WRITE:
		case O_READ:
			memset(&io, 0, sizeof(io));
			set_name(io.name, name);
			io.offset = rnd(&seed) % 4096;
			io.len = rnd(&seed) % (MAXSZ - io.offset + 1);
			io.buf = UPTR(buf);
			r = ioctl(fd, op == O_WRITE ? WMS_IOC_WRITE : WMS_IOC_READ,
				  &io) ? errno : 0;
			if (r && r != ENOENT && !(r == EFBIG && op == O_WRITE))
				report(op == O_WRITE ? "WRITE" : "READ", name, r);
			break;
		case O_INFO:
			memset(&info, 0, sizeof(info));
			set_name(info.name, name);
			r = ioctl(fd, WMS_IOC_INFO, &info) ? errno : 0;
			if (r && r != ENOENT)
				report("INFO", name, r);
			else if (!r && info.size > MAXSZ)
				report("INFO (size)", name, ERANGE);
			break;
		case O_LIST:
			r = list_walk(fd);
			if (r)
				report("LIST", "", r);
			break;
		case O_REMOVE:
			memset(&nm, 0, sizeof(nm));
			set_name(nm.name, name);
			r = ioctl(fd, WMS_IOC_REMOVE, &nm) ? errno : 0;
			if (r && r != ENOENT)
				report("REMOVE", name, r);
			break;
		case O_OPEN:
			r = open(DEV, O_RDWR | O_CLOEXEC);
			if (r < 0)
				report("open", DEV, errno);
			else
				close(r);
			break;
		case O_ATTACH:
			attach_op(name, &seed, buf);
			break;
		}
	}
	close(fd);
	return NULL;
}

/* Remove every entry with the prefix; returns how many are left. */
static int cleanup(void)
{
	struct wms_list_entry le[64];
	struct wms_list l;
	struct wms_name nm;
	int fd = open(DEV, O_RDWR | O_CLOEXEC), i, left = 0, pass;

	if (fd < 0)
		return -1;
	for (pass = 0; pass < 2; pass++) {
		left = 0;
		memset(&l, 0, sizeof(l));
		for (;;) {
			l.entries = UPTR(le);
			l.count = 64;
			if (ioctl(fd, WMS_IOC_LIST, &l) || !l.count)
				break;
			for (i = 0; i < (int)l.count; i++) {
				if (strncmp(le[i].name, prefix, strlen(prefix)))
					continue;
				memset(&nm, 0, sizeof(nm));
				memcpy(nm.name, le[i].name, sizeof(nm.name));
				if (ioctl(fd, WMS_IOC_REMOVE, &nm))
					left++;
			}
		}
	}
	close(fd);
	return left;
}

int main(int argc, char **argv)
{
	unsigned long total = 0;
	pthread_t *tids;
	char line[512];
	int c, i, left;

	while ((c = getopt(argc, argv, "t:s:n:p:h")) != -1) {
		switch (c) {
		case 't': nthreads = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'n': nnames = atoi(optarg); break;
		case 'p': prefix = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-t THREADS] [-s SECONDS] [-n NAMES] [-p PREFIX]\n",
				argv[0]);
			return 2;
		}
	}
	if (nthreads < 1 || seconds < 1 || nnames < 1 || strlen(prefix) > 32) {
		fprintf(stderr, "%s: bad arguments\n", argv[0]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	tids = calloc(nthreads, sizeof(*tids));
	if (!tids)
		return 1;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, worker, (void *)(uintptr_t)i)) {
			perror("pthread_create");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	left = cleanup();
	line[0] = 0;
	for (i = 0; i < NOPS; i++) {
		unsigned long n = atomic_load(&ops[i]);

		total += n;
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s %lu",
			 op_name[i], n);
	}
	printf("# wms_load: %lu operations in %d s by %d threads:%s; unexpected %lu; %d entries could not be removed\n",
	       total, seconds, nthreads, line, atomic_load(&unexpected), left);
	return atomic_load(&unexpected) || left ? 1 : 0;
}
