/* SPDX-License-Identifier: MIT */
/* cmd_life: configure, start, stop, status, kill, clean and restart pipeline
 * entries (SPEC §6, doc/manifests.md "Pipelines") */
#include <errno.h>
#include <getopt.h>
#include <math.h>
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

/* seconds between SIGTERM and SIGKILL for kill, and the most stop waits */
#define KILL_GRACE 3.0
#define STOP_GRACE 10.0
/* seconds one status probe may take */
#define PROBE_TIMEOUT 10.0

/* no libm for these */
static double
dmin(double a, double b)
{
	return a < b ? a : b;
}

static double
dmax(double a, double b)
{
	return a > b ? a : b;
}

/*
 * RUNDIR/ of an entry holds:
 *   state.json   a running service: {"pgid", "pid", "starttime" (of the group
 *                leader, /proc/PID/stat field 22), "config_hash" (of the
 *                manifest it was started from), "started_at", "host", "stop"
 *                and "status" (the snippets it was started with, so that an
 *                edited port still reaches the old instance)}; written before ready
 *                is polled, removed once the group is gone
 *   started      touched (rewritten) by each real start: Ninja's output
 *   start.log    the service's output (start.log.1: the previous instance's)
 *   ready.log    the last ready probe's output
 *   output.log   an application's output; stats.json its result
 *   config.json  the parameters it was configured with (secrets as "***")
 *   .lock        flock held by every step that changes the entry
 */
struct state {
	long pgid, pid;
	unsigned long long starttime;
	char *hash, *stop, *status, *host;
};

static void
state_release(struct state *st)
{
	free(st->hash);
	free(st->stop);
	free(st->status);
	free(st->host);
	memset(st, 0, sizeof(*st));
}

/* 1 loaded, 0 none (a broken file counts as none, with a warning) */
static int
state_load(struct entry *e, struct state *st)
{
	char *path = entry_file(e, "state.json");
	json_error_t jerr;
	json_t *j;
	const char *s;

	memset(st, 0, sizeof(*st));
	if (!fs_exists(path)) {
		free(path);
		return 0;
	}
	j = json_load_file(path, 0, &jerr);
	if (!j || !json_is_integer(json_object_get(j, "pgid"))) {
		warnf("%s: unreadable, ignored", path);
		json_decref(j);
		free(path);
		return 0;
	}
	st->pgid = (long)json_integer_value(json_object_get(j, "pgid"));
	st->pid = (long)json_integer_value(json_object_get(j, "pid"));
	st->starttime = (unsigned long long)json_integer_value(json_object_get(j, "starttime"));
	st->hash = xstrdup((s = cjson_str(j, "config_hash")) ? s : "");
	st->stop = (s = cjson_str(j, "stop")) ? xstrdup(s) : NULL;
	st->status = (s = cjson_str(j, "status")) ? xstrdup(s) : NULL;
	st->host = (s = cjson_str(j, "host")) ? xstrdup(s) : NULL;
	json_decref(j);
	free(path);
	return 1;
}

static int
state_save(struct entry *e, const struct state *st)
{
	char when[32], host[256] = "";
	time_t now = time(NULL);
	char *path = entry_file(e, "state.json");
	json_t *j;
	int ret;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	gethostname(host, sizeof(host) - 1);
	j = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s*, s:s*}", "pgid", (json_int_t)st->pgid,
	    "pid", (json_int_t)st->pid, "starttime", (json_int_t)st->starttime,
	    "config_hash", st->hash, "started_at", when, "host", host, "stop", st->stop,
	    "status", st->status);
	if (!j)
		fatal("out of memory");
	ret = cjson_write(path, j, 0);
	json_decref(j);
	free(path);
	return ret;
}

/* 1 when st was recorded on this machine, where its process ids mean something */
static int
state_here(const struct state *st)
{
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	return !st->host || !*st->host || !strcmp(st->host, host);
}

static int
elsewhere(struct entry *e, const struct state *st)
{
	return fail("%s: started on host %s, not this one; run this there (%s/state.json)",
	    e->name, st->host, e->rundir);
}

static int
is_service(struct entry *e)
{
	return !strcmp(e->kind, "service");
}

