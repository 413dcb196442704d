/* SPDX-License-Identifier: MIT */
/*
 * iofloor: the file system work of a fresh pkggen run on gen-scale's
 * repository, without pkggen. It reads what pkggen reads (each package's
 * package.yaml, its files/ directory listed and each file in it stat()ed
 * and read), then makes the files pkggen made in a build directory (every
 * regular file under TEMPLATE, each with its size, written in one write(2)
 * into the same directories under OUT), both on THREADS threads. What it
 * takes is a floor for pkggen in a new build directory on this machine at
 * this moment: the same system calls with no parsing, resolving, hashing or
 * JSON. It prints the milliseconds of each part and their sum.
 *
 *   iofloor THREADS REPO TEMPLATE OUT
 *
 * REPO holds pNNNNN/package.yaml and pNNNNN/files/ (gen-scale's layout);
 * TEMPLATE is a build directory pkggen made from it; OUT must not exist.
 * A directory of TEMPLATE marked as the top of directory trees (chattr +T,
 * which pkggen sets on .pkggen where ext4 has it) is marked in OUT too,
 * before anything is made in it, so that the files land where pkggen's do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

#define MAXTHREADS 16

struct file {
	char *rel;	/* under TEMPLATE and OUT */
	size_t size;
};

static const char *repo, *out;
static char **pkgs, **dirs;
static unsigned char *topdirs;	/* dirs[i] is marked +T */
static struct file *files;
static size_t npkgs, ndirs, nfiles, biggest;
static atomic_size_t next;

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "iofloor: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void *
grow(void *v, size_t n, size_t size)
{
	/* the capacity doubles whenever n reaches a power of two */
	if (n & (n - 1))
		return v;
	if (!(v = realloc(v, (n ? 2 * n : 1) * size))) {
		perror("iofloor");
		exit(1);
	}
	return v;
}

/* snprintf into a path buffer, or die: no name here is that long */
#define PATHF(buf, ...) \
	do { \
		if (snprintf(buf, sizeof(buf), __VA_ARGS__) >= (int)sizeof(buf)) { \
			errno = ENAMETOOLONG; \
			die("cannot name", buf); \
		} \
	} while (0)

static double
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* FS_TOPDIR_FL of the directory at path (get, or set when set is 1); the
 * flag, or 0 where the file system has none */
static int
topdir_flag(const char *path, int set)
{
	int f = 0, fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die("cannot open", path);
#if defined(FS_IOC_GETFLAGS) && defined(FS_TOPDIR_FL)
	if (ioctl(fd, FS_IOC_GETFLAGS, &f) < 0)
		f = 0;
	else if (set && !(f & FS_TOPDIR_FL)) {
		f |= FS_TOPDIR_FL;
		ioctl(fd, FS_IOC_SETFLAGS, &f);
	}
	f &= FS_TOPDIR_FL;
#else
	(void)set;
#endif
	close(fd);
	return f;
}

/* TEMPLATE's directories (parents first) and regular files, untimed */
static void
scan(const char *top, const char *rel)
{
	char path[4096];
	DIR *d;
	struct dirent *e;

	PATHF(path, "%s/%s", top, rel);
	if (!(d = opendir(path)))
		die("cannot list", path);
	while ((e = readdir(d))) {
		char sub[4096];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		PATHF(sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		PATHF(path, "%s/%s", top, sub);
		if (lstat(path, &st) < 0)
			die("cannot stat", path);
		if (S_ISDIR(st.st_mode)) {
			dirs = grow(dirs, ndirs, sizeof(*dirs));
			topdirs = grow(topdirs, ndirs, sizeof(*topdirs));
			topdirs[ndirs] = topdir_flag(path, 0) != 0;
			dirs[ndirs++] = strdup(sub);
			scan(top, sub);
		} else if (S_ISREG(st.st_mode)) {
			files = grow(files, nfiles, sizeof(*files));
			files[nfiles].rel = strdup(sub);
			files[nfiles++].size = (size_t)st.st_size;
			if ((size_t)st.st_size > biggest)
				biggest = (size_t)st.st_size;
		}
	}
	closedir(d);
}

static void
slurp(const char *path, char *buf, size_t cap)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot read", path);
	if ((size_t)st.st_size < cap && read(fd, buf, (size_t)st.st_size + 1) < 0)
		die("cannot read", path);
	close(fd);
}

