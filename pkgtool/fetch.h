/* SPDX-License-Identifier: MIT */
/* fetch.h: what cmd_fetch.c and fetch_git.c share (private to pkgtool/) */
#ifndef PKGTOOL_FETCH_H
#define PKGTOOL_FETCH_H

#include <jansson.h>

#include "buf.h"
#include "sha256.h"

/* one fetch manifest (doc/manifests.md); strings are borrowed from the manifest */
struct source {
	int git;		/* type "git", else "url" */
	const char *algo, *hash, *giturl, *commit, *store, *dest;
	enum hash_algo halgo;
	json_t *urls;
	char key[SHA256_HEX + 8];	/* lock name: the hash, or git-COMMIT */
	char *who;		/* "package zlib (recipe /x/package.yaml)", for messages */
};

/* a download in progress: a temp file, hashed as it is written */
struct sink {
	int fd;
	struct hasher h;
	long long bytes;
	int err;		/* errno of a failed write, or 0 */
};

/* cmd_fetch.c */
/* 1 when PKGTOOL_OFFLINE forbids the network */
int fetch_offline(void);
/* remember the temp file a signal must remove (NULL: none) */
void fetch_tmp_track(const char *path);
/* download url into a temp file, verify it against src, rename it to
 * src->dest; 0, or -1 with why said in why (empty: a store error, reported) */
int fetch_try_url(struct source *src, const char *url, struct buf *why, int *mismatch);

/* fetch_git.c */
/* a git source: the pinned commit as a deterministic tarball at src->dest; 0 or -1 */
int fetch_gitsrc(struct source *src);

#endif
