// SPDX-License-Identifier: GPL-2.0
/*
 * wmsctl: administer the named blocks of kernel memory of the wms module
 * (/dev/wms, ABI v2), in the manner of ipcs(1) and ipcrm(1).
 *
 *   wmsctl add NAME SIZE [--mode MODE] [--excl]
 *   wmsctl rm NAME...
 *   wmsctl ls [-l] [-n] [--bytes]
 *   wmsctl info NAME [--json]
 *   wmsctl write NAME [--offset N] < FILE
 *   wmsctl read NAME [--offset N] [--len N] > FILE
 *   wmsctl stats
 *   wmsctl help [COMMAND] | --help | --version
 *
 * Exit status: 0 success, 1 an operation failed, 2 usage error.
 * Built on libwms (lib/libwms.h) and libc; see wmsctl(1) for the formats.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwms.h>

#define WMSCTL_VERSION		"0.1.0"
#define WMS_ABI_VERSION		2

#define EXIT_OK			0
#define EXIT_FAIL		1
#define EXIT_USAGE		2

#define DEFAULT_MODE		0644

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define SYS_MODULE		"/sys/module/wms"
#define SYS_PARAMS		SYS_MODULE "/parameters"
#define SYS_CLASS		"/sys/class/misc/wms"
#define PASSWD_FILE		"/etc/passwd"
#define GROUP_FILE		"/etc/group"

static const char *prog = "wmsctl";

struct cmd {
	const char *name;
	int (*run)(const struct cmd *c, int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);
static void print_overview(FILE *f);

/* ------------------------------------------------------------------ */
/* Messages */

/* The errno texts of wms; the generic strerror() is misleading for some. */
static const char *wms_strerror(int err)
{
	switch (err) {
	case ENOENT:
		return "No such entry";
	case EEXIST:
		return "Entry exists";
	case ENOSPC:
		return "Limit reached (max_entries, max_*_bytes or max_user_entries)";
	case EFBIG:
		return "Too large for the entry or max_entry_size";
	case EACCES:
		return "Permission denied";
	case EPERM:
		return "Operation not permitted (not the owner, or a reserved '.' name)";
	case ENAMETOOLONG:
		return "Name too long";
	case EINVAL:
		return "Invalid argument";
	default:
		return strerror(err);
	}
}

/*
 * Print @s (at most @max bytes, up to its NUL) as /proc/driver/wms does:
 * every byte outside printable ASCII (0x21..0x7e), and the backslash, as a
 * \ooo octal escape, so that no name can drive the terminal. Returns the
 * number of characters printed.
 */
static int fput_name(FILE *f, const char *s, size_t max)
{
	int w = 0;
	size_t i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = s[i];

		if (c > 0x20 && c < 0x7f && c != '\\') {
			fputc(c, f);
			w++;
		} else {
			w += fprintf(f, "\\%03o", c);
		}
	}
	return w;
}

/* "wmsctl: OP NAME: MESSAGE" (or "wmsctl: OP: MESSAGE"); returns EXIT_FAIL. */
static int op_error(const char *op, const char *name, int err)
{
	fprintf(stderr, "%s: %s", prog, op);
	if (name) {
		fputc(' ', stderr);
		fput_name(stderr, name, SIZE_MAX);
	}
	fprintf(stderr, ": %s\n", wms_strerror(err));
	return EXIT_FAIL;
}

static void print_cmd_usage(FILE *f, const struct cmd *c)
{
	fprintf(f, "usage: %s %s\n", prog, c->synopsis);
}

/*
 * A usage error: "wmsctl: CMD: WHAT 'ARG' (HINT)" (ARG and HINT if not NULL),
 * then the usage, on stderr. Returns EXIT_USAGE.
 */
static int usage_error(const struct cmd *c, const char *what, const char *arg,
		       const char *hint)
{
	fprintf(stderr, "%s: ", prog);
	if (c)
		fprintf(stderr, "%s: ", c->name);
	fputs(what, stderr);
	if (arg)
		fprintf(stderr, " '%s'", arg);
	if (hint)
		fprintf(stderr, " (%s)", hint);
	fputc('\n', stderr);
	if (c) {
		print_cmd_usage(stderr, c);
		fprintf(stderr, "Try '%s help %s' for more information.\n",
			prog, c->name);
	} else {
		print_overview(stderr);
	}
	return EXIT_USAGE;
}

