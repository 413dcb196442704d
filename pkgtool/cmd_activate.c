/* SPDX-License-Identifier: MIT */
/* cmd_activate: build the next generation of the active set and switch to it */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
 *   .lock            flock: one activate (rollback, deactivate, gc) at a time
 *   gen-N/           generation N, never changed once renamed into place:
 *     bin/ lib/ include/ share/ etc/
 *                    real directories merging those of every package; each
 *                    file or symlink of a package is a symlink to its
 *                    absolute path STORE/ID/...
 *     env.sh         POSIX sh to source: the packages' env: and the
 *                    generation's directories on PATH, LD_LIBRARY_PATH, ...
 *     active.json    what the generation holds, see write_info()
 *   active           symlink to "gen-N", replaced by one rename(2)
 *   .gen-N.tmp/      a generation being built
 *   active.tmp.PID   the new active symlink before its rename
 *
 * The two temp names are removed by the next run, under the lock. So a crash
 * leaves active on the old or on the new generation, and both are complete.
 * N only grows: the next generation is one more than the highest on disk,
 * also after a rollback (as Nix numbers profile generations).
 */

/* the directories of a package that the farm merges */
static const char *const tops[] = {"bin", "etc", "include", "lib", "share"};

struct pkg {
	const char *name, *version, *id, *archive;	/* borrowed from the manifest */
	char *prefix;	/* STORE/ID */
	json_t *info;	/* its pkginfo.json */
};

struct act {
	const char *mpath;
	const char *store, *builddir;	/* borrowed from the manifest */
	char *envdir;
	int envfd;
	struct pkg *pkgs;	/* as the manifest lists them, deps first */
	size_t npkgs;
	const char **ids;	/* sorted */
	long cur, next;		/* the active generation (0: none), the next one */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool activate [MANIFEST]\n"
	    "Extract the packages MANIFEST (default BUILDDIR/.pkggen/activate.json) lists\n"
	    "into the store, build the next generation BUILDDIR/env/gen-N of symlinks and\n"
	    "switch BUILDDIR/env/active to it atomically. Nothing happens when the active\n"
	    "generation already holds exactly these packages.\n");
}

