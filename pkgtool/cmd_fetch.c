/* SPDX-License-Identifier: MIT */
/* cmd_fetch: download one source (url or git), verify it, rename it into the store (SPEC §6) */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* types and constants only: libcurl itself is opened with dlopen (see curl_load) */
#include <curl/curl.h>

#include "buf.h"
#include "cjson.h"
#include "fetch.h"
#include "fs.h"
#include "pkgtool.h"
#include "sha256.h"
#include "util.h"


/* the temp file to remove when a signal (Ninja's ^C) ends us mid-download */
static char tmp_path[PATH_MAX];

static void
on_signal(int sig)
{
	if (tmp_path[0])
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
fetch_tmp_track(const char *path)
{
	static int installed;

	snprintf(tmp_path, sizeof(tmp_path), "%s", path ? path : "");
	if (!installed && path) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		installed = 1;
	}
}

int
fetch_offline(void)
{
	const char *s = getenv("PKGTOOL_OFFLINE");

	return s && *s && strcmp(s, "0") != 0;
}

/* returns a new string: the strings of a JSON array joined by ", " */
static char *
join(json_t *arr)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v))
			buf_printf(&b, "%s%s", b.len ? ", " : "", json_string_value(v));
	return buf_detach(&b);
}

static int
lower_hex(const char *s, size_t n, char *out)
{
	size_t i;

	if (!s || !is_hex(s, n))
		return -1;
	for (i = 0; i <= n; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	return 0;
}

/* read and check the manifest's fields; 0, or -1 after a message (bad input) */
static int
source_init(struct source *src, json_t *m, const char *path)
{
	const char *type = cjson_str(m, "type");
	char *pk, *rc;
	char hex[SHA256_HEX];

	src->store = cjson_str(m, "store");
	src->dest = cjson_str(m, "dest");
	if (!type || (strcmp(type, "url") && strcmp(type, "git")))
		return fail("'type' must be \"url\" or \"git\" (%s)", path);
	if (!src->store || src->store[0] != '/')
		return fail("'store' must be an absolute path (%s)", path);
	if (!src->dest || src->dest[0] != '/')
		return fail("'dest' must be an absolute path (%s)", path);
	src->git = !strcmp(type, "git");
	if (src->git) {
		src->giturl = cjson_str(m, "git");
		src->commit = cjson_str(m, "commit");
		if (!src->giturl || !*src->giturl)
			return fail("a git source needs the string 'git' (%s)", path);
		if (lower_hex(src->commit, 40, hex) < 0)
			return fail("'commit' must be a full commit id of 40 hex digits, "
			    "got '%s' (%s)", src->commit ? src->commit : "(none)", path);
		snprintf(src->key, sizeof(src->key), "git-%s", hex);
	} else {
		src->algo = cjson_str(m, "algo");
		src->hash = cjson_str(m, "hash");
		src->urls = json_object_get(m, "urls");
		if (!src->algo)
			src->algo = "sha256";
		if (!strcmp(src->algo, "sha256"))
			src->halgo = HASH_SHA256;
		else if (!strcmp(src->algo, "sha1"))
			src->halgo = HASH_SHA1;
		else
			return fail("'algo' must be \"sha256\" or \"sha1\", got '%s' (%s)",
			    src->algo, path);
		if (lower_hex(src->hash, src->halgo == HASH_SHA1 ? 40 : 64, src->key) < 0)
			return fail("'hash' must be %d hex digits for %s, got '%s' (%s)",
			    src->halgo == HASH_SHA1 ? 40 : 64, src->algo,
			    src->hash ? src->hash : "(none)", path);
		if (!json_is_array(src->urls) || !json_array_size(src->urls))
			return fail("'urls' must be a non-empty array (%s)", path);
		for (size_t i = 0; i < json_array_size(src->urls); i++)
			if (!json_is_string(json_array_get(src->urls, i)))
				return fail("'urls' must hold strings (%s)", path);
	}
	pk = join(json_object_get(m, "packages"));
	rc = join(json_object_get(m, "recipes"));
	if (*pk && *rc)
		src->who = xasprintf("%s %s (%s %s)", strchr(pk, ',') ? "packages" : "package",
		    pk, strchr(rc, ',') ? "recipes" : "recipe", rc);
	else if (*pk || *rc)
		src->who = xasprintf("%s", *pk ? pk : rc);
	else
		src->who = xasprintf("%s", path);
	free(pk);
	free(rc);
	return 0;
}

/* is dest already there and good? 1 yes, 0 no (absent, or removed when it
 * does not match and rm is set), -1 error */
static int
cached(struct source *src, int rm)
{
	char got[SHA256_HEX];

	if (src->git)
		return fs_exists(src->dest);
	if (hash_file(src->dest, src->halgo, got) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail("read %s:", src->dest);
	}
	if (!strcmp(got, src->key))
		return 1;
	if (!rm)
		return 0;
	warnf("%s in the store does not match: expected %s %s, got %s; removing it and "
	    "fetching again", src->dest, src->algo, src->key, got);
	if (unlink(src->dest) < 0 && errno != ENOENT)
		return fail("remove %s:", src->dest);
	return 0;
}

static int
sink_write(struct sink *s, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	hasher_update(&s->h, p, n);
	s->bytes += (long long)n;
	while (n) {
		w = write(s->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->err = errno;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* decode %XX in a file:// URL's path; returns a new string */
static char *
unescape(const char *s)
{
	struct buf b = BUF_INIT;
	unsigned int c;

	for (; *s; s++) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2]) && sscanf(s + 1, "%2x", &c) == 1) {
			buf_putc(&b, (char)c);
			s += 2;
		} else {
			buf_putc(&b, *s);
		}
	}
	return buf_detach(&b);
}