static int cmd_help_out(const struct cmd *c)
{
	print_cmd_usage(stdout, c);
	fputc('\n', stdout);
	fputs(c->help, stdout);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Arguments */

/*
 * Parse a size or an offset: decimal digits, optionally followed by one of
 * K, M, G (or k, m, g) meaning 2^10, 2^20, 2^30. Returns false for anything
 * else: an empty string, a sign, blanks, other suffixes, overflow.
 */
static bool parse_size(const char *s, __u64 *out)
{
	__u64 v = 0, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = *p - '0';

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'K':
	case 'k':
		mult = 1ULL << 10;
		p++;
		break;
	case 'M':
	case 'm':
		mult = 1ULL << 20;
		p++;
		break;
	case 'G':
	case 'g':
		mult = 1ULL << 30;
		p++;
		break;
	default:
		return false;
	}
	if (*p)
		return false;
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

/* Parse an octal permission mode, 0 to 0777 ("644", "0644", "00644" alike). */
static bool parse_mode(const char *s, __u32 *out)
{
	__u32 v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return false;
		v = v * 8 + (*s - '0');
		if (v > 0777)
			return false;
	}
	*out = v;
	return true;
}

static bool is_help_opt(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

/* An argument that is an option: "-x...", but not "-", nor "-5" (a number). */
static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

/*
 * Match "--opt VALUE" or "--opt=VALUE" at argv[*i]. Returns 1 and sets *val
 * (advancing *i past a separate value), 0 if argv[*i] is another option, or
 * -1 if the value is missing.
 */
static int opt_value(int argc, char **argv, int *i, const char *opt,
		     const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(opt);

	if (strncmp(a, opt, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* ------------------------------------------------------------------ */
/* The device */

static int open_dev(void)
{
	int fd = wms_open(O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0 && (errno == EACCES || errno == EROFS))
		fd = wms_open(O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	fprintf(stderr, "%s: %s: %s%s\n", prog, WMS_DEVICE_PATH, strerror(err),
		err == ENOENT || err == ENODEV || err == ENXIO ?
		" (is the wms module loaded?)" : "");
	return -1;
}

/* INFO of @name: 0 or the errno. */
static int info_get(int fd, const char *name, struct wms_info *info)
{
	return wms_info(fd, name, info) ? errno : 0;
}

/* ------------------------------------------------------------------ */
/* Formatting */

/* Sizes as "512" below 1024, else one decimal and a unit: "4.0K", "1.5M". */
static void human_size(__u64 size, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0, shift;
	__u64 tenths;

	if (size < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)size);
		return;
	}
	for (;;) {
		shift = 10 * (u + 1);
		tenths = (size >> shift) * 10 +
			 (((size & ((1ULL << shift) - 1)) * 10 +
			   (1ULL << (shift - 1))) >> shift);
		if (tenths < 10240 || u == sizeof(units) - 2)
			break;
		u++;
	}
	snprintf(buf, len, "%llu.%llu%c", (unsigned long long)(tenths / 10),
		 (unsigned long long)(tenths % 10), units[u]);
}

/* Local time of @ns as "YYYY-MM-DD HH:MM:SS" (@iso: "YYYY-MM-DDTHH:MM:SS+HH:MM"). */
static void format_time(__u64 ns, bool iso, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	long off, aoff;
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	n = strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S",
		     &tm);
	if (!iso || !n)
		return;
	off = tm.tm_gmtoff / 60;
	aoff = off < 0 ? -off : off;
	snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
		 aoff / 60, aoff % 60);
}

/* ------------------------------------------------------------------ */
/* User and group names, from /etc/passwd and /etc/group only (no NSS) */

struct id_name {
	__u32 id;
	char *name;
};

struct id_table {
	bool loaded;
	size_t nr;
	struct id_name *ids;
};

static struct id_table passwd_table, group_table;

/* A name fit for a column: printable, no blanks, not empty. */
static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*(const unsigned char *)s <= 0x20 || *(const unsigned char *)s >= 0x7f)
			return false;
	return true;
}