static char *
default_manifest(void)
{
	const char *b = opt_builddir;

	if (!b)
		b = fs_exists("build.ninja") ? "." : "build";
	return xasprintf("%s/.pkggen/activate.json", b);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmpname(const void *x, const void *y)
{
	const struct pkg *p = *(const struct pkg *const *)x, *q = *(const struct pkg *const *)y;
	int c = strcmp(p->name, q->name);

	if (!c)
		c = strcmp(p->id, q->id);
	/* equal ids: the earlier in the manifest first, so it is the one kept */
	return c ? c : (p < q ? -1 : p > q);
}

/* drop repeated ids (the same package) and refuse two versions of a name */
static int
check_names(struct act *a)
{
	struct pkg **byname = xreallocarray(NULL, a->npkgs, sizeof(*byname));
	char *dup = xcalloc(a->npkgs, 1);
	size_t i, n;
	int ret = 0;

	for (i = 0; i < a->npkgs; i++)
		byname[i] = &a->pkgs[i];
	qsort(byname, a->npkgs, sizeof(*byname), cmpname);
	for (i = 1; i < a->npkgs; i++) {
		struct pkg *p = byname[i - 1], *q = byname[i];

		if (strcmp(p->name, q->name) != 0)
			continue;
		if (strcmp(p->id, q->id) == 0)
			dup[q - a->pkgs] = 1;
		else
			ret = fail("only one version of %s can be active: %s and %s (%s)",
			    p->name, p->id, q->id, a->mpath);
	}
	for (i = n = 0; i < a->npkgs; i++)
		if (!dup[i])
			a->pkgs[n++] = a->pkgs[i];
	a->npkgs = n;
	a->ids = xreallocarray(NULL, n ? n : 1, sizeof(*a->ids));
	for (i = 0; i < n; i++)
		a->ids[i] = a->pkgs[i].id;
	qsort(a->ids, n, sizeof(*a->ids), cmpstr);
	free(dup);
	free(byname);
	return ret;
}

/* read the manifest into a; 0 or -1 after a message */
static int
load(struct act *a, json_t *m)
{
	json_t *arr = json_object_get(m, "packages"), *v;
	size_t i;

	a->store = manifest_str(m, "store");
	a->builddir = manifest_str(m, "builddir");
	if (!a->store || !a->builddir)
		return -1;
	if (a->store[0] != '/' || a->builddir[0] != '/')
		return fail("store and builddir must be absolute paths (%s)", a->mpath);
	if (!json_is_array(arr))
		return fail("manifest lacks the array 'packages' (%s)", a->mpath);
	a->pkgs = xcalloc(json_array_size(arr), sizeof(*a->pkgs));
	json_array_foreach(arr, i, v) {
		struct pkg *p = &a->pkgs[a->npkgs++];

		p->name = cjson_str(v, "name");
		p->version = cjson_str(v, "version");
		p->id = cjson_str(v, "id");
		p->archive = cjson_str(v, "archive");
		if (!p->name || !p->version || !p->id || !p->archive)
			return fail("packages[%zu] needs the strings name, version, id "
			    "and archive (%s)", i, a->mpath);
		if (store_check_id(p->id) < 0)
			return -1;
	}
	return 0;
}

/* "gen-N" to N, or 0 when name is not a generation */
static long
gen_number(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "gen-", 4) != 0 || name[4] < '1' || name[4] > '9')
		return 0;
	errno = 0;
	n = strtol(name + 4, &end, 10);
	return *end || errno ? 0 : n;
}

/* remove what crashed runs left, find the next generation number and the active one */
static int
scan_env(struct act *a)
{
	char link[NAME_MAX + 1];
	long max = 0, n;
	ssize_t len;
	struct dirent *e;
	DIR *d;
	int fd = dup(a->envfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail("open %s:", a->envdir);
	}
	while ((e = readdir(d))) {
		if (startswith(e->d_name, ".gen-") && endswith(e->d_name, ".tmp")) {
			char *p = xasprintf("%s/%s", a->envdir, e->d_name);

			fs_rmtree(p);
			free(p);
		} else if (startswith(e->d_name, "active.tmp.")) {
			unlinkat(a->envfd, e->d_name, 0);
		} else if ((n = gen_number(e->d_name)) > max) {
			max = n;
		}
	}
	closedir(d);
	if (max == LONG_MAX)
		return fail("no generation number left (%s)", a->envdir);
	a->next = max + 1;
	len = readlinkat(a->envfd, "active", link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		a->cur = gen_number(link);
	}
	return 0;
}

/* the sorted ids of the active generation: a new array of strings borrowed
 * from *info (which the caller releases), or NULL when none is readable */
static const char **
active_ids(struct act *a, json_t **info, size_t *n)
{
	char *path = xasprintf("%s/active/active.json", a->envdir);
	json_t *arr, *v;
	const char **ids = NULL;
	size_t i;

	*n = 0;
	/* quietly: a missing or broken generation is simply replaced */
	*info = json_load_file(path, 0, NULL);
	free(path);
	arr = json_object_get(*info, "packages");
	if (!json_is_array(arr))
		return NULL;
	ids = xreallocarray(NULL, json_array_size(arr) + 1, sizeof(*ids));
	json_array_foreach(arr, i, v) {
		const char *id = cjson_str(v, "id");

		if (!id) {
			free(ids);
			*n = 0;
			return NULL;
		}
		ids[(*n)++] = id;
	}
	qsort(ids, *n, sizeof(*ids), cmpstr);
	return ids;
}

