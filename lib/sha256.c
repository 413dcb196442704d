/* SPDX-License-Identifier: MIT */
/* sha256: SHA-256 (and SHA-1, for pkgpanda recipes) by OpenSSL's libcrypto, as hex */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* SHA256_Init and friends are deprecated in OpenSSL 3 in favour of EVP, but
 * still built (unless OpenSSL was configured without them, which the EVP
 * path below covers) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/opensslconf.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "sha256.h"
#include "util.h"

/*
 * OpenSSL 3's EVP finds SHA-256 through its provider machinery: the first
 * fetch in a process builds the default provider's method store, about
 * 2.8 ms here, and every pkgtool step is a new process that hashes a file
 * or two. The digest functions themselves are the same code either way, so
 * they are called directly.
 */
#ifndef OPENSSL_NO_DEPRECATED_3_0
union digest_state {
	SHA256_CTX s256;
	SHA_CTX s1;
};

_Static_assert(sizeof(union digest_state) <= sizeof(((struct hasher *)0)->state),
    "struct hasher's state is too small for OpenSSL's SHA contexts");

void
hasher_init(struct hasher *h, enum hash_algo algo)
{
	union digest_state *st = (union digest_state *)h->state;

	h->algo = algo;
	if (algo == HASH_SHA1)
		SHA1_Init(&st->s1);
	else
		SHA256_Init(&st->s256);
}

void
hasher_update(struct hasher *h, const void *data, size_t len)
{
	union digest_state *st = (union digest_state *)h->state;

	if (h->algo == HASH_SHA1)
		SHA1_Update(&st->s1, data, len);
	else
		SHA256_Update(&st->s256, data, len);
}

static unsigned
digest_final(struct hasher *h, unsigned char *md)
{
	union digest_state *st = (union digest_state *)h->state;

	if (h->algo == HASH_SHA1) {
		SHA1_Final(md, &st->s1);
		return SHA_DIGEST_LENGTH;
	}
	SHA256_Final(md, &st->s256);
	return SHA256_DIGEST_LENGTH;
}
#else
/* fetched once for every thread: OpenSSL 3 looks an algorithm up again on
 * every EVP_sha256() init */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

void
hasher_init(struct hasher *h, enum hash_algo algo)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md;

	if (!ctx)
		fatal("out of memory");
	pthread_once(&md_once, md_fetch);
	md = algo == HASH_SHA1 ? md_sha1 : md_sha256;
	if (!md)
		md = algo == HASH_SHA1 ? EVP_sha1() : EVP_sha256();
	if (!EVP_DigestInit_ex2(ctx, md, NULL))
		fatal("EVP_DigestInit_ex2 failed");
	memcpy(h->state, &ctx, sizeof(ctx));
	h->algo = algo;
}

void
hasher_update(struct hasher *h, const void *data, size_t len)
{
	EVP_MD_CTX *ctx;

	memcpy(&ctx, h->state, sizeof(ctx));
	if (!EVP_DigestUpdate(ctx, data, len))
		fatal("EVP_DigestUpdate failed");
}

static unsigned
digest_final(struct hasher *h, unsigned char *md)
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;

	memcpy(&ctx, h->state, sizeof(ctx));
	if (!EVP_DigestFinal_ex(ctx, md, &n))
		fatal("EVP_DigestFinal_ex failed");
	EVP_MD_CTX_free(ctx);
	return n;
}
#endif

void
hasher_final(struct hasher *h, char hex[SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = digest_final(h, md), i;
	static const char digits[] = "0123456789abcdef";

	for (i = 0; i < n && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * i] = '\0';
}

void
sha256_hex(const void *data, size_t len, char hex[SHA256_HEX])
{
	struct hasher h;

	hasher_init(&h, HASH_SHA256);
	hasher_update(&h, data, len);
	hasher_final(&h, hex);
}

/* hash path's content (relative to dirfd); with size known (a regular
 * file's, from stat), a read that returns less than asked for past it is
 * the end */
int
hash_file_at(int dirfd, const char *path, enum hash_algo algo, size_t size, char hex[SHA256_HEX])
{
	char tmp[65536];
	struct hasher h;
	size_t total = 0;
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	hasher_init(&h, algo);
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			hasher_final(&h, hex);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		hasher_update(&h, tmp, (size_t)n);
		total += (size_t)n;
		if (size != SIZE_MAX && total >= size && (size_t)n < sizeof(tmp))
			break;
	}
	close(fd);
	hasher_final(&h, hex);
	return 0;
}

int
hash_file(const char *path, enum hash_algo algo, char hex[SHA256_HEX])
{
	return hash_file_at(AT_FDCWD, path, algo, SIZE_MAX, hex);
}

int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[n] == '\0';
}
