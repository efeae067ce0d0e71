/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wms_snap.h: helpers of wms_test and wms_badin_test: seeded random numbers
 * and data patterns, LIST (w_list), whole-registry listings and sorted
 * snapshots (struct pass, snap_take(), snap_diff(), remove_new_entries()).
 * Include after wms_util.h.
 */
#ifndef WMS_SNAP_H
#define WMS_SNAP_H

/* ------------------------------------------------------------------ */
/* Random numbers: xorshift64*, seeded by splitmix64                   */
/* ------------------------------------------------------------------ */

static __maybe_unused __u64 rng_next(__u64 *s)
{
	__u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static __maybe_unused __u64 rng_init(__u64 seed, __u64 stream)
{
	__u64 s = splitmix64(seed ^ splitmix64(stream + 1));

	return s ? s : 1;
}

/*
 * The 8-byte values written by the concurrency tests are self-checking:
 * the low half is a hash of the high half and of the entry's index, so a
 * word that is torn, stale garbage or another entry's data is detected.
 */
static __maybe_unused __u64 mkval(__u32 hi, unsigned int idx)
{
	return ((__u64)hi << 32) | mix32(hi ^ (idx * 0x9e3779b9u));
}

static __maybe_unused bool val_ok(__u64 v, unsigned int idx)
{
	return v == 0 || (__u32)v == mix32((__u32)(v >> 32) ^ (idx * 0x9e3779b9u));
}

static __maybe_unused __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* LIST (the other ioctl helpers are in wms_util.h): 0 or -errno       */
/* ------------------------------------------------------------------ */

static __maybe_unused int w_list(int fd, __u64 *cursor, void *ents, __u32 count,
				 __u32 *filled, __u64 *total)
{
	struct wms_list l;
	int r;

	memset(&l, 0, sizeof(l));
	l.cursor = *cursor;
	l.entries = UPTR(ents);
	l.count = count;
	r = xioctl(fd, WMS_IOC_LIST, &l);
	if (!r) {
		*cursor = l.cursor;
		if (filled)
			*filled = l.count;
		if (total)
			*total = l.total;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* Whole-registry listings                                             */
/* ------------------------------------------------------------------ */

struct pass {
	struct wms_list_entry *e;
	size_t n, cap;
	unsigned long calls;
	__u64 first_total, last_total;
	bool totals_vary;
};

static __maybe_unused void pass_free(struct pass *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

/*
 * One complete LIST pass with the given count per call.  Fails with
 * -EOVERFLOW if the kernel reports more than count entries filled and with
 * -ELOOP if the pass does not end.
 */
static __maybe_unused int list_pass(int fd, __u32 count, struct pass *p)
{
	struct wms_list_entry *buf;
	__u64 cursor = 0, total;
	__u32 filled;
	int r = 0;

	memset(p, 0, sizeof(*p));
	buf = calloc(count, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (p->calls > 4000000) {
			r = -ELOOP;
			break;
		}
		r = w_list(fd, &cursor, buf, count, &filled, &total);
		p->calls++;
		if (r)
			break;
		if (p->calls == 1)
			p->first_total = total;
		else if (total != p->last_total)
			p->totals_vary = true;
		p->last_total = total;
		if (!filled)
			break;
		if (filled > count) {
			r = -EOVERFLOW;
			break;
		}
		if (p->n + filled > p->cap) {
			size_t cap = (p->cap + filled) * 2;
			void *ne = realloc(p->e, cap * sizeof(*p->e));

			if (!ne) {
				r = -ENOMEM;
				break;
			}
			p->e = ne;
			p->cap = cap;
		}
		memcpy(p->e + p->n, buf, filled * sizeof(*buf));
		p->n += filled;
	}
	free(buf);
	if (r)
		pass_free(p);
	return r;
}

static __maybe_unused bool ent_is(const struct wms_list_entry *e, const char *name)
{
	return strncmp(e->name, name, NAME_LEN) == 0;
}

static __maybe_unused unsigned int pass_count(const struct pass *p, const char *name)
{
	unsigned int c = 0;
	size_t i;

	for (i = 0; i < p->n; i++)
		c += ent_is(&p->e[i], name);
	return c;
}

static __maybe_unused const struct wms_list_entry *pass_find(const struct pass *p,
							     const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (ent_is(&p->e[i], name))
			return &p->e[i];
	return NULL;
}

static __maybe_unused int ent_cmp(const void *a, const void *b)
{
	return strncmp(((const struct wms_list_entry *)a)->name,
		       ((const struct wms_list_entry *)b)->name, NAME_LEN);
}

/* A sorted snapshot of the registry. */
static __maybe_unused int snap_take(int fd, struct pass *s)
{
	int r = list_pass(fd, 64, s);

	if (!r && s->n)
		qsort(s->e, s->n, sizeof(*s->e), ent_cmp);
	return r;
}

/* Printable form of a name (escapes non-printable bytes). */
static __maybe_unused const char *pname(const char *field)
{
	static char out[4][NAME_LEN * 4 + 1];
	static unsigned int k;
	char *o = out[k++ % 4], *q = o;
	size_t i;

	for (i = 0; i < NAME_LEN && field[i]; i++) {
		unsigned char c = field[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			*q++ = c;
		else
			q += sprintf(q, "\\x%02x", c);
	}
	*q = 0;
	return o;
}

/* 0 if equal (names, sizes, owner, mode); else writes why. */
static __maybe_unused int snap_diff(const struct pass *a, const struct pass *b, char *why,
				    size_t wl)
{
	size_t i;

	for (i = 0; i < a->n || i < b->n; i++) {
		const struct wms_list_entry *x = i < a->n ? &a->e[i] : NULL;
		const struct wms_list_entry *y = i < b->n ? &b->e[i] : NULL;

		if (!x || !y || ent_cmp(x, y)) {
			snprintf(why, wl, "entry #%zu: before '%s', after '%s' (%zu vs %zu entries)",
				 i, x ? pname(x->name) : "(none)",
				 y ? pname(y->name) : "(none)", a->n, b->n);
			return 1;
		}
		if (x->size != y->size || x->uid != y->uid ||
		    x->gid != y->gid || x->mode != y->mode) {
			snprintf(why, wl, "'%s': size %llu->%llu uid %u->%u gid %u->%u mode %o->%o",
				 pname(x->name), (ull)x->size, (ull)y->size,
				 x->uid, y->uid, x->gid, y->gid, x->mode, y->mode);
			return 1;
		}
	}
	return 0;
}

static __maybe_unused bool snap_has(const struct pass *s, const char *field)
{
	return bsearch(field, s->e, s->n, sizeof(*s->e), ent_cmp) != NULL;
}

/*
 * Remove every entry of @now that is not in @before; returns how many
 * there were (logged).
 */
static __maybe_unused int remove_new_entries(int fd, const struct pass *before,
					     const struct pass *now)
{
	int leaked = 0;
	size_t i;

	for (i = 0; i < now->n; i++) {
		int r;

		if (snap_has(before, now->e[i].name))
			continue;
		leaked++;
		r = remove_f(fd, now->e[i].name);
		diag("leftover entry '%s' (size %llu): REMOVE -> %s",
		     pname(now->e[i].name), (ull)now->e[i].size, errname(r));
	}
	return leaked;
}

/* ------------------------------------------------------------------ */
/* Buffers                                                             */
/* ------------------------------------------------------------------ */

static __maybe_unused void fill_pattern(void *buf, size_t len, __u64 seed)
{
	unsigned char *b = buf;
	__u64 s = rng_init(seed, 77);
	size_t i;

	for (i = 0; i < len; i++) {
		b[i] = (unsigned char)rng_next(&s);
		if (!b[i])
			b[i] = 0x5c;	/* keep it free of NULs */
	}
}

static __maybe_unused bool all_bytes(const void *buf, size_t len, unsigned char c)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != c)
			return false;
	return true;
}

#endif /* WMS_SNAP_H */