/* count the ids only in new (added) and only in old (removed); both sorted */
static void
diff(const char **old, size_t nold, const char **new, size_t nnew, size_t *added, size_t *removed)
{
	size_t i = 0, j = 0;

	*added = *removed = 0;
	while (i < nold || j < nnew) {
		int c = i == nold ? 1 : j == nnew ? -1 : strcmp(old[i], new[j]);

		if (c < 0)
			++*removed, i++;
		else if (c > 0)
			++*added, j++;
		else
			i++, j++;
	}
}

/* BUILDDIR/.pkggen/activate.stamp: the sorted ids, one a line, rewritten
 * only when they change (the edge is restat) */
static int
write_stamp(struct act *a)
{
	char *path = xasprintf("%s/.pkggen/activate.stamp", a->builddir);
	struct buf b = BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < a->npkgs; i++)
		buf_printf(&b, "%s\n", a->ids[i]);
	if (fs_mkparent(path) == 0 && fs_write_if_changed(path, buf_str(&b), b.len) >= 0)
		ret = 0;
	buf_release(&b);
	free(path);
	return ret;
}

/* load STORE/ID/pkginfo.json of every package */
static int
load_infos(struct act *a)
{
	size_t i;

	for (i = 0; i < a->npkgs; i++) {
		struct pkg *p = &a->pkgs[i];
		char *path = xasprintf("%s/pkginfo.json", p->prefix);
		const char *name;

		p->info = cjson_load(path);
		free(path);
		if (!p->info)
			return -1;
		name = cjson_str(p->info, "name");
		if (!json_is_object(p->info) || !name || strcmp(name, p->name) != 0)
			return fail("%s/pkginfo.json: name is not '%s'", p->prefix, p->name);
	}
	return 0;
}

/* the symlink farm: merging one package's tree into the generation */
struct farm {
	struct act *a;
	size_t cur;		/* the package being merged */
	struct buf src;		/* STORE/ID/REL of the entry at hand */
	size_t rel;		/* where REL starts in src */
};

/* the first package before f->cur that has the path at hand */
static struct pkg *
owner(struct farm *f)
{
	const char *rel = f->src.s + f->rel;
	struct pkg *found = NULL;
	size_t i;

	for (i = 0; i < f->cur && !found; i++) {
		char *p = xasprintf("%s/%s", f->a->pkgs[i].prefix, rel);

		if (fs_exists(p))
			found = &f->a->pkgs[i];
		free(p);
	}
	return found;
}

static int
conflict(struct farm *f)
{
	struct pkg *p = owner(f), *q = &f->a->pkgs[f->cur];

	return fail("conflict: %s is provided by both %s (%s) and %s (%s) (%s)",
	    f->src.s + f->rel, p ? p->name : "another package", p ? p->id : "?",
	    q->name, q->id, f->a->mpath);
}

/* merge directory sfd (which this consumes) into dfd: subdirectories become
 * directories, anything else a symlink to its absolute path in the store */
static int
merge(struct farm *f, int sfd, int dfd)
{
	size_t len = f->src.len;
	struct dirent *e;
	struct stat st;
	int ret = 0, s2, d2;
	DIR *d = fdopendir(sfd);

	if (!d) {
		close(sfd);
		return fail("open %s:", f->src.s);
	}
	while (ret == 0 && (e = readdir(d))) {
		unsigned char type = e->d_type;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		f->src.len = len;
		buf_putc(&f->src, '/');
		buf_puts(&f->src, e->d_name);
		if (type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				ret = fail("stat %s:", f->src.s);
				break;
			}
			type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		}
		if (type != DT_DIR) {
			if (symlinkat(f->src.s, dfd, e->d_name) == 0)
				continue;
			ret = errno == EEXIST ? conflict(f) : fail("symlink %s:", f->src.s);
			break;
		}
		if (mkdirat(dfd, e->d_name, 0755) < 0 && (errno != EEXIST ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))) {
			ret = errno == EEXIST ? conflict(f) : fail("mkdir %s:", f->src.s);
			break;
		}
		s2 = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s2 < 0) {
			ret = fail("open %s:", f->src.s);
			break;
		}
		d2 = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d2 < 0) {
			close(s2);
			ret = fail("open %s:", f->src.s);
			break;
		}
		ret = merge(f, s2, d2);
		close(d2);
	}
	f->src.len = len;
	f->src.s[len] = '\0';
	closedir(d);
	return ret;
}