/* "name:password:id:..." lines; the first line for an id wins. */
static void id_table_load(struct id_table *t, const char *path)
{
	char line[1024];
	FILE *f;

	t->loaded = true;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *name = line, *pw, *id, *end;
		struct id_name *ids;
		unsigned long v;
		int ch;

		if (!strchr(line, '\n') && !feof(f)) {
			/* Too long for a passwd or group line we use: skip it. */
			do
				ch = fgetc(f);
			while (ch != '\n' && ch != EOF);
			continue;
		}
		/* NIS compat ("+", "-") and comment lines name nobody. */
		pw = strchr(name, ':');
		if (!pw || *name == '+' || *name == '-' || *name == '#')
			continue;
		*pw++ = '\0';
		id = strchr(pw, ':');
		if (!id)
			continue;
		id++;
		if (*id < '0' || *id > '9')
			continue;
		errno = 0;
		v = strtoul(id, &end, 10);
		if (errno || *end != ':' || v > UINT32_MAX || !plain_name(name))
			continue;
		ids = realloc(t->ids, (t->nr + 1) * sizeof(*ids));
		if (!ids)
			break;
		t->ids = ids;
		ids[t->nr].id = v;
		ids[t->nr].name = strdup(name);
		if (!ids[t->nr].name)
			break;
		t->nr++;
	}
	fclose(f);
}

/* The name of @id from @path, or the number: into @buf. */
static const char *id_name(struct id_table *t, const char *path, __u32 id,
			   bool numeric, char *buf, size_t len)
{
	size_t i;

	if (!numeric) {
		if (!t->loaded)
			id_table_load(t, path);
		for (i = 0; i < t->nr; i++)
			if (t->ids[i].id == id)
				return t->ids[i].name;
	}
	snprintf(buf, len, "%u", id);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Commands */

static int cmd_add(const struct cmd *c, int argc, char **argv)
{
	const char *name = NULL, *size_arg = NULL, *val;
	__u32 mode = DEFAULT_MODE, flags = 0;
	bool dashdash = false;
	uint64_t got;
	__u64 size;
	int i, fd, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
		} else if (!dashdash && is_option(a)) {
			if (is_help_opt(a))
				return cmd_help_out(c);
			if (!strcmp(a, "--excl")) {
				flags |= WMS_ADD_EXCL;
				continue;
			}
			r = opt_value(argc, argv, &i, "--mode", &val);
			if (r < 0)
				return usage_error(c, "missing value of option", a, NULL);
			if (!r)
				return usage_error(c, "unknown option", a, NULL);
			if (!parse_mode(val, &mode))
				return usage_error(c, "invalid mode", val,
						   "octal, 0 to 0777");
		} else if (!name) {
			name = a;
		} else if (!size_arg) {
			size_arg = a;
		} else {
			return usage_error(c, "too many arguments", NULL, NULL);
		}
	}
	if (!name || !size_arg)
		return usage_error(c, name ? "missing SIZE" : "missing NAME and SIZE",
				   NULL, NULL);
	if (!parse_size(size_arg, &size))
		return usage_error(c, "invalid size", size_arg,
				   "bytes, or a number with the suffix K, M or G");

	fd = open_dev();
	if (fd < 0)
		return EXIT_FAIL;
	r = wms_add(fd, name, size, mode, flags, &got);
	if (r < 0) {
		r = op_error("add", name, errno);
		wms_close(fd);
		return r;
	}
	wms_close(fd);
	fputs(r ? "created " : "exists ", stdout);
	fput_name(stdout, name, WMS_NAME_MAX + 1);
	printf(" (%llu bytes)\n", (unsigned long long)got);
	return EXIT_OK;
}

static int cmd_rm(const struct cmd *c, int argc, char **argv)
{
	bool dashdash = false;
	int i, npos = 0, fd, ret = EXIT_OK;

	for (i = 1; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = true;
		} else if (!dashdash && is_option(argv[i])) {
			if (is_help_opt(argv[i]))
				return cmd_help_out(c);
			return usage_error(c, "unknown option", argv[i], NULL);
		}
		if (dashdash || !is_option(argv[i]))
			npos++;
	}
	if (!npos)
		return usage_error(c, "missing NAME", NULL, NULL);

	fd = open_dev();
	if (fd < 0)
		return EXIT_FAIL;
	dashdash = false;
	for (i = 1; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = true;
			continue;
		}
		if (wms_remove(fd, argv[i]))
			ret = op_error("rm", argv[i], errno);
	}
	wms_close(fd);
	return ret;
}

