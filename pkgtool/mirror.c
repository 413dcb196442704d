/* SPDX-License-Identifier: MIT */
/* mirror: expand mirror://NAME/PATH through PKGTOOL_MIRRORS and apt's sources (SPEC §7) */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fs.h"
#include "pkgtool.h"
#include "util.h"

/* a growable NULL-terminated array of owned strings */
struct list {
	char **v;
	size_t len, cap;
};

static void
list_add(struct list *l, char *s)
{
	if (l->len + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->len++] = s;
	l->v[l->len] = NULL;
}

/* add s (taking it) unless the list already holds it */
static void
list_add_uniq(struct list *l, char *s)
{
	size_t i;

	for (i = 0; i < l->len; i++) {
		if (!strcmp(l->v[i], s)) {
			free(s);
			return;
		}
	}
	list_add(l, s);
}

static void
list_release(struct list *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->len = l->cap = 0;
}

static char *
skipspace(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* next whitespace-separated word of *sp, NUL-terminated in place, or NULL */
static char *
word(char **sp)
{
	char *s = skipspace(*sp), *w;

	if (!*s)
		return NULL;
	w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	*sp = s;
	return w;
}

/* an apt URI we can fetch from, as a base URL without trailing '/'; NULL for
 * cdrom:, mirror+..., tor+... and the like */
static char *
apt_base(const char *uri)
{
	char *b;
	size_t n;

	if (startswith(uri, "http://") || startswith(uri, "https://") ||
	    startswith(uri, "file:///"))
		b = xstrdup(uri);
	else if (startswith(uri, "file:/"))	/* apt also writes file:/srv/x */
		b = xasprintf("file://%s", uri + 5);
	else
		return NULL;
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

/* security archives hold only security updates, never the source pool's tarballs */
static int
security_only(char *suites)
{
	char *s = suites, *w;
	int n = 0;

	while ((w = word(&s))) {
		if (!endswith(w, "-security") && !endswith(w, "/updates"))
			return 0;
		n++;
	}
	return n > 0;
}

/* one-line format: "deb [opts] URI SUITE COMP..." */
static void
parse_list(char *text, struct list *out)
{
	char *line, *next, *s, *type, *uri, *suite, *c;

	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if ((c = strchr(line, '#')))
			*c = '\0';
		s = line;
		type = word(&s);
		if (!type || (strcmp(type, "deb") && strcmp(type, "deb-src")))
			continue;
		s = skipspace(s);
		if (*s == '[') {
			if (!(c = strchr(s, ']')))
				continue;
			s = c + 1;
		}
		uri = word(&s);
		suite = word(&s);
		if (!uri || !suite || security_only(suite))
			continue;
		if ((c = apt_base(uri)))
			list_add_uniq(out, c);
	}
}

struct stanza {
	struct buf types, uris, suites, enabled;
};

static void
stanza_flush(struct stanza *st, struct list *out)
{
	char *types = st->types.s, *uris = st->uris.s, *w, *b, *t;
	int deb = 0;

	if (types && uris && st->suites.s && !security_only(st->suites.s) &&
	    !(st->enabled.s && !strcasecmp(skipspace(st->enabled.s), "no"))) {
		while ((t = word(&types)))
			if (!strcmp(t, "deb") || !strcmp(t, "deb-src"))
				deb = 1;
		while (deb && (w = word(&uris)))
			if ((b = apt_base(w)))
				list_add_uniq(out, b);
	}
	buf_release(&st->types);
	buf_release(&st->uris);
	buf_release(&st->suites);
	buf_release(&st->enabled);
}

/* deb822 format: stanzas of "Key: value" (continued on indented lines),
 * separated by blank lines */
static void
parse_sources(char *text, struct list *out)
{
	struct stanza st = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
	struct buf *field = NULL;
	char *line, *next, *colon;

	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#')
			continue;
		rtrim(line);
		if (!line[0]) {
			stanza_flush(&st, out);
			field = NULL;
			continue;
		}
		if (isspace((unsigned char)line[0])) {
			if (field) {
				buf_putc(field, ' ');
				buf_puts(field, skipspace(line));
			}
			continue;
		}
		if (!(colon = strchr(line, ':'))) {
			field = NULL;
			continue;
		}
		*colon = '\0';
		if (!strcasecmp(line, "Types"))
			field = &st.types;
		else if (!strcasecmp(line, "URIs"))
			field = &st.uris;
		else if (!strcasecmp(line, "Suites"))
			field = &st.suites;
		else if (!strcasecmp(line, "Enabled"))
			field = &st.enabled;
		else
			field = NULL;
		if (field) {
			buf_reset(field);
			buf_puts(field, skipspace(colon + 1));
		}
	}
	stanza_flush(&st, out);
}

