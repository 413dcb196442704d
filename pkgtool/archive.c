/* SPDX-License-Identifier: MIT */
/* archive: deterministic package tarballs, and safe extraction (libarchive) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "la.h"
#include "pkgtool.h"
#include "util.h"

/* the write-side security flags of every extraction; PERM without OWNER:
 * modes are kept, ownership is ours */
#define UNPACK_FLAGS (ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
	ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME)

/* symlinks may chain; the kernel gives up after 40 too */
#define MAX_HOPS 40

/* tar streams below this size are compressed at zstd level 1 (archive_pack) */
#define SMALL_TAR (64 * 1024)

struct ent {
	char *rel;
	struct stat st;
};

static int
entcmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	return strcmp(x->rel, y->rel);
}

/* collect every entry under root/rel (rel "" for root itself), unsorted */
static int
walk(const char *root, const char *rel, struct ent **v, size_t *n, size_t *cap)
{
	char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		ret = fail("open %s:", dir);
		free(dir);
		return ret;
	}
	while ((errno = 0, de = readdir(d))) {
		struct ent e;
		char *full;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		e.rel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		full = xasprintf("%s/%s", root, e.rel);
		if (lstat(full, &e.st) < 0) {
			ret = fail("stat %s:", full);
			free(full);
			free(e.rel);
			break;
		}
		free(full);
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*v = xreallocarray(*v, *cap, sizeof(**v));
		}
		(*v)[(*n)++] = e;
		if (S_ISDIR(e.st.st_mode) && walk(root, e.rel, v, n, cap) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && errno)
		ret = fail("read %s:", dir);
	closedir(d);
	free(dir);
	return ret;
}

/* the size of the tar stream of v: a header per entry, file data in
 * 512-byte blocks (pax records, rare, are left out) */
static long long
tar_size(const struct ent *v, size_t n)
{
	long long total = 1024;
	size_t i;

	for (i = 0; i < n; i++) {
		total += 512;
		if (S_ISREG(v[i].st.st_mode))
			total += (v[i].st.st_size + 511) / 512 * 512;
	}
	return total;
}

static int
write_file(struct archive *a, const char *path)
{
	char tmp[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return fail("open %s:", path);
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return fail("read %s:", path);
		}
		if (n == 0)
			break;
		if (archive_write_data(a, tmp, (size_t)n) != n) {
			close(fd);
			return fail("write %s: %s", path, archive_error_string(a));
		}
	}
	close(fd);
	return 0;
}

/* one entry of a package tarball: every field that is not content is fixed */
static int
pack_entry(struct archive *a, const char *root, const struct ent *e, long long epoch)
{
	struct archive_entry *ae = archive_entry_new();
	char *full = xasprintf("%s/%s", root, e->rel);
	char target[PATH_MAX];
	mode_t m = e->st.st_mode;
	ssize_t n;
	int ret = -1;

	if (!ae)
		fatal("out of memory");
	archive_entry_set_mtime(ae, (time_t)epoch, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	if (S_ISDIR(m)) {
		char *name = xasprintf("%s/", e->rel);

		archive_entry_copy_pathname(ae, name);
		free(name);
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, 0755);
	} else if (S_ISREG(m)) {
		archive_entry_copy_pathname(ae, e->rel);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, (m & 0111) ? 0755 : 0644);
		archive_entry_set_size(ae, e->st.st_size);
	} else if (S_ISLNK(m)) {
		n = readlink(full, target, sizeof(target) - 1);
		if (n < 0) {
			fail("readlink %s:", full);
			goto out;
		}
		target[n] = '\0';
		archive_entry_copy_pathname(ae, e->rel);
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, 0777);
		archive_entry_copy_symlink(ae, target);
	} else {
		fail("%s: cannot package a device, fifo or socket", full);
		goto out;
	}
	if (archive_write_header(a, ae) != ARCHIVE_OK) {
		fail("%s: %s", full, archive_error_string(a));
		goto out;
	}
	if (S_ISREG(m) && e->st.st_size > 0 && write_file(a, full) < 0)
		goto out;
	ret = 0;
out:
	archive_entry_free(ae);
	free(full);
	return ret;
}

