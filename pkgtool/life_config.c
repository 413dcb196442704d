/* SPDX-License-Identifier: MIT */
/* life_config: configure one pipeline entry: render its templates, check the
 * programs it needs, record config.json, run lifecycle.configure, stamp */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/* a few programs whose Debian package is not their own name */
static const char *const debian_hint[][2] = {
	{"redis-server", "redis-server"}, {"redis-cli", "redis-tools"},
	{"redis-benchmark", "redis-tools"}, {"memcached", "memcached"},
	{"mpiexec", "openmpi-bin (or mpich)"}, {"mpirun", "openmpi-bin (or mpich)"},
	{"ninja", "ninja-build"}, {"python3", "python3"}, {"cc", "gcc"}, {"make", "make"},
	{"fio", "fio"}, {"ior", "ior"}, {"iperf3", "iperf3"}, {"curl", "curl"},
	{"psql", "postgresql-client"}, {"postgres", "postgresql"}, {"pdsh", "pdsh"},
	{"ssh", "openssh-client"}, {"rsync", "rsync"}, {"nc", "netcat-openbsd"},
};

/* requires_executables on the run PATH, and the interceptors' preloads; every
 * problem is reported */
static int
check_executables(struct entry *e)
{
	json_t *req = json_object_get(e->m, "requires_executables"), *v;
	const char *path = "", *prog;
	size_t i, j;
	char *hit;
	int bad = 0;

	for (i = 0; e->env[i]; i++)
		if (startswith(e->env[i], "PATH="))
			path = e->env[i] + 5;
	json_array_foreach(req, i, v) {
		if (!(prog = json_string_value(v)))
			continue;
		if ((hit = entry_which(e, prog))) {
			free(hit);
			continue;
		}
		for (j = 0; j < LEN(debian_hint); j++)
			if (!strcmp(debian_hint[j][0], prog))
				break;
		if (j < LEN(debian_hint))
			fail("%s: required program '%s' not found on the run PATH (%s); on Debian: "
			    "apt-get install %s", e->name, prog, path, debian_hint[j][1]);
		else
			fail("%s: required program '%s' not found on the run PATH (%s)", e->name,
			    prog, path);
		bad = 1;
	}
	/* a missing preload would only make ld.so complain in every program */
	json_array_foreach(json_object_get(e->m, "interceptors"), i, v) {
		const char *pl = cjson_str(v, "preload");

		if (pl && *pl && !fs_exists(pl)) {
			fail("%s: interceptor %s: preload %s does not exist", e->name,
			    cjson_str(v, "name") ? cjson_str(v, "name") : "?", pl);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* render template src with the manifest's vars into out; reports every
 * undefined {{name}} as SRC:LINE */
static int
render(struct entry *e, const char *src, struct buf *out)
{
	json_t *vars = json_object_get(e->m, "vars"), *v;
	struct buf in = BUF_INIT;
	size_t i, a, z;
	int line = 1, bad = 0;
	char *name, *s;

	if (fs_read(src, &in) < 0)
		return fail("read template %s:", src);
	for (i = 0; i < in.len; ) {
		if (in.s[i] != '{' || i + 1 >= in.len || in.s[i + 1] != '{') {
			if (in.s[i] == '\n')
				line++;
			buf_putc(out, in.s[i++]);
			continue;
		}
		for (z = i + 2; z + 1 < in.len && in.s[z] != '\n' &&
		    !(in.s[z] == '}' && in.s[z + 1] == '}'); z++)
			;
		if (z + 1 >= in.len || in.s[z] == '\n') {
			fail("%s:%d: '{{' without '}}' on the same line", src, line);
			bad = 1;
			buf_putc(out, in.s[i++]);
			continue;
		}
		for (a = i + 2; a < z && (in.s[a] == ' ' || in.s[a] == '\t'); a++)
			;
		name = xstrndup(in.s + a, z - a);
		for (s = name + strlen(name); s > name && (s[-1] == ' ' || s[-1] == '\t'); s--)
			s[-1] = '\0';
		if (!(v = json_object_get(vars, name))) {
			fail("%s:%d: undefined template variable '{{%s}}'", src, line, name);
			bad = 1;
		} else {
			s = life_scalar(v);
			buf_puts(out, s);
			free(s);
		}
		free(name);
		i = z + 2;
	}
	buf_release(&in);
	return bad ? -1 : 0;
}

static int
render_templates(struct entry *e)
{
	json_t *t;
	size_t i;
	int bad = 0;

	json_array_foreach(json_object_get(e->m, "templates"), i, t) {
		const char *src = cjson_str(t, "src"), *dest = cjson_str(t, "dest");
		struct buf b = BUF_INIT;

		if (!src || !dest) {
			fail("%s: a template lacks 'src' or 'dest'", e->path);
			bad = 1;
			continue;
		}
		if (render(e, src, &b) < 0 || fs_mkparent(dest) < 0 ||
		    fs_write_if_changed(dest, b.s ? b.s : "", b.len) < 0)
			bad = 1;
		buf_release(&b);
	}
	return bad ? -1 : 0;
}

/* params with every secret's value as "***" (a new reference) */
static json_t *
masked_params(struct entry *e)
{
	json_t *p = json_deep_copy(json_object_get(e->m, "params")), *v;
	size_t i;

	if (!json_is_object(p)) {
		json_decref(p);
		p = json_object();
	}
	json_array_foreach(json_object_get(e->m, "secret"), i, v)
		if (json_is_string(v) && json_object_get(p, json_string_value(v)))
			json_object_set_new(p, json_string_value(v), json_string("***"));
	return p;
}

int
life_configure(struct entry *e)
{
	char *path = NULL, *stamp, *hash;
	json_t *cfg = NULL;
	int lock, bad, ret = -1;

	if (life_mkdirs(e) < 0 || (lock = life_lock(e)) < 0)
		return -1;
	if (entry_env(e) < 0)
		goto out;
	/* report every problem of the two at once */
	bad = render_templates(e) < 0;
	if (check_executables(e) < 0 || bad)
		goto out;
	/* config.json: what this entry runs with, for people and report */
	cfg = json_pack("{s:s, s:s, s:o, s:s}", "name", e->name, "kind", e->kind,
	    "params", masked_params(e), "config_hash", e->hash);
	if (!cfg)
		fatal("out of memory");
	json_object_set(cfg, "package", json_object_get(e->m, "package"));
	json_object_set(cfg, "id", json_object_get(e->m, "id"));
	json_object_set(cfg, "global_id", json_object_get(e->m, "global_id"));
	path = entry_file(e, "config.json");
	if (cjson_write(path, cfg, 1) < 0)
		goto out;
	if (entry_snippet(e, "configure") &&
	    life_step(e, "configure", entry_snippet(e, "configure"), "configure.log", 0) < 0)
		goto out;
	/* the stamp Ninja sees: rewritten only when the configuration changed */
	if (endswith(e->path, ".json"))
		stamp = xasprintf("%.*s.configured", (int)(strlen(e->path) - 5), e->path);
	else
		stamp = xasprintf("%s.configured", e->path);
	hash = xasprintf("%s\n", e->hash);
	ret = fs_write_if_changed(stamp, hash, strlen(hash)) < 0 ? -1 : 0;
	free(hash);
	free(stamp);
out:
	json_decref(cfg);
	free(path);
	close(lock);
	return ret;
}
