/* SPDX-License-Identifier: MIT */
/* recipe: parse and validate package.yaml (SPEC §2), every error at FILE:LINE:COL */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cjson.h"
#include "gen.h"
#include "sha256.h"
#include "util.h"

static const char *const top_keys[] = {
	"name", "version", "kind", "summary", "depends", "build_depends", "platforms",
	"sources", "patches", "build", "variants", "env", "config", "templates",
	"lifecycle", "interceptor", "requires_executables", "mpi",
};
static const char *const source_keys[] = {
	"url", "sha256", "sha1", "extract", "strip", "git", "commit", "path",
};
static const char *const param_keys[] = {
	"name", "type", "default", "range", "choices", "required", "secret", "aliases", "msg",
};
static const char *const lifecycle_keys[] = {
	"configure", "start", "ready", "status", "stop", "kill", "clean", "stats",
};
static const char *const template_keys[] = {"src", "dest"};
static const char *const interceptor_keys[] = {"preload"};
static const char *const kinds[] = {"library", "application", "service", "interceptor"};
static const char *const platforms[] = {"linux", "linux-x86_64", "linux-aarch64", "generic"};
static const char *const ptypes[] = {"str", "int", "float", "bool", "list", "size", "path"};

struct ctx {
	struct arena *a;	/* what the recipe keeps */
	struct arena *s;	/* scratch: the YAML tree, and what dies with it */
	struct diag *d;
	struct recipe *r;
	const struct ynode *base, *var;	/* the recipe's map and the variant's (or NULL) */
};

const char *
param_type_name(enum param_type t)
{
	return ptypes[t];
}

static void
one_of(struct ctx *c, const struct ynode *n, const char *what, const char *const *list, size_t len)
{
	struct buf b = BUF_INIT;
	const char *s = suggest(n->str, list, len);
	size_t i;

	for (i = 0; i < len; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", list[i]);
	if (s)
		diag_error(c->d, n->mark, "%s '%s' is not one of %s; did you mean '%s'?", what,
		    n->str, b.s, s);
	else
		diag_error(c->d, n->mark, "%s '%s' is not one of %s", what, n->str, b.s);
	buf_release(&b);
}

/* report every key of map that is not in keys; where names what the map is */
static void
check_keys(struct ctx *c, const struct ynode *map, const char *const *keys, size_t n,
    const char *where)
{
	size_t i;

	for (i = 0; i < map->n; i += 2) {
		const struct ynode *k = map->items[i];
		const char *s;

		if (str_in_list(k->str, keys, n))
			continue;
		s = suggest(k->str, keys, n);
		if (s)
			diag_error(c->d, k->mark, "unknown key '%s' in %s; did you mean '%s'?",
			    k->str, where, s);
		else
			diag_error(c->d, k->mark, "unknown key '%s' in %s", k->str, where);
	}
}

/* the value of a top-level key, the variant's first */
static const struct ynode *
get(struct ctx *c, const char *key)
{
	const struct ynode *n = c->var ? ymap_get(c->var, key) : NULL;

	return n ? n : ymap_get(c->base, key);
}

/* the mark of a top-level key (the variant's first) */
static struct mark
keymark(struct ctx *c, const char *key)
{
	const struct ynode *maps[2] = {c->var, c->base};
	size_t i, j;

	for (j = 0; j < 2; j++)
		for (i = 0; maps[j] && i < maps[j]->n; i += 2)
			if (!strcmp(maps[j]->items[i]->str, key))
				return maps[j]->items[i]->mark;
	return c->base->mark;
}

/* s (or NULL) copied out of the YAML tree into what the recipe keeps */
static const char *
keep(struct ctx *c, const char *s)
{
	return s ? arena_strdup(c->a, s) : NULL;
}

static const char *
want_str(struct ctx *c, const struct ynode *n, const char *key)
{
	if (n->type != Y_SCALAR) {
		diag_error(c->d, n->mark, "'%s' must be a string, not %s", key, ytype_name(n));
		return NULL;
	}
	return n->str;
}

static int
want_bool(struct ctx *c, const struct ynode *n, const char *key, int *out)
{
	static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "on"};
	static const char *const f[] = {"false", "False", "FALSE", "no", "No", "off"};

	if (n->type == Y_SCALAR && str_in_list(n->str, t, LEN(t)))
		return *out = 1, 0;
	if (n->type == Y_SCALAR && str_in_list(n->str, f, LEN(f)))
		return *out = 0, 0;
	diag_error(c->d, n->mark, "'%s' must be true or false, not '%s'", key,
	    n->type == Y_SCALAR ? n->str : ytype_name(n));
	return -1;
}

