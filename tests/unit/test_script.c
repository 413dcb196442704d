/* SPDX-License-Identifier: MIT */
/* test_script: build scripts run without a shell (pkgtool/script.c), checked
 * against what /bin/sh itself makes of the same scripts */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "pkgtool.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/test_script.XXXXXX";
static char *env[8];
static char foo[] = "FOO=foo value", bar[] = "BAR=*", pwd[] = "PWD=/elsewhere";

/* the words joined with "|", or "SHELL" when the script needs a shell */
static char *
words(const char *script)
{
	char **v = script_words(script, env);
	struct buf b = BUF_INIT;
	size_t i;

	if (!v)
		return xstrdup("SHELL");
	for (i = 0; v[i]; i++) {
		if (i)
			buf_putc(&b, '|');
		buf_puts(&b, v[i]);
	}
	script_free(v);
	return buf_detach(&b);
}

static void
check(const char *script, const char *want)
{
	char *got = words(script);

	T_STREQ(got, want);
	free(got);
}

/* what /bin/sh -e -c script passes to the program `args` (on env's PATH,
 * it prints its arguments), joined like words() */
static char *
sh_words(const char *script)
{
	struct buf out = BUF_INIT, b = BUF_INIT;
	const char *argv[] = {"/bin/sh", "-e", "-c", script, NULL};
	char *log = xasprintf("%s/out", dir), *p;
	int st;

	unlink(log);
	st = proc_run((char *const *)argv, env, dir, log);
	T_EQ(st, 0);
	if (fs_read(log, &out) == 0) {
		/* args prints "$0" and then each argument, each ended by a NUL */
		buf_puts(&b, "args");
		p = memchr(out.s, '\0', out.len);
		for (p = p ? p + 1 : NULL; p && p < out.s + out.len; p += strlen(p) + 1) {
			buf_putc(&b, '|');
			buf_puts(&b, p);
		}
	}
	buf_release(&out);
	free(log);
	return buf_detach(&b);
}

/* script starts with `args`: our words and sh's are the same */
static void
same_as_sh(const char *script)
{
	char *ours = words(script), *theirs = sh_words(script);

	T_STREQ(ours, theirs);
	free(ours);
	free(theirs);
}

int
main(void)
{
	char *args, *prog;
	const char *const agree[] = {
		"args",
		"args a b c\n",
		"  args\t-D  -m 644 \n",
		"args \"$FOO\" \"${FOO}x\" \"$FOO$BAR/sub\" \"$UNSET\"",
		"args 'it''s' \"a b\" '$FOO' \"q'q\" ''",
		"args x=1 a,b:c+d%e@f -- ./g",
		"args \"$FOO\"-\"$BAR\" pre\"$FOO\"post",
		"args 'two\nlines'",
	};
	size_t i;

	T_OK(mkdtemp(dir) != NULL);
	env[0] = xasprintf("PATH=%s:/usr/bin:/bin", dir);
	env[1] = foo;
	env[2] = bar;
	env[3] = pwd;
	env[4] = NULL;

	/* one simple command */
	check("install -D -m 644 f \"$FOO/x\"\n", "install|-D|-m|644|f|foo value/x");
	check("cc -o 'a b' \"${BAR}\"", "cc|-o|a b|*");
	check("make \"$UNSET\"", "make|");
	/* what needs a shell: sh syntax, builtins, specials */
	check("", "SHELL");
	check("\n", "SHELL");
	check("a\nb", "SHELL");
	check("a\n\n", "SHELL");
	check("make && make install", "SHELL");
	check("make; true", "SHELL");
	check("make > log", "SHELL");
	check("make | tee", "SHELL");
	check("make $FOO", "SHELL");
	check("make *.c", "SHELL");
	check("make ~/x", "SHELL");
	check("make \\\n install", "SHELL");
	check("make \"a\\\"b\"", "SHELL");
	check("make \"$(pwd)\"", "SHELL");
	check("make \"`pwd`\"", "SHELL");
	check("make \"${FOO:-x}\"", "SHELL");
	check("make \"$1\" \"$@\"", "SHELL");
	check("make \"$PWD\"", "SHELL");
	check("make \"$IFS\"", "SHELL");
	check("make 'open", "SHELL");
	check("make \"open", "SHELL");
	check("make # comment", "SHELL");
	check("CC=gcc make", "SHELL");
	check("cd src", "SHELL");
	check("echo hi", "SHELL");
	check("test -f x", "SHELL");
	check("[ -f x ]", "SHELL");
	check("exec make", "SHELL");
	check("if", "SHELL");
	check("''", "SHELL");
	check("\"$UNSET\" x", "SHELL");

	/* sh makes the same words of each script it would not need */
	args = xasprintf("%s/args", dir);
	{
		const char *text = "#!/bin/sh\nprintf '%s\\0' \"$0\" \"$@\"\n";

		T_OK(fs_write_atomic(args, text, strlen(text)) == 0);
	}
	T_OK(chmod(args, 0755) == 0);
	for (i = 0; i < sizeof(agree) / sizeof(*agree); i++)
		same_as_sh(agree[i]);

	/* found as sh finds it */
	prog = script_program("args", env, "/");
	T_STREQ(prog, args);
	free(prog);
	prog = script_program("./args", env, dir);
	T_OK(prog && !strcmp(prog + strlen(dir), "/./args"));
	free(prog);
	T_STREQ(script_program("no-such-program", env, dir), NULL);
	T_STREQ(script_program("out", env, dir), NULL);	/* not executable */
	{
		static char relpath[] = "PATH=bin:/usr/bin";
		char *rel[] = {relpath, NULL};

		T_STREQ(script_program("ls", rel, dir), NULL);	/* relative entry */
	}

	free(args);
	free(env[0]);
	fs_rmtree(dir);
	return T_DONE();
}
