/* SPDX-License-Identifier: MIT */
/* deploy: `deploy: push` copies the active generation's closure to the
 * hosts, for clusters with no shared file system (SPEC §8) */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/*
 * The closure is copied to the same absolute paths on each host (ids name the
 * store's path, so a package only works where it was built for), by rsync
 * over ssh with the pipeline's ssh_args:
 *   1. STORE/ID of every package of env/gen-N/active.json, and env/gen-N:
 *      never changed once made, so --ignore-existing sends only what a host
 *      lacks;
 *   2. env/active (a symlink that moves) and the entry's config_dir (the
 *      configuration rendered here): sent when they differ.
 * The rest of the run directory is made on the host by the lifecycle scripts.
 */

static char **
rsync_argv(const char *ssh, char **paths, size_t n, const char *host, int ignore)
{
	char **v = xcalloc(n + 8, sizeof(*v));
	size_t k = 0, i;

	v[k++] = xstrdup("rsync");
	v[k++] = xstrdup("-aR");
	if (ignore)
		v[k++] = xstrdup("--ignore-existing");
	v[k++] = xstrdup("-e");
	v[k++] = xstrdup(ssh);
	for (i = 0; i < n; i++)
		v[k++] = xstrdup(paths[i]);
	v[k++] = xasprintf("%s:/", host);
	v[k] = NULL;
	return v;
}

/* run one rsync per host of l (those with ok[i] set); clears ok[i] and
 * reports the hosts where it failed */
static void
round_of(struct entry *e, const struct launcher *l, const char *ssh, char **paths, size_t n,
    int ignore, int *ok)
{
	struct job *jobs = xcalloc(l->nhosts + 1, sizeof(*jobs));
	size_t i, k = 0, *idx = xcalloc(l->nhosts + 1, sizeof(*idx));

	for (i = 0; i < l->nhosts; i++) {
		if (!ok[i])
			continue;
		idx[k] = i;
		jobs[k++].argv = rsync_argv(ssh, paths, n, l->hosts[i], ignore);
	}
	jobs_run(jobs, k, e->env, 0);
	for (i = 0; i < k; i++) {
		struct job *j = &jobs[i];

		if (j->status >= 0 && WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0)
			continue;
		ok[idx[i]] = 0;
		fprintf(stderr, "%s: %s: host %s: deploy failed: rsync %s\n", util_prefix(), e->name,
		    l->hosts[idx[i]], j->status < 0 ? "did not run" : WIFEXITED(j->status) ?
		    "exited non-zero" : "was killed");
		if (j->out.len) {
			char *m = entry_mask(e, buf_str(&j->out));

			fprintf(stderr, "  %s%s", m, m[strlen(m) - 1] == '\n' ? "" : "\n");
			free(m);
		}
	}
	for (i = 0; i < k; i++)
		argv_free(jobs[i].argv);
	jobs_release(jobs, k);
	free(jobs);
	free(idx);
}

int
deploy_push(struct entry *e, const struct launcher *l)
{
	const char *builddir = cjson_str(e->m, "builddir"), *store = cjson_str(e->m, "store");
	char *active = NULL, *gen = NULL, *info = NULL, *ssh = NULL;
	char link[PATH_MAX], **paths = NULL, *fixed[2];
	size_t n = 0, cap = 0, i, bad = 0;
	int *ok = NULL, ret = -1;
	json_t *j = NULL, *p;
	ssize_t len;

	if (!l->nhosts)
		return 0;
	if (!builddir || !store)
		return fail("%s: the run manifest lacks 'builddir' or 'store'", e->path);
	active = xasprintf("%s/env/active", builddir);
	if ((len = readlink(active, link, sizeof(link) - 1)) < 0) {
		fail("%s: deploy: push needs the active set, and %s is not there:", e->name, active);
		goto out;
	}
	link[len] = '\0';
	gen = link[0] == '/' ? xstrdup(link) : xasprintf("%s/env/%s", builddir, link);
	info = xasprintf("%s/active.json", gen);
	if (!(j = cjson_load(info)))
		goto out;
	json_array_foreach(json_object_get(j, "packages"), i, p) {
		const char *id = cjson_str(p, "id");

		if (!id || store_check_id(id) < 0)
			goto out;
		xappend((void ***)&paths, &n, &cap, xasprintf("%s/%s", store, id));
	}
	xappend((void ***)&paths, &n, &cap, xstrdup(gen));
	ssh = launcher_ssh_command(l);
	ok = xcalloc(l->nhosts, sizeof(*ok));
	for (i = 0; i < l->nhosts; i++)
		ok[i] = 1;
	round_of(e, l, ssh, paths, n, 1, ok);
	fixed[0] = active;
	fixed[1] = (char *)e->config_dir;
	round_of(e, l, ssh, fixed, fs_isdir(e->config_dir) ? 2 : 1, 0, ok);
	for (i = 0; i < l->nhosts; i++)
		bad += !ok[i];
	if (bad) {
		fail("%s: deploy: push failed on %zu of %zu hosts", e->name, bad, l->nhosts);
		goto out;
	}
	printf("pushed %s (%zu packages) to %zu host%s\n", fs_basename(gen), n - 1, l->nhosts,
	    l->nhosts == 1 ? "" : "s");
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(ok);
	free(ssh);
	json_decref(j);
	free(info);
	free(gen);
	free(active);
	return ret;
}
