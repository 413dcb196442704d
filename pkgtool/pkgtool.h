/* SPDX-License-Identifier: MIT */
/* pkgtool: the executor Ninja's edges call; private header, grouped by file */
#ifndef PKGTOOL_PKGTOOL_H
#define PKGTOOL_PKGTOOL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

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

/* cmd_build.c: build and package one package (manifest .pkggen/pkg/ID.json) */
int cmd_build(int argc, char **argv);
/* run the build of manifest m (a loaded .pkggen/pkg/ID.json) into
 * BUILDDIR/work/ID/dest; 0 or -1 after printing the log tail */
int build_run(json_t *m);
/* create the store's directories and take the exclusive lock STORE/locks/ID.lock
 * that one build or package of ID holds; returns the fd (close it to unlock),
 * or -1 after a message */
int build_lock(const char *store, const char *id);
/* cmd_package.c: package BUILDDIR/work/ID/dest into the store */
int cmd_package(int argc, char **argv);
/* write the deterministic archive of manifest m from BUILDDIR/work/ID/dest;
 * replaces m's "archive" only when the bytes differ. 1 replaced, 0 unchanged, -1 error */
int package_run(json_t *m);

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
/* append the content of member (a path inside the archive, like
 * "pkginfo.json") to out; 0, or -1 after a message when it is missing */
struct buf;
int archive_read_member(const char *path, const char *member, struct buf *out);
/* 1 when name looks like an archive to extract by default (.tar.*, .tgz, .zip, ...) */
int archive_is_extractable(const char *name);

/* proc.c */
/* run argv (argv[0] found on env's PATH or absolute) in cwd with exactly env
 * (NULL-terminated "K=V"), stdin /dev/null, stdout+stderr appended to logpath
 * (or inherited when logpath is NULL), in a new process group.
 * Returns the exit status as from waitpid, or -1 after a message. */
int proc_run(char *const argv[], char *const env[], const char *cwd, const char *logpath);
/* print the last n lines of path to stderr, each indented by two spaces */
void proc_log_tail(const char *path, int n);
/* returns a new string describing a wait status ("exit 2", "signal 9") */
char *proc_status_str(int status);

/* store.c (the store's layout is described there) */
/* make sure STORE/ID holds the extracted archive: under the lock
 * STORE/locks/ID.extract.lock, unpack into STORE/tmp/ID.XXXXXX, check its
 * pkginfo.json names ID, and rename into place. 0 or -1 after a message */
int store_extract(const char *store, const char *id, const char *archive);
struct store_req {
	const char *id, *archive;	/* borrowed */
};
/* store_extract for n packages at once (duplicates allowed): one syncfs per
 * batch instead of one per package. 0 or -1 after a message */
int store_extract_all(const char *store, const struct store_req *reqs, size_t n);
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

/* cmd_activate.c: switch the active set (manifest .pkggen/activate.json) */
int cmd_activate(int argc, char **argv);

/* cmd_life.c: pipeline lifecycle (doc/manifests.md "Pipelines") */
int cmd_configure(int argc, char **argv);

/* manifest.c */
/* load a manifest, checking it is an object; returns a new reference or NULL after a message */
json_t *manifest_load(const char *path);
/* borrowed string member; prints a message and returns NULL when missing */
const char *manifest_str(json_t *m, const char *key);

#endif
