/* SPDX-License-Identifier: MIT */
/* life_hosts: a pipeline entry's lifecycle on other hosts, through its
 * launcher: OpenSSH, pdsh or Slurm's srun (SPEC §8) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Nothing of pkgtool runs on the hosts: each step is one sh script that the
 * launcher runs there (one ssh per host, one pdsh, or one srun step). On a
 * host whose name is H (SLURMD_NODENAME under srun, else uname -n):
 *
 *   PRIVATE_DIR/pkgtool.H.pid   "PGID STARTTIME": the service's process
 *                               group, made by setsid, and its leader's start
 *                               time (/proc/PID/stat field 22, against reuse)
 *   RUNDIR/hosts/H/             start.log (start.log.1 the previous one),
 *                               ready.log, status.log, stop.log, kill.log,
 *                               clean.log
 *
 * The scripts say what happened in lines "@pkgtool WORD ..." among the output.
 * Here RUNDIR/hosts.json records the instance: {"launcher", "config_hash",
 * "started_at", "stop" and "status" (the snippets it was started with),
 * "hosts": [{"host", "pgid", "starttime", "ok"}] and, for slurm, "pgid" and
 * "starttime" of the local srun whose step holds the services}. A host whose
 * start failed stays listed (ok false), so that stop reaches what it left.
 */

/* seconds: one status probe; SIGTERM to SIGKILL for kill; the most stop waits;
 * what a launcher may add (connecting, srun's step set-up) */
#define PROBE_TIMEOUT 10
#define KILL_GRACE 3
#define STOP_GRACE 10
#define LAUNCH_SLACK 30

int
hosts_remote(struct entry *e)
{
	const char *l = cjson_str(e->m, "launcher");

	if (!l || !strcmp(l, "local"))
		return 0;
	return !strcmp(l, "slurm") || json_array_size(json_object_get(e->m, "hosts")) > 0;
}

static char *
state_path(struct entry *e)
{
	return entry_file(e, "hosts.json");
}

int
hosts_recorded(struct entry *e)
{
	char *p = state_path(e);
	int r = fs_exists(p);

	free(p);
	return r;
}

/* hosts.json: a new reference, or NULL when there is none (or it is broken) */
static json_t *
state_load(struct entry *e)
{
	char *p = state_path(e);
	json_t *j = NULL;

	if (fs_exists(p)) {
		j = json_load_file(p, 0, NULL);
		if (!j || !json_is_array(json_object_get(j, "hosts"))) {
			warnf("%s: unreadable, ignored", p);
			json_decref(j);
			j = NULL;
		}
	}
	free(p);
	return j;
}

static int
state_save(struct entry *e, json_t *st)
{
	char *p = state_path(e);
	int ret = cjson_write(p, st, 0);

	free(p);
	return ret;
}

static int
pushing(struct entry *e)
{
	const char *d = cjson_str(e->m, "deploy");

	return d && !strcmp(d, "push");
}

int
hosts_deploy(struct entry *e)
{
	struct launcher l;
	int ret;

	if (!pushing(e) || (!hosts_remote(e) && !json_array_size(json_object_get(e->m, "hosts"))))
		return 0;
	if (launcher_init(&l, e->m, NULL, e->env) < 0)
		return -1;
	ret = deploy_push(e, &l);
	launcher_release(&l);
	return ret;
}

/* ---- the scripts ---- */

/* what every script starts with: the host's name, its directories, the
 * environment, and sh functions for process groups */
