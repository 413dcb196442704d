/* SPDX-License-Identifier: MIT */
/* store: the package store and the extraction of packages into it */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "sha256.h"
#include "util.h"
#include "version.h"

/*
 * The store, shared by any number of build directories:
 *
 *   STORE/ID/                   an extracted package (pkginfo.json at its root);
 *                               it is only ever made by one rename(2), so a
 *                               STORE/ID that exists is complete: of an
 *                               unpacked archive, or of the tree pkgtool build
 *                               just packed (store_publish)
 *   STORE/pkgs/ID.tar.zst       package archives (pkgtool package)
 *   STORE/sources/{sha256,sha1,git}/   verified sources (pkgtool fetch)
 *   STORE/tmp/                  work in progress; ID.XXXXXX is an extraction
 *   STORE/locks/ID.lock         held while ID is built
 *   STORE/locks/ID.extract.lock held while ID is extracted
 *   STORE/locks/gc.lock         shared by activate, exclusive for gc (later)
 *   STORE/gcroots/HEX16         symlink to a BUILDDIR/env that uses this store;
 *                               gc keeps what their generations reference
 */

/* extractions whose locks are held at once; one syncfs covers each batch */
#define BATCH 64

static const char *const dirs[] = {
	"sources/sha256", "sources/sha1", "sources/git", "pkgs", "tmp", "locks", "gcroots",
};

int
store_init(const char *store)
{
	size_t i;

	for (i = 0; i < LEN(dirs); i++) {
		char *p = xasprintf("%s/%s", store, dirs[i]);
		int r = fs_mkdirs(p, 0755);

		free(p);
		if (r < 0)
			return -1;
	}
	return 0;
}

int
store_check_id(const char *id)
{
	size_t n = strlen(id);

	/* an id names a directory of the store: one plain path component */
	if (n == 0 || n > NAME_MAX - 16 || id[0] == '.' || strchr(id, '/'))
		return fail("bad package id '%s'", id);
	return 0;
}

/* remove STORE/tmp/ID.XXXXXX left by a crashed extraction (caller holds the lock) */
static void
clean_stale(const char *tmpdir, const char *id)
{
	size_t n = strlen(id);
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, id, n) != 0 || e->d_name[n] != '.' ||
		    strlen(e->d_name + n + 1) != 6)
			continue;
		char *p = xasprintf("%s/%s", tmpdir, e->d_name);
		fs_rmtree(p);
		free(p);
	}
	closedir(d);
}

/* the pkginfo.json at the root of an unpacked archive must name id */
static int
check_info(const char *dir, const char *id, const char *archive)
{
	char *path = xasprintf("%s/pkginfo.json", dir);
	json_t *info = NULL;
	const char *got;
	int ret = -1;

	if (!fs_exists(path)) {
		fail("%s: no pkginfo.json at the root of the archive", archive);
		goto out;
	}
	info = cjson_load(path);
	if (!info)
		goto out;
	got = cjson_str(info, "id");
	if (!got || strcmp(got, id) != 0) {
		fail("%s: pkginfo.json names id '%s', expected '%s'", archive,
		    got ? got : "(none)", id);
		goto out;
	}
	ret = 0;
out:
	json_decref(info);
	free(path);
	return ret;
}

struct extraction {
	const struct store_req *req;
	char *dest;	/* STORE/ID */
	char *tmp;	/* STORE/tmp/ID.XXXXXX, or NULL when nothing to do */
	int lock;
};

/* lock, re-check and unpack one package into its temp dir; 0 or -1 */
static int
unpack_one(const char *store, struct extraction *j)
{
	const char *id = j->req->id;
	char *lockpath = xasprintf("%s/locks/%s.extract.lock", store, id);
	char *tmpdir = xasprintf("%s/tmp", store);
	int ret = -1;

	j->lock = fs_lock(lockpath, LOCK_EX);
	if (j->lock < 0) {
		fail("lock %s:", lockpath);
		goto out;
	}
	if (fs_exists(j->dest)) {
		/* another process extracted it while we waited */
		ret = 0;
		goto out;
	}
	clean_stale(tmpdir, id);
	j->tmp = xasprintf("%s/%s.XXXXXX", tmpdir, id);
	if (!mkdtemp(j->tmp)) {
		fail("mkdtemp %s:", j->tmp);
		free(j->tmp);
		j->tmp = NULL;
		goto out;
	}
	/* the archive holds the content of STORE/ID, not the directory itself */
	if (chmod(j->tmp, 0755) < 0) {
		fail("chmod %s:", j->tmp);
		goto out;
	}
	step_point("mkdtemp STORE/tmp/ID.XXXXXX");
	if (archive_unpack(j->req->archive, j->tmp, 0) < 0 ||
	    check_info(j->tmp, id, j->req->archive) < 0)
		goto out;
	step_point("unpack into STORE/tmp/ID.XXXXXX");
	ret = 0;
out:
	free(tmpdir);
	free(lockpath);
	return ret;
}