static int
is_app(struct entry *e)
{
	return !strcmp(e->kind, "application");
}

static int local_halt(struct entry *e, int force);

/* 0 when probe (ready or status) exits 0 */
static int
probe(struct entry *e, const char *snippet, double timeout)
{
	char *log = entry_file(e, "ready.log");
	int rc, to;

	rc = life_run(e, snippet, log, timeout, &to);
	free(log);
	return rc >= 0 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0 ? 0 : -1;
}

/* ---- start ---- */

/* stop the instance st records: its stop snippet (or, with force, the kill
 * snippet), then SIGTERM/SIGKILL for what is left. 1 it ran, 0 it was gone */
static int
stop_instance(struct entry *e, struct state *st, int force)
{
	const char *snippet = force ? entry_snippet(e, "kill") : st->stop;
	double grace = force ? KILL_GRACE : dmin(e->timeout, STOP_GRACE);
	int to;

	if (!pg_alive((pid_t)st->pgid, st->starttime))
		return 0;
	if (snippet) {
		char *log = entry_file(e, force ? "kill.log" : "stop.log");

		/* a failing stop is no error: the signals below still come */
		life_run(e, snippet, log, grace, &to);
		free(log);
		pg_wait((pid_t)st->pgid, st->starttime, grace);
	}
	if (pg_kill((pid_t)st->pgid, st->starttime, force ? KILL_GRACE : grace) < 0)
		return -1;
	return 1;
}

static int
write_started(struct entry *e, long pgid)
{
	char *path = entry_file(e, "started"), *s = xasprintf("pgid %ld\n", pgid);
	int ret = fs_write_atomic(path, s, strlen(s));

	free(s);
	free(path);
	return ret;
}

static int
start_service(struct entry *e)
{
	const char *start = entry_snippet(e, "start"), *ready = entry_snippet(e, "ready");
	const char *status = entry_snippet(e, "status");
	char *log = entry_file(e, "start.log"), *old = entry_file(e, "start.log.1");
	char *started = entry_file(e, "started");
	struct state st;
	double deadline;
	int ws, ret = -1, up = 0;
	pid_t pgid;

	if (!start) {
		ret = fail("%s: the package gives no lifecycle 'start'", e->name);
		goto out0;
	}
	if (state_load(e, &st)) {
		if (!state_here(&st)) {
			ret = elsewhere(e, &st);
			state_release(&st);
			goto out0;
		}
		if (pg_alive((pid_t)st.pgid, st.starttime) && !strcmp(st.hash, e->hash) &&
		    (!status || probe(e, status, PROBE_TIMEOUT) == 0)) {
			/* running and unchanged: leave it alone */
			ret = fs_exists(started) ? 0 : write_started(e, st.pgid);
			state_release(&st);
			goto out0;
		}
		if (stop_instance(e, &st, 0) < 0) {
			state_release(&st);
			goto out0;
		}
		state_release(&st);
		entry_rm(e, "state.json");
	}
	if (life_mkdirs(e) < 0)
		goto out0;
	if (fs_exists(log) && rename(log, old) < 0)
		warnf("rename %s:", log);
	if ((pgid = life_spawn(e, start, log)) < 0)
		goto out0;
	st.pgid = st.pid = pgid;
	st.starttime = pg_starttime(pgid);
	st.hash = xstrdup(e->hash);
	st.stop = entry_snippet(e, "stop") ? xstrdup(entry_snippet(e, "stop")) : NULL;
	st.status = status ? xstrdup(status) : NULL;
	if (state_save(e, &st) < 0)
		goto fail;
	deadline = life_now() + e->timeout;
	for (;;) {
		if (life_interrupted()) {
			fail("%s: interrupted while waiting for it to be ready", e->name);
			goto fail;
		}
		if (!pg_alive(pgid, st.starttime)) {
			char *how = xstrdup("its processes are gone");

			if (waitpid(pgid, &ws, WNOHANG) == pgid) {
				free(how);
				how = proc_status_str(ws);
			}
			entry_tail(e, log, 30);
			fail("%s: exited before it was ready (%s) (%s)", e->name, how, log);
			free(how);
			goto fail;
		}
		if (!ready || probe(e, ready, dmax(0.1, dmin(PROBE_TIMEOUT,
		    deadline - life_now()))) == 0)
			break;
		if (life_now() >= deadline) {
			char *rlog = entry_file(e, "ready.log");

			entry_tail(e, log, 30);
			entry_tail(e, rlog, 5);
			fail("%s: not ready after %g s: 'ready' never succeeded (%s)", e->name,
			    e->timeout, log);
			free(rlog);
			goto fail;
		}
		life_sleep(0.1);
	}
	if (e->sleep > 0) {
		life_sleep(e->sleep);
		if (!pg_alive(pgid, st.starttime)) {
			entry_tail(e, log, 30);
			fail("%s: exited within its 'sleep' of %g s after start (%s)", e->name,
			    e->sleep, log);
			goto fail;
		}
	}
	if (write_started(e, pgid) < 0)
		goto fail;
	up = 1;
	printf("started %s (pgid %ld)\n", e->name, (long)pgid);
	ret = 0;
fail:
	if (!up) {
		pg_kill(pgid, st.starttime, KILL_GRACE);
		entry_rm(e, "state.json");
		entry_rm(e, "started");
	}
	state_release(&st);
out0:
	free(started);
	free(old);
	free(log);
	return ret;
}

