#!/usr/bin/python3
"""bench attendant (SPEC §6 and §9, issue 5): the SIP auto attendant under
load, and what one conference ID resolution costs with a million live IDs.

    /usr/bin/python3 bench/attendant.py PATH/TO/dialconf [CALLS [AT_ONCE]]
                                                        (bench/run attendant)

1. The real daemon (`dialconf serve --demo`, the release build bench/run
   makes) with the demo organization (dial-in number +14255550100, three
   enabled users) plus EXTRA_USERS more enabled users made through the API.
2. CALLS calls (default 200), AT_ONCE (default 50) in flight at any time,
   from a SIP user agent of our own over UDP (one SIP and one RTP socket per
   call, all in one selector loop): INVITE with a PCMU + telephone-event
   SDP offer, ACK, then (after 0.2-0.4 s of the welcome prompt) the 7
   digits of a user's conference ID and '#' as SIP INFO
   application/dtmf-relay, each 0.1-0.2 s after the previous one was
   answered 200, as a person types. So the AT_ONCE calls really are live
   together (each getting 50 RTP packets a second from the daemon) rather
   than a burst of INFOs, and the '#'s of different calls are spread out
   as they would be.
3. Timed: from sending the INFO that carries the final '#' to the first RTP
   packet of the prompt the daemon plays once it has decided where the call
   goes.

   Why this observable: after the ID the attendant's decision is "this ID
   reaches conference X" (valid) or "not valid"; for a valid ID the state
   machine answers by starting the "If you are the organizer, press star"
   prompt. The call's state in GET /api/v1/calls does NOT change at that
   moment (it stays "collecting-id" until the caller answers the star
   question; "lobby" comes only after that), so polling the state for
   "lobby" would time the caller, not the daemon. The prompt start is what
   the caller actually experiences, needs no polling (which would itself
   load the daemon), and is unambiguous: the first digit stopped the
   welcome prompt (barge-in), so until the decision the caller hears only
   silence (mu-law 0xFF frames); the decision is the first frame after '#'
   that is, byte for byte, the first 20 ms of
   prompts/organizer-press-star.ulaw (any other non-silent frame is
   counted and reported, never taken for the decision; a call that never
   hears the prompt fails). Both ends of the interval are taken
   on the same clock (CLOCK_REALTIME): the send time just before sendto(),
   the arrival time from the kernel (SO_TIMESTAMPNS on the RTP socket), so
   how late this Python loop gets round to reading a packet does not count.
   The daemon sends media on a shared 20 ms clock, so the figure includes
   the wait for the next frame boundary (0-20 ms, ~10 ms on average): that
   is part of what a caller hears. The daemon's own figure, from handing
   the ID to its worker threads to acting on the answer (`event=resolved
   ... us=N` in its log), is printed alongside as resolve_log_*.
4. Checked, per call: the daemon's calls list (GET /api/v1/calls, matched
   on the masked caller number, unique per call) shows the right
   conference ID and user; then '#' (not the organizer) and the list must
   show the call in "lobby" of that user; then BYE. resolved_ok counts the
   calls that passed every check.
5. The cost of one resolution with 1 000 000 live IDs next to 1 000 IDs:
   bench_resolve (bench/resolve.c, built next to dialconf) is run and its
   lines passed on; its last line is this benchmark's ratio (cost at 1k /
   cost at 1m, flat is about 1). BENCH_RESOLVE_ARGS="LARGE SMALL LOOKUPS"
   in the environment overrides its defaults (1000000 1000 200000).

The caller sends no audio: the daemon drops RTP that is not a
telephone-event until the mixer (issue 6) uses it.
"""

import http.client
import json
import math
import os
import random
import re
import selectors
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

NUMBER = "+14255550100"  # the demo organization's toll number
EXTRA_USERS = 17         # + the demo's 3 enabled users = 20 conferences
CALL_TIMEOUT = 20.0      # one call, INVITE to BYE answered
POLL_EVERY = 0.02        # GET /api/v1/calls while checks are pending
KEY_GAP = (0.1, 0.2)     # s between keys, as a person types
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux
SILENCE = (0xFF, 0x7F)   # mu-law zero, both signs


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, math.ceil(p / 100.0 * len(xs)) - 1))
    return xs[k]  # nearest rank


def silent(payload):
    return all(b in SILENCE for b in payload)


def same_ulaw(a, b):
    """Equal as mu-law frames, 0x7F and 0xFF (both zero) alike."""
    if len(a) != len(b):
        return False
    return all(x == y or (x in SILENCE and y in SILENCE)
               for x, y in zip(a, b))


