/* SPDX-License-Identifier: MIT */
/* launch: run a shell script on many hosts at once through the engines
 * clusters have (OpenSSH, pdsh, Slurm's srun), and local commands in
 * parallel with their output collected (SPEC §8) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cjson.h"
#include "pkgtool.h"
#include "util.h"

extern char **environ;

/* at most this many commands run at once (pdsh's default fanout is 32) */
#define FANOUT 64
/* seconds ssh may take to connect, unless ssh_args say otherwise */
#define CONNECT_TIMEOUT 10

/* ---- local commands in parallel ---- */

/* in the child: only async-signal-safe calls from here on */
static void
job_child(char *const argv[], char *const env[], int out)
{
	static const char msg[] = "pkgtool: cannot run the command\n";
	struct sigaction sa;
	sigset_t none;
	int fd;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(out, 1);
	dup2(out, 2);
	if (out > 2)
		close(out);
	execvpe(argv[0], argv, env);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

static int
job_start(struct job *j, char *const env[])
{
	int p[2];

	buf_reset(&j->out);
	j->status = -1;
	j->timed_out = 0;
	j->fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail("pipe:");
	fflush(NULL);
	j->pid = fork();
	if (j->pid == 0) {
		close(p[0]);
		job_child(j->argv, env, p[1]);
	}
	close(p[1]);
	if (j->pid < 0) {
		close(p[0]);
		return fail("fork:");
	}
	setpgid(j->pid, j->pid);
	j->fd = p[0];
	return 0;
}

/* read what is there; close at end of file */
static void
job_read(struct job *j)
{
	char buf[8192];
	ssize_t n = read(j->fd, buf, sizeof(buf));

	if (n > 0) {
		/* a runaway command does not eat the memory: keep its first 4 MiB */
		if (j->out.len < (4u << 20))
			buf_putn(&j->out, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(j->fd);
		j->fd = -1;
	}
}

int
jobs_run(struct job *jobs, size_t n, char *const env[], double timeout)
{
	struct pollfd pfd[FANOUT];
	size_t next = 0, live = 0, i, k, map[FANOUT];
	double start = life_now();
	int ret = 0, killed = 0;

	if (!env)
		env = environ;
	for (i = 0; i < n; i++) {
		jobs[i].pid = -1;
		jobs[i].fd = -1;
		jobs[i].status = -1;
		jobs[i].timed_out = 0;
	}
	for (;;) {
		while (next < n && live < FANOUT && !killed) {
			if (job_start(&jobs[next], env) < 0)
				ret = -1;
			else
				live++;
			next++;
		}
		if (!live)
			break;
		for (i = 0, k = 0; i < next; i++) {
			if (jobs[i].fd >= 0) {
				pfd[k].fd = jobs[i].fd;
				pfd[k].events = POLLIN;
				map[k++] = i;
			}
		}
		if (k && poll(pfd, k, 50) > 0) {
			for (i = 0; i < k; i++)
				if (pfd[i].revents)
					job_read(&jobs[map[i]]);
		} else if (!k) {
			life_sleep(0.02);
		}
		for (i = 0; i < next; i++) {
			struct job *j = &jobs[i];

			if (j->pid > 0 && waitpid(j->pid, &j->status, WNOHANG) == j->pid) {
				j->pid = 0;
				j->ended = life_now();
			}
			/* done at the end of its output, or a moment after it exited
			 * when something it left behind still holds the pipe */
			if (!j->pid && (j->fd < 0 || life_now() - j->ended > 2)) {
				if (j->fd >= 0) {
					close(j->fd);
					j->fd = -1;
				}
				j->pid = -1;
				live--;
			}
		}
		if (!killed && (life_interrupted() || (timeout > 0 && life_now() - start > timeout))) {
			killed = 1;
			for (i = 0; i < next; i++) {
				if (jobs[i].pid > 0) {
					jobs[i].timed_out = !life_interrupted();
					kill(-jobs[i].pid, SIGKILL);
				}
			}
		}
	}
	for (i = next; i < n; i++)
		jobs[i].timed_out = 1;	/* never started: interrupted */
	return ret;
}

void
jobs_release(struct job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (jobs[i].fd >= 0)
			close(jobs[i].fd);
		buf_release(&jobs[i].out);
	}
}

/* ---- launchers ---- */

/* as enum launcher_kind */
static const char *const names[] = {"local", "ssh", "pdsh", "slurm"};

static void
add(char ***v, size_t *n, size_t *cap, const char *s)
{
	xappend((void ***)v, n, cap, s ? xstrdup(s) : NULL);
}

/* split s at blanks into the argument list */
static void
split_into(char ***v, size_t *n, size_t *cap, const char *s)
{
	while (s && *s) {
		size_t len;

		s += strspn(s, " \t\n");
		len = strcspn(s, " \t\n");
		if (!len)
			break;
		xappend((void ***)v, n, cap, xstrndup(s, len));
		s += len;
	}
}

/* the nodes of the Slurm allocation we run in: scontrol show hostnames */
static int
slurm_nodes(struct launcher *l, char *const env[])
{
	const char *list = getenv("SLURM_JOB_NODELIST");
	char a0[] = "scontrol", a1[] = "show", a2[] = "hostnames";
	char *argv[] = {a0, a1, a2, (char *)list, NULL};
	struct job j = {.argv = argv};
	size_t cap = 0;
	int ret = -1;

	if (!getenv("SLURM_JOB_ID") || !list)
		return fail("the slurm launcher runs inside an allocation (salloc, sbatch, or "
		    "`ninja submit`), and SLURM_JOB_ID or SLURM_JOB_NODELIST is not set");
	if (jobs_run(&j, 1, env, 30) < 0)
		goto out;
	if (!WIFEXITED(j.status) || WEXITSTATUS(j.status) != 0) {
		fail("scontrol show hostnames %s failed: %s", list, buf_str(&j.out));
		goto out;
	}
	split_into(&l->hosts, &l->nhosts, &cap, buf_str(&j.out));
	if (!l->nhosts) {
		fail("scontrol show hostnames %s named no node", list);
		goto out;
	}
	ret = 0;
out:
	jobs_release(&j, 1);
	return ret;
}

int
launcher_init(struct launcher *l, json_t *m, json_t *hosts, char *const env[])
{
	const char *kind = cjson_str(m, "launcher");
	json_t *args = json_object_get(m, "ssh_args"), *v;
	size_t i, hcap = 0, acap = 0;

	memset(l, 0, sizeof(*l));
	l->env = env;
	for (i = 0; kind && i < LEN(names); i++)
		if (!strcmp(kind, names[i]))
			break;
	if (kind && i == LEN(names))
		return fail("unknown launcher '%s'", kind);
	l->kind = kind ? (enum launcher_kind)i : LAUNCH_LOCAL;
	if (!hosts)
		hosts = json_object_get(m, "hosts");
	json_array_foreach(hosts, i, v)
		if (json_is_string(v))
			add(&l->hosts, &l->nhosts, &hcap, json_string_value(v));
	/* the pipeline's ssh_args, else PKGTOOL_SSH_ARGS */
	json_array_foreach(args, i, v)
		if (json_is_string(v))
			add(&l->ssh_args, &l->nssh_args, &acap, json_string_value(v));
	if (!l->nssh_args)
		split_into(&l->ssh_args, &l->nssh_args, &acap, getenv("PKGTOOL_SSH_ARGS"));
	if (l->kind == LAUNCH_SLURM && !l->nhosts && slurm_nodes(l, env) < 0) {
		launcher_release(l);
		return -1;
	}
	return 0;
}

void
launcher_release(struct launcher *l)
{
	size_t i;

	for (i = 0; i < l->nhosts; i++)
		free(l->hosts[i]);
	for (i = 0; i < l->nssh_args; i++)
		free(l->ssh_args[i]);
	free(l->hosts);
	free(l->ssh_args);
	free(l->jobid);
	memset(l, 0, sizeof(*l));
}

const char *
launcher_name(const struct launcher *l)
{
	return names[l->kind];
}

/* our ConnectTimeout, unless the user's options say one or name a config
 * file (ssh prefers the command line to any file: theirs would not count) */
static char *
connect_timeout(const struct launcher *l)
{
	size_t i;

	for (i = 0; i < l->nssh_args; i++)
		if (!strcmp(l->ssh_args[i], "-F") || strstr(l->ssh_args[i], "ConnectTimeout"))
			return NULL;
	return xasprintf("ConnectTimeout=%d", CONNECT_TIMEOUT);
}

char *
launcher_ssh_command(const struct launcher *l)
{
	struct buf b = BUF_INIT;
	char *ct = connect_timeout(l);
	size_t i;

	buf_puts(&b, "ssh");
	for (i = 0; i < l->nssh_args; i++) {
		buf_putc(&b, ' ');
		buf_shquote(&b, l->ssh_args[i]);
	}
	buf_puts(&b, " -o BatchMode=yes");
	if (ct)
		buf_printf(&b, " -o %s", ct);
	free(ct);
	return buf_detach(&b);
}

char **
launcher_ssh_argv(const struct launcher *l, const char *host, const char *command)
{
	char **v = NULL, *ct = connect_timeout(l);
	size_t n = 0, cap = 0, i;

	add(&v, &n, &cap, "ssh");
	/* the user's options first: for ssh the first value given wins */
	for (i = 0; i < l->nssh_args; i++)
		add(&v, &n, &cap, l->ssh_args[i]);
	add(&v, &n, &cap, "-o");
	add(&v, &n, &cap, "BatchMode=yes");
	if (ct) {
		add(&v, &n, &cap, "-o");
		add(&v, &n, &cap, ct);
	}
	add(&v, &n, &cap, "-n");
	add(&v, &n, &cap, "--");
	add(&v, &n, &cap, host);
	if (command)
		add(&v, &n, &cap, command);
	add(&v, &n, &cap, NULL);
	free(ct);
	return v;
}

void
argv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* the remote shell command line that runs script with sh and says its exit
 * status last (pdsh and srun give only the largest; ssh's 255 is its own) */
static char *
remote_command(const char *script)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "sh -c ");
	buf_shquote(&b, script);
	buf_puts(&b, "; echo \"@pkgtool exit $?\"");
	return buf_detach(&b);
}