static void
prelude(struct entry *e, struct buf *b)
{
	char **over, *pre = NULL;
	const char *prefix = cjson_str(e->m, "prefix");
	struct buf hosts = BUF_INIT;
	json_t *v;
	size_t i;

	buf_puts(b, "h=${SLURMD_NODENAME:-$(uname -n)}\necho \"@pkgtool host $h\"\npf=");
	sh_quote(b, e->private_dir);
	buf_puts(b, "/pkgtool.$h.pid\nhd=");
	sh_quote(b, e->rundir);
	buf_puts(b, "/hosts/$h\nmkdir -p ");
	sh_quote(b, e->rundir);
	buf_putc(b, ' ');
	sh_quote(b, e->shared_dir);
	buf_putc(b, ' ');
	sh_quote(b, e->private_dir);
	buf_puts(b, " \"$hd\" || exit 125\ncd ");
	sh_quote(b, e->rundir);
	buf_puts(b, " || exit 125\n");
	if (prefix) {
		buf_puts(b, "if [ -f ");
		sh_quote(b, prefix);
		buf_puts(b, "/env.sh ]; then . ");
		sh_quote(b, prefix);
		buf_puts(b, "/env.sh; fi\n");
	}
	over = entry_overlay(e, &pre);
	for (i = 0; over[i]; i++) {
		char *eq = strchr(over[i], '=');

		buf_printf(b, "%.*s=", (int)(eq - over[i]), over[i]);
		sh_quote(b, eq + 1);
		buf_printf(b, "; export %.*s\n", (int)(eq - over[i]), over[i]);
	}
	if (pre) {
		buf_puts(b, "LD_PRELOAD=");
		sh_quote(b, pre);
		buf_puts(b, "\"${LD_PRELOAD:+:$LD_PRELOAD}\"; export LD_PRELOAD\n");
	}
	json_array_foreach(json_object_get(e->m, "hosts"), i, v)
		if (json_is_string(v))
			buf_printf(&hosts, "%s%s", i ? " " : "", json_string_value(v));
	buf_puts(b, "PKG_HOST=$h; export PKG_HOST\nPKG_HOSTS=");
	sh_quote(b, buf_str(&hosts));
	buf_puts(b, "; export PKG_HOSTS\n");
	buf_release(&hosts);
	env_free(over);
	free(pre);
	/* alive PGID STARTTIME: a member of the group that is no zombie runs,
	 * and the leader, if there, is the process that started then */
	buf_puts(b,
	    "alive() {\n"
	    "\t[ -n \"$1\" ] || return 1\n"
	    "\tif [ -n \"$2\" ] && [ -r \"/proc/$1/stat\" ]; then\n"
	    "\t\t[ \"$(sed 's/.*) //' \"/proc/$1/stat\" 2>/dev/null | cut -d' ' -f20)\" = \"$2\" ] "
	    "|| return 1\n"
	    "\tfi\n"
	    "\tif command -v ps >/dev/null 2>&1; then\n"
	    "\t\tps -eo pgid=,stat= | awk -v g=\"$1\" '$1 == g && $2 !~ /^Z/ { f = 1 } "
	    "END { exit !f }'\n"
	    "\telse\n"
	    "\t\tkill -0 \"-$1\" 2>/dev/null\n"
	    "\tfi\n"
	    "}\n"
	    /* gone PGID STARTTIME SECS: wait up to SECS for the group to end */
	    "gone() {\n"
	    "\tn=0\n"
	    "\twhile alive \"$1\" \"$2\"; do\n"
	    "\t\t[ \"$n\" -ge \"$(($3 * 10))\" ] && return 1\n"
	    "\t\tsleep 0.1; n=$((n + 1))\n"
	    "\tdone\n"
	    "}\n"
	    /* end PGID STARTTIME GRACE: SIGTERM, SIGKILL after GRACE seconds (no
	     * "--" before a negative pid: dash's kill takes none) */
	    "end() {\n"
	    "\talive \"$1\" \"$2\" || return 0\n"
	    "\tkill -TERM \"-$1\" 2>/dev/null; kill -CONT \"-$1\" 2>/dev/null\n"
	    "\tgone \"$1\" \"$2\" \"$3\" && return 0\n"
	    "\tkill -KILL \"-$1\" 2>/dev/null\n"
	    "\tgone \"$1\" \"$2\" 10\n"
	    "}\n"
	    /* tail_of FILE N: the last lines of a log, indented */
	    "tail_of() { [ -s \"$1\" ] && tail -n \"$2\" \"$1\" | sed 's/^/  /'; return 0; }\n");
}

/* run snippet with sh, its output in $hd/LOG, killed after timeout s */
static void
probe(struct buf *b, const char *snippet, const char *log, int timeout)
{
	buf_printf(b, "timeout -k 1 %d sh -c ", timeout);
	sh_quote(b, snippet);
	buf_printf(b, " </dev/null >\"$hd/%s\" 2>&1", log);
}

/* start the service in a session of its own; stay: wait for it (srun, whose
 * step must outlive it), else return once it is ready */
