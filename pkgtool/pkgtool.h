/* SPDX-License-Identifier: MIT */
/* pkgtool: the executor Ninja's edges call; private header, grouped by file */
#ifndef PKGTOOL_PKGTOOL_H
#define PKGTOOL_PKGTOOL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "buf.h"

/* main.c */
/* the build directory named with -B, or NULL */
extern const char *opt_builddir;

/* cmd_fetch.c: download and verify one source (manifest .pkggen/fetch/KEY.json) */
int cmd_fetch(int argc, char **argv);
/* cmd_verify.c: re-hash sources in the store (a fetch manifest, or every source) */
int cmd_verify(int argc, char **argv);
/* mirror.c */
/* expand a URL: mirror://NAME/PATH gives one URL per base of NAME (PKGTOOL_MIRRORS,
 * and for "debian" the archives this machine's apt sources name); other URLs
 * give themselves. Returns a NULL-terminated array of new strings, or NULL
 * after a message when NAME has no base. */
char **mirror_expand(const char *url);
void mirror_free(char **urls);
/* the content-addressed copies of a source: BASE/ALGO/HEX for each base of
 * the mirror called "hashed" in PKGTOOL_MIRRORS (what `pkgtool mirror`
 * writes); a NULL-terminated array of new strings, possibly empty */
char **mirror_hashed(const char *algo, const char *hex);

/* cmd_mirror.c: copy a build's verified sources into a mirror directory */
int cmd_mirror(int argc, char **argv);

/* cmd_build.c: build and package one package (manifest .pkggen/pkg/ID.json) */
int cmd_build(int argc, char **argv);
/* run the build of manifest m (a loaded .pkggen/pkg/ID.json) into
 * BUILDDIR/work/ID/dest; 0 or -1 after printing the log tail */
int build_run(json_t *m);
/* take the exclusive lock STORE/locks/ID.lock that one build or package of ID
 * holds (making the store's directories first in a new store); returns the
 * fd (close it to unlock), or -1 after a message */
int build_lock(const char *store, const char *id);
/* work.c: BUILDDIR/work/ID, a build's scratch tree */
/* make work (BUILDDIR/work/ID) with src, home, tmp and dest, and root (the
 * STORE/ID under dest), from a spare tree when there is one; removes what an
 * earlier build left there first. 0 or -1 after a message */
int work_make(const char *builddir, const char *work, const char *root);
/* after a successful build: empty work down to its directories (dest keeps
 * the path of store) and leave it as a spare for the next build; when that
 * fails, remove it. 0 or -1 after a message */
int work_done(const char *builddir, const char *work, const char *store);
/* cmd_package.c: package BUILDDIR/work/ID/dest into the store */
int cmd_package(int argc, char **argv);
/* write the deterministic archive of manifest m from BUILDDIR/work/ID/dest;
 * replaces m's "archive" only when the bytes differ. 1 replaced, 0 unchanged, -1 error.
 * The tree is left as unpacking the archive gives it (modes, times); with
 * publishable, *publishable is 1 when it can become STORE/ID (no hard links,
 * no file of another owner) */
int package_run(json_t *m, int *publishable);

/* archive.c */
/* pack directory root (its content, not itself) into a deterministic tarball
 * at path (.tar.zst or .tar.xz by suffix, else plain .tar): entries sorted,
 * mtime = epoch, uid/gid 0, no names, modes normalized. 0 or -1 after a message */
int archive_pack(const char *root, const char *path, long long epoch);
enum unpack_flags {
	UNPACK_STRIP_ALL_DOTDOT = 1 << 0,	/* reserved */
};
/* extract archive path (any format libarchive reads) into dir, dropping the
 * first strip path components; refuses absolute paths, "..", and symlinks or
 * hard links that escape dir, with a message naming the entry. 0 or -1 */
int archive_unpack(const char *path, const char *dir, int strip);
/* 1 when the symlink at rel (a path under root) points outside root, following
 * the symlinks it meets on disk as the kernel would (absolute targets escape) */
int archive_link_escapes(const char *root, const char *rel);
/* a git source's tarball is `git archive` output: it cannot be made again
 * without the repository, so what can be checked is that its pax header
 * names the commit and that the whole archive reads. 0 with the commit (or
 * what is wrong) in got, or -1 with errno set */
