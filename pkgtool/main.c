/* SPDX-License-Identifier: MIT */
/* pkgtool: command table and dispatch */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkgtool.h"
#include "util.h"

const char *opt_builddir;

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
	{"fetch",    cmd_fetch,    "download and verify a source into the store"},
	{"verify",   cmd_verify,   "re-check the hashes of sources in the store"},
	{"mirror",   cmd_mirror,   "copy a build's verified sources into a mirror directory"},
	{"build",    cmd_build,    "build a package and pack it into the store"},
	{"package",  cmd_package,  "pack a built package into the store"},
	{"activate", cmd_activate, "switch the active set (atomic)"},
	{"deactivate", cmd_deactivate, "remove packages and their dependents from the active set"},
	{"rollback", cmd_rollback, "switch back to the previous generation (or --to N)"},
	{"generations", cmd_generations, "list the generations of the active set"},
	{"gc",       cmd_gc,       "delete old generations and unreferenced store entries"},
	{"list",     cmd_list,     "list the active packages"},
	{"info",     cmd_info,     "describe a package (pkginfo, size, generations)"},
	{"why",      cmd_why,      "show the dependency chains that keep a package active"},
	{"configure", cmd_configure, "render a pipeline entry's configuration"},
	{"start",    cmd_start,    "start services, run applications (pipeline order)"},
	{"stop",     cmd_stop,     "stop services (reverse order)"},
	{"status",   cmd_status,   "one line per pipeline entry; exit 1 if one is down"},
	{"kill",     cmd_kill,     "SIGTERM, then SIGKILL, each recorded process group"},
	{"clean",    cmd_clean,    "stop, then remove an entry's shared and private data"},
	{"restart",  cmd_restart,  "stop (reverse order), then start (pipeline order)"},
	{"hosts",    cmd_hosts,    "which hosts of a hostfile answer over ssh (hosts check)"},
	{"submit",   cmd_submit,   "run the whole pipeline as a Slurm batch job (sbatch)"},
	{"sweep-run", cmd_sweep_run, "run one sweep point: configure, start, stop"},
	{"sweep-collect", cmd_sweep_collect, "gather the sweep's stats into sweep/stats.csv"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pkgtool [-B BUILDDIR] COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < LEN(cmds); i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'pkgtool COMMAND --help' describes one command.\n");
}

int
main(int argc, char **argv)
{
	static char prefix[64];
	size_t i;
	int ret;

	timing_mark(NULL);
	util_set_prefix("pkgtool");
	argv++, argc--;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-B") && argc > 1) {
			opt_builddir = argv[1];
			argv += 2, argc -= 2;
		} else if (!strncmp(argv[0], "-B", 2) && argv[0][2]) {
			opt_builddir = argv[0] + 2;
			argv++, argc--;
		} else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			usage(stdout);
			check_stdout();
			return 0;
		} else {
			fprintf(stderr, "pkgtool: unknown option '%s'\n", argv[0]);
			usage(stderr);
			return 2;
		}
	}
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < LEN(cmds); i++) {
		if (strcmp(cmds[i].name, argv[0]) != 0)
			continue;
		snprintf(prefix, sizeof(prefix), "pkgtool: %s", cmds[i].name);
		util_set_prefix(prefix);
		ret = cmds[i].run(argc, argv);
		if (ret == 0)
			check_stdout();
		return ret < 0 ? 1 : ret;
	}
	fprintf(stderr, "pkgtool: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
