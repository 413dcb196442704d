/* SPDX-License-Identifier: MIT */
/* envdir: the generations of a build directory's active set, and the switch between them */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * BUILDDIR/env/ holds the generations of one build directory's active set:
 *
 *   .lock            flock: LOCK_EX for whoever changes env/ (activate,
 *                    deactivate, rollback, gc), LOCK_SH for readers (list...)
 *   gen-N/           generation N, never changed once renamed into place:
 *     bin/ lib/ include/ share/ etc/
 *                    real directories merging those of every package
 *                    (farm.c): symlinks to .s/ID/..., of files, or of
 *                    directories only one package has
 *     .s             symlink to the store (absolute)
 *     env.sh         POSIX sh to source: the packages' env: and the
 *                    generation's directories on PATH, LD_LIBRARY_PATH, ...
 *     active.json    what the generation holds, see write_info()
 *   active           symlink to "gen-N", replaced by one rename(2)
 *   .gen-N.tmp/      a generation being built
 *   .old-gen-N/      a generation gc is deleting (renamed first, so that no
 *                    half-deleted gen-N is ever seen)
 *   active.tmp.PID   the new active symlink before its rename
 *
 * The temp names are removed by the next writer, under the lock. So a crash
 * leaves active on the old or on the new generation, and both are complete.
 * N only grows: the next generation is one more than the highest on disk,
 * also after a rollback (as Nix numbers profile generations). Every writer
 * takes .lock, then the store's gc lock (shared, or exclusive for gc): the
 * same order everywhere, so two of them never deadlock.
 */

int
envdir_locate(char **builddir, char **store)
{
	const char *b = opt_builddir;
	const char *s = NULL, *bd = NULL;
	char *abs, *path;
	json_t *m = NULL;
	int ret = -1;

	if (!b)
		b = fs_exists("build.ninja") ? "." : "build";
	abs = fs_abspath(b);
	*builddir = *store = NULL;
	if (!fs_isdir(abs)) {
		fail("no build directory %s (name one with -B BUILDDIR)", abs);
		goto out;
	}
	/* the store this build directory was generated with */
	path = xasprintf("%s/.pkggen/activate.json", abs);
	if (fs_exists(path))
		m = cjson_load(path);
	free(path);
	if (!m) {
		path = xasprintf("%s/env/active/active.json", abs);
		if (fs_exists(path))
			m = cjson_load(path);
		free(path);
	}
	if (m) {
		s = cjson_str(m, "store");
		bd = cjson_str(m, "builddir");
	}
	if (!s || s[0] != '/') {
		fail("%s: no store known: no .pkggen/activate.json and no active "
		    "generation (run pkggen first)", abs);
		goto out;
	}
	/* the manifest's spelling of the build directory names its gc root */
	*builddir = xstrdup(bd && bd[0] == '/' ? bd : abs);
	*store = xstrdup(s);
	ret = 0;
out:
	json_decref(m);
	free(abs);
	return ret;
}

long
envdir_gen_number(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "gen-", 4) != 0 || name[4] < '1' || name[4] > '9')
		return 0;
	errno = 0;
	n = strtol(name + 4, &end, 10);
	return *end || errno ? 0 : n;
}

