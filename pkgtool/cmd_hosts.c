/* SPDX-License-Identifier: MIT */
/* cmd_hosts: `pkgtool hosts check HOSTFILE` (which hosts answer over ssh, and
 * why the others do not) and `pkgtool submit` (a whole pipeline run as one
 * Slurm batch job, Ninja's `submit` target) (SPEC §8) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../gen/hostfile.h"
#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/* ---- hosts check ---- */

/* why ssh could not run a command on a host, from what it said */
static const char *
classify(const struct job *j, int *ok)
{
	static const struct {
		const char *said, *why;
	} causes[] = {
		{"Connection refused", "refused"},
		{"timed out", "timeout"},
		{"No route to host", "unreachable"},
		{"Network is unreachable", "unreachable"},
		{"Host is unreachable", "unreachable"},
		{"Permission denied", "auth"},
		{"Host key verification failed", "auth"},
		{"Too many authentication failures", "auth"},
		{"Could not resolve hostname", "unknown host"},
		{"Name or service not known", "unknown host"},
	};
	const char *out = buf_str(&j->out);
	size_t i;

	*ok = 0;
	if (j->status >= 0 && WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0 &&
	    strstr(out, "pkgtool-hosts-ok")) {
		*ok = 1;
		return "ok";
	}
	if (j->timed_out)
		return "timeout";
	for (i = 0; i < LEN(causes); i++)
		if (strstr(out, causes[i].said))
			return causes[i].why;
	return j->status >= 0 && WIFEXITED(j->status) && WEXITSTATUS(j->status) != 255 ?
	    "no shell" : "error";
}

/* the last non-empty line of text, a new string */
static char *
last_line(const char *text)
{
	const char *e = text + strlen(text), *s;

	while (e > text && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	for (s = e; s > text && s[-1] != '\n'; s--)
		;
	return xstrndup(s, (size_t)(e - s));
}

static void
hosts_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool hosts check [--ssh-args ARGS] [--timeout SECS] [--json] "
	    "HOSTFILE\n\n"
	    "Connect to every host of HOSTFILE at once with ssh (BatchMode, the options of\n"
	    "--ssh-args or $PKGTOOL_SSH_ARGS) and run a command; print one line per host:\n"
	    "ok, or why not (refused, timeout, unreachable, auth, unknown host, error)\n"
	    "with what ssh said. Exit 1 when a host does not answer.\n");
}

int
cmd_hosts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{"ssh-args", required_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct arena a = ARENA_INIT;
	struct diag d = DIAG_INIT;
	struct hostlist hl = {0};
	struct launcher l;
	struct job *jobs = NULL;
	struct mark m = {NULL, 0, 0};
	json_t *arr = NULL, *sa = json_array(), *man = NULL, *none = json_array();
	const char *args = getenv("PKGTOOL_SSH_ARGS");
	char *end, *to = NULL;
	double timeout = 10, t0;
	size_t i, w = 0, nbad = 0;
	int c, json = 0, ret = 2;

	memset(&l, 0, sizeof(l));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			hosts_usage(stdout);
			ret = 0;
			goto out;
		case 'j':
			json = 1;
			break;
		case 's':
			args = optarg;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*end || timeout <= 0) {
				fprintf(stderr, "%s: --timeout takes seconds, not '%s'\n", util_prefix(),
				    optarg);
				goto out;
			}
			break;
		default:
			fprintf(stderr, "%s: unknown option '%s'\n", util_prefix(), argv[optind - 1]);
			hosts_usage(stderr);
			goto out;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "check")) {
		hosts_usage(stderr);
		goto out;
	}
	m.file = argv[optind + 1];
	if (hostfile_read(&a, &d, argv[optind + 1], m, &hl) < 0) {
		diag_print(&d);
		goto out;
	}
	/* --timeout comes first: for ssh the first value given wins */
	to = xasprintf("ConnectTimeout=%d", (int)(timeout + 0.999));
	json_array_append_new(sa, json_string("-o"));
	json_array_append_new(sa, json_string(to));
	for (; args && *args; ) {
		size_t len;

		args += strspn(args, " \t");
		if (!(len = strcspn(args, " \t")))
			break;
		json_array_append_new(sa, json_stringn(args, len));
		args += len;
	}
	man = json_pack("{s:s, s:O}", "launcher", "ssh", "ssh_args", sa);
	if (!man || launcher_init(&l, man, none, NULL) < 0) {
		ret = 1;
		goto out;
	}
	jobs = xcalloc(hl.n + 1, sizeof(*jobs));
	for (i = 0; i < hl.n; i++) {
		jobs[i].argv = launcher_ssh_argv(&l, hl.v[i], "echo pkgtool-hosts-ok");
		if (strlen(hl.v[i]) > w)
			w = strlen(hl.v[i]);
	}
	life_signals();
	t0 = life_now();
	ret = 1;
	if (jobs_run(jobs, hl.n, NULL, timeout + 5) < 0)
		goto out;
	if (json)
		arr = json_array();
	for (i = 0; i < hl.n; i++) {
		int ok;
		const char *why = classify(&jobs[i], &ok);
		char *said = ok ? xstrdup("") : last_line(buf_str(&jobs[i].out));

		nbad += !ok;
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:b, s:s, s:s}", "host", hl.v[i],
			    "ok", ok, "state", why, "said", said));
		else if (ok)
			printf("%-*s  ok\n", (int)w, hl.v[i]);
		else
			printf("%-*s  %s%s%s\n", (int)w, hl.v[i], why, *said ? ": " : "", said);
		free(said);
	}
	if (arr) {
		char *s = cjson_pretty(arr);

		fputs(s, stdout);
		free(s);
	} else {
		printf("%zu of %zu host%s answer (%.1f s)\n", hl.n - nbad, hl.n, hl.n == 1 ? "" : "s",
		    life_now() - t0);
	}
	ret = nbad ? 1 : 0;
	if (ret)
		check_stdout();