static char *
script_start(struct entry *e, int stay)
{
	const char *ready = entry_snippet(e, "ready");
	struct buf b = BUF_INIT;
	int to = (int)(e->timeout + 0.999);

	prelude(e, &b);
	buf_puts(&b,
	    "if [ -s \"$pf\" ]; then read -r pg st <\"$pf\"; end \"$pg\" \"$st\" 3; fi\n"
	    "rm -f \"$pf\"\n"
	    "[ -f \"$hd/start.log\" ] && mv -f \"$hd/start.log\" \"$hd/start.log.1\"\n"
	    "echo \"@pkgtool log $hd/start.log\"\n"
	    "setsid sh -c 'echo \"$$ $(sed \"s/.*) //\" /proc/$$/stat | cut -d\" \" -f20)\" "
	    ">\"$1.tmp\" && mv -f \"$1.tmp\" \"$1\" && exec sh -c \"$2\"' sh \"$pf\" ");
	sh_quote(&b, entry_snippet(e, "start"));
	buf_puts(&b, " </dev/null >\"$hd/start.log\" 2>&1 &\n"
	    "n=0\n"
	    "while [ ! -s \"$pf\" ]; do\n"
	    "\tif [ \"$n\" -ge 200 ]; then echo \"@pkgtool failed: it wrote no pid file ($pf)\"; "
	    "tail_of \"$hd/start.log\" 30; exit 3; fi\n"
	    "\tsleep 0.05; n=$((n + 1))\n"
	    "done\n"
	    "read -r pg st <\"$pf\"\n"
	    "echo \"@pkgtool pgid $pg $st\"\n");
	buf_printf(&b, "deadline=$(($(date +%%s) + %d))\n", to);
	buf_puts(&b, "while :; do\n"
	    "\tif ! alive \"$pg\" \"$st\"; then echo \"@pkgtool failed: exited before it was "
	    "ready ($hd/start.log)\"; tail_of \"$hd/start.log\" 30; rm -f \"$pf\"; exit 3; fi\n");
	if (ready) {
		buf_puts(&b, "\tif ");
		probe(&b, ready, "ready.log", PROBE_TIMEOUT);
		buf_puts(&b, "; then break; fi\n");
		buf_printf(&b, "\tif [ \"$(date +%%s)\" -ge \"$deadline\" ]; then echo \"@pkgtool "
		    "failed: not ready after %g s: 'ready' never succeeded ($hd/start.log)\"; "
		    "tail_of \"$hd/start.log\" 30; tail_of \"$hd/ready.log\" 5; end \"$pg\" \"$st\" %d; "
		    "rm -f \"$pf\"; exit 4; fi\n\tsleep 0.1\n", e->timeout, KILL_GRACE);
	} else {
		buf_puts(&b, "\tbreak\n");
	}
	buf_puts(&b, "done\n");
	if (e->sleep > 0)
		buf_printf(&b, "sleep %g\nif ! alive \"$pg\" \"$st\"; then echo \"@pkgtool failed: "
		    "exited within its 'sleep' of %g s after start\"; tail_of \"$hd/start.log\" 30; "
		    "rm -f \"$pf\"; exit 3; fi\n", e->sleep, e->sleep);
	buf_puts(&b, "echo \"@pkgtool ready\"\n");
	if (stay)
		buf_puts(&b, "wait\nwhile alive \"$pg\" \"$st\"; do sleep 1; done\n");
	buf_puts(&b, "exit 0\n");
	return buf_detach(&b);
}

/* stop (or kill) what the pid file names; the snippet runs first */
static char *
script_halt(struct entry *e, const char *snippet, int force)
{
	struct buf b = BUF_INIT;
	int grace = force ? KILL_GRACE : (int)(e->timeout < STOP_GRACE ? e->timeout + 0.999 :
	    STOP_GRACE);

	prelude(e, &b);
	buf_puts(&b, "[ -s \"$pf\" ] || exit 0\nread -r pg st <\"$pf\"\n"
	    "if alive \"$pg\" \"$st\"; then\n");
	if (snippet) {
		/* a failing stop is no error: the signals still come */
		buf_puts(&b, "\t");
		probe(&b, snippet, force ? "kill.log" : "stop.log", grace);
		buf_printf(&b, "\n\tgone \"$pg\" \"$st\" %d\n", grace);
	}
	buf_printf(&b, "\tif ! end \"$pg\" \"$st\" %d; then echo \"@pkgtool failed: process group "
	    "$pg survived SIGKILL\"; exit 1; fi\n\techo \"@pkgtool %s $pg\"\nfi\nrm -f \"$pf\"\n",
	    grace, force ? "killed" : "stopped");
	return buf_detach(&b);
}

static char *
script_status(struct entry *e, const char *snippet)
{
	struct buf b = BUF_INIT;

	prelude(e, &b);
	buf_puts(&b, "if [ ! -s \"$pf\" ]; then echo \"@pkgtool state stopped\"; exit 0; fi\n"
	    "read -r pg st <\"$pf\"\n"
	    "if ! alive \"$pg\" \"$st\"; then echo \"@pkgtool state died $pg\"; exit 0; fi\n");
	if (snippet) {
		buf_puts(&b, "if ! ");
		probe(&b, snippet, "status.log", PROBE_TIMEOUT);
		buf_puts(&b, "; then echo \"@pkgtool state notresponding $pg\"; "
		    "tail_of \"$hd/status.log\" 5; exit 0; fi\n");
	}
	buf_puts(&b, "echo \"@pkgtool state running $pg\"\n");
	return buf_detach(&b);
}

