/* fuzz_attendant: core/attendant driven as src/sip drives it, by a
 * caller who controls every digit and its timing. Each step takes a byte
 * off the input: an event of the driver (answered, timer, prompt done,
 * worker answers with any flags, room counts, hang-up) or a digit the way
 * the caller sends it: an RFC 4733 telephone-event payload decoded by
 * libre's telev as the RTP handler does (call_telev_digit), a SIP INFO
 * body (call_info_digit), or any byte at all. The promises checked: never
 * more actions than ATT_ACTIONS_MAX, digits always a bounded string, a
 * join as organizer only after a right PIN or an admin's admit, nothing
 * after the end but silence. */
#include <assert.h>

#include "core/attendant.h"
#include "sip/sipd_priv.h"
#include "fuzz.h"

enum { OP_EVENT, OP_TELEV, OP_INFO, OP_RAW_DIGIT };

static const char keys[] = "0123456789*#";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_action acts[ATT_ACTIONS_MAX];
	struct attendant *a = NULL;
	struct telev *tv = NULL;
	struct mbuf *mb = NULL;
	bool vouched = false; /* a right PIN or an admit was fed */
	size_t n, i;

	if (attendant_alloc(&a, NULL) || telev_alloc(&tv, 50) ||
	    !(mb = mbuf_alloc(64)))
		goto out;
	while (size) {
		uint8_t b = fuzz_byte(&data, &size);
		uint8_t f = fuzz_byte(&data, &size);
		struct att_event ev = {.type = ATT_EV_DIGIT};

		switch (b >> 6) {
		case OP_EVENT:
			ev.type = (enum att_event_type)((b & 0x3f) %
							(ATT_EV_HANGUP + 1));
			ev.digit = keys[f % 12];
			ev.valid = f & 1;
			ev.bypass = f & 2;
			ev.closed = f & 4;
			ev.blocked = f & 8;
			ev.max_parts = (f >> 4) & 3;
			ev.participants = (f >> 6) & 3;
			break;
		case OP_TELEV: { /* 4 bytes: event, E|R|volume, duration */
			uint8_t pkt[4] = {f, fuzz_byte(&data, &size),
				fuzz_byte(&data, &size), fuzz_byte(&data, &size)};

			mbuf_rewind(mb);
			(void)mbuf_write_mem(mb, pkt, sizeof(pkt));
			mb->pos = 0;
			ev.digit = call_telev_digit(tv, mb);
			break;
		}
		case OP_INFO: { /* f bytes of body, NUL-terminated */
			char body[257];
			size_t len = f < size ? f : size;

			memcpy(body, data, len);
			body[len] = '\0';
			data += len;
			size -= len;
			ev.digit = call_info_digit(body, b & 1);
			break;
		}
		default:
			ev.digit = (char)f;
			break;
		}
		if (ev.type == ATT_EV_DIGIT && !ev.digit)
			continue;
		if ((ev.type == ATT_EV_PIN_RESULT && ev.valid && !ev.blocked &&
		     !ev.closed) || ev.type == ATT_EV_ADMIT)
			vouched = true;
		n = ATT_ACTIONS_MAX + 1;
		assert(attendant_handle(a, &ev, acts, &n) == 0);
		assert(n <= ATT_ACTIONS_MAX);
		for (i = 0; i < n; i++) {
			assert(memchr(acts[i].digits, '\0', ATT_DIGITS_SIZE));
			if (acts[i].type == ATT_ACT_JOIN && acts[i].organizer)
				assert(vouched);
			if (acts[i].type == ATT_ACT_PLAY)
				assert(attendant_prompt_name(acts[i].prompt));
		}
		(void)attendant_state_name(attendant_state(a));
		if (attendant_state(a) == ATT_S_DONE) {
			struct att_event d = {.type = ATT_EV_DIGIT, .digit = '1'};

			assert(attendant_handle(a, &d, acts, &n) == 0 && n == 0);
		}
	}
 out:
	mem_deref(mb);
	mem_deref(tv);
	attendant_free(a);
	return 0;
}