int
archive_pack(const char *root, const char *path, long long epoch)
{
	struct ent *v = NULL;
	size_t n = 0, cap = 0, i;
	struct archive *a = NULL;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = -1, ret = -1;

	if (walk(root, "", &v, &n, &cap) < 0)
		goto out;
	/* byte order of whole paths puts every directory before its content */
	qsort(v, n, sizeof(*v), entcmp);
	a = archive_write_new();
	if (!a)
		fatal("out of memory");
	/* ustar headers unless a name or size needs pax records */
	archive_write_set_format_pax_restricted(a);
	if (endswith(path, ".zst")) {
		archive_write_add_filter_zstd(a);
		/*
		 * libarchive cannot tell zstd the input's size, so zstd sizes its
		 * tables for a large input and clears them for the frame: 768 KiB
		 * at level 3, more work than compressing a small package (and 190
		 * page faults). Level 1 clears 32 KiB and gives a few percent more
		 * bytes. The choice depends on the content only, so the archive
		 * stays deterministic.
		 */
		if (tar_size(v, n) < SMALL_TAR &&
		    archive_write_set_filter_option(a, "zstd", "compression-level", "1") != ARCHIVE_OK) {
			fail("%s: %s", tmp, archive_error_string(a));
			goto out;
		}
	} else if (endswith(path, ".xz"))
		archive_write_add_filter_xz(a);
	else
		archive_write_add_filter_none(a);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fail("create %s:", tmp);
		goto out;
	}
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		fail("%s: %s", tmp, archive_error_string(a));
		goto out;
	}
	for (i = 0; i < n; i++)
		if (pack_entry(a, root, &v[i], epoch) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		fail("%s: %s", tmp, archive_error_string(a));
		goto out;
	}
	if (fs_durable() && fsync(fd) < 0) {
		fail("write %s:", tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail("close %s:", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		fail("rename %s to %s:", tmp, path);
		goto out;
	}
	if (fs_durable())
		fs_sync_parent(path);
	ret = 0;
out:
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	for (i = 0; i < n; i++)
		free(v[i].rel);
	free(v);
	free(tmp);
	return ret;
}

/* the entry name with strip leading components dropped, in out; "." and empty
 * components are ignored. 1 kept, 0 nothing left, -1 absolute or with ".." */
/*
 * The formats a source archive may come in: all that libarchive reads but
 * xar, which would load libxml2 and ICU into every package step (la.h).
 */
static void
read_support_formats(struct archive *a)
{
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_warc(a);
}

static int
clean_name(const char *name, int strip, struct buf *out)
{
	const char *p = name, *q;
	size_t len;

	buf_reset(out);
	if (*name == '/')
		return -1;
	for (; *p; p = *q ? q + 1 : q) {
		q = strchr(p, '/');
		if (!q)
			q = p + strlen(p);
		len = (size_t)(q - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (strip > 0) {
			strip--;
			continue;
		}
		if (out->len)
			buf_putc(out, '/');
		buf_putn(out, p, len);
	}
	return out->len > 0;
}

/* resolve target as seen from directory from (both relative to root),
 * following symlinks found on disk under root the way the kernel would;
 * 1 when it leaves root (or loops), else 0 */
static int
escapes(const char *root, const char *from, const char *target)
{
	struct buf cur = BUF_INIT, todo = BUF_INIT, full = BUF_INIT, next = BUF_INIT;
	char link[PATH_MAX];
	int hops = 0, ret = 0;
	struct stat st;
	ssize_t n;

	buf_puts(&cur, from);
	buf_puts(&todo, target);
	if (*target == '/')
		ret = 1;
	while (!ret && todo.len) {
		const char *p = todo.s, *q = strchr(p, '/');
		size_t len = q ? (size_t)(q - p) : todo.len, keep = cur.len;

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (cur.len == 0) {
				ret = 1;
				break;
			}
			char *slash = strrchr(cur.s, '/');
			cur.len = slash ? (size_t)(slash - cur.s) : 0;
			cur.s[cur.len] = '\0';
		} else {
			if (cur.len)
				buf_putc(&cur, '/');
			buf_putn(&cur, p, len);
			buf_reset(&full);
			buf_printf(&full, "%s/%s", root, cur.s);
			if (lstat(full.s, &st) == 0 && S_ISLNK(st.st_mode)) {
				n = readlink(full.s, link, sizeof(link) - 1);
				if (n < 0 || ++hops > MAX_HOPS || (n > 0 && link[0] == '/')) {
					ret = 1;
					break;
				}
				link[n] = '\0';
				/* the link's target replaces the component */
				cur.len = keep;
				cur.s[keep] = '\0';
				buf_reset(&next);
				buf_printf(&next, "%s/%s", link, q ? q + 1 : "");
				buf_reset(&todo);
				buf_puts(&todo, next.s);
				continue;
			}
		}
		/* drop the component just handled */
		buf_reset(&next);
		buf_puts(&next, q ? q + 1 : "");
		buf_reset(&todo);
		buf_puts(&todo, next.s);
	}
	buf_release(&cur);
	buf_release(&todo);
	buf_release(&full);
	buf_release(&next);
	return ret;
}

int
archive_link_escapes(const char *root, const char *rel)
{
	char *full = xasprintf("%s/%s", root, rel), *from;
	char link[PATH_MAX];
	ssize_t n = readlink(full, link, sizeof(link) - 1);
	const char *slash = strrchr(rel, '/');
	int ret;

	free(full);
	if (n < 0)
		return 0;
	link[n] = '\0';
	from = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	ret = escapes(root, from, link);
	free(from);
	return ret;
}

/* 1 when a leading directory of rel (under the current directory) is a symlink
 * on disk, or, with whole, rel itself is anything but a regular file */
static int
through_link(const char *rel, int whole)
{
	char *p = xstrdup(rel), *s;
	struct stat st;
	int ret = 0;

	for (s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
			ret = 1;
		*s = '/';
		if (ret)
			break;
	}
	if (!ret && whole && (lstat(p, &st) < 0 || !S_ISREG(st.st_mode)))
		ret = 1;
	free(p);
	return ret;
}

static int
copy_data(struct archive *r, struct archive *w)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int x;

	for (;;) {
		x = archive_read_data_block(r, &buf, &size, &off);
		if (x == ARCHIVE_EOF)
			return ARCHIVE_OK;
		if (x < ARCHIVE_WARN)
			return x;
		x = archive_write_data_block(w, buf, size, off);
		if (x < ARCHIVE_WARN)
			return x;
	}
}