/* stats lines "key=value": a number when the value parses as one */
static json_t *
parse_stats(const char *text)
{
	json_t *o = json_object();
	const char *p = text, *nl, *eq;

	for (; *p; p = nl + (*nl != '\0')) {
		char *k, *v, *end;
		size_t kl, vl;
		double d;

		nl = p + strcspn(p, "\r\n");
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq)
			continue;
		while (p < eq && (*p == ' ' || *p == '\t'))
			p++;
		for (kl = (size_t)(eq - p); kl && (p[kl - 1] == ' ' || p[kl - 1] == '\t'); kl--)
			;
		if (!kl)
			continue;
		for (eq++; eq < nl && (*eq == ' ' || *eq == '\t'); eq++)
			;
		for (vl = (size_t)(nl - eq); vl && (eq[vl - 1] == ' ' || eq[vl - 1] == '\t'); vl--)
			;
		k = xstrndup(p, kl);
		v = xstrndup(eq, vl);
		errno = 0;
		d = strtod(v, &end);
		if (*v && !*end && !errno && isfinite(d)) {
			if (!strpbrk(v, ".eExX") && d > -9e15 && d < 9e15)
				json_object_set_new(o, k, json_integer((json_int_t)d));
			else
				json_object_set_new(o, k, json_real(d));
		} else {
			json_object_set_new(o, k, json_string(v));
		}
		free(k);
		free(v);
	}
	return o;
}

