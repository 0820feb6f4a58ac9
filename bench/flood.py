#!/usr/bin/python3
"""bench flood (issue 12): honest callers' call setup on an idle node
against the same calls while a flood of bad calls hits the node.

    /usr/bin/python3 bench/flood.py PATH/TO/dialconf [options]
                                                   (bench/run flood [options])

1. The real daemon (`dialconf serve --demo`, the release build bench/run
   makes: the demo organization, dial-in number +14255550100, three
   enabled users) on free ports with a temporary data directory and a
   wide RTP port range (4000 ports: the flood holds a few hundred calls at
   once, more than the harness's 200-port block would give).
   The edge limits stay at their defaults unless --set NAME=VALUE says
   otherwise (PATCH /api/v1/settings); the values in force are printed.
2. Honest calls (--calls, default 200, at --rate, default 20 new calls a
   second), each from its own loopback address (127.0.0.2, 127.0.0.3, ...;
   the socket is bound to it, so the daemon sees that address as the
   call's source), driven by one selector loop of our own (a tiny RFC 3261
   UAC over UDP with INVITE and INFO retransmissions, like a real phone):
   INVITE with a PCMU + telephone-event offer -> 180 -> 200 OK, ACK, after
   0.1 s the 7 digits of a valid conference ID and '#' as SIP INFO
   application/dtmf-relay (each sent when the previous one is answered),
   then BYE once the daemon has decided.
   Timed, per call:
     setup: from the INVITE's sendto() to the 200 OK's arrival (kernel
            receive timestamp, SO_TIMESTAMPNS, so how late this loop gets
            round to reading does not count). It covers the SIP thread,
            the ADMIT job's wait in the worker queue and its database
            reads, and the answer's way back through the mqueue.
     id:    from the '#' INFO's sendto() to the first RTP frame of the
            "organizer, press star" prompt (the attendant's answer to a
            valid ID; see bench/attendant.py), kernel timestamp too. It
            includes the wait for the next 20 ms media frame.
   Both phases use the same addresses and the same schedule.
3. Phase "idle": the honest calls alone (after 10 warm-up calls from
   127.200.0.x that are not counted).
4. Phase "flood": a second process floods the node from --flood-sources
   addresses (default 20: 127.0.1.1-127.0.1.20) at --flood-rate INVITEs a
   second in total (default 400), each source cycling through the kinds
   of bad call (--flood-kinds, default all three):
     (a) unacked: an INVITE to the dial-in number whose answer is never
         ACKed, 200 or not (the node keeps the call or the refusal's
         transaction and retransmits its answer for 32 s);
     (b) wrong-number: an INVITE to a number that is not a dial-in number
         (the workers look it up: 404);
     (c) wrong-id: an INVITE to the dial-in number that, once answered, is
         ACKed and keys a wrong conference ID three times (0.5 s apart),
         then hangs up; every wrong ID is a write to the abuse guard.
   The other kinds ACK non-2xx finals (so the node stops retransmitting
   them); the node's BYEs are answered 200. After --flood-warmup s
   (default 33) of flood alone, the honest calls run exactly as in the
   idle phase; then the flood stops. Why 33 s: the guard blocks the
   wrong-ID sources within 2 s, but every refusal is a server transaction
   of the node's SIP stack, and an unACKed one lives 64*T1 = 32 s (Timer
   H), retransmitting; until then their number, and with it the SIP
   thread's cost per message (libre keeps every timer in one sorted list),
   keeps growing. A 3 s warm-up measures the onset of the flood, not the
   flood.
   Flood counts: INVITEs sent and their final answers, 403 split into
   "edge" (no 180 first: the SIP thread's per-source rate or call limit,
   no database) and "guard" (after 180: a worker found the source blocked),
   and the daemon's own account of why it refused (event=refused reason=
   in its log). sip_udp_drops is what the kernel dropped at the daemon's
   SIP socket (/proc/net/udp): a dropped honest INVITE costs a 500 ms
   retransmission.
5. Where the time goes, per phase: the daemon's CPU, its busiest
   thread's (the SIP thread: libre's re_main runs SIP, every timer and
   the media clock) against all its other threads' (workers, HTTP), the
   flood generator's, and other_load: what the machine was busy with
   besides this benchmark (/proc/stat minus our three processes). On a
   shared machine a high other_load makes the tails noisy: read the
   figures next to it. The daemon's own submit-to-answer time of the
   honest IDs (event=resolved valid=1 us=N) is daemon_id_resolve.
6. ratio = idle setup p99 / flood setup p99 (1 = the flood costs honest
   callers nothing; the goal is >= 0.5).

An honest call succeeds with INVITE 200, every INFO 200, the prompt
heard and BYE 200. On the idle node every one must (else the exit status
is 1 and the daemon's log is kept, its path printed); under the flood a
failed call is a result: counted by reason (flood_failed), and one never
answered 200 counts as an infinite setup time in the percentiles. A call
that hears the "not valid" prompt fails at once. BENCH_FLOOD_DUMP=FILE in
the environment writes every honest call's times there as CSV (and keeps
the daemon's log).
"""