static void *
reader(void *arg)
{
	static _Thread_local char buf[65536];
	_Alignas(struct dirent64) char ents[16384];
	char path[4096];
	size_t i;

	(void)arg;
	while ((i = atomic_fetch_add(&next, 1)) < npkgs) {
		struct dirent64 *e;
		struct stat st;
		ssize_t got, off;
		int fd;

		PATHF(path, "%s/%s/package.yaml", repo, pkgs[i]);
		slurp(path, buf, sizeof(buf));
		PATHF(path, "%s/%s/files/", repo, pkgs[i]);
		if (stat(path, &st) < 0)
			continue;
		if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			die("cannot list", path);
		while ((got = getdents64(fd, ents, sizeof(ents))) > 0) {
			for (off = 0; off < got; off += e->d_reclen) {
				char file[4096];
				struct stat fst;

				e = (struct dirent64 *)(ents + off);
				if (e->d_name[0] == '.')
					continue;
				PATHF(file, "%s%s", path, e->d_name);
				if (lstat(file, &fst) < 0)
					die("cannot stat", file);
				if (S_ISREG(fst.st_mode))
					slurp(file, buf, sizeof(buf));
			}
		}
		close(fd);
	}
	return NULL;
}

static void *
writer(void *arg)
{
	const char *data = arg;
	char path[4096];
	size_t i;

	while ((i = atomic_fetch_add(&next, 1)) < nfiles) {
		int fd;

		PATHF(path, "%s/%s", out, files[i].rel);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, data, files[i].size) != (ssize_t)files[i].size)
			die("cannot write", path);
		close(fd);
	}
	return NULL;
}

static void
run(unsigned n, void *(*fn)(void *), void *arg)
{
	pthread_t tid[MAXTHREADS];
	unsigned t;

	atomic_store(&next, 0);
	for (t = 0; t < n; t++)
		if (pthread_create(&tid[t], NULL, fn, arg) != 0)
			die("cannot start a thread", "");
	for (t = 0; t < n; t++)
		pthread_join(tid[t], NULL);
}

int
main(int argc, char **argv)
{
	unsigned threads;
	char path[4096], *data;
	double t0, t1, t2;
	struct dirent *e;
	DIR *d;
	size_t i;

	if (argc != 5 || (threads = (unsigned)atoi(argv[1])) < 1 || threads > MAXTHREADS) {
		fprintf(stderr, "usage: iofloor THREADS REPO TEMPLATE OUT\n");
		return 2;
	}
	repo = argv[2];
	out = argv[4];
	scan(argv[3], "");
	if (!(data = malloc(biggest + 1)))
		die("out of memory", "");
	memset(data, 'x', biggest + 1);

	/* the reads: the repository's listing (pkggen's too), then packages */
	t0 = ms();
	if (!(d = opendir(repo)))
		die("cannot list", repo);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		pkgs = grow(pkgs, npkgs, sizeof(*pkgs));
		pkgs[npkgs++] = strdup(e->d_name);
	}
	closedir(d);
	run(threads, reader, NULL);
	t1 = ms();

	/* the writes: the directories, then every file */
	if (mkdir(out, 0755) < 0)
		die("cannot make", out);
	for (i = 0; i < ndirs; i++) {
		PATHF(path, "%s/%s", out, dirs[i]);
		if (mkdir(path, 0755) < 0)
			die("cannot make", path);
		if (topdirs[i])
			topdir_flag(path, 1);
	}
	run(threads, writer, data);
	t2 = ms();
	printf("read %.1f ms, write %.1f ms, total %.1f ms (%zu packages, %zu files)\n",
	    t1 - t0, t2 - t1, t2 - t0, npkgs, nfiles);
	return 0;
}
