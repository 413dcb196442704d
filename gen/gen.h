/* SPDX-License-Identifier: MIT */
/* pkggen: private header, grouped by file */
#ifndef PKGTOOL_GEN_H
#define PKGTOOL_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "pool.h"
#include "version.h"

/* yaml.c: YAML files as trees of nodes that remember where they were written */
enum ytype {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
};

struct ynode {
	enum ytype type;
	struct mark mark;
	const char *str;	/* Y_SCALAR: the value */
	int plain;	/* Y_SCALAR: written without quotes (so "null", "true" mean those) */
	int block;	/* Y_SCALAR: a | or > block; its text starts on the next line */
	struct ynode **items;	/* Y_SEQ: the items; Y_MAP: key, value, key, value, ... */
	size_t n;	/* number of pointers in items */
};

/* load path into the arena; NULL (with errors in d) when it cannot be read or
 * parsed, or has duplicate keys. An empty file gives an empty map. */
struct ynode *yaml_load(struct arena *a, struct diag *d, const char *path);
/* yaml_load, and *sha (arena) is the sha256 of the file's bytes */
struct ynode *yaml_load_hashed(struct arena *a, struct diag *d, const char *path, const char **sha);
/* returns a copy of n and everything under it, in a */
struct ynode *ynode_copy(struct arena *a, const struct ynode *n);
/* borrowed: the value under key in a map, or NULL */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* "a string", "a list", "a mapping" */
const char *ytype_name(const struct ynode *n);
/* 1 when n is a plain scalar meaning null (null, ~, or empty) */
int ynull(const struct ynode *n);

/* suggest.c */
/* borrowed: the candidate closest to word (edit distance at most 2, or a third
 * of word's length), or NULL */
const char *suggest(const char *word, const char *const *cands, size_t n);
/* edit distance (Damerau: adjacent swaps count 1) */
size_t edit_distance(const char *a, const char *b);

/* map.c: string -> pointer hash map (keys borrowed) */
struct map {
	const char **keys;
	void **vals;
	uint32_t *hashes;	/* the low bits of each key's str_hash */
	size_t len, cap;
};
void *map_get(const struct map *m, const char *key);
void map_put(struct map *m, const char *key, void *val);
/* put key (borrowed) unless it is there: NULL, or the value it already has */
void *map_add(struct map *m, const char *key, void *val);
/* room for n more keys without growing */
void map_reserve(struct map *m, size_t n);
void map_release(struct map *m);

/* recipe.c */
enum src_type {
	SRC_URL,
	SRC_GIT,
	SRC_PATH,
};

struct source {
	enum src_type type;
	struct mark mark;
	const char *url;	/* SRC_URL, as written */
	const char *algo;	/* SRC_URL: "sha256" or "sha1" */
	const char *hash;	/* SRC_URL: lowercase hex */
	const char *git, *commit;	/* SRC_GIT */
	const char *path;	/* SRC_PATH: absolute */
	struct stat st;	/* SRC_PATH: its stat when have_st */
	int have_st;
	const char *name;	/* file name in the source dir */
	int extract, strip;
	/* SRC_PATH, filled by id.c: content hash (a sorted walk over paths, modes
	 * and bytes), and the files and dirs it read */
	const char *content;
	const char **files, **dirs;
	size_t nfiles, ndirs, fcap, dcap;
};

struct depspec {
	struct dep dep;
	struct mark mark;
	const char *text;
	const char *variant;	/* NAME:VARIANT, or NULL */
	const char *repo;	/* REPO.NAME, or NULL */
};

enum param_type {
	P_STR,
	P_INT,
	P_FLOAT,
	P_BOOL,
	P_LIST,
	P_SIZE,
	P_PATH,
};

struct param {
	const char *name;
	enum param_type type;
	struct ynode *def;	/* default, or NULL */
	struct ynode *range;	/* [lo, hi], or NULL */
	struct ynode *choices;	/* list, or NULL */
	int required, secret;
	const char **aliases;
	size_t naliases;
	const char *msg;
	struct mark mark;
};

struct kv {
	const char *key, *val;
	struct mark mark;	/* of the key */
	struct mark vmark;	/* of the value */
	int block;	/* the value is a | or > block */
};