out:
	for (i = 0; jobs && i < hl.n; i++)
		argv_free(jobs[i].argv);
	if (jobs)
		jobs_release(jobs, hl.n);
	free(jobs);
	launcher_release(&l);
	json_decref(arr);
	json_decref(man);
	json_decref(sa);
	json_decref(none);
	free(to);
	diag_release(&d);
	arena_free(&a);
	return ret;
}

/* ---- submit ---- */

/* a new string: prog found on PATH, or NULL */
static char *
which(const char *prog)
{
	const char *path = getenv("PATH"), *p, *q;
	struct stat st;

	for (p = path ? path : "/usr/bin:/bin"; ; p = q + 1) {
		char *cand;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(q - p), p, prog);
		if (q > p && stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!*q)
			return NULL;
	}
}

static void
submit_usage(FILE *f)
{
	fprintf(f, "usage: pkgtool [-B BUILDDIR] submit [--wait] [PIPELINE.json]\n\n"
	    "Submit one whole run of the pipeline (`ninja start`, then `ninja stop`, in the\n"
	    "allocation) as a Slurm batch job with sbatch: on the nodes of its hostfiles, or\n"
	    "one node when it names none; $PKGTOOL_SBATCH_ARGS adds options (partition,\n"
	    "time). The script is BUILDDIR/run/submit.sh, the job's output\n"
	    "BUILDDIR/run/submit-JOBID.log. --wait returns when the job ends, with its status.\n");
}

