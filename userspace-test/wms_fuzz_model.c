// SPDX-License-Identifier: GPL-2.0
/*
 * wms_fuzz's reference model of ABI.md and of the decisions its ABI notes
 * and admin.md record: given
 * the model's state and an operation, m_step() predicts the result, errno,
 * data and effects, compares them with what the module did, and applies the
 * effects.  It never calls the module.  What it models, and the readings it
 * takes where the documents leave a detail open, are in wms_fuzz.c's header
 * comment.
 */
#include "wms_fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct model M;

static bool m_can_read(const struct mfile *f)
{
	return f->acc != 2;
}

static bool m_can_write(const struct mfile *f)
{
	return f->acc != 1;
}

struct mfile *m_slot(int s)
{
	return M.slot[s] < 0 ? NULL : &M.files[M.slot[s]];
}

/* SysV-style permission: first matching class; CAP_SYS_ADMIN (root) bypasses. */
static bool m_perm(const struct mobj *o, int c, unsigned int may)
{
	const struct cred *cr = &creds[c];
	unsigned int m = o->mode;
	int i;
	bool grp = cr->gid == o->gid;

	if (c == 0)
		return true;
	for (i = 0; i < cr->ngroups; i++)
		if (cr->groups[i] == o->gid)
			grp = true;
	if (cr->uid == o->uid)
		m >>= 6;
	else if (grp)
		m >>= 3;
	return !(may & ~m & 7);
}

ull m_charge(ull size)
{
	static ull pg;

	if (!pg)
		pg = page_size();
	if (size > ~0ULL - pg + 1)
		return ~0ULL;
	return (size + pg - 1) / pg * pg;
}

/* Free the object once nothing refers to it: its bytes stop counting. */
static void m_release(struct mobj *o)
{
	if (o->live || o->attached || o->maps || o->cred < 0)
		return;
	M.total -= m_charge(o->size);
	if (o->cred > 0)
		M.ubytes[o->cred] -= m_charge(o->size);
	free(o->data);
	free(o);
	M.nobjs--;
}

static void m_unlink(struct mobj *o)
{
	int i;

	for (i = 0; i < M.nlive; i++)
		if (M.live[i] == o)
			break;
	memmove(&M.live[i], &M.live[i + 1], (size_t)(M.nlive - i - 1) * sizeof(M.live[0]));
	M.nlive--;
	o->live = false;
	M.ctr[CT_REMOVES]++;
	if (o->cred > 0)
		M.uents[o->cred]--;	/* at once, even while the memory lives on */
	if (o->nidx >= 0)
		M.byname[o->nidx] = NULL;
	m_release(o);
}

static void m_close_slot(int s)
{
	struct mfile *f = m_slot(s);

	M.slot[s] = -1;
	if (!f || --f->refs)
		return;
	if (f->obj) {
		f->obj->attached--;
		m_release(f->obj);
		f->obj = NULL;
	}
}

static void m_unmap(int ms)
{
	struct mmapm *mp = &M.map[ms];

	if (!mp->used)
		return;
	mp->used = false;
	mp->obj->maps--;
	m_release(mp->obj);
	mp->obj = NULL;
}

/* Over a limit: used + size > limit, without overflow. */
static bool over(ull used, ull size, ull limit)
{
	return used > limit || size > limit - used;
}

ull param_abs(int pidx, ull v)
{
	if (pidx == L_ENT)
		return M.base_entries + v;
	if (pidx == L_TOTAL)
		return M.base_bytes + v;
	return v;
}

/*
 * Is the op safe to execute (no crash of the fuzzer, buffers large enough)?
 * The generator only makes safe ops; a shrink replay skips unsafe ones.
 */
bool m_safe(const struct op *op)
{
	const struct mmapm *mp = &M.map[op->mslot % NMAPS];

	switch (op->kind) {
	case K_ADD:
		return !(op->a > MAX_CREATE && op->a <= M.lim[L_SIZE]);
	case K_LIST:
		return op->bufkind == 1 || op->count <= LISTCAP || M.nlive + FORKMAX <= LISTCAP;
	case K_FREAD:
	case K_PREAD:
	case K_FWRITE:
	case K_PWRITE:
		return op->b <= IOSZ && (op->ctx == 0 || op->ctx >= CTX_FORK);
	case K_MCHECK:
		return mp->used && (mp->prot & PROT_READ);
	case K_MSTORE:
		return mp->used && (mp->prot & PROT_WRITE) &&
		       op->a + op->b <= mp->np * PG && mp->pg * PG + op->a + op->b <= mp->obj->size;
	case K_MPROTECT:
		return mp->used;
	case K_SETPARAM:
	case K_OPEN:
	case K_CLOSE:
	case K_DUP:
	case K_MMAP:
	case K_MUNMAP:
		return op->ctx == 0;
	case K_ATTACH:
	case K_LSEEK:
		return op->ctx == 0 || op->ctx >= CTX_FORK;
	}
	return true;
}

