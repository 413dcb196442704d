/* SPDX-License-Identifier: MIT */
/* farm: the merged tree of symlinks of a generation */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "arena.h"
#include "buf.h"
#include "pkgtool.h"
#include "util.h"

/*
 * Two passes, as GNU stow and Nix's buildEnv do it, but the first in memory.
 *
 * The plan puts every path of every package under the merged tops into one
 * tree of nodes, from the package's pkginfo.json ("files" and "links" name
 * every file and symlink; a package whose pkginfo lacks them, or whose top
 * directory is a symlink, is read with readdir instead). Two packages with
 * the same path that is not a directory in both is a conflict, found before
 * anything is written, naming both packages and the path. A directory that
 * one package alone provides is folded: one symlink to that package's
 * directory; a directory of two or more is real, their entries merged in it.
 *
 * Then the writing: the real directories (few), then the symlinks (nearly
 * all of the work: one inode each) in a few threads, each on its own
 * stretch of the tree so that they seldom share a directory's lock. The
 * symlinks are relative to gen-N/.s, one absolute symlink to the store, as
 * in "bin/hello -> ../.s/hello--1.0--0123456789ab/bin/hello": short enough
 * for ext4 to keep them in the inode (a "fast" symlink, under 60 bytes; a
 * longer one costs a data block, and about twice the time).
 */

/* the top directories of a package that are merged; always real */
static const char *const tops[] = {"bin", "etc", "include", "lib", "share"};

/* with fewer links one thread does it all */
#define LINKS_PER_THREAD 512
#define MAX_THREADS 4

struct node {
	const char *rel;	/* "share/man/man1/x.1", in the arena */
	struct node *kids, *last, *next;	/* children, in the order met */
	size_t pkg;		/* the package that provides it (first) */
	unsigned dir : 1;	/* a directory */
	unsigned real : 1;	/* a real directory of the generation: a top, or shared */
};

struct link {
	const char *target, *rel;
};

struct plan {
	struct arena a;
	const struct genpkg *pkgs;
	const char *where;
	struct node **slot;	/* every node by rel: open addressing */
	size_t cap, n;
	struct link *links;
	size_t nlinks, linkcap;
};

static struct node **
slot(struct plan *p, const char *rel)
{
	size_t i = (size_t)str_hash(rel) & (p->cap - 1);

	while (p->slot[i] && strcmp(p->slot[i]->rel, rel) != 0)
		i = (i + 1) & (p->cap - 1);
	return &p->slot[i];
}

static struct node *
add(struct plan *p, struct node *parent, const char *rel, size_t pkg, int dir)
{
	struct node *x = arena_alloc(&p->a, sizeof(*x));
	size_t i;

	if (2 * (p->n + 1) > p->cap) {
		struct node **old = p->slot;
		size_t oldcap = p->cap;

		p->cap = p->cap ? 2 * p->cap : 1024;
		p->slot = xcalloc(p->cap, sizeof(*p->slot));
		for (i = 0; i < oldcap; i++)
			if (old[i])
				*slot(p, old[i]->rel) = old[i];
		free(old);
	}
	x->rel = arena_strdup(&p->a, rel);
	x->pkg = pkg;
	x->dir = dir != 0;
	*slot(p, rel) = x;
	p->n++;
	if (parent) {
		if (parent->last)
			parent->last->next = x;
		else
			parent->kids = x;
		parent->last = x;
	}
	return x;
}

static int
conflict(struct plan *p, const struct node *x, size_t pkg)
{
	const struct genpkg *a = &p->pkgs[x->pkg], *b = &p->pkgs[pkg];

	return fail("conflict: %s is provided by both %s (%s) and %s (%s) (%s)",
	    x->rel, a->name, a->id, b->name, b->id, p->where);
}

/* put path rel (under a top) of package pkg into the plan, and the
 * directories above it */
static int
insert(struct plan *p, size_t pkg, const char *rel, int isdir)
{
	char path[PATH_MAX], *s;
	struct node *parent = NULL, **hit;
	size_t len = strlen(rel);
	int last;

	if (len >= sizeof(path))
		return fail("%s/%s: path too long", p->pkgs[pkg].prefix, rel);
	memcpy(path, rel, len + 1);
	for (s = path; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		last = *s == '\0';
		*s = '\0';
		hit = slot(p, path);
		if (!parent && (!*hit || (last && !isdir))) {
			/* not under a top (or a file named like one): not merged */
			return 0;
		} else if (!*hit) {
			parent = add(p, parent, path, pkg, last ? isdir : 1);
		} else if (!(*hit)->dir || (last && !isdir)) {
			return conflict(p, *hit, pkg);
		} else {
			parent = *hit;
			if (parent->pkg != pkg)
				parent->real = 1;
		}
		if (last)
			return 0;
		*s = '/';
	}
}

/* the same from the package's tree on disk: directory rel and below */
static int
walk(struct plan *p, size_t pkg, const char *rel)
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

/* 1 when pkginfo.json names the package's files and links, and none of the
 * tops is a symlink */
