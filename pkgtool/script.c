/* SPDX-License-Identifier: MIT */
/* script: a build script that is one simple command, run without a shell */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "pkgtool.h"
#include "util.h"

/*
 * A trivial build script (`install -D -m 644 f "$PKG_DESTDIR$PKG_PREFIX/f"`)
 * costs a whole /bin/sh process before its one program starts: on a small
 * machine that is a third of the step. GNU make has long run a command line
 * without the shell when it has no shell syntax; pkgtool does the same for a
 * script that is one simple command made only of
 *
 *   plain characters   A-Z a-z 0-9 _ . / , : + - % @ (and = after the first word)
 *   'single quotes'    anything but '
 *   "double quotes"    anything but \ ` and $, except $NAME and ${NAME}
 *
 * and blanks between the words, with one line break at most at the end.
 * /bin/sh would run such a command exactly so: no word splitting or
 * pathname expansion applies (an expansion only happens within double
 * quotes), no assignment or redirection is possible, and the first word is
 * checked against sh's builtins and reserved words, whose own versions sh
 * would run. Anything else goes to /bin/sh -e -c, as it always does.
 */

/* the builtins and reserved words of dash (Debian's /bin/sh) and POSIX */
static const char *const shell_words[] = {
	".", ":", "[", "alias", "bg", "break", "case", "cd", "chdir", "command",
	"continue", "do", "done", "echo", "elif", "else", "esac", "eval", "exec",
	"exit", "export", "false", "fc", "fg", "fi", "for", "getopts", "hash", "if",
	"in", "jobs", "kill", "local", "printf", "pwd", "read", "readonly",
	"return", "select", "set", "shift", "test", "then", "time", "times",
	"trap", "true", "type", "ulimit", "umask", "unalias", "unset", "until",
	"wait", "while",
};

/* variables sh sets or resets itself: their value in env is not what it
 * would expand */
static const char *const shell_vars[] = {
	"IFS", "LINENO", "OPTARG", "OPTIND", "PPID", "PS1", "PS2", "PS4", "PWD",
};

static int
listed(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static int
shell_var(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(shell_vars) / sizeof(*shell_vars); i++)
		if (strlen(shell_vars[i]) == n && !strncmp(shell_vars[i], name, n))
			return 1;
	return 0;
}

static int
plain(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c && strchr("_./,:+-%@=", c));
}

static int
name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
name_char(int c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* the value of the variable named by the n bytes at name, "" when unset */
static const char *
lookup_var(char *const env[], const char *name, size_t n)
{
	size_t i;

	for (i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return "";
}

/* expand the double-quoted text at *p (after its opening quote) into w;
 * *p is left after the closing quote; 0, or -1 when it needs a shell */
static int
dquoted(const char **p, char *const env[], struct buf *w)
{
	const char *s = *p;

	for (;;) {
		const char *name;
		size_t n;
		int brace;

		if (!*s || *s == '\\' || *s == '`')
			return -1;
		if (*s == '"')
			break;
		if (*s != '$') {
			buf_putc(w, *s++);
			continue;
		}
		brace = s[1] == '{';
		name = s + 1 + brace;
		if (!name_start(*name))
			return -1;
		for (n = 1; name_char(name[n]); n++)
			;
		if (brace && name[n] != '}')
			return -1;
		if (shell_var(name, n))
			return -1;
		buf_puts(w, lookup_var(env, name, n));
		s = name + n + brace;
	}
	*p = s + 1;
	return 0;
}

void
script_free(char **words)
{
	size_t i;

	for (i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
}

char **
script_words(const char *script, char *const env[])
{
	const char *s = script;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct buf w = BUF_INIT;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || (*s == '\n' && !s[1]))
			break;
		buf_reset(&w);
		while (*s && *s != ' ' && *s != '\t' && !(*s == '\n' && !s[1])) {
			if (*s == '\'') {
				const char *end = strchr(s + 1, '\'');

				if (!end)
					goto shell;
				buf_putn(&w, s + 1, (size_t)(end - s - 1));
				s = end + 1;
			} else if (*s == '"') {
				s++;
				if (dquoted(&s, env, &w) < 0)
					goto shell;
			} else if (plain((unsigned char)*s) && !(*s == '=' && n == 0)) {
				buf_putc(&w, *s++);
			} else {
				goto shell;
			}
		}
		xappend((void ***)&v, &n, &cap, xstrdup(buf_str(&w)));
	}
	if (n == 0 || !*v[0] ||
	    listed(shell_words, sizeof(shell_words) / sizeof(*shell_words), v[0]))
		goto shell;
	xappend((void ***)&v, &n, &cap, NULL);
	buf_release(&w);
	return v;
shell:
	buf_release(&w);
	if (v) {
		xappend((void ***)&v, &n, &cap, NULL);
		script_free(v);
	}
	return NULL;
}

static char *
executable(char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *
script_program(const char *name, char *const env[], const char *cwd)
{
	const char *path = NULL, *p, *q;
	size_t i;

	if (strchr(name, '/'))
		return executable(name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", cwd, name));
	for (i = 0; env && env[i]; i++)
		if (startswith(env[i], "PATH="))
			path = env[i] + 5;
	/* sh's own default PATH, an entry relative to the script's directory
	 * or dash's "%builtin" marks: leave it to sh */
	if (!path || strchr(path, '%'))
		return NULL;
	for (p = path; ; p = q + 1) {
		char *found;

		q = strchr(p, ':');
		if (!q)
			q = p + strlen(p);
		if (*p != '/')
			return NULL;
		found = executable(xasprintf("%.*s/%s", (int)(q - p), p, name));
		if (found)
			return found;
		if (!*q)
			return NULL;
	}
}