char *g_why;
size_t g_whylen;

const char *const covname[C_NCOV] = {
	"ADD refused by max_entries", "ADD refused by max_total_bytes",
	"ADD refused by max_user_bytes", "ADD refused only because of removed entries' bytes",
	"size-0 entries created", "ADD of an existing entry without read permission",
	"REMOVE by a non-owner", "read/write on a removed entry's file",
	"mapping of a removed entry checked/stored", "write()/mmap refused: no write right at ATTACH",
	"write()/mmap refused: file opened read-only", "mprotect(RW) refused",
	"LIST walks that reached the end", "files ATTACHed in a forked child",
	"attached files shared by dup", "size-0 ADD refused by a byte limit",
	"lseek SEEK_DATA/SEEK_HOLE on an attached file", "ADD refused by max_user_entries",
	"size-0 ADD refused by max_user_entries", "ADD refused only because sizes round up to pages",
	"ADD of an absent '.'-name refused (EPERM)", "  ... over max_entry_size (EPERM, not EFBIG)", };
ull g_cov[C_NCOV];
bool g_count_cov;
#define COV(c) do { if (g_count_cov) g_cov[c]++; } while (0)

bool mismatch(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_why, g_whylen, fmt, ap);
	va_end(ap);
	return false;
}

/* Compare bytes; describe the first difference. */
static bool same_bytes(const char *what, const unsigned char *want, const unsigned char *got,
		       ull n)
{
	ull i;

	for (i = 0; i < n; i++)
		if (want[i] != got[i])
			return mismatch("%s: byte %llu of %llu is %#x, want %#x", what, i, n,
					got[i], want[i]);
	return true;
}

const unsigned char *obj_name(const struct mobj *o)
{
	return (const unsigned char *)(o->nidx >= 0 ? names[o->nidx].f : o->fname);
}

/*
 * What an ioctl on a name (ADD, REMOVE, INFO, READ, WRITE) fails with before
 * it looks the name up, in the driver's order: a closed fd, an unreadable
 * argument, reserved fields set (or @bad_arg), a bad name (@nerr). 0 if none.
 */
static int m_named_err(const struct op *op, bool badfd, bool bad_arg, int nerr)
{
	if (badfd)
		return -EBADF;
	if (op->argmode == 1)
		return -EFAULT;
	if (op->resv || bad_arg)
		return -EINVAL;
	return nerr;
}

/* An ADD the registry refuses is counted in failed_adds/<ERRNO>. */
static int m_add_failed(int err)
{
	switch (err) {
	case -EPERM: M.ctr[CT_EPERM]++; break;
	case -EINVAL: M.ctr[CT_EINVAL]++; break;
	case -ENAMETOOLONG: M.ctr[CT_ENAMETOOLONG]++; break;
	case -EEXIST: M.ctr[CT_EEXIST]++; break;
	case -EFBIG: M.ctr[CT_EFBIG]++; break;
	case -ENOSPC: M.ctr[CT_ENOSPC]++; break;
	}
	return err;
}

/* Would it fit without the removed entries' bytes that files or mappings keep? */
static bool m_dead_bytes_matter(ull charge)
{
	ull live = M.base_bytes;
	bool dead = false;
	int k;

	for (k = 0; k < NSLOTS; k++)
		if (m_slot(k) && m_slot(k)->obj && !m_slot(k)->obj->live)
			dead = true;
	for (k = 0; k < NMAPS; k++)
		if (M.map[k].used && !M.map[k].obj->live)
			dead = true;
	for (k = 0; dead && k < M.nlive; k++)
		if (M.live[k]->cred >= 0)
			live += m_charge(M.live[k]->size);
	return dead && !over(live, charge, M.lim[L_TOTAL]);
}