/* ---- reading what the scripts said ---- */

/* borrowed: the rest of the line after "@pkgtool WORD " in out, or NULL */
static const char *
marker(const char *out, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (startswith(p, "@pkgtool ") && !strncmp(p + 9, word, wl) &&
		    (p[9 + wl] == ' ' || p[9 + wl] == '\n' || !p[9 + wl]))
			return p + 9 + wl + (p[9 + wl] == ' ');
	return NULL;
}

static char *
line_of(const char *s)
{
	return xstrndup(s, strcspn(s, "\n"));
}

/* say why host failed: its "@pkgtool failed:" reason, or what ssh, pdsh or
 * srun said when the script did not run to its end; then its other lines */
static void
report(struct entry *e, const char *step, const char *host, const struct host_result *r)
{
	const char *f = marker(buf_str(&r->out), "failed:"), *p, *nl;
	char *why, *m;

	if (f)
		why = line_of(f + (*f == ' '));
	else if (r->timed_out)
		why = xstrdup("did not answer in time");
	else if (!r->reached)
		why = xstrdup("not reached");
	else
		why = xasprintf("the %s script failed (exit %d)", step, r->status);
	m = entry_mask(e, why);
	fprintf(stderr, "%s: %s: host %s: %s\n", util_prefix(), e->name, host, m);
	free(m);
	free(why);
	for (p = buf_str(&r->out); *p; p = nl + (*nl != '\0')) {
		nl = p + strcspn(p, "\n");
		if (startswith(p, "@pkgtool ") || nl == p)
			continue;
		why = xstrndup(p, (size_t)(nl - p));
		m = entry_mask(e, why);
		fprintf(stderr, "  %s\n", startswith(m, "  ") ? m + 2 : m);
		free(m);
		free(why);
	}
}

static int
write_started(struct entry *e, json_t *st)
{
	struct buf b = BUF_INIT;
	json_t *h;
	size_t i;
	char *path = entry_file(e, "started");
	int ret;

	json_array_foreach(json_object_get(st, "hosts"), i, h)
		buf_printf(&b, "%s pgid %lld\n", cjson_str(h, "host"),
		    (long long)json_integer_value(json_object_get(h, "pgid")));
	ret = fs_write_atomic(path, b.s ? b.s : "", b.len);
	buf_release(&b);
	free(path);
	return ret;
}

/* a launcher for the hosts st records (with e's ssh_args) */
static int
state_launcher(struct entry *e, json_t *st, struct launcher *l)
{
	json_t *m = json_pack("{s:s, s:O}", "launcher", cjson_str(st, "launcher") ?
	    cjson_str(st, "launcher") : "ssh", "ssh_args", json_object_get(e->m, "ssh_args"));
	json_t *hosts = json_array(), *h;
	size_t i;
	int ret;

	if (!m)
		fatal("out of memory");
	json_array_foreach(json_object_get(st, "hosts"), i, h)
		if (cjson_str(h, "host"))
			json_array_append_new(hosts, json_string(cjson_str(h, "host")));
	ret = launcher_init(l, m, hosts, e->env);
	json_decref(hosts);
	json_decref(m);
	return ret;
}

static json_t *
host_entry(json_t *st, const char *host)
{
	json_t *h;
	size_t i;

	json_array_foreach(json_object_get(st, "hosts"), i, h)
		if (cjson_str(h, "host") && !strcmp(cjson_str(h, "host"), host))
			return h;
	return NULL;
}

/* ---- status ---- */

/* probe the hosts st records: res[i] for its hosts[i] (l is made here) */
static int
probe_state(struct entry *e, json_t *st, struct launcher *l, struct host_result **res)
{
	const char *snippet = cjson_str(st, "status");
	char *script;

	if (state_launcher(e, st, l) < 0)
		return -1;
	script = script_status(e, snippet && *snippet ? snippet : entry_snippet(e, "status"));
	*res = xcalloc(l->nhosts + 1, sizeof(**res));
	launch_run(l, script, PROBE_TIMEOUT + LAUNCH_SLACK, *res);
	free(script);
	return 0;
}

