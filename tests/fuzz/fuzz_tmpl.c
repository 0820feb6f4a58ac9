/* fuzz_tmpl: core/tmpl, the email template renderer. Its inputs from
 * outside are the values (display names, organisation names, meeting
 * subjects come from API users) and, for an operator, the templates
 * themselves. The input is "TEMPLATE\0VALUE\0VALUE..." with the values
 * given to the names of TMPL_VARS in order; each is rendered as text and as
 * HTML, and the values also into every built-in template, as the outbox
 * does. A value must come out as it went in: never read as a tag. */
#include <assert.h>
#include <errno.h>

#include "core/buf.h"
#include "core/tmpl.h"
#include "fuzz.h"

#define OUT_CAP (256 * 1024)

static void render(const char *tmpl, const struct tmpl_var *v, size_t n,
		   enum tmpl_mode mode, struct buf *out)
{
	int err;

	buf_reset(out);
	err = tmpl_render(tmpl, v, n, mode, out);
	assert(err == 0 || err == EINVAL || err == EOVERFLOW);
	if (err)
		assert(buf_len(out) == 0); /* left as it was */
	else if (mode == TMPL_TEXT) {
		char subject[1000];
		const char *body;

		(void)tmpl_subject(buf_str(out), subject, sizeof(subject),
				   &body);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s[1 + TMPL_V_COUNT];
	struct tmpl_var vars[TMPL_V_COUNT];
	struct buf *out = NULL;
	const char *name;
	char *mem;
	size_t i;

	if (!fuzz_strs(data, size, s, 1 + TMPL_V_COUNT, &mem))
		return 0;
	if (buf_alloc(&out, OUT_CAP))
		goto out;
	for (i = 0; i < TMPL_V_COUNT; i++) {
		vars[i].name = tmpl_var_names[i];
		vars[i].value = s[1 + i];
	}
	render(s[0], vars, TMPL_V_COUNT, TMPL_TEXT, out);
	render(s[0], vars, TMPL_V_COUNT, TMPL_HTML, out);
	for (i = 0; (name = tmpl_builtin_name(i)); i++)
		render(tmpl_builtin(name), vars, TMPL_V_COUNT,
		       strstr(name, ".html") ? TMPL_HTML : TMPL_TEXT, out);
 out:
	buf_free(out);
	free(mem);
	return 0;
}