struct recipe {
	const char *file;	/* absolute path of package.yaml */
	const char *dir;	/* absolute package directory */
	const char *repo;	/* repository name (its directory's name) */
	const char *text_sha;	/* sha256 of package.yaml's bytes */
	const char *name, *version, *kind, *summary;
	const char *variant;	/* NULL for the base recipe */
	struct mark name_mark, version_mark;
	struct depspec *depends, *build_depends;
	size_t ndepends, nbuild_depends;
	const char **platforms;
	size_t nplatforms;
	struct mark platforms_mark;
	struct source *sources;
	size_t nsources;
	const char **patches;	/* absolute */
	size_t npatches;
	const char *build;
	struct kv *env;
	size_t nenv;
	struct param *params;
	size_t nparams;
	struct kv *templates;	/* key = src (absolute), val = dest */
	size_t ntemplates;
	struct kv *lifecycle;
	size_t nlifecycle;
	const char *preload;
	const char **requires_exec;
	size_t nrequires_exec;
	int mpi;
	const char **variants;	/* names */
	size_t nvariants;
	int broken;	/* it has errors (already reported): no output will be written */
};

/* parse and validate dir/package.yaml (repository repo), errors into d.
 * variant selects NAME:VARIANT (its keys replace the base's); NULL = base.
 * NULL when the file cannot be read or parsed or the variant does not exist;
 * a recipe with other errors is returned with broken set. The recipe is in
 * a; its YAML tree is made in scratch, which is reset before it returns. */
struct recipe *recipe_load(struct arena *a, struct arena *scratch, struct diag *d,
    const char *dir, const char *repo, const char *variant);
/* the names of a param type */
const char *param_type_name(enum param_type t);

/* returns an arena copy of fs_abspath(path) */
const char *fs_abspath_arena(struct arena *a, const char *path);
/* returns an arena copy of the directory part of path */
const char *fs_dirname_arena(struct arena *a, const char *path);
/* returns an arena copy of the last component of path */
const char *fs_basename_arena(struct arena *a, const char *path);

/* params.c: typed parameter values */
#include <jansson.h>
/* 0 when v fits type t (a list type takes a list), else -1 */
int param_value_fits(const struct ynode *v, enum param_type t);
/* the numeric value of an int, float or size scalar */
double param_num(const struct ynode *v, enum param_type t);
/* "a whole number", "a size like 512m or 4g", ... */
const char *param_expect(enum param_type t);
/* parse 512, 64k, 4g, 1.5gb into bytes; 0 or -1 */
int param_parse_size(const char *s, long long *out);
/* check v against p's type, range and choices; 0, or -1 with an error at v's
 * mark naming who ("redis (entry cache)") */
int param_check(struct diag *d, const struct param *p, const struct ynode *v, const char *who);
/* returns a new reference: v as typed JSON (null when v is NULL) */
json_t *param_json(const struct param *p, const struct ynode *v);
/* v as {{name}} text: scalars as written, bools as true/false, lists space-separated */
const char *param_text(struct arena *a, const struct param *p, const struct ynode *v);
/* borrowed: r's parameter called name (or with that alias), or NULL */
const struct param *param_find(const struct recipe *r, const char *name);

/* vars.c: {{name}} references */
struct gen;
/* text with every {{name}} replaced from vars (name -> string); NULL, with
 * an error at m for each undefined name, saying it is in what */
const char *vars_render(struct gen *g, const struct map *vars, const char *text, struct mark m,
    const char *what);
/* vars_render for a YAML value at m; block: it is a | or > block, so that
 * errors point at the reference's own line and column */
const char *vars_render_at(struct gen *g, const struct map *vars, const char *text, struct mark m,
    int block, const char *what);
/* check that every {{name}} in the file at path is defined; errors at the
 * reference's own FILE:LINE:COL; 0 or -1 */
int vars_check_file(struct gen *g, const struct map *vars, const char *path, const char *what);

/* repo.c: repositories searched in order */
struct repo {
	const char *name;	/* the directory's name */
	const char *dir;	/* absolute */
	struct map *pkgs;	/* its sub-directories, read once */
};

struct repos {
	struct repo *v;
	size_t len, cap;
};

void repos_add(struct arena *a, struct repos *r, const char *dir);
/* borrowed: the repository called name, or NULL */
const struct repo *repos_find(const struct repos *r, const char *name);
void repos_release(struct repos *r);
/* 1 when repo holds a package directory called name */
int repo_has(const struct repo *r, const char *name);
/* the directory of package name in r, REPO/NAME, into b (emptied first) */
void repo_pkgdir(struct buf *b, const struct repo *r, const char *name);
/* every package name in every repository (for "did you mean"); arena-allocated */
const char **repos_all_names(struct arena *a, const struct repos *r, size_t *n);