def parse_sip(data):
    head, _, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    return lines[0], hdrs, body


class Call:
    """One caller: a tiny RFC 3261 UAC over UDP, driven by the loop."""

    def __init__(self, bench, n, user):
        self.b = bench
        self.n = n
        self.user = user               # {"id", "confid"} expected
        self.caller = "+1555%03d%04d" % (n % 1000, random.randrange(10000))
        self.masked = self.caller[:-4] + "****"
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.rtp.bind(("127.0.0.1", 0))
        self.port = self.sip.getsockname()[1]
        self.tag = "%x" % random.getrandbits(32)
        self.callid = "%x-%d@127.0.0.1" % (random.getrandbits(64), n)
        self.cseq = 1
        self.to_tag = None
        self.contact = None
        self.keys = list(user["confid"] + "#")
        self.state = "inviting"
        self.hash_sent_ns = None       # final '#' of the ID
        self.decided_ns = None         # first frame of the next prompt
        self.rtp_packets = 0
        self.error = None
        self.ok = False
        self.key_at = None             # when to send the next key
        self.deadline = time.monotonic() + CALL_TIMEOUT
        self.uri = "sip:%s@127.0.0.1:%d" % (NUMBER, bench.d.sip_port)
        bench.sel.register(self.sip, selectors.EVENT_READ, (self, "sip"))
        bench.sel.register(self.rtp, selectors.EVENT_READ, (self, "rtp"))
        self.invite()

    # -- SIP ---------------------------------------------------------------

    def send(self, head, body=""):
        """head: header lines ending in "\n" (turned into CRLF)."""
        msg = (head.replace("\n", "\r\n") + "\r\n" + body).encode()
        self.sip.sendto(msg, ("127.0.0.1", self.b.d.sip_port))

    def head(self, method, uri, cseq=None):
        to = "<%s>" % self.uri
        if self.to_tag:
            to += ";tag=" + self.to_tag
        return ("%s %s SIP/2.0\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\n"
                "Max-Forwards: 70\n"
                "From: <sip:%s@127.0.0.1:%d>;tag=%s\n"
                "To: %s\n"
                "Call-ID: %s\n"
                "CSeq: %d %s\n"
                "Contact: <sip:%s@127.0.0.1:%d>\n"
                % (method, uri, self.port, random.getrandbits(48),
                   self.caller, self.port, self.tag, to, self.callid,
                   cseq or self.cseq, method, self.caller, self.port))

    def invite(self):
        sdp = ("v=0\no=- %d 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\n"
               "t=0 0\nm=audio %d RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\n"
               "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n"
               "a=ptime:20\na=sendrecv\n"
               % (self.n, self.rtp.getsockname()[1])).replace("\n", "\r\n")
        self.send(self.head("INVITE", self.uri) +
                  "Content-Type: application/sdp\n"
                  "Content-Length: %d\n" % len(sdp), sdp)

    def ack(self):
        self.send(self.head("ACK", self.contact, cseq=1) +
                  "Content-Length: 0\n")

    def info(self, key):
        body = "Signal=%s\r\nDuration=160\r\n" % key
        self.cseq += 1
        head = (self.head("INFO", self.contact) +
                "Content-Type: application/dtmf-relay\n"
                "Content-Length: %d\n" % len(body))
        if key == "#" and self.state == "digits" and not self.keys:
            self.hash_sent_ns = time.time_ns()  # just before the sendto
        self.send(head, body)

    def timers(self, now):
        if self.key_at is not None and now >= self.key_at:
            self.key_at = None
            self.info(self.keys.pop(0))

    def bye(self):
        self.cseq += 1
        self.state = "bye"
        self.send(self.head("BYE", self.contact) + "Content-Length: 0\n")

    def on_sip(self):
        data = self.sip.recv(65536)
        line, hdrs, body = parse_sip(data)
        if not line.startswith("SIP/2.0"):
            self.reply_200(line, hdrs)
            return
        status = int(line.split()[1])
        method = hdrs.get("cseq", "").split()[-1] if hdrs.get("cseq") else ""
        if status < 200:
            return
        if method == "INVITE":
            if self.state != "inviting":  # a retransmitted 200: ACK again
                self.ack()
                return
            if status != 200:
                return self.fail("INVITE answered %d" % status)
            m = re.search(r";tag=([^;>\s]+)", hdrs.get("to", ""))
            self.to_tag = m.group(1) if m else None
            m = re.search(r"<([^>]+)>", hdrs.get("contact", ""))
            self.contact = m.group(1) if m else self.uri
            if not re.search(r"m=audio \d+ RTP/AVP 0 101", body):
                return self.fail("unexpected SDP answer %r" % body)
            self.ack()
            self.state = "digits"
            # Listen to the start of the welcome prompt, then type.
            self.key_at = time.monotonic() + random.uniform(0.2, 0.4)
        elif method == "INFO":
            if status != 200:
                return self.fail("INFO answered %d" % status)
            if self.state == "digits" and self.keys:
                self.key_at = time.monotonic() + random.uniform(*KEY_GAP)
            elif self.state == "digits":
                self.state = "deciding"
        elif method == "BYE":
            self.state = "done"
            self.b.finish(self)

    def reply_200(self, line, hdrs):
        """A request from the daemon (a BYE would end the call early)."""
        reply = ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                 "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
                 % (hdrs.get("via", ""), hdrs.get("from", ""),
                    hdrs.get("to", ""), hdrs.get("call-id", ""),
                    hdrs.get("cseq", "")))
        self.sip.sendto(reply.encode(), ("127.0.0.1", self.b.d.sip_port))
        if line.startswith("BYE"):
            self.fail("hung up by the daemon in state %s" % self.state)

    # -- RTP ---------------------------------------------------------------

    def on_rtp(self):
        data, anc, _, _ = self.rtp.recvmsg(2048, socket.CMSG_SPACE(16))
        self.rtp_packets += 1
        if self.hash_sent_ns is None or self.decided_ns is not None:
            return
        arrived = None
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", raw[:16])
                arrived = sec * 1000000000 + nsec
        if arrived is None:
            arrived = time.time_ns()
            self.b.no_kernel_ts += 1
        if arrived < self.hash_sent_ns or len(data) < 12:
            return
        cc = data[0] & 0x0F
        payload = data[12 + 4 * cc:]
        if data[1] & 0x7F != 0 or silent(payload):
            return
        if not same_ulaw(payload, self.b.prompt_frame):
            self.b.other_frames += 1  # not the decision: keep listening
            return
        self.decided_ns = arrived

    # -- checks through the API --------------------------------------------

    def check(self, entry):
        """Called with this call's entry in GET /api/v1/calls (or None).
        Returns True when the check at hand is settled."""
        if self.state == "deciding":
            if entry is None:
                return self.fail("not in the calls list") or True
            if entry.get("conferenceId") != self.user["confid"] or \
                    entry.get("userId") != self.user["id"] or \
                    entry.get("state") != "collecting-id":
                return self.fail("resolved to %r" % entry) or True
            self.state = "lobby?"
            self.info("#")  # not the organizer: to the lobby
            return True
        if self.state == "lobby?":
            if entry is None:
                return self.fail("gone before the lobby") or True
            if entry.get("state") != "lobby":
                return False  # the INFO may not be through yet: poll again
            if entry.get("conferenceId") != self.user["confid"] or \
                    entry.get("userId") != self.user["id"]:
                return self.fail("in the lobby of %r" % entry) or True
            self.ok = True
            self.bye()
            return True
        return True

    def fail(self, why):
        if self.error is None:
            self.error = why
        if self.state not in ("done", "failed"):
            self.state = "failed"
            self.b.finish(self)

    def close(self):
        for s in (self.sip, self.rtp):
            try:
                self.b.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()