/* move an unpacked temp dir into place */
static int
publish(struct extraction *j)
{
	struct stat st;

	if (rename(j->tmp, j->dest) == 0)
		goto done;
	/* moving a directory to another parent rewrites its "..": it needs u+w */
	if (errno == EACCES && stat(j->tmp, &st) == 0 && chmod(j->tmp, st.st_mode | 0200) == 0 &&
	    rename(j->tmp, j->dest) == 0)
		goto done;
	if ((errno == EEXIST || errno == ENOTEMPTY) && fs_isdir(j->dest)) {
		/* made by someone who does not take our lock; theirs is as good */
		fs_rmtree(j->tmp);
		goto done;
	}
	return fail("rename %s to %s:", j->tmp, j->dest);
done:
	free(j->tmp);
	j->tmp = NULL;
	return 0;
}

static int
cmpjob(const void *a, const void *b)
{
	const struct extraction *x = *(const struct extraction *const *)a;
	const struct extraction *y = *(const struct extraction *const *)b;

	return strcmp(x->req->id, y->req->id);
}

/* extract one batch of requests (no duplicates), given dependencies first:
 * they are published in that order, so a published STORE/ID always has its
 * runtime dependencies beside it */
static int
extract_batch(const char *store, const struct store_req **reqs, size_t n)
{
	struct extraction jobs[BATCH], *byid[BATCH];
	size_t i, nunpacked = 0;
	int ret = -1, fd;

	for (i = 0; i < n; i++) {
		jobs[i].req = reqs[i];
		jobs[i].dest = xasprintf("%s/%s", store, reqs[i]->id);
		jobs[i].tmp = NULL;
		jobs[i].lock = -1;
		byid[i] = &jobs[i];
	}
	/* the locks are taken in id order, so two processes never deadlock */
	qsort(byid, n, sizeof(*byid), cmpjob);
	for (i = 0; i < n; i++) {
		if (unpack_one(store, byid[i]) < 0)
			goto out;
		if (byid[i]->tmp)
			nunpacked++;
	}
	if (nunpacked && fs_durable()) {
		/*
		 * archive_unpack does not fsync each file; one syncfs makes
		 * every file of the batch durable before a rename publishes
		 * it, so a crash never leaves a STORE/ID with lost content.
		 */
		char *tmpdir = xasprintf("%s/tmp", store);

		fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0) {
			fail("syncfs %s:", tmpdir);
			if (fd >= 0)
				close(fd);
			free(tmpdir);
			goto out;
		}
		close(fd);
		free(tmpdir);
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].tmp && publish(&jobs[i]) < 0)
			goto out;
		step_point("rename STORE/tmp/ID.XXXXXX to STORE/ID");
	}
	if (nunpacked && fs_durable()) {
		fd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	ret = 0;
out:
	for (i = 0; i < n; i++) {
		if (jobs[i].tmp) {
			fs_rmtree(jobs[i].tmp);
			free(jobs[i].tmp);
		}
		if (jobs[i].lock >= 0)
			close(jobs[i].lock);
		free(jobs[i].dest);
	}
	return ret;
}

/* the ids a package archive's pkginfo.json names in "depends" */
static int
archive_deps(const char *archive, char ***ids, size_t *n, size_t *cap)
{
	struct buf b = BUF_INIT;
	json_t *info = NULL, *deps, *d;
	json_error_t e;
	size_t i;
	int ret = -1;

	if (archive_read_member(archive, "pkginfo.json", &b) < 0)
		goto out;
	info = json_loadb(b.s, b.len, 0, &e);
	if (!info) {
		fail("%s: pkginfo.json: %s", archive, e.text);
		goto out;
	}
	deps = json_object_get(info, "depends");
	json_array_foreach(deps, i, d) {
		const char *id = cjson_str(d, "id");

		if (id)
			xappend((void ***)ids, n, cap, xstrdup(id));
	}
	ret = 0;
out:
	json_decref(info);
	buf_release(&b);
	return ret;
}

struct node {
	struct store_req req;
	char *id, *archive;	/* req's strings when made here, else NULL */
	char **deps;
	size_t ndeps, depcap;
	int state;
};

char *
store_archive(const char *store, const char *id)
{
	return xasprintf("%s/pkgs/%s.tar.zst", store, id);
}