import argparse
import json
import math
import multiprocessing
import os
import random
import re
import select
import selectors
import signal
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

NUMBER = "+14255550100"   # the demo organization's toll number
CALL_TIMEOUT = 15.0       # one honest call, INVITE to BYE answered
AFTER_ACK = 0.1           # s of the welcome prompt before the first key
T1, T2 = 0.5, 4.0         # RFC 3261 timers (s)
WARMUP_CALLS = 10
RTP_SPAN = 4000           # ports of the daemon's RTP range
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux
SILENCE = (0xFF, 0x7F)    # mu-law zero, both signs


def log(msg):
    print("# " + msg, file=sys.stderr, flush=True)


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
    return len(a) == len(b) and all(
        x == y or (x in SILENCE and y in SILENCE) for x, y in zip(a, b))


def parse_sip(data):
    """(first line, headers lower-case (first of each), body)."""
    head, _, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    return lines[0], hdrs, body


def to_tag(hdrs):
    m = re.search(r";tag=([^;>\s]+)", hdrs.get("to", ""))
    return m.group(1) if m else None


def contact_uri(hdrs, default):
    m = re.search(r"<([^>]+)>", hdrs.get("contact", ""))
    return m.group(1) if m else default


def cseq_num(hdrs):
    parts = hdrs.get("cseq", "").split()
    return int(parts[0]) if parts and parts[0].isdigit() else -1


def cseq_method(hdrs):
    parts = hdrs.get("cseq", "").split()
    return parts[-1] if parts else ""


def sdp_offer(addr, rtp_port, n):
    return ("v=0\no=- %d 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\n"
            "m=audio %d RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\n"
            "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n"
            "a=ptime:20\na=sendrecv\n"
            % (n, addr, addr, rtp_port)).replace("\n", "\r\n")


def reply_200(sock, dest, hdrs):
    """Answer a request of the daemon (its BYE) with 200."""
    reply = ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
             "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
             % (hdrs.get("via", ""), hdrs.get("from", ""), hdrs.get("to", ""),
                hdrs.get("call-id", ""), hdrs.get("cseq", "")))
    try:
        sock.sendto(reply.encode(), dest)
    except OSError:
        pass


class Dialog:
    """What a UAC needs to build its requests: one call over one socket."""

    def __init__(self, addr, port, caller, callid, ruri, sip_dest):
        self.addr = addr
        self.port = port
        self.caller = caller
        self.tag = "%x" % random.getrandbits(32)
        self.callid = callid
        self.ruri = ruri
        self.dest = sip_dest
        self.cseq = 1
        self.to_tag = None
        self.contact = None
        self.invite_branch = None

    def head(self, method, uri, cseq=None, branch=None):
        to = "<%s>" % self.ruri
        if self.to_tag:
            to += ";tag=" + self.to_tag
        branch = branch or "z9hG4bK%x" % random.getrandbits(48)
        return ("%s %s SIP/2.0\r\n"
                "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:%s@%s:%d>;tag=%s\r\n"
                "To: %s\r\n"
                "Call-ID: %s\r\n"
                "CSeq: %d %s\r\n"
                "Contact: <sip:%s@%s:%d>\r\n"
                % (method, uri, self.addr, self.port, branch, self.caller,
                   self.addr, self.port, self.tag, to, self.callid,
                   cseq or self.cseq, method, self.caller, self.addr,
                   self.port))

    def invite(self, sdp):
        self.invite_branch = "z9hG4bK%x" % random.getrandbits(48)
        return (self.head("INVITE", self.ruri, branch=self.invite_branch) +
                "Content-Type: application/sdp\r\n"
                "Content-Length: %d\r\n\r\n" % len(sdp) + sdp).encode()

    def ack(self, ok):
        """ACK of a 2xx (a new transaction to the Contact) or of a non-2xx
        (hop-by-hop: the INVITE's branch and Request-URI)."""
        if ok:
            return (self.head("ACK", self.contact or self.ruri, cseq=1) +
                    "Content-Length: 0\r\n\r\n").encode()
        return (self.head("ACK", self.ruri, cseq=1,
                          branch=self.invite_branch) +
                "Content-Length: 0\r\n\r\n").encode()

    def info(self, key):
        body = "Signal=%s\r\nDuration=160\r\n" % key
        self.cseq += 1
        return (self.head("INFO", self.contact) +
                "Content-Type: application/dtmf-relay\r\n"
                "Content-Length: %d\r\n\r\n" % len(body) + body).encode()

    def bye(self):
        self.cseq += 1
        return (self.head("BYE", self.contact) +
                "Content-Length: 0\r\n\r\n").encode()


# -- honest callers -----------------------------------------------------------