int
hosts_status(struct entry *e, int width, json_t *arr)
{
	struct launcher l;
	struct host_result *res = NULL;
	json_t *st = state_load(e), *v;
	size_t i, hw = 0;
	int down = 0;

	if (!st || entry_env(e) < 0 || probe_state(e, st, &l, &res) < 0) {
		/* nothing recorded: every host the manifest names is down */
		json_array_foreach(json_object_get(e->m, "hosts"), i, v)
			if (strlen(json_string_value(v)) > hw)
				hw = strlen(json_string_value(v));
		json_array_foreach(json_object_get(e->m, "hosts"), i, v) {
			if (arr)
				json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "name",
				    e->name, "kind", e->kind, "host", json_string_value(v), "state",
				    "not started"));
			else
				printf("%-*s  %-*s  not started\n", width, e->name, (int)hw,
				    json_string_value(v));
		}
		if (!json_array_size(json_object_get(e->m, "hosts")) && !arr)
			printf("%-*s  not started\n", width, e->name);
		json_decref(st);
		return 1;
	}
	for (i = 0; i < l.nhosts; i++)
		if (strlen(l.hosts[i]) > hw)
			hw = strlen(l.hosts[i]);
	for (i = 0; i < l.nhosts; i++) {
		const char *s = marker(buf_str(&res[i].out), "state");
		long pg = -1;
		char *word = s ? line_of(s) : NULL, *line, *sp;
		const char *state;

		if (word && (sp = strchr(word, ' '))) {
			*sp = '\0';
			pg = strtol(sp + 1, NULL, 10);
		}
		if (!word) {
			char *why = xstrdup(res[i].timed_out ? "no answer in time" : "not reached");
			const char *o = buf_str(&res[i].out), *last = o, *q;

			/* what ssh said last */
			for (q = o; *q; q++)
				if (q[0] == '\n' && q[1])
					last = q + 1;
			if (*last) {
				free(why);
				why = line_of(last);
			}
			state = "unreachable";
			line = xasprintf("unreachable (%s)", why);
			free(why);
			down = 1;
		} else if (!strcmp(word, "running")) {
			state = "running";
			line = xasprintf("running (pgid %ld%s)", pg, strcmp(cjson_str(st,
			    "config_hash") ? cjson_str(st, "config_hash") : "", e->hash) ?
			    ", configuration changed since" : "");
		} else if (!strcmp(word, "notresponding")) {
			state = "not responding";
			line = xasprintf("not responding (pgid %ld)", pg);
			down = 1;
		} else if (!strcmp(word, "died")) {
			state = "stopped";
			line = xasprintf("stopped (died; was pgid %ld)", pg);
			down = 1;
		} else {
			state = "stopped";
			line = xstrdup("stopped");
			down = 1;
		}
		if (arr) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", e->name, "kind", e->kind,
			    "host", l.hosts[i], "state", state);

			if (pg > 0)
				json_object_set_new(o, "pgid", json_integer(pg));
			json_array_append_new(arr, o);
		} else {
			printf("%-*s  %-*s  %s\n", width, e->name, (int)hw, l.hosts[i], line);
		}
		free(line);
		free(word);
	}
	host_results_release(res, l.nhosts);
	free(res);
	launcher_release(&l);
	json_decref(st);
	return down;
}

/* ---- stop, kill, clean ---- */

int
hosts_halt(struct entry *e, int force)
{
	struct launcher l;
	struct host_result *res;
	json_t *st = state_load(e), *left, *h;
	struct buf done = BUF_INIT;
	const char *snippet;
	char *script;
	size_t i, nbad = 0;
	int ret = 0;

	if (!st)
		return 0;
	if (entry_env(e) < 0 || state_launcher(e, st, &l) < 0) {
		json_decref(st);
		return -1;
	}
	snippet = force ? entry_snippet(e, "kill") : cjson_str(st, "stop");
	script = script_halt(e, snippet && *snippet ? snippet : NULL, force);
	res = xcalloc(l.nhosts + 1, sizeof(*res));
	launch_run(&l, script, 2.0 * STOP_GRACE + 10 + LAUNCH_SLACK, res);
	left = json_array();
	for (i = 0; i < l.nhosts; i++) {
		const char *w = marker(buf_str(&res[i].out), force ? "killed" : "stopped");

		if (res[i].status != 0) {
			report(e, force ? "kill" : "stop", l.hosts[i], &res[i]);
			if ((h = host_entry(st, l.hosts[i])))
				json_array_append(left, h);
			nbad++;
		} else if (w) {
			buf_printf(&done, "%s%s (pgid %ld)", done.len ? ", " : "", l.hosts[i],
			    strtol(w, NULL, 10));
		}
	}
	/* the local srun that held the step ends with its tasks */
	if (json_integer_value(json_object_get(st, "pgid")) > 0)
		pg_kill((pid_t)json_integer_value(json_object_get(st, "pgid")),
		    (unsigned long long)json_integer_value(json_object_get(st, "starttime")),
		    KILL_GRACE);
	if (done.len)
		printf("%s %s on %s\n", force ? "killed" : "stopped", e->name, done.s);
	if (nbad) {
		/* keep the hosts that failed, for the next stop */
		json_object_set_new(st, "hosts", left);
		json_object_del(st, "pgid");
		state_save(e, st);
		ret = fail("%s: %s failed on %zu of %zu hosts", e->name, force ? "kill" : "stop",
		    nbad, l.nhosts);
	} else {
		json_decref(left);
		entry_rm(e, "hosts.json");
		ret = done.len ? 1 : 0;
	}
	host_results_release(res, l.nhosts);
	free(res);
	free(script);
	buf_release(&done);
	launcher_release(&l);
	json_decref(st);
	return ret;
}