/* copy a local file (a plain path, or the path of a file:// URL) into s */
static int
fetch_local(const char *url, struct sink *s, struct buf *why)
{
	char tmp[65536], *path;
	ssize_t n;
	int fd, ret = -1;

	if (startswith(url, "file://localhost/"))
		url += strlen("file://localhost");
	else if (startswith(url, "file://"))
		url += strlen("file://");
	if (url[0] != '/') {
		buf_puts(why, "a file:// URL needs an absolute path (file:///PATH)");
		return -1;
	}
	path = unescape(url);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(why, "open %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_printf(why, "read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0) {
			ret = 0;
			break;
		}
		if (sink_write(s, tmp, (size_t)n) < 0) {
			buf_printf(why, "write to the store: %s", strerror(s->err));
			break;
		}
	}
	close(fd);
out:
	free(path);
	return ret;
}

/* libcurl, opened on first use: linking it would slow every pkgtool start */
static struct {
	int state;		/* 0 not tried, 1 loaded, -1 failed */
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
} lc;

/* store dlsym(dl, name) into the function pointer at fp (memcpy: ISO C has
 * no cast from void * to a function pointer) */
static int
sym(void *dl, const char *name, void *fp, size_t size)
{
	void *p = dlsym(dl, name);

	if (!p || size != sizeof(p))
		return -1;
	memcpy(fp, &p, size);
	return 0;
}

static int
curl_load(struct buf *why)
{
	static char err[512];
	void *dl;

	if (lc.state)
		goto done;
	lc.state = -1;
	if (!(dl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL))) {
		snprintf(err, sizeof(err), "cannot load libcurl for http(s) (%s); install "
		    "the Debian package libcurl4 (apt-get install libcurl4)", dlerror());
		goto done;
	}
	if (sym(dl, "curl_global_init", &lc.global_init, sizeof(lc.global_init)) ||
	    sym(dl, "curl_easy_init", &lc.easy_init, sizeof(lc.easy_init)) ||
	    sym(dl, "curl_easy_setopt", &lc.easy_setopt, sizeof(lc.easy_setopt)) ||
	    sym(dl, "curl_easy_perform", &lc.easy_perform, sizeof(lc.easy_perform)) ||
	    sym(dl, "curl_easy_getinfo", &lc.easy_getinfo, sizeof(lc.easy_getinfo)) ||
	    sym(dl, "curl_easy_strerror", &lc.easy_strerror, sizeof(lc.easy_strerror)) ||
	    sym(dl, "curl_easy_cleanup", &lc.easy_cleanup, sizeof(lc.easy_cleanup))) {
		snprintf(err, sizeof(err), "libcurl.so.4 lacks a function (%s); reinstall "
		    "the Debian package libcurl4", dlerror());
		goto done;
	}
	if (lc.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, sizeof(err), "curl_global_init failed");
		goto done;
	}
	/* loaded until exit: libcurl and its TLS library do not support unloading */
	lc.state = 1;
done:
	if (lc.state < 0)
		buf_puts(why, err);
	return lc.state > 0 ? 0 : -1;
}

static size_t
curl_write(char *p, size_t size, size_t n, void *arg)
{
	return sink_write(arg, p, size * n) < 0 ? 0 : size * n;
}

