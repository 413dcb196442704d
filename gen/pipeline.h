/* SPDX-License-Identifier: MIT */
/* pipeline.h: what pipeline.c, sweep.c and plninja.c share (private to gen/) */
#ifndef PKGTOOL_PIPELINE_H
#define PKGTOOL_PIPELINE_H

#include <jansson.h>

#include "gen.h"
#include "hostfile.h"

/* one entry of pkgs: or interceptors: */
struct entry {
	const char *name, *type;
	struct mark mark, type_mark;
	const struct ynode *node;
	struct pkg *pkg;
	int interceptor;	/* declared under the pipeline's interceptors: */
	const struct ynode *icpt_node, *after_node;
	struct entry **icpts, **after;
	size_t nicpts, nafter, icap, acap;
	double sleep;
	long long timeout, retry_count;
	int hide_output;
	const char *hostfile, *nprocs, *ppn;
	struct hostlist *hosts;	/* its hostfile's hosts, or NULL */
	int explicit_after;
};

/* one value of a sweep variable */
struct setting {
	const char *entry, *param;
	const struct ynode *val;
};

struct point {
	const char *id;
	struct setting *set;
	size_t nset;
	int rep;
};

struct out {
	const char *rel;	/* under .pkggen/ */
	json_t *json;
};

struct pipeline {
	const char *file, *dir, *name;
	const struct ynode *root, *env_node;
	struct kv *env;
	size_t nenv;
	const char *hostfile, *launcher, *shared_root, *private_root;
	struct hostlist *hosts;	/* the pipeline's hostfile's hosts, or NULL */
	struct mark launcher_mark;
	const char *deploy;	/* shared | push */
	const char **ssh_args;
	size_t nssh_args, sshcap;
	const char *mirrors;	/* "NAME=BASE BASE;NAME=BASE", as PKGTOOL_MIRRORS */
	struct entry **pkgs, **icpts;
	size_t npkgs, nicpts, pcap, icap;
	/* a sweep */
	int sweep;
	const struct ynode *vars;	/* {ENTRY.PARAM: [values]} */
	struct point *points;
	size_t npoints;
	/* prepared output */
	struct out *outs;
	size_t nouts, ocap;
};

/* pipeline.c */
/* an "unknown key" error with a "did you mean" from keys */
void pl_unknown_key(struct gen *g, const struct ynode *k, const char *const *keys, size_t n,
    const char *where);
/* n's string, or NULL after an error saying key must be a string */
const char *pl_scalar(struct gen *g, const struct ynode *n, const char *key);
/* p made absolute against dir (arena) */
const char *pl_relpath(struct gen *g, const char *dir, const char *p);
/* read a pipeline mapping: name, env, repos, launcher, entries, ... */
void pl_load_body(struct gen *g, struct pipeline *pl, const struct ynode *root);
/* borrowed: the entry of pkgs: or interceptors: called name, or NULL */
struct entry *pl_find_entry(struct pipeline *pl, const char *name);
/* "PKG (entry NAME)", for messages */
const char *pl_who(struct gen *g, const struct entry *e);
/* BUILDDIR/run, or BUILDDIR/sweep/POINT */
const char *pl_runroot(struct gen *g, const struct point *pt);
/* "run" or "sweep/POINT": where under .pkggen/ a point's manifests go */
const char *pl_mandir(struct gen *g, const struct point *pt);

/* runman.c */
/* the value entry e's parameter p has at point pt (NULL: no sweep): the
 * point's setting, the entry's own value, or the default; NULL when none */
const struct ynode *pl_value_of(const struct point *pt, const struct entry *e,
    const struct param *p);
/* entry e's {{names}} (arena strings); with params/secret, also fills those */
struct map *pl_entry_vars(struct gen *g, struct pipeline *pl, const struct point *pt,
    struct entry *e, json_t *params, json_t *secret);
/* keep j (a new reference, now owned) to be written as .pkggen/REL */
void pl_add_out(struct gen *g, struct pipeline *pl, const char *rel, json_t *j);
/* the run manifests of every entry at point pt, and its pipeline.json */
void pl_prepare_point(struct gen *g, struct pipeline *pl, const struct point *pt);

/* sweep.c */
/* read a sweep file (config:, vars:, loop:, repeat:) into pl's points */
void pl_load_sweep(struct gen *g, struct pipeline *pl, const struct ynode *root);
/* every vars: key names an entry of pkgs: and one of its parameters, and
 * every value fits that parameter */
void pl_check_sweep_vars(struct gen *g, struct pipeline *pl);

#endif
