// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the KUnit UML kernel that scripts/kunit.sh boots on a hostfs
 * root. The KUnit suites have run during boot; this makes kmemleak scan for
 * what they left and prints its report between WMS-KMEMLEAK-BEGIN and
 * WMS-KMEMLEAK-END lines on the console, then powers off. scripts/kunit.sh
 * judges the report.
 *
 * It never forks: 6.1's UML walks the maple tree without the mmap lock in
 * every new process (a "suspicious RCU usage" splat with PROVE_RCU), which
 * scripts/uml-debug.sh patches in its kernel and this kernel does not need.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

#define KMEMLEAK "/debug/kmemleak"

static double uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int command(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void report(void)
{
	char buf[4096];
	ssize_t n;
	int fd = open(KMEMLEAK, O_RDONLY);

	if (fd < 0) {
		printf("WMS-KMEMLEAK: open %s: %s\n", KMEMLEAK, strerror(errno));
		return;
	}
	printf("WMS-KMEMLEAK-BEGIN at %.2f s\n", uptime());
	fflush(stdout);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	printf("WMS-KMEMLEAK-END\n");
}

int main(void)
{
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("WMS-KMEMLEAK: init at %.2f s\n", uptime());
	mkdir("/debug", 0755);
	if (mount("debugfs", "/debug", "debugfs", 0, NULL) && errno != EBUSY) {
		printf("WMS-KMEMLEAK: mount debugfs: %s\n", strerror(errno));
		goto out;
	}
	r = command("scan=off");
	if (r) {
		printf("WMS-KMEMLEAK: %s: %s (kmemleak off?)\n", KMEMLEAK,
		       strerror(-r));
		goto out;
	}
	/*
	 * kmemleak reports only objects older than 5 s (MSECS_MIN_AGE), and
	 * the suites' last ones are younger. (Objects freed with kfree_rcu()
	 * and still waiting are ignored by kmemleak.)
	 */
	sleep(6);
	r = command("scan");
	if (!r) {
		sleep(1);
		r = command("scan");
	}
	if (r)
		printf("WMS-KMEMLEAK: scan: %s\n", strerror(-r));
	else
		report();
out:
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