static int
listed(const json_t *info)
{
	json_t *files = json_object_get(info, "files"), *links = json_object_get(info, "links");
	size_t t;

	if (!json_is_object(files) || !json_is_object(links))
		return 0;
	for (t = 0; t < LEN(tops); t++)
		if (json_object_get(links, tops[t]))
			return 0;
	return 1;
}

/* every path of package pkg under the tops */
static int
plan_package(struct plan *p, size_t pkg)
{
	static const char *const lists[] = {"files", "links"};
	const json_t *info = p->pkgs[pkg].info;
	const char *rel;
	json_t *v;
	size_t l, t;
	int ret = 0;

	if (!listed(info)) {
		for (t = 0; t < LEN(tops) && ret == 0; t++)
			ret = walk(p, pkg, tops[t]);
		return ret;
	}
	for (l = 0; l < LEN(lists) && ret == 0; l++) {
		json_object_foreach(json_object_get(info, lists[l]), rel, v) {
			if ((ret = insert(p, pkg, rel, 0)) < 0)
				break;
		}
	}
	return ret;
}

/* "../../.s/ID/REL": through the generation's symlink to the store */
static const char *
target(struct plan *p, const struct node *x)
{
	struct buf b = BUF_INIT;
	const char *s, *t;

	for (s = x->rel; (s = strchr(s, '/')); s++)
		buf_puts(&b, "../");
	buf_printf(&b, "%s/%s/%s", FARM_STORE, p->pkgs[x->pkg].id, x->rel);
	t = arena_strdup(&p->a, buf_str(&b));
	buf_release(&b);
	return t;
}

/* the real directories, made now, and the links to make, in tree order */
static int
collect(struct plan *p, struct node *d, int genfd)
{
	struct node *x;
	int ret = 0;

	for (x = d->kids; x && ret == 0; x = x->next) {
		/* a directory of one package is folded: a link, like a file */
		if (x->real) {
			if (mkdirat(genfd, x->rel, 0755) < 0)
				ret = fail("mkdir %s:", x->rel);
			else
				ret = collect(p, x, genfd);
			continue;
		}
		if (p->nlinks == p->linkcap) {
			p->linkcap = p->linkcap ? 2 * p->linkcap : 1024;
			p->links = xreallocarray(p->links, p->linkcap, sizeof(*p->links));
		}
		p->links[p->nlinks].rel = x->rel;
		p->links[p->nlinks].target = target(p, x);
		p->nlinks++;
	}
	return ret;
}

struct linkjob {
	const struct link *links;
	size_t n;
	int genfd, err, started;
	const struct link *bad;
	pthread_t thread;
};

static void *
make_links(void *arg)
{
	struct linkjob *j = arg;
	size_t i;

	for (i = 0; i < j->n; i++) {
		if (symlinkat(j->links[i].target, j->genfd, j->links[i].rel) < 0) {
			j->err = errno;
			j->bad = &j->links[i];
			break;
		}
	}
	return NULL;
}

static int
write_links(struct plan *p, int genfd)
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

		jobs[i].links = p->links + from;
		jobs[i].n = to - from;
		jobs[i].genfd = genfd;
		from = to;
	}
	/* a thread that cannot start leaves its stretch to this one */
	for (i = 1; i < n; i++)
		jobs[i].started = pthread_create(&jobs[i].thread, NULL, make_links, &jobs[i]) == 0;
	make_links(&jobs[0]);
	for (i = 1; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		else
			make_links(&jobs[i]);
	}
	for (i = 0; i < n && ret == 0; i++) {
		if (jobs[i].bad) {
			errno = jobs[i].err;
			ret = fail("symlink %s:", jobs[i].bad->rel);
		}
	}
	return ret;
}

int
farm_build(const char *store, const struct genpkg *pkgs, size_t n, const char *where, int genfd)
{
	struct plan p;
	struct node root, *top;
	size_t i, t;
	double t0 = timing_ms(), t1 = 0;
	int ret = 0;

	memset(&p, 0, sizeof(p));
	memset(&root, 0, sizeof(root));
	p.pkgs = pkgs;
	p.where = where;
	for (t = 0; t < LEN(tops); t++) {
		top = add(&p, &root, tops[t], 0, 1);
		top->real = 1;
	}
	for (i = 0; i < n && ret == 0; i++)
		ret = plan_package(&p, i);
	t1 = timing_ms();
	if (ret == 0 && symlinkat(store, genfd, FARM_STORE) < 0)
		ret = fail("symlink %s:", FARM_STORE);
	if (ret == 0)
		ret = collect(&p, &root, genfd);
	if (ret == 0)
		ret = write_links(&p, genfd);
	if (ret == 0 && timing_on())
		fprintf(stderr, "pkgtool: timing: farm: plan %.1f ms (%zu entries), "
		    "%zu symlinks written in %.1f ms\n", t1 - t0, p.n, p.nlinks, timing_ms() - t1);
	free(p.links);
	free(p.slot);
	arena_free(&p.a);
	return ret;
}