static void
parse_file(const char *path, struct list *out)
{
	struct buf b = BUF_INIT;

	if (fs_read(path, &b) == 0) {
		if (endswith(path, ".sources"))
			parse_sources(b.s, out);
		else
			parse_list(b.s, out);
	}
	buf_release(&b);
}

static int
apt_file(const struct dirent *e)
{
	return e->d_name[0] != '.' &&
	    (endswith(e->d_name, ".list") || endswith(e->d_name, ".sources"));
}

/* the archives apt's sources name, in apt's order (sources.list, then
 * sources.list.d/ by name), deduplicated, security-only archives left out */
static void
apt_bases(struct list *out)
{
	const char *etc = getenv("PKGTOOL_APT_ETC");
	struct dirent **ents;
	char *path, *dir;
	int i, n;

	if (!etc || !*etc)
		etc = "/etc/apt";
	path = xasprintf("%s/sources.list", etc);
	parse_file(path, out);
	free(path);
	dir = xasprintf("%s/sources.list.d", etc);
	n = scandir(dir, &ents, apt_file, alphasort);
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, ents[i]->d_name);
		parse_file(path, out);
		free(path);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	free(dir);
}

/* PKGTOOL_MIRRORS="NAME=BASE [BASE...];NAME=BASE": the bases of name, in order,
 * into out; every name seen into known */
static void
env_bases(const char *name, struct list *out, struct list *known)
{
	const char *env = getenv("PKGTOOL_MIRRORS");
	char *copy, *ent, *next, *eq, *n, *w, *s;
	size_t len;

	if (!env)
		return;
	copy = xstrdup(env);
	for (ent = copy; ent; ent = next) {
		next = strpbrk(ent, ";\n");
		if (next)
			*next++ = '\0';
		if (!(eq = strchr(ent, '=')))
			continue;
		*eq = '\0';
		n = skipspace(ent);
		rtrim(n);
		if (!*n)
			continue;
		list_add_uniq(known, xstrdup(n));
		if (strcmp(n, name))
			continue;
		s = eq + 1;
		while ((w = word(&s))) {
			len = strlen(w);
			while (len > 0 && w[len - 1] == '/')
				w[--len] = '\0';
			if (len)
				list_add_uniq(out, xstrdup(w));
		}
	}
	free(copy);
}

char **
mirror_expand(const char *url)
{
	struct list out = {NULL, 0, 0}, bases = {NULL, 0, 0}, known = {NULL, 0, 0};
	const char *rest, *slash, *path;
	struct buf b = BUF_INIT;
	char *name;
	size_t i;

	if (!startswith(url, "mirror://")) {
		list_add(&out, xstrdup(url));
		return out.v;
	}
	rest = url + strlen("mirror://");
	slash = strchr(rest, '/');
	if (!slash || slash == rest || !slash[1]) {
		fail("bad mirror URL '%s' (expected mirror://NAME/PATH)", url);
		return NULL;
	}
	name = xstrndup(rest, (size_t)(slash - rest));
	for (path = slash; *path == '/'; path++)
		;
	env_bases(name, &bases, &known);
	if (!bases.len && !strcmp(name, "debian"))
		apt_bases(&bases);
	if (!bases.len) {
		if (strcmp(name, "debian")) {
			apt_bases(&bases);
			if (bases.len)
				list_add_uniq(&known, xstrdup("debian"));
			list_release(&bases);
		}
		for (i = 0; i < known.len; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", known.v[i]);
		fail("unknown mirror '%s' in %s (known: %s); set PKGTOOL_MIRRORS='%s=BASE_URL"
		    "[ BASE_URL...][;NAME=...]'%s", name, url, b.len ? b.s : "none", name,
		    strcmp(name, "debian") ? "" : " (apt's sources name no Debian archive)");
		buf_release(&b);
		list_release(&known);
		free(name);
		return NULL;
	}
	for (i = 0; i < bases.len; i++)
		list_add(&out, xasprintf("%s/%s", bases.v[i], path));
	list_release(&bases);
	list_release(&known);
	free(name);
	return out.v;
}

void
mirror_free(char **urls)
{
	size_t i;

	if (!urls)
		return;
	for (i = 0; urls[i]; i++)
		free(urls[i]);
	free(urls);
}

char **
mirror_hashed(const char *algo, const char *hex)
{
	struct list bases = {NULL, 0, 0}, known = {NULL, 0, 0}, out = {NULL, 0, 0};
	size_t i;

	env_bases("hashed", &bases, &known);
	for (i = 0; i < bases.len; i++)
		list_add(&out, xasprintf("%s/%s/%s", bases.v[i], algo, hex));
	list_release(&bases);
	list_release(&known);
	if (!out.len)
		list_add(&out, NULL);	/* an empty, NULL-terminated array */
	return out.v;
}
