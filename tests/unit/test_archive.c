/* SPDX-License-Identifier: MIT */
/* test_archive: deterministic packing and hostile archives in pkgtool/archive.c */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "fs.h"
#include "pkgtool.h"
#include "test.h"
#include "util.h"

static char *top;

static char *
at(const char *rel)
{
	static char path[3][4096];
	static int i;

	i = (i + 1) % 3;
	snprintf(path[i], sizeof(path[i]), "%s/%s", top, rel);
	return path[i];
}

static void
put(const char *rel, const char *data, mode_t mode)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

	T_OK(fd >= 0);
	if (fd < 0)
		return;
	T_EQ(write(fd, data, strlen(data)), (long long)strlen(data));
	close(fd);
	chmod(at(rel), mode);
}

static int
same_file(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int same;

	same = fs_read(a, &x) == 0 && fs_read(b, &y) == 0 && x.len == y.len &&
	    memcmp(x.s, y.s, x.len) == 0;
	buf_release(&x);
	buf_release(&y);
	return same;
}

/* an entry of a hostile archive: type 'f' file, 'l' symlink, 'h' hard link */
struct craft {
	char type;
	const char *name, *target;
};

static void
craft(const char *path, const struct craft *c, size_t n)
{
	struct archive *a = archive_write_new();
	size_t i;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, c[i].name);
		archive_entry_set_perm(e, c[i].type == 'l' ? 0777 : 0644);
		if (c[i].type == 'l') {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, c[i].target);
		} else if (c[i].type == 'h') {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, c[i].target);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, 4);
		}
		archive_write_header(a, e);
		if (c[i].type == 'f')
			archive_write_data(a, "evil", 4);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void
test_pack(void)
{
	struct stat st;
	char buf[512];
	ssize_t n;
	char longname[300];

	T_EQ(fs_mkdirs(at("tree/bin"), 0700), 0);
	T_EQ(fs_mkdirs(at("tree/lib/pkgconfig"), 0700), 0);
	T_EQ(fs_mkdirs(at("tree/empty"), 0700), 0);
	put("tree/bin/tool", "#!/bin/sh\necho hi\n", 0700);
	put("tree/lib/libx.so.1", "ELF", 0600);
	put("tree/lib/pkgconfig/x.pc", "Name: x\n", 0664);
	T_EQ(symlink("libx.so.1", at("tree/lib/libx.so")), 0);
	T_EQ(link(at("tree/lib/libx.so.1"), at("tree/lib/hard")), 0);
	memset(longname, 'n', 200);
	strcpy(longname + 200, ".txt");
	snprintf(buf, sizeof(buf), "tree/%s", longname);
	put(buf, "long", 0644);

	T_EQ(archive_pack(at("tree"), at("a.tar.zst"), 315532800), 0);
	/* touch everything: the bytes must not move */
	sleep(1);
	put("tree/lib/pkgconfig/x.pc", "Name: x\n", 0664);
	chmod(at("tree/empty"), 0750);
	T_EQ(archive_pack(at("tree"), at("b.tar.zst"), 315532800), 0);
	T_OK(same_file(at("a.tar.zst"), at("b.tar.zst")));
	T_EQ(archive_pack(at("tree"), at("a.tar.xz"), 315532800), 0);
	T_EQ(archive_pack(at("tree"), at("b.tar.xz"), 315532800), 0);
	T_OK(same_file(at("a.tar.xz"), at("b.tar.xz")));
	T_EQ(archive_pack(at("tree"), at("c.tar"), 315532800), 0);

	T_EQ(archive_unpack(at("a.tar.zst"), at("out"), 0), 0);
	T_OK(same_file(at("tree/bin/tool"), at("out/bin/tool")));
	T_OK(same_file(at("tree/lib/hard"), at("out/lib/hard")));
	T_EQ(stat(at("out/bin/tool"), &st), 0);
	T_EQ(st.st_mode & 07777, 0755);
	T_EQ(st.st_mtime, 315532800);
	T_EQ(stat(at("out/lib/libx.so.1"), &st), 0);
	T_EQ(st.st_mode & 07777, 0644);
	T_EQ(st.st_nlink, 1);
	T_EQ(stat(at("out/empty"), &st), 0);
	T_EQ(st.st_mode & 07777, 0755);
	n = readlink(at("out/lib/libx.so"), buf, sizeof(buf));
	T_EQ(n, 9);
	T_OK(n == 9 && memcmp(buf, "libx.so.1", 9) == 0);
	snprintf(buf, sizeof(buf), "out/%s", longname);
	T_OK(fs_exists(at(buf)));

	/* strip: "lib/pkgconfig/x.pc" becomes "pkgconfig/x.pc", "bin/" vanishes */
	T_EQ(archive_unpack(at("c.tar"), at("strip"), 1), 0);
	T_OK(fs_exists(at("strip/pkgconfig/x.pc")));
	T_OK(fs_exists(at("strip/tool")));
	T_OK(!fs_exists(at("strip/bin")));

	/* a fifo cannot be packed */
	T_EQ(mkfifo(at("tree/fifo"), 0644), 0);
	T_EQ(archive_pack(at("tree"), at("d.tar.zst"), 0), -1);
	T_OK(!fs_exists(at("d.tar.zst")));
}