/*
 * Why an ADD by credentials @c that would create @name with @size is refused
 * (0 if it is not), in the registry's order: a reserved name (EPERM: only
 * kernel callers create '.'-names, whatever the size), max_entry_size on the
 * size asked (EFBIG), then max_entries, max_total_bytes, and for a caller
 * without CAP_SYS_ADMIN max_user_bytes and max_user_entries (ENOSPC).  Byte
 * limits count the size rounded up to pages; size 0 counts 0 bytes but one
 * entry.
 */
static int m_add_refused(int c, const char *name, ull size)
{
	ull charge = m_charge(size);
	bool total, ubytes, uents;

	if (name[0] == '.') {
		COV(C_RESERVED_EPERM);
		if (size > M.lim[L_SIZE])
			COV(C_RESERVED_BIG);
		return -EPERM;
	}
	if (size > M.lim[L_SIZE])
		return -EFBIG;
	if (over((ull)M.nlive, 1, M.lim[L_ENT])) {
		COV(C_ENT_NOSPC);
		return -ENOSPC;
	}
	total = over(M.total, charge, M.lim[L_TOTAL]);
	ubytes = c && over(M.ubytes[c], charge, M.lim[L_USER]);
	uents = c && M.uents[c] >= M.lim[L_UENT];
	if (!total && !ubytes && !uents)
		return 0;
	if (total) {
		COV(C_TOTAL_NOSPC);
		if (m_dead_bytes_matter(charge))
			COV(C_DEAD_NOSPC);
	} else if (ubytes) {
		COV(C_USER_NOSPC);
	} else {
		COV(C_UENT_NOSPC);
		if (!size)
			COV(C_SIZE0_UENT_NOSPC);
	}
	if ((total || ubytes) && !size)
		COV(C_SIZE0_NOSPC);
	if (!uents && !over(M.total, size, M.lim[L_TOTAL]) &&
	    !(c && over(M.ubytes[c], size, M.lim[L_USER])))
		COV(C_PAGE_NOSPC);
	return -ENOSPC;
}

/*
 * Predict the outcome of op from the model, compare it with *got (when got
 * is not NULL) and apply the predicted effects to the model.  Returns false
 * on a mismatch, with the explanation in g_why.
 */