/* a node for id, whose archive is STORE/pkgs/ID.tar.zst unless given */
static struct node *
node_new(const char *store, const char *id, const char *archive)
{
	struct node *x = xcalloc(1, sizeof(*x));

	x->req.id = id;
	x->req.archive = archive ? archive :
	    (x->archive = store_archive(store, id));
	return x;
}

static struct node *
find(struct node **v, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i]->req.id, id))
			return v[i];
	return NULL;
}

static void
topo(struct node **v, size_t n, struct node *x, const struct store_req **out, size_t *nout)
{
	size_t i;

	if (x->state)
		return;
	x->state = 1;
	for (i = 0; i < x->ndeps; i++) {
		struct node *d = find(v, n, x->deps[i]);

		if (d)
			topo(v, n, d, out, nout);
	}
	out[(*nout)++] = &x->req;
}

int
store_extract_all(const char *store, const struct store_req *reqs, size_t n)
{
	struct node **v = NULL;
	const struct store_req **todo = NULL;
	size_t nv = 0, vcap = 0, i, j, ntodo = 0;
	int ret = 0;

	for (i = 0; i < n; i++) {
		char *dest;

		if (store_check_id(reqs[i].id) < 0) {
			ret = -1;
			goto out;
		}
		/* the common case: already there (with its dependencies), no lock needed */
		dest = xasprintf("%s/%s", store, reqs[i].id);
		if (!fs_exists(dest) && !find(v, nv, reqs[i].id))
			xappend((void ***)&v, &nv, &vcap, node_new(store, reqs[i].id, reqs[i].archive));
		free(dest);
	}
	if (!nv)
		goto out;
	if (store_init(store) < 0) {
		ret = -1;
		goto out;
	}
	/* add the runtime dependencies that are missing too, read from the
	 * archives, which never change once renamed into the store */
	for (i = 0; i < nv; i++) {
		if (archive_deps(v[i]->req.archive, &v[i]->deps, &v[i]->ndeps, &v[i]->depcap) < 0) {
			ret = -1;
			goto out;
		}
		for (j = 0; j < v[i]->ndeps; j++) {
			const char *id = v[i]->deps[j];
			char *dest;

			if (store_check_id(id) < 0) {
				ret = -1;
				goto out;
			}
			dest = xasprintf("%s/%s", store, id);
			if (!fs_exists(dest) && !find(v, nv, id)) {
				char *own = xstrdup(id);
				struct node *x = node_new(store, own, NULL);

				x->id = own;
				xappend((void ***)&v, &nv, &vcap, x);
			}
			free(dest);
		}
	}
	todo = xreallocarray(NULL, nv, sizeof(*todo));
	for (i = 0; i < nv; i++)
		topo(v, nv, v[i], todo, &ntodo);
	for (i = 0; i < ntodo && ret == 0; i += BATCH)
		ret = extract_batch(store, todo + i, ntodo - i < BATCH ? ntodo - i : BATCH);
out:
	for (i = 0; i < nv; i++) {
		for (j = 0; j < v[i]->ndeps; j++)
			free(v[i]->deps[j]);
		free(v[i]->deps);
		free(v[i]->id);
		free(v[i]->archive);
		free(v[i]);
	}
	free(v);
	free(todo);
	return ret;
}

int
store_extract(const char *store, const char *id, const char *archive)
{
	struct store_req r = {id, archive};

	return store_extract_all(store, &r, 1);
}