/* resolve.c: from inputs to the closure, one version per name */
struct pkg {
	struct recipe *r;
	const char *id;	/* NAME--VERSION--HASH12 */
	const char *hash;	/* full sha256 of the id's canonical JSON */
	const char *archive;	/* STORE/pkgs/ID.tar.zst, set with id */
	const char *ninja_archive;	/* archive as a Ninja path (ninja.c) */
	const char **patch_hashes;	/* sha256 of each patch (id.c) */
	int level;	/* 1 + its dependencies' highest level (id.c) */
	struct pkg **deps;	/* runtime dependencies */
	struct pkg **bdeps;	/* build_depends */
	size_t ndeps, nbdeps, depcap, bdepcap;
	struct pkg **closure;	/* present at build time, deps first */
	size_t nclosure, closcap;
	const struct depspec *chosen_by;	/* the request that chose it */
	const char *chooser;	/* who made it (a package name), or NULL */
	int mark;	/* traversal state */
	int in_active;	/* already in g->active */
	int input;	/* named on the command line or by a pipeline */
};

struct pipeline;

/* cache.c: key -> value files that save work on re-runs (strings in the arena) */
/* updates to a cache made where it may only be read (on worker threads),
 * put into it later by cache_apply on one thread at a time */
struct cache_log {
	const char **kv;	/* key, value, key, value, ... */
	size_t n, cap;
};

struct cache {
	struct map m;
	const char *path;
	int dirty;
};

struct gen {
	struct arena a;
	struct diag d;
	struct repos repos;
	struct map pkgs;	/* name -> struct pkg * */
	struct map recipes;	/* "dir\nvariant" -> struct recipe * (or NULL: failed) */
	struct pkg **order;	/* every package, dependencies first */
	size_t norder, ordcap;
	struct pkg **inputs;
	size_t ninputs, inpcap;
	struct pkg **active;	/* the runtime closure of the inputs, deps first */
	size_t nactive, actcap;
	const char *builddir, *store;	/* absolute */
	const char *platform;	/* linux-x86_64 */
	int jobs;
	struct pipeline *pl;	/* the pipeline input, if any */
	int ask;	/* --ask: prompt for missing required parameters */
	/* files whose change must re-run pkggen */
	const char **regen;
	size_t nregen, regcap;
	struct map regen_seen;
	struct cache hashes;	/* path source files: "SHA256 INO SIZE MTIME" */
	struct cache written;	/* manifests: "SHA256 SIZE" */
	unsigned threads;	/* for pkggen's own work */
	struct arena ta[POOL_MAX];	/* one for each of those threads, freed with g->a */
	struct arena scratch[POOL_MAX];	/* recipe_load's, per thread */
	struct map ahead;	/* package dir -> recipe loaded ahead (prefetch.c) */
	/* the file hashes its threads learnt, for prefetch_apply */
	struct cache_log prefetch_log[POOL_MAX];
};

void cache_load(struct gen *g, struct cache *c, const char *path);
/* borrowed: the value of key, or NULL */
const char *cache_get(const struct cache *c, const char *key);
void cache_put(struct gen *g, struct cache *c, const char *key, const char *val);
/* log key = val, copied into a, which must live as long as the cache */
void cache_log_put(struct cache_log *l, struct arena *a, const char *key, const char *val);
/* the same for key and val that already live as long as g (in its arenas):
 * they are kept, not copied */
void cache_log_keep(struct cache_log *l, struct arena *a, const char *key, const char *val);
/* put every logged update into c; the log is left empty */
void cache_apply(struct gen *g, struct cache *c, struct cache_log *l);
/* write the cache file when it changed; 0 or -1 */
int cache_save(struct cache *c);
void cache_release(struct cache *c);
/* write a manifest under BUILDDIR/.pkggen when its content changed (no fsync:
 * pkggen can always write it again); 0 or -1 */
int gen_write_manifest(struct gen *g, const char *rel, const char *data, size_t len);

/* add a file or directory to the inputs of build.ninja's regeneration */
void gen_regen_input(struct gen *g, const char *path);
/* the same for a path that lives as long as g (in one of its arenas): not copied */
void gen_regen_input_kept(struct gen *g, const char *path);
/* 1 when an input names a package directory rather than a package */
int input_is_dir(struct gen *g, const char *spec);
/* resolve one input (name, REPO.NAME, NAME:VARIANT, or package directory);
 * the package, or NULL with errors in g->d at mark m */
struct pkg *resolve_input(struct gen *g, const char *spec, struct mark m);
/* the same for an input already known to name a package, not a directory */
struct pkg *resolve_name(struct gen *g, const char *spec, struct mark m);
/* after all inputs: cycle check, closures, the order */
void resolve_finish(struct gen *g);

