// SPDX-License-Identifier: GPL-2.0
/*
 * wms_init_test: module init's unwind path, on the debug kernel (fault
 * injection). With wms not loaded, it loads MODULE (default /wms.ko) with
 * finit_module() while /proc/thread-self/fail-nth fails the n-th slab or
 * page allocation of the loading thread, for n = 1, 2, ... until a load
 * no longer reaches its n-th point. The first points fail load_module()
 * before wms runs; the later ones fail wms_init() at each of its steps
 * (the registry's index, /proc/driver/wms, the misc device and its sysfs
 * groups). After each failed load nothing of wms may be left; after each
 * load that succeeded, wms must unload. userspace-test/uml/test.sh runs
 * kmemleak afterwards, which sees what an unwind leaked.
 *
 *   wms_init_test [-m MODULE]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wms_util.h"

#define DBG		"/sys/kernel/debug/"
#define FAILNTH		"/proc/thread-self/fail-nth"
#define MAX_POINTS	5000

static const char *module_path = "/wms.ko";

/* The fault-injection knobs that let fail-nth reach every allocation. */
static const struct {
	const char *path, *value;
} knobs[] = {
	{ DBG "failslab/ignore-gfp-wait", "N" },
	{ DBG "failslab/verbose", "0" },
	{ DBG "fail_page_alloc/ignore-gfp-wait", "N" },
	{ DBG "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ DBG "fail_page_alloc/min-order", "0" },
	{ DBG "fail_page_alloc/verbose", "0" },
};

#define NR_KNOBS	(sizeof(knobs) / sizeof(knobs[0]))

static char saved[NR_KNOBS][32];

/* Read a knob's value into @old (if not NULL), then write @new to it. */
static int knob_rw(const char *path, char *old, size_t len, const char *new)
{
	ssize_t n = 0;
	int fd;

	if (old) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		n = read(fd, old, len - 1);
		close(fd);
		if (n < 0)
			return -1;
		old[n] = '\0';
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, new, strlen(new));
	close(fd);
	return n < 0 ? -1 : 0;
}

static bool wms_left(char *what, size_t len)
{
	static const char *const paths[] = {
		"/dev/wms", "/sys/module/wms", "/proc/driver/wms",
	};
	size_t i;

	what[0] = '\0';
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], F_OK))
			snprintf(what + strlen(what), len - strlen(what), " %s", paths[i]);
	return what[0] != '\0';
}

/*
 * In a child (fail-nth is the thread's): fail the n-th point of a load.
 * Exit status: 0 loaded, 1 load failed; +2 if the n-th point was not
 * reached (fail-nth reads back non-zero); 100 + errno of a setup failure.
 */
static int load_child(unsigned int n)
{
	char buf[16];
	int mfd, ffd, r, reached;
	ssize_t len;

	mfd = open(module_path, O_RDONLY | O_CLOEXEC);
	if (mfd < 0)
		return 100 + errno;
	ffd = open(FAILNTH, O_RDWR | O_CLOEXEC);
	if (ffd < 0)
		return 100 + errno;
	len = snprintf(buf, sizeof(buf), "%u", n);
	if (write(ffd, buf, len) != len)
		return 100 + errno;
	r = syscall(SYS_finit_module, mfd, "", 0);
	len = pread(ffd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = '\0';
	reached = len > 0 && atoi(buf) == 0;
	return (r ? 1 : 0) + (reached ? 0 : 2);
}

FIXTURE(init) {
	int unused;
};

FIXTURE_SETUP(init)
{
}

FIXTURE_TEARDOWN(init)
{
}

TEST_F(init, unwinds_at_every_point)
{
	unsigned int n, failed = 0, loaded = 0;
	char what[128];
	size_t i;
	int st;

	ASSERT_FALSE(wms_left(what, sizeof(what))) TH_LOG("wms is loaded:%s", what);
	ASSERT_EQ(0, access(FAILNTH, W_OK)) TH_LOG("no %s: no fault injection", FAILNTH);
	for (i = 0; i < NR_KNOBS; i++)
		if (knob_rw(knobs[i].path, saved[i], sizeof(saved[i]), knobs[i].value))
			break;
	ASSERT_EQ(NR_KNOBS, i) TH_LOG("cannot set fault-injection knob %zu: %s", i,
				      strerror(errno));

	for (n = 1; n <= MAX_POINTS; n++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(load_child(n));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) < 100)
			TH_LOG("fail-nth %u: the loading child: status %#x", n, st);
		if (WEXITSTATUS(st) & 1) {
			failed++;
			EXPECT_FALSE(wms_left(what, sizeof(what)))
				TH_LOG("fail-nth %u: a failed load left%s", n, what);
			if (_metadata->passed == 0)
				break;
		} else {
			loaded++;
			ASSERT_EQ(0, syscall(SYS_delete_module, "wms", O_NONBLOCK))
				TH_LOG("fail-nth %u: unload after a load: %s", n, strerror(errno));
		}
		/* A load that no longer reached its n-th point: all are done. */
		if (WEXITSTATUS(st) & 2)
			break;
	}
	for (i = 0; i < NR_KNOBS; i++)
		knob_rw(knobs[i].path, NULL, 0, saved[i]);
	printf("# init unwind: %u failure points, %u loads failed cleanly, %u loaded and unloaded\n",
	       n, failed, loaded);
	fflush(stdout);	/* the harness's child ends with _exit() */
	EXPECT_GT(failed, 0U) TH_LOG("no load failed: the fault injection did not reach it");
	EXPECT_LT(n, (unsigned int)MAX_POINTS) TH_LOG("still reaching points after %u", n);
	EXPECT_FALSE(wms_left(what, sizeof(what))) TH_LOG("left at the end:%s", what);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt != 'm') {
			fprintf(stderr, "usage: %s [-m MODULE]\n", argv[0]);
			return 2;
		}
		module_path = optarg;
	}
	return test_harness_run(1, argv);
}