static char *
host_list(const struct launcher *l)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < l->nhosts; i++)
		buf_printf(&b, "%s%s", i ? "," : "", l->hosts[i]);
	return buf_detach(&b);
}

char **
launcher_srun_argv(const struct launcher *l, const char *script)
{
	char **v = NULL, *nodes = host_list(l), *cnt = xasprintf("%zu", l->nhosts);
	size_t n = 0, cap = 0;
	char *cmd = remote_command(script);

	/* one task per host; --overlap: steps share the allocation with the
	 * services still running in theirs */
	add(&v, &n, &cap, "srun");
	if (l->jobid) {
		char *j = xasprintf("--jobid=%s", l->jobid);

		add(&v, &n, &cap, j);
		free(j);
	}
	add(&v, &n, &cap, "--overlap");
	add(&v, &n, &cap, "--kill-on-bad-exit=0");
	add(&v, &n, &cap, "--label");
	add(&v, &n, &cap, "--nodes");
	add(&v, &n, &cap, cnt);
	add(&v, &n, &cap, "--ntasks");
	add(&v, &n, &cap, cnt);
	add(&v, &n, &cap, "--ntasks-per-node=1");
	add(&v, &n, &cap, "--nodelist");
	add(&v, &n, &cap, nodes);
	add(&v, &n, &cap, "sh");
	add(&v, &n, &cap, "-c");
	add(&v, &n, &cap, cmd);
	add(&v, &n, &cap, NULL);
	free(cmd);
	free(cnt);
	free(nodes);
	return v;
}