class Honest:
    """One honest caller on its own address: INVITE, ACK, a valid ID as
    INFO, the daemon's decision heard on RTP, BYE."""

    def __init__(self, loop, n, addr, confid):
        self.loop = loop
        self.n = n
        self.addr = addr
        self.confid = confid
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for s in (self.sip, self.rtp):
                s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                s.bind((addr, 0))
        except OSError as e:
            self.sip.close()
            self.rtp.close()
            raise SystemExit("bench flood: cannot bind %s: %s (the "
                             "benchmark needs 127.0.0.0/8 on lo)" % (addr, e))
        port = self.sip.getsockname()[1]
        caller = "+1555%03d%04d" % (n % 1000, random.randrange(10000))
        self.d = Dialog(addr, port, caller,
                        "%x-h%d@%s" % (random.getrandbits(64), n, addr),
                        "sip:%s@127.0.0.1:%d" % (NUMBER, loop.sip_port),
                        ("127.0.0.1", loop.sip_port))
        self.keys = list(confid + "#")
        self.state = "inviting"
        self.error = None
        self.ok = False
        self.invite_ns = None      # first INVITE sent
        self.answered_ns = None    # its 200 OK received (kernel)
        self.hash_ns = None        # the '#' INFO sent
        self.decided_ns = None     # first frame of the decision (kernel)
        self.key_at = None
        self.tx = None             # [bytes, next resend, interval, until 1xx]
        self.ringing = False
        self.retransmits = 0
        self.deadline = time.monotonic() + CALL_TIMEOUT
        loop.sel.register(self.sip, selectors.EVENT_READ, (self, "sip"))
        loop.sel.register(self.rtp, selectors.EVENT_READ, (self, "rtp"))
        sdp = sdp_offer(addr, self.rtp.getsockname()[1], n)
        self.request(self.d.invite(sdp), invite=True)
        self.invite_ns = self.sent_ns

    def request(self, msg, invite=False):
        """Send a request with a client transaction's retransmissions
        (INVITE until a provisional answer, others until the final)."""
        self.tx = [msg, time.monotonic() + T1, T1, invite]
        self.sent_ns = time.time_ns()
        self.sip.sendto(msg, self.d.dest)

    def timers(self, now):
        if self.tx and now >= self.tx[1]:
            self.retransmits += 1
            self.loop.retransmits += 1
            self.tx[2] = self.tx[2] * 2 if self.tx[3] else min(
                self.tx[2] * 2, T2)
            self.tx[1] = now + self.tx[2]
            self.sip.sendto(self.tx[0], self.d.dest)
        if self.key_at is not None and now >= self.key_at:
            self.key_at = None
            self.next_key()
        if now > self.deadline:
            self.fail("timed out in state %s" % self.state)

    def next_key(self):
        key = self.keys.pop(0)
        self.request(self.d.info(key))
        if key == "#" and not self.keys:
            self.hash_ns = self.sent_ns
            self.state = "deciding"

    def on_sip(self):
        data, anc, _, _ = self.sip.recvmsg(65536, socket.CMSG_SPACE(16))
        arrived = kernel_ts(anc)
        line, hdrs, body = parse_sip(data)
        if not line.startswith("SIP/2.0"):
            reply_200(self.sip, self.d.dest, hdrs)
            if line.startswith("BYE"):
                self.fail("hung up by the daemon in state %s" % self.state)
            return
        status = int(line.split()[1])
        method = cseq_method(hdrs)
        if method == "INVITE":
            if status < 200:
                self.ringing = True
                if self.tx and self.tx[3]:
                    self.tx = None
                return
            if self.state != "inviting":  # a retransmitted final
                if status == 200:
                    self.sip.sendto(self.d.ack(True), self.d.dest)
                return
            self.tx = None
            self.d.to_tag = to_tag(hdrs)
            if status != 200:
                self.sip.sendto(self.d.ack(False), self.d.dest)
                return self.fail("INVITE answered %d" % status)
            self.answered_ns = arrived
            self.d.contact = contact_uri(hdrs, self.d.ruri)
            if not re.search(r"m=audio \d+ RTP/AVP 0 101", body):
                return self.fail("unexpected SDP answer %r" % body[:200])
            self.sip.sendto(self.d.ack(True), self.d.dest)
            self.state = "keying"
            self.key_at = time.monotonic() + AFTER_ACK
        elif status < 200 or self.tx is None or \
                cseq_num(hdrs) != self.d.cseq:
            return  # a retransmitted answer, or an earlier request's
        elif method == "INFO":
            self.tx = None
            if status != 200:
                return self.fail("INFO answered %d" % status)
            if self.keys:
                self.next_key()
            elif self.decided_ns is not None and self.state == "deciding":
                self.hang_up()
        elif method == "BYE":
            if self.state == "bye":
                self.tx = None
                self.ok = True
                self.state = "done"
                self.loop.finish(self)

    def on_rtp(self):
        data, anc, _, _ = self.rtp.recvmsg(2048, socket.CMSG_SPACE(16))
        if self.hash_ns is None or self.decided_ns is not None:
            return
        arrived = kernel_ts(anc)
        if arrived < self.hash_ns or len(data) < 12:
            return
        payload = data[12 + 4 * (data[0] & 0x0F):]
        if data[1] & 0x7F != 0 or silent(payload):
            return
        if same_ulaw(payload, self.loop.not_valid_frame):
            return self.fail("the daemon took the valid ID for a wrong one "
                             "(\"not valid\" prompt)")
        if not same_ulaw(payload, self.loop.prompt_frame):
            self.loop.other_frames += 1
            return
        self.decided_ns = arrived
        if self.tx is None:  # the '#' INFO is answered: done
            self.hang_up()

    def hang_up(self):
        self.state = "bye"
        self.request(self.d.bye())

    def fail(self, why):
        if self.error is None:
            self.error = why
        if self.state not in ("done", "failed"):
            self.state = "failed"
            self.loop.finish(self)

    def close(self):
        for s in (self.sip, self.rtp):
            try:
                self.loop.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()