static int
start_app(struct entry *e)
{
	const char *start = entry_snippet(e, "start"), *stats = entry_snippet(e, "stats");
	char *log = entry_file(e, "output.log"), *spath = NULL, *path = NULL, *text = NULL;
	char *mpicmd = NULL;
	struct buf b = BUF_INIT;
	json_t *res = NULL, *sj, *hexit = NULL;
	int mpi = json_is_true(json_object_get(e->m, "mpi")), remote = hosts_remote(e);
	double t0, wall = 0;
	int rc = -1, to, tries = 0, code, lock = -1, ret = -1;

	if (!start) {
		ret = fail("%s: the package gives no lifecycle 'start'", e->name);
		goto out;
	}
	if (life_mkdirs(e) < 0 || (lock = life_lock(e)) < 0)
		goto out;
	/* mpi: true runs mpiexec here over the hosts; otherwise the launcher
	 * runs the snippet on each host (SPEC §8) */
	if (mpi) {
		if (hosts_deploy(e) < 0 || !(mpicmd = mpi_command(e, start)))
			goto out;
		start = mpicmd;
	}
	while (tries <= e->retries) {
		tries++;
		t0 = life_now();
		if (remote && !mpi) {
			json_decref(hexit);
			hexit = json_object();
			rc = hosts_run_app(e, log, hexit);
		} else {
			rc = life_run(e, start, log, 0, &to);
		}
		wall = life_now() - t0;
		/* an interrupted run records nothing, so that it runs again */
		if (rc < 0 || life_interrupted())
			goto out;
		if (WIFEXITED(rc) && WEXITSTATUS(rc) == 0)
			break;
		if (tries <= e->retries) {
			char *s = proc_status_str(rc);

			notef("%s failed (%s); retry %d of %d", e->name, s, tries, e->retries);
			free(s);
		}
	}
	code = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
	sj = json_object();
	if (stats) {
		spath = entry_file(e, "stats.out");
		if (life_step(e, "stats", stats, "stats.out", PROBE_TIMEOUT * 6) == 0 &&
		    fs_read(spath, &b) == 0) {
			buf_putn(&b, "", 0);	/* fs_read of an empty file leaves no NUL */
			json_decref(sj);
			sj = parse_stats(buf_str(&b));
		} else {
			warnf("%s: no stats recorded", e->name);
		}
	}
	res = json_pack("{s:i, s:f, s:o, s:i}", "exit", code, "wall_s",
	    (double)(long long)(wall * 1000 + 0.5) / 1000, "stats", sj, "attempts", tries);
	if (!res)
		fatal("out of memory");
	if (hexit)
		json_object_set(res, "hosts", hexit);
	path = entry_file(e, "stats.json");
	text = json_dumps(res, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	if (!text)
		fatal("out of memory");
	buf_reset(&b);
	buf_printf(&b, "%s\n", text);
	if (fs_write_atomic(path, b.s, b.len) < 0)
		goto out;
	if (!e->hide_output) {
		buf_reset(&b);
		if (fs_read(log, &b) == 0 && b.len) {
			char *m = entry_mask(e, buf_str(&b));

			fputs(m, stdout);
			if (m[strlen(m) - 1] != '\n')
				putchar('\n');
			free(m);
		}
	}
	if (code != 0) {
		char *s = proc_status_str(rc);

		if (e->hide_output)
			entry_tail(e, log, 30);
		fail("%s: failed, %s (%s)", e->name, s, log);
		free(s);
		goto out;
	}
	printf("ran %s: exit 0 in %.2f s\n", e->name, wall);
	life_sleep(e->sleep);
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	free(mpicmd);
	json_decref(hexit);
	free(text);
	json_decref(res);
	buf_release(&b);
	free(path);
	free(spath);
	free(log);
	return ret;
}

int
life_start(struct entry *e)
{
	int lock, ret;

	if (entry_env(e) < 0)
		return -1;
	if (is_app(e))
		return start_app(e);
	if (!is_service(e))
		return 0;	/* libraries and interceptors have nothing to run */
	if ((lock = life_lock(e)) < 0)
		return -1;
	/* what runs under the other kind of launcher goes first */
	if (hosts_remote(e)) {
		ret = local_halt(e, 0) < 0 ? -1 : hosts_start(e);
	} else {
		ret = hosts_halt(e, 0) < 0 ? -1 : start_service(e);
	}
	close(lock);
	return ret;
}

/* ---- stop, kill, clean ---- */

/* stop (force: kill) what state.json records on this machine; the caller
 * holds the entry's lock */
static int
local_halt(struct entry *e, int force)
{
	struct state st;
	int r = 0;

	if (state_load(e, &st)) {
		if (!state_here(&st)) {
			r = elsewhere(e, &st);
		} else if (entry_env(e) < 0) {
			r = -1;
		} else if ((r = stop_instance(e, &st, force)) > 0) {
			if (force)
				printf("killed %s (pgid %ld)\n", e->name, st.pgid);
			else
				printf("stopped %s\n", e->name);
		}
		state_release(&st);
		if (r >= 0)
			entry_rm(e, "state.json");
	}
	return r < 0 ? -1 : 0;
}

/* stop (force: kill) the entry here and on the hosts it runs on */
static int
halt(struct entry *e, int force)
{
	int lock, r, rh = 0;

	if ((lock = life_lock(e)) < 0)
		return -1;
	if (hosts_recorded(e))
		rh = entry_env(e) < 0 ? -1 : hosts_halt(e, force);
	r = local_halt(e, force);
	if (r >= 0 && rh >= 0)
		entry_rm(e, "started");
	close(lock);
	return r < 0 || rh < 0 ? -1 : 0;
}

int
life_stop(struct entry *e)
{
	return halt(e, 0);
}

static int
kill_entry(struct entry *e)
{
	return halt(e, 1);
}

/* rm -rf dir, refusing paths too short to be an entry's own directory */
static int
rm_dir(const char *dir)
{
	const char *p;
	int depth = 0;

	for (p = dir; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			depth++;
	if (dir[0] != '/' || depth < 2 || strstr(dir, "/../") || endswith(dir, "/.."))
		return fail("refusing to remove '%s'", dir);
	return fs_rmtree(dir);
}

static int
clean(struct entry *e)
{
	static const char *const files[] = {"stats.json", "stats.out", "output.log",
		"start.log", "start.log.1", "ready.log", "stop.log", "kill.log", "configure.log"};
	const char *snippet = entry_snippet(e, "clean");
	size_t i;
	int lock, ret = 0;

	if (halt(e, 0) < 0 || (lock = life_lock(e)) < 0)
		return -1;
	/* on hosts, clean runs there; hosts.json is gone after halt */
	if (hosts_remote(e)) {
		if (hosts_clean(e) < 0)
			ret = -1;
	} else if (snippet && (entry_env(e) < 0 ||
	    life_step(e, "clean", snippet, "clean.log", 0) < 0)) {
		ret = -1;
	}
	if (rm_dir(e->shared_dir) < 0 || rm_dir(e->private_dir) < 0)
		ret = -1;
	for (i = 0; i < LEN(files); i++)
		entry_rm(e, files[i]);
	close(lock);
	return ret;
}

/* ---- status ---- */

/* one entry's state as text and, into arr when not NULL, as JSON; 1 when it is down */
static int
status(struct entry *e, int width, json_t *arr)
{
	struct state st;
	struct buf line = BUF_INIT;
	const char *state;
	json_t *o;
	int down = 0;

	if (is_service(e) && (hosts_remote(e) || hosts_recorded(e)))
		return hosts_status(e, width, arr);
	o = json_pack("{s:s, s:s}", "name", e->name, "kind", e->kind);
	if (is_service(e)) {
		char *log = entry_file(e, "start.log");
		const char *probe_s;

		if (!state_load(e, &st)) {
			state = fs_exists(log) ? "stopped" : "not started";
			buf_puts(&line, state);
			down = 1;
		} else if (!state_here(&st)) {
			state = "elsewhere";
			buf_printf(&line, "started on host %s (pgid %ld; not checked from here)",
			    st.host, st.pgid);
		} else if (!pg_alive((pid_t)st.pgid, st.starttime)) {
			state = "stopped";
			buf_printf(&line, "stopped (died; was pgid %ld)", st.pgid);
			down = 1;
		} else if ((probe_s = st.status ? st.status : entry_snippet(e, "status")) &&
		    (entry_env(e) < 0 || probe(e, probe_s, PROBE_TIMEOUT) < 0)) {
			state = "not responding";
			buf_printf(&line, "not responding (pgid %ld)", st.pgid);
			down = 1;
		} else {
			state = "running";
			buf_printf(&line, "running (pgid %ld%s)", st.pgid,
			    strcmp(st.hash, e->hash) ? ", configuration changed since" : "");
		}
		if (st.pgid)
			json_object_set_new(o, "pgid", json_integer(st.pgid));
		state_release(&st);
		free(log);
	} else if (is_app(e)) {
		char *path = entry_file(e, "stats.json");
		json_t *j = fs_exists(path) ? json_load_file(path, 0, NULL) : NULL;

		if (json_is_object(json_object_get(j, "hosts"))) {
			/* run on hosts: one line each */
			json_t *hx = json_object_get(j, "hosts"), *x;
			const char *h;
			size_t hw = 0;

			json_object_foreach(hx, h, x)
				hw = strlen(h) > hw ? strlen(h) : hw;
			json_object_foreach(hx, h, x) {
				json_int_t code = json_integer_value(x);

				down |= code != 0;
				if (arr)
					json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}",
					    "name", e->name, "kind", e->kind, "host", h, "state", code ?
					    "failed" : "done", "exit", code));
				else
					printf("%-*s  %-*s  exit %lld\n", width, e->name, (int)hw, h,
					    (long long)code);
			}
			json_decref(j);
			json_decref(o);
			free(path);
			buf_release(&line);
			return down;
		}
		if (j && json_is_integer(json_object_get(j, "exit"))) {
			json_int_t code = json_integer_value(json_object_get(j, "exit"));

			state = code ? "failed" : "done";
			buf_printf(&line, "exit %lld (%.2f s)", (long long)code,
			    json_number_value(json_object_get(j, "wall_s")));
			json_object_set(o, "exit", json_object_get(j, "exit"));
			json_object_set(o, "wall_s", json_object_get(j, "wall_s"));
			down = code != 0;
		} else {
			state = "not run";
			buf_puts(&line, state);
		}
		json_decref(j);
		free(path);
	} else {
		state = e->kind;
		buf_printf(&line, "%s (nothing to run)", e->kind);
	}
	json_object_set_new(o, "state", json_string(state));
	if (arr)
		json_array_append_new(arr, o);
	else {
		printf("%-*s  %s\n", width, e->name, buf_str(&line));
		json_decref(o);
	}
	buf_release(&line);
	return down;
}