int
hosts_clean(struct entry *e)
{
	const char *snippet = entry_snippet(e, "clean");
	struct launcher l;
	struct host_result *res;
	struct buf b = BUF_INIT;
	size_t i;
	int ret = 0;

	if (entry_env(e) < 0 || launcher_init(&l, e->m, NULL, e->env) < 0)
		return -1;
	prelude(e, &b);
	if (snippet) {
		buf_puts(&b, "if ! sh -c ");
		sh_quote(&b, snippet);
		buf_puts(&b, " </dev/null >\"$hd/clean.log\" 2>&1; then echo \"@pkgtool failed: "
		    "clean failed ($hd/clean.log)\"; tail_of \"$hd/clean.log\" 30; exit 1; fi\n");
	}
	/* hosts sharing a file system remove the same files: gone is gone */
	buf_puts(&b, "cd / || exit 1\nfor d in ");
	sh_quote(&b, e->private_dir);
	buf_putc(&b, ' ');
	sh_quote(&b, e->shared_dir);
	buf_puts(&b, " \"$hd\"; do rm -rf \"$d\" 2>/dev/null || [ ! -e \"$d\" ] || "
	    "{ echo \"@pkgtool failed: cannot remove $d\"; exit 1; }; done\n");
	res = xcalloc(l.nhosts + 1, sizeof(*res));
	if (launch_run(&l, b.s, 0, res) < 0) {
		for (i = 0; i < l.nhosts; i++)
			if (res[i].status != 0)
				report(e, "clean", l.hosts[i], &res[i]);
		ret = -1;
	}
	host_results_release(res, l.nhosts);
	free(res);
	buf_release(&b);
	launcher_release(&l);
	return ret;
}

/* ---- start ---- */

static json_t *
new_state(struct entry *e, const struct launcher *l)
{
	char when[32];
	time_t now = time(NULL);
	const char *stop = entry_snippet(e, "stop"), *status = entry_snippet(e, "status");
	json_t *st;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	st = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:[]}", "launcher", launcher_name(l),
	    "config_hash", e->hash, "started_at", when, "stop", stop, "status", status, "hosts");
	if (!st)
		fatal("out of memory");
	return st;
}

/* record host's start from what its script said; 1 when it is ready */
static int
note_host(json_t *st, const char *host, const struct host_result *r)
{
	const char *pg = marker(buf_str(&r->out), "pgid");
	json_t *h = host_entry(st, host);
	int ok = marker(buf_str(&r->out), "ready") != NULL &&
	    !marker(buf_str(&r->out), "failed:");

	if (!h) {
		h = json_pack("{s:s}", "host", host);
		json_array_append_new(json_object_get(st, "hosts"), h);
	}
	if (pg) {
		char *end;
		long p = strtol(pg, &end, 10);

		json_object_set_new(h, "pgid", json_integer(p));
		json_object_set_new(h, "starttime", json_integer(strtoll(end, NULL, 10)));
	}
	json_object_set_new(h, "ok", json_boolean(ok));
	return ok;
}

/* ssh, pdsh: the script starts the service detached and returns once ready */
static int
start_detached(struct entry *e, struct launcher *l, json_t *st, size_t *nbad)
{
	struct host_result *res = xcalloc(l->nhosts + 1, sizeof(*res));
	char *script = script_start(e, 0);
	size_t i;

	launch_run(l, script, e->timeout + e->sleep + PROBE_TIMEOUT + LAUNCH_SLACK, res);
	for (i = 0; i < l->nhosts; i++) {
		if (!note_host(st, l->hosts[i], &res[i])) {
			report(e, "start", l->hosts[i], &res[i]);
			(*nbad)++;
		}
	}
	host_results_release(res, l->nhosts);
	free(res);
	free(script);
	return 0;
}

