/* SPDX-License-Identifier: MIT */
/* test_mirror: mirror:// expansion through PKGTOOL_MIRRORS and apt's sources (pkgtool/mirror.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "pkgtool.h"
#include "test.h"
#include "util.h"

static char apt[] = "/tmp/test_mirror.XXXXXX";

static void
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", apt, name);

	fs_mkparent(path);
	T_OK(fs_write_atomic(path, text, strlen(text)) == 0);
	free(path);
}

/* the expansion of url joined with " ", or "NULL" */
static char *
expand(const char *url)
{
	char **v = mirror_expand(url), *s;
	size_t i, n = 1;

	if (!v)
		return xstrdup("NULL");
	for (i = 0; v[i]; i++)
		n += strlen(v[i]) + 1;
	s = xcalloc(n, 1);
	for (i = 0; v[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, v[i]);
	}
	mirror_free(v);
	return s;
}

#define T_EXPAND(url, want) do { \
	char *t_s_ = expand(url); \
	T_STREQ(t_s_, want); \
	free(t_s_); \
} while (0)

static void
test_plain(void)
{
	unsetenv("PKGTOOL_MIRRORS");
	T_EXPAND("https://example.org/a.tar.gz", "https://example.org/a.tar.gz");
	T_EXPAND("/srv/a.tar.gz", "/srv/a.tar.gz");
	T_EXPAND("mirror://", "NULL");
	T_EXPAND("mirror://x", "NULL");
	T_EXPAND("mirror:///a", "NULL");
}

static void
test_env(void)
{
	setenv("PKGTOOL_MIRRORS", "gnu=https://ftp.gnu.org/gnu/;local=file:///srv/m "
	    "http://h/m//; gnu = http://mirror/gnu ;bad;=x", 1);
	T_EXPAND("mirror://gnu/make/make-4.4.tar.gz",
	    "https://ftp.gnu.org/gnu/make/make-4.4.tar.gz http://mirror/gnu/make/make-4.4.tar.gz");
	T_EXPAND("mirror://local//p/q", "file:///srv/m/p/q http://h/m/p/q");
	T_EXPAND("mirror://nosuch/x", "NULL");
	/* a debian entry in PKGTOOL_MIRRORS wins over apt */
	setenv("PKGTOOL_MIRRORS", "debian=http://d1/debian;debian=http://d2/debian", 1);
	T_EXPAND("mirror://debian/pool/x", "http://d1/debian/pool/x http://d2/debian/pool/x");
	unsetenv("PKGTOOL_MIRRORS");
}

static void
test_apt(void)
{
	put("sources.list",
	    "# comment\n"
	    "deb http://one.example/debian bookworm main\n"
	    "deb [arch=amd64 signed-by=/k.gpg] https://two.example/debian/ bookworm main # x\n"
	    "deb-src [ arch=amd64 ] http://one.example/debian bookworm main\n"
	    "deb http://security.example/debian-security bookworm-security main\n"
	    "deb cdrom:[Debian]/ bookworm main\n"
	    "#deb http://commented.example/debian bookworm main\n");
	put("sources.list.d/a.sources",
	    "Types: deb deb-src\n"
	    "URIs: http://three.example/debian\n"
	    "  http://four.example/debian\n"
	    "Suites: bookworm bookworm-updates\n"
	    "Components: main\n"
	    "\n"
	    "# security only: skipped\n"
	    "Types: deb\n"
	    "URIs: http://deb.example/debian-security\n"
	    "Suites: bookworm-security\n"
	    "\n"
	    "Enabled: no\n"
	    "Types: deb\n"
	    "URIs: http://disabled.example/debian\n"
	    "Suites: bookworm\n");
	put("sources.list.d/b.list", "deb file:/srv/debian bookworm main\n");
	put("sources.list.d/c.list.disabled", "deb http://ignored.example/ bookworm main\n");
	setenv("PKGTOOL_APT_ETC", apt, 1);
	T_EXPAND("mirror://debian/pool/main/z/zlib/z.tar.bz2",
	    "http://one.example/debian/pool/main/z/zlib/z.tar.bz2 "
	    "https://two.example/debian/pool/main/z/zlib/z.tar.bz2 "
	    "http://three.example/debian/pool/main/z/zlib/z.tar.bz2 "
	    "http://four.example/debian/pool/main/z/zlib/z.tar.bz2 "
	    "file:///srv/debian/pool/main/z/zlib/z.tar.bz2");
	/* other names do not come from apt */
	T_EXPAND("mirror://ubuntu/x", "NULL");
	setenv("PKGTOOL_APT_ETC", "/nonexistent", 1);
	T_EXPAND("mirror://debian/x", "NULL");
	unsetenv("PKGTOOL_APT_ETC");
}

int
main(void)
{
	util_set_prefix("test_mirror");
	if (!mkdtemp(apt)) {
		perror("mkdtemp");
		return 1;
	}
	test_plain();
	test_env();
	test_apt();
	fs_rmtree(apt);
	return T_DONE();
}
