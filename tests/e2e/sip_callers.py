"""SIP callers for the admin center's browser test (admin_center.mjs):
dial NUMBER on the daemon at 127.0.0.1:SIP_PORT once per USER, key in
CONFERENCE_ID## (digits as SIP INFO) and send silence, until stdin closes;
then hang up what is still up. Prints "ready" once every call is answered.
The callers are tests/integration/sipkit.py's RawSip.

    python3 sip_callers.py SIP_PORT NUMBER CONFERENCE_ID USER...
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from sipkit import RawSip  # noqa: E402


class Target:
    def __init__(self, sip_port):
        self.sip_port = sip_port


def main():
    port, number, conf_id = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    d = Target(port)
    callers = []
    for user in sys.argv[4:]:
        c = RawSip(d, user)
        status, _ = c.invite(number)
        assert status == 200, "INVITE answered %d" % status
        c.start_media()
        c.keys(conf_id + "##")
        callers.append(c)
    print("ready", flush=True)
    # Answer the server's BYEs meanwhile (a removed caller, an ended
    # conference), so it does not retransmit them.
    stop = threading.Event()

    def serve(c):
        while not stop.is_set() and not c.ended:
            c.wait_bye(timeout=0.5)
    threads = [threading.Thread(target=serve, args=(c,), daemon=True)
               for c in callers]
    for t in threads:
        t.start()
    sys.stdin.read()
    stop.set()
    for t in threads:
        t.join(timeout=2)
    for c in callers:
        if not c.ended:
            try:
                c.bye()
            except Exception:  # noqa: BLE001
                pass
        c.close()


if __name__ == "__main__":
    main()