static ssize_t
host_index(const struct launcher *l, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < l->nhosts; i++)
		if (strlen(l->hosts[i]) == len && !memcmp(l->hosts[i], s, len))
			return (ssize_t)i;
	return -1;
}

/* move the "@pkgtool exit N" line out of a host's output into its status */
static void
take_exit(struct host_result *r)
{
	char *s = r->out.s, *p, *last = NULL;

	r->status = 255;
	if (!s)
		return;
	/* the last one at the start of a line: the script's own */
	for (p = s; (p = strstr(p, "@pkgtool exit ")); p++)
		if (p == s || p[-1] == '\n')
			last = p;
	if (!last)
		return;
	r->status = atoi(last + strlen("@pkgtool exit "));
	r->reached = 1;
	r->out.len = (size_t)(last - s);
	s[r->out.len] = '\0';
}

void
launch_split(const struct launcher *l, const char *text, struct host_result *res)
{
	const char *p, *nl;
	size_t i, ntask = 0;
	ssize_t *task = NULL;	/* srun: task id -> host */

	for (p = text; *p; p = nl + (*nl != '\0')) {
		const char *c;
		ssize_t h = -1;

		nl = p + strcspn(p, "\n");
		if (l->kind == LAUNCH_SLURM) {
			/* --label: "  3: text"; the task says which host it is first */
			const char *q = p + strspn(p, " ");
			char *end;
			unsigned long t = strtoul(q, &end, 10);

			if (end == q || *end != ':' || t > 65536)
				continue;
			c = end + 1 + (end[1] == ' ');
			if (t >= ntask) {
				task = xreallocarray(task, t + 1, sizeof(*task));
				while (ntask <= t)
					task[ntask++] = -1;
			}
			if (startswith(c, "@pkgtool host ")) {
				c += strlen("@pkgtool host ");
				task[t] = host_index(l, c, (size_t)(nl - c));
				continue;
			}
			h = task[t];
		} else {
			/* pdsh: "host: text", and its own "pdsh@here: host: ..." */
			if (startswith(p, "pdsh@") && (c = memchr(p, ' ', (size_t)(nl - p))))
				p = c + 1;
			if (!(c = memchr(p, ':', (size_t)(nl - p))) || c[1] != ' ')
				continue;
			h = host_index(l, p, (size_t)(c - p));
			c += 2;
		}
		if (h >= 0) {
			buf_putn(&res[h].out, c, (size_t)(nl - c));
			buf_putc(&res[h].out, '\n');
		}
	}
	free(task);
	for (i = 0; i < l->nhosts; i++)
		take_exit(&res[i]);
}

