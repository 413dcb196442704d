/* SPDX-License-Identifier: MIT */
/* pool: run one function over the indexes 0..n-1 on a few threads */
#ifndef PKGTOOL_POOL_H
#define PKGTOOL_POOL_H
#include <stddef.h>

/* the most threads a pool runs on, the calling one included */
#define POOL_MAX 8

/* call fn(ctx, i, t) for every i in 0..n-1, on up to nthreads threads (this
 * one included, at most POOL_MAX - 1); t, below nthreads, tells which thread
 * runs it. Indexes are handed out one at a time; a thread that cannot be
 * started leaves its share to the others. Returns when all are done. */
void pool_run(size_t n, unsigned nthreads, void (*fn)(void *ctx, size_t i, unsigned t), void *ctx);
/* pool_run on nthreads new threads while this one runs beside(arg), then
 * helps them; t goes up to nthreads */
void pool_run_beside(size_t n, unsigned nthreads, void (*fn)(void *ctx, size_t i, unsigned t),
    void *ctx, void (*beside)(void *arg), void *arg);
#endif