/* fill the generation directory genfd with every package's tops[] */
static int
link_farm(struct act *a, int genfd)
{
	struct farm f = {a, 0, BUF_INIT, 0};
	size_t i, t;
	int ret = 0, tfd[LEN(tops)];

	for (t = 0; t < LEN(tops); t++)
		tfd[t] = -1;
	for (t = 0; t < LEN(tops); t++) {
		if (mkdirat(genfd, tops[t], 0755) < 0 ||
		    (tfd[t] = openat(genfd, tops[t], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			ret = fail("mkdir %s:", tops[t]);
			goto out;
		}
	}
	for (i = 0; i < a->npkgs && ret == 0; i++) {
		f.cur = i;
		for (t = 0; t < LEN(tops) && ret == 0; t++) {
			int sfd;

			buf_reset(&f.src);
			buf_puts(&f.src, a->pkgs[i].prefix);
			f.rel = f.src.len + 1;
			buf_printf(&f.src, "/%s", tops[t]);
			/* a top directory may be a symlink (lib -> lib64): follow it */
			sfd = open(f.src.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sfd < 0) {
				if (errno != ENOENT && errno != ENOTDIR)
					ret = fail("open %s:", f.src.s);
				continue;
			}
			ret = merge(&f, sfd, tfd[t]);
		}
	}
out:
	for (t = 0; t < LEN(tops); t++)
		if (tfd[t] >= 0)
			close(tfd[t]);
	buf_release(&f.src);
	return ret;
}

/* s in single quotes, safe for any sh */
static void
shquote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
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
	shquote(b, value);
	if (endswith(var, "PATH"))
		buf_printf(b, "\"${%s:+:$%s}\"", var, var);
	buf_printf(b, "; export %s\n", var);
}

/* env.sh: each package's env: (deps first, {{prefix}} = its STORE/ID),
 * then the generation's own directories, so that they come first */
static int
write_envsh(struct act *a, const char *dir, const char *gen)
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
	json_t *env, *x;
	size_t i;
	int ret = -1;

	buf_printf(&b, "# generation %ld of %s, made by pkgtool activate\n", a->next, a->builddir);
	buf_printf(&v, "%s/env.sh", gen);
	buf_puts(&b, "# use: . ");
	shquote(&b, buf_str(&v));
	buf_putc(&b, '\n');
	for (i = 0; i < a->npkgs; i++) {
		env = json_object_get(a->pkgs[i].info, "env");
		if (!env)
			continue;
		if (!json_is_object(env)) {
			fail("%s/pkginfo.json: env is not an object", a->pkgs[i].prefix);
			goto out;
		}
		/* jansson iterates in insertion order: the archive's sorted order */
		json_object_foreach(env, var, x) {
			if (!is_varname(var) || !json_is_string(x)) {
				fail("%s/pkginfo.json: env: bad variable '%s' (expected a "
				    "shell name and a string)", a->pkgs[i].prefix, var);
				goto out;
			}
			buf_reset(&val);
			for (s = json_string_value(x); (hit = strstr(s, "{{prefix}}")); s = hit + 10) {
				buf_putn(&val, s, (size_t)(hit - s));
				buf_puts(&val, a->pkgs[i].prefix);
			}
			buf_puts(&val, s);
			put_export(&b, var, buf_str(&val));
		}
	}
	for (i = 0; i < LEN(dirvars); i++) {
		buf_reset(&v);
		buf_printf(&v, "%s/%s", gen, dirvars[i][1]);
		if (dirvars[i][2])
			buf_printf(&v, ":%s/%s", gen, dirvars[i][2]);
		put_export(&b, dirvars[i][0], buf_str(&v));
	}
	/* an empty last MANPATH entry stands for man's default path: keep it */
	buf_puts(&b, "MANPATH=");
	buf_reset(&v);
	buf_printf(&v, "%s/share/man", gen);
	shquote(&b, buf_str(&v));
	buf_puts(&b, "\":${MANPATH-}\"; export MANPATH\n");
	buf_reset(&v);
	buf_printf(&v, "%s/env.sh", dir);
	ret = fs_write_atomic(buf_str(&v), b.s, b.len);
out:
	buf_release(&val);
	buf_release(&v);
	buf_release(&b);
	return ret;
}