static int
parse_int(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s && !*end && !errno && !isspace((unsigned char)*s) ? 0 : -1;
}

static int
want_int(struct ctx *c, const struct ynode *n, const char *key, long long *out)
{
	if (n->type != Y_SCALAR || parse_int(n->str, out) < 0) {
		diag_error(c->d, n->mark, "'%s' must be a whole number, not '%s'", key,
		    n->type == Y_SCALAR ? n->str : ytype_name(n));
		return -1;
	}
	return 0;
}

/* a list of strings; NULL (error given) when n is not one */
static const char **
want_strlist(struct ctx *c, const struct ynode *n, const char *key, size_t *len)
{
	const char **v;
	size_t i;

	*len = 0;
	if (n->type != Y_SEQ) {
		diag_error(c->d, n->mark, "'%s' must be a list of strings, not %s", key,
		    ytype_name(n));
		return NULL;
	}
	v = arena_alloc(c->a, (n->n + 1) * sizeof(*v));
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->type != Y_SCALAR) {
			diag_error(c->d, n->items[i]->mark, "items of '%s' must be strings, not %s",
			    key, ytype_name(n->items[i]));
			continue;
		}
		v[(*len)++] = keep(c, n->items[i]->str);
	}
	return v;
}

static int
want_map(struct ctx *c, const struct ynode *n, const char *key)
{
	if (n->type != Y_MAP) {
		diag_error(c->d, n->mark, "'%s' must be a mapping, not %s", key, ytype_name(n));
		return -1;
	}
	return 0;
}

/* the absolute path of rel inside the package dir (and its stat in *stp,
 * when not NULL); error when it is missing */
static const char *
pkgfile(struct ctx *c, const struct ynode *n, const char *what, int want_dir, struct stat *stp)
{
	const char *p;
	struct stat st;

	if (n->str[0] == '/')
		p = n->str;
	else
		p = arena_cat(c->s, c->r->dir, "/", n->str);
	if (stat(p, &st) < 0) {
		diag_error(c->d, n->mark, "%s '%s' does not exist (looked for %s)", what, n->str, p);
		return NULL;
	}
	if (want_dir == 0 && S_ISDIR(st.st_mode)) {
		diag_error(c->d, n->mark, "%s '%s' is a directory; expected a file", what, n->str);
		return NULL;
	}
	if (stp)
		*stp = st;
	/* drop a trailing slash so paths compare and print cleanly */
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		len--;
	return arena_strndup(c->a, p, len);
}

static int
is_archive_name(const char *s)
{
	static const char *const ext[] = {
		".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst",
		".tar.lz", ".tar.lzma", ".zip",
	};
	size_t i;

	for (i = 0; i < LEN(ext); i++)
		if (endswith(s, ext[i]))
			return 1;
	return 0;
}

static const char *
url_basename(struct arena *a, const char *url)
{
	const char *end = url + strcspn(url, "?#"), *s = end;

	while (s > url && s[-1] != '/')
		s--;
	return s < end ? arena_strndup(a, s, (size_t)(end - s)) : "source";
}

static int
valid_hash(struct ctx *c, const struct ynode *n, const char *algo, size_t len)
{
	if (n->type != Y_SCALAR || !is_hex(n->str, len)) {
		diag_error(c->d, n->mark, "%s must be %zu hex digits, not '%s'", algo, len,
		    n->type == Y_SCALAR ? n->str : ytype_name(n));
		return 0;
	}
	return 1;
}