class Bench:
    def __init__(self, d, users, calls, at_once):
        self.d = d
        self.users = users
        self.total = calls
        self.at_once = at_once
        self.sel = selectors.DefaultSelector()
        self.live = {}
        self.done = []
        self.started = 0
        self.no_kernel_ts = 0
        self.max_live = 0
        self.other_frames = 0  # non-silent frames after '#' before the prompt
        self.last_poll = 0.0
        self.http = http.client.HTTPConnection("127.0.0.1", d.port,
                                               timeout=10)
        with open(os.path.join(ROOT, "prompts",
                               "organizer-press-star.ulaw"), "rb") as f:
            self.prompt_frame = f.read(160)

    def start_one(self):
        n = self.started
        self.started += 1
        self.live[n] = Call(self, n, self.users[n % len(self.users)])

    def finish(self, c):
        if c.n in self.live:
            del self.live[c.n]
            c.close()
            self.done.append(c)

    def calls_list(self):
        self.http.request("GET", "/api/v1/calls",
                          headers={"Authorization": "Bearer " + self.d.token})
        r = self.http.getresponse()
        body = r.read()
        if r.status != 200:
            raise AssertionError("GET /api/v1/calls: %d %s"
                                 % (r.status, body[:200]))
        return {c["caller"]: c for c in json.loads(body)["calls"]}

    def poll(self):
        """Check, through the API, the calls whose decision was heard (the
        ID was answered 200 and the next prompt started) and those sent to
        the lobby."""
        pending = [c for c in self.live.values()
                   if (c.state == "deciding" and c.decided_ns is not None)
                   or c.state == "lobby?"]
        if not pending or time.monotonic() - self.last_poll < POLL_EVERY:
            return
        self.last_poll = time.monotonic()
        entries = self.calls_list()
        for c in pending:
            c.check(entries.get(c.masked))

    def run(self):
        t0 = time.monotonic()
        while len(self.done) < self.total:
            while len(self.live) < self.at_once and \
                    self.started < self.total:
                self.start_one()
            self.max_live = max(self.max_live, len(self.live))
            for key, _ in self.sel.select(timeout=0.002):
                c, what = key.data
                try:
                    c.on_sip() if what == "sip" else c.on_rtp()
                except (OSError, ValueError, IndexError) as e:
                    c.fail("%s: %r" % (what, e))
            self.poll()
            now = time.monotonic()
            for c in list(self.live.values()):
                c.timers(now)
                if now > c.deadline:
                    c.fail("timed out in state %s" % c.state)
        return time.monotonic() - t0