/*
 * active.json, the record of a generation (read by rollback, list, gc):
 *   {"generation": N, "previous": M or null (active before this one),
 *    "created": "YYYY-MM-DDTHH:MM:SSZ", "builddir": "/abs", "store": "/abs",
 *    "packages": [{"name", "version", "id", "kind", "depends": [ids]}]}
 * with packages in the manifest's order, dependencies first.
 */
static int
write_info(struct act *a, const char *dir)
{
	json_t *o, *pkgs = json_array(), *deps, *d, *kind;
	char when[32];
	time_t now = time(NULL);
	size_t i, j;
	char *path = xasprintf("%s/active.json", dir);
	int ret;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	for (i = 0; i < a->npkgs; i++) {
		struct pkg *p = &a->pkgs[i];
		json_t *ids = json_array();

		deps = json_object_get(p->info, "depends");
		json_array_foreach(deps, j, d) {
			const char *id = json_is_string(d) ? json_string_value(d) : cjson_str(d, "id");

			if (id)
				json_array_append_new(ids, json_string(id));
		}
		kind = json_object_get(p->info, "kind");
		json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:O, s:o}",
		    "name", p->name, "version", p->version, "id", p->id,
		    "kind", json_is_string(kind) ? kind : json_null(), "depends", ids));
	}
	o = json_pack("{s:i, s:o, s:s, s:s, s:s, s:o}", "generation", (json_int_t)a->next,
	    "previous", a->cur ? json_integer(a->cur) : json_null(), "created", when,
	    "builddir", a->builddir, "store", a->store, "packages", pkgs);
	if (!o)
		fatal("out of memory");
	ret = cjson_write(path, o, 0);
	free(path);
	json_decref(o);
	return ret;
}

