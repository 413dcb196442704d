/* SPDX-License-Identifier: MIT */
/* fs: atomic writes, write-if-changed, directories, locks */
#ifndef PKGTOOL_FS_H
#define PKGTOOL_FS_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

enum fs_flags {
	FS_SYNC = 1 << 0,	/* fsync the file and its directory */
};

/* write data to path through path.tmp.PID, fsync, rename; 0 or -1 with a message */
int fs_write_atomic(const char *path, const void *data, size_t len);
/* the same; without FS_SYNC, for files that can be made again (pkggen's
 * outputs): the rename still makes the switch atomic for readers */
int fs_write_atomic_flags(const char *path, const void *data, size_t len, int flags);
/* write data to path directly (no temp file), for a file in a directory
 * nothing reads yet; removed again on failure. 0 or -1 with a message */
int fs_write_new(const char *path, const void *data, size_t len);
/* the same for rel under the directory dirfd (a shorter path walk); shown
 * names the file in messages */
int fs_write_new_at(int dirfd, const char *rel, const char *shown, const void *data, size_t len);
/* like fs_write_atomic, but leave path (and its mtime) alone when it already holds
 * exactly data; 1 written, 0 unchanged, -1 error with a message */
int fs_write_if_changed(const char *path, const void *data, size_t len);
int fs_write_if_changed_flags(const char *path, const void *data, size_t len, int flags);
/* read a whole file into b (appended); 0 or -1 with errno set (no message) */
int fs_read(const char *path, struct buf *b);
/* mkdir -p; 0 or -1 with a message */
int fs_mkdirs(const char *path, mode_t mode);
/* mkdir -p of the directory part of path; 0 or -1 with a message */
int fs_mkparent(const char *path);
/* rm -rf (does not follow symlinks); 0 or -1 with a message; a missing path is 0 */
int fs_rmtree(const char *path);
/* mark the directory fd as the top of unrelated directory trees (chattr +T)
 * where ext4 supports it, so that each directory made in it goes to a block
 * group of its own; elsewhere nothing happens */
void fs_topdir(int fd);
/* 1 when path exists (lstat), else 0 */
int fs_exists(const char *path);
/* 1 when path is a directory (stat), else 0 */
int fs_isdir(const char *path);
/* open (creating) path and take an flock: LOCK_SH or LOCK_EX, | LOCK_NB to try;
 * returns the fd (close it to unlock), or -1 (errno EWOULDBLOCK when busy) */
int fs_lock(const char *path, int how);
/* 1 when $PKGTOOL_FSYNC asks that store contents (sources, archives, extracted
 * packages) be fsynced before they are renamed into place. Off by default, as
 * Nix's fsync-store-paths: it guards against power loss only; a killed process
 * never leaves a partial file under a final name, since every file is renamed
 * into place whole. The active set's switch is always fsynced. */
int fs_durable(void);
/* fsync the directory holding path; 0 or -1 */
int fs_sync_parent(const char *path);
/* returns a new absolute, normalized path (the file need not exist: only the
 * existing leading part is resolved with realpath) */
char *fs_abspath(const char *path);
/* returns a new string: the directory part of path ("." when none) */
char *fs_dirname(const char *path);
/* borrowed: the part after the last '/' */
const char *fs_basename(const char *path);
/* copy a regular file (mode kept); 0 or -1 with a message */
int fs_copy_file(const char *src, const char *dst);

#endif
