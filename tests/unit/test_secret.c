/* Hashing and making of secrets: PIN and password hashes, API tokens,
 * generated passwords. argon2id takes about 0.1 s a call, so few here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/secret.h"

static int setup(void **state)
{
	(void)state;
	return secret_init() ? -1 : 0;
}

static void test_hash_verify(void **state)
{
	char h1[SECRET_HASH_SIZE], h2[SECRET_HASH_SIZE];

	(void)state;
	assert_int_equal(secret_hash("48291", h1, sizeof(h1)), 0);
	assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
	/* The PIN itself is nowhere in what is stored. */
	assert_null(strstr(h1, "48291"));
	assert_true(secret_verify(h1, "48291"));
	assert_false(secret_verify(h1, "48292"));
	assert_false(secret_verify(h1, "4829"));
	assert_false(secret_verify(h1, ""));

	/* Salted: the same PIN hashes differently each time. */
	assert_int_equal(secret_hash("48291", h2, sizeof(h2)), 0);
	assert_string_not_equal(h1, h2);
}

static void test_hash_misuse(void **state)
{
	char h[SECRET_HASH_SIZE], small[64];

	(void)state;
	assert_int_equal(secret_hash("48291", small, sizeof(small)), EINVAL);
	assert_int_equal(secret_hash(NULL, h, sizeof(h)), EINVAL);
	assert_false(secret_verify(NULL, "48291"));
	assert_false(secret_verify("$argon2id$", NULL));
	assert_false(secret_verify("", "48291"));
	assert_false(secret_verify("not a hash", "48291"));
	/* An unterminated stored hash is refused, not read past. */
	memset(h, 'x', sizeof(h));
	assert_false(secret_verify(h, "48291"));
}

static void test_token(void **state)
{
	char t1[SECRET_TOKEN_SIZE], t2[SECRET_TOKEN_SIZE];
	char d1[SECRET_DIGEST_SIZE], d1b[SECRET_DIGEST_SIZE];
	char d2[SECRET_DIGEST_SIZE];

	(void)state;
	assert_int_equal(secret_token_new(t1, sizeof(t1)), 0);
	assert_int_equal(secret_token_new(t2, sizeof(t2)), 0);
	assert_int_equal(strncmp(t1, "dct_", 4), 0);
	assert_int_equal(strlen(t1), 4 + 43);
	/* base64url, no padding: safe in a header, a URL and a shell. */
	assert_int_equal(strspn(t1 + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_string_not_equal(t1, t2);

	assert_int_equal(secret_token_digest(t1, d1, sizeof(d1)), 0);
	assert_int_equal(secret_token_digest(t1, d1b, sizeof(d1b)), 0);
	assert_int_equal(secret_token_digest(t2, d2, sizeof(d2)), 0);
	assert_string_equal(d1, d1b);
	assert_string_not_equal(d1, d2);
	assert_int_equal(strlen(d1), 64);
	assert_int_equal(strspn(d1, "0123456789abcdef"), 64);
	assert_null(strstr(d1, t1 + 4));

	assert_int_equal(secret_token_new(t1, sizeof(t1) - 1), EINVAL);
	assert_int_equal(secret_token_digest(t1, d1, sizeof(d1) - 1), EINVAL);
}

/* Stored digests must survive upgrades: BLAKE2b-256, hex, of the bytes. */
static void test_digest_known(void **state)
{
	char d[SECRET_DIGEST_SIZE];

	(void)state;
	assert_int_equal(secret_token_digest("abc", d, sizeof(d)), 0);
	assert_string_equal(d, "bddd813c634239723171ef3fee98579b"
			       "94964e3bb1cb3e427262c8c068d52319");
}

static void test_password(void **state)
{
	char p1[33], p2[33];
	size_t i;

	(void)state;
	assert_int_equal(secret_password_new(p1, sizeof(p1), 32), 0);
	assert_int_equal(secret_password_new(p2, sizeof(p2), 32), 0);
	assert_int_equal(strlen(p1), 32);
	assert_string_not_equal(p1, p2);
	for (i = 0; i < 32; i++) {
		assert_true((p1[i] >= 'a' && p1[i] <= 'z') ||
			    (p1[i] >= 'A' && p1[i] <= 'Z') ||
			    (p1[i] >= '0' && p1[i] <= '9'));
		/* Nothing that reads as another character on paper. */
		assert_null(strchr("0O1lI", p1[i]));
	}
	assert_int_equal(secret_password_new(p1, 32, 32), EINVAL);
	assert_int_equal(secret_password_new(p1, sizeof(p1), 0), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_hash_misuse),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_digest_known),
		cmocka_unit_test(test_password),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
