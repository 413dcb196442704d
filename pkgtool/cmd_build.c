/* SPDX-License-Identifier: MIT */
/* cmd_build: build one package from its manifest (.pkggen/pkg/ID.json), then package it */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

#define SYSTEM_PATH "/usr/local/bin:/usr/bin:/bin"
#define DEFAULT_EPOCH 315532800LL

/* a build's clean environment: "K=V" strings in the order first set */
struct env {
	char **v;
	size_t len, cap;
};

/* the manifest fields and paths of one build; strings borrowed from the manifest
 * or owned (the char * ones) */
struct build {
	json_t *m;
	const char *name, *version, *id, *store, *builddir, *recipe;
	char *work, *src, *dest, *prefix, *root, *log;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool build MANIFEST\n\n"
	    "Build the package a manifest (.pkggen/pkg/ID.json) describes in\n"
	    "BUILDDIR/work/ID/ with a clean environment, then pack it into the\n"
	    "store's archive (replaced only when its bytes change). An archive the\n"
	    "store already holds is a cache hit for a build directory that never\n"
	    "built it. Output goes to BUILDDIR/log/ID.build.log.\n\n"
	    "environment:\n"
	    "  PKGTOOL_KEEP_WORK  1: keep BUILDDIR/work/ID after a successful build\n"
	    "  PKGTOOL_TIMING     1: print how long each part of the step took\n");
}

static char *
env_find(struct env *e, const char *k, size_t *at)
{
	size_t i, n = strlen(k);

	for (i = 0; i < e->len; i++) {
		if (!strncmp(e->v[i], k, n) && e->v[i][n] == '=') {
			*at = i;
			return e->v[i] + n + 1;
		}
	}
	return NULL;
}

static void
env_set(struct env *e, const char *k, const char *v)
{
	size_t at;
	char *s = xasprintf("%s=%s", k, v);

	if (env_find(e, k, &at)) {
		free(e->v[at]);
		e->v[at] = s;
		return;
	}
	xappend((void ***)&e->v, &e->len, &e->cap, s);
}

/* PATH-like: v in front of what is there, ':' between */
static void
env_prepend(struct env *e, const char *k, const char *v)
{
	size_t at;
	const char *old = env_find(e, k, &at);
	char *s;

	if (!old || !*old) {
		env_set(e, k, v);
		return;
	}
	s = xasprintf("%s:%s", v, old);
	env_set(e, k, s);
	free(s);
}

/* the NULL-terminated array proc_run wants; borrowed */
static char **
env_array(struct env *e)
{
	xappend((void ***)&e->v, &e->len, &e->cap, NULL);
	e->len--;
	return e->v;
}

static void
env_release(struct env *e)
{
	size_t i;

	for (i = 0; i < e->len; i++)
		free(e->v[i]);
	free(e->v);
}