#define ARCHIVE_GOT_MAX 256
int archive_git_commit(const char *path, char got[ARCHIVE_GOT_MAX]);
/* append the content of member (a path inside the archive, like
 * "pkginfo.json") to out; 0, or -1 after a message when it is missing */
struct buf;
int archive_read_member(const char *path, const char *member, struct buf *out);
/* 1 when name looks like an archive to extract by default (.tar.*, .tgz, .zip, ...) */
int archive_is_extractable(const char *name);

/* script.c */
/* the words of script, expanded from env, when it is one simple command that
 * /bin/sh would run as a program (quotes and "$NAME" at most: see there);
 * NULL-terminated, free with script_free; NULL when it needs a shell */
char **script_words(const char *script, char *const env[]);
void script_free(char **words);
/* the program name would run, found as sh finds it (env's PATH, or cwd for a
 * relative path): a new absolute path, or NULL to leave it to sh */
char *script_program(const char *name, char *const env[], const char *cwd);

/* proc.c */
/* run argv (argv[0] found on env's PATH or absolute) in cwd with exactly env
 * (NULL-terminated "K=V"), stdin /dev/null, stdout+stderr appended to logpath
 * (or inherited when logpath is NULL), in a new process group.
 * Returns the exit status as from waitpid, or -1 after a message. */
int proc_run(char *const argv[], char *const env[], const char *cwd, const char *logpath);
/* proc_run of the program exe (a path) with argv; PROC_NOTRUN, without a
 * message, when it could not be started */
#define PROC_NOTRUN (-2)
int proc_try(const char *exe, char *const argv[], char *const env[], const char *cwd,
    const char *logpath);
/* print the last n lines of path to stderr, each indented by two spaces */
void proc_log_tail(const char *path, int n);
/* returns a new string describing a wait status ("exit 2", "signal 9") */
char *proc_status_str(int status);

/* store.c (the store's layout is described there) */
/* make sure STORE/ID holds the extracted archive: under the lock
 * STORE/locks/ID.extract.lock, unpack into STORE/tmp/ID.XXXXXX, check its
 * pkginfo.json names ID, and rename into place. 0 or -1 after a message */
int store_extract(const char *store, const char *id, const char *archive);
/* a new string: STORE/pkgs/ID.tar.zst, where build.ninja has id's archive made */
char *store_archive(const char *store, const char *id);
/* archive NULL: store_archive's */
struct store_req {
	const char *id, *archive;	/* borrowed */
};
/* store_extract for n packages at once (duplicates allowed): one syncfs per
 * batch instead of one per package. 0 or -1 after a message */
int store_extract_all(const char *store, const struct store_req *reqs, size_t n);
/* move dir, a package tree identical to what its archive unpacks to, into
 * place as STORE/ID (under the lock store_extract takes) unless STORE/ID
 * exists. 1 moved, 0 left (STORE/ID exists, or dir is on another file
 * system), -1 after a message */
int store_publish(const char *store, const char *id, const char *dir);
/* create STORE/{sources/sha256,sources/sha1,sources/git,pkgs,tmp,locks,gcroots}; 0 or -1 */
int store_init(const char *store);
/* 0 when id can name a directory of the store (one path component, no
 * leading dot), else -1 after a message */
int store_check_id(const char *id);
/* flock STORE/locks/gc.lock: LOCK_SH while a command adds references to
 * store entries, LOCK_EX for gc. Returns the fd (close it to unlock) or -1
 * after a message */
int store_lock(const char *store, int how);
/* record target (an absolute BUILDDIR/env) as a gc root of the store:
 * STORE/gcroots/HEX16 -> target. 0 or -1 after a message */
int store_add_root(const char *store, const char *target);
/* the id that arg names: arg itself when the store holds that id (extracted
 * or as an archive), else the newest version of the package named arg (of
 * two ids of one version, the archive written last). Returns a new string,
 * or NULL after a message */
char *store_resolve(const char *store, const char *arg);

/* cmd_activate.c: switch the active set (manifest .pkggen/activate.json, or
 * packages named by hand) */
int cmd_activate(int argc, char **argv);

