/* secret: hashing and making of secrets with libsodium. PINs and passwords
 * are stored as argon2id strings (crypto_pwhash_str); API tokens as a hex
 * BLAKE2b digest, since they are long random values. Nothing here logs. */
#ifndef DIALCONF_CORE_SECRET_H
#define DIALCONF_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_HASH_SIZE 128   /* >= crypto_pwhash_STRBYTES */
#define SECRET_TOKEN_SIZE 48   /* "dct_" + 43 base64url chars + NUL */
#define SECRET_DIGEST_SIZE 65  /* 64 hex chars + NUL */

/* Call once before any other function here (sodium_init). 0 or EIO. */
int secret_init(void);

/* argon2id hash of a PIN or password into out. 0, EINVAL or ENOMEM. */
int secret_hash(const char *plain, char *out, size_t size);
bool secret_verify(const char *hash, const char *plain);

/* A new random API token (256 bits) in out, SECRET_TOKEN_SIZE bytes. */
int secret_token_new(char *out, size_t size);
/* The hex digest a token is stored and looked up by. */
int secret_token_digest(const char *token, char *out, size_t size);

/* A random 128-bit id (session ids, CSRF tokens) as 22 base64url
 * characters in out, SECRET_ID_SIZE bytes. */
#define SECRET_ID_SIZE 23
int secret_id_new(char *out, size_t size);

/* Compare two NUL-terminated secrets in time that depends only on their
 * lengths, so a wrong guess tells nothing of where it went wrong. */
bool secret_equal(const char *a, const char *b);

/* A random password of len characters from an unambiguous alphabet. */
int secret_password_new(char *out, size_t size, size_t len);

#endif
