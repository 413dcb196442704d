/* SPDX-License-Identifier: MIT */
/* sha256: SHA-256 (and SHA-1, for pkgpanda recipes) by OpenSSL's libcrypto, as hex */
#ifndef PKGTOOL_SHA256_H
#define PKGTOOL_SHA256_H

#include <stddef.h>

#define SHA256_HEX 65	/* 64 hex digits and the NUL */

enum hash_algo {
	HASH_SHA256,
	HASH_SHA1,
};

struct hasher {
	/* OpenSSL's SHA256_CTX or SHA_CTX (or a pointer to an EVP_MD_CTX) */
	_Alignas(8) unsigned char state[128];
	enum hash_algo algo;
};

/* start a hash; dies on OOM */
void hasher_init(struct hasher *h, enum hash_algo algo);
void hasher_update(struct hasher *h, const void *data, size_t len);
/* write lowercase hex (64 or 40 digits) to hex and release the context */
void hasher_final(struct hasher *h, char hex[SHA256_HEX]);

/* hash of a memory block as hex */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX]);
/* hash of a file's content as hex; 0 or -1 with errno set (no message) */
int hash_file(const char *path, enum hash_algo algo, char hex[SHA256_HEX]);
/* hash_file for path relative to the directory open as dirfd (or AT_FDCWD);
 * for a regular file whose size a stat just gave (else SIZE_MAX), a short
 * read at that size ends it, without the read that would return 0 */
int hash_file_at(int dirfd, const char *path, enum hash_algo algo, size_t size,
    char hex[SHA256_HEX]);
/* 1 when s is exactly n lowercase-or-uppercase hex digits */
int is_hex(const char *s, size_t n);

#endif