bool m_step(const struct op *op, const struct outcome *got)
{
	int c = op_cred(op);
	bool badfd = op->via && M.slot[op->via - 1] < 0;
	int nerr = names[op->name].err;
	struct mobj *o = op->name < nvalid ? M.byname[op->name] : NULL;
	struct mfile *f = m_slot(op->slot % NSLOTS);
	struct mmapm *mp = &M.map[op->mslot % NMAPS];
	sll erc = 0;
	ull done, i;

#define RET(e) do { erc = (e); goto rc_only; } while (0)
#define RET_IF(e) do { erc = (e); if (erc) goto rc_only; } while (0)
#define OK_RC(e) do { erc = (e); if (got && got->rc != erc) goto rc_only; } while (0)
#define CHK(cond, ...) do { if (got && !(cond)) return mismatch(__VA_ARGS__); } while (0)

	switch (op->kind) {
	case K_ADD: {
		ull size = op->a;

		/*
		 * ADD makes sure it can report its result as part of its
		 * copy-in, before the reserved fields and flags are checked.
		 */
		if (!badfd && op->argmode == 2)
			RET(-EFAULT);
		RET_IF(m_named_err(op, badfd, op->flags & ~WMS_ADD_EXCL, 0));
		RET_IF(m_add_failed(nerr));
		if (o && (op->flags & WMS_ADD_EXCL))
			RET(m_add_failed(-EEXIST));
		if (o) {
			if (!m_perm(o, c, 4)) {
				COV(C_EXIST_NOREAD);
				RET(-EACCES);
			}
			OK_RC(0);
			CHK(got->o.add.size == o->size && got->o.add.flags == 0 &&
			    !got->o.add.reserved[0] && !got->o.add.reserved[1],
			    "ADD of an existing entry: size %llu flags %#x reserved %#llx/%#llx, want size %llu flags 0 reserved 0",
			    (ull)got->o.add.size, got->o.add.flags, (ull)got->o.add.reserved[0],
			    (ull)got->o.add.reserved[1], o->size);
			return true;
		}
		RET_IF(m_add_failed(m_add_refused(c, names[op->name].f, size)));
		OK_RC(0);
		CHK(got->o.add.size == size && got->o.add.flags == WMS_ADD_CREATED &&
		    !got->o.add.reserved[0] && !got->o.add.reserved[1],
		    "ADD creating: size %llu flags %#x reserved %#llx/%#llx, want size %llu flags CREATED reserved 0",
		    (ull)got->o.add.size, got->o.add.flags, (ull)got->o.add.reserved[0],
		    (ull)got->o.add.reserved[1], size);
		o = calloc(1, sizeof(*o));
		o->data = calloc(1, size ? size : 1);
		if (!o || !o->data) {
			fprintf(stderr, "wms_fuzz: out of memory\n");
			exit(2);
		}
		o->seq = ++M.nextseq;
		o->size = size;
		o->nidx = op->name;
		o->uid = creds[c].uid;
		o->gid = creds[c].gid;
		o->mode = (op->mode & 0777) ? (op->mode & 0777) : 0600;
		o->cred = c;
		o->live = true;
		o->ct0 = got ? got->t0 : 0;
		o->ct1 = got ? got->t1 : ~0ULL;
		if (!size)
			COV(C_SIZE0);
		M.live[M.nlive++] = o;
		M.byname[op->name] = o;
		M.total += m_charge(size);
		if (c) {
			M.ubytes[c] += m_charge(size);
			M.uents[c]++;
		}
		M.ctr[CT_ADDS]++;
		if (size && M.total > M.ctr[CT_PEAK])
			M.ctr[CT_PEAK] = M.total;
		M.nobjs++;
		return true;
	}
	case K_REMOVE:
		RET_IF(m_named_err(op, badfd, false, nerr));
		if (!o)
			RET(-ENOENT);
		if (c && creds[c].uid != o->uid) {
			COV(C_REMOVE_EPERM);
			RET(-EPERM);
		}
		OK_RC(0);
		m_unlink(o);
		return true;
	case K_INFO:
		RET_IF(m_named_err(op, badfd, false, nerr));
		if (!o)
			RET(-ENOENT);
		if (op->argmode == 2)
			RET(-EFAULT);
		OK_RC(0);
		if (got) {
			const struct wms_info *in = &got->o.info;

			CHK(in->size == o->size && in->uid == o->uid && in->gid == o->gid &&
			    in->mode == o->mode && in->attached == o->attached,
			    "INFO: size %llu uid %u gid %u mode %#o attached %u, want size %llu uid %u gid %u mode %#o attached %u",
			    (ull)in->size, in->uid, in->gid, in->mode, in->attached,
			    o->size, o->uid, o->gid, o->mode, o->attached);
			CHK(in->ctime_ns >= o->ct0 && in->ctime_ns <= o->ct1,
			    "INFO: ctime_ns %llu outside the ADD call [%llu, %llu]",
			    (ull)in->ctime_ns, o->ct0, o->ct1);
			CHK(!in->reserved[0] && !in->reserved[1] && !in->reserved[2] && !in->reserved[3],
			    "INFO: reserved fields not zeroed");
		}
		return true;
	case K_READ:
	case K_WRITE: {
		ull end;

		RET_IF(m_named_err(op, badfd, false, nerr));
		if (__builtin_add_overflow(op->a, op->b, &end))
			RET(-EINVAL);
		if (!o)
			RET(-ENOENT);
		if (!m_perm(o, c, op->kind == K_READ ? 4 : 2))
			RET(-EACCES);
		if (op->kind == K_READ) {
			done = op->a >= o->size ? 0 : min_u(op->b, o->size - op->a);
			if (done && (op->bufkind == 1 || (op->bufkind == 2 && op->part < done)))
				RET(-EFAULT);
			if (op->argmode == 2)
				RET(-EFAULT);
			OK_RC(0);
			CHK(got->o.io.len == done, "READ: len out %llu, want %llu",
			    (ull)got->o.io.len, done);
			if (got && done && !same_bytes("READ data", o->data + op->a, got->data, done))
				return false;
			CHK(!got->canary_bad, "READ wrote past the %llu bytes it reported (byte +%u)",
			    done, got->canary_bad - 1);
			return true;
		}
		if (op->a > o->size || op->b > o->size - op->a)
			RET(-EFBIG);
		if (!op->b)
			RET(0);
		if (op->bufkind == 1 || (op->bufkind == 2 && op->part < op->b))
			RET(-EFAULT);
		if (op->argmode == 2)
			RET(-EFAULT);
		OK_RC(0);
		CHK(got->o.io.len == op->b, "WRITE: len out %llu, want %llu",
		    (ull)got->o.io.len, (ull)op->b);
		fill(o->data + op->a, op->b, op->dseed);
		return true;
	}
	case K_LIST: {
		ull start = op->acc ? M.wpos : 0, n = 0;
		int first = 0;
		const struct wms_list_entry *rec;

		if (badfd)
			RET(-EBADF);
		if (op->argmode == 1)
			RET(-EFAULT);
		if (op->resv || !op->count)
			RET(-EINVAL);
		while (first < M.nlive && M.live[first]->seq <= start)
			first++;
		n = min_u((ull)(M.nlive - first), op->count);
		if (n && op->bufkind == 1)
			RET(-EFAULT);
		if (op->argmode == 2)
			RET(-EFAULT);
		OK_RC(0);
		CHK(got->o.list.count == n && got->o.list.total == (ull)M.nlive,
		    "LIST from %s: count %u total %llu, want count %llu total %d",
		    op->acc ? "the walk's cursor" : "0", got->o.list.count,
		    (ull)got->o.list.total, n, M.nlive);
		CHK(!got->o.list.reserved0 && !got->o.list.reserved[0] && !got->o.list.reserved[1],
		    "LIST: reserved fields not zeroed");
		CHK(!got->canary_bad, "LIST wrote records past count");
		for (i = 0; got && i < n; i++) {
			const struct mobj *e = M.live[first + i];
			const unsigned char *want = obj_name(e);
			size_t wl = strnlen((const char *)want, NAME_LEN);

			rec = (const struct wms_list_entry *)got->data + i;
			CHK(!memcmp(rec->name, want, wl + 1) && rec->size == e->size &&
			    rec->uid == e->uid && rec->gid == e->gid && rec->mode == e->mode &&
			    !rec->reserved,
			    "LIST record %llu: \"%.40s\" size %llu uid %u gid %u mode %#o reserved %u, want \"%s\" size %llu uid %u gid %u mode %#o",
			    i, rec->name, (ull)rec->size, rec->uid, rec->gid, rec->mode, rec->reserved,
			    e->nidx >= 0 ? names[e->nidx].label : e->fname, e->size, e->uid, e->gid,
			    e->mode);
		}
		if (!n && op->acc && start)
			COV(C_WALK_END);
		M.wpos = n ? M.live[first + n - 1]->seq : start;
		return true;
	}
	case K_ATTACH:
		if (!f)
			RET(-EBADF);
		if (op->argmode == 1)
			RET(-EFAULT);
		if (op->resv)
			RET(-EINVAL);
		if (nerr)
			RET(nerr);
		if (f->obj)
			RET(-EBUSY);
		if (!o)
			RET(-ENOENT);
		if (!m_perm(o, c, 4))
			RET(-EACCES);
		OK_RC(0);
		if (op->ctx >= CTX_FORK)
			COV(C_CHILD_ATTACH);
		f->obj = o;
		f->writable = m_perm(o, c, 2);
		f->pos = 0;
		o->attached++;
		return true;
	case K_APROBE: {
		bool w;

		if (op->resv)
			RET(-EINVAL);
		if (nerr)
			RET(nerr);
		if (!o)
			RET(-ENOENT);
		if (!m_perm(o, c, 4))
			RET(-EACCES);
		OK_RC(0);
		w = m_perm(o, c, 2);
		if (got) {
			sll want_map = !o->size ? -EINVAL : w ? 0 : -EACCES;
			sll want_rd = (sll)min_u(64, o->size);

			CHK(got->r[0] == (w ? 0 : -EACCES),
			    "attached file (write permission %s): write(fd, buf, 0) -> %s, want %s",
			    w ? "yes" : "no", rstr(got->r[0]), rstr(w ? 0 : -EACCES));
			CHK(got->r[1] == want_map, "attached file (size %llu, write permission %s): mmap(RW, MAP_SHARED) -> %s, want %s",
			    o->size, w ? "yes" : "no", rstr(got->r[1]), rstr(want_map));
			CHK(got->r[2] == want_rd, "attached file: read(fd, 64) at 0 -> %s, want %lld",
			    rstr(got->r[2]), want_rd);
			if (!same_bytes("read() of the attached file", o->data, got->data, (ull)want_rd))
				return false;
			CHK(got->r[3] == 0 && got->r[4] == o->attached + 1,
			    "INFO while attached: %s attached %lld, want 0 attached %u",
			    rstr(got->r[3]), got->r[4], o->attached + 1);
		}
		return true;
	}
	case K_BADCMD:
		RET(badfd ? -EBADF : -ENOTTY);
	case K_OPEN: {
		int k;

		m_close_slot(op->slot);
		for (k = 0; k < NFILES; k++)
			if (!M.files[k].refs)
				break;
		memset(&M.files[k], 0, sizeof(M.files[k]));
		M.files[k].refs = 1;
		M.files[k].acc = op->acc % 3;
		M.slot[op->slot] = k;
		RET(0);
	}
	case K_CLOSE:
		if (!f)
			RET(-EBADF);
		m_close_slot(op->slot);
		RET(0);
	case K_DUP:
		if (!f)
			RET(-EBADF);
		if (op->slot != op->slot2) {
			m_close_slot(op->slot2);
			M.slot[op->slot2] = M.slot[op->slot];
			f->refs++;
		}
		RET(0);
	case K_FREAD:
	case K_PREAD:
	case K_FWRITE:
	case K_PWRITE: {
		bool rd = op->kind == K_FREAD || op->kind == K_PREAD;
		bool positional = op->kind == K_PREAD || op->kind == K_PWRITE;
		ull pos;

		if (positional && (sll)op->a < 0)
			RET(-EINVAL);
		if (!f)
			RET(-EBADF);
		if (rd ? !m_can_read(f) : !m_can_write(f)) {
			if (!rd && f->obj)
				COV(C_RO_FILE);
			RET(-EBADF);
		}
		pos = positional ? op->a : (ull)f->pos;
		if ((sll)(pos + op->b) < 0)
			RET(-EINVAL);	/* rw_verify_area */
		if (!f->obj)
			RET(-EBADFD);
		o = f->obj;
		if (!o->live)
			COV(C_DEAD_IO);
		if (f->refs > 1)
			COV(C_DUP_SHARED);
		if (rd) {
			done = pos >= o->size ? 0 : min_u(op->b, o->size - pos);
			if (done && (op->bufkind == 1 || (op->bufkind == 2 && op->part < done)))
				RET(-EFAULT);
			OK_RC((sll)done);
			if (got && done && !same_bytes(kname[op->kind], o->data + pos, got->data, done))
				return false;
			CHK(!got->canary_bad, "%s wrote past the %llu bytes it returned",
			    kname[op->kind], done);
			if (!positional)
				f->pos += (sll)done;
			return true;
		}
		if (!f->writable) {
			COV(C_NOWRITE_FILE);
			RET(-EACCES);
		}
		if (pos > o->size || op->b > o->size - pos)
			RET(-EFBIG);
		if (!op->b)
			RET(0);
		if (op->bufkind == 1 || (op->bufkind == 2 && op->part < op->b))
			RET(-EFAULT);
		OK_RC((sll)op->b);
		fill(o->data + pos, op->b, op->dseed);
		if (!positional)
			f->pos += (sll)op->b;
		return true;
	}
	case K_LSEEK: {
		sll off = (sll)op->a, np;
		ull eof;

		if (!f)
			RET(-EBADF);
		if (op->mode > SEEK_HOLE)
			RET(-EINVAL);
		if (!f->obj)
			RET(-EBADFD);
		eof = f->obj->size;
		if (op->mode == SEEK_DATA || op->mode == SEEK_HOLE)
			COV(C_SEEK_DATA);
		switch (op->mode) {
		case SEEK_SET:
			np = off;
			break;
		case SEEK_CUR:
			if (!off)
				RET(f->pos);
			np = (sll)((ull)f->pos + (ull)off);
			break;
		case SEEK_END:
			np = (sll)((ull)off + eof);
			break;
		case SEEK_DATA:
			if ((ull)off >= eof)
				RET(-ENXIO);
			np = off;
			break;
		default:	/* SEEK_HOLE */
			if ((ull)off >= eof)
				RET(-ENXIO);
			np = (sll)eof;
			break;
		}
		if (np < 0 || (ull)np > eof)
			RET(-EINVAL);
		f->pos = np;
		RET(np);
	}
	case K_MMAP: {
		ull nr, pg, np;
		bool shared = op->flags != MAP_PRIVATE, maywrite;

		m_unmap(op->mslot);
		if (op->a & (PG - 1))
			RET(-EINVAL);
		if (!f)
			RET(-EBADF);
		if (!op->b)
			RET(-EINVAL);
		maywrite = m_can_write(f);
		if (shared && (op->mode & PROT_WRITE) && !m_can_write(f)) {
			if (f->obj)
				COV(C_RO_FILE);
			RET(-EACCES);
		}
		if (!m_can_read(f))
			RET(-EACCES);
		if (!f->obj)
			RET(-EBADFD);
		if (!shared)
			RET(-EINVAL);
		o = f->obj;
		nr = (o->size + PG - 1) / PG;
		pg = op->a / PG;
		np = (op->b + PG - 1) / PG;
		if (pg >= nr || np > nr - pg)
			RET(-EINVAL);
		if (!f->writable) {
			if (op->mode & PROT_WRITE) {
				COV(C_NOWRITE_FILE);
				RET(-EACCES);
			}
			maywrite = false;
		}
		OK_RC(0);
		mp->used = true;
		mp->obj = o;
		mp->pg = pg;
		mp->np = np;
		mp->prot = (int)op->mode;
		mp->maywrite = maywrite;
		o->maps++;
		return true;
	}
	case K_MUNMAP:
		m_unmap(op->mslot);
		RET(0);
	case K_MPROTECT:
		if ((op->mode & PROT_WRITE) && !mp->maywrite) {
			COV(C_MPROTECT_EACCES);
			RET(-EACCES);
		}
		OK_RC(0);
		mp->prot = (int)op->mode;
		return true;
	case K_MCHECK: {
		static unsigned char img[IOSZ_MAX];
		ull base = mp->pg * PG, len = mp->np * PG;

		if (!mp->obj->live)
			COV(C_DEAD_MAP);
		OK_RC(0);
		if (!got)
			return true;
		memset(img, 0, len);
		if (base < mp->obj->size)
			memcpy(img, mp->obj->data + base, min_u(len, mp->obj->size - base));
		CHK(got->ndata == len, "mapping check: %u bytes, want %llu", got->ndata, len);
		return same_bytes("mapping contents", img, got->data, len);
	}
	case K_MSTORE:
		if (!mp->obj->live)
			COV(C_DEAD_MAP);
		OK_RC(0);
		fill(mp->obj->data + mp->pg * PG + op->a, op->b, op->dseed);
		return true;
	case K_SETPARAM:
		OK_RC(0);
		M.lim[op->pidx] = param_abs(op->pidx, op->a);
		return true;
	}
	return true;

rc_only:
	CHK(got->rc == erc, "result %s, want %s", rstr(got->rc), rstr(erc));
	return true;
#undef RET
#undef RET_IF
#undef OK_RC
#undef CHK
}

