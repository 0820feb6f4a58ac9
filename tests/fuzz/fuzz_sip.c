/* fuzz_sip: SIP messages from the network, PROTOS-style, into the real SIP
 * server: `serve`'s sipd (src/sip/server.c) listening on a loopback port
 * with a real app behind it, and each input sent to it as one UDP
 * datagram. So the input goes the whole way a caller's packet goes:
 * libre's transport and parser (sip_msg_decode), its transaction and
 * session layers, our OPTIONS and INVITE handlers, the limits of the
 * edge, the SDP offer and codec choice (call.c media_setup), the workers'
 * look-ups, and for a dialog libre still knows, our INFO handler. After
 * each input the server must still answer (fuzz_sipd.h). */
#include "fuzz.h"
#include "fuzz_sipd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 65000)
		return 0;
	fuzz_sipd_send(data, size);
	return 0;
}
