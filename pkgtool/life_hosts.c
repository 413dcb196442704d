/* SPDX-License-Identifier: MIT */
/* life_hosts: a pipeline entry's lifecycle on other hosts, through its
 * launcher: OpenSSH, pdsh or Slurm's srun (SPEC §8) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Each step is one sh script (host_script.c) that the launcher runs on every
 * host at once. Here RUNDIR/hosts.json records the instance: {"launcher", "config_hash",
 * "started_at", "stop" and "status" (the snippets it was started with),
 * "hosts": [{"host", "pgid", "starttime", "ok"}] and, for slurm, "job" (the
 * allocation, which srun --jobid reaches from outside it too), "pgid" and
 * "starttime" of the local srun whose step holds the services}. A host whose
 * start failed stays listed (ok false), so that stop reaches what it left.
 */

/* seconds a launcher may add to a step (connecting, srun's step set-up) */
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

/* ---- reading what the scripts said ---- */

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
	const char *f = host_marker(buf_str(&r->out), "failed:"), *p, *nl;
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
	json_t *m = json_object(), *hosts = json_array(), *h;
	size_t i;
	int ret;

	json_object_set_new(m, "launcher", json_string(cjson_str(st, "launcher") ?
	    cjson_str(st, "launcher") : "ssh"));
	if ((h = json_object_get(e->m, "ssh_args")))
		json_object_set(m, "ssh_args", h);
	json_array_foreach(json_object_get(st, "hosts"), i, h)
		if (cjson_str(h, "host"))
			json_array_append_new(hosts, json_string(cjson_str(h, "host")));
	ret = launcher_init(l, m, hosts, e->env);
	if (ret == 0 && cjson_str(st, "job"))
		l->jobid = xstrdup(cjson_str(st, "job"));
	json_decref(hosts);
	json_decref(m);
	return ret;
}

/* 1 when srun says the Slurm job st recorded is over: its steps, and the
 * services in them, ended with it */
static int
job_over(const struct launcher *l, const struct host_result *res)
{
	size_t i;

	if (l->kind != LAUNCH_SLURM || !l->jobid)
		return 0;
	for (i = 0; i < l->nhosts; i++)
		if (res[i].reached || (!strstr(buf_str(&res[i].out), "Expired or invalid job") &&
		    !strstr(buf_str(&res[i].out), "Invalid job id")))
			return 0;
	return 1;
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
	script = host_script_status(e, snippet && *snippet ? snippet : entry_snippet(e, "status"));
	*res = xcalloc(l->nhosts + 1, sizeof(**res));
	launch_run(l, script, HOST_PROBE_TIMEOUT + LAUNCH_SLACK, *res);
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
	int down = 0, over;

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
		if (json_array_size(json_object_get(e->m, "hosts")))
			;
		else if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", e->name,
			    "kind", e->kind, "state", "not started"));
		else
			printf("%-*s  not started\n", width, e->name);
		json_decref(st);
		return 1;
	}
	over = job_over(&l, res);
	for (i = 0; i < l.nhosts; i++)
		if (strlen(l.hosts[i]) > hw)
			hw = strlen(l.hosts[i]);
	for (i = 0; i < l.nhosts; i++) {
		const char *s = over ? "ended" : host_marker(buf_str(&res[i].out), "state");
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
		} else if (!strcmp(word, "ended")) {
			state = "stopped";
			line = xasprintf("stopped (Slurm job %s is over)", l.jobid);
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
	int ret = 0, over;

	if (!st)
		return 0;
	if (entry_env(e) < 0 || state_launcher(e, st, &l) < 0) {
		json_decref(st);
		return -1;
	}
	snippet = force ? entry_snippet(e, "kill") : cjson_str(st, "stop");
	script = host_script_halt(e, snippet && *snippet ? snippet : NULL, force);
	res = xcalloc(l.nhosts + 1, sizeof(*res));
	launch_run(&l, script, 2.0 * HOST_STOP_GRACE + 10 + LAUNCH_SLACK, res);
	left = json_array();
	if ((over = job_over(&l, res)))
		notef("%s: Slurm job %s is over, and its steps with it", e->name, l.jobid);
	for (i = 0; i < l.nhosts && !over; i++) {
		const char *w = host_marker(buf_str(&res[i].out), force ? "killed" : "stopped");

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
		    HOST_KILL_GRACE);
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
	struct launcher l;
	struct host_result *res;
	char *script;
	size_t i;
	int ret = 0;

	if (entry_env(e) < 0 || launcher_init(&l, e->m, NULL, e->env) < 0)
		return -1;
	script = host_script_clean(e);
	res = xcalloc(l.nhosts + 1, sizeof(*res));
	if (launch_run(&l, script, 0, res) < 0) {
		for (i = 0; i < l.nhosts; i++)
			if (res[i].status != 0)
				report(e, "clean", l.hosts[i], &res[i]);
		ret = -1;
	}
	host_results_release(res, l.nhosts);
	free(res);
	free(script);
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
	/* the allocation its steps run in: stop and status reach it from outside */
	if (l->kind == LAUNCH_SLURM && getenv("SLURM_JOB_ID"))
		json_object_set_new(st, "job", json_string(getenv("SLURM_JOB_ID")));
	return st;
}