int
cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"wait", no_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	json_t *pl = NULL, *ent, *hosts = json_array(), *h, *rm;
	struct buf script = BUF_INIT, nodes = BUF_INIT;
	struct job j = {0};
	char *path = NULL, *ninja = NULL, *spath = NULL, *logp = NULL, **v = NULL, *id = NULL;
	const char *builddir, *name, *s;
	size_t i, k, n = 0, cap = 0;
	int c, wait = 0, ret = 2;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			submit_usage(stdout);
			ret = 0;
			goto out;
		} else if (c == 'w') {
			wait = 1;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", util_prefix(), argv[optind - 1]);
			submit_usage(stderr);
			goto out;
		}
	}
	if (argc - optind > 1) {
		submit_usage(stderr);
		goto out;
	}
	ret = -1;
	if (optind < argc)
		path = xstrdup(argv[optind]);
	else
		path = xasprintf("%s/.pkggen/pipeline.json", opt_builddir ? opt_builddir :
		    fs_exists("build.ninja") ? "." : "build");
	if (!(pl = manifest_load(path)) || !(builddir = manifest_str(pl, "builddir")))
		goto out;
	name = cjson_str(pl, "name") && *cjson_str(pl, "name") ? cjson_str(pl, "name") : "pipeline";
	/* every host any entry runs on */
	json_array_foreach(json_object_get(pl, "entries"), i, ent) {
		const char *mp = cjson_str(ent, "manifest");

		if (!mp || !(rm = manifest_load(mp)))
			goto out;
		json_array_foreach(json_object_get(rm, "hosts"), k, h) {
			size_t x;

			for (x = 0; x < json_array_size(hosts); x++)
				if (json_equal(json_array_get(hosts, x), h))
					break;
			if (x == json_array_size(hosts))
				json_array_append(hosts, h);
		}
		json_decref(rm);
	}
	json_array_foreach(hosts, i, h)
		buf_printf(&nodes, "%s%s", i ? "," : "", json_string_value(h));
	if (!(ninja = which("ninja"))) {
		fail("ninja is not on PATH");
		goto out;
	}
	spath = xasprintf("%s/run/submit.sh", builddir);
	logp = xasprintf("%s/run/submit-%%j.log", builddir);
	buf_puts(&script, "#!/bin/sh\n");
	buf_printf(&script, "#SBATCH --job-name=%s\n#SBATCH --output=%s\n", name, logp);
	if (nodes.len)
		buf_printf(&script, "#SBATCH --nodes=%zu\n#SBATCH --nodelist=%s\n",
		    json_array_size(hosts), nodes.s);
	else
		buf_puts(&script, "#SBATCH --nodes=1\n");
	buf_puts(&script, "# written by pkgtool submit: one whole run of the pipeline in this "
	    "allocation\nninja=");
	buf_shquote(&script, ninja);
	buf_puts(&script, "\nb=");
	buf_shquote(&script, builddir);
	buf_puts(&script, "\n\"$ninja\" -C \"$b\" start\nrc=$?\n"
	    "\"$ninja\" -C \"$b\" stop || { [ \"$rc\" != 0 ] || rc=1; }\nexit \"$rc\"\n");
	if (fs_mkparent(spath) < 0 || fs_write_if_changed(spath, script.s, script.len) < 0)
		goto out;
	xappend((void ***)&v, &n, &cap, xstrdup("sbatch"));
	xappend((void ***)&v, &n, &cap, xstrdup("--parsable"));
	if (wait)
		xappend((void ***)&v, &n, &cap, xstrdup("--wait"));
	for (s = getenv("PKGTOOL_SBATCH_ARGS"); s && *s; ) {
		size_t len;

		s += strspn(s, " \t");
		if (!(len = strcspn(s, " \t")))
			break;
		xappend((void ***)&v, &n, &cap, xstrndup(s, len));
		s += len;
	}
	xappend((void ***)&v, &n, &cap, xstrdup(spath));
	xappend((void ***)&v, &n, &cap, NULL);
	j.argv = v;
	if (jobs_run(&j, 1, NULL, 0) < 0)
		goto out;
	id = last_line(buf_str(&j.out));
	if (strchr(id, ';'))
		*strchr(id, ';') = '\0';
	if (j.status < 0 || !WIFEXITED(j.status) || (WEXITSTATUS(j.status) != 0 && !wait) ||
	    !*id || strspn(id, "0123456789") != strlen(id)) {
		fail("sbatch %s failed: %s", spath, buf_str(&j.out));
		goto out;
	}
	printf("submitted %s as Slurm job %s (output: %s/run/submit-%s.log)\n", name, id, builddir,
	    id);
	if (wait && WEXITSTATUS(j.status) != 0) {
		fail("job %s failed (exit %d)", id, WEXITSTATUS(j.status));
		goto out;
	}
	ret = 0;
out:
	argv_free(v);
	jobs_release(&j, 1);
	buf_release(&script);
	buf_release(&nodes);
	json_decref(hosts);
	json_decref(pl);
	free(id);
	free(logp);
	free(spath);
	free(ninja);
	free(path);
	return ret;
}
