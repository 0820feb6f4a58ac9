/* test_tmpl: the template renderer, and the email templates built into the
 * binary: each renders with the values the app gives, leaves no tag behind,
 * and says what its email must say and nothing it must not (SPEC §5: the
 * conference ID emails never carry the PIN). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/mime.h"
#include "core/tmpl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define ID      "4829173"
#define OLD_ID  "7361925"
#define TOLL    "+14255550100"
#define TOLLFREE "+18005550199"
#define TOLL_SHOWN     "+1 425 555 0100"
#define TOLLFREE_SHOWN "+1 800 555 0199"
#define PIN     "36158"

/* Everything the app knows when it renders an email; each template takes
 * what it needs. */
static const struct tmpl_var full[] = {
	{ "displayName", "Zo\xc3\xab \xc3\x91\xc3\xba\xc3\xb1" "ez" },
	{ "organizationName", "Contoso" },
	{ "conferenceId", ID },
	{ "previousConferenceId", OLD_ID },
	{ "tollNumber", TOLL },
	{ "tollFreeNumber", TOLLFREE },
	{ "tollNumberDisplay", TOLL_SHOWN },
	{ "tollFreeNumberDisplay", TOLLFREE_SHOWN },
	{ "pin", PIN },
	{ "meetingsList", "Weekly sync, Mondays 10:00 (conference ID 5192837)\n"
			  "Budget review, 3 March 14:00 (conference ID "
			  "6203948)" },
	{ "invitationsUpdated", "yes" },
	{ "meetingSubject", "Budget review" },
	{ "meetingStart", "Thu, 26 Nov 2026 23:30 UTC" },
	{ "meetingEnd", "Fri, 27 Nov 2026 00:30 UTC" },
	{ "organizerEmail", "zoe@example.org" },
	{ "otherNumbers", "    +442079460000 (London, GB)" },
	{ "updated", "yes" },
};

/* The same with every optional value empty. */
static const struct tmpl_var sparse[] = {
	{ "displayName", "" },
	{ "organizationName", "" },
	{ "conferenceId", ID },
	{ "previousConferenceId", "" },
	{ "tollNumber", "" },
	{ "tollFreeNumber", "" },
	{ "tollNumberDisplay", "" },
	{ "tollFreeNumberDisplay", "" },
	{ "pin", PIN },
	{ "meetingsList", "" },
	{ "invitationsUpdated", "" },
	{ "meetingSubject", "Budget review" },
	{ "meetingStart", "Thu, 26 Nov 2026 23:30 UTC" },
	{ "meetingEnd", "Fri, 27 Nov 2026 00:30 UTC" },
	{ "organizerEmail", "zoe@example.org" },
	{ "otherNumbers", "" },
	{ "updated", "" },
};

static int setup(void **state)
{
	struct buf *b = NULL;

	if (buf_alloc(&b, 1 << 16))
		return -1;
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	buf_free(*state);
	return 0;
}

static const char *render(struct buf *b, const char *t,
			  const struct tmpl_var *v, size_t n,
			  enum tmpl_mode mode)
{
	buf_reset(b);
	assert_int_equal(tmpl_render(t, v, n, mode, b), 0);
	return buf_str(b);
}

static void test_substitution(void **state)
{
	struct buf *b = *state;
	const struct tmpl_var v[] = {
		{ "a", "one" }, { "b", "two" }, { "a", "first wins not" },
		{ "empty", NULL },
	};

	assert_string_equal(render(b, "{{a}}+{{b}}={{a}}{{b}}{{empty}}.", v,
				   N(v), TMPL_TEXT), "one+two=onetwo.");
	assert_string_equal(render(b, "no tags { } }} {x}", v, N(v),
				   TMPL_TEXT), "no tags { } }} {x}");
	assert_string_equal(render(b, "", v, N(v), TMPL_TEXT), "");
}

static void test_values_are_not_templates(void **state)
{
	struct buf *b = *state;
	const struct tmpl_var v[] = {
		{ "displayName", "{{pin}}" }, { "pin", PIN },
	};

	assert_string_equal(render(b, "Hello {{displayName}}", v, N(v),
				   TMPL_TEXT), "Hello {{pin}}");
}

