/* secret: hashing and making of secrets with libsodium. PINs and passwords
 * are low-entropy, so they get argon2id, slow and salted; API tokens carry
 * 256 random bits, so one fast BLAKE2b digest is enough to store them and
 * lets a request be authenticated by one indexed lookup. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/secret.h"

#define TOKEN_PREFIX "dct_"
#define TOKEN_BYTES 32
#define DIGEST_BYTES 32
/* Far above any real PIN, password or token; keeps hashing bounded. */
#define PLAIN_MAX 1024
/* INTERACTIVE limits: about 0.1 s and 64 MiB per hash, fine for a sign-in
 * or a PIN entry, costly for an offline guesser. The fuzzing build (meson
 * -Dfuzz=true, never a daemon's) hashes as cheaply as libsodium allows, so
 * that a fuzzed request that sets a PIN takes microseconds. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define HASH_OPS crypto_pwhash_OPSLIMIT_MIN
#define HASH_MEM crypto_pwhash_MEMLIMIT_MIN
#else
#define HASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define HASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE
#endif

/* Unambiguous when read aloud or copied from paper: no 0/O/o, 1/l/I. */
static const char alphabet[] =
	"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

_Static_assert(SECRET_HASH_SIZE >= crypto_pwhash_STRBYTES, "hash size");
_Static_assert(SECRET_TOKEN_SIZE >= sizeof(TOKEN_PREFIX) - 1 +
	       sodium_base64_ENCODED_LEN(TOKEN_BYTES,
			sodium_base64_VARIANT_URLSAFE_NO_PADDING), "token size");
_Static_assert(SECRET_DIGEST_SIZE >= DIGEST_BYTES * 2 + 1, "digest size");
_Static_assert(SECRET_ID_SIZE == sodium_base64_ENCODED_LEN(16,
	       sodium_base64_VARIANT_URLSAFE_NO_PADDING), "id size");

int secret_init(void)
{
	return sodium_init() < 0 ? EIO : 0;
}

int secret_hash(const char *plain, char *out, size_t size)
{
	size_t len;

	if (!plain || !out || size < crypto_pwhash_STRBYTES)
		return EINVAL;

	len = strnlen(plain, PLAIN_MAX + 1);
	if (len > PLAIN_MAX)
		return EINVAL;

	if (crypto_pwhash_str(out, plain, len, HASH_OPS, HASH_MEM))
		return ENOMEM;

	return 0;
}

bool secret_verify(const char *hash, const char *plain)
{
	size_t len;

	/* A hash read from storage must end inside the size it was made in. */
	if (!hash || !plain ||
	    strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return false;

	len = strnlen(plain, PLAIN_MAX + 1);
	if (len > PLAIN_MAX)
		return false;

	return crypto_pwhash_str_verify(hash, plain, len) == 0;
}

int secret_token_new(char *out, size_t size)
{
	unsigned char raw[TOKEN_BYTES];
	size_t plen = sizeof(TOKEN_PREFIX) - 1;

	if (!out || size < SECRET_TOKEN_SIZE)
		return EINVAL;

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, TOKEN_PREFIX, plen);
	/* The prefix tells a leaked token apart in logs and secret scanners;
	 * base64url keeps it safe in a header and a URL. */
	sodium_bin2base64(out + plen, size - plen, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));

	return 0;
}

int secret_token_digest(const char *token, char *out, size_t size)
{
	unsigned char h[DIGEST_BYTES];
	size_t len;

	if (!token || !out || size < SECRET_DIGEST_SIZE)
		return EINVAL;

	len = strnlen(token, PLAIN_MAX + 1);
	if (len > PLAIN_MAX)
		return EINVAL;

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, len,
			   NULL, 0);
	sodium_bin2hex(out, size, h, sizeof(h));

	return 0;
}

int secret_id_new(char *out, size_t size)
{
	unsigned char raw[16];

	if (!out || size < SECRET_ID_SIZE)
		return EINVAL;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, size, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));

	return 0;
}

bool secret_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;

	la = strnlen(a, PLAIN_MAX + 1);
	lb = strnlen(b, PLAIN_MAX + 1);
	if (la != lb || la > PLAIN_MAX)
		return false;

	return sodium_memcmp(a, b, la) == 0;
}

int secret_password_new(char *out, size_t size, size_t len)
{
	size_t i;

	if (!out || len == 0 || size <= len)
		return EINVAL;

	for (i = 0; i < len; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[len] = '\0';

	return 0;
}