/* slurm: a step's tasks live as long as the services they run, so the step
 * is a local srun in the background; each task says when it is ready */
static int
start_slurm(struct entry *e, struct launcher *l, json_t *st, size_t *nbad)
{
	char *script = script_start(e, 1), **argv = launcher_srun_argv(l, script);
	char *log = entry_file(e, "start.log");
	struct buf cmd = BUF_INIT, text = BUF_INIT;
	struct host_result *res = xcalloc(l->nhosts + 1, sizeof(*res));
	double deadline = life_now() + e->timeout + e->sleep + PROBE_TIMEOUT + LAUNCH_SLACK;
	size_t i, done;
	int gone = 0, ret = -1;
	pid_t pgid;

	buf_puts(&cmd, "exec");
	for (i = 0; argv[i]; i++) {
		buf_putc(&cmd, ' ');
		sh_quote(&cmd, argv[i]);
	}
	if ((pgid = life_spawn(e, cmd.s, log)) < 0)
		goto out;
	json_object_set_new(st, "pgid", json_integer(pgid));
	json_object_set_new(st, "starttime", json_integer((json_int_t)pg_starttime(pgid)));
	for (i = 0; i < l->nhosts; i++)
		json_array_append_new(json_object_get(st, "hosts"), json_pack("{s:s, s:b}", "host",
		    l->hosts[i], "ok", 0));
	if (state_save(e, st) < 0)
		goto out;
	for (;;) {
		buf_reset(&text);
		fs_read(log, &text);
		host_results_release(res, l->nhosts);
		memset(res, 0, l->nhosts * sizeof(*res));
		launch_split(l, buf_str(&text), res);
		for (i = done = 0; i < l->nhosts; i++)
			if (marker(buf_str(&res[i].out), "ready") || marker(buf_str(&res[i].out),
			    "failed:"))
				done++;
		if (done == l->nhosts || gone || life_interrupted() || life_now() > deadline)
			break;
		if (!pg_alive(pgid, (unsigned long long)json_integer_value(json_object_get(st,
		    "starttime"))))
			gone = 1;	/* read the log once more */
		else
			life_sleep(0.2);
	}
	for (i = 0; i < l->nhosts; i++) {
		if (!note_host(st, l->hosts[i], &res[i])) {
			if (!marker(buf_str(&res[i].out), "failed:") && !gone)
				res[i].timed_out = 1;
			report(e, "start", l->hosts[i], &res[i]);
			(*nbad)++;
		}
	}
	if (*nbad && gone)
		fprintf(stderr, "%s: %s: srun ended (%s)\n", util_prefix(), e->name, log);
	ret = 0;
out:
	host_results_release(res, l->nhosts);
	free(res);
	buf_release(&text);
	buf_release(&cmd);
	argv_free(argv);
	free(log);
	free(script);
	return ret;
}

/* the hosts of l that st says run unchanged, as marked in up[] (1 = running) */
static size_t
running(struct entry *e, json_t *st, const struct launcher *l, int *up)
{
	struct launcher pl;
	struct host_result *res = NULL;
	size_t i, j, n = 0;

	if (probe_state(e, st, &pl, &res) < 0)
		return 0;
	for (i = 0; i < pl.nhosts; i++) {
		const char *s = marker(buf_str(&res[i].out), "state");
		json_t *h = host_entry(st, pl.hosts[i]);

		if (!s || !startswith(s, "running") || !h || !json_is_true(json_object_get(h, "ok")))
			continue;
		for (j = 0; j < l->nhosts; j++)
			if (!strcmp(l->hosts[j], pl.hosts[i]) && !up[j]) {
				up[j] = 1;
				n++;
			}
	}
	host_results_release(res, pl.nhosts);
	free(res);
	launcher_release(&pl);
	return n;
}

