/* SPDX-License-Identifier: MIT */
/* farm: the merged tree of symlinks of a generation */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "pkgtool.h"
#include "pool.h"
#include "util.h"

/*
 * Two passes, as GNU stow and Nix's buildEnv do it, but the first in memory.
 *
 * The plan puts every path of every package under the merged tops into one
 * tree of nodes, from the paths the package's pkginfo.json lists ("files"
 * and "links", farm_paths(); a package whose pkginfo lacks them, or whose
 * top directory is a symlink, is read with readdir instead). Two packages
 * with the same path that is not a directory in both is a conflict, found
 * before anything is written, naming both packages and the path. A
 * directory that one package alone provides is folded: one symlink to that
 * package's directory; a directory of two or more is real, their entries
 * merged in it.
 *
 * The listed paths are trusted to name what the immutable STORE/ID holds
 * (pkgtool package wrote them from that tree), so planning reads no
 * directory; but they are never trusted to stay inside the generation: a
 * merged path with an empty, "." or ".." component is refused.
 *
 * Then the writing: the real directories (few), each made and opened once,
 * then the symlinks (nearly all of the work: one inode each), each by its
 * name in its directory's fd so that the kernel walks no path, in a few
 * threads on their own stretches of the tree, so that they seldom share a
 * directory's lock. The symlinks are relative to gen-N/.s, one absolute
 * symlink to the store, as in "bin/hello -> ../.s/hello--1.0--0123456789ab/bin/hello":
 * short enough for ext4 to keep them in the inode (a "fast" symlink, under
 * 60 bytes; a longer one costs a data block, and about twice the time).
 *
 * Nodes are small and live in one array, found by (parent, name) in one
 * hash table of indices: a page of memory first touched costs as much as
 * a few symlinks, so the plan stays compact.
 */

/* the top directories of a package that are merged; always real */
static const char *const tops[] = {"bin", "etc", "include", "lib", "share"};

/* with fewer links one thread does it all */
#define LINKS_PER_THREAD 512
#define MAX_THREADS 4
/* real directories kept open; those beyond are reached from gen-N's fd */
#define MAX_DIRFDS 256

struct node {
	const char *path;	/* borrowed: a path of pkg; the node is its first len bytes */
	uint32_t parent, kids, next;	/* indices; 0 is the root, so also "none" */
	uint32_t pkg;		/* the package that provides it (first) */
	uint16_t len, base;	/* path[base..len) is its name */
	uint8_t dir;		/* a directory */
	uint8_t real;		/* a real directory of the generation: a top, or shared */
	int fd;			/* a real directory's, while the links are written, or -1 */
};

struct plan {
	struct arena a;		/* the paths of packages read with readdir */
	const struct genpkg *pkgs;
	const char *where;
	struct node *nodes;
	uint32_t n, cap;
	uint32_t *slot;		/* open addressing: node indices, 0 empty */
	size_t nslots;
	uint32_t *links;	/* the nodes that become symlinks, in tree order */
	size_t nlinks, linkcap;
	int genfd, nfds;
};