static void
parse_source(struct ctx *c, const struct ynode *n, struct source *s)
{
	const struct ynode *url = ymap_get(n, "url"), *git = ymap_get(n, "git"),
	    *path = ymap_get(n, "path"), *v;
	int kinds_given = !!url + !!git + !!path;
	size_t i;

	s->mark = n->mark;
	s->strip = 1;
	check_keys(c, n, source_keys, LEN(source_keys), "a source");
	if (kinds_given != 1) {
		if (kinds_given)
			diag_error(c->d, n->mark, "a source has exactly one of 'url', 'git' or 'path'; "
			    "this one has %s%s%s%s%s; split it into %d sources", url ? "'url'" : "",
			    url && (git || path) ? " and " : "", git ? "'git'" : "",
			    git && path ? " and " : "", path ? "'path'" : "", kinds_given);
		else
			diag_error(c->d, n->mark, "a source needs one of 'url', 'git' or 'path'");
		return;
	}
	if (url) {
		static const char *const schemes[] = {"http://", "https://", "file://", "mirror://"};
		int ok = 0;

		s->type = SRC_URL;
		if (!(s->url = keep(c, want_str(c, url, "url"))))
			return;
		for (i = 0; i < LEN(schemes); i++)
			ok |= startswith(s->url, schemes[i]);
		if (!ok && s->url[0] != '/') {
			diag_error(c->d, url->mark, "url '%s' must start with http://, https://, "
			    "file://, mirror://NAME/ or /", s->url);
			return;
		}
		if (startswith(s->url, "mirror://") && !strchr(s->url + 9, '/')) {
			diag_error(c->d, url->mark, "url '%s' must have the form mirror://NAME/PATH",
			    s->url);
			return;
		}
		s->name = url_basename(c->a, s->url);
		if ((v = ymap_get(n, "sha256"))) {
			if (!valid_hash(c, v, "sha256", 64))
				return;
			s->algo = "sha256";
			s->hash = v->str;
		} else if ((v = ymap_get(n, "sha1"))) {
			if (!valid_hash(c, v, "sha1", 40))
				return;
			diag_warning(c->d, v->mark, "sha1 is weak (accepted for pkgpanda "
			    "compatibility); give sha256 instead");
			s->algo = "sha1";
			s->hash = v->str;
		} else {
			diag_error(c->d, url->mark, "url source '%s' needs 'sha256:' (the SHA-256 of "
			    "the file, 64 hex digits)", s->url);
			return;
		}
		char *low = arena_strdup(c->a, s->hash);
		for (i = 0; low[i]; i++)
			low[i] = (char)tolower((unsigned char)low[i]);
		s->hash = low;
		s->extract = is_archive_name(s->name);
	} else if (git) {
		s->type = SRC_GIT;
		if (!(s->git = keep(c, want_str(c, git, "git"))))
			return;
		s->name = url_basename(c->a, s->git);
		v = ymap_get(n, "commit");
		if (!v) {
			diag_error(c->d, git->mark, "git source '%s' needs 'commit:' with a full "
			    "commit id (40 hex digits)", s->git);
			return;
		}
		if (v->type != Y_SCALAR || !is_hex(v->str, 40)) {
			diag_error(c->d, v->mark, "commit '%s' is not a full commit id (40 hex digits); "
			    "a branch or tag name can move, so pin the commit it points to",
			    v->type == Y_SCALAR ? v->str : ytype_name(v));
			return;
		}
		s->commit = keep(c, v->str);
		s->extract = 1;
	} else {
		s->type = SRC_PATH;
		if (!want_str(c, path, "path") || !(s->path = pkgfile(c, path, "path", 1, &s->st)))
			return;
		s->have_st = 1;
		s->name = fs_basename_arena(c->a, s->path);
		s->extract = 0;
	}
	if ((v = ymap_get(n, "sha256")) && s->type != SRC_URL)
		diag_error(c->d, v->mark, "'sha256' belongs to url sources only");
	if ((v = ymap_get(n, "commit")) && s->type != SRC_GIT)
		diag_error(c->d, v->mark, "'commit' belongs to git sources only");
	if ((v = ymap_get(n, "extract"))) {
		if (s->type == SRC_PATH)
			diag_error(c->d, v->mark, "'extract' does not apply to path sources");
		else
			want_bool(c, v, "extract", &s->extract);
	}
	if ((v = ymap_get(n, "strip"))) {
		long long x;

		if (want_int(c, v, "strip", &x) == 0) {
			if (x < 0 || x > 16)
				diag_error(c->d, v->mark, "'strip' must be between 0 and 16, not %lld", x);
			s->strip = (int)x;
		}
	}
}