/* ---- command line ---- */

enum order { FORWARD, REVERSE };

/* the build directory for names given by hand: -B, else . when it holds
 * build.ninja, else build */
static const char *
builddir(void)
{
	if (opt_builddir)
		return opt_builddir;
	return fs_exists("build.ninja") ? "." : "build";
}

/* the run manifests of a pipeline.json's entries, one run manifest, an entry
 * name of the build directory, or (NULL, or a directory) its whole pipeline */
char **
life_targets(const char *arg)
{
	char **v = NULL, *path;
	size_t n = 0, cap = 0, i;
	json_t *j, *ent;

	if (!arg)
		path = xasprintf("%s/.pkggen/pipeline.json", builddir());
	else if (fs_isdir(arg))
		path = xasprintf("%s/.pkggen/pipeline.json", arg);
	else if (!strchr(arg, '/') && !endswith(arg, ".json"))
		path = xasprintf("%s/.pkggen/run/%s.json", builddir(), arg);
	else
		path = xstrdup(arg);
	if (!fs_exists(path)) {
		fail("%s: no such manifest%s", path, arg ? "" : " (is this a pipeline's build "
		    "directory? try -B BUILDDIR)");
		free(path);
		return NULL;
	}
	if (!(j = manifest_load(path))) {
		free(path);
		return NULL;
	}
	if (json_is_array(json_object_get(j, "entries"))) {
		json_array_foreach(json_object_get(j, "entries"), i, ent) {
			const char *m = cjson_str(ent, "manifest");

			if (!m) {
				fail("%s: entry %zu lacks 'manifest'", path, i);
				continue;
			}
			xappend((void ***)&v, &n, &cap, xstrdup(m));
		}
	} else {
		xappend((void ***)&v, &n, &cap, xstrdup(path));
	}
	xappend((void ***)&v, &n, &cap, NULL);
	json_decref(j);
	free(path);
	return v;
}

