/* SPDX-License-Identifier: MIT */
/* life: one pipeline entry's run manifest and its snippets' environment */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

extern char **environ;

/* returns a new string: a JSON scalar as a template or environment value */
char *
life_scalar(const json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING: return xstrdup(json_string_value(v));
	case JSON_INTEGER: return xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL: return xasprintf("%.15g", json_real_value(v));
	case JSON_TRUE: return xstrdup("true");
	case JSON_FALSE: return xstrdup("false");
	case JSON_NULL: return xstrdup("");
	default:
		s = cjson_dump(v);
		return s;
	}
}

static double
num(json_t *m, const char *key, double def)
{
	json_t *v = json_object_get(m, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

struct entry *
entry_load(const char *path)
{
	static const char *const keys[] = {"name", "kind", "rundir", "config_dir", "shared_dir",
		"private_dir"};
	struct entry *e = xcalloc(1, sizeof(*e));
	const char **dst[LEN(keys)];
	json_t *sec, *v;
	size_t i;

	dst[0] = &e->name, dst[1] = &e->kind, dst[2] = &e->rundir, dst[3] = &e->config_dir;
	dst[4] = &e->shared_dir, dst[5] = &e->private_dir;
	e->path = xstrdup(path);
	if (!(e->m = manifest_load(path)))
		goto bad;
	for (i = 0; i < LEN(keys); i++) {
		if (!(*dst[i] = cjson_str(e->m, keys[i]))) {
			fail("%s: the run manifest lacks the string '%s'", path, keys[i]);
			goto bad;
		}
	}
	e->hash = cjson_str(e->m, "config_hash");
	if (!e->hash)
		e->hash = "";
	e->timeout = num(e->m, "timeout", 30);
	if (e->timeout <= 0)
		e->timeout = 30;
	e->sleep = num(e->m, "sleep", 0);
	e->retries = (int)num(e->m, "retry_count", 0);
	e->hide_output = json_is_true(json_object_get(e->m, "hide_output"));
	sec = json_object_get(e->m, "secret");
	json_array_foreach(sec, i, v) {
		json_t *p = json_object_get(json_object_get(e->m, "params"), json_string_value(v));
		char *s;

		if (!json_is_string(v) || !p)
			continue;
		s = life_scalar(p);
		if (*s)
			xappend((void ***)&e->secrets, &e->nsecrets, &e->capsecrets, s);
		else
			free(s);
	}
	return e;
bad:
	entry_free(e);
	return NULL;
}

void
entry_free(struct entry *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; e->env && e->env[i]; i++)
		free(e->env[i]);
	free(e->env);
	for (i = 0; i < e->nsecrets; i++)
		free(e->secrets[i]);
	free(e->secrets);
	json_decref(e->m);
	free(e->path);
	free(e);
}

const char *
entry_snippet(struct entry *e, const char *step)
{
	const char *s = cjson_str(json_object_get(e->m, "lifecycle"), step);

	return s && *s ? s : NULL;
}

char *
entry_file(struct entry *e, const char *name)
{
	return xasprintf("%s/%s", e->rundir, name);
}

char *
entry_mask(struct entry *e, const char *s)
{
	struct buf b = BUF_INIT;
	const char *hit, *h;
	size_t i, len;

	for (;;) {
		/* the earliest, then longest, secret in what is left */
		hit = NULL;
		len = 0;
		for (i = 0; i < e->nsecrets; i++) {
			h = strstr(s, e->secrets[i]);
			if (h && (!hit || h < hit || (h == hit && strlen(e->secrets[i]) > len))) {
				hit = h;
				len = strlen(e->secrets[i]);
			}
		}
		if (!hit)
			break;
		buf_putn(&b, s, (size_t)(hit - s));
		buf_puts(&b, "***");
		s = hit + len;
	}
	buf_puts(&b, s);
	return buf_detach(&b);
}

void
entry_tail(struct entry *e, const char *path, int n)
{
	struct buf b = BUF_INIT;
	size_t end, start;
	int lines = 0;
	char *line, *m;

	if (fs_read(path, &b) < 0 || b.len == 0) {
		buf_release(&b);
		return;
	}
	/* progress output rewrites a line with \r: show its last state */
	for (end = 0; end < b.len; end++)
		if (b.s[end] == '\r')
			b.s[end] = '\n';
	end = b.len;
	while (end > 0 && b.s[end - 1] == '\n')
		end--;
	for (start = end; start > 0; start--)
		if (b.s[start - 1] == '\n' && ++lines == n)
			break;
	fprintf(stderr, "%s: last lines of %s:\n", util_prefix(), path);
	while (start < end) {
		char *nl = memchr(b.s + start, '\n', end - start);
		size_t len = nl ? (size_t)(nl - (b.s + start)) : end - start;

		line = xstrndup(b.s + start, len);
		m = entry_mask(e, line);
		fprintf(stderr, "  %s\n", m);
		free(m);
		free(line);
		start += len + 1;
	}
	buf_release(&b);
}

/* a growable "K=V" array, NULL-terminated */
struct envv {
	char **v;
	size_t n, cap;
};

static void
env_set(struct envv *ev, const char *k, const char *val)
{
	size_t i, kl = strlen(k);
	char *kv = xasprintf("%s=%s", k, val);

	for (i = 0; i < ev->n; i++) {
		if (!strncmp(ev->v[i], k, kl) && ev->v[i][kl] == '=') {
			free(ev->v[i]);
			ev->v[i] = kv;
			return;
		}
	}
	if (ev->n + 2 > ev->cap) {
		ev->cap = ev->cap ? ev->cap * 2 : 64;
		ev->v = xreallocarray(ev->v, ev->cap, sizeof(*ev->v));
	}
	ev->v[ev->n++] = kv;
	ev->v[ev->n] = NULL;
}

static const char *
env_get(struct envv *ev, const char *k)
{
	size_t i, kl = strlen(k);

	for (i = 0; i < ev->n; i++)
		if (!strncmp(ev->v[i], k, kl) && ev->v[i][kl] == '=')
			return ev->v[i] + kl + 1;
	return NULL;
}

static void
env_put(struct envv *ev, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *k;

	if (!eq || eq == kv)
		return;
	k = xstrndup(kv, (size_t)(eq - kv));
	env_set(ev, k, eq + 1);
	free(k);
}

/* the environment after sourcing envsh in a shell that inherited ours:
 * `. ENV.sh && exec env -0`, read back NUL-separated */
static int
source_envsh(const char *envsh, struct envv *ev)
{
	struct buf b = BUF_INIT;
	char buf[8192];
	int p[2], status, ret = -1;
	size_t i;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return fail("pipe:");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return fail("fork:");
	}
	if (pid == 0) {
		static const char script[] = ". \"$1\" && exec env -0";

		close(p[0]);
		if (p[1] != 1) {
			dup2(p[1], 1);
			close(p[1]);
		}
		execl("/bin/sh", "sh", "-c", script, "sh", envsh, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf_putn(&b, buf, (size_t)n);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fail("sourcing %s failed (%s)", envsh, WIFEXITED(status) ? "exit status" : "signal");
		goto out;
	}
	for (i = 0; i < b.len; i += strlen(b.s + i) + 1)
		env_put(ev, b.s + i);
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

/* "NAME" -> "PKG_PARAM_NAME" with the name upper-cased */
static char *
param_var(const char *name)
{
	char *s = xasprintf("PKG_PARAM_%s", name), *p;

	for (p = s; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
	return s;
}

/* the variables that come on top of a host's environment and the active
 * set's env.sh, in the order they apply */
char **
entry_overlay(struct entry *e, char **preload)
{
	struct envv ev = {NULL, 0, 0};
	struct buf pre = BUF_INIT;
	const char *k;
	json_t *v, *ic, *x;
	char *s, *var;
	size_t i;

	json_object_foreach(json_object_get(e->m, "env"), k, v) {
		s = life_scalar(v);
		env_set(&ev, k, s);
		free(s);
	}
	json_array_foreach(json_object_get(e->m, "interceptors"), i, ic) {
		const char *pl = cjson_str(ic, "preload");

		json_object_foreach(json_object_get(ic, "env"), k, x) {
			s = life_scalar(x);
			env_set(&ev, k, s);
			free(s);
		}
		if (pl && *pl) {
			if (pre.len)
				buf_putc(&pre, ':');
			buf_puts(&pre, pl);
		}
	}
	json_object_foreach(json_object_get(e->m, "params"), k, v) {
		json_t *str = json_object_get(json_object_get(e->m, "vars"), k);

		var = param_var(k);
		s = json_is_string(str) ? xstrdup(json_string_value(str)) : life_scalar(v);
		env_set(&ev, var, s);
		free(s);
		free(var);
	}
	env_set(&ev, "PKG_NAME", e->name);
	if ((k = cjson_str(e->m, "global_id")))
		env_set(&ev, "PKG_GLOBAL_ID", k);
	if ((k = cjson_str(e->m, "id")))
		env_set(&ev, "PKG_ID", k);
	if ((k = cjson_str(e->m, "pkgroot")))
		env_set(&ev, "PKG_ROOT", k);
	env_set(&ev, "PKG_CONFIG_DIR", e->config_dir);
	env_set(&ev, "PKG_SHARED_DIR", e->shared_dir);
	env_set(&ev, "PKG_PRIVATE_DIR", e->private_dir);
	env_set(&ev, "PKG_RUNDIR", e->rundir);
	*preload = pre.len ? buf_detach(&pre) : NULL;
	buf_release(&pre);
	if (!ev.v)
		env_set(&ev, "PKG_NAME", e->name);
	return ev.v;
}

void
env_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int
entry_env(struct entry *e)
{
	struct envv ev = {NULL, 0, 0};
	const char *prefix, *old;
	char *envsh = NULL, **over = NULL, *pre = NULL;
	size_t i;
	int ret = -1;

	if (e->env)
		return 0;
	for (i = 0; environ && environ[i]; i++)
		env_put(&ev, environ[i]);
	if (!env_get(&ev, "PATH"))
		env_set(&ev, "PATH", "/usr/local/bin:/usr/bin:/bin");
	/* the active set: its env.sh puts its bin/ first on PATH */
	prefix = cjson_str(e->m, "prefix");
	if (prefix) {
		envsh = xasprintf("%s/env.sh", prefix);
		if (fs_exists(envsh) && source_envsh(envsh, &ev) < 0)
			goto out;
	}
	over = entry_overlay(e, &pre);
	for (i = 0; over[i]; i++)
		env_put(&ev, over[i]);
	if (pre) {
		char *s;

		old = env_get(&ev, "LD_PRELOAD");
		s = old && *old ? xasprintf("%s:%s", pre, old) : xstrdup(pre);
		env_set(&ev, "LD_PRELOAD", s);
		free(s);
	}
	e->env = ev.v;
	ev.v = NULL;
	ev.n = 0;
	ret = 0;
out:
	for (i = 0; i < ev.n; i++)
		free(ev.v[i]);
	free(ev.v);
	env_free(over);
	free(pre);
	free(envsh);
	return ret;
}

char *
entry_which(struct entry *e, const char *prog)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin", *p, *q;
	struct stat st;
	size_t i;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	for (i = 0; e->env && e->env[i]; i++)
		if (startswith(e->env[i], "PATH="))
			path = e->env[i] + 5;
	for (p = path; ; p = q + 1) {
		char *cand;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		cand = q > p ? xasprintf("%.*s/%s", (int)(q - p), p, prog) : xasprintf("./%s", prog);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*q)
			return NULL;
	}
}
int
life_mkdirs(struct entry *e)
{
	if (fs_mkdirs(e->rundir, 0755) < 0 || fs_mkdirs(e->config_dir, 0755) < 0 ||
	    fs_mkdirs(e->shared_dir, 0755) < 0)
		return -1;
	/* an entry on other hosts has its private_dir there */
	if (!hosts_remote(e) && fs_mkdirs(e->private_dir, 0755) < 0)
		return -1;
	return 0;
}

int
life_lock(struct entry *e)
{
	char *path;
	int fd;

	if (fs_mkdirs(e->rundir, 0755) < 0)
		return -1;
	path = entry_file(e, ".lock");
	fd = fs_lock(path, LOCK_EX);
	if (fd < 0)
		fail("lock %s:", path);
	free(path);
	return fd;
}

void
entry_rm(struct entry *e, const char *name)
{
	char *path = entry_file(e, name);

	if (unlink(path) < 0 && errno != ENOENT)
		warnf("remove %s: %s", path, strerror(errno));
	free(path);
}

/* run a lifecycle snippet to completion with its output in RUNDIR/LOG; 0 when
 * it exits 0, else -1 after a message with the log's tail */
int
life_step(struct entry *e, const char *what, const char *snippet, const char *logname,
    double timeout)
{
	char *log = entry_file(e, logname), *st;
	int rc, to, ret = 0;

	rc = life_run(e, snippet, log, timeout, &to);
	if (rc < 0) {
		ret = -1;
	} else if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
		st = proc_status_str(rc);
		entry_tail(e, log, 30);
		if (to)
			fail("%s: %s did not finish in %g s (%s)", e->name, what, timeout, log);
		else
			fail("%s: %s failed, %s (%s)", e->name, what, st, log);
		free(st);
		ret = -1;
	}
	free(log);
	return ret;
}