def kernel_ts(anc):
    for level, kind, raw in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", raw[:16])
            return sec * 1000000000 + nsec
    return time.time_ns()


class HonestLoop:
    """Start the calls on a fixed schedule; run them to the end."""

    def __init__(self, sip_port, prompt_frame, not_valid_frame):
        self.sip_port = sip_port
        self.prompt_frame = prompt_frame
        self.not_valid_frame = not_valid_frame
        self.sel = selectors.DefaultSelector()
        self.live = {}
        self.done = []
        self.other_frames = 0
        self.retransmits = 0

    def finish(self, c):
        if c.n in self.live:
            del self.live[c.n]
            c.close()
            self.done.append(c)

    def run(self, addrs, confids, rate):
        """One call per address, rate a second. Returns the calls."""
        self.done = []
        t0 = time.monotonic() + 0.05
        started = 0
        total = len(addrs)
        while len(self.done) < total:
            now = time.monotonic()
            while started < total and now >= t0 + started / rate:
                c = Honest(self, started, addrs[started],
                           confids[started % len(confids)])
                self.live[started] = c
                started += 1
            wait = 0.005
            if started < total:
                wait = min(wait, max(0.0, t0 + started / rate - now))
            for key, _ in self.sel.select(timeout=wait):
                c, what = key.data
                if c.n not in self.live:
                    continue
                try:
                    c.on_sip() if what == "sip" else c.on_rtp()
                except (OSError, ValueError, IndexError) as e:
                    c.fail("%s: %r" % (what, e))
            now = time.monotonic()
            for c in list(self.live.values()):
                c.timers(now)
        return sorted(self.done, key=lambda c: c.n)


# -- the flood (its own process) ----------------------------------------------

class FloodCall:
    __slots__ = ("kind", "d", "src", "ringing", "final", "born")


KINDS = ("unacked", "wrong-number", "wrong-id")


