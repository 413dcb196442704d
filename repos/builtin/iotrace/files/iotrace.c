/* SPDX-License-Identifier: MIT */
/*
 * iotrace: an LD_PRELOAD library that counts a process's open, openat, read,
 * write and close calls (and recv and send, which network clients use in place
 * of read and write) and, when the process exits, appends one line
 *   pid=123 prog=redis-benchmark open=3 openat=10 read=120 write=118 close=9 recv=0 send=0
 * to the file $IOTRACE_OUT (nothing when it is unset or empty). Calls that
 * libc makes internally (stdio's, for one) do not pass through here.
 *
 * The real functions are found with dlsym(RTLD_NEXT) in a constructor. A call
 * that comes before it (another library's constructor) or while dlsym itself
 * runs goes straight to the system call, so there is no recursion. The exit
 * report uses no stdio and no allocation: a stack buffer and write(2).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

enum { C_OPEN, C_OPENAT, C_READ, C_WRITE, C_CLOSE, C_RECV, C_SEND, NCOUNT };
static const char *const names[NCOUNT] = {"open", "openat", "read", "write", "close", "recv",
	"send"};
static unsigned long counts[NCOUNT];

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_send)(int, const void *, size_t, int);

static void
count(int what)
{
	__atomic_fetch_add(&counts[what], 1, __ATOMIC_RELAXED);
}

/* the mode argument exists only when the flags create a file */
static int
needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int
sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	count(C_OPEN);
	return real_open ? real_open(path, flags, mode) : sys_openat(AT_FDCWD, path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	count(C_OPEN);
	return real_open ? real_open(path, flags, mode) : sys_openat(AT_FDCWD, path, flags, mode);
}

/* what _FORTIFY_SOURCE builds call for open without a mode */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	count(C_OPEN);
	return real_open ? real_open(path, flags, 0) : sys_openat(AT_FDCWD, path, flags, 0);
}

int
__open64_2(const char *path, int flags)
{
	return __open_2(path, flags);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	count(C_OPENAT);
	return real_openat ? real_openat(dirfd, path, flags, mode) :
	    sys_openat(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	count(C_OPENAT);
	return real_openat ? real_openat(dirfd, path, flags, mode) :
	    sys_openat(dirfd, path, flags, mode);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	count(C_OPENAT);
	return real_openat ? real_openat(dirfd, path, flags, 0) : sys_openat(dirfd, path, flags, 0);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	count(C_READ);
	return real_read ? real_read(fd, buf, n) : syscall(SYS_read, fd, buf, n);
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);

ssize_t
__read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		abort();	/* what glibc's own check does */
	return read(fd, buf, n);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	count(C_WRITE);
	return real_write ? real_write(fd, buf, n) : syscall(SYS_write, fd, buf, n);
}

int
close(int fd)
{
	count(C_CLOSE);
	return real_close ? real_close(fd) : (int)syscall(SYS_close, fd);
}

ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	count(C_RECV);
	return real_recv ? real_recv(fd, buf, n, flags) :
	    syscall(SYS_recvfrom, fd, buf, n, flags, NULL, NULL);
}

ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	count(C_SEND);
	return real_send ? real_send(fd, buf, n, flags) :
	    syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
}

__attribute__((constructor)) static void
init(void)
{
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_recv = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
	real_send = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
}

/* append s to buf at *at, keeping room for the final newline */
static void
put(char *buf, size_t cap, size_t *at, const char *s)
{
	while (*s && *at + 1 < cap)
		buf[(*at)++] = *s++;
}

static void
put_num(char *buf, size_t cap, size_t *at, unsigned long v)
{
	char d[24];
	int n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0 && *at + 1 < cap)
		buf[(*at)++] = d[--n];
}

__attribute__((destructor)) static void
report(void)
{
	const char *out = getenv("IOTRACE_OUT");
	char line[512], dir[4096], *slash;
	size_t at = 0, i;
	int fd, saved = errno;

	if (!out || !*out)
		return;
	put(line, sizeof(line), &at, "pid=");
	put_num(line, sizeof(line), &at, (unsigned long)getpid());
	put(line, sizeof(line), &at, " prog=");
	put(line, sizeof(line), &at, program_invocation_short_name);
	for (i = 0; i < NCOUNT; i++) {
		put(line, sizeof(line), &at, " ");
		put(line, sizeof(line), &at, names[i]);
		put(line, sizeof(line), &at, "=");
		put_num(line, sizeof(line), &at, __atomic_load_n(&counts[i], __ATOMIC_RELAXED));
	}
	line[at++] = '\n';
	/* the system calls themselves: the report is not counted */
	fd = sys_openat(AT_FDCWD, out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT && strlen(out) < sizeof(dir)) {
		/* mkdir -p of its directory */
		strcpy(dir, out);
		for (slash = dir + 1; (slash = strchr(slash, '/')); slash++) {
			*slash = '\0';
			syscall(SYS_mkdirat, AT_FDCWD, dir, 0755);
			*slash = '/';
		}
		fd = sys_openat(AT_FDCWD, out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	}
	if (fd >= 0) {
		/* one write with O_APPEND: lines of several processes do not mix */
		if (syscall(SYS_write, fd, line, at) < 0)
			errno = saved;
		syscall(SYS_close, fd);
	}
	errno = saved;
}