static void
test_hostile(void)
{
	static const struct craft dotdot[] = {{'f', "ok", NULL}, {'f', "../evil", NULL}};
	static const struct craft abs[] = {{'f', "/tmp/pkgtool-test-evil-abs", NULL}};
	static const struct craft through[] = {
		{'l', "l", "/tmp"}, {'f', "l/pkgtool-test-evil-through", NULL},
	};
	static const struct craft through_rel[] = {
		{'l', "l", "."}, {'f', "l/../../evil", NULL},
	};
	static const struct craft under[] = {{'f', "d/f", NULL}, {'l', "l", "d"}, {'f', "l/g", NULL}};
	static const struct craft uplink[] = {{'l', "up", "../.."}};
	static const struct craft chain[] = {{'l', "a", "."}, {'l', "b", "a/.."}};
	static const struct craft chain_late[] = {{'l', "b", "a/.."}, {'l', "a", "."}};
	static const struct craft hard[] = {{'h', "h", "../../etc/passwd"}};
	static const struct craft hardabs[] = {{'h', "h", "/etc/passwd"}};
	static const struct craft hardlnk[] = {{'l', "s", "/etc/passwd"}, {'h', "h", "s"}};
	static const struct craft inside[] = {
		{'f', "d/f", NULL}, {'l', "d/l", "f"}, {'l', "top", "d/../d/l"}, {'h', "d/h", "d/f"},
	};

	craft(at("dotdot.tar"), dotdot, LEN(dotdot));
	T_EQ(archive_unpack(at("dotdot.tar"), at("x1/in"), 0), -1);
	T_OK(!fs_exists(at("x1/evil")));

	craft(at("abs.tar"), abs, LEN(abs));
	T_EQ(archive_unpack(at("abs.tar"), at("x2"), 0), -1);
	T_OK(!fs_exists("/tmp/pkgtool-test-evil-abs"));

	craft(at("through.tar"), through, LEN(through));
	T_EQ(archive_unpack(at("through.tar"), at("x3"), 0), -1);
	T_OK(!fs_exists("/tmp/pkgtool-test-evil-through"));

	craft(at("through_rel.tar"), through_rel, LEN(through_rel));
	T_EQ(archive_unpack(at("through_rel.tar"), at("x4/in"), 0), -1);
	T_OK(!fs_exists(at("evil")) && !fs_exists(at("x4/evil")));

	craft(at("under.tar"), under, LEN(under));
	T_EQ(archive_unpack(at("under.tar"), at("x13"), 0), -1);
	T_OK(!fs_exists(at("x13/d/g")));

	craft(at("uplink.tar"), uplink, LEN(uplink));
	T_EQ(archive_unpack(at("uplink.tar"), at("x5"), 0), -1);

	craft(at("chain.tar"), chain, LEN(chain));
	T_EQ(archive_unpack(at("chain.tar"), at("x6"), 0), -1);
	craft(at("chain_late.tar"), chain_late, LEN(chain_late));
	T_EQ(archive_unpack(at("chain_late.tar"), at("x7"), 0), -1);
	T_OK(!fs_exists(at("x7/b")));

	craft(at("hard.tar"), hard, LEN(hard));
	T_EQ(archive_unpack(at("hard.tar"), at("x8"), 0), -1);
	craft(at("hardabs.tar"), hardabs, LEN(hardabs));
	T_EQ(archive_unpack(at("hardabs.tar"), at("x9"), 0), -1);
	craft(at("hardlnk.tar"), hardlnk, LEN(hardlnk));
	T_EQ(archive_unpack(at("hardlnk.tar"), at("x10"), 0), -1);
	T_OK(!fs_exists(at("x10/h")));

	craft(at("inside.tar"), inside, LEN(inside));
	T_EQ(archive_unpack(at("inside.tar"), at("x11"), 0), 0);
	T_OK(same_file(at("x11/top"), at("x11/d/h")));

	/* a broken archive is an error, not a crash */
	put("junk.tar.gz", "not an archive at all", 0644);
	T_EQ(archive_unpack(at("junk.tar.gz"), at("x12"), 0), -1);
}

static void
test_extractable(void)
{
	T_OK(archive_is_extractable("zlib-1.3.tar.gz"));
	T_OK(archive_is_extractable("x.tar.zst"));
	T_OK(archive_is_extractable("x.tgz"));
	T_OK(archive_is_extractable("x.zip"));
	T_OK(archive_is_extractable("x.tar"));
	T_OK(!archive_is_extractable("x.tar.gz.sig"));
	T_OK(!archive_is_extractable("x.patch"));
	T_OK(!archive_is_extractable("x.gz"));
}

int
main(void)
{
	char tmpl[] = "/tmp/test_archive.XXXXXX";
	int ret;

	util_set_prefix("test_archive");
	top = mkdtemp(tmpl);
	if (!top)
		fatal("mkdtemp:");
	test_pack();
	test_hostile();
	test_extractable();
	ret = T_DONE();
	if (ret == 0)
		fs_rmtree(top);
	else
		printf("left %s\n", top);
	return ret;
}
