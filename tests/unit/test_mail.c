/* test_mail: src/mail/ as a person reading the email would see it. The
 * rendering of each kind (what it shows and what it must never show), and
 * the worker end to end: a reset queued through app arrives in a Maildir
 * with its Message-ID, and the row is marked sent without its PIN. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/app.h"
#include "core/buf.h"
#include "mail/mail.h"

#define ACTOR "tester"

static void mail_fill(struct app_mail *m, const char *kind, const char *vars)
{
	memset(m, 0, sizeof(*m));
	m->id = 7;
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	snprintf(m->to_addr, sizeof(m->to_addr), "zoe@example.org");
	snprintf(m->to_name, sizeof(m->to_name), "Zoë Ñúñez");
	snprintf(m->from_addr, sizeof(m->from_addr), "no-reply@example.org");
	snprintf(m->from_name, sizeof(m->from_name), "Audio Conferencing");
	snprintf(m->subject, sizeof(m->subject), "Hello");
	snprintf(m->message_id, sizeof(m->message_id),
		 "<dialconf.7.0123456789abcdef0123456789abcdef@example.org>");
	m->vars = vars;
}

static char *render(const char *kind, const char *vars)
{
	struct app_mail m;
	struct buf *b = NULL;
	char *out = NULL;

	mail_fill(&m, kind, vars);
	assert_int_equal(buf_alloc(&b, 1 << 20), 0);
	assert_int_equal(mail_render(&m, 1700000000, b), 0);
	assert_int_equal(buf_detach(b, &out, NULL), 0);
	buf_free(b);
	return out;
}

#define VARS "{\"conferenceId\":\"4829173\",\"displayName\":\"Zoë\"," \
	"\"organizationName\":\"Contoso\",\"pin\":\"90817\"," \
	"\"tollNumber\":\"+14255550100\",\"tollFreeNumber\":\"+18005550199\"}"

static void test_render_reset_no_pin(void **state)
{
	char *s;

	(void)state;
	/* Even with a PIN among the variables, these kinds never show it. */
	s = render("conference-id-reset", VARS);
	assert_non_null(strstr(s, "4829173"));
	/* The row holds the number; the email shows it formatted and links
	 * it exactly. */
	assert_non_null(strstr(s, "+1 425 555 0100"));
	assert_non_null(strstr(s, "tel:+14255550100"));
	assert_null(strstr(s, "90817"));
	assert_non_null(strstr(s, "Message-ID: <dialconf.7."));
	assert_non_null(strstr(s, "multipart/alternative"));
	assert_non_null(strstr(s, "Date: Tue, 14 Nov 2023"));
	/* RFC 2047: the name is encoded, not sent raw. */
	assert_null(strstr(s, "Zoë Ñúñez"));
	assert_non_null(strstr(s, "=?UTF-8?"));
	free(s);
	s = render("conference-info", VARS);
	assert_non_null(strstr(s, "4829173"));
	assert_null(strstr(s, "90817"));
	free(s);
}

static void test_render_pin(void **state)
{
	char *s;

	(void)state;
	s = render("pin-reset", VARS);
	assert_non_null(strstr(s, "90817"));
	free(s);
	s = render("enabled", VARS);
	assert_non_null(strstr(s, "90817"));
	assert_non_null(strstr(s, "4829173"));
	free(s);
}

static void test_render_bad(void **state)
{
	struct app_mail m;
	struct buf *b = NULL;

	(void)state;
	assert_int_equal(buf_alloc(&b, 1 << 20), 0);
	mail_fill(&m, "no-such-kind", "{}");
	assert_int_equal(mail_render(&m, 1700000000, b), EINVAL);
	mail_fill(&m, "pin-reset", "not json");
	assert_int_equal(mail_render(&m, 1700000000, b), EINVAL);
	buf_free(b);
	assert_int_equal(mail_url_check("maildir:"), 0);
	assert_int_equal(mail_url_check("smtp://127.0.0.1:25"), 0);
	assert_int_equal(mail_url_check("smtps://mail.example.org"), 0);
	assert_int_equal(mail_url_check("http://x"), EINVAL);
	assert_int_equal(mail_url_check("smtp://"), EINVAL);
}

/* ---- the worker, end to end over a Maildir ---- */

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int count_new(const char *dir, char *first, size_t size)
{
	char p[256];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(p, sizeof(p), "%s/maildir/new", dir);
	dp = opendir(p);
	if (!dp)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		if (!n && first)
			snprintf(first, size, "%s/%s", p, d->d_name);
		n++;
	}
	closedir(dp);
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_non_null(s);
	(void)fread(s, 1, (1 << 20) - 1, f);
	fclose(f);
	return s;
}

struct found {
	struct app_mail m[8];
	int n;
};