void
life_targets_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static const char *
help_of(const char *cmd)
{
	static const char *const helps[][2] = {
		{"configure", "render templates into config_dir, check requires_executables, "
		    "write config.json,\nrun lifecycle.configure and write the .configured stamp "
		    "when the configuration changed"},
		{"start", "start a service (in a new process group; returns once 'ready' succeeds) "
		    "or run an\napplication to completion (stats.json); an unchanged running "
		    "service is left alone"},
		{"stop", "stop services (the 'stop' snippet, then SIGTERM/SIGKILL to the recorded "
		    "process group),\nin reverse order; stopping a stopped entry is no error"},
		{"status", "print one line per entry; exit 1 when a service is down or an "
		    "application failed"},
		{"kill", "SIGTERM each recorded process group, SIGKILL after a grace period, in "
		    "reverse order"},
		{"clean", "stop, run lifecycle.clean, remove shared_dir, private_dir and the "
		    "run records"},
		{"restart", "stop every entry (reverse order), then start them (pipeline order)"},
	};
	size_t i;

	for (i = 0; i < LEN(helps); i++)
		if (!strcmp(helps[i][0], cmd))
			return helps[i][1];
	return "";
}

static void
usage(FILE *f, const char *cmd)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] %s [--help]%s [MANIFEST | NAME]\n\n%s.\n\n"
	    "MANIFEST is a run manifest (BUILDDIR/.pkggen/run/NAME.json) or the pipeline's\n"
	    "BUILDDIR/.pkggen/pipeline.json (every entry; a build directory stands for it);\n"
	    "NAME is an entry of BUILDDIR's pipeline; with neither, the whole pipeline of\n"
	    "BUILDDIR (default: . when it holds build.ninja, else build).\n", cmd, !strcmp(cmd, "status") ? " [--json]" : "",
	    help_of(cmd));
}