struct ls_opts {
	bool lng;
	bool bytes;
	bool numeric;
};

static void ls_header(const struct ls_opts *o)
{
	printf("%-32s %-8s %-8s %-8s %s", "NAME", "SIZE", "OWNER", "GROUP", "MODE");
	if (o->lng)
		printf(" %-8s %s", "ATTACHED", "CREATED");
	putchar('\n');
}

/* One row; returns 0, or the errno of INFO (ENOENT: the entry went away). */
static int ls_row(int fd, const struct ls_opts *o, const struct wms_list_entry *e)
{
	char size[32], ubuf[16], gbuf[16], when[64];
	struct wms_info info;
	int w, err;

	if (o->lng) {
		err = info_get(fd, e->name, &info);
		if (err)
			return err;
	}
	w = fput_name(stdout, e->name, WMS_NAME_MAX + 1);
	if (w < 32)
		printf("%*s", 32 - w, "");
	if (o->bytes)
		snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
	else
		human_size(e->size, size, sizeof(size));
	printf(" %-8s %-8s %-8s ", size,
	       id_name(&passwd_table, PASSWD_FILE, e->uid, o->numeric, ubuf, sizeof(ubuf)),
	       id_name(&group_table, GROUP_FILE, e->gid, o->numeric, gbuf, sizeof(gbuf)));
	if (o->lng) {
		format_time(info.ctime_ns, false, when, sizeof(when));
		printf("%04o %-8u %s\n", e->mode & 07777, info.attached, when);
	} else {
		printf("%04o\n", e->mode & 07777);
	}
	return 0;
}

static int cmd_ls(const struct cmd *c, int argc, char **argv)
{
	struct ls_opts o = { false, false, false };
	int i, fd, r, err, ret = EXIT_OK;
	struct wms_list_iter *it;
	struct wms_list_entry e;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (is_help_opt(a))
			return cmd_help_out(c);
		if (!strcmp(a, "--long")) {
			o.lng = true;
		} else if (!strcmp(a, "--bytes")) {
			o.bytes = true;
		} else if (!strcmp(a, "--numeric")) {
			o.numeric = true;
		} else if (a[0] == '-' && a[1] && a[1] != '-') {
			for (a++; *a; a++) {
				char opt[3] = { '-', *a, '\0' };

				if (*a == 'l')
					o.lng = true;
				else if (*a == 'n')
					o.numeric = true;
				else
					return usage_error(c, "unknown option", opt,
							   NULL);
			}
		} else if (a[0] == '-') {
			return usage_error(c, "unknown option", a, NULL);
		} else {
			return usage_error(c, "too many arguments", NULL, NULL);
		}
	}

	fd = open_dev();
	if (fd < 0)
		return EXIT_FAIL;
	it = wms_list_begin(fd);
	if (!it) {
		ret = op_error("ls", NULL, errno);
		wms_close(fd);
		return ret;
	}
	ls_header(&o);
	while ((r = wms_list_next(it, &e)) > 0) {
		err = ls_row(fd, &o, &e);
		/* Removed between LIST and INFO: not there any more. */
		if (err && err != ENOENT)
			ret = op_error("ls", e.name, err);
	}
	if (r < 0)
		ret = op_error("ls", NULL, errno);
	wms_list_end(it);
	wms_close(fd);
	return ret;
}