static int
fetch_http(const char *url, struct sink *s, struct buf *why)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *c;
	long code = 0;

	if (curl_load(why) < 0)
		return -1;
	if (!(c = lc.easy_init())) {
		buf_puts(why, "curl_easy_init failed");
		return -1;
	}
	lc.easy_setopt(c, CURLOPT_URL, url);
	lc.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_write);
	lc.easy_setopt(c, CURLOPT_WRITEDATA, (void *)s);
	lc.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	lc.easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	/* a redirect must not lead to file:// or other schemes (libcurl >= 7.85) */
	lc.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	lc.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* abort a transfer slower than 1 KiB/s for a minute */
	lc.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	lc.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	lc.easy_setopt(c, CURLOPT_USERAGENT, "pkgtool");
	lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = lc.easy_perform(c);
	if (rc != CURLE_OK) {
		lc.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_HTTP_RETURNED_ERROR && code)
			buf_printf(why, "HTTP %ld", code);
		else if (rc == CURLE_WRITE_ERROR && s->err)
			buf_printf(why, "write to the store: %s", strerror(s->err));
		else
			buf_puts(why, errbuf[0] ? errbuf : lc.easy_strerror(rc));
	}
	lc.easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

static int
is_http(const char *url)
{
	return startswith(url, "http://") || startswith(url, "https://");
}

/* fetch url into a temp file and, when it verifies, rename it to dest.
 * 0 done; -1 failed with the reason in why (mismatch set on a wrong hash) */
int
fetch_try_url(struct source *src, const char *url, struct buf *why, int *mismatch)
{
	struct sink s;
	char got[SHA256_HEX], *tmp;
	int r;

	if (is_http(url) && fetch_offline()) {
		buf_puts(why, "network use is forbidden by PKGTOOL_OFFLINE=1");
		return -1;
	}
	if (!is_http(url) && !startswith(url, "file://") && url[0] != '/') {
		buf_puts(why, "unsupported URL (expected http://, https://, file:// or an "
		    "absolute path)");
		return -1;
	}
	tmp = xasprintf("%s/tmp/fetch-%.16s-XXXXXX", src->store, src->key);
	s.fd = mkostemp(tmp, O_CLOEXEC);
	if (s.fd < 0) {
		r = fail("create a temp file %s:", tmp);
		free(tmp);
		return r;
	}
	fetch_tmp_track(tmp);
	s.bytes = 0;
	s.err = 0;
	hasher_init(&s.h, src->halgo);
	r = is_http(url) ? fetch_http(url, &s, why) : fetch_local(url, &s, why);
	hasher_final(&s.h, got);
	if (r == 0 && src->git) {
		/* a mirrored git tarball: it must be the pinned commit's */
		char commit[ARCHIVE_GOT_MAX];

		if (archive_git_commit(tmp, commit) < 0 || strcmp(commit, src->key + 4)) {
			buf_printf(why, "expected the git archive of commit %s, got %s", src->key + 4,
			    commit);
			*mismatch = 1;
			r = -1;
		}
	} else if (r == 0 && strcmp(got, src->key)) {
		buf_printf(why, "expected %s %s, got %s", src->algo, src->key, got);
		*mismatch = 1;
		r = -1;
	}
	/* from here on a failure is the store's, not the URL's: no reason in why */
	if (r == 0 && (fchmod(s.fd, 0644) < 0 || (fs_durable() && fsync(s.fd) < 0)))
		r = fail("write %s:", tmp);
	if (close(s.fd) < 0 && r == 0)
		r = fail("write %s:", tmp);
	if (r == 0 && rename(tmp, src->dest) < 0)
		r = fail("rename %s to %s:", tmp, src->dest);
	if (r < 0)
		unlink(tmp);
	else
		if (fs_durable())
			fs_sync_parent(src->dest);
	fetch_tmp_track(NULL);
	if (r == 0 && is_http(url))
		notef("fetched %s (%lld bytes)", url, s.bytes);
	free(tmp);
	return r;
}