/* genpkg.c: the packages of a generation, loaded from the store */
/* what a generation needs of a package's STORE/ID/pkginfo.json */
struct genpkg {
	char *name, *version, *id;	/* in mem */
	const char *kind;		/* "kind", or NULL; in mem */
	const char **deps;		/* the ndeps ids "depends" names; in mem */
	size_t ndeps;
	json_t *env;			/* owned reference: "env", or NULL when it is {} */
	char *paths;			/* owned: farm_paths() */
	char *prefix;			/* owned: STORE/ID */
	void *mem;			/* owned */
};
/* fill p from STORE/ID/pkginfo.json; 0 or -1 after a message (then release p) */
int genpkg_load(struct genpkg *p, const char *store, const char *id);
/* genpkg_load for the n zeroed v[i], extracting (store_extract_all) those
 * not in the store yet; 0 or -1 after a message (then release all n) */
int genpkg_load_all(struct genpkg *v, const char *store, const struct store_req *reqs,
    size_t n);
void genpkg_release(struct genpkg *p);
/* borrowed: the id of a pkginfo.json "depends" entry ({"name", "id"} or a
 * string), or NULL */
const char *genpkg_dep(const json_t *d);
/* complete the *n packages of the array *pkgs (reallocated) with the
 * runtime dependencies they lack (loaded from the store), drop repeated ids,
 * refuse two versions of one name, and order them dependencies first. 0 or
 * -1 after a message naming where */
int genpkg_closure(const char *store, struct genpkg **pkgs, size_t *n, const char *where);

/* envdir.c: BUILDDIR/env, the generations of the active set (layout described there) */
struct envdir {
	char *builddir, *store, *dir;	/* owned, absolute; dir is BUILDDIR/env */
	int fd, lock, gclock;		/* env/, env/.lock, STORE/locks/gc.lock (or -1) */
	long cur;			/* the active generation, 0 when none */
	long *gens;			/* the generations on disk, ascending */
	size_t ngens;
};
enum envdir_flags {
	ENVDIR_READ = 1 << 0,	/* read only: env/.lock shared, nothing made or cleaned */
	ENVDIR_GC = 1 << 1,	/* the store's gc lock exclusive (writers take it shared) */
};
/* the build directory of a command run by hand (-B, else "." when it holds
 * build.ninja, else "build") and the store it was generated with; new
 * strings in *builddir and *store. 0 or -1 after a message */
int envdir_locate(char **builddir, char **store);
/* open BUILDDIR/env and lock it; a writer also takes the store's gc lock,
 * registers env/ as a gc root of the store and removes what crashed runs
 * left. Lists the generations. 0 or -1 after a message; call envdir_close
 * in both cases */
int envdir_open(struct envdir *e, const char *builddir, const char *store, int flags);
void envdir_close(struct envdir *e);
/* 1 when generation n is on disk */
int envdir_has(const struct envdir *e, long n);
/* env/gen-N/active.json; a new reference, or NULL after a message */
json_t *envdir_load(const struct envdir *e, long n);
/* build the next generation of the n packages (dependencies first, as
 * genpkg_closure orders them) and switch env/active to it; its number in
 * *gen. On failure the active set is unchanged and the message names where
 * (a manifest, or the command) */
int envdir_commit(struct envdir *e, const struct genpkg *pkgs, size_t n, const char *where,
    long *gen);
/* point env/active at gen-n with one rename(2) */
int envdir_switch(struct envdir *e, long n);
/* "gen-N" to N, or 0 when name is not a generation */
long envdir_gen_number(const char *name);

/* farm.c: fill the empty directory genfd with the merged bin/ etc/ include/
 * lib/ share/ of the n packages (extracted in store): a directory that one
 * package alone provides becomes one symlink to it, a shared one a real
 * directory, and anything else a symlink into the store (through
 * genfd/.s). Two packages providing one path is an error naming both and
 * the path (and where), as is a merged path with an empty, "." or ".."
 * component; both are found before anything is written. 0 or -1 after a
 * message */
int farm_build(const char *store, const struct genpkg *pkgs, size_t n, const char *where,
    int genfd);
/* the paths a pkginfo.json lists ("files", then "links") as one new string
 * of NUL-terminated paths ending with an empty one; NULL when it lists
 * none or a top directory is a link (then the farm reads the tree) */
char *farm_paths(const json_t *info);
/* gen-N/.s, the symlink to the store that the farm's links go through */
#define FARM_STORE ".s"

/* step.c: PKGTOOL_CRASH_AT=N kills the process at its Nth step point (tests) */
void step_point(const char *what);
/* 1 when PKGTOOL_TIMING=1 asks for timings on stderr */
int timing_on(void);
/* a monotonic clock in milliseconds */
double timing_ms(void);
/* with PKGTOOL_TIMING=1, print the time since the last mark as WHAT (NULL: start) */
void timing_mark(const char *what);

