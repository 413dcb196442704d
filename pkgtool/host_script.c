/* SPDX-License-Identifier: MIT */
/* host_script: the sh scripts that run a pipeline entry's lifecycle steps on
 * a host, through its launcher (SPEC §8) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cjson.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Nothing of pkgtool runs on the hosts: each step is one sh script that ssh,
 * pdsh or srun runs there. On a host whose name is H (SLURMD_NODENAME under
 * srun, else uname -n):
 *
 *   PRIVATE_DIR/pkgtool.H.pid   "PGID STARTTIME": the service's process
 *                               group, made by setsid, and its leader's start
 *                               time (/proc/PID/stat field 22, against reuse)
 *   RUNDIR/hosts/H/             start.log (start.log.1 the previous one),
 *                               ready.log, status.log, stop.log, kill.log,
 *                               clean.log
 *
 * The scripts say what happened in lines "@pkgtool WORD ..." among the
 * output: host H (first), pgid PGID STARTTIME, ready, failed: WHY (then the
 * log's tail, indented), state running|stopped|died|notresponding PGID,
 * stopped|killed PGID.
 */

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
	buf_shquote(b, e->private_dir);
	buf_puts(b, "/pkgtool.$h.pid\nhd=");
	buf_shquote(b, e->rundir);
	buf_puts(b, "/hosts/$h\nmkdir -p ");
	buf_shquote(b, e->rundir);
	buf_putc(b, ' ');
	buf_shquote(b, e->shared_dir);
	buf_putc(b, ' ');
	buf_shquote(b, e->private_dir);
	buf_puts(b, " \"$hd\" || exit 125\ncd ");
	buf_shquote(b, e->rundir);
	buf_puts(b, " || exit 125\n");
	if (prefix) {
		buf_puts(b, "if [ -f ");
		buf_shquote(b, prefix);
		buf_puts(b, "/env.sh ]; then . ");
		buf_shquote(b, prefix);
		buf_puts(b, "/env.sh; fi\n");
	}
	over = entry_overlay(e, &pre);
	for (i = 0; over[i]; i++) {
		char *eq = strchr(over[i], '=');

		buf_printf(b, "%.*s=", (int)(eq - over[i]), over[i]);
		buf_shquote(b, eq + 1);
		buf_printf(b, "; export %.*s\n", (int)(eq - over[i]), over[i]);
	}
	if (pre) {
		buf_puts(b, "LD_PRELOAD=");
		buf_shquote(b, pre);
		buf_puts(b, "\"${LD_PRELOAD:+:$LD_PRELOAD}\"; export LD_PRELOAD\n");
	}
	json_array_foreach(json_object_get(e->m, "hosts"), i, v)
		if (json_is_string(v))
			buf_printf(&hosts, "%s%s", i ? " " : "", json_string_value(v));
	buf_puts(b, "PKG_HOST=$h; export PKG_HOST\nPKG_HOSTS=");
	buf_shquote(b, buf_str(&hosts));
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
	buf_shquote(b, snippet);
	buf_printf(b, " </dev/null >\"$hd/%s\" 2>&1", log);
}

/* start the service in a session of its own; stay: wait for it (srun, whose
 * step must outlive it), else return once it is ready */
char *
host_script_start(struct entry *e, int stay)
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
	buf_shquote(&b, entry_snippet(e, "start"));
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
		probe(&b, ready, "ready.log", HOST_PROBE_TIMEOUT);
		buf_puts(&b, "; then break; fi\n");
		buf_printf(&b, "\tif [ \"$(date +%%s)\" -ge \"$deadline\" ]; then echo \"@pkgtool "
		    "failed: not ready after %g s: 'ready' never succeeded ($hd/start.log)\"; "
		    "tail_of \"$hd/start.log\" 30; tail_of \"$hd/ready.log\" 5; end \"$pg\" \"$st\" %d; "
		    "rm -f \"$pf\"; exit 4; fi\n\tsleep 0.1\n", e->timeout, HOST_KILL_GRACE);
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
char *
host_script_halt(struct entry *e, const char *snippet, int force)
{
	struct buf b = BUF_INIT;
	int grace = force ? HOST_KILL_GRACE : (int)(e->timeout < HOST_STOP_GRACE ? e->timeout + 0.999 :
	    HOST_STOP_GRACE);

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

char *
host_script_status(struct entry *e, const char *snippet)
{
	struct buf b = BUF_INIT;

	prelude(e, &b);
	buf_puts(&b, "if [ ! -s \"$pf\" ]; then echo \"@pkgtool state stopped\"; exit 0; fi\n"
	    "read -r pg st <\"$pf\"\n"
	    "if ! alive \"$pg\" \"$st\"; then echo \"@pkgtool state died $pg\"; exit 0; fi\n");
	if (snippet) {
		buf_puts(&b, "if ! ");
		probe(&b, snippet, "status.log", HOST_PROBE_TIMEOUT);
		buf_puts(&b, "; then echo \"@pkgtool state notresponding $pg\"; "
		    "tail_of \"$hd/status.log\" 5; exit 0; fi\n");
	}
	buf_puts(&b, "echo \"@pkgtool state running $pg\"\n");
	return buf_detach(&b);
}


char *
host_script_clean(struct entry *e)
{
	const char *snippet = entry_snippet(e, "clean");
	struct buf b = BUF_INIT;

	prelude(e, &b);
	if (snippet) {
		buf_puts(&b, "if ! sh -c ");
		buf_shquote(&b, snippet);
		buf_puts(&b, " </dev/null >\"$hd/clean.log\" 2>&1; then echo \"@pkgtool failed: "
		    "clean failed ($hd/clean.log)\"; tail_of \"$hd/clean.log\" 30; exit 1; fi\n");
	}
	/* hosts sharing a file system remove the same files: gone is gone */
	buf_puts(&b, "cd / || exit 1\nfor d in ");
	buf_shquote(&b, e->private_dir);
	buf_putc(&b, ' ');
	buf_shquote(&b, e->shared_dir);
	buf_puts(&b, " \"$hd\"; do rm -rf \"$d\" 2>/dev/null || [ ! -e \"$d\" ] || "
	    "{ echo \"@pkgtool failed: cannot remove $d\"; exit 1; }; done\n");
	return buf_detach(&b);
}

char *
host_script_app(struct entry *e)
{
	struct buf b = BUF_INIT;

	prelude(e, &b);
	buf_puts(&b, "sh -c ");
	buf_shquote(&b, entry_snippet(e, "start"));
	buf_puts(&b, " </dev/null 2>&1\n");
	return buf_detach(&b);
}

const char *
host_marker(const char *out, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (startswith(p, "@pkgtool ") && !strncmp(p + 9, word, wl) &&
		    (p[9 + wl] == ' ' || p[9 + wl] == '\n' || !p[9 + wl]))
			return p + 9 + wl + (p[9 + wl] == ' ');
	return NULL;
}
