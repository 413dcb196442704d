/* SPDX-License-Identifier: MIT */
/* step: numbered points between the filesystem mutations of activate,
 * deactivate, rollback and gc, where crash tests kill the process; and
 * PKGTOOL_TIMING, how long their parts take */
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pkgtool.h"

/*
 * PKGTOOL_CRASH_AT=N makes the process SIGKILL itself at its Nth step point,
 * exactly what a power cut or kill -9 there would leave on disk (minus the
 * page cache, which fsync and syncfs cover). PKGTOOL_STEPS=1 prints each
 * point to stderr. Tests only: nothing else reads these variables.
 */
void
step_point(const char *what)
{
	static long n, at = -1;
	static int trace;

	if (at < 0) {
		const char *s = getenv("PKGTOOL_CRASH_AT"), *t = getenv("PKGTOOL_STEPS");

		at = s && *s ? atol(s) : 0;
		trace = t && *t == '1';
	}
	n++;
	if (trace)
		fprintf(stderr, "pkgtool: step %ld: %s\n", n, what);
	if (n == at) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
		pause();
	}
}

int
timing_on(void)
{
	const char *s = getenv("PKGTOOL_TIMING");

	return s && *s == '1';
}

double
timing_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* with PKGTOOL_TIMING=1, print how long it has been since the last mark
 * (the first: since the process started, as far as main knows) */
void
timing_mark(const char *what)
{
	static double last;
	static int on = -1;
	double now;

	if (on < 0)
		on = timing_on();
	if (!on)
		return;
	now = timing_ms();
	if (what && last > 0)
		fprintf(stderr, "pkgtool: %s: %.2f ms\n", what, now - last);
	last = now;
}
