/* SPDX-License-Identifier: MIT */
/* test_buf: the growable string in lib/buf.c */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "test.h"

static void
test_empty(void)
{
	struct buf b = BUF_INIT;
	char *s;

	T_STREQ(buf_str(&b), "");
	T_EQ(b.len, 0);
	buf_reset(&b);	/* on a buf that never grew */
	T_STREQ(buf_str(&b), "");
	s = buf_detach(&b);	/* an empty buf still gives a string to free */
	T_STREQ(s, "");
	free(s);
	buf_release(&b);
	T_OK(b.s == NULL);
}

static void
test_put(void)
{
	struct buf b = BUF_INIT;

	buf_putc(&b, 'a');
	buf_puts(&b, "bc");
	buf_putn(&b, "defgh", 2);
	T_STREQ(buf_str(&b), "abcde");
	T_EQ(b.len, 5);
	T_EQ(b.s[b.len], '\0');
	T_OK(b.cap > b.len);

	/* embedded NUL bytes are kept and counted */
	buf_putn(&b, "x\0y", 3);
	T_EQ(b.len, 8);
	T_OK(memcmp(b.s, "abcdex\0y", 9) == 0);
	buf_release(&b);
	T_EQ(b.len, 0);
	T_EQ(b.cap, 0);
}

static void
test_printf(void)
{
	struct buf b = BUF_INIT;
	char big[5000];
	size_t i;

	buf_printf(&b, "%s-%d-%05.1f", "v", 42, 3.25);
	T_STREQ(buf_str(&b), "v-42-003.2");
	buf_printf(&b, "%s", "");
	T_EQ(b.len, 10);

	/* growth past the first allocation, several times over */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_reset(&b);
	for (i = 0; i < 10; i++)
		buf_printf(&b, "%s", big);
	T_EQ(b.len, 10 * (sizeof(big) - 1));
	T_EQ(strlen(b.s), b.len);
	T_OK(b.cap >= b.len + 1);
	buf_release(&b);
}

static void
test_reset_detach(void)
{
	struct buf b = BUF_INIT;
	size_t cap;
	char *s;

	buf_puts(&b, "hello");
	cap = b.cap;
	buf_reset(&b);
	T_STREQ(buf_str(&b), "");
	T_EQ(b.len, 0);
	T_EQ(b.cap, cap);	/* the memory is kept */
	buf_puts(&b, "again");
	s = buf_detach(&b);
	T_STREQ(s, "again");
	T_OK(b.s == NULL);
	T_EQ(b.len, 0);
	T_EQ(b.cap, 0);
	free(s);

	/* usable again after detach */
	buf_puts(&b, "more");
	T_STREQ(buf_str(&b), "more");
	buf_release(&b);
}

static void
test_grow(void)
{
	struct buf b = BUF_INIT;

	buf_grow(&b, 100);
	T_OK(b.cap >= 101);
	T_EQ(b.len, 0);
	buf_grow(&b, 0);
	T_OK(b.s != NULL);
	buf_release(&b);
}

int
main(void)
{
	test_empty();
	test_put();
	test_printf();
	test_reset_detach();
	test_grow();
	return T_DONE();
}