/* check and rename one entry; 1 extract, 0 skip, -1 refused (message printed) */
static int
check_entry(const char *path, struct archive_entry *ae, int strip, struct buf *name, struct buf *hl)
{
	const char *orig = archive_entry_pathname(ae), *t;
	char *from, *slash;
	int k, bad;

	if (!orig || !*orig)
		return fail("%s: entry without a name", path);
	k = clean_name(orig, strip, name);
	if (k < 0)
		return fail("%s: refusing entry '%s': absolute path or '..'", path, orig);
	if ((t = archive_entry_hardlink(ae))) {
		int kh = clean_name(t, strip, hl);

		if (kh < 0)
			return fail("%s: refusing hard link '%s' -> '%s': absolute path or '..'", path, orig, t);
		if (kh == 0)
			return 0;
	}
	if (k == 0)
		return 0;
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
	case AE_IFDIR:
	case AE_IFLNK:
		break;
	default:
		if (t)
			break;
		return fail("%s: refusing entry '%s': device, fifo or socket", path, orig);
	}
	if (through_link(name->s, 0))
		return fail("%s: refusing entry '%s': it lies under a symlink", path, orig);
	if (t) {
		if (through_link(hl->s, 1))
			return fail("%s: refusing hard link '%s' -> '%s': not a regular file of the archive",
			    path, orig, t);
		archive_entry_copy_hardlink(ae, hl->s);
	} else if (archive_entry_filetype(ae) == AE_IFLNK) {
		t = archive_entry_symlink(ae);
		if (!t || !*t)
			return fail("%s: refusing symlink '%s' without a target", path, orig);
		from = xstrdup(name->s);
		slash = strrchr(from, '/');
		*(slash ? slash : from) = '\0';
		bad = escapes(".", from, t);
		free(from);
		if (bad)
			return fail("%s: refusing symlink '%s' -> '%s': it points outside the directory",
			    path, orig, t);
	}
	archive_entry_copy_pathname(ae, name->s);
	/* no setuid or setgid bits from foreign archives */
	archive_entry_set_perm(ae, archive_entry_perm(ae) & ~(mode_t)06000);
	return 1;
}