static void test_html_escaping(void **state)
{
	struct buf *b = *state;
	const struct tmpl_var v[] = {
		{ "displayName", "<script>alert('x')</script> & \"q\"" },
		{ "list", "one\ntwo" },
	};

	assert_string_equal(render(b, "<p title=\"{{displayName}}\">"
				   "{{displayName}}</p>", v, 1, TMPL_HTML),
			    "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;"
			    "/script&gt; &amp; &quot;q&quot;\">&lt;script&gt;"
			    "alert(&#39;x&#39;)&lt;/script&gt; &amp; "
			    "&quot;q&quot;</p>");
	assert_string_equal(render(b, "<p>{{list}}</p>", v, N(v), TMPL_HTML),
			    "<p>one<br>\ntwo</p>");

	/* Text mode leaves values alone; only HTML needs escaping. */
	assert_string_equal(render(b, "{{displayName}}", v, 1, TMPL_TEXT),
			    v[0].value);
}

static void test_unknown_name_rejected(void **state)
{
	struct buf *b = *state;
	const struct tmpl_var v[] = { { "conferenceId", ID }, { "off", "" } };

	assert_int_equal(buf_puts(b, "kept"), 0);
	assert_int_equal(tmpl_render("ID {{conferenceID}}", v, N(v),
				     TMPL_TEXT, b), EINVAL);
	/* Even where the section is hidden: the typo is still caught. */
	assert_int_equal(tmpl_render("{{#off}}{{tollNumbr}}{{/off}}", v, N(v),
				     TMPL_TEXT, b), EINVAL);
	assert_int_equal(tmpl_render("{{#nosuch}}x{{/nosuch}}", v, N(v),
				     TMPL_TEXT, b), EINVAL);
	assert_string_equal(buf_str(b), "kept");
}

static void test_malformed_rejected(void **state)
{
	struct buf *b = *state;
	const struct tmpl_var v[] = { { "a", "x" }, { "b", "y" } };
	const char *bad[] = {
		"{{a", "{{a}", "{{}}", "{{ a }}", "{{#a}}never closed",
		"stray {{/a}}", "{{#a}}{{/b}}", "{{#a}}{{#b}}{{/a}}{{/b}}",
		("{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}x"
		 "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}"),
	};
	size_t i;

	for (i = 0; i < N(bad); i++) {
		if (tmpl_render(bad[i], v, N(v), TMPL_TEXT, b) != EINVAL)
			fail_msg("accepted: %s", bad[i]);
	}
	assert_int_equal(buf_len(b), 0);
}

static void test_sections(void **state)
{
	struct buf *b = *state;
	const struct tmpl_var v[] = {
		{ "tollFreeNumber", TOLLFREE }, { "none", "" }, { "n", "1" },
	};

	assert_string_equal(render(b, "a{{#tollFreeNumber}}[{{tollFreeNumber}}]"
				   "{{/tollFreeNumber}}b", v, N(v), TMPL_TEXT),
			    "a[" TOLLFREE "]b");
	assert_string_equal(render(b, "a{{#none}}[{{none}}]{{/none}}b", v,
				   N(v), TMPL_TEXT), "ab");
	assert_string_equal(render(b, "a{{^none}}[empty]{{/none}}"
				   "{{^n}}[hidden]{{/n}}b", v, N(v), TMPL_TEXT),
			    "a[empty]b");
	assert_string_equal(render(b, "{{#n}}1{{#none}}2{{/none}}{{^none}}3"
				   "{{#n}}4{{/n}}{{/none}}{{/n}}", v, N(v),
				   TMPL_TEXT), "134");

	/* A section tag alone on its line takes the line with it. */
	assert_string_equal(render(b, "Numbers:\n"
				   "  {{#tollFreeNumber}}\n"
				   "  Toll-free: {{tollFreeNumber}}\n"
				   "  {{/tollFreeNumber}}\n"
				   "{{#none}}\r\n"
				   "  Nothing\r\n"
				   "{{/none}}\r\n"
				   "End\n", v, N(v), TMPL_TEXT),
			    "Numbers:\n  Toll-free: " TOLLFREE "\nEnd\n");
}

static void test_output_bounded(void **state)
{
	struct buf *small = NULL;
	const struct tmpl_var v[] = { { "x", "0123456789" } };

	(void)state;
	assert_int_equal(buf_alloc(&small, 25), 0);
	assert_int_equal(tmpl_render("{{x}}{{x}}", v, 1, TMPL_TEXT, small), 0);
	assert_int_equal(tmpl_render("{{x}}", v, 1, TMPL_TEXT, small),
			 EOVERFLOW);
	assert_string_equal(buf_str(small), "01234567890123456789");
	buf_free(small);
}

