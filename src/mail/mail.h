/* mail: the outbox worker of SPEC §5. One thread in `dialconf serve`
 * claims due outbox rows (app_outbox_claim), renders them (core mime and
 * tmpl) and delivers them over SMTP (libcurl) or into a Maildir, then
 * reports each verdict to app. Nothing here changes data but through app.
 *
 * Delivery URLs:
 *   "maildir:"             DATADIR/maildir
 *   "maildir:DIR"          DIR (created with tmp/, new/, cur/)
 *   "smtp://HOST:PORT"     SMTP, STARTTLS required (nothing is sent to
 *                          a server that does not offer it)
 *   "smtps://HOST:PORT"    SMTP over TLS from the first byte
 * Options after '?', joined by '&': "tls=none" (smtp:// only) sends in
 * clear, for a local relay; "cafile=/PATH" trusts the CA certificates of
 * that PEM file instead of the system's.
 * SMTP credentials come from the URL (smtp://user:pass@host) or from
 * DIALCONF_SMTP_USER / DIALCONF_SMTP_PASSWORD; never log the URL but
 * through mail_url_redact. */
#ifndef DIALCONF_MAIL_MAIL_H
#define DIALCONF_MAIL_MAIL_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct app_mail;
struct buf;

struct mail_worker;

/* Check url and start the worker thread on a. datadir resolves "maildir:".
 * Returns 0, EINVAL (a URL of no known kind), ENOMEM, or the errno of
 * creating the Maildir or the thread. */
int mail_worker_start(struct mail_worker **wp, struct app *a,
		      const char *mail_url, const char *datadir);

/* Stop the thread after its current message and free w (NULL is fine).
 * Claimed rows not yet reported stay leased and are delivered after the
 * next start. */
void mail_worker_stop(struct mail_worker *w);

/* The webhook delivery thread (webhook.c): POSTs the events app queued to
 * webhookUrl, signed, with retries (app.h "Webhooks"). start: 0, ENOMEM,
 * EIO, or the errno of creating the thread. stop: after the current POST;
 * the events it claimed and did not deliver are due again after the next
 * start (NULL is fine). */
struct mail_webhook;
int mail_webhook_start(struct mail_webhook **wp, struct app *a);
void mail_webhook_stop(struct mail_webhook *w);

/* Whether url is a delivery URL mail_worker_start accepts: 0 or EINVAL. */
int mail_url_check(const char *url);

/* url as it may be shown: its user information ("user:password@") as
 * "***@". Truncated to size. */
void mail_url_redact(const char *url, char *out, size_t size);

/* The whole RFC 5322 message of outbox row m (its vars set) dated now,
 * appended to out. Only the PIN reset and enabled emails may show a PIN.
 * 0, EINVAL (bad variables or template), EOVERFLOW, ENOMEM. */
int mail_render(const struct app_mail *m, int64_t now, struct buf *out);

#endif