static int
cmplong(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* list the generations; with clean, remove what crashed runs left */
static int
scan(struct envdir *e, int clean)
{
	char link[NAME_MAX + 1];
	size_t cap = 0;
	ssize_t len;
	struct dirent *d;
	DIR *dir;
	long n;
	int fd = dup(e->fd);

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail("open %s:", e->dir);
	}
	while ((d = readdir(dir))) {
		if (clean && ((startswith(d->d_name, ".gen-") && endswith(d->d_name, ".tmp")) ||
		    startswith(d->d_name, ".old-gen-"))) {
			char *p = xasprintf("%s/%s", e->dir, d->d_name);

			fs_rmtree(p);
			free(p);
			step_point("remove a leftover generation");
		} else if (clean && startswith(d->d_name, "active.tmp.")) {
			unlinkat(e->fd, d->d_name, 0);
			step_point("remove a leftover active.tmp");
		} else if ((n = envdir_gen_number(d->d_name)) > 0) {
			if (e->ngens == cap) {
				cap = cap ? 2 * cap : 16;
				e->gens = xreallocarray(e->gens, cap, sizeof(*e->gens));
			}
			e->gens[e->ngens++] = n;
		}
	}
	closedir(dir);
	if (e->ngens)
		qsort(e->gens, e->ngens, sizeof(*e->gens), cmplong);
	if (e->ngens && e->gens[e->ngens - 1] == LONG_MAX)
		return fail("no generation number left (%s)", e->dir);
	len = readlinkat(e->fd, "active", link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		e->cur = envdir_gen_number(link);
	}
	return 0;
}

int
envdir_open(struct envdir *e, const char *builddir, const char *store, int flags)
{
	char *lockpath;

	memset(e, 0, sizeof(*e));
	e->fd = e->lock = e->gclock = -1;
	e->builddir = xstrdup(builddir);
	e->store = xstrdup(store);
	e->dir = xasprintf("%s/env", builddir);
	if (flags & ENVDIR_READ) {
		/* nothing activated yet: no generations, not an error */
		if (!fs_isdir(e->dir))
			return 0;
	} else if (fs_mkdirs(e->dir, 0755) < 0) {
		return -1;
	}
	e->fd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->fd < 0)
		return fail("open %s:", e->dir);
	if (!(flags & ENVDIR_READ))
		fs_topdir(e->fd);
	lockpath = xasprintf("%s/.lock", e->dir);
	e->lock = fs_lock(lockpath, flags & ENVDIR_READ ? LOCK_SH : LOCK_EX);
	if (e->lock < 0) {
		fail("lock %s:", lockpath);
		free(lockpath);
		return -1;
	}
	free(lockpath);
	if (!(flags & ENVDIR_READ)) {
		/* no gc while we reference store entries (or, for gc, no one else) */
		e->gclock = store_lock(store, flags & ENVDIR_GC ? LOCK_EX : LOCK_SH);
		if (e->gclock < 0)
			return -1;
		/* gc keeps what the generations of every registered env/
		 * reference, and the archives its build's manifests name */
		if (store_add_root(store, e->dir) < 0)
			return -1;
		step_point("register the gc root");
	}
	return scan(e, !(flags & ENVDIR_READ));
}

void
envdir_close(struct envdir *e)
{
	if (e->gclock >= 0)
		close(e->gclock);
	if (e->lock >= 0)
		close(e->lock);
	if (e->fd >= 0)
		close(e->fd);
	free(e->gens);
	free(e->builddir);
	free(e->store);
	free(e->dir);
	memset(e, 0, sizeof(*e));
	e->fd = e->lock = e->gclock = -1;
}

int
envdir_has(const struct envdir *e, long n)
{
	return e->ngens && bsearch(&n, e->gens, e->ngens, sizeof(*e->gens), cmplong);
}

json_t *
envdir_load(const struct envdir *e, long n)
{
	char *path = xasprintf("%s/gen-%ld/active.json", e->dir, n);
	json_t *info = cjson_load(path), *pkgs;

	pkgs = json_object_get(info, "packages");
	if (info && (!json_is_object(info) || !json_is_array(pkgs))) {
		fail("%s: not a generation record (no 'packages' array)", path);
		json_decref(info);
		info = NULL;
	}
	free(path);
	return info;
}