/* @s as the body of a JSON string: \" \\ and \u00XX for bytes < 0x20 or >= 0x7f. */
static void json_string(const char *s, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int cmd_info(const struct cmd *c, int argc, char **argv)
{
	const char *name = NULL;
	bool json = false, dashdash = false;
	struct wms_info info;
	char when[64];
	int i, fd, err;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
		} else if (!dashdash && is_option(a)) {
			if (is_help_opt(a))
				return cmd_help_out(c);
			if (strcmp(a, "--json"))
				return usage_error(c, "unknown option", a, NULL);
			json = true;
		} else if (!name) {
			name = a;
		} else {
			return usage_error(c, "too many arguments", NULL, NULL);
		}
	}
	if (!name)
		return usage_error(c, "missing NAME", NULL, NULL);

	fd = open_dev();
	if (fd < 0)
		return EXIT_FAIL;
	err = info_get(fd, name, &info);
	wms_close(fd);
	if (err)
		return op_error("info", name, err);
	info.name[WMS_NAME_MAX] = '\0';
	if (json) {
		fputs("{\"name\":", stdout);
		json_string(info.name, WMS_NAME_MAX + 1);
		printf(",\"size\":%llu,\"uid\":%u,\"gid\":%u,",
		       (unsigned long long)info.size, info.uid, info.gid);
		printf("\"mode\":\"%04o\",\"attached\":%u,\"ctime_ns\":%llu}\n",
		       info.mode & 07777, info.attached,
		       (unsigned long long)info.ctime_ns);
		return EXIT_OK;
	}
	format_time(info.ctime_ns, true, when, sizeof(when));
	fputs("name: ", stdout);
	fput_name(stdout, info.name, WMS_NAME_MAX + 1);
	printf("\nsize: %llu\nuid: %u\ngid: %u\nmode: %04o\n",
	       (unsigned long long)info.size, info.uid, info.gid,
	       info.mode & 07777);
	printf("attached: %u\ncreated: %s\nctime_ns: %llu\n",
	       info.attached, when, (unsigned long long)info.ctime_ns);
	return EXIT_OK;
}

/*
 * Parse the arguments of read and write: NAME [--offset N] [--len N].
 * Returns 0 to go on, -1 after printing the help, or EXIT_USAGE.
 */
static int io_args(const struct cmd *c, int argc, char **argv, bool want_len,
		   const char **name, __u64 *offset, __u64 *len, bool *has_len)
{
	bool dashdash = false;
	const char *val;
	int i, r;

	*name = NULL;
	*offset = 0;
	*has_len = false;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
		} else if (!dashdash && is_option(a)) {
			if (is_help_opt(a)) {
				cmd_help_out(c);
				return -1;	/* done: exit status 0 */
			}
			r = opt_value(argc, argv, &i, "--offset", &val);
			if (r > 0) {
				if (!parse_size(val, offset))
					return usage_error(c, "invalid offset", val,
							   "bytes, or a number with K, M or G");
				continue;
			}
			if (!r && want_len)
				r = opt_value(argc, argv, &i, "--len", &val);
			if (r > 0) {
				if (!parse_size(val, len))
					return usage_error(c, "invalid length", val,
							   "bytes, or a number with K, M or G");
				*has_len = true;
				continue;
			}
			if (r < 0)
				return usage_error(c, "missing value of option", a, NULL);
			return usage_error(c, "unknown option", a, NULL);
		} else if (!*name) {
			*name = a;
		} else {
			return usage_error(c, "too many arguments", NULL, NULL);
		}
	}
	if (!*name)
		return usage_error(c, "missing NAME", NULL, NULL);
	return EXIT_OK;
}

/* Read stdin up to @max bytes into a new buffer. Returns 0 or -errno. */
static int slurp_stdin(size_t max, char **bufp, size_t *lenp)
{
	size_t cap = 0, len = 0;
	char *buf = NULL, *nbuf;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap >= max)
				break;
			cap = cap ? cap * 2 : 65536;
			if (cap > max || cap < len)
				cap = max;
			nbuf = realloc(buf, cap ? cap : 1);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	if (!buf)
		buf = malloc(1);
	if (!buf)
		return -ENOMEM;
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int cmd_write(const struct cmd *c, int argc, char **argv)
{
	__u64 offset, len_unused, room;
	struct wms_info info;
	const char *name;
	bool has_len;
	char *buf = NULL;
	size_t len = 0;
	int fd, err;

	err = io_args(c, argc, argv, false, &name, &offset, &len_unused, &has_len);
	if (err)
		return err < 0 ? EXIT_OK : err;

	fd = open_dev();
	if (fd < 0)
		return EXIT_FAIL;
	err = info_get(fd, name, &info);
	if (err)
		goto out;
	/* One byte more than fits, so that too much input fails (EFBIG) below. */
	room = offset <= info.size ? info.size - offset : 0;
	err = slurp_stdin(room >= SIZE_MAX ? SIZE_MAX : room + 1, &buf, &len);
	if (err) {
		wms_close(fd);
		return op_error("write", "(stdin)", -err);
	}
	if (wms_write(fd, name, offset, buf, len))
		err = errno;
	free(buf);
out:
	wms_close(fd);
	return err ? op_error("write", name, err) : EXIT_OK;
}