/* id.c */
/* compute every package's id in g->order */
void id_compute(struct gen *g);
/* what hashing a path source needs; any thread may do it */
struct srchash {
	struct arena *a;
	struct diag *d;
	const struct cache *cache;	/* the hashes cache, only read */
	struct cache_log *log;	/* its updates */
};
/* fill s->content, s->files and s->dirs (once); 0, or -1 with errors in h->d */
int source_hash(struct srchash *h, struct source *s);
/* a JSON object of kv's pairs, its keys added in sorted order (a key given
 * twice: the later value) */
json_t *kv_object(const struct kv *kv, size_t n);

/* ninja.c */
/* append path escaped for a Ninja path ($, space, colon) */
void ninja_escape_path(struct buf *b, const char *path);
/* append s escaped for a Ninja variable value ($ only; newlines are an error) */
void ninja_escape_value(struct buf *b, const char *s);
/* append the absolute path p as a Ninja path relative to the build directory
 * d (both real paths): under d as it is under d; elsewhere as ../REST when
 * that is shorter, else as it is */
void ninja_relpath(struct buf *b, const char *d, const char *p);
/* build.ninja's text into b; regen_cmd: the regeneration command line. It
 * may run while manifests are written on other threads. */
void ninja_text(struct gen *g, struct buf *b, const char *pkgtool, const char *rulesdir,
    const char *regen_cmd);
/* build.ninja written in two steps: its text into a temp file beside it
 * (none when .pkggen/written says it is the same), which may run while
 * manifests are written on other threads; then, once every manifest is
 * written, renamed into place (or the old one touched) */
struct ninja_staged {
	char *tmp;	/* the temp file, or NULL when unchanged */
	char *sig;	/* its record: "SHA256 SIZE" */
};
int ninja_stage(struct gen *g, const struct buf *b, struct ninja_staged *st);
int ninja_commit(struct gen *g, struct ninja_staged *st);
/* remove what is staged (after a failure), free it */
void ninja_unstage(struct ninja_staged *st);

/* append path as Ninja sees it: relative to the build dir when inside it */
void ninja_path(struct buf *b, struct gen *g, const char *p);

/* pipeline.c: pipelines (Jarvis format, extended) and sweeps (SPEC §3) */
/* 1 when input names a pipeline: a .yaml/.yml file, or REPO.pipelines.NAME
 * found in a repository; *path is then its absolute path (arena) */
int pipeline_is_input(struct gen *g, const char *input, const char **path);
/* load the pipeline (or sweep) at path and resolve its packages as inputs */
void pipeline_load(struct gen *g, const char *path);
/* check parameters, interceptors and after of every resolved entry (even
 * when other inputs failed, so that all errors are reported at once) */
void pipeline_check(struct gen *g);
/* after ids are known: check {{names}} and build every run manifest in
 * memory. Errors go to g->d. */
void pipeline_prepare(struct gen *g);
/* write the run manifests (write-if-changed); 0 or -1 */
int pipeline_write(struct gen *g);
/* append the pipeline's edges and targets to build.ninja */
void pipeline_ninja(struct gen *g, struct buf *b);
/* the pipeline's mirrors: as "NAME=BASE BASE;NAME=BASE", or NULL */
const char *pipeline_mirrors(struct gen *g);
/* free what the pipeline holds outside the arena */
void pipeline_release(struct gen *g);
/* print the config menu of package spec (--list-params); 0, or 2 after errors */
int pipeline_list_params(struct gen *g, const char *spec, int json);

/* manifest.c */
/* write every step manifest under BUILDDIR/.pkggen (write-if-changed),
 * running beside(arg), when not NULL, on this thread meanwhile; 0 or -1 */
int manifest_write_all(struct gen *g, void (*beside)(void *arg), void *arg);
/* borrowed: the fetch key of a source (sha256 hex, or git-COMMIT), NULL for path */
const char *manifest_fetch_key(struct gen *g, const struct source *s);
/* string in a: where a fetched source is stored */
const char *manifest_source_file(struct gen *g, struct arena *a, const struct source *s);

/* prefetch.c */
/* load, on g->threads threads, the base recipes that the inputs (package
 * names as on the command line) most likely resolve to, and their
 * dependencies' recipes, level by level */
void prefetch(struct gen *g, const char *const *inputs, size_t ninputs);
/* 1 with *r (NULL: it failed to load) when dir's base recipe was loaded
 * ahead; what loading it said goes into g->d now. 0 when it was not. */
int prefetch_take(struct gen *g, const char *dir, struct recipe **r);
/* put the file hashes learnt while prefetching into g->hashes (before it
 * is saved; nothing else needs them) */
void prefetch_apply(struct gen *g);
/* drop what nobody took */
void prefetch_release(struct gen *g);

/* graph.c */
/* print the package graph as Graphviz dot on stdout */
void graph_print(struct gen *g);

#endif