static int
is_varname(const char *s)
{
	static const char rest[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789";

	return *s && !(*s >= '0' && *s <= '9') && s[strspn(s, rest)] == '\0';
}

/* one export: PATH-like variables (PATH, or ending in PATH) get value
 * prepended to their old value, any other is set to value */
static void
put_export(struct buf *b, const char *var, const char *value)
{
	buf_puts(b, var);
	buf_putc(b, '=');
	buf_shquote(b, value);
	if (endswith(var, "PATH"))
		buf_printf(b, "\"${%s:+:$%s}\"", var, var);
	buf_printf(b, "; export %s\n", var);
}

/* create file name in the new generation dirfd (dir, for messages) and
 * write it; the open file in *fd, to fsync. No temp file and rename: the
 * generation itself is one */
static int
put_file(int dirfd, const char *dir, const char *name, const char *data, size_t len, int *fd)
{
	ssize_t n;

	*fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (*fd < 0)
		return fail("create %s/%s:", dir, name);
	while (len > 0) {
		n = write(*fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail("write %s/%s:", dir, name);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* env.sh: each package's env: (deps first, {{prefix}} = its STORE/ID),
 * then the generation's own directories, so that they come first */
static int
write_envsh(const struct envdir *e, const struct genpkg *pkgs, size_t n, long gen,
    int dirfd, const char *dir, int *fd)
{
	static const char *const dirvars[][3] = {
		{"LIBRARY_PATH", "lib", NULL},
		{"CPATH", "include", NULL},
		{"PKG_CONFIG_PATH", "lib/pkgconfig", "share/pkgconfig"},
		{"LD_LIBRARY_PATH", "lib", NULL},
		{"PATH", "bin", NULL},
	};
	struct buf b = BUF_INIT, v = BUF_INIT, val = BUF_INIT;
	const char *var, *s, *hit;
	char *final = xasprintf("%s/gen-%ld", e->dir, gen);
	json_t *env, *x;
	size_t i;
	int ret = -1;

	buf_printf(&b, "# generation %ld of %s, made by pkgtool\n", gen, e->builddir);
	buf_printf(&v, "%s/env.sh", final);
	buf_puts(&b, "# use: . ");
	buf_shquote(&b, buf_str(&v));
	buf_putc(&b, '\n');
	for (i = 0; i < n; i++) {
		const char *kind = pkgs[i].kind;

		/* an interceptor's env: applies only to the pipeline entries that
		 * name it (with its LD_PRELOAD), never to the whole active set */
		if (kind && !strcmp(kind, "interceptor"))
			continue;
		env = pkgs[i].env;
		if (!env)
			continue;
		if (!json_is_object(env)) {
			fail("%s/pkginfo.json: env is not an object", pkgs[i].prefix);
			goto out;
		}
		/* jansson iterates in insertion order: the archive's sorted order */
		json_object_foreach(env, var, x) {
			if (!is_varname(var) || !json_is_string(x)) {
				fail("%s/pkginfo.json: env: bad variable '%s' (expected a "
				    "shell name and a string)", pkgs[i].prefix, var);
				goto out;
			}
			buf_reset(&val);
			for (s = json_string_value(x); (hit = strstr(s, "{{prefix}}")); s = hit + 10) {
				buf_putn(&val, s, (size_t)(hit - s));
				buf_puts(&val, pkgs[i].prefix);
			}
			buf_puts(&val, s);
			put_export(&b, var, buf_str(&val));
		}
	}
	for (i = 0; i < LEN(dirvars); i++) {
		buf_reset(&v);
		buf_printf(&v, "%s/%s", final, dirvars[i][1]);
		if (dirvars[i][2])
			buf_printf(&v, ":%s/%s", final, dirvars[i][2]);
		put_export(&b, dirvars[i][0], buf_str(&v));
	}
	/* an empty last MANPATH entry stands for man's default path: keep it */
	buf_puts(&b, "MANPATH=");
	buf_reset(&v);
	buf_printf(&v, "%s/share/man", final);
	buf_shquote(&b, buf_str(&v));
	buf_puts(&b, "\":${MANPATH-}\"; export MANPATH\n");
	ret = put_file(dirfd, dir, "env.sh", b.s, b.len, fd);
out:
	free(final);
	buf_release(&val);
	buf_release(&v);
	buf_release(&b);
	return ret;
}

/* append v (a new reference, released) as JSON on one line, keys sorted */
static void
put_json(struct buf *b, json_t *v)
{
	size_t n, room;

	if (!v)
		fatal("out of memory");
	buf_grow(b, 256);
	for (;;) {
		room = b->cap - b->len - 1;
		n = json_dumpb(v, b->s + b->len, room, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (n == 0)
			fatal("out of memory");
		if (n <= room)
			break;
		buf_grow(b, n);
	}
	b->len += n;
	b->s[b->len] = '\0';
	json_decref(v);
}

/*
 * active.json, the record of a generation (read by rollback, list, gc, ...):
 *   {"generation": N, "previous": M or null (active before this one),
 *    "created": "YYYY-MM-DDTHH:MM:SSZ", "builddir": "/abs", "store": "/abs",
 *    "packages": [{"name", "version", "id", "kind", "depends": [ids]}]}
 * with packages dependencies first, keys sorted, one package a line. gc
 * keeps every STORE/ID it names. It is written a package at a time: the
 * whole tree of a large set at once was most of the memory activate touched.
 */
static int
write_info(const struct envdir *e, const struct genpkg *pkgs, size_t n, long gen,
    int dirfd, const char *dir, int *fd)
{
	struct buf b = BUF_INIT;
	char when[32];
	time_t now = time(NULL);
	size_t i, j;
	int ret;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	buf_puts(&b, "{\n  \"builddir\": ");
	put_json(&b, json_string(e->builddir));
	buf_puts(&b, ",\n  \"created\": ");
	put_json(&b, json_string(when));
	buf_printf(&b, ",\n  \"generation\": %ld,\n  \"packages\": [", gen);
	for (i = 0; i < n; i++) {
		const struct genpkg *p = &pkgs[i];
		json_t *ids = json_array();

		for (j = 0; j < p->ndeps; j++)
			json_array_append_new(ids, json_string(p->deps[j]));
		buf_puts(&b, i ? ",\n    " : "\n    ");
		put_json(&b, json_pack("{s:s, s:s, s:s, s:o, s:o}",
		    "name", p->name, "version", p->version, "id", p->id,
		    "kind", p->kind ? json_string(p->kind) : json_null(), "depends", ids));
	}
	buf_puts(&b, n ? "\n  ],\n  \"previous\": " : "],\n  \"previous\": ");
	if (e->cur)
		buf_printf(&b, "%ld", e->cur);
	else
		buf_puts(&b, "null");
	buf_puts(&b, ",\n  \"store\": ");
	put_json(&b, json_string(e->store));
	buf_puts(&b, "\n}\n");
	ret = put_file(dirfd, dir, "active.json", b.s, b.len, fd);
	buf_release(&b);
	return ret;
}

/*
 * env.sh and active.json, written and fsynced by a thread of their own
 * while the farm is made: the farm's plan leaves a processor free, and the
 * fsyncs wait for the disk, not for a processor.
 */
struct filesjob {
	const struct envdir *e;
	const struct genpkg *pkgs;
	size_t n;
	long gen;
	int dirfd, ret, started;
	const char *dir;
	pthread_t thread;
};

static void *
gen_files(void *arg)
{
	static const char *const names[] = {"env.sh", "active.json"};
	struct filesjob *j = arg;
	int fd[2] = {-1, -1};
	size_t i;

	j->ret = -1;
	if (write_envsh(j->e, j->pkgs, j->n, j->gen, j->dirfd, j->dir, &fd[0]) < 0)
		goto out;
	step_point("write env.sh");
	if (write_info(j->e, j->pkgs, j->n, j->gen, j->dirfd, j->dir, &fd[1]) < 0)
		goto out;
	step_point("write active.json");
	for (i = 0; i < LEN(fd); i++) {
		if (fsync(fd[i]) < 0) {
			fail("fsync %s/%s:", j->dir, names[i]);
			goto out;
		}
	}
	j->ret = 0;
out:
	for (i = 0; i < LEN(fd); i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return NULL;
}

/* build env/.gen-N.tmp and rename it to env/gen-N */
static int
make_generation(struct envdir *e, const struct genpkg *pkgs, size_t n, long gen,
    const char *where)
{
	char *tmp = xasprintf("%s/.gen-%ld.tmp", e->dir, gen);
	char *final = xasprintf("%s/gen-%ld", e->dir, gen);
	struct filesjob fj;
	int genfd = -1, ret = -1, farm;

	if (mkdir(tmp, 0755) < 0 || (genfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fail("mkdir %s:", tmp);
		goto out;
	}
	/* its bin/ lib/ share/... each in a block group of their own: the
	 * threads that fill them seldom wait for one another */
	fs_topdir(genfd);
	step_point("mkdir .gen-N.tmp");
	memset(&fj, 0, sizeof(fj));
	fj.e = e;
	fj.pkgs = pkgs;
	fj.n = n;
	fj.gen = gen;
	fj.dirfd = genfd;
	fj.dir = tmp;
	fj.started = pthread_create(&fj.thread, NULL, gen_files, &fj) == 0;
	if (!fj.started)
		gen_files(&fj);
	farm = farm_build(e->store, pkgs, n, where, genfd);
	if (fj.started)
		pthread_join(fj.thread, NULL);
	if (fj.ret < 0 || farm < 0)
		goto out;
	step_point("symlink farm");
	/*
	 * The farm is only directories and symlinks, metadata that the
	 * journal commits in order before the rename below; the two files
	 * were fsynced, and so is the directory that holds them.
	 */
	if (fsync(genfd) < 0 || rename(tmp, final) < 0) {
		fail("rename %s to %s:", tmp, final);
		goto out;
	}
	step_point("rename .gen-N.tmp to gen-N");
	fsync(e->fd);
	ret = 0;
out:
	if (genfd >= 0)
		close(genfd);
	if (ret < 0)
		fs_rmtree(tmp);
	free(final);
	free(tmp);
	return ret;
}

int
envdir_switch(struct envdir *e, long n)
{
	char tmp[64], target[64];
	double t0, t1, t2;

	snprintf(tmp, sizeof(tmp), "active.tmp.%ld", (long)getpid());
	snprintf(target, sizeof(target), "gen-%ld", n);
	t0 = timing_ms();
	unlinkat(e->fd, tmp, 0);
	if (symlinkat(target, e->fd, tmp) < 0)
		return fail("symlink %s/%s:", e->dir, tmp);
	step_point("symlink active.tmp");
	if (renameat(e->fd, tmp, e->fd, "active") < 0) {
		unlinkat(e->fd, tmp, 0);
		return fail("rename %s/%s to active:", e->dir, tmp);
	}
	step_point("rename active.tmp to active");
	t1 = timing_ms();
	if (fsync(e->fd) < 0)
		return fail("fsync %s:", e->dir);
	t2 = timing_ms();
	if (timing_on())
		fprintf(stderr, "pkgtool: timing: switch to gen-%ld: %.3f ms "
		    "(symlink + rename), fsync %.3f ms\n", n, t1 - t0, t2 - t1);
	e->cur = n;
	return 0;
}

int
envdir_commit(struct envdir *e, const struct genpkg *pkgs, size_t n, const char *where,
    long *gen)
{
	long next = e->ngens ? e->gens[e->ngens - 1] + 1 : 1;
	double t0 = timing_ms();

	if (make_generation(e, pkgs, n, next, where) < 0)
		return -1;
	if (timing_on())
		fprintf(stderr, "pkgtool: timing: generation %ld of %zu packages built in %.3f ms\n",
		    next, n, timing_ms() - t0);
	e->gens = xreallocarray(e->gens, e->ngens + 1, sizeof(*e->gens));
	e->gens[e->ngens++] = next;
	if (envdir_switch(e, next) < 0)
		return -1;
	*gen = next;
	return 0;
}