int
hosts_start(struct entry *e)
{
	struct launcher l, sub;
	json_t *st = NULL, *todo = NULL;
	struct buf names = BUF_INIT;
	size_t i, nup = 0, nbad = 0;
	int *up = NULL, ret = -1;

	if (!entry_snippet(e, "start"))
		return fail("%s: the package gives no lifecycle 'start'", e->name);
	if (launcher_init(&l, e->m, NULL, e->env) < 0)
		return -1;
	memset(&sub, 0, sizeof(sub));
	up = xcalloc(l.nhosts + 1, sizeof(*up));
	if ((st = state_load(e))) {
		const char *h = cjson_str(st, "config_hash"), *lk = cjson_str(st, "launcher");

		/* running unchanged on a host: leave it alone there */
		if (h && !strcmp(h, e->hash) && lk && !strcmp(lk, launcher_name(&l)))
			nup = running(e, st, &l, up);
		/* a Slurm step holds all its hosts' services: all or none */
		if (nup < l.nhosts && (l.kind == LAUNCH_SLURM || nup == 0 || strcmp(h ? h : "",
		    e->hash))) {
			json_decref(st);
			st = NULL;
			if (hosts_halt(e, 0) < 0)
				goto out;
			memset(up, 0, l.nhosts * sizeof(*up));
			nup = 0;
		}
	}
	if (nup == l.nhosts) {
		char *started = entry_file(e, "started");

		ret = fs_exists(started) ? 0 : write_started(e, st);
		free(started);
		goto out;
	}
	if (pushing(e) && deploy_push(e, &l) < 0)
		goto out;
	if (life_mkdirs(e) < 0)
		goto out;
	if (!st)
		st = new_state(e, &l);
	/* the hosts where it does not run yet */
	todo = json_array();
	for (i = 0; i < l.nhosts; i++)
		if (!up[i])
			json_array_append_new(todo, json_string(l.hosts[i]));
	if (launcher_init(&sub, e->m, todo, e->env) < 0)
		goto out;
	entry_rm(e, "started");
	if (l.kind == LAUNCH_SLURM ? start_slurm(e, &sub, st, &nbad) < 0 :
	    start_detached(e, &sub, st, &nbad) < 0)
		nbad = sub.nhosts;
	if (state_save(e, st) < 0)
		goto out;
	if (nbad) {
		fail("%s: start failed on %zu of %zu hosts; `ninja stop` stops it on the others",
		    e->name, nbad, l.nhosts);
		goto out;
	}
	if (write_started(e, st) < 0)
		goto out;
	for (i = 0; i < sub.nhosts; i++) {
		json_t *h = host_entry(st, sub.hosts[i]);

		buf_printf(&names, "%s%s (pgid %lld)", i ? ", " : "", sub.hosts[i],
		    (long long)json_integer_value(json_object_get(h, "pgid")));
	}
	printf("started %s on %s\n", e->name, names.s);
	ret = 0;
out:
	buf_release(&names);
	launcher_release(&sub);
	launcher_release(&l);
	json_decref(todo);
	json_decref(st);
	free(up);
	return ret;
}

/* ---- applications ---- */

int
hosts_run_app(struct entry *e, const char *log, json_t *hosts_exit)
{
	struct launcher l;
	struct host_result *res;
	struct buf b = BUF_INIT, out = BUF_INIT;
	size_t i;
	int first = 0;

	if (launcher_init(&l, e->m, NULL, e->env) < 0)
		return -1;
	if (pushing(e) && deploy_push(e, &l) < 0) {
		launcher_release(&l);
		return -1;
	}
	prelude(e, &b);
	buf_puts(&b, "sh -c ");
	sh_quote(&b, entry_snippet(e, "start"));
	buf_puts(&b, " </dev/null 2>&1\n");
	res = xcalloc(l.nhosts + 1, sizeof(*res));
	launch_run(&l, b.s, 0, res);
	for (i = 0; i < l.nhosts; i++) {
		const char *p, *nl;
		int code = res[i].reached ? res[i].status : 255;

		for (p = buf_str(&res[i].out); *p; p = nl + (*nl != '\0')) {
			nl = p + strcspn(p, "\n");
			if (!startswith(p, "@pkgtool "))
				buf_printf(&out, "%s: %.*s\n", l.hosts[i], (int)(nl - p), p);
		}
		json_object_set_new(hosts_exit, l.hosts[i], json_integer(code));
		if (code != 0) {
			if (!res[i].reached)
				report(e, "start", l.hosts[i], &res[i]);
			else
				fprintf(stderr, "%s: %s: host %s: exit %d\n", util_prefix(), e->name,
				    l.hosts[i], code);
			if (!first)
				first = code;
		}
	}
	if (fs_write_atomic(log, out.s ? out.s : "", out.len) < 0)
		first = -1;
	host_results_release(res, l.nhosts);
	free(res);
	buf_release(&out);
	buf_release(&b);
	launcher_release(&l);
	return first < 0 ? -1 : (first & 0xff) << 8;
}