static int cmd_read(const struct cmd *c, int argc, char **argv)
{
	__u64 offset, len = 0, room;
	struct wms_info info;
	const char *name;
	bool has_len;
	ssize_t n;
	char *buf;
	int fd, err;

	err = io_args(c, argc, argv, true, &name, &offset, &len, &has_len);
	if (err)
		return err < 0 ? EXIT_OK : err;

	fd = open_dev();
	if (fd < 0)
		return EXIT_FAIL;
	err = info_get(fd, name, &info);
	if (err) {
		wms_close(fd);
		return op_error("read", name, err);
	}
	room = offset < info.size ? info.size - offset : 0;
	if (!has_len || len > room)
		len = room;
	if (len > SIZE_MAX - 1) {
		wms_close(fd);
		return op_error("read", name, ENOMEM);
	}
	buf = malloc(len ? len : 1);
	if (!buf) {
		wms_close(fd);
		return op_error("read", name, ENOMEM);
	}
	n = wms_read(fd, name, offset, buf, len);
	err = n < 0 ? errno : 0;
	wms_close(fd);
	if (n > 0 && fwrite(buf, 1, n, stdout) != (size_t)n)
		err = errno ? errno : EIO;
	free(buf);
	if (err)
		return op_error("read", name, err);
	return EXIT_OK;
}

/* The first line of a sysfs file, without trailing blanks; false if unreadable. */
static bool read_value(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return false;
	}
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return n > 0;
}

/* Print "KEY: VALUE" from @path, or "KEY: unavailable"; returns whether it was read. */
static bool stat_line(const char *key, const char *path)
{
	char val[256];

	if (read_value(path, val, sizeof(val))) {
		printf("%s: %s\n", key, val);
		return true;
	}
	printf("%s: unavailable\n", key);
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static int cmd_stats(const struct cmd *c, int argc, char **argv)
{
	static const char * const params[] = {
		"max_entries", "max_entry_size", "max_total_bytes", "max_user_bytes",
		"max_user_entries",
	};
	static const char * const counters[] = {
		"entries", "bytes", "peak_bytes", "adds", "removes", "registries",
	};
	char path[512], key[300];
	size_t i, nr = 0, cap = 0;
	char **names = NULL, **nn;
	int ret = EXIT_OK;
	struct dirent *de;
	DIR *d;

	if (argc > 1) {
		if (is_help_opt(argv[1]))
			return cmd_help_out(c);
		if (is_option(argv[1]))
			return usage_error(c, "unknown option", argv[1], NULL);
		return usage_error(c, "too many arguments", NULL, NULL);
	}

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		snprintf(path, sizeof(path), SYS_PARAMS "/%s", params[i]);
		if (!stat_line(params[i], path))
			ret = EXIT_FAIL;
	}
	for (i = 0; i < ARRAY_SIZE(counters); i++) {
		snprintf(path, sizeof(path), SYS_CLASS "/%s", counters[i]);
		if (!stat_line(counters[i], path))
			ret = EXIT_FAIL;
	}

	d = opendir(SYS_CLASS "/failed_adds");
	if (!d) {
		printf("failed_adds: unavailable\n");
		ret = EXIT_FAIL;
		goto out;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (nr == cap) {
			cap = cap ? cap * 2 : 16;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		names[nr] = strdup(de->d_name);
		if (!names[nr])
			break;
		nr++;
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), name_cmp);
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), SYS_CLASS "/failed_adds/%s", names[i]);
		snprintf(key, sizeof(key), "failed_adds.%s", names[i]);
		if (!stat_line(key, path))
			ret = EXIT_FAIL;
		free(names[i]);
	}
	free(names);
out:
	if (ret != EXIT_OK && access(SYS_MODULE, F_OK))
		fprintf(stderr, "%s: stats: %s: %s (is the wms module loaded?)\n",
			prog, SYS_MODULE, strerror(errno));
	return ret;
}

static int cmd_help(const struct cmd *c, int argc, char **argv)
{
	const struct cmd *t;

	if (argc < 2) {
		print_overview(stdout);
		return EXIT_OK;
	}
	if (is_help_opt(argv[1]))
		return cmd_help_out(c);
	if (argc > 2)
		return usage_error(c, "too many arguments", NULL, NULL);
	t = find_cmd(argv[1]);
	if (!t)
		return usage_error(c, "unknown command", argv[1], NULL);
	return cmd_help_out(t);
}