/* cmd_generation.c: the history of the active set */
int cmd_deactivate(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_generations(int argc, char **argv);
/* cmd_gc.c: delete what no kept generation of any build directory references */
int cmd_gc(int argc, char **argv);
/* cmd_query.c: what is active and why */
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_why(int argc, char **argv);

/* cmd_life.c: pipeline lifecycle (doc/manifests.md "Pipelines"); each takes a
 * run manifest .pkggen/run/NAME.json or the whole .pkggen/pipeline.json */
int cmd_configure(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_restart(int argc, char **argv);
struct entry;
/* start a service (no-op when it runs unchanged) or run an application; 0 or -1 */
int life_start(struct entry *e);
/* stop a service; nothing running is no error; 0 or -1 */
int life_stop(struct entry *e);
/* the run manifests arg names (see `pkgtool stop --help`; NULL: the build
 * directory's pipeline), in pipeline order: a new NULL-terminated array, or
 * NULL after a message */
char **life_targets(const char *arg);
void life_targets_free(char **v);

/* cmd_sweep.c: run one sweep point (start..stop), collect sweep/stats.csv */
int cmd_sweep_run(int argc, char **argv);
int cmd_sweep_collect(int argc, char **argv);

/* life_config.c */
/* configure: directories, templates (write-if-changed), requires_executables,
 * config.json, lifecycle.configure, the .configured stamp; 0 or -1 */
int life_configure(struct entry *e);

/* life.c: one entry's run manifest and its snippets' environment */
struct entry {
	char *path;		/* the run manifest */
	json_t *m;		/* its content */
	const char *name, *kind, *rundir, *config_dir, *shared_dir, *private_dir;
	const char *hash;	/* config_hash ("" when absent); all borrowed from m */
	double timeout, sleep;	/* seconds: ready's limit (default 30), wait after start */
	int retries, hide_output;
	char **env;		/* NULL until entry_env */
	char **secrets;		/* the values of secret params, masked in output */
	size_t nsecrets, capsecrets;
};
/* load a run manifest; returns a new entry or NULL after a message */
struct entry *entry_load(const char *path);
void entry_free(struct entry *e);
/* borrowed lifecycle snippet, or NULL when the recipe gives none */
const char *entry_snippet(struct entry *e, const char *step);
/* returns a new string: RUNDIR/name */
char *entry_file(struct entry *e, const char *name);
/* remove RUNDIR/name (a missing file is fine) */
void entry_rm(struct entry *e, const char *name);
/* returns a new string: s with every secret value replaced by "***" */
char *entry_mask(struct entry *e, const char *s);
/* print "last lines of PATH" and its last n lines to stderr, secrets masked */
void entry_tail(struct entry *e, const char *path, int n);
/* build e->env: ours, then the active set's env.sh, the pipeline env, the
 * interceptors' env and LD_PRELOAD, PKG_PARAM_* and PKG_*; 0 or -1 */
int entry_env(struct entry *e);
/* the variables a snippet gets on top of its host's environment and the
 * active set's env.sh, in order: the pipeline env, the interceptors' env,
 * PKG_PARAM_* and PKG_*; a new NULL-terminated "K=V" array (env_free).
 * *preload: a new string to put first on LD_PRELOAD, or NULL */
char **entry_overlay(struct entry *e, char **preload);
void env_free(char **v);
/* returns a new string: prog found on e->env's PATH, or NULL */
char *entry_which(struct entry *e, const char *prog);
/* returns a new string: a JSON scalar as text (a list or object as JSON) */
char *life_scalar(const json_t *v);
/* create the run, config, shared and private directories; 0 or -1 */
int life_mkdirs(struct entry *e);
/* flock RUNDIR/.lock exclusively; the fd (close to unlock) or -1 */
int life_lock(struct entry *e);
/* run snippet to completion (life_run) with its output in RUNDIR/logname;
 * 0 when it exits 0, else -1 after a message with the log's tail */
int life_step(struct entry *e, const char *what, const char *snippet, const char *logname,
    double timeout);

/* pgroup.c: snippets in process groups of their own */
/* catch SIGINT/SIGTERM/SIGHUP; afterwards life_interrupted() gives the signal */
void life_signals(void);
int life_interrupted(void);
/* monotonic seconds; sleep s seconds (cut short by a signal) */
double life_now(void);
void life_sleep(double s);
/* run snippet with /bin/sh -c in the run directory, e->env, its own process
 * group, output to log (truncated; NULL: /dev/null). After timeout seconds
 * (<= 0: none) the group is killed and *timed_out set. Leftover members of
 * the group are killed too. Returns the wait status, or -1 after a message */
int life_run(struct entry *e, const char *snippet, const char *log, double timeout,
    int *timed_out);
/* start snippet in the background in a new session (so a new process group
 * whose id is the returned pid), output to log (truncated); -1 after a message */
pid_t life_spawn(struct entry *e, const char *snippet, const char *log);
/* 1 while a non-zombie member of group pgid lives (and, when starttime is not
 * 0, its leader is the process that started at starttime, or gone) */
int pg_alive(pid_t pgid, unsigned long long starttime);
/* the start time of process pid (/proc/PID/stat field 22), 0 when unknown */
unsigned long long pg_starttime(pid_t pid);
/* wait up to secs for the group to end; 1 when it did, 0 when it still lives */
int pg_wait(pid_t pgid, unsigned long long starttime, double secs);
/* SIGTERM the group, SIGKILL after grace seconds; 0 once gone, -1 after a message */
int pg_kill(pid_t pgid, unsigned long long starttime, double grace);

/* launch.c: run a script on many hosts at once through OpenSSH, pdsh or
 * Slurm's srun, and local commands in parallel (SPEC §8) */
struct job {
	char **argv;		/* borrowed: the command (argv[0] looked up on PATH) */
	pid_t pid;
	int fd, status;		/* status as from waitpid, -1 when it did not run */
	int timed_out;		/* killed at the time limit (or never started) */
	double ended;
	struct buf out;		/* its stdout and stderr (the first 4 MiB) */
};
/* run the n jobs at once (at most 64 at a time), each in its own process
 * group with stdin /dev/null, in env (NULL: ours); after timeout seconds
 * (<= 0: none) or a signal (life_signals) the rest are killed. 0, or -1
 * after a message when one could not be started */
int jobs_run(struct job *jobs, size_t n, char *const env[], double timeout);
void jobs_release(struct job *jobs, size_t n);
enum launcher_kind { LAUNCH_LOCAL, LAUNCH_SSH, LAUNCH_PDSH, LAUNCH_SLURM };
struct launcher {
	enum launcher_kind kind;
	char **hosts;		/* owned */
	size_t nhosts;
	char **ssh_args;	/* owned: the manifest's ssh_args, else $PKGTOOL_SSH_ARGS */
	size_t nssh_args;
	char *const *env;	/* borrowed: the commands' environment (NULL: ours) */
	char *jobid;		/* owned: slurm, the job whose allocation to use (NULL: ours) */
};
struct host_result {
	int status;		/* the script's exit status; 255 when it did not say */
	int reached;		/* the script ran to its end on the host */
	int timed_out;
	struct buf out;		/* its output (pdsh's and srun's prefixes removed) */
};
/* the launcher of run manifest m ("launcher", "ssh_args") on hosts (NULL:
 * m's "hosts"; slurm with none: the allocation's nodes). 0 or -1 after a
 * message; launcher_release in both cases */
int launcher_init(struct launcher *l, json_t *m, json_t *hosts, char *const env[]);
void launcher_release(struct launcher *l);
const char *launcher_name(const struct launcher *l);
/* run the sh script on every host at once: one ssh per host, one pdsh, or
 * one srun step; res[i] (released with host_results_release) for hosts[i].
 * 0 when it exited 0 on every host, else -1 (a message only when nothing
 * could be run: the caller names the hosts) */
int launch_run(const struct launcher *l, const char *script, double timeout,
    struct host_result *res);
/* split pdsh's or srun --label's output into res by host, and take each
 * host's "@pkgtool exit N" line as its status */
void launch_split(const struct launcher *l, const char *text, struct host_result *res);
void host_results_release(struct host_result *res, size_t n);
/* new argv: ssh with l's options to host running command (NULL: none) */
char **launcher_ssh_argv(const struct launcher *l, const char *host, const char *command);
/* new string: the ssh command line with l's options, for rsync -e */
char *launcher_ssh_command(const struct launcher *l);
/* new argv: srun of one task per host of l running script with sh */
char **launcher_srun_argv(const struct launcher *l, const char *script);
void argv_free(char **v);
/* new NULL-terminated copy of env (NULL: ours) with key set to val */
char **env_with(char *const env[], const char *key, const char *val);

/* host_script.c: the sh scripts of lifecycle steps on a host (the layout
 * there is described in host_script.c); each returns a new string */
/* seconds: one ready or status probe; SIGTERM to SIGKILL for kill; the most
 * a stop waits */
#define HOST_PROBE_TIMEOUT 10
#define HOST_KILL_GRACE 3
#define HOST_STOP_GRACE 10
/* start the service in a session of its own, say its pgid, wait until ready;
 * stay: then wait for it too (srun, whose step must outlive it) */
char *host_script_start(struct entry *e, int stay);
/* run snippet (may be NULL), then end the process group of the pid file
 * (force: kill's grace) */
char *host_script_halt(struct entry *e, const char *snippet, int force);
/* say the state of the pid file's group, probed with snippet (may be NULL) */
char *host_script_status(struct entry *e, const char *snippet);
/* lifecycle.clean, then remove private_dir, shared_dir and the host's logs */
char *host_script_clean(struct entry *e);
/* an application's start snippet, its output to the launcher */
char *host_script_app(struct entry *e);
/* borrowed: the rest of the line "@pkgtool WORD ..." in out, or NULL */
const char *host_marker(const char *out, const char *word);

/* life_hosts.c: pipeline entries on other hosts, through their launcher
 * (doc/manifests.md "Pipelines"); RUNDIR/hosts.json records them */
/* 1 when e runs through a launcher on other hosts (ssh, pdsh, slurm) */
int hosts_remote(struct entry *e);
/* 1 when RUNDIR/hosts.json records an instance on hosts */
int hosts_recorded(struct entry *e);
/* start a service on its hosts; a no-op on hosts where it runs unchanged */
int hosts_start(struct entry *e);
/* stop (force: kill) the recorded instance on every host; every failure is
 * reported, the other hosts still stopped. 1 stopped something, 0 nothing ran */
int hosts_halt(struct entry *e, int force);
/* print one line per host (names padded to width); 1 when one is down */
int hosts_status(struct entry *e, int width, json_t *arr);
/* run an application's start snippet on every host, its output (each line
 * "HOST: ...") into log; the wait status of the first that failed (or 0),
 * the hosts' exit codes into hosts_exit; -1 after a message */
int hosts_run_app(struct entry *e, const char *log, json_t *hosts_exit);
/* deploy: push to e's hosts (deploy_push), when the pipeline says so */
int hosts_deploy(struct entry *e);
/* lifecycle.clean and rm -rf private_dir and shared_dir on every host */
int hosts_clean(struct entry *e);

/* mpi.c: applications with mpi: true under mpiexec (SPEC §8) */
/* returns a new sh command running snippet under mpiexec on e's hosts (the
 * hostfile converted for the flavour `mpiexec --version` names, in
 * RUNDIR/hostfile.FLAVOUR), with nprocs/ppn and e's environment exported;
 * NULL after a message */
char *mpi_command(struct entry *e, const char *snippet);

/* deploy.c */
/* deploy: push: copy the active generation's closure (STORE/ID of each of
 * its packages, env/gen-N, env/active) and e's config_dir to the same paths
 * on each host of l, rsync over ssh, only what is missing. 0, or -1 after a
 * message naming each host that failed */
int deploy_push(struct entry *e, const struct launcher *l);

/* cmd_hosts.c: which hosts answer; a pipeline run as a Slurm batch job */
int cmd_hosts(int argc, char **argv);
int cmd_submit(int argc, char **argv);

/* manifest.c */
/* load a manifest, checking it is an object; returns a new reference or NULL after a message */
json_t *manifest_load(const char *path);
/* borrowed string member; prints a message and returns NULL when missing */
const char *manifest_str(json_t *m, const char *key);
/* a package manifest's archive, STORE/pkgs/ID.tar.zst (a manifest older
 * pkggen wrote names it as "archive"); borrowed from m, or NULL after a
 * message */
const char *manifest_archive(json_t *m);
/* borrowed: the id of an entry of a list of packages: an id (activate.json's)
 * or an object with an "id" (closures, active.json, an older activate.json);
 * NULL when it is neither */
const char *manifest_entry_id(const json_t *v);

#endif
