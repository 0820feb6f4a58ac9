/* render: an outbox row into the message a mail program reads: the text and
 * HTML templates of its kind (templates/KIND.txt, .html) filled with the
 * row's variables, as multipart/alternative with From, To, Subject, Date
 * and the row's stable Message-ID (core mime does the RFC 2045-2047 and
 * RFC 5322 work). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/e164.h"
#include "core/mime.h"
#include "core/tmpl.h"
#include "mail/mail.h"
#include "mail/mail_priv.h"

#define PART_CAP (256 * 1024) /* bytes of one rendered part */

/* The variables are those of TMPL_VARS (core/tmpl.h). */
#define NVARS TMPL_V_COUNT

/* SPEC §5: only these two show the PIN. Whatever a row's variables hold,
 * the others render "pin" as empty. */
static bool kind_shows_pin(const char *kind)
{
	return !strcmp(kind, "pin-reset") || !strcmp(kind, "enabled");
}

static int vars_fill(const json_t *o, const char *kind,
		     struct tmpl_var *v)
{
	size_t i;

	if (!json_is_object(o))
		return EINVAL;
	for (i = 0; i < NVARS; i++) {
		v[i].name = tmpl_var_names[i];
		v[i].value = json_string_value(json_object_get(o,
							       v[i].name));
	}
	if (!kind_shows_pin(kind))
		v[TMPL_V_PIN].value = NULL;
	return 0;
}

/* The ...Display twins of the numbers, as the admin center shows them,
 * made here from the row's numbers (so rows queued before they existed
 * show them too) into disp[0] and disp[1]. */
static void vars_display(struct tmpl_var *v,
			 char disp[2][E164_FORMAT_SIZE])
{
	static const enum tmpl_var_id num[2] = {
		TMPL_V_TOLL_NUMBER, TMPL_V_TOLL_FREE_NUMBER,
	};
	static const enum tmpl_var_id show[2] = {
		TMPL_V_TOLL_NUMBER_DISPLAY, TMPL_V_TOLL_FREE_NUMBER_DISPLAY,
	};
	size_t i;

	for (i = 0; i < 2; i++)
		v[show[i]].value = e164_format(v[num[i]].value, disp[i],
					       E164_FORMAT_SIZE) ?
			v[num[i]].value : disp[i];
}

/* Render template KIND.EXT into *b (a new buffer). */
static int part_render(const char *kind, const char *ext,
		       const struct tmpl_var *v, enum tmpl_mode mode,
		       struct buf **b)
{
	char name[64];
	const char *t;
	int e;

	if ((size_t)snprintf(name, sizeof(name), "%s.%s", kind, ext) >=
	    sizeof(name))
		return EINVAL;
	t = tmpl_builtin(name);
	if (!t)
		return EINVAL;
	e = buf_alloc(b, PART_CAP);
	if (!e)
		e = tmpl_render(t, v, NVARS, mode, *b);
	return e;
}

/* Free a buffer that may hold a PIN, wiping it first. */
static void buf_wipe_free(struct buf *b)
{
	char *p = NULL;
	size_t len = 0;

	if (!b)
		return;
	if (!buf_detach(b, &p, &len) && p) {
		explicit_bzero(p, len);
		free(p);
	}
	buf_free(b);
}

/* A meeting email's calendar object (RFC 6047 §2.4: the method in the
 * Content-Type is the one in the object), added to the row's variables
 * when it was claimed; 0 with p->body NULL when there is none. */
static int calendar_part(const json_t *o, struct mime_part *p, char *type,
			 size_t size)
{
	const char *cal = json_string_value(json_object_get(o, "calendar"));
	const char *method = json_string_value(json_object_get(o,
		"calendarMethod"));

	memset(p, 0, sizeof(*p));
	if (!cal)
		return 0;
	if (!method || (strcmp(method, "REQUEST") && strcmp(method, "CANCEL")))
		return EINVAL;
	snprintf(type, size, "text/calendar; charset=UTF-8; method=%s",
		 method);
	p->type = type;
	p->body = cal;
	p->len = strlen(cal);
	return 0;
}

static int message_build(const struct app_mail *m, int64_t now,
			 const char *text, const char *html,
			 const struct mime_part *cal, struct buf *out)
{
	struct mime_addr to = { m->to_name, m->to_addr };
	struct mime_message mm;

	memset(&mm, 0, sizeof(mm));
	mm.from.name = m->from_name;
	mm.from.addr = m->from_addr;
	mm.to = &to;
	mm.nto = 1;
	mm.subject = m->subject;
	mm.date = now;
	mm.message_id = m->message_id;
	mm.text = text;
	mm.html = html;
	mm.extra = cal && cal->body ? cal : NULL;
	mm.cte = MIME_QP;
	/* RFC 3834 §5: keeps vacation responders from answering. */
	mm.auto_submitted = true;
	return mime_render(&mm, out);
}

int mail_render(const struct app_mail *m, int64_t now, struct buf *out)
{
	char subject[APP_MAIL_SUBJECT_SIZE];
	char disp[2][E164_FORMAT_SIZE];
	struct buf *text = NULL, *html = NULL;
	struct tmpl_var v[NVARS];
	struct mime_part cal;
	char caltype[64];
	const char *body = NULL;
	json_t *o = NULL;
	int e;

	if (!m || !m->vars || !out)
		return EINVAL;
	o = json_loads(m->vars, 0, NULL);
	e = vars_fill(o, m->kind, v);
	if (!e)
		vars_display(v, disp);
	if (!e)
		e = calendar_part(o, &cal, caltype, sizeof(caltype));
	if (!e)
		e = part_render(m->kind, "txt", v, TMPL_TEXT, &text);
	if (!e)
		e = part_render(m->kind, "html", v, TMPL_HTML, &html);
	/* The subject was rendered when the row was queued; the text
	 * template's own Subject: line is dropped from the body. */
	if (!e)
		e = tmpl_subject(buf_str(text), subject, sizeof(subject),
				 &body);
	if (!e)
		e = message_build(m, now, body, buf_str(html), &cal, out);
	buf_wipe_free(text);
	buf_wipe_free(html);
	json_decref(o);
	return e;
}