static size_t
hash(uint32_t parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ parent;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

/* the slot of the child name (len bytes) of parent: its index, or 0 */
static uint32_t *
slot(struct plan *p, uint32_t parent, const char *name, size_t len)
{
	size_t i = hash(parent, name, len) & (p->nslots - 1);
	const struct node *x;

	while (p->slot[i]) {
		x = &p->nodes[p->slot[i]];
		if (x->parent == parent && (size_t)(x->len - x->base) == len &&
		    memcmp(x->path + x->base, name, len) == 0)
			break;
		i = (i + 1) & (p->nslots - 1);
	}
	return &p->slot[i];
}

/* room for want nodes, with the table at most half full */
static void
reserve(struct plan *p, size_t want)
{
	uint32_t i;

	if (want >= UINT32_MAX / 4)
		fatal("out of memory");
	if (want > p->cap) {
		while (p->cap < want)
			p->cap = p->cap ? 2 * p->cap : 1024;
		p->nodes = xreallocarray(p->nodes, p->cap, sizeof(*p->nodes));
	}
	if (2 * want <= p->nslots)
		return;
	free(p->slot);
	while (p->nslots < 2 * want)
		p->nslots = p->nslots ? 2 * p->nslots : 2048;
	p->slot = xcalloc(p->nslots, sizeof(*p->slot));
	for (i = 1; i < p->n; i++) {
		const struct node *x = &p->nodes[i];

		*slot(p, x->parent, x->path + x->base, x->len - x->base) = i;
	}
}

/* a new child of parent: path[0..len) of package pkg; its index */
static uint32_t
add(struct plan *p, uint32_t parent, const char *path, size_t base, size_t len, uint32_t pkg,
    int dir)
{
	struct node *x;
	uint32_t i;

	reserve(p, (size_t)p->n + 1);
	i = p->n++;
	x = &p->nodes[i];
	memset(x, 0, sizeof(*x));
	x->path = path;
	x->base = (uint16_t)base;
	x->len = (uint16_t)len;
	x->pkg = pkg;
	x->dir = dir != 0;
	x->fd = -1;
	x->parent = parent;
	x->next = p->nodes[parent].kids;
	p->nodes[parent].kids = i;
	*slot(p, parent, path + base, len - base) = i;
	return i;
}

static int
conflict(struct plan *p, const struct node *x, size_t pkg)
{
	const struct genpkg *a = &p->pkgs[x->pkg], *b = &p->pkgs[pkg];

	return fail("conflict: %.*s is provided by both %s (%s) and %s (%s) (%s)",
	    (int)x->len, x->path, a->name, a->id, b->name, b->id, p->where);
}

/* put path (of package pkg; it must outlive the plan) into the plan with
 * the directories above it, when it is under a top */
static int
insert(struct plan *p, uint32_t pkg, const char *path, int isdir)
{
	const char *s = path, *e;
	uint32_t parent = 0, *hit, i;
	size_t len = strlen(path);
	int last;

	if (len >= PATH_MAX)
		return fail("%s/%s: path too long", p->pkgs[pkg].prefix, path);
	for (;;) {
		if (!(e = strchr(s, '/')))
			e = path + len;
		last = *e == '\0';
		if (parent && (e == s || (e - s == 1 && s[0] == '.') ||
		    (e - s == 2 && s[0] == '.' && s[1] == '.')))
			return fail("%s/pkginfo.json: bad path '%s' (%s)",
			    p->pkgs[pkg].prefix, path, p->where);
		hit = slot(p, parent, s, (size_t)(e - s));
		if (!parent && (!*hit || (last && !isdir))) {
			/* not under a top (or a file named like one): not merged */
			return 0;
		} else if (!*hit) {
			parent = add(p, parent, path, (size_t)(s - path), (size_t)(e - path), pkg,
			    last ? isdir : 1);
		} else if (!p->nodes[*hit].dir || (last && !isdir)) {
			return conflict(p, &p->nodes[*hit], pkg);
		} else {
			i = parent = *hit;
			if (p->nodes[i].pkg != pkg)
				p->nodes[i].real = 1;
		}
		if (last)
			return 0;
		s = e + 1;
	}
}

/* the same from the package's tree on disk: directory rel and below */
static int
walk(struct plan *p, uint32_t pkg, const char *rel)
{
	char *path = arena_printf(&p->a, "%s/%s", p->pkgs[pkg].prefix, rel), *sub;
	struct dirent *e;
	struct stat st;
	int ret = 0, isdir;
	DIR *dir;

	/* a top directory may be a symlink (lib -> lib64): opendir follows it */
	if (!(dir = opendir(path)))
		return errno == ENOENT || errno == ENOTDIR ? 0 : fail("open %s:", path);
	while (ret == 0 && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		isdir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				ret = fail("stat %s/%s:", path, e->d_name);
				break;
			}
			isdir = S_ISDIR(st.st_mode);
		}
		sub = arena_printf(&p->a, "%s/%s", rel, e->d_name);
		ret = insert(p, pkg, sub, isdir);
		if (ret == 0 && isdir)
			ret = walk(p, pkg, sub);
	}
	closedir(dir);
	return ret;
}