int
launch_run(const struct launcher *l, const char *script, double timeout, struct host_result *res)
{
	struct job *jobs;
	char *cmd = remote_command(script), *list = NULL, *append = NULL;
	char **env = NULL;
	size_t i, njobs = l->kind == LAUNCH_SSH ? l->nhosts : 1;
	int ret = 0;

	for (i = 0; i < l->nhosts; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].status = 255;
	}
	if (!l->nhosts)
		goto out0;
	jobs = xcalloc(njobs, sizeof(*jobs));
	if (l->kind == LAUNCH_SSH) {
		for (i = 0; i < l->nhosts; i++)
			jobs[i].argv = launcher_ssh_argv(l, l->hosts[i], cmd);
	} else if (l->kind == LAUNCH_PDSH) {
		char *to = xasprintf("%d", CONNECT_TIMEOUT);
		char **v = NULL;
		size_t n = 0, cap = 0, k;
		struct buf b = BUF_INIT;

		list = host_list(l);
		/* -S: the largest exit status; -R ssh, as Debian's default is rsh */
		add(&v, &n, &cap, "pdsh");
		add(&v, &n, &cap, "-S");
		add(&v, &n, &cap, "-R");
		add(&v, &n, &cap, "ssh");
		add(&v, &n, &cap, "-t");
		add(&v, &n, &cap, to);
		add(&v, &n, &cap, "-w");
		add(&v, &n, &cap, list);
		add(&v, &n, &cap, cmd);
		add(&v, &n, &cap, NULL);
		jobs[0].argv = v;
		free(to);
		/* PDSH_SSH_ARGS_APPEND adds to pdsh's own ssh options */
		for (k = 0; k < l->nssh_args; k++) {
			buf_putc(&b, ' ');
			buf_shquote(&b, l->ssh_args[k]);
		}
		buf_puts(&b, " -o BatchMode=yes");
		append = buf_detach(&b);
		env = env_with(l->env, "PDSH_SSH_ARGS_APPEND", append);
	} else if (l->kind == LAUNCH_SLURM) {
		jobs[0].argv = launcher_srun_argv(l, script);
	} else {
		free(jobs);
		ret = fail("launcher local runs nothing on other hosts");
		goto out0;
	}
	if (jobs_run(jobs, njobs, env ? env : l->env, timeout) < 0)
		ret = -1;
	if (l->kind == LAUNCH_SSH) {
		for (i = 0; i < l->nhosts; i++) {
			res[i].out = jobs[i].out;
			memset(&jobs[i].out, 0, sizeof(jobs[i].out));
			res[i].timed_out = jobs[i].timed_out;
			take_exit(&res[i]);
		}
	} else {
		launch_split(l, buf_str(&jobs[0].out), res);
		/* a host that said nothing: what pdsh or srun said is all there is */
		for (i = 0; i < l->nhosts; i++) {
			res[i].timed_out = jobs[0].timed_out;
			if (!res[i].out.len && !res[i].reached)
				buf_puts(&res[i].out, buf_str(&jobs[0].out));
		}
	}
	for (i = 0; i < njobs; i++)
		argv_free(jobs[i].argv);
	jobs_release(jobs, njobs);
	free(jobs);
out0:
	for (i = 0; i < l->nhosts && ret == 0; i++)
		if (res[i].status != 0)
			ret = -1;
	argv_free(env);
	free(append);
	free(list);
	free(cmd);
	return ret;
}

void
host_results_release(struct host_result *res, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_release(&res[i].out);
}

char **
env_with(char *const env[], const char *key, const char *val)
{
	char **v = NULL;
	size_t n = 0, cap = 0, i, kl = strlen(key);

	if (!env)
		env = environ;
	for (i = 0; env[i]; i++)
		if (strncmp(env[i], key, kl) || env[i][kl] != '=')
			add(&v, &n, &cap, env[i]);
	xappend((void ***)&v, &n, &cap, xasprintf("%s=%s", key, val));
	add(&v, &n, &cap, NULL);
	return v;
}