static void
parse_deps(struct ctx *c, const struct ynode *n, const char *key, struct depspec **out,
    size_t *len)
{
	size_t i;

	*len = 0;
	if (n->type != Y_SEQ) {
		diag_error(c->d, n->mark, "'%s' must be a list of strings like \"libfoo >= 1.2\", "
		    "not %s", key, ytype_name(n));
		return;
	}
	*out = arena_alloc(c->a, n->n * sizeof(**out));
	for (i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		struct depspec *ds = &(*out)[*len];
		char *err = NULL, *text, *colon;
		const char *name;

		if (it->type != Y_SCALAR) {
			diag_error(c->d, it->mark, "items of '%s' must be strings like \"libfoo >= 1.2\", "
			    "not %s", key, ytype_name(it));
			continue;
		}
		/* NAME:VARIANT and REPO.NAME are taken apart before the constraint parser */
		text = arena_strdup(c->s, it->str);
		ds->text = keep(c, it->str);
		ds->mark = it->mark;
		name = text + strspn(text, " \t");
		colon = strchr(name, ':');
		if (colon && (size_t)(colon - name) < strcspn(name, " \t=!<>")) {
			size_t vl = strcspn(colon + 1, " \t=!<>,");

			ds->variant = arena_strndup(c->a, colon + 1, vl);
			memmove(colon, colon + 1 + vl, strlen(colon + 1 + vl) + 1);
		}
		if (dep_parse(text, &ds->dep, &err) < 0) {
			diag_error(c->d, it->mark, "%s", err);
			free(err);
			continue;
		}
		/* the dep struct's strings are heap-owned: move them into the arena */
		{
			struct dep tmp = ds->dep;
			size_t k;

			ds->dep.name = arena_strdup(c->a, tmp.name);
			ds->dep.cons = arena_alloc(c->a, (tmp.ncons + 1) * sizeof(*tmp.cons));
			for (k = 0; k < tmp.ncons; k++) {
				ds->dep.cons[k].op = tmp.cons[k].op;
				ds->dep.cons[k].version = arena_strdup(c->a, tmp.cons[k].version);
			}
			dep_release(&tmp);
		}
		(*len)++;
	}
}

