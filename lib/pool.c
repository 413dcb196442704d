/* SPDX-License-Identifier: MIT */
/* pool: run one function over the indexes 0..n-1 on a few threads */
#include <pthread.h>
#include <stdatomic.h>

#include "pool.h"
#include "util.h"

struct pool {
	void (*fn)(void *ctx, size_t i, unsigned t);
	void *ctx;
	size_t n;
	atomic_size_t next;
};

struct worker {
	struct pool *p;
	unsigned t;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	size_t i;

	/* indexes are handed out one at a time, so a slow item holds up nobody */
	while ((i = atomic_fetch_add(&w->p->next, 1)) < w->p->n)
		w->p->fn(w->p->ctx, i, w->t);
	return NULL;
}

void
pool_run_beside(size_t n, unsigned nthreads, void (*fn)(void *ctx, size_t i, unsigned t),
    void *ctx, void (*beside)(void *arg), void *arg)
{
	struct pool p = {fn, ctx, n, 0};
	struct worker w[POOL_MAX];
	pthread_t tid[POOL_MAX];
	unsigned t, started = 0, last;

	if (!n) {
		if (beside)
			beside(arg);
		return;
	}
	if (nthreads > POOL_MAX - 1)
		nthreads = POOL_MAX - 1;
	if (nthreads > n)
		nthreads = (unsigned)n;
	if (!nthreads)
		nthreads = 1;
	/* this thread is worker 0: with something to do beside, the others are
	 * workers 1 to nthreads, and it joins them when done with it */
	last = beside ? nthreads : nthreads - 1;
	for (t = 1; t <= last; t++) {
		w[t].p = &p;
		w[t].t = t;
		if (pthread_create(&tid[t], NULL, work, &w[t]) != 0)
			break;
		started = t;
	}
	if (beside)
		beside(arg);
	w[0].p = &p;
	w[0].t = 0;
	work(&w[0]);
	for (t = 1; t <= started; t++)
		if (pthread_join(tid[t], NULL) != 0)
			fatal("pthread_join failed");
}

void
pool_run(size_t n, unsigned nthreads, void (*fn)(void *ctx, size_t i, unsigned t), void *ctx)
{
	pool_run_beside(n, nthreads, fn, ctx, NULL, NULL);
}