static const struct cmd cmds[] = {
	{ "add", cmd_add, "add NAME SIZE [--mode MODE] [--excl]",
	  "Create the entry NAME of SIZE bytes, zero-filled, owned by the caller.\n"
	  "If NAME exists, it is left as it is (its size may differ from SIZE).\n"
	  "Prints \"created NAME (N bytes)\" or \"exists NAME (N bytes)\".\n"
	  "\n"
	  "  SIZE          bytes, or a number with the suffix K, M or G (1024-based)\n"
	  "  --mode MODE   permission bits in octal (default 0644; 0 means 0600)\n"
	  "  --excl        fail (\"Entry exists\") if NAME exists\n" },
	{ "rm", cmd_rm, "rm NAME...",
	  "Remove each NAME; the memory is freed when its last user lets go.\n"
	  "Continues past errors; exit status 1 if any removal failed.\n" },
	{ "ls", cmd_ls, "ls [-l] [-n] [--bytes]",
	  "List the entries: NAME SIZE OWNER GROUP MODE.\n"
	  "\n"
	  "  -l, --long     add ATTACHED (open attached files) and CREATED (local time)\n"
	  "  -n, --numeric  OWNER and GROUP as numbers, without /etc/passwd, /etc/group\n"
	  "  --bytes        SIZE in bytes (default: 512, 4.0K, 1.5M, ...)\n" },
	{ "info", cmd_info, "info NAME [--json]",
	  "Show NAME's size, uid, gid, mode, attached files and creation time,\n"
	  "one \"key: value\" line each.\n"
	  "\n"
	  "  --json   one JSON object: name, size, uid, gid, mode, attached, ctime_ns\n" },
	{ "write", cmd_write, "write NAME [--offset N] < FILE",
	  "Store all of stdin in NAME at offset N (default 0) in one atomic write.\n"
	  "Input that does not fit fails with \"Too large ...\" and writes nothing.\n"
	  "\n"
	  "  --offset N   byte offset (K, M, G suffixes allowed)\n" },
	{ "read", cmd_read, "read NAME [--offset N] [--len N] > FILE",
	  "Copy NAME's bytes from offset N (default 0) to the end, or N bytes at\n"
	  "most with --len, to stdout, in one atomic read.\n"
	  "\n"
	  "  --offset N   byte offset (K, M, G suffixes allowed)\n"
	  "  --len N      bytes at most (K, M, G suffixes allowed)\n" },
	{ "stats", cmd_stats, "stats",
	  "Print the module's limits (" SYS_PARAMS ")\n"
	  "and counters (" SYS_CLASS "), one \"key: value\" line each;\n"
	  "a value that cannot be read is \"unavailable\" (exit status 1).\n" },
	{ "help", cmd_help, "help [COMMAND]",
	  "Show the commands, or the help of COMMAND.\n" },
};

#define NR_CMDS		ARRAY_SIZE(cmds)

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void print_overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [ARGS...]\n", prog);
	fprintf(f, "       %s --help | --version | help COMMAND\n\n", prog);
	fputs("Administer the named blocks of kernel memory of the wms module\n"
	      "(" WMS_DEVICE_PATH "), in the manner of ipcs(1) and ipcrm(1).\n\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %s %s\n", prog, cmds[i].synopsis);
	fputs("\nExit status: 0 success, 1 an operation failed, 2 usage error.\n"
	      "See wmsctl(1).\n", f);
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int ret;

	if (argc < 2)
		return usage_error(NULL, "missing command", NULL, NULL);
	if (is_help_opt(argv[1])) {
		print_overview(stdout);
		ret = EXIT_OK;
	} else if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s %s (wms ABI %d)\n", prog, WMSCTL_VERSION, WMS_ABI_VERSION);
		ret = EXIT_OK;
	} else {
		c = find_cmd(argv[1]);
		if (!c) {
			if (is_option(argv[1]))
				return usage_error(NULL, "unknown option", argv[1], NULL);
			return usage_error(NULL, "unknown command", argv[1], NULL);
		}
		ret = c->run(c, argc - 1, argv + 1);
	}
	if (fflush(stdout) || ferror(stdout)) {
		op_error("stdout", NULL, errno ? errno : EIO);
		return EXIT_FAIL;
	}
	return ret;
}