static int
valid_envname(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void
parse_params(struct ctx *c, const struct ynode *n)
{
	struct recipe *r = c->r;
	size_t i, j;

	if (n->type != Y_SEQ) {
		diag_error(c->d, n->mark, "'config' must be a list of parameters, not %s",
		    ytype_name(n));
		return;
	}
	r->params = arena_alloc(c->a, (n->n + 1) * sizeof(*r->params));
	for (i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i], *v;
		struct param *p = &r->params[r->nparams];

		if (want_map(c, it, "config") < 0)
			continue;
		check_keys(c, it, param_keys, LEN(param_keys), "a config parameter");
		p->mark = it->mark;
		v = ymap_get(it, "name");
		if (!v) {
			diag_error(c->d, it->mark, "a config parameter needs 'name:'");
			continue;
		}
		if (!(p->name = keep(c, want_str(c, v, "name"))))
			continue;
		if (!valid_envname(p->name)) {
			diag_error(c->d, v->mark, "parameter name '%s' must be letters, digits and _, "
			    "starting with a letter or _", p->name);
			continue;
		}
		for (j = 0; j < r->nparams; j++)
			if (!strcmp(r->params[j].name, p->name))
				diag_error(c->d, v->mark, "parameter '%s' is defined twice (first at "
				    "line %d)", p->name, r->params[j].mark.line);
		p->type = P_STR;
		if ((v = ymap_get(it, "type"))) {
			for (j = 0; j < LEN(ptypes); j++)
				if (v->type == Y_SCALAR && !strcmp(v->str, ptypes[j]))
					break;
			if (j == LEN(ptypes)) {
				if (v->type == Y_SCALAR)
					one_of(c, v, "type", ptypes, LEN(ptypes));
				else
					diag_error(c->d, v->mark, "'type' must be a string");
				continue;
			}
			p->type = (enum param_type)j;
		}
		if ((v = ymap_get(it, "required")))
			want_bool(c, v, "required", &p->required);
		if ((v = ymap_get(it, "secret")))
			want_bool(c, v, "secret", &p->secret);
		if ((v = ymap_get(it, "msg")))
			p->msg = keep(c, want_str(c, v, "msg"));
		if ((v = ymap_get(it, "aliases")))
			p->aliases = want_strlist(c, v, "aliases", &p->naliases);
		if ((v = ymap_get(it, "range"))) {
			if (p->type != P_INT && p->type != P_FLOAT && p->type != P_SIZE) {
				diag_error(c->d, v->mark, "'range' applies to int, float and size "
				    "parameters, not %s", ptypes[p->type]);
			} else if (v->type != Y_SEQ || v->n != 2 || param_value_fits(v->items[0], p->type) ||
			    param_value_fits(v->items[1], p->type)) {
				diag_error(c->d, v->mark, "'range' must be [LOW, HIGH], each %s",
				    param_expect(p->type));
			} else if (param_num(v->items[0], p->type) > param_num(v->items[1], p->type)) {
				diag_error(c->d, v->mark, "'range' [%s, %s] is empty: LOW is above HIGH",
				    v->items[0]->str, v->items[1]->str);
			} else {
				p->range = ynode_copy(c->a, v);
			}
		}
		if ((v = ymap_get(it, "choices"))) {
			if (v->type != Y_SEQ || !v->n) {
				diag_error(c->d, v->mark, "'choices' must be a non-empty list");
			} else {
				for (j = 0; j < v->n; j++)
					if (param_value_fits(v->items[j], p->type))
						diag_error(c->d, v->items[j]->mark, "choice '%s' is not %s",
						    v->items[j]->type == Y_SCALAR ? v->items[j]->str : "(a list)",
						    param_expect(p->type));
				p->choices = ynode_copy(c->a, v);
			}
		}
		if ((v = ymap_get(it, "default")) && !ynull(v)) {
			if (param_value_fits(v, p->type)) {
				diag_error(c->d, v->mark, "default '%s' of parameter '%s' is not %s",
				    v->type == Y_SCALAR ? v->str : ytype_name(v), p->name,
				    param_expect(p->type));
			} else {
				p->def = ynode_copy(c->a, v);
				if (p->range && (param_num(v, p->type) < param_num(p->range->items[0], p->type) ||
				    param_num(v, p->type) > param_num(p->range->items[1], p->type)))
					diag_error(c->d, v->mark, "default %s of parameter '%s' is outside "
					    "its range [%s, %s]", v->str, p->name, p->range->items[0]->str,
					    p->range->items[1]->str);
				if (p->choices && v->type == Y_SCALAR) {
					for (j = 0; j < p->choices->n; j++)
						if (p->choices->items[j]->type == Y_SCALAR &&
						    !strcmp(p->choices->items[j]->str, v->str))
							break;
					if (j == p->choices->n) {
						struct buf cb = BUF_INIT;
						size_t k;

						for (k = 0; k < p->choices->n; k++)
							buf_printf(&cb, "%s%s", k ? ", " : "",
							    p->choices->items[k]->type == Y_SCALAR ?
							    p->choices->items[k]->str : "?");
						diag_error(c->d, v->mark, "default '%s' of parameter '%s' is "
						    "not one of its choices: %s", v->str, p->name, cb.s);
						buf_release(&cb);
					}
				}
			}
		}
		r->nparams++;
	}
}