static int found_cb(const struct app_mail *m, void *arg)
{
	struct found *f = arg;

	if (f->n < 8)
		f->m[f->n++] = *m;
	return 0;
}

static void wait_sent(struct app *a, int want)
{
	struct app_err err = { "" };
	struct found f;
	int i;

	for (i = 0; i < 500; i++) {
		memset(&f, 0, sizeof(f));
		assert_int_equal(app_outbox_list(a, "sent", 10, found_cb, &f,
						 &err), 0);
		if (f.n >= want)
			return;
		usleep(10000);
	}
	fail_msg("%d emails not sent in time", want);
}

/* Delivery URLs: the TLS options, and what is refused at start. */
static void test_url_check(void **state)
{
	static const char *const good[] = {
		"maildir:", "maildir:/tmp/x", "smtp://mail.example.org:587",
		"smtps://mail.example.org:465", "smtp://127.0.0.1:25?tls=none",
		"smtp://u:p%40ss@mail.example.org:587",
		"smtps://mail.example.org?cafile=/etc/ssl/ca.pem",
		"smtp://h:25?cafile=%2Fetc%2Fca.pem&tls=none",
	};
	static const char *const bad[] = {
		"", "smtp://", "smtps://", "http://mail.example.org",
		"smtp://h:25?tls=maybe", "smtps://h:465?tls=none",
		"smtp://h:25?cafile=relative.pem", "smtp://h:25?cafile=",
		"smtp://h:25?cafile=/a&cafile=/b", "smtp://h:25?x=1",
		"smtp://h:25#frag", "smtp://h:25?tls=none&",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(mail_url_check(good[i]), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mail_url_check(bad[i]) != EINVAL)
			fail_msg("accepted %s", bad[i]);
	}
	assert_int_equal(mail_url_check(NULL), EINVAL);
}

/* The URL as logs and errors show it: never the password. */
static void test_url_redact(void **state)
{
	char out[128];

	(void)state;
	mail_url_redact("smtp://u:secret@mail.example.org:587?tls=none", out,
			sizeof(out));
	assert_string_equal(out, "smtp://***@mail.example.org:587?tls=none");
	mail_url_redact("smtps://a@b:c@h/x@y", out, sizeof(out));
	assert_string_equal(out, "smtps://***@h/x@y");
	mail_url_redact("smtp://h:25?cafile=/a@b", out, sizeof(out));
	assert_string_equal(out, "smtp://h:25?cafile=/a@b");
	mail_url_redact("maildir:/x@y", out, sizeof(out));
	assert_string_equal(out, "maildir:/x@y");
	mail_url_redact("smtp://u:secret@h", out, 10);
	assert_string_equal(out, "smtp://**");
	mail_url_redact(NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_worker_maildir(void **state)
{
	struct app_reset_result r;
	struct app_err err = { "" };
	struct mail_worker *w = NULL;
	struct app *a = NULL;
	struct app_user u;
	struct found f;
	char dir[] = "/tmp/test_mail.XXXXXX";
	char path[1024];
	char *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(app_open(&a, "sqlite:", dir, 2, &err), 0);
	assert_int_equal(app_user_create(a, ACTOR, "ada@example.org",
					 "Ada Lovelace", true, false, &u, NULL,
					 &err), 0);
	/* Queued before the worker runs: delivered once it starts. */
	assert_int_equal(app_reset_conference_id(a, ACTOR, "ada@example.org",
						 true, true, &r, &err), 0);
	assert_true(r.email_queued);
	assert_int_equal(mail_worker_start(&w, a, "maildir:", dir), 0);
	wait_sent(a, 1);
	assert_int_equal(count_new(dir, path, sizeof(path)), 1);
	s = slurp(path);
	assert_non_null(strstr(s, r.conference_id));
	assert_non_null(strstr(s, "Subject: Your new conference ID: "));
	memset(&f, 0, sizeof(f));
	assert_int_equal(app_outbox_list(a, NULL, 10, found_cb, &f, &err), 0);
	assert_int_equal(f.n, 1);
	assert_non_null(strstr(s, f.m[0].message_id));
	assert_int_equal(f.m[0].attempts, 1);
	free(s);

	/* Queued while it runs: the commit wakes it. */
	assert_int_equal(app_send_conference_info(a, ACTOR, "ada@example.org",
						  "other@example.org", NULL,
						  NULL, 0, &err), 0);
	wait_sent(a, 2);
	assert_int_equal(count_new(dir, NULL, 0), 2);
	mail_worker_stop(w);
	app_close(a);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_reset_no_pin),
		cmocka_unit_test(test_render_pin),
		cmocka_unit_test(test_render_bad),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_worker_maildir),
	};

	return cmocka_run_group_tests_name("mail", tests, NULL, NULL);
}