char *
farm_paths(const json_t *info)
{
	static const char *const lists[] = {"files", "links"};
	json_t *files = json_object_get(info, "files"), *links = json_object_get(info, "links");
	struct buf b = BUF_INIT;
	const char *key;
	json_t *v;
	size_t l, t;

	if (!json_is_object(files) || !json_is_object(links))
		return NULL;
	for (t = 0; t < LEN(tops); t++)
		if (json_object_get(links, tops[t]))
			return NULL;
	for (l = 0; l < LEN(lists); l++) {
		json_object_foreach(json_object_get(info, lists[l]), key, v)
			buf_putn(&b, key, strlen(key) + 1);
	}
	/* the buf's own NUL is the empty path at the end */
	return buf_detach(&b);
}

/* every path of package pkg under the tops */
static int
plan_package(struct plan *p, uint32_t pkg)
{
	const char *s = p->pkgs[pkg].paths;
	size_t t;
	int ret = 0;

	if (!s) {
		for (t = 0; t < LEN(tops) && ret == 0; t++)
			ret = walk(p, pkg, tops[t]);
		return ret;
	}
	for (; *s && ret == 0; s += strlen(s) + 1)
		ret = insert(p, pkg, s, 0);
	return ret;
}

/* where x is made: the fd of its directory in *dfd and its name there,
 * NUL-terminated, in name (PATH_MAX bytes); when that directory is not
 * open, gen-N's fd and x's whole path. 0 or -1 */
static int
at(const struct plan *p, const struct node *x, int *dfd, char *name)
{
	size_t from = x->base;

	*dfd = p->nodes[x->parent].fd;
	if (*dfd < 0) {
		*dfd = p->genfd;
		from = 0;
	}
	if (x->len - from > NAME_MAX && from > 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, x->path + from, x->len - from);
	name[x->len - from] = '\0';
	return 0;
}

/* make the real directories below d (open, the first MAX_DIRFDS) and list
 * the links */