static struct kv *
parse_strmap(struct ctx *c, const struct ynode *n, const char *key, const char *const *keys,
    size_t nkeys, size_t *len)
{
	struct kv *v;
	size_t i;

	*len = 0;
	if (want_map(c, n, key) < 0)
		return NULL;
	if (keys)
		check_keys(c, n, keys, nkeys, arena_printf(c->s, "'%s'", key));
	v = arena_alloc(c->a, (n->n / 2 + 1) * sizeof(*v));
	for (i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->items[i], *val = n->items[i + 1];

		if (keys && !str_in_list(k->str, keys, nkeys))
			continue;
		if (val->type != Y_SCALAR) {
			diag_error(c->d, val->mark, "'%s' in '%s' must be a string, not %s", k->str,
			    key, ytype_name(val));
			continue;
		}
		v[*len].key = keep(c, k->str);
		v[*len].val = keep(c, val->str);
		v[*len].mark = k->mark;
		v[*len].vmark = val->mark;
		v[*len].block = val->block;
		(*len)++;
	}
	return v;
}

static void
parse_body(struct ctx *c)
{
	struct recipe *r = c->r;
	const struct ynode *n;
	size_t i;

	r->kind = "library";
	if ((n = get(c, "kind")) && want_str(c, n, "kind")) {
		for (i = 0; i < LEN(kinds) && strcmp(n->str, kinds[i]); i++)
			;
		if (i < LEN(kinds))
			r->kind = kinds[i];
		else
			one_of(c, n, "kind", kinds, LEN(kinds));
	}
	if ((n = get(c, "summary")))
		r->summary = keep(c, want_str(c, n, "summary"));
	if ((n = get(c, "depends")))
		parse_deps(c, n, "depends", &r->depends, &r->ndepends);
	if ((n = get(c, "build_depends")))
		parse_deps(c, n, "build_depends", &r->build_depends, &r->nbuild_depends);
	if ((n = get(c, "platforms")) && (r->platforms = want_strlist(c, n, "platforms",
	    &r->nplatforms))) {
		r->platforms_mark = n->mark;
		for (i = 0; i < n->n; i++)
			if (n->items[i]->type == Y_SCALAR &&
			    !str_in_list(n->items[i]->str, platforms, LEN(platforms)))
				one_of(c, n->items[i], "platform", platforms, LEN(platforms));
	}
	if ((n = get(c, "sources"))) {
		if (n->type != Y_SEQ) {
			diag_error(c->d, n->mark, "'sources' must be a list, not %s", ytype_name(n));
		} else {
			r->sources = arena_alloc(c->a, n->n * sizeof(*r->sources));
			for (i = 0; i < n->n; i++) {
				if (want_map(c, n->items[i], "sources") == 0)
					parse_source(c, n->items[i], &r->sources[r->nsources++]);
			}
		}
	}
	if ((n = get(c, "patches"))) {
		const char **v = want_strlist(c, n, "patches", &r->npatches);

		r->patches = v;
		for (i = 0; v && i < n->n && i < r->npatches; i++)
			if (!(r->patches[i] = pkgfile(c, n->items[i], "patch", 0, NULL)))
				r->patches[i] = "";
	}
	if ((n = get(c, "build")))
		r->build = keep(c, want_str(c, n, "build"));
	if ((n = get(c, "env"))) {
		r->env = parse_strmap(c, n, "env", NULL, 0, &r->nenv);
		for (i = 0; i < r->nenv; i++)
			if (!valid_envname(r->env[i].key))
				diag_error(c->d, r->env[i].mark, "'%s' is not a variable name (letters, "
				    "digits and _, not starting with a digit)", r->env[i].key);
	}
	if ((n = get(c, "config")))
		parse_params(c, n);
	if ((n = get(c, "templates"))) {
		if (n->type != Y_SEQ) {
			diag_error(c->d, n->mark, "'templates' must be a list of {src, dest}, not %s",
			    ytype_name(n));
		} else {
			r->templates = arena_alloc(c->a, (n->n + 1) * sizeof(*r->templates));
			for (i = 0; i < n->n; i++) {
				const struct ynode *t = n->items[i], *src, *dest;

				if (want_map(c, t, "templates") < 0)
					continue;
				check_keys(c, t, template_keys, LEN(template_keys), "a template");
				src = ymap_get(t, "src");
				dest = ymap_get(t, "dest");
				if (!src || !dest) {
					diag_error(c->d, t->mark, "a template needs %s",
					    !src && !dest ? "'src:' and 'dest:'" : !src ? "'src:' (the "
					    "template file in the package)" : "'dest:' (where to render it, "
					    "like \"{{config_dir}}/app.conf\")");
					continue;
				}
				if (!want_str(c, src, "src") || !want_str(c, dest, "dest"))
					continue;
				struct kv *kv = &r->templates[r->ntemplates];
				if (!(kv->key = pkgfile(c, src, "template", 0, NULL)))
					continue;
				kv->val = keep(c, dest->str);
				kv->mark = src->mark;
				kv->vmark = dest->mark;
				r->ntemplates++;
			}
		}
	}
	if ((n = get(c, "lifecycle")))
		r->lifecycle = parse_strmap(c, n, "lifecycle", lifecycle_keys, LEN(lifecycle_keys),
		    &r->nlifecycle);
	if ((n = get(c, "interceptor"))) {
		const struct ynode *p;

		if (strcmp(r->kind, "interceptor"))
			diag_error(c->d, keymark(c, "interceptor"), "'interceptor' belongs to packages "
			    "of kind interceptor; this one is %s: remove it or set kind: interceptor",
			    r->kind);
		if (want_map(c, n, "interceptor") == 0) {
			check_keys(c, n, interceptor_keys, LEN(interceptor_keys), "'interceptor'");
			if (!(p = ymap_get(n, "preload")))
				diag_error(c->d, n->mark, "'interceptor' needs 'preload:' (a library path "
				    "inside the package, like lib/libtrace.so)");
			else if (want_str(c, p, "preload")) {
				if (p->str[0] == '/' || strstr(p->str, ".."))
					diag_error(c->d, p->mark, "preload '%s' must be a path inside the "
					    "package (like lib/libtrace.so)", p->str);
				r->preload = keep(c, p->str);
			}
		}
	} else if (!strcmp(r->kind, "interceptor")) {
		diag_error(c->d, get(c, "kind")->mark, "a package of kind interceptor needs "
		    "'interceptor: {preload: lib/NAME.so}'");
	}
	if ((n = get(c, "requires_executables")))
		r->requires_exec = want_strlist(c, n, "requires_executables", &r->nrequires_exec);
	if ((n = get(c, "mpi")))
		want_bool(c, n, "mpi", &r->mpi);
}

