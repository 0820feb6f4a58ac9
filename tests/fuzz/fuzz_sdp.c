/* fuzz_sdp: SDP offers as a caller sends them, into the real SIP server
 * (fuzz_sipd.h): the input is the body of an INVITE, which the harness
 * wraps in a well-formed request, so every input reaches call.c's offer
 * handling: libre's sdp_decode against our session (PCMU, PCMA,
 * telephone-event 0-15), the codec choice (pick_codec), the remote
 * address and port. Each INVITE dials a number of its own that is not a
 * dial-in number, so the workers answer 404 and the call (its RTP port)
 * ends at once, and no "not a number" memory of the edge turns the next
 * one away before its SDP is read. The dial-in number's path, which
 * answers with our SDP, is fuzz_sip's (corpus/sip/invite-number). */
#include "fuzz.h"
#include "fuzz_sipd.h"

#define SDP_MAX 8000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long n;
	static char msg[SDP_MAX + 1024];
	int head;

	if (size > SDP_MAX)
		return 0;
	n++;
	head = snprintf(msg, sizeof(msg) - SDP_MAX,
		"INVITE sip:999%07lu@127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKsdp%lu;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:+14155550123@127.0.0.1>;tag=sdp%lu\r\n"
		"To: <sip:999%07lu@127.0.0.1>\r\n"
		"Call-ID: sdp%lu@fuzz\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:caller@127.0.0.1:5999>\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n", n % 10000000, n, n,
		n % 10000000, n, size);
	memcpy(msg + head, data, size);
	fuzz_sipd_send(msg, (size_t)head + size);
	return 0;
}