/* build env/.gen-N.tmp and rename it to env/gen-N */
static int
make_generation(struct act *a)
{
	char *tmp = xasprintf("%s/.gen-%ld.tmp", a->envdir, a->next);
	char *gen = xasprintf("%s/gen-%ld", a->envdir, a->next);
	int genfd = -1, ret = -1;

	if (mkdir(tmp, 0755) < 0 || (genfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fail("mkdir %s:", tmp);
		goto out;
	}
	if (link_farm(a, genfd) < 0 || write_envsh(a, tmp, gen) < 0 || write_info(a, tmp) < 0)
		goto out;
	/*
	 * The farm is only directories and symlinks, metadata that the
	 * journal commits in order before the rename below; the two files
	 * were fsynced, and so is the directory that holds them.
	 */
	if (fsync(genfd) < 0 || rename(tmp, gen) < 0) {
		fail("rename %s to %s:", tmp, gen);
		goto out;
	}
	fsync(a->envfd);
	ret = 0;
out:
	if (genfd >= 0)
		close(genfd);
	if (ret < 0)
		fs_rmtree(tmp);
	free(gen);
	free(tmp);
	return ret;
}

/* point env/active at gen-N with one rename(2) */
static int
switch_active(struct act *a)
{
	char tmp[64], target[64];

	snprintf(tmp, sizeof(tmp), "active.tmp.%ld", (long)getpid());
	snprintf(target, sizeof(target), "gen-%ld", a->next);
	unlinkat(a->envfd, tmp, 0);
	if (symlinkat(target, a->envfd, tmp) < 0)
		return fail("symlink %s/%s:", a->envdir, tmp);
	if (renameat(a->envfd, tmp, a->envfd, "active") < 0) {
		unlinkat(a->envfd, tmp, 0);
		return fail("rename %s/%s to active:", a->envdir, tmp);
	}
	if (fsync(a->envfd) < 0)
		return fail("fsync %s:", a->envdir);
	return 0;
}

static int
activate(struct act *a)
{
	const char **old = NULL;
	char *lockpath = NULL;
	json_t *oldinfo = NULL;
	struct store_req *reqs = NULL;
	size_t i, nold = 0, added, removed;
	int lock = -1, storelock = -1, ret = -1;

	if (check_names(a) < 0)
		return -1;
	a->envdir = xasprintf("%s/env", a->builddir);
	if (fs_mkdirs(a->envdir, 0755) < 0)
		goto out;
	a->envfd = open(a->envdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->envfd < 0) {
		fail("open %s:", a->envdir);
		goto out;
	}
	lockpath = xasprintf("%s/.lock", a->envdir);
	lock = fs_lock(lockpath, LOCK_EX);
	if (lock < 0) {
		fail("lock %s:", lockpath);
		goto out;
	}
	if (scan_env(a) < 0)
		goto out;
	old = active_ids(a, &oldinfo, &nold);
	diff(old, nold, a->ids, a->npkgs, &added, &removed);
	if (old && !added && !removed) {
		ret = write_stamp(a) < 0 || store_add_root(a->store, a->envdir) < 0 ? -1 : 0;
		goto out;
	}

	/* gc must not remove what we are about to reference */
	storelock = store_lock(a->store, LOCK_SH);
	if (storelock < 0)
		goto out;
	reqs = xreallocarray(NULL, a->npkgs ? a->npkgs : 1, sizeof(*reqs));
	for (i = 0; i < a->npkgs; i++) {
		reqs[i].id = a->pkgs[i].id;
		reqs[i].archive = a->pkgs[i].archive;
		a->pkgs[i].prefix = xasprintf("%s/%s", a->store, a->pkgs[i].id);
	}
	if (store_extract_all(a->store, reqs, a->npkgs) < 0 || load_infos(a) < 0)
		goto out;
	if (make_generation(a) < 0 || switch_active(a) < 0)
		goto out;
	if (write_stamp(a) < 0 || store_add_root(a->store, a->envdir) < 0)
		goto out;
	printf("activated generation %ld: %zu packages (+%zu, -%zu)\n",
	    a->next, a->npkgs, added, removed);
	ret = 0;
out:
	if (storelock >= 0)
		close(storelock);
	if (lock >= 0)
		close(lock);
	free(lockpath);
	free(reqs);
	free(old);
	json_decref(oldinfo);
	return ret;
}

int
cmd_activate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct act a = {0};
	char *mpath;
	json_t *m = NULL;
	size_t i;
	int c, ret;

	a.envfd = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			fail("unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	mpath = optind < argc ? xstrdup(argv[optind]) : default_manifest();
	a.mpath = mpath;
	m = manifest_load(mpath);
	if (!m || load(&a, m) < 0)
		ret = 2;
	else
		ret = activate(&a);
	for (i = 0; i < a.npkgs; i++) {
		free(a.pkgs[i].prefix);
		json_decref(a.pkgs[i].info);
	}
	if (a.envfd >= 0)
		close(a.envfd);
	free(a.pkgs);
	free(a.ids);
	free(a.envdir);
	json_decref(m);
	free(mpath);
	return ret;
}