int
archive_unpack(const char *path, const char *dir, int strip)
{
	struct archive *r = NULL, *w = NULL;
	struct archive_entry *ae;
	struct buf name = BUF_INIT, hl = BUF_INIT;
	char **links = NULL;
	size_t nlinks = 0, cap = 0, i;
	int cwd = -1, ret = -1, x, k;

	if (fs_mkdirs(dir, 0755) < 0)
		return -1;
	r = archive_read_new();
	w = archive_write_disk_new();
	if (!r || !w)
		fatal("out of memory");
	archive_read_support_filter_all(r);
	read_support_formats(r);
	archive_write_disk_set_options(w, UNPACK_FLAGS);
	if (archive_read_open_filename(r, path, 65536) != ARCHIVE_OK) {
		fail("%s: %s", path, archive_error_string(r));
		goto out;
	}
	/* archive_write_disk resolves names (and hard link targets) against the
	 * current directory, and the secure flags refuse absolute names */
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		fail("open .:");
		goto out;
	}
	if (chdir(dir) < 0) {
		fail("chdir %s:", dir);
		goto out;
	}
	for (;;) {
		x = archive_read_next_header(r, &ae);
		if (x == ARCHIVE_EOF)
			break;
		if (x < ARCHIVE_WARN) {
			fail("%s: %s", path, archive_error_string(r));
			goto out;
		}
		k = check_entry(path, ae, strip, &name, &hl);
		if (k < 0)
			goto out;
		if (k == 0)
			continue;
		x = archive_write_header(w, ae);
		if (x == ARCHIVE_OK && archive_entry_size(ae) > 0)
			x = copy_data(r, w);
		if (x < ARCHIVE_WARN) {
			fail("%s: %s: %s", path, name.s, archive_error_string(w));
			goto out;
		}
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			fail("%s: %s: %s", path, name.s, archive_error_string(w));
			goto out;
		}
		if (archive_entry_filetype(ae) == AE_IFLNK && !archive_entry_hardlink(ae))
			xappend((void ***)&links, &nlinks, &cap, xstrdup(name.s));
	}
	if (archive_write_close(w) != ARCHIVE_OK) {
		fail("%s: %s", path, archive_error_string(w));
		goto out;
	}
	/* a later entry may have turned an innocent link into an escaping
	 * one (a -> . then b -> a/..): judge the links as they ended up */
	for (i = 0; i < nlinks; i++) {
		if (archive_link_escapes(".", links[i])) {
			unlink(links[i]);
			fail("%s: refusing symlink '%s': it points outside the directory", path, links[i]);
			goto out;
		}
	}
	ret = 0;
out:
	if (cwd >= 0) {
		if (fchdir(cwd) < 0)
			fatal("fchdir back:");
		close(cwd);
	}
	archive_read_free(r);
	archive_write_free(w);
	for (i = 0; i < nlinks; i++)
		free(links[i]);
	free(links);
	buf_release(&name);
	buf_release(&hl);
	return ret;
}

int
archive_is_extractable(const char *name)
{
	static const char *const sfx[] = {
		".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst", ".tlz", ".zip",
	};
	const char *t = strstr(name, ".tar.");
	size_t i;

	/* .tar.gz, .tar.zst, ... but not .tar.gz.sig */
	if (t && t[5] && !strchr(t + 5, '.'))
		return 1;
	for (i = 0; i < LEN(sfx); i++)
		if (endswith(name, sfx[i]))
			return 1;
	return 0;
}

int
archive_read_member(const char *path, const char *member, struct buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r, ret = -1;

	read_support_formats(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		fail("%s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		char tmp[65536];
		la_ssize_t n;

		if (startswith(name, "./"))
			name += 2;
		if (strcmp(name, member) != 0)
			continue;
		while ((n = archive_read_data(a, tmp, sizeof(tmp))) > 0)
			buf_putn(out, tmp, (size_t)n);
		if (n < 0) {
			fail("%s: %s: %s", path, member, archive_error_string(a));
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (r == ARCHIVE_EOF)
		fail("%s: no %s in the archive", path, member);
	else
		fail("%s: %s", path, archive_error_string(a));
out:
	archive_read_free(a);
	return ret;
}


/* a git source is `git archive` output: the tarball cannot be re-made without
 * the repository, so check that its pax header names the commit and that
 * the whole archive reads (a truncated or damaged one does not).
 * 0 with the commit (or what is wrong) in got, or -1 with errno set */
int
archive_git_commit(const char *path, char got[ARCHIVE_GOT_MAX])
{
	struct archive *a;
	struct archive_entry *e;
	char head[1024], *c;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return -1;
	snprintf(got, ARCHIVE_GOT_MAX, "no commit id in its tar header");
	if (n > 512 && !memcmp(head, "pax_global_header", 17) && head[156] == 'g' &&
	    (c = memmem(head + 512, (size_t)n - 512, " comment=", 9)) &&
	    c + 9 + 40 <= head + n)
		snprintf(got, ARCHIVE_GOT_MAX, "%.40s", c + 9);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	r = archive_read_open_filename(a, path, 65536);
	while (r == ARCHIVE_OK && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		r = archive_read_data_skip(a);
	if (r != ARCHIVE_EOF)
		snprintf(got, ARCHIVE_GOT_MAX, "a damaged tarball (%s)", archive_error_string(a));
	archive_read_free(a);
	return 0;
}
