/* mail_priv: what the files of src/mail/ share: the two transports behind
 * one small interface, chosen by the delivery URL. */
#ifndef DIALCONF_MAIL_MAIL_PRIV_H
#define DIALCONF_MAIL_MAIL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "app/app.h"

#define MAIL_REASON_SIZE 512

/* A transport: open once per worker, send many, close once. send returns
 * the verdict and, unless delivered, a one-line reason (the server's reply
 * for SMTP). */
struct mail_transport;

int mail_maildir_open(struct mail_transport **tp, const char *dir);
int mail_smtp_open(struct mail_transport **tp, const char *url);
/* Whether url is an smtp:// or smtps:// URL mail_smtp_open accepts. */
int mail_smtp_check(const char *url);

enum app_mail_result mail_transport_send(struct mail_transport *t,
					 const struct app_mail *m,
					 const char *msg, size_t len,
					 char *reason, size_t size);
/* Before each batch: SMTP forgets that the server was unreachable, and
 * gives up on one message after timeout_s seconds from now on. */
void mail_transport_batch(struct mail_transport *t, int timeout_s);
void mail_transport_close(struct mail_transport *t);

/* Each transport's own functions, behind struct mail_transport. */
struct mail_transport {
	enum app_mail_result (*send)(struct mail_transport *t,
				     const struct app_mail *m,
				     const char *msg, size_t len,
				     char *reason, size_t size);
	void (*batch)(struct mail_transport *t, int timeout_s); /* may be NULL */
	void (*close)(struct mail_transport *t);
};

#endif