def flood_main(conn, sip_port, addrs, rate, kinds, valid_ids, hard_stop):
    """Run in a child process: flood until the parent says stop (or
    hard_stop s pass, or the parent is gone); send back the counts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    parent = os.getppid()
    rnd = random.Random()
    dest = ("127.0.0.1", sip_port)
    ruri_ok = "sip:%s@127.0.0.1:%d" % (NUMBER, sip_port)
    socks, sinks = [], []
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 0))
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        socks.append(s)
        r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        r.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        r.bind((a, 0))  # never read: the daemon's media is dropped here
        sinks.append(r)
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    c = {"sent": 0, "sent_unacked": 0, "sent_wrong-number": 0,
         "sent_wrong-id": 0, "200": 0, "403_edge": 0, "403_guard": 0,
         "404": 0, "503": 0, "other": 0, "180": 0, "wrong_ids": 0,
         "byes_from_node": 0, "send_errors": 0, "retransmitted_finals": 0}
    calls = {}
    pending_keys = []  # (when, callid, what)
    t0 = time.monotonic()
    n = 0
    conn.send("started")

    def send(i, msg):
        try:
            socks[i].sendto(msg, dest)
        except OSError:
            c["send_errors"] += 1

    while True:
        now = time.monotonic()
        if now - t0 > hard_stop or os.getppid() != parent or conn.poll():
            break
        # New INVITEs on schedule (a late loop catches up, within 0.1 s).
        due = int((now - t0) * rate)
        if due - n > rate // 10:
            n = due - rate // 10
        while n < due:
            i = n % len(addrs)
            kind = kinds[(n // len(addrs)) % len(kinds)]
            fc = FloodCall()
            fc.kind, fc.src, fc.ringing, fc.final = kind, i, False, None
            fc.born = now
            num = NUMBER if kind != "wrong-number" else \
                "+1425556%04d" % rnd.randrange(10000)
            port = socks[i].getsockname()[1]
            fc.d = Dialog(addrs[i], port, "+1666%07d" % rnd.randrange(10**7),
                          "%x-f%d@%s" % (rnd.getrandbits(64), n, addrs[i]),
                          "sip:%s@127.0.0.1:%d" % (num, sip_port)
                          if kind == "wrong-number" else ruri_ok, dest)
            calls[fc.d.callid] = fc
            send(i, fc.d.invite(sdp_offer(addrs[i],
                                          sinks[i].getsockname()[1], n)))
            c["sent"] += 1
            c["sent_" + kind] += 1
            n += 1
        # Keys and hang-ups of the wrong-id calls.
        keep = []
        for when, callid, what in pending_keys:
            fc = calls.get(callid)
            if fc is None:
                continue
            if when > now:
                keep.append((when, callid, what))
                continue
            if what == "bye":
                send(fc.src, fc.d.bye())
                continue
            wrong = str(rnd.randrange(1000000, 10000000))
            while wrong in valid_ids:
                wrong = str(rnd.randrange(1000000, 10000000))
            for k in wrong + "#":
                send(fc.src, fc.d.info(k))
            c["wrong_ids"] += 1
        pending_keys = keep
        # Answers.
        timeout = max(0.0, min(0.01, t0 + (n + 1) / rate - now))
        ready, _, _ = select.select(socks, [], [], timeout)
        for s in ready:
            i = by_fd[s.fileno()]
            for _ in range(200):
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                line, hdrs, _ = parse_sip(data)
                fc = calls.get(hdrs.get("call-id", ""))
                if not line.startswith("SIP/2.0"):
                    reply_200(s, dest, hdrs)
                    if line.startswith("BYE"):
                        c["byes_from_node"] += 1
                    continue
                if fc is None or cseq_method(hdrs) != "INVITE":
                    continue
                status = int(line.split()[1])
                if status < 200:
                    if not fc.ringing:
                        c["180"] += 1
                    fc.ringing = True
                    continue
                if fc.final is not None:
                    c["retransmitted_finals"] += 1
                    if status >= 300 and fc.kind != "unacked":
                        send(i, fc.d.ack(False))  # ours was lost: again
                    continue
                fc.final = status
                fc.d.to_tag = to_tag(hdrs)
                if status == 200:
                    c["200"] += 1
                    if fc.kind == "unacked":
                        continue  # never ACKed
                    fc.d.contact = contact_uri(hdrs, fc.d.ruri)
                    send(i, fc.d.ack(True))
                    if fc.kind == "wrong-id":
                        for k, at in enumerate((0.1, 0.6, 1.1)):
                            pending_keys.append((now + at, fc.d.callid, k))
                        pending_keys.append((now + 1.6, fc.d.callid, "bye"))
                    else:
                        pending_keys.append((now, fc.d.callid, "bye"))
                    continue
                if fc.kind != "unacked":
                    send(i, fc.d.ack(False))
                if status == 403:
                    c["403_guard" if fc.ringing else "403_edge"] += 1
                elif status in (404, 503):
                    c[str(status)] += 1
                else:
                    c["other"] += 1
        # Forget calls long over (the unacked ones' 200s keep coming for
        # 32 s: counted as retransmitted finals while we remember them).
        if len(calls) > 20000:
            cut = now - 40
            for k in [k for k, v in calls.items() if v.born < cut]:
                del calls[k]
    c["seconds"] = time.monotonic() - t0
    c["unanswered"] = sum(1 for v in calls.values() if v.final is None)
    for s in socks + sinks:
        s.close()
    conn.send(c)


class Flood:
    """The flood process: start(), then stop() returns its counts."""

    def __init__(self, sip_port, addrs, rate, kinds, valid_ids):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=flood_main, daemon=True,
                                args=(child, sip_port, addrs, rate, kinds,
                                      set(valid_ids), 300.0))

    def start(self):
        self.proc.start()
        if not self.conn.poll(10) or self.conn.recv() != "started":
            raise SystemExit("bench flood: the flood process did not start")

    def stop(self):
        counts = None
        if self.proc.is_alive():
            try:
                self.conn.send("stop")
                if self.conn.poll(15):
                    counts = self.conn.recv()
            except (OSError, EOFError):
                pass
        self.kill()
        if counts is None:
            raise SystemExit("bench flood: the flood process gave no counts "
                             "(exit code %r)" % self.proc.exitcode)
        return counts

    def kill(self):
        if self.proc.pid is None:
            return
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


# -- the daemon ---------------------------------------------------------------

class Node(harness.Daemon):
    """harness.Daemon with a wider RTP port range (below the ephemeral
    ports our own sockets take)."""

    def serve_argv(self):
        argv = super().serve_argv()
        if "--rtp-ports" in argv:
            low = random.randrange(20000, 32000 - RTP_SPAN, 2)
            argv[argv.index("--rtp-ports") + 1] = "%d-%d" % (
                low, low + RTP_SPAN - 1)
        return argv


def udp_drops(port):
    """Datagrams the kernel dropped at the UDP socket bound to port."""
    try:
        with open("/proc/net/udp") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return -1
    total = 0
    for r in rows:
        cols = r.split()
        if len(cols) > 12 and int(cols[1].split(":")[1], 16) == port:
            total += int(cols[-1])
    return total


def cpu_s(pid):
    """User + system CPU seconds of a process (all its threads)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    """CPU seconds the whole machine has been busy (all cores)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # not idle


def own_cpu_s():
    """CPU seconds of this process (the honest callers' loop)."""
    t = os.times()
    return t.user + t.system


def threads_cpu_s(pid):
    """{thread id: CPU seconds} of a process's threads."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK")
    return out


def busiest_thread(before, after, seconds):
    """(busiest thread's share of a core, all the others') over a phase:
    the busiest is the SIP thread (libre's re_main: SIP, every timer, the
    media clock); the others are the workers, HTTP and main."""
    used = sorted((after[t] - before.get(t, 0.0) for t in after),
                  reverse=True)
    if not used:
        return float("nan"), float("nan")
    return used[0] / seconds, sum(used[1:]) / seconds


REFUSED_RE = re.compile(r"event=refused status=(\d+) .*?reason=([\w-]+)")
RESOLVED_RE = re.compile(r"event=resolved call=\d+ valid=(\d) blocked=(\d) "
                         r"us=(\d+)")


def log_account(text):
    """What the daemon logged: refusals by status and reason, resolutions
    (valid ones' times in ms, invalid and blocked counts)."""
    refused = {}
    for m in REFUSED_RE.finditer(text):
        k = "%s_%s" % (m.group(1), m.group(2))
        refused[k] = refused.get(k, 0) + 1
    valid_ms, invalid, blocked = [], 0, 0
    for m in RESOLVED_RE.finditer(text):
        if m.group(1) == "1":
            valid_ms.append(int(m.group(3)) / 1e3)
        elif m.group(2) == "1":
            blocked += 1
        else:
            invalid += 1
    return refused, valid_ms, invalid, blocked


def first_sound_frame(path):
    with open(path, "rb") as f:
        data = f.read()
    for i in range(0, len(data) - 159, 160):
        if not silent(data[i:i + 160]):
            return data[i:i + 160]
    raise SystemExit("bench flood: %s is silent" % path)


def summary(name, calls):
    """Print a phase's figures; returns (setup p99, failed calls). A call
    never answered 200 counts as an infinite setup time; one that failed
    later keeps its setup time."""
    ok = [c for c in calls if c.ok]
    setup = [(c.answered_ns - c.invite_ns) / 1e6 if c.answered_ns
             else float("inf") for c in calls]
    ident = [(c.decided_ns - c.hash_ns) / 1e6 for c in calls
             if c.decided_ns is not None]
    print("%s_ok: %d of %d" % (name, len(ok), len(calls)))
    why = {}
    for c in calls:
        if not c.ok:
            k = c.error or "?"
            why[k] = why.get(k, 0) + 1
    for k, v in sorted(why.items(), key=lambda kv: -kv[1]):
        print("%s_failed: %d (%s)" % (name, v, k))
    print("%s_setup_p50_ms: %.2f ms" % (name, percentile(setup, 50)))
    print("%s_setup_p99_ms: %.2f ms" % (name, percentile(setup, 99)))
    print("%s_setup_max_ms: %.2f ms" % (name, max(setup) if setup
                                        else float("nan")))
    print("%s_id_p50_ms: %.2f ms" % (name, percentile(ident, 50)))
    print("%s_id_p99_ms: %.2f ms" % (name, percentile(ident, 99)))
    print("%s_retransmits: %d" % (name, sum(c.retransmits for c in calls)))
    return percentile(setup, 99), [c for c in calls if not c.ok]


def print_log_account(name, text):
    refused, valid_ms, invalid, blocked = log_account(text)
    print("%s_daemon_id_resolve_p99_ms: %.2f ms"
          % (name, percentile(valid_ms, 99)))
    if name == "flood":
        for k in sorted(refused):
            print("flood_daemon_refused_%s: %d" % (k.replace("-", "_"),
                                                   refused[k]))
        print("flood_daemon_wrong_ids: %d" % invalid)
        print("flood_daemon_ids_of_blocked_sources: %d" % blocked)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dialconf")
    ap.add_argument("--calls", type=int, default=200,
                    help="honest calls per phase (default 200)")
    ap.add_argument("--rate", type=float, default=20.0,
                    help="honest new calls a second (default 20)")
    ap.add_argument("--flood-rate", type=int, default=400,
                    help="bad INVITEs a second, all sources (default 400)")
    ap.add_argument("--flood-sources", type=int, default=20,
                    help="flood addresses 127.0.1.1... (default 20)")
    ap.add_argument("--flood-kinds", default=",".join(KINDS),
                    help="the kinds of bad call, comma-separated, each "
                    "source cycling through them (default %s)"
                    % ",".join(KINDS))
    ap.add_argument("--flood-warmup", type=float, default=33.0,
                    help="s of flood before the honest calls (default 33)")
    ap.add_argument("--set", action="append", default=[],
                    metavar="NAME=VALUE",
                    help="a setting for the run (PATCH /api/v1/settings)")
    args = ap.parse_args()
    if not 1 <= args.calls <= 10000:
        sys.exit("bench flood: --calls wants 1..10000")
    if not 1 <= args.flood_sources <= 10000:
        sys.exit("bench flood: --flood-sources wants 1..10000")
    if args.rate <= 0 or args.flood_rate < 1:
        sys.exit("bench flood: --rate and --flood-rate want > 0")
    kinds = tuple(k for k in args.flood_kinds.split(",") if k)
    if not kinds or any(k not in KINDS for k in kinds):
        sys.exit("bench flood: --flood-kinds wants some of %s"
                 % ",".join(KINDS))
    patch = {}
    for kv in args.set:
        k, sep, v = kv.partition("=")
        if not sep:
            sys.exit("bench flood: --set wants NAME=VALUE, not %r" % kv)
        try:
            patch[k] = json.loads(v)
        except ValueError:
            patch[k] = v
    harness.DIALCONF = os.path.abspath(args.dialconf)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    # 127.0.0.2.. for the honest calls (then 127.0.2.x, 127.0.4.x, ...),
    # 127.0.1.x, 127.0.3.x, ... for the flood, 127.200.0.x for the warm-up.
    honest = ["127.0.%d.%d" % (2 * ((i + 1) // 254), 1 + (i + 1) % 254)
              for i in range(args.calls)]  # 127.0.0.1 is the daemon's
    flood_addrs = ["127.0.%d.%d" % (1 + 2 * (i // 254), 1 + i % 254)
                   for i in range(args.flood_sources)]
    warm = ["127.200.0.%d" % (1 + i) for i in range(WARMUP_CALLS)]
    prompt_frame = first_sound_frame(os.path.join(
        ROOT, "prompts", "organizer-press-star.ulaw"))
    not_valid_frame = first_sound_frame(os.path.join(
        ROOT, "prompts", "not-valid.ulaw"))

    d = Node(["--demo", "--prompts", os.path.join(ROOT, "prompts")])
    flood = None
    failed = False
    try:
        d.start()
        if patch:
            d.ok("PATCH", "/api/v1/settings", patch)
        settings = d.settings()
        ids = [u["audioConferencing"]["conferenceId"] for u in d.all_users()
               if u["audioConferencing"].get("enabled") and
               u["audioConferencing"].get("conferenceId")]
        if not ids:
            sys.exit("bench flood: the demo organization has no enabled "
                     "users")
        loop = HonestLoop(d.sip_port, prompt_frame, not_valid_frame)

        log("warm-up: %d calls" % WARMUP_CALLS)
        w = loop.run(warm, ids, args.rate)
        if not all(c.ok for c in w):
            bad = [c for c in w if not c.ok][0]
            raise SystemExit("bench flood: a warm-up call failed: %s\n%s"
                             % (bad.error, d.log_tail()))

        log("idle: %d calls at %g/s" % (args.calls, args.rate))
        drops0 = udp_drops(d.sip_port)
        mark = len(d.log_text())
        t, cpu = time.monotonic(), cpu_s(d.proc.pid)
        th = threads_cpu_s(d.proc.pid)
        busy, own = machine_busy_s(), own_cpu_s()
        idle = loop.run(honest, ids, args.rate)
        idle_s = time.monotonic() - t
        idle_cpu = (cpu_s(d.proc.pid) - cpu) / idle_s
        own = (own_cpu_s() - own) / idle_s
        idle_other = (machine_busy_s() - busy) / idle_s - idle_cpu - own
        idle_th = busiest_thread(th, threads_cpu_s(d.proc.pid), idle_s)
        idle_text = d.log_text()[mark:]
        drops1 = udp_drops(d.sip_port)

        log("flood: %d INVITEs/s from %d sources, %g s before the calls"
            % (args.flood_rate, args.flood_sources, args.flood_warmup))
        flood = Flood(d.sip_port, flood_addrs, args.flood_rate, kinds, ids)
        flood.start()
        time.sleep(args.flood_warmup)
        mark = len(d.log_text())
        t, cpu = time.monotonic(), cpu_s(d.proc.pid)
        fcpu = cpu_s(flood.proc.pid)
        th = threads_cpu_s(d.proc.pid)
        busy, own = machine_busy_s(), own_cpu_s()
        flooded = loop.run(honest, ids, args.rate)
        flood_s = time.monotonic() - t
        flood_cpu = (cpu_s(d.proc.pid) - cpu) / flood_s
        own = (own_cpu_s() - own) / flood_s
        flood_busy = (machine_busy_s() - busy) / flood_s
        flood_th = busiest_thread(th, threads_cpu_s(d.proc.pid), flood_s)
        fcpu = (cpu_s(flood.proc.pid) - fcpu) / flood_s
        flood_other = flood_busy - flood_cpu - own - fcpu
        counts = flood.stop()
        flood = None
        flood_text = d.log_text()[mark:]
        whole_flood_text = d.log_text()
        drops2 = udp_drops(d.sip_port)
        if d.crashed() is not None:
            raise SystemExit("bench flood: the daemon died\n" + d.log_tail())

        print("honest_calls: %d per phase" % args.calls)
        print("honest_rate: %g /s" % args.rate)
        print("honest_sources: %s-%s" % (honest[0], honest[-1]))
        print("flood_sources: %s-%s" % (flood_addrs[0], flood_addrs[-1]))
        print("flood_kinds: %s" % ",".join(kinds))
        for k in ("dialinFailureLimit", "dialinFailureWindowMinutes",
                  "dialinMaxCallsPerSource", "dialinCallRatePerSource",
                  "dialinMaxCallsPerNode"):
            print("%s: %s" % (k, settings.get(k)))
        print("idle_wall_s: %.2f s" % idle_s)
        print("idle_other_load: %.2f cores (busy with what is not this "
              "benchmark, of %d)" % (idle_other, os.cpu_count()))
        print("idle_daemon_cpu: %.0f %% of a core" % (100 * idle_cpu))
        print("idle_sip_thread_cpu: %.0f %% of a core (other threads %.0f %%)"
              % (100 * idle_th[0], 100 * idle_th[1]))
        idle_p99, idle_bad = summary("idle", idle)
        print_log_account("idle", idle_text)
        print("idle_sip_udp_drops: %d" % (drops1 - drops0))
        print("flood_wall_s: %.2f s (after %.1f s of flood alone)"
              % (flood_s, args.flood_warmup))
        print("flood_other_load: %.2f cores (busy with what is not this "
              "benchmark, of %d)" % (flood_other, os.cpu_count()))
        print("flood_daemon_cpu: %.0f %% of a core" % (100 * flood_cpu))
        print("flood_sip_thread_cpu: %.0f %% of a core (other threads "
              "%.0f %%)" % (100 * flood_th[0], 100 * flood_th[1]))
        print("flood_generator_cpu: %.0f %% of a core" % (100 * fcpu))
        flood_p99, flood_bad = summary("flood", flooded)
        print_log_account("flood", flood_text)
        print("flood_sip_udp_drops: %d" % (drops2 - drops1))
        print("flood_invites_sent: %d" % counts["sent"])
        print("flood_invite_rate: %.0f /s" % (counts["sent"] /
                                              counts["seconds"]))
        for k in KINDS:
            print("flood_sent_%s: %d" % (k.replace("-", "_"),
                                         counts["sent_" + k]))
        print("flood_got_200: %d" % counts["200"])
        print("flood_got_403: %d (edge %d, guard %d)"
              % (counts["403_edge"] + counts["403_guard"],
                 counts["403_edge"], counts["403_guard"]))
        print("flood_got_404: %d" % counts["404"])
        print("flood_got_503: %d" % counts["503"])
        print("flood_got_other: %d" % counts["other"])
        print("flood_unanswered: %d" % counts["unanswered"])
        print("flood_wrong_ids_keyed: %d" % counts["wrong_ids"])
        refused, _, invalid, _ = log_account(whole_flood_text)
        print("flood_guard_writes: %d (wrong IDs the daemon counted, whole "
              "flood)" % invalid)
        print("flood_p99_over_idle_p99: %.2f x" % (flood_p99 / idle_p99))
        print("ratio: %.3f" % (idle_p99 / flood_p99))
        sys.stdout.flush()
        dump = os.environ.get("BENCH_FLOOD_DUMP")
        if dump:  # per call: phase, n, start (s), setup and id (ms)
            with open(dump, "w") as f:
                f.write("phase,call,start_s,setup_ms,id_ms,error\n")
                for name, calls in (("idle", idle), ("flood", flooded)):
                    t0 = calls[0].invite_ns
                    for c in calls:
                        f.write("%s,%d,%.3f,%s,%s,%s\n" % (
                            name, c.n, (c.invite_ns - t0) / 1e9,
                            "%.3f" % ((c.answered_ns - c.invite_ns) / 1e6)
                            if c.answered_ns else "",
                            "%.3f" % ((c.decided_ns - c.hash_ns) / 1e6)
                            if c.decided_ns and c.hash_ns else "",
                            (c.error or "").replace(",", ";")))
        for name, bad in (("idle", idle_bad), ("flood", flood_bad)):
            for c in bad[:5]:
                log("%s call %d (%s) failed: %s" % (name, c.n, c.addr,
                                                   c.error))
        if idle_bad:  # on an idle node every call must work
            failed = True
            raise SystemExit("bench flood: %d calls failed on the idle node"
                             % len(idle_bad))
    except BaseException:
        failed = True
        raise
    finally:
        if flood is not None:
            flood.kill()
        d.close(check=False)
        if failed or os.environ.get("BENCH_FLOOD_DUMP"):
            failed = True
            log("daemon log kept: %s" % d.log_path)
        if not failed and harness.LOG_DIR:
            import shutil
            shutil.rmtree(harness.LOG_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