void m_import(const struct wms_list_entry *rec)
{
	struct mobj *o = calloc(1, sizeof(*o));
	int p;

	if (!o) {
		fprintf(stderr, "wms_fuzz: out of memory\n");
		exit(2);
	}
	memcpy(o->fname, rec->name, NAME_LEN);
	o->seq = ++M.nextseq;
	o->size = rec->size;
	o->uid = rec->uid;
	o->gid = rec->gid;
	o->mode = rec->mode;
	o->nidx = -1;
	o->cred = -1;
	o->live = true;
	M.live[M.nlive++] = o;
	for (p = 1; p < NCRED; p++)
		if (creds[p].uid == o->uid) {
			M.ubytes[p] += m_charge(o->size);
			M.uents[p]++;
		}
}

void m_free(void)
{
	int i, k;

	for (i = 0; i < NSLOTS; i++)
		m_close_slot(i);
	for (i = 0; i < NMAPS; i++)
		m_unmap(i);
	for (i = 0; i < M.nlive; i++) {
		struct mobj *o = M.live[i];

		if (o->cred < 0) {
			free(o);
		} else {
			o->live = false;
			for (k = 0; k < MAXNAMES; k++)
				if (M.byname[k] == o)
					M.byname[k] = NULL;
			m_release(o);
		}
	}
	M.nlive = 0;
	if (M.nobjs)
		diag("warning: %d model objects still referenced after reset", M.nobjs);
}