/* record host's start from what its script said; 1 when it is ready */
static int
note_host(json_t *st, const char *host, const struct host_result *r)
{
	const char *pg = host_marker(buf_str(&r->out), "pgid");
	json_t *h = host_entry(st, host);
	int ok = host_marker(buf_str(&r->out), "ready") != NULL &&
	    !host_marker(buf_str(&r->out), "failed:");

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
	char *script = host_script_start(e, 0);
	size_t i;

	launch_run(l, script, e->timeout + e->sleep + HOST_PROBE_TIMEOUT + LAUNCH_SLACK, res);
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
	char *script = host_script_start(e, 1), **argv = launcher_srun_argv(l, script);
	char *log = entry_file(e, "start.log");
	struct buf cmd = BUF_INIT, text = BUF_INIT;
	struct host_result *res = xcalloc(l->nhosts + 1, sizeof(*res));
	double deadline = life_now() + e->timeout + e->sleep + HOST_PROBE_TIMEOUT + LAUNCH_SLACK;
	size_t i, done;
	int gone = 0, ret = -1;
	pid_t pgid;

	buf_puts(&cmd, "exec");
	for (i = 0; argv[i]; i++) {
		buf_putc(&cmd, ' ');
		buf_shquote(&cmd, argv[i]);
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
		buf_putn(&text, "", 0);	/* fs_read of an empty file leaves no NUL */
		host_results_release(res, l->nhosts);
		memset(res, 0, l->nhosts * sizeof(*res));
		launch_split(l, buf_str(&text), res);
		for (i = done = 0; i < l->nhosts; i++)
			if (host_marker(buf_str(&res[i].out), "ready") || host_marker(buf_str(&res[i].out),
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
			if (!host_marker(buf_str(&res[i].out), "failed:") && !gone)
				res[i].timed_out = 1;
			report(e, "start", l->hosts[i], &res[i]);
			(*nbad)++;
		}
	}
	if (*nbad && gone)
		entry_tail(e, log, 10);	/* what srun itself said */
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
		const char *s = host_marker(buf_str(&res[i].out), "state");
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
	struct buf out = BUF_INIT;
	char *script;
	size_t i;
	int first = 0;

	if (launcher_init(&l, e->m, NULL, e->env) < 0)
		return -1;
	if (pushing(e) && deploy_push(e, &l) < 0) {
		launcher_release(&l);
		return -1;
	}
	script = host_script_app(e);
	res = xcalloc(l.nhosts + 1, sizeof(*res));
	launch_run(&l, script, 0, res);
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
	free(script);
	launcher_release(&l);
	return first < 0 ? -1 : (first & 0xff) << 8;
}