/* returns a new string: s with every {{prefix}} replaced by prefix */
static char *
subst_prefix(const char *s, const char *prefix)
{
	struct buf b = BUF_INIT;
	const char *p;

	while ((p = strstr(s, "{{prefix}}"))) {
		buf_putn(&b, s, (size_t)(p - s));
		buf_puts(&b, prefix);
		s = p + strlen("{{prefix}}");
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

/* append prefix/sub to list (':' separated) when it exists; 1 when it does */
static int
add_dir(struct buf *list, const char *prefix, const char *sub)
{
	char *d = xasprintf("%s/%s", prefix, sub);
	int there = fs_isdir(d);

	if (there) {
		if (list->len)
			buf_putc(list, ':');
		buf_puts(list, d);
	}
	free(d);
	return there;
}

/* the clean environment of the build script (and of patch) */
static void
make_env(struct build *b, struct env *e)
{
	json_t *closure = json_object_get(b->m, "closure"), *c, *vars, *val;
	json_t *jobs = json_object_get(b->m, "jobs"), *epoch = json_object_get(b->m, "epoch");
	struct buf path = BUF_INIT, cpath = BUF_INIT, lib = BUF_INIT, pc = BUF_INIT;
	struct buf ldflags = BUF_INIT;
	const char *k;
	char *s;
	size_t i;

	env_set(e, "PKG_NAME", b->name);
	env_set(e, "PKG_VERSION", b->version);
	env_set(e, "PKG_ID", b->id);
	env_set(e, "PKG_SRCDIR", b->src);
	env_set(e, "PKG_DESTDIR", b->dest);
	env_set(e, "PKG_PREFIX", b->prefix);
	env_set(e, "PKG_PATH", b->root);
	if (json_is_integer(jobs) && json_integer_value(jobs) > 0)
		s = xasprintf("%lld", (long long)json_integer_value(jobs));
	else
		s = xasprintf("%ld", sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1L);
	env_set(e, "PKG_JOBS", s);
	free(s);
	s = xasprintf("%lld", json_is_integer(epoch) ? (long long)json_integer_value(epoch) : DEFAULT_EPOCH);
	env_set(e, "SOURCE_DATE_EPOCH", s);
	free(s);
	s = xasprintf("%s/home", b->work);
	env_set(e, "HOME", s);
	free(s);
	s = xasprintf("%s/tmp", b->work);
	env_set(e, "TMPDIR", s);
	free(s);
	env_set(e, "LANG", "C");
	env_set(e, "LC_ALL", "C");
	env_set(e, "TZ", "UTC");

	json_array_foreach(closure, i, c) {
		const char *id = cjson_str(c, "id");
		char *prefix;
		int has_lib, has_lib64;

		if (!id)
			continue;
		prefix = xasprintf("%s/%s", b->store, id);
		add_dir(&path, prefix, "bin");
		add_dir(&cpath, prefix, "include");
		/* a missing lib/ has no lib/pkgconfig/ to look for */
		has_lib = add_dir(&lib, prefix, "lib");
		has_lib64 = add_dir(&lib, prefix, "lib64");
		if (has_lib)
			add_dir(&pc, prefix, "lib/pkgconfig");
		if (has_lib64)
			add_dir(&pc, prefix, "lib64/pkgconfig");
		add_dir(&pc, prefix, "share/pkgconfig");
		/* Spack-style: binaries find their store dependencies by themselves */
		if (has_lib)
			buf_printf(&ldflags, "%s-Wl,-rpath,%s/lib", ldflags.len ? " " : "", prefix);
		free(prefix);
	}
	if (path.len)
		buf_putc(&path, ':');
	buf_puts(&path, SYSTEM_PATH);
	env_set(e, "PATH", path.s);
	/* an empty element would mean the current directory: set only what is there */
	if (cpath.len)
		env_set(e, "CPATH", cpath.s);
	if (lib.len) {
		env_set(e, "LIBRARY_PATH", lib.s);
		env_set(e, "LD_LIBRARY_PATH", lib.s);
	}
	if (pc.len)
		env_set(e, "PKG_CONFIG_PATH", pc.s);
	if (ldflags.len)
		env_set(e, "LDFLAGS", ldflags.s);

	json_array_foreach(closure, i, c) {
		const char *id = cjson_str(c, "id");
		char *prefix;

		vars = json_object_get(c, "env");
		if (!id || !json_is_object(vars))
			continue;
		prefix = xasprintf("%s/%s", b->store, id);
		json_object_foreach(vars, k, val) {
			if (!json_is_string(val))
				continue;
			s = subst_prefix(json_string_value(val), prefix);
			if (endswith(k, "PATH"))
				env_prepend(e, k, s);
			else
				env_set(e, k, s);
			free(s);
		}
		free(prefix);
	}
	buf_release(&path);
	buf_release(&cpath);
	buf_release(&lib);
	buf_release(&pc);
	buf_release(&ldflags);
}

/* cp -R of src's content into the existing directory dst (merging) */
static int
copy_tree(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;
	struct stat st;
	char link[4096];
	ssize_t n;
	int ret = 0;

	if (!d)
		return fail("open %s:", src);
	while (ret == 0 && (de = readdir(d))) {
		char *s, *t;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		s = xasprintf("%s/%s", src, de->d_name);
		t = xasprintf("%s/%s", dst, de->d_name);
		if (lstat(s, &st) < 0) {
			ret = fail("stat %s:", s);
		} else if (S_ISDIR(st.st_mode)) {
			if (!fs_isdir(t) && (unlink(t), mkdir(t, (st.st_mode & 0777) | 0700) < 0))
				ret = fail("mkdir %s:", t);
			else
				ret = copy_tree(s, t);
		} else if (S_ISREG(st.st_mode)) {
			/* never write through a link that an earlier source put there */
			if (unlink(t) < 0 && errno != ENOENT)
				ret = fail("remove %s:", t);
			else
				ret = fs_copy_file(s, t);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(s, link, sizeof(link) - 1);
			if (n < 0) {
				ret = fail("readlink %s:", s);
			} else {
				link[n] = '\0';
				unlink(t);
				if (symlink(link, t) < 0)
					ret = fail("symlink %s:", t);
			}
		} else {
			warnf("%s: skipping a device, fifo or socket", s);
		}
		free(s);
		free(t);
	}
	closedir(d);
	return ret;
}

/* a name given to a source file in src/: one plain path component */
static int
safe_name(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* lay out the manifest's sources in src/, in order (doc/manifests.md) */
static int
layout(struct build *b)
{
	json_t *sources = json_object_get(b->m, "sources"), *s, *v;
	const char *type, *file, *name;
	char *dst;
	size_t i;
	int ret, extract, strip;

	json_array_foreach(sources, i, s) {
		type = cjson_str(s, "type");
		name = cjson_str(s, "name");
		if (type && !strcmp(type, "path")) {
			file = cjson_str(s, "path");
			if (!file)
				return fail("source %zu of %s has no path", i + 1, b->id);
			if (fs_isdir(file)) {
				if (copy_tree(file, b->src) < 0)
					return -1;
				continue;
			}
			if (!name || !safe_name(name))
				name = fs_basename(file);
			extract = 0;
			strip = 0;
		} else {
			file = cjson_str(s, "file");
			if (!file)
				return fail("source %zu of %s has no file", i + 1, b->id);
			if (!name || !safe_name(name))
				name = fs_basename(file);
			v = json_object_get(s, "extract");
			extract = json_is_boolean(v) ? json_is_true(v) : archive_is_extractable(name);
			v = json_object_get(s, "strip");
			strip = json_is_integer(v) ? (int)json_integer_value(v) : 1;
		}
		if (extract) {
			if (archive_unpack(file, b->src, strip) < 0)
				return fail("could not unpack source %s of %s", name, b->id);
			continue;
		}
		dst = xasprintf("%s/%s", b->src, name);
		unlink(dst);
		ret = fs_copy_file(file, dst);
		free(dst);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* report a failed step with the log's tail */
static int
failed(struct build *b, const char *what, int status)
{
	char *st = proc_status_str(status);

	fail("%s (%s) failed: %s%s (recipe %s)", b->name, b->id, what, st,
	    b->recipe ? b->recipe : "?");
	free(st);
	proc_log_tail(b->log, 30);
	notef("full log: %s", b->log);
	return -1;
}

static void
logline(const char *log, const char *line)
{
	FILE *f = fopen(log, "a");

	if (f) {
		fprintf(f, "pkgtool: %s\n", line);
		fclose(f);
	}
}

static int
patch(struct build *b, struct env *e)
{
	json_t *patches = json_object_get(b->m, "patches"), *p;
	size_t i;
	int st;

	json_array_foreach(patches, i, p) {
		const char *file = json_string_value(p);
		const char *argv[] = {"patch", "--batch", "-p1", "-N", "-i", NULL, NULL};
		char *what, *line;

		if (!file)
			continue;
		argv[5] = file;
		line = xasprintf("applying %s", file);
		logline(b->log, line);
		free(line);
		st = proc_run((char *const *)argv, env_array(e), b->src, b->log);
		if (st != 0) {
			what = xasprintf("patch %s: ", file);
			failed(b, what, st);
			free(what);
			return -1;
		}
	}
	return 0;
}

static void
build_release(struct build *b)
{
	free(b->work);
	free(b->src);
	free(b->dest);
	free(b->prefix);
	free(b->root);
	free(b->log);
}

static int
build_init(struct build *b, json_t *m)
{
	memset(b, 0, sizeof(*b));
	b->m = m;
	if (!(b->name = manifest_str(m, "name")) || !(b->version = manifest_str(m, "version")) ||
	    !(b->id = manifest_str(m, "id")) || !(b->store = manifest_str(m, "store")) ||
	    !(b->builddir = manifest_str(m, "builddir")))
		return -1;
	if (store_check_id(b->id) < 0)
		return -1;
	b->recipe = cjson_str(m, "recipe");
	b->work = xasprintf("%s/work/%s", b->builddir, b->id);
	b->src = xasprintf("%s/src", b->work);
	b->dest = xasprintf("%s/dest", b->work);
	b->prefix = xasprintf("%s/%s", b->store, b->id);
	b->root = xasprintf("%s%s", b->dest, b->prefix);
	b->log = xasprintf("%s/log/%s.build.log", b->builddir, b->id);
	return 0;
}

/* extract the build-time closure at STORE/ID each */
static int
closure(struct build *b)
{
	json_t *cl = json_object_get(b->m, "closure"), *c;
	size_t i, n = 0;
	struct store_req *reqs = xcalloc(json_array_size(cl) + 1, sizeof(*reqs));
	int ret;

	/* the manifest gives the id only: the archive is STORE/pkgs/ID.tar.zst
	 * (store_extract_all checks that it is an id) */
	json_array_foreach(cl, i, c) {
		if (!(reqs[n++].id = cjson_str(c, "id"))) {
			free(reqs);
			return fail("closure entry %zu of %s has no id", i + 1, b->id);
		}
	}
	ret = n ? store_extract_all(b->store, reqs, n) : 0;
	free(reqs);
	return ret;
}

/* run the build script in the source directory: a status as from waitpid,
 * or -1 after a message */
static int
run_script(struct build *b, struct env *e, const char *script)
{
	const char *argv[] = {"/bin/sh", "-e", "-c", script, NULL};
	char **words = script_words(script, env_array(e)), *exe, *pwd;
	int st = PROC_NOTRUN;

	/* one simple command: its program directly, with the environment sh
	 * would give it (sh adds PWD) */
	exe = words ? script_program(words[0], env_array(e), b->src) : NULL;
	if (exe && (pwd = realpath(b->src, NULL))) {
		env_set(e, "PWD", pwd);
		free(pwd);
		st = proc_try(exe, words, env_array(e), b->src, b->log);
	}
	free(exe);
	script_free(words);
	if (st == PROC_NOTRUN)
		st = proc_run((char *const *)argv, env_array(e), b->src, b->log);
	return st;
}

int
build_run(json_t *m)
{
	struct build b;
	struct env e = {NULL, 0, 0};
	const char *script;
	int ret = -1, st;

	if (build_init(&b, m) < 0)
		goto out;
	script = cjson_str(m, "build");
	if (!script)
		script = "";
	if (closure(&b) < 0)
		goto out;
	if (work_make(b.builddir, b.work, b.root) < 0 || fs_mkparent(b.log) < 0)
		goto out;
	/* an empty log; the script's output is appended */
	if ((st = open(b.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		fail("create %s:", b.log);
		goto out;
	}
	close(st);
	if (layout(&b) < 0)
		goto out;
	make_env(&b, &e);
	if (patch(&b, &e) < 0)
		goto out;
	timing_mark("work tree");
	st = run_script(&b, &e, script);
	if (st != 0) {
		failed(&b, "", st);
		goto out;
	}
	ret = 0;
out:
	env_release(&e);
	build_release(&b);
	return ret;
}

/* create the empty file path, and its directory; 0 or -1 */
static int
mark(const char *path)
{
	int fd;

	if (fs_mkparent(path) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("create %s:", path);
	close(fd);
	return 0;
}

int
build_lock(const char *store, const char *id)
{
	char *path;
	int fd;

	path = xasprintf("%s/locks/%s.lock", store, id);
	fd = fs_lock(path, LOCK_EX);
	/* the store's directories are made once, by the first step */
	if (fd < 0 && errno == ENOENT && store_init(store) == 0)
		fd = fs_lock(path, LOCK_EX);
	if (fd < 0)
		fail("lock %s:", path);
	free(path);
	return fd;
}

int
cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct build b;
	const char *archive, *keep;
	json_t *m;
	char *done = NULL;
	int c, lock = -1, gc = -1, known, whole = 0, ret = -1;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!(m = manifest_load(argv[optind])))
		return 2;
	timing_mark("manifest");
	if (build_init(&b, m) < 0 || !(archive = manifest_archive(m))) {
		ret = 2;
		goto out;
	}
	/* one builder per id across every build directory sharing the store;
	 * and no gc while we use its entries */
	if ((lock = build_lock(b.store, b.id)) < 0 || (gc = store_lock(b.store, LOCK_SH)) < 0)
		goto out;
	done = xasprintf("%s/.pkggen/done/%s", b.builddir, b.id);
	known = fs_exists(done);
	if (!known) {
		/* gc keeps what a build directory's manifests name, also before it
		 * has ever activated: register it the first time it meets this id */
		char *env = xasprintf("%s/env", b.builddir);
		int r = store_add_root(b.store, env);

		free(env);
		if (r < 0)
			goto out;
	}
	if (!known && fs_exists(archive)) {
		/* built elsewhere (or by an earlier us): adopt it, touch nothing */
		if (mark(done) == 0)
			ret = 0;
		goto out;
	}
	keep = getenv("PKGTOOL_KEEP_WORK");
	timing_mark("locks");
	if (build_run(m) < 0)
		goto out;
	timing_mark("build");
	if (package_run(m, &whole) < 0)
		goto out;
	timing_mark("archive stored");
	/* the packed tree is what unpacking the archive gives: it becomes
	 * STORE/ID now rather than being deleted and unpacked again by the
	 * first step that needs it */
	if (whole && !(keep && !strcmp(keep, "1")) && store_publish(b.store, b.id, b.root) < 0)
		goto out;
	if (!known && mark(done) < 0)
		goto out;
	if (!(keep && !strcmp(keep, "1")) && work_done(b.builddir, b.work, b.store) < 0)
		goto out;
	timing_mark("publish");
	ret = 0;
out:
	if (gc >= 0)
		close(gc);
	if (lock >= 0)
		close(lock);
	free(done);
	build_release(&b);
	json_decref(m);
	return ret;
}