/* parse the options common to every lifecycle command; the target's index, or
 * -2 (exit 2) / -3 (--help, exit 0) */
static int
parse(int argc, char **argv, int *json)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout, argv[0]);
			return -3;
		case 'j':
			if (json) {
				*json = 1;
				break;
			}
			/* fall through */
		default:
			fprintf(stderr, "%s: unknown option '%s'\n", util_prefix(), argv[optind - 1]);
			usage(stderr, argv[0]);
			return -2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "%s: one manifest or name at a time\n", util_prefix());
		usage(stderr, argv[0]);
		return -2;
	}
	return optind;
}

/* run fn over the entries argv names; each entry is tried (a failure is
 * reported and the rest still run) unless stop_first */
static int
each(int argc, char **argv, int (*fn)(struct entry *), enum order order, int stop_first)
{
	char **v;
	size_t n, i;
	int idx = parse(argc, argv, NULL), ret = 0;
	struct entry *e;

	if (idx < 0)
		return idx == -3 ? 0 : 2;
	if (!(v = life_targets(idx < argc ? argv[idx] : NULL)))
		return -1;
	life_signals();
	for (n = 0; v[n]; n++)
		;
	for (i = 0; i < n && !life_interrupted(); i++) {
		e = entry_load(v[order == REVERSE ? n - 1 - i : i]);
		if (!e || fn(e) < 0) {
			ret = -1;
			if (stop_first) {
				entry_free(e);
				break;
			}
		}
		entry_free(e);
	}
	life_targets_free(v);
	return ret;
}

int
cmd_configure(int argc, char **argv)
{
	return each(argc, argv, life_configure, FORWARD, 1);
}

int
cmd_start(int argc, char **argv)
{
	return each(argc, argv, life_start, FORWARD, 1);
}

int
cmd_stop(int argc, char **argv)
{
	return each(argc, argv, life_stop, REVERSE, 0);
}

int
cmd_kill(int argc, char **argv)
{
	return each(argc, argv, kill_entry, REVERSE, 0);
}

int
cmd_clean(int argc, char **argv)
{
	return each(argc, argv, clean, REVERSE, 0);
}

int
cmd_restart(int argc, char **argv)
{
	int ret = each(argc, argv, life_stop, REVERSE, 0);

	if (ret)
		return ret;
	return each(argc, argv, life_start, FORWARD, 1);
}

int
cmd_status(int argc, char **argv)
{
	struct entry **es = NULL;
	size_t n = 0, cap = 0, i;
	int json = 0, idx = parse(argc, argv, &json), width = 0, down = 0, bad = 0;
	json_t *arr = NULL;
	char **v;

	if (idx < 0)
		return idx == -3 ? 0 : 2;
	if (!(v = life_targets(idx < argc ? argv[idx] : NULL)))
		return -1;
	for (i = 0; v[i]; i++) {
		struct entry *e = entry_load(v[i]);

		if (!e) {
			bad = 1;
			continue;
		}
		if ((int)strlen(e->name) > width)
			width = (int)strlen(e->name);
		xappend((void ***)&es, &n, &cap, e);
	}
	if (json)
		arr = json_array();
	for (i = 0; i < n; i++) {
		down |= status(es[i], width, arr);
		entry_free(es[i]);
	}
	if (arr) {
		char *s = cjson_pretty(arr);

		fputs(s, stdout);
		free(s);
		json_decref(arr);
	}
	free(es);
	life_targets_free(v);
	if (bad)
		return -1;
	if (down) {
		check_stdout();
		return 1;
	}
	return 0;
}