/* try every URL (each mirror:// expanded) in order until one verifies */
static int
fetch_url(struct source *src)
{
	struct buf fails = BUF_INIT, bad = BUF_INIT, why = BUF_INIT;
	int mismatch, blocked = 0, done = 0, ret = 0;
	char **urls;
	size_t i, j;

	for (i = 0; !done && ret == 0 && i < json_array_size(src->urls); i++) {
		const char *u = json_string_value(json_array_get(src->urls, i));

		if (!(urls = mirror_expand(u))) {
			buf_printf(&fails, "\n  %s: no such mirror (see above)", u);
			continue;
		}
		for (j = 0; !done && urls[j]; j++) {
			buf_reset(&why);
			mismatch = 0;
			if (fetch_try_url(src, urls[j], &why, &mismatch) == 0) {
				done = 1;
				break;
			}
			if (!why.len) {	/* a store error, already reported */
				ret = -1;
				break;
			}
			if (is_http(urls[j]) && fetch_offline())
				blocked = 1;
			buf_printf(&fails, "\n  %s: %s", urls[j], why.s);
			if (strcmp(urls[j], u))
				buf_printf(&fails, " (from %s)", u);
			if (mismatch)
				buf_printf(&bad, "%s%s: %s", bad.len ? "; " : "", urls[j], why.s);
		}
		mirror_free(urls);
	}
	/* last, a content-addressed mirror (pkgtool mirror's layout): it serves
	 * any URL's content, so an air-gapped site needs only this one */
	if (!done && ret == 0) {
		urls = mirror_hashed(src->algo, src->key);
		for (j = 0; !done && urls[j]; j++) {
			buf_reset(&why);
			mismatch = 0;
			if (fetch_try_url(src, urls[j], &why, &mismatch) == 0) {
				done = 1;
				break;
			}
			if (!why.len) {
				ret = -1;
				break;
			}
			buf_printf(&fails, "\n  %s: %s (mirror hashed)", urls[j], why.s);
		}
		mirror_free(urls);
	}
	if (done && bad.len)
		warnf("%s: wrong content for %s: %s", src->dest, src->who, bad.s);
	if (!done && ret == 0) {
		ret = fail("no URL gave %s %s for %s (dest %s):%s%s", src->algo, src->key,
		    src->who, src->dest, buf_str(&fails),
		    blocked ? "\n  offline: run `ninja fetch` while online, or point "
		    "PKGTOOL_MIRRORS at a file:// mirror (NAME=file:///PATH)" : "");
	}
	buf_release(&fails);
	buf_release(&bad);
	buf_release(&why);
	return ret;
}

/* STORE/{locks,tmp,sources/ALGO}/ */
static int
mkdirs(struct source *src)
{
	const char *sub[] = {"locks", "tmp", "sources/sha256", "sources/sha1", "sources/git"};
	char *p;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < LEN(sub); i++) {
		p = xasprintf("%s/%s", src->store, sub[i]);
		r = fs_mkdirs(p, 0755);
		free(p);
	}
	return r ? r : fs_mkparent(src->dest);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pkgtool fetch MANIFEST\n\n"
	    "Download the source a fetch manifest (.pkggen/fetch/KEY.json) names into\n"
	    "the store, verify its hash, and rename it to the manifest's dest. A dest\n"
	    "that already verifies is left untouched.\n\n"
	    "environment:\n"
	    "  PKGTOOL_MIRRORS  NAME=BASE [BASE...];...  bases for mirror://NAME/PATH\n"
	    "  PKGTOOL_OFFLINE  1: no network (file:// URLs and paths still work)\n"
	    "  PKGTOOL_APT_ETC  apt's directory for mirror://debian (default /etc/apt)\n");
}

int
cmd_fetch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct source src;
	json_t *m;
	char *lock;
	int c, r, fd = -1, ret;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!(m = manifest_load(argv[optind])))
		return 2;
	memset(&src, 0, sizeof(src));
	/* a pipeline's mirrors: come after the environment's, which a site controls */
	if (cjson_str(m, "mirrors") && *cjson_str(m, "mirrors")) {
		const char *env = getenv("PKGTOOL_MIRRORS");
		char *all = env && *env ? xasprintf("%s;%s", env, cjson_str(m, "mirrors")) :
		    xstrdup(cjson_str(m, "mirrors"));

		setenv("PKGTOOL_MIRRORS", all, 1);
		free(all);
	}
	if (source_init(&src, m, argv[optind]) < 0) {
		ret = 2;
		goto out;
	}
	/* the common case, with no lock and no directory created: Ninja ran us
	 * because the manifest changed, but the source is already here */
	if ((r = cached(&src, 0)) != 0) {
		ret = r < 0 ? -1 : 0;
		goto out;
	}
	if ((ret = mkdirs(&src)) < 0)
		goto out;
	lock = xasprintf("%s/locks/%s.lock", src.store, src.key);
	fd = fs_lock(lock, LOCK_EX);
	if (fd < 0)
		ret = fail("lock %s:", lock);
	free(lock);
	if (ret < 0)
		goto out;
	/* another process may have fetched it while we waited */
	if ((r = cached(&src, 1)) != 0) {
		ret = r < 0 ? -1 : 0;
		goto out;
	}
	ret = src.git ? fetch_gitsrc(&src) : fetch_url(&src);
out:
	if (fd >= 0)
		close(fd);
	free(src.who);
	json_decref(m);
	return ret;
}