static void test_subject_split(void **state)
{
	char subject[64];
	const char *body;

	(void)state;
	assert_int_equal(tmpl_subject("Subject: New ID 123\n\nHello\n", subject,
				      sizeof(subject), &body), 0);
	assert_string_equal(subject, "New ID 123");
	assert_string_equal(body, "Hello\n");

	assert_int_equal(tmpl_subject("Subject: x\r\nHello", subject,
				      sizeof(subject), &body), 0);
	assert_string_equal(subject, "x");
	assert_string_equal(body, "Hello");

	assert_int_equal(tmpl_subject("Hello\n", subject, sizeof(subject),
				      &body), EINVAL);
	assert_int_equal(tmpl_subject("Subject: far too long\n", subject, 5,
				      &body), EOVERFLOW);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static enum tmpl_mode mode_of(const char *name)
{
	return ends_with(name, ".html") ? TMPL_HTML : TMPL_TEXT;
}

static void test_every_template_renders(void **state)
{
	struct buf *b = *state;
	char subject[256];
	const char *name, *body, *s;
	size_t i;

	for (i = 0; (name = tmpl_builtin_name(i)) != NULL; i++) {
		const char *t = tmpl_builtin(name);

		assert_non_null(t);
		assert_true(ends_with(name, ".txt") || ends_with(name, ".html"));

		s = render(b, t, full, N(full), mode_of(name));
		if (strstr(s, "{{") || strstr(s, "}}"))
			fail_msg("%s: a tag is left: %s", name, s);
		if (mode_of(name) == TMPL_TEXT) {
			assert_int_equal(tmpl_subject(s, subject,
						      sizeof(subject), &body),
					 0);
			assert_true(strlen(subject) > 5);
			assert_true(strlen(body) > 100);
		} else {
			assert_non_null(strstr(s, "<!DOCTYPE html>"));
			assert_non_null(strstr(s, "Zo\xc3\xab"));
		}

		/* With every optional value empty: no tag left, and no
		 * hole of blank lines where a section was. */
		s = render(b, t, sparse, N(sparse), mode_of(name));
		assert_null(strstr(s, "{{"));
		if (strstr(s, "\n\n\n"))
			fail_msg("%s: blank lines left: %s", name, s);
		assert_null(strstr(s, "Hello ,"));
	}
	assert_int_equal(i, 12);
	assert_null(tmpl_builtin("nosuch.txt"));
}

/* What one email says: each of want[] appears, none of never[] does, in
 * both the text and the HTML template. */
static void check_email(struct buf *b, const char *email,
			const char *const *want, size_t nwant,
			const char *const *never, size_t nnever)
{
	static const char *ext[] = { ".txt", ".html" };
	char name[64];
	const char *s;
	size_t e, i;

	for (e = 0; e < N(ext); e++) {
		snprintf(name, sizeof(name), "%s%s", email, ext[e]);
		assert_non_null(tmpl_builtin(name));
		s = render(b, tmpl_builtin(name), full, N(full), mode_of(name));
		for (i = 0; i < nwant; i++) {
			if (!strstr(s, want[i]))
				fail_msg("%s lacks %s", name, want[i]);
		}
		for (i = 0; i < nnever; i++) {
			if (strstr(s, never[i]))
				fail_msg("%s has %s", name, never[i]);
		}
	}
}

static void test_reset_email_content(void **state)
{
	static const char *want[] = {
		ID, OLD_ID, TOLL_SHOWN, TOLLFREE_SHOWN, "Weekly sync",
		"Budget review",
	};
	static const char *never[] = { PIN };

	check_email(*state, "conference-id-reset", want, N(want), never,
		    N(never));
}

static void test_reset_email_without_meetings(void **state)
{
	struct buf *b = *state;
	struct tmpl_var v[N(full)];
	const char *s;
	size_t i;

	memcpy(v, full, sizeof(v));
	for (i = 0; i < N(v); i++) {
		if (!strcmp(v[i].name, "meetingsList"))
			v[i].value = "";
	}

	/* Then it tells how to update meetings by hand. */
	s = render(b, tmpl_builtin("conference-id-reset.txt"), v, N(v),
		   TMPL_TEXT);
	assert_non_null(strstr(s, "replace the old\nconference ID with " ID));
	assert_null(strstr(s, "Weekly sync"));
	assert_null(strstr(s, PIN));
}

static void test_info_email_content(void **state)
{
	static const char *want[] = { ID, TOLL_SHOWN, TOLLFREE_SHOWN };
	static const char *never[] = { PIN };

	check_email(*state, "conference-info", want, N(want), never, N(never));
}

static void test_pin_email_content(void **state)
{
	static const char *want[] = { PIN, TOLL_SHOWN, TOLLFREE_SHOWN, "(*)" };
	static const char *never[] = { ID, OLD_ID };

	check_email(*state, "pin-reset", want, N(want), never, N(never));
}

static void test_enabled_email_content(void **state)
{
	static const char *want[] = { ID, TOLL_SHOWN, TOLLFREE_SHOWN, PIN };

	check_email(*state, "enabled", want, N(want), NULL, 0);
}

/* Every email shows the numbers as the admin center does ("+1 425 555
 * 0100"); the number itself appears only in a tel: link, where it must be
 * exact. */
static void test_numbers_shown_formatted(void **state)
{
	static const char *raw[] = { TOLL, TOLLFREE };
	struct buf *b = *state;
	const char *name, *s, *p;
	size_t i, k;

	for (i = 0; (name = tmpl_builtin_name(i)); i++) {
		s = render(b, tmpl_builtin(name), full, N(full),
			   mode_of(name));
		for (k = 0; k < N(raw); k++) {
			for (p = strstr(s, raw[k]); p;
			     p = strstr(p + 1, raw[k])) {
				if (p - s < 4 || strncmp(p - 4, "tel:", 4))
					fail_msg("%s shows %s raw", name,
						 raw[k]);
			}
		}
		if (strstr(s, "tel:" TOLL_SHOWN) ||
		    strstr(s, "tel:" TOLLFREE_SHOWN))
			fail_msg("%s links a formatted number", name);
	}
}

/* Template to message, the way the outbox worker will do it. */
static void test_email_pipeline(void **state)
{
	struct buf *b = *state, *text = NULL, *html = NULL;
	struct mime_addr to = { full[0].value, "zoe@example.org" };
	struct mime_message m;
	char subject[256], id[MIME_MSGID_SIZE];
	const char *body;

	assert_int_equal(sodium_init() < 0, 0);
	assert_int_equal(buf_alloc(&text, 1 << 16), 0);
	assert_int_equal(buf_alloc(&html, 1 << 16), 0);
	assert_int_equal(tmpl_render(tmpl_builtin("conference-info.txt"), full,
				     N(full), TMPL_TEXT, text), 0);
	assert_int_equal(tmpl_render(tmpl_builtin("conference-info.html"),
				     full, N(full), TMPL_HTML, html), 0);
	assert_int_equal(tmpl_subject(buf_str(text), subject, sizeof(subject),
				      &body), 0);
	assert_int_equal(mime_message_id(id, sizeof(id), 12, "c0ffee",
					 "contoso.example"), 0);

	memset(&m, 0, sizeof(m));
	m.from.name = "Contoso";
	m.from.addr = "noreply@contoso.example";
	m.to = &to;
	m.nto = 1;
	m.subject = subject;
	m.date = 1700000000;
	m.message_id = id;
	m.text = body;
	m.html = buf_str(html);
	m.auto_submitted = true;

	buf_reset(b);
	assert_int_equal(mime_render(&m, b), 0);
	assert_non_null(strstr(buf_str(b), "Subject: Your dial-in details"));
	assert_non_null(strstr(buf_str(b), "Conference ID: " ID "\r\n"));
	assert_null(strstr(buf_str(b), PIN));

	buf_free(text);
	buf_free(html);
}

/* The values above are those of the one list of template variables
 * (TMPL_VARS), in its order: every template is tested with what the app
 * can give it, no more. */
static void test_vars_are_the_list(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(N(full), TMPL_V_COUNT);
	assert_int_equal(N(sparse), TMPL_V_COUNT);
	for (i = 0; i < TMPL_V_COUNT; i++) {
		assert_string_equal(full[i].name, tmpl_var_names[i]);
		assert_string_equal(sparse[i].name, tmpl_var_names[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_substitution, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_values_are_not_templates,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_html_escaping, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_name_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sections, setup,
						teardown),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_vars_are_the_list),
		cmocka_unit_test(test_subject_split),
		cmocka_unit_test_setup_teardown(test_every_template_renders,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_email_content,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reset_email_without_meetings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_email_content,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_email_content, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_enabled_email_content,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_shown_formatted,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_email_pipeline, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