def resolve_log(d):
    """The daemon's own submit-to-answer times of valid IDs, in us."""
    return [int(m.group(1)) for m in re.finditer(
        r"event=resolved call=\d+ valid=1 us=(\d+)", d.log_text())]


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench/attendant.py PATH/TO/dialconf "
                 "[CALLS [AT_ONCE]]")
    harness.DIALCONF = os.path.abspath(sys.argv[1])
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    at_once = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    random.seed(5)

    d = harness.Daemon(["--demo", "--prompts", os.path.join(ROOT, "prompts")])
    try:
        d.start()
        for i in range(EXTRA_USERS):
            d.ok("POST", "/api/v1/users",
                 {"email": "caller%02d@example.org" % i,
                  "displayName": "Caller %d" % i,
                  "audioConferencing": {"enabled": True},
                  "sendEmail": False}, expect=(201,))
        users = [{"id": u["id"],
                  "confid": u["audioConferencing"]["conferenceId"]}
                 for u in d.all_users()
                 if u["audioConferencing"].get("enabled") and
                 u["audioConferencing"].get("conferenceId")]
        if len(users) < 2:
            sys.exit("bench attendant: only %d enabled users" % len(users))
        b = Bench(d, users, calls, at_once)
        took = b.run()
        logged = resolve_log(d)
        if d.crashed():
            sys.exit("bench attendant: the daemon died\n" + d.log_tail())
    finally:
        d.close(check=False)

    ok = [c for c in b.done if c.ok]
    failed = [c for c in b.done if not c.ok]
    lat = [(c.decided_ns - c.hash_sent_ns) / 1e6 for c in b.done
           if c.decided_ns is not None]
    for c in failed[:5]:
        print("# call %d (%s, ID %s) failed: %s" % (c.n, c.masked,
              c.user["confid"], c.error), file=sys.stderr)
    print("calls: %d" % len(b.done))
    print("at_once: %d" % b.max_live)
    print("conferences: %d" % len(users))
    print("resolved_ok: %d" % len(ok))
    if b.other_frames:
        print("# %d non-silent RTP frames after '#' were not the prompt"
              % b.other_frames, file=sys.stderr)
    if b.no_kernel_ts:
        print("# %d RTP packets had no kernel timestamp" % b.no_kernel_ts,
              file=sys.stderr)
    print("wall_s: %.2f s" % took)
    print("decision_p50_ms: %.2f ms" % percentile(lat, 50))
    print("decision_p99_ms: %.2f ms" % percentile(lat, 99))
    print("decision_max_ms: %.2f ms" % (max(lat) if lat else float("nan")))
    print("resolve_log_n: %d" % len(logged))
    print("resolve_log_p50_ms: %.3f ms" % (percentile(logged, 50) / 1e3))
    print("resolve_log_p99_ms: %.3f ms" % (percentile(logged, 99) / 1e3))
    sys.stdout.flush()

    exe = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])),
                       "bench", "bench_resolve")
    if not os.access(exe, os.X_OK):
        sys.exit("bench attendant: no %s" % exe)
    rc = subprocess.run([exe] + os.environ.get("BENCH_RESOLVE_ARGS", "").split()).returncode
    if rc or failed or len(b.done) != calls:
        sys.exit(1)


if __name__ == "__main__":
    main()