int
store_publish(const char *store, const char *id, const char *dir)
{
	char *lockpath = xasprintf("%s/locks/%s.extract.lock", store, id);
	char *dest = xasprintf("%s/%s", store, id);
	int lock, fd, ret = 0;

	/* the lock and the check of unpack_one: one of us makes STORE/ID */
	lock = fs_lock(lockpath, LOCK_EX);
	if (lock < 0) {
		ret = fail("lock %s:", lockpath);
		goto out;
	}
	if (fs_exists(dest))
		goto out;
	if (fs_durable()) {
		/* the content first, then the rename that publishes it */
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0) {
			ret = fail("syncfs %s:", dir);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if (rename(dir, dest) < 0) {
		/* another file system: the archive is unpacked when needed */
		if (errno != EXDEV)
			ret = fail("rename %s to %s:", dir, dest);
		goto out;
	}
	if (fs_durable())
		fs_sync_parent(dest);
	ret = 1;
out:
	if (lock >= 0)
		close(lock);
	free(lockpath);
	free(dest);
	return ret;
}

int
store_lock(const char *store, int how)
{
	char *path = xasprintf("%s/locks/gc.lock", store);
	int fd;

	if (fs_mkparent(path) < 0) {
		free(path);
		return -1;
	}
	fd = fs_lock(path, how);
	if (fd < 0)
		fail("lock %s:", path);
	free(path);
	return fd;
}

int
store_add_root(const char *store, const char *target)
{
	char hex[SHA256_HEX], old[PATH_MAX], *link, *tmp = NULL;
	ssize_t n;
	int ret = -1;

	/* named by a hash: a path may be longer than a file name may be */
	sha256_hex(target, strlen(target), hex);
	hex[16] = '\0';
	link = xasprintf("%s/gcroots/%s", store, hex);
	n = readlink(link, old, sizeof(old) - 1);
	if (n > 0 && (old[n] = '\0', strcmp(old, target) == 0)) {
		ret = 0;
		goto out;
	}
	if (fs_mkparent(link) < 0)
		goto out;
	tmp = xasprintf("%s.tmp.%ld", link, (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) < 0) {
		fail("symlink %s:", tmp);
		goto out;
	}
	if (rename(tmp, link) < 0) {
		fail("rename %s to %s:", tmp, link);
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	free(link);
	return ret;
}

/* 1 when name is "PREFIX--VERSION--HASH12" for the package prefix (which
 * may itself hold "--"), with the version in *v and *vlen */
static int
id_of(const char *name, const char *pkg, const char **v, size_t *vlen)
{
	size_t n = strlen(pkg), len = strlen(name), i;
	const char *dash;

	if (strncmp(name, pkg, n) != 0 || strncmp(name + n, "--", 2) != 0 || len < n + 2 + 15)
		return 0;
	for (i = len - 12; i < len; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return 0;
	dash = name + len - 14;
	if (strncmp(dash, "--", 2) != 0)
		return 0;
	*v = name + n + 2;
	*vlen = (size_t)(dash - *v);
	return *vlen > 0 && **v >= '0' && **v <= '9' && !memmem(*v, *vlen, "--", 2);
}

/* the best id so far for store_resolve, and a rival as good */
struct pick {
	char *best, *tie;
	struct timespec when;	/* best's mtime */
};

static int
cmptime(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	return a.tv_nsec < b.tv_nsec ? -1 : a.tv_nsec > b.tv_nsec;
}

/* consider every id of package name in directory dir (entries ending in
 * suffix, which is cut): the newest version wins, then the newest file */
static void
newest(const char *dir, const char *suffix, const char *name, struct pick *k)
{
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	size_t vlen, blen, slen = strlen(suffix);
	const char *v, *bv;
	char *id, *ver, *bver;
	int c;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!endswith(e->d_name, suffix) || e->d_name[0] == '.')
			continue;
		id = xstrndup(e->d_name, strlen(e->d_name) - slen);
		if (!id_of(id, name, &v, &vlen) || fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    (k->best && !strcmp(k->best, id))) {
			free(id);
			continue;
		}
		c = 1;
		if (k->best) {
			id_of(k->best, name, &bv, &blen);
			ver = xstrndup(v, vlen);
			bver = xstrndup(bv, blen);
			c = version_cmp(ver, bver);
			free(ver);
			free(bver);
			if (c == 0)
				c = cmptime(st.st_mtim, k->when);
		}
		if (c > 0) {
			free(k->best);
			free(k->tie);
			k->best = id;
			k->tie = NULL;
			k->when = st.st_mtim;
		} else if (c == 0 && (!k->tie || strcmp(k->tie, id) != 0)) {
			free(k->tie);
			k->tie = id;
		} else {
			free(id);
		}
	}
	closedir(d);
}

char *
store_resolve(const char *store, const char *arg)
{
	struct pick k = {NULL, NULL, {0, 0}};
	char *p;
	int found;

	if (!*arg || arg[0] == '.' || strchr(arg, '/')) {
		fail("bad package name or id '%s'", arg);
		return NULL;
	}
	/* an id the store has, extracted or as an archive */
	p = xasprintf("%s/%s/pkginfo.json", store, arg);
	found = fs_exists(p);
	free(p);
	if (!found) {
		p = store_archive(store, arg);
		found = fs_exists(p);
		free(p);
	}
	if (found)
		return xstrdup(arg);
	/* a name: its newest version, built last (archives only: an
	 * extracted STORE/ID's mtime says when it was extracted) */
	p = xasprintf("%s/pkgs", store);
	newest(p, ".tar.zst", arg, &k);
	free(p);
	if (!k.best)
		newest(store, "", arg, &k);
	if (!k.best) {
		fail("no package or id '%s' in the store (%s)", arg, store);
		return NULL;
	}
	if (k.tie) {
		fail("'%s' is ambiguous: %s and %s (name the id)", arg, k.best, k.tie);
		free(k.best);
		free(k.tie);
		return NULL;
	}
	return k.best;
}