/* returns the arena copy of the last path component */
const char *
fs_basename_arena(struct arena *a, const char *path)
{
	const char *s = strrchr(path, '/');

	return arena_strdup(a, s ? s + 1 : path);
}

static struct recipe *
load(struct arena *a, struct arena *scratch, struct diag *d, const char *dir, const char *repo,
    const char *variant)
{
	struct recipe *r = arena_alloc(a, sizeof(*r));
	struct ctx c = {a, scratch, d, r, NULL, NULL};
	const struct ynode *root, *n, *vars;
	size_t before = d->errors, i;
	const char *dirname, *sha;

	r->dir = dir;
	r->repo = repo;
	r->file = arena_cat(a, dir, "/package.yaml");
	/* manifests hold paths in this directory, and JSON holds only UTF-8 */
	if (!cjson_utf8(dir)) {
		struct mark m = {r->file, 0, 0};

		diag_error(d, m, "the path of this package's directory is not valid UTF-8, which "
		    "JSON manifests cannot hold; move the repository to a path in UTF-8");
		return NULL;
	}
	root = yaml_load_hashed(scratch, d, r->file, &sha);
	if (!root)
		return NULL;
	r->text_sha = arena_strdup(a, sha);
	if (root->type != Y_MAP) {
		diag_error(d, root->mark, "a recipe must be a mapping of keys like name:, "
		    "version:, sources:, not %s", ytype_name(root));
		return NULL;
	}
	c.base = root;
	check_keys(&c, root, top_keys, LEN(top_keys), "a recipe");

	dirname = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	n = ymap_get(root, "name");
	if (!n) {
		diag_error(d, root->mark, "missing required key 'name' (the package name, "
		    "which must equal its directory's name '%s')", dirname);
	} else if (want_str(&c, n, "name")) {
		r->name = keep(&c, n->str);
		r->name_mark = n->mark;
		if (!name_valid(r->name))
			diag_error(d, n->mark, "name '%s' is not valid; expected [a-z0-9][a-z0-9_+.-]*",
			    r->name);
		else if (strcmp(r->name, dirname))
			diag_error(d, n->mark, "name '%s' does not match its directory '%s'; rename "
			    "one of them", r->name, dirname);
	}
	n = get(&c, "version");
	if (!n) {
		diag_error(d, root->mark, "missing required key 'version' (like 1.2.3)");
	} else if (want_str(&c, n, "version")) {
		r->version = keep(&c, n->str);
		r->version_mark = n->mark;
		if (!version_valid(r->version))
			diag_error(d, n->mark, "version '%s' is not valid; expected a version that "
			    "starts with a digit, like 1.2.3 (letters, digits and . - + ~)", r->version);
	}

	vars = ymap_get(root, "variants");
	if (vars && want_map(&c, vars, "variants") == 0) {
		const char *vk[LEN(top_keys)];
		size_t nvk = 0;

		for (i = 0; i < LEN(top_keys); i++)
			if (strcmp(top_keys[i], "name") && strcmp(top_keys[i], "variants"))
				vk[nvk++] = top_keys[i];
		r->variants = arena_alloc(a, (vars->n / 2 + 1) * sizeof(*r->variants));
		for (i = 0; i < vars->n; i += 2) {
			const struct ynode *k = vars->items[i], *v = vars->items[i + 1];

			if (!name_valid(k->str))
				diag_error(d, k->mark, "variant name '%s' is not valid; expected "
				    "[a-z0-9][a-z0-9_+.-]*", k->str);
			r->variants[r->nvariants++] = keep(&c, k->str);
			if (want_map(&c, v, k->str) == 0)
				check_keys(&c, v, vk, nvk, arena_printf(scratch, "variant '%s'", k->str));
		}
	}
	if (variant) {
		const struct ynode *v = vars ? ymap_get(vars, variant) : NULL;

		if (!v || v->type != Y_MAP) {
			const char *s = suggest(variant, r->variants, r->nvariants);

			diag_error(d, vars ? vars->mark : root->mark, "package '%s' has no variant '%s'%s%s%s",
			    r->name ? r->name : dirname, variant, s ? "; did you mean '" : "",
			    s ? s : "", s ? "'?" : "");
			return NULL;
		}
		c.var = v;
		r->variant = variant;
	}
	parse_body(&c);
	if (!variant) {
		/* a variant's errors show up even when nobody asks for it yet; its
		 * keys alone are checked, so the base's errors are not said twice */
		static const struct ynode empty = {.type = Y_MAP};

		for (i = 0; vars && vars->type == Y_MAP && i < vars->n; i += 2) {
			struct recipe tmp = *r;
			/* all it makes is thrown away */
			struct ctx vc = {scratch, scratch, d, &tmp, &empty, vars->items[i + 1]};

			if (vars->items[i + 1]->type != Y_MAP)
				continue;
			tmp.nsources = tmp.npatches = tmp.nparams = tmp.ntemplates = 0;
			parse_body(&vc);
		}
	}
	/* a recipe with errors still names its dependencies, so that their
	 * errors are reported in the same run (nothing is written either way) */
	r->broken = d->errors != before;
	if (!r->name)
		r->name = arena_strdup(a, dirname);
	if (!r->version)
		r->version = "0";
	return r;
}

struct recipe *
recipe_load(struct arena *a, struct arena *scratch, struct diag *d, const char *dir,
    const char *repo, const char *variant)
{
	struct recipe *r = load(a, scratch, d, dir, repo, variant);

	arena_reset(scratch);
	return r;
}