static int
collect(struct plan *p, uint32_t d)
{
	char name[PATH_MAX];
	uint32_t i;
	int dfd;

	for (i = p->nodes[d].kids; i; i = p->nodes[i].next) {
		struct node *x = &p->nodes[i];

		/* a directory of one package is folded: a link, like a file */
		if (!x->real) {
			if (p->nlinks == p->linkcap) {
				p->linkcap = p->linkcap ? 2 * p->linkcap : 1024;
				p->links = xreallocarray(p->links, p->linkcap, sizeof(*p->links));
			}
			p->links[p->nlinks++] = i;
			continue;
		}
		if (at(p, x, &dfd, name) < 0 || mkdirat(dfd, name, 0755) < 0)
			return fail("mkdir %.*s:", (int)x->len, x->path);
		if (p->nfds < MAX_DIRFDS &&
		    (x->fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
			p->nfds++;
		if (collect(p, i) < 0)
			return -1;
	}
	return 0;
}

struct linkjob {
	const struct plan *p;
	const uint32_t *links;
	size_t n;
	int err;
	const struct node *bad;
};

/* "../../.s/ID/REL" for x, where REL is x's path, in t (PATH_MAX bytes) */
static int
target(const struct plan *p, const struct node *x, char *t)
{
	const char *id = p->pkgs[x->pkg].id;
	size_t n = 0, i, up = 0, idlen = strlen(id);

	for (i = 0; i < x->len; i++)
		up += x->path[i] == '/';
	if (3 * up + sizeof(FARM_STORE) + idlen + 1 + x->len >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; i < up; i++, n += 3)
		memcpy(t + n, "../", 3);
	memcpy(t + n, FARM_STORE "/", sizeof(FARM_STORE));
	n += sizeof(FARM_STORE);
	memcpy(t + n, id, idlen);
	n += idlen;
	t[n++] = '/';
	memcpy(t + n, x->path, x->len);
	t[n + x->len] = '\0';
	return 0;
}

/* pool_run's fn: the stretch i of the links */
static void
make_links(void *arg, size_t k, unsigned thread)
{
	struct linkjob *j = (struct linkjob *)arg + k;
	const struct plan *p = j->p;
	char name[PATH_MAX], t[PATH_MAX];
	size_t i;
	int dfd;

	for (i = 0; i < j->n; i++) {
		const struct node *x = &p->nodes[j->links[i]];

		if (at(p, x, &dfd, name) < 0 || target(p, x, t) < 0 ||
		    symlinkat(t, dfd, name) < 0) {
			j->err = errno;
			j->bad = x;
			break;
		}
	}
}

static int
write_links(struct plan *p)
{
	struct linkjob jobs[MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = p->nlinks / LINKS_PER_THREAD, i, from = 0;
	int ret = 0;

	if (n > MAX_THREADS)
		n = MAX_THREADS;
	/* a thread more than the processors: the kernel's share of each
	 * symlink is not all CPU (journal, block allocation) */
	if (cpus > 0 && n > (size_t)cpus + 1)
		n = (size_t)cpus + 1;
	if (n < 1)
		n = 1;
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < n; i++) {
		size_t to = p->nlinks * (i + 1) / n;

		jobs[i].p = p;
		jobs[i].links = p->links + from;
		jobs[i].n = to - from;
		from = to;
	}
	/* a stretch each, so that threads seldom share a directory's lock */
	pool_run(n, (unsigned)n, make_links, jobs);
	for (i = 0; i < n && ret == 0; i++) {
		if (jobs[i].bad) {
			errno = jobs[i].err;
			ret = fail("symlink %.*s:", (int)jobs[i].bad->len, jobs[i].bad->path);
		}
	}
	return ret;
}

int
farm_build(const char *store, const struct genpkg *pkgs, size_t n, const char *where, int genfd)
{
	struct plan p;
	uint32_t i, t;
	size_t want = 0;
	const char *s;
	double t0 = timing_ms(), t1 = 0;
	int ret = 0;

	if (n >= UINT32_MAX)
		return fail("too many packages (%s)", where);
	memset(&p, 0, sizeof(p));
	p.pkgs = pkgs;
	p.where = where;
	p.genfd = genfd;
	/* sized once for the listed paths and some directories above them:
	 * growing is copying, and touching memory anew */
	for (i = 0; i < n; i++)
		for (s = pkgs[i].paths; s && *s; s += strlen(s) + 1)
			want++;
	reserve(&p, want + want / 8 + 64);
	/* the root, with the tops, real from the start */
	p.n = 1;
	memset(&p.nodes[0], 0, sizeof(p.nodes[0]));
	p.nodes[0].fd = genfd;
	for (t = 0; t < LEN(tops); t++)
		p.nodes[add(&p, 0, tops[t], 0, strlen(tops[t]), 0, 1)].real = 1;
	for (i = 0; i < n && ret == 0; i++)
		ret = plan_package(&p, i);
	t1 = timing_ms();
	if (ret == 0 && symlinkat(store, genfd, FARM_STORE) < 0)
		ret = fail("symlink %s:", FARM_STORE);
	if (ret == 0)
		ret = collect(&p, 0);
	if (ret == 0)
		ret = write_links(&p);
	if (ret == 0 && timing_on())
		fprintf(stderr, "pkgtool: timing: farm: plan %.1f ms (%u entries), "
		    "%zu symlinks written in %.1f ms\n", t1 - t0, p.n - 1, p.nlinks,
		    timing_ms() - t1);
	for (i = 1; i < p.n; i++)
		if (p.nodes[i].fd >= 0)
			close(p.nodes[i].fd);
	free(p.links);
	free(p.slot);
	free(p.nodes);
	arena_free(&p.a);
	return ret;
}
