/* SPDX-License-Identifier: MIT */
/* mpi: applications with mpi: true run under mpiexec over their hosts, with
 * the hostfile and options of the MPI flavour installed (SPEC §8) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

extern char **environ;

enum flavour {
	OPENMPI,	/* --hostfile "host slots=N", -npernode, -x VAR */
	MPICH,		/* -f "host:N", -ppn, -genv VAR VALUE (Hydra) */
	INTEL,		/* as MPICH */
};

static const char *const flavours[] = {"openmpi", "mpich", "intel"};

/* the flavour `mpiexec --version` names (PKGTOOL_MPI_FLAVOR overrides) */
static int
detect(struct entry *e, const char *mpiexec, enum flavour *f)
{
	const char *over = getenv("PKGTOOL_MPI_FLAVOR"), *s;
	char a1[] = "--version";
	char *argv[] = {(char *)mpiexec, a1, NULL};
	struct job j = {.argv = argv};
	size_t i;
	int ret = -1;

	for (i = 0; over && i < LEN(flavours); i++) {
		if (!strcmp(over, flavours[i])) {
			*f = (enum flavour)i;
			return 0;
		}
	}
	if (over && *over)
		return fail("PKGTOOL_MPI_FLAVOR=%s is not one of openmpi, mpich, intel", over);
	if (jobs_run(&j, 1, e->env, 30) < 0)
		goto out;
	s = buf_str(&j.out);
	if (strstr(s, "Intel(R) MPI"))
		*f = INTEL;
	else if (strstr(s, "Open MPI") || strstr(s, "OpenRTE"))
		*f = OPENMPI;
	else if (strstr(s, "HYDRA") || strstr(s, "MPICH"))
		*f = MPICH;
	else {
		fail("%s: cannot tell the MPI flavour from `%s --version` (Open MPI, MPICH or "
		    "Intel MPI expected; set PKGTOOL_MPI_FLAVOR): %.200s", e->name, mpiexec, s);
		goto out;
	}
	ret = 0;
out:
	jobs_release(&j, 1);
	return ret;
}

/* nprocs or ppn: a positive whole number, 0 when not given, -1 when bad */
static long
count(struct entry *e, const char *key)
{
	json_t *v = json_object_get(e->m, key);
	char *end;
	long n;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v))
		n = (long)json_integer_value(v);
	else if (json_is_string(v)) {
		n = strtol(json_string_value(v), &end, 10);
		if (end == json_string_value(v) || *end)
			n = -1;
	} else {
		n = -1;
	}
	if (n <= 0)
		return fail("%s: '%s' must be a positive whole number", e->name, key);
	return n;
}

/* the variables e's environment has and ours has not (or otherwise) */
static int
exported(const char *kv)
{
	static const char *const skip[] = {"PWD=", "OLDPWD=", "SHLVL=", "_="};
	const char *eq = strchr(kv, '='), *ours;
	char *k;
	size_t i;

	if (!eq || eq == kv || strspn(kv, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_") != (size_t)(eq - kv) || (kv[0] >= '0' && kv[0] <= '9'))
		return 0;
	for (i = 0; i < LEN(skip); i++)
		if (startswith(kv, skip[i]))
			return 0;
	k = xstrndup(kv, (size_t)(eq - kv));
	ours = getenv(k);
	free(k);
	return !ours || strcmp(ours, eq + 1) != 0;
}

static void
arg(struct buf *b, const char *s)
{
	buf_putc(b, ' ');
	buf_shquote(b, s);
}

char *
mpi_command(struct entry *e, const char *snippet)
{
	struct launcher l;
	struct buf cmd = BUF_INIT, hf = BUF_INIT, sargs = BUF_INIT;
	enum flavour f = OPENMPI;
	char *mpiexec = entry_which(e, "mpiexec"), *path = NULL, *ret = NULL, *s;
	long nprocs, ppn, slots = 0;
	size_t i;

	if (!mpiexec) {
		fail("%s: mpi: true, but mpiexec is not on the run PATH; on Debian: apt-get install "
		    "openmpi-bin (or mpich)", e->name);
		return NULL;
	}
	if (launcher_init(&l, e->m, NULL, e->env) < 0) {
		free(mpiexec);
		return NULL;
	}
	if (detect(e, mpiexec, &f) < 0 || (nprocs = count(e, "nprocs")) < 0 ||
	    (ppn = count(e, "ppn")) < 0)
		goto out;
	if (!nprocs)
		nprocs = l.nhosts ? (long)l.nhosts * (ppn ? ppn : 1) : 1;
	if (l.nhosts) {
		slots = ppn ? ppn : (nprocs + (long)l.nhosts - 1) / (long)l.nhosts;
		for (i = 0; i < l.nhosts; i++)
			buf_printf(&hf, f == OPENMPI ? "%s slots=%ld\n" : "%s:%ld\n", l.hosts[i], slots);
		path = xasprintf("%s/hostfile.%s", e->rundir, flavours[f]);
		if (fs_write_if_changed(path, hf.s, hf.len) < 0)
			goto out;
	}
	for (i = 0; i < l.nssh_args; i++)
		buf_printf(&sargs, "%s%s", i ? " " : "", l.ssh_args[i]);
	buf_puts(&cmd, "exec");
	arg(&cmd, mpiexec);
	if (f == OPENMPI && geteuid() == 0)
		arg(&cmd, "--allow-run-as-root");
	for (s = getenv("PKGTOOL_MPIEXEC_ARGS"); s && *s; ) {
		size_t len;

		s += strspn(s, " \t");
		if (!(len = strcspn(s, " \t")))
			break;
		buf_printf(&cmd, " %.*s", (int)len, s);
		s += len;
	}
	buf_printf(&cmd, " -n %ld", nprocs);
	if (path)
		buf_printf(&cmd, " %s", f == OPENMPI ? "--hostfile" : "-f"), arg(&cmd, path);
	if (ppn)
		buf_printf(&cmd, " %s %ld", f == OPENMPI ? "-npernode" : "-ppn", ppn);
	if (sargs.len && f == OPENMPI) {
		buf_puts(&cmd, " --mca plm_rsh_args");
		arg(&cmd, sargs.s);
	} else if (sargs.len) {
		/* Hydra takes a launcher program, not its arguments: a wrapper */
		char *w = xasprintf("%s/ssh-launcher", e->rundir);
		struct buf sh = BUF_INIT;

		buf_puts(&sh, "#!/bin/sh\nexec ssh");
		for (i = 0; i < l.nssh_args; i++)
			arg(&sh, l.ssh_args[i]);
		buf_puts(&sh, " \"$@\"\n");
		if (fs_write_if_changed(w, sh.s, sh.len) < 0 || chmod(w, 0755) < 0) {
			buf_release(&sh);
			free(w);
			goto out;
		}
		buf_puts(&cmd, f == INTEL ? " -bootstrap ssh -bootstrap-exec" :
		    " -launcher ssh -launcher-exec");
		arg(&cmd, w);
		buf_release(&sh);
		free(w);
	}
	/* the ranks get what the snippet would: the active set, the pipeline env,
	 * PKG_* (mpiexec passes on little of its own environment by itself) */
	for (i = 0; e->env[i]; i++) {
		const char *eq = strchr(e->env[i], '=');

		if (!exported(e->env[i]))
			continue;
		if (f == OPENMPI) {
			buf_printf(&cmd, " -x %.*s", (int)(eq - e->env[i]), e->env[i]);
		} else {
			buf_printf(&cmd, " -genv %.*s", (int)(eq - e->env[i]), e->env[i]);
			arg(&cmd, eq + 1);
		}
	}
	buf_puts(&cmd, " /bin/sh -c");
	arg(&cmd, snippet);
	ret = buf_detach(&cmd);
out:
	launcher_release(&l);
	buf_release(&cmd);
	buf_release(&hf);
	buf_release(&sargs);
	free(path);
	free(mpiexec);
	return ret;
}
