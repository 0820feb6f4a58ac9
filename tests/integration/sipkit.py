"""sipkit: the SIP callers the dial-in tests share (test_sip.py,
test_edge.py, and through test_sip the bridge, node and metrics tests).

- Baresip: a real headless SIP user agent (baresip, ctrl_tcp), recording
  what it hears; it may listen on any loopback address.
- RawSip: a small SIP client of our own over UDP, for what baresip 1.0.0
  cannot do: digits as SIP INFO, offers and headers of our choosing
  (P-Asserted-Identity, X-Dialconf-Source), INVITEs never ACKed, requests
  that must be refused. It binds the loopback address it is given (all of
  127.0.0.0/8 is local), so each caller of a test is a network source of
  its own, and owns an RTP socket on the same address.
- RtpStream: RTP from a socket (PCMU, 20 ms packets, on a thread): silence
  or a tone, and RFC 4733 telephone-events (payload type 101) in the same
  stream. A RawSip call has one (.media); an attacker makes one on a
  socket of its own aimed at somebody else's server-side RTP port.
- Helpers on GET /api/v1/calls (calls, wait_call, wait_gone, mask), org()
  (a dial-in number and an organizer with a known PIN), rms().
"""

import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from harness import free_port

NUMBER = "+14255550100"
PIN_RE = re.compile(r"^[0-9]{4,12}$")

_org = {}  # per daemon: the users the tests call into


def org(d):
    """A dial-in number, an organizer with a known PIN (Ada), once per
    daemon."""
    if d.url in _org:
        return _org[d.url]
    d.ok("POST", "/api/v1/dial-in-numbers",
         {"number": NUMBER, "type": "toll", "countryCode": "US",
          "city": "Redmond", "languages": ["en-US"]}, expect=(200, 201))
    ada = d.create_user("ada@example.org", "Ada Lovelace")
    pin = d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
               "reset-pin", {"sendEmail": False})["pin"]
    assert PIN_RE.match(pin), pin
    o = {"id": ada["audioConferencing"]["conferenceId"], "pin": pin,
         "user": ada["id"]}
    _org[d.url] = o
    return o


def calls(d):
    return d.ok("GET", "/api/v1/calls")["calls"]


def own_calls(d):
    """The calls node d holds itself (GET /api/v1/calls lists every
    node's)."""
    return [c for c in calls(d) if c["node"] == d.node]


def wait_call(d, caller, pred, what, timeout=20.0):
    """Poll GET /api/v1/calls until the call of the (masked) caller
    satisfies pred; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for c in calls(d):
            if c["caller"] == caller:
                last = c
                if pred(c):
                    return c
        time.sleep(0.1)
    raise AssertionError("call of %s never became %s; last seen %r"
                         % (caller, what, last))


def wait_gone(d, caller, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(c["caller"] == caller for c in calls(d)):
            return
        time.sleep(0.1)
    raise AssertionError("call of %s still listed" % caller)


def mask(user):
    return user[:-4] + "****"


# -- baresip ------------------------------------------------------------------

class Baresip:
    """One headless baresip caller; what it heard is recorded (sndfile).
    It sends source (an 8 kHz mono 16-bit WAV; default silence) and offers
    only codec. ip is where it listens for SIP and what its SDP says; its
    RTP socket is bound to the wildcard address, so on loopback its RTP
    leaves from 127.0.0.1 whatever ip is: a server that takes media only
    from the caller's address hears nothing from it unless ip is
    127.0.0.1."""

    def __init__(self, user, source=None, codec="PCMU", ip="127.0.0.1"):
        self.ip = ip
        self.dir = tempfile.mkdtemp(prefix="dialconf-baresip-")
        self.rec = os.path.join(self.dir, "rec")
        os.mkdir(self.rec)
        self.sip_port = _free_pair(ip)
        self.ctrl_port = free_port()
        rtp = random.randrange(40000, 49000, 2)
        src = source or os.path.join(self.dir, "silence.wav")
        if not source:
            subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16",
                            src, "trim", "0", "60"], check=True)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("""sip_listen %s:%d
net_interface %s
dns_server 127.0.0.1:53
audio_player aubridge,nil
audio_alert aubridge,nil
audio_source aufile,%s
rtp_ports %d-%d
rtcp_mux no
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
snd_path %s
""" % (ip, self.sip_port, ip, src, rtp, rtp + 99, self.ctrl_port,
                self.rec))
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@%s:%d>;regint=0;audio_codecs=%s\n"
                    % (user, ip, self.sip_port, codec))
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(["baresip", "-f", self.dir],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        self.sock = None
        deadline = time.monotonic() + 10
        while self.sock is None:
            try:
                self.sock = socket.create_connection(
                    ("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise AssertionError("baresip did not start")
                time.sleep(0.05)
        self.buf = b""
        self.events = []

    def cmd(self, command, params=""):
        body = json.dumps({"command": command, "params": params,
                           "token": "t"}).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        if not data:
            raise AssertionError("baresip closed ctrl_tcp")
        self.buf += data
        while True:
            m = re.match(rb"(\d+):", self.buf)
            if not m:
                return
            n = int(m.group(1))
            start = m.end()
            if len(self.buf) < start + n + 1:
                return
            msg = json.loads(self.buf[start:start + n])
            self.buf = self.buf[start + n + 1:]
            if msg.get("event"):
                self.events.append(msg.get("type"))

    def wait_event(self, etype, timeout=10.0):
        deadline = time.monotonic() + timeout
        while etype not in self.events:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("baresip: no %s within %.0f s (got %r)"
                                     % (etype, timeout, self.events))
            self._read(min(left, 0.5))
        self.events.remove(etype)

    def dial(self, d, number=NUMBER):
        self.cmd("dial", "sip:%s@127.0.0.1:%d" % (number, d.sip_port))
        self.wait_event("CALL_ESTABLISHED")

    def recording(self):
        for name in os.listdir(self.rec):
            if name.endswith("-dec.wav"):
                return os.path.join(self.rec, name)
        return None

    def close(self):
        try:
            if self.sock:
                self.cmd("quit")
                self.proc.wait(timeout=3)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_pair(ip="127.0.0.1"):
    """A SIP port on ip whose +1 (baresip's TLS) is free too."""
    for _ in range(50):
        try:
            with socket.socket() as s:
                s.bind((ip, 0))
                p = s.getsockname()[1]
            with socket.socket() as s:
                s.bind((ip, p + 1))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((ip, p))
            return p
        except OSError:
            continue
    raise OSError("no free port pair")


# -- RTP ----------------------------------------------------------------------

PT_PCMU = 0
PT_TEL = 101
FRAME = 160          # samples in 20 ms at 8 kHz
_DTMF_CODES = {c: i for i, c in enumerate("0123456789*#")}


def ulaw(sample):
    """One 16-bit linear sample as G.711 µ-law (ITU-T G.711, with the
    usual bias of 0x84 and clip at 32635)."""
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, 32635) + 0x84
    exp = max((sample >> 7).bit_length() - 1, 0)
    mant = (sample >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


_tone_cache = {}


def ulaw_tone(hz, level=0.3):
    """One second of an integer-Hz sine at level (of full scale) in µ-law:
    it repeats every 8000 samples, so any 160-sample slice continues it."""
    key = (hz, level)
    if key not in _tone_cache:
        _tone_cache[key] = bytes(
            ulaw(int(level * 32767 * math.sin(2 * math.pi * hz * n / 8000)))
            for n in range(8000))
    return _tone_cache[key]


class RtpStream:
    """RTP out of sock to target (host, port), one packet every 20 ms from
    a thread of its own: PCMU silence, or a tone (tone(hz)), or nothing
    (audio(False)); dtmf() puts RFC 4733 events into the same stream (same
    SSRC, sequence and clock). ssrc/seq/ts may be given: an attacker who
    knows the victim's stream continues it."""

    def __init__(self, sock, target, ssrc=None, seq=None, ts=None,
                 audio=True):
        self.sock = sock
        self.target = target
        self.ssrc = random.getrandbits(32) if ssrc is None else ssrc
        self.seq = random.getrandbits(16) if seq is None else seq
        self.ts = random.getrandbits(32) if ts is None else ts
        self.hz = None
        self.sending_audio = audio
        self.lock = threading.Lock()
        self.events = []     # RFC 4733 event codes still to send
        self._ev = None      # the event being sent
        self.idle = threading.Event()
        self.idle.set()
        self.quit = False
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def tone(self, hz):
        """Send a tone of hz (None: silence) from now on."""
        with self.lock:
            self.hz = hz
            self.sending_audio = True

    def audio(self, on):
        with self.lock:
            self.sending_audio = on

    def _packet(self, pt, marker, ts, payload):
        hdr = bytes([0x80, (0x80 if marker else 0) | pt,
                     (self.seq >> 8) & 0xFF, self.seq & 0xFF])
        hdr += ts.to_bytes(4, "big") + self.ssrc.to_bytes(4, "big")
        self.seq = (self.seq + 1) & 0xFFFF
        return hdr + payload

    def dtmf(self, digits, timeout=10.0):
        """Send digits as RFC 4733 events (each 60 ms: three packets, then
        three end packets, RFC 4733 §2.5.1.4; 40 ms apart); returns once
        they are all out."""
        with self.lock:
            for ch in digits:
                self.events.append(_DTMF_CODES[ch])
            self.idle.clear()
        assert self.idle.wait(timeout), "RTP: digits not sent in time"

    def _next_packet(self):
        """The packet of this 20 ms tick, or None. Holds the lock."""
        st = self._ev
        if st is None and self.events:
            code = self.events.pop(0)
            # 3 packets of the event, 3 end packets, 1 tick of gap.
            st = self._ev = {"code": code, "n": 0, "ts": self.ts}
        if st is not None:
            n = st["n"]
            st["n"] += 1
            pkt = None
            if n < 6:
                dur = min(n + 1, 3) * FRAME
                end = n >= 3
                payload = bytes([st["code"], (0x80 if end else 0) | 10,
                                 dur >> 8, dur & 0xFF])
                pkt = self._packet(PT_TEL, n == 0, st["ts"], payload)
            if st["n"] >= 7:
                self._ev = None
                if not self.events:
                    self.idle.set()
            self.ts = (self.ts + FRAME) & 0xFFFFFFFF
            return pkt
        if not self.sending_audio:
            self.ts = (self.ts + FRAME) & 0xFFFFFFFF
            return None
        if self.hz:
            t = ulaw_tone(self.hz)
            off = self.ts % 8000
            payload = (t + t)[off:off + FRAME]
        else:
            payload = b"\xff" * FRAME
        pkt = self._packet(PT_PCMU, False, self.ts, payload)
        self.ts = (self.ts + FRAME) & 0xFFFFFFFF
        return pkt

    def _run(self):
        due = time.monotonic()
        while not self.quit:
            with self.lock:
                pkt = self._next_packet()
            if pkt is not None:
                try:
                    self.sock.sendto(pkt, self.target)
                    self.sent += 1
                except OSError:
                    pass
            due += 0.02
            left = due - time.monotonic()
            if left > 0:
                time.sleep(left)
            elif left < -0.2:
                due = time.monotonic()  # far behind: do not burst

    def stop(self):
        self.quit = True
        self.thread.join(timeout=2)


# -- a SIP client of our own --------------------------------------------------

def parse_msg(data):
    """(first line, headers dict lower-case, body) of a SIP datagram."""
    head, _, body = data.decode("utf-8", "replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return lines[0], hdrs, body


def sdp_media(sdp):
    """(address, port) of the audio stream of an SDP body, or None."""
    m = re.search(r"^m=audio (\d+) ", sdp, re.M)
    c = re.findall(r"^c=IN IP4 ([0-9.]+)", sdp, re.M)
    if not m or not c:
        return None
    return c[-1], int(m.group(1))


class RawSip:
    """Just enough RFC 3261 over UDP: INVITE/ACK, in-dialog INFO and BYE,
    from loopback address ip (SIP and RTP sockets both bound there; Via,
    From, Contact and the SDP say so). One dialog at a time; invite()
    starts a new one. After a 200 the answer's media address is in
    .remote_rtp, and start_media() streams RTP to it from .rtp."""

    def __init__(self, d, user, ip="127.0.0.1"):
        self.d = d
        self.user = user
        self.ip = ip
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((ip, 0))
        self.rtp_port = self.rtp.getsockname()[1]
        self.cseq = 1
        self.to_tag = None
        self.contact = None
        self.callid = None
        self.from_user = user
        self.ended = False       # the server ended the dialog (its BYE)
        self.remote_rtp = None   # (host, port) of the server's answer
        self.media = None        # RtpStream of this dialog
        self.final = None        # (status, headers) of the last INVITE

    def _send(self, text):
        # Lines end in CRLF; a body that has CRLF already keeps it (its
        # Content-Length counts it), so normalise before converting.
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        self.sock.sendto(text.encode(),
                         ("127.0.0.1", self.d.sip_port))

    def _head(self, method, uri, to_tag=True, cseq=None):
        to = "<sip:%s@127.0.0.1:%d>" % (self.number, self.d.sip_port)
        if to_tag and self.to_tag:
            to += ";tag=" + self.to_tag
        return ("%s %s SIP/2.0\n"
                "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport\n"
                "Max-Forwards: 70\n"
                "From: <sip:%s@%s:%d>;tag=%s\n"
                "To: %s\n"
                "Call-ID: %s\n"
                "CSeq: %d %s\n"
                "Contact: <sip:%s@%s:%d>\n"
                % (method, uri, self.ip, self.port, random.getrandbits(48),
                   self.from_user, self.ip, self.port, self.tag, to,
                   self.callid, cseq or self.cseq, method, self.from_user,
                   self.ip, self.port))

    def recv(self, timeout=5.0):
        """The next message: (first line, headers dict lower-case, body)."""
        self.sock.settimeout(timeout)
        data, _ = self.sock.recvfrom(65536)
        return parse_msg(data)

    def _answer(self, line, hdrs):
        """Reply 200 to a request from the server (its BYE); a BYE of the
        current dialog marks it ended. Returns the method, None for a
        response."""
        if line.startswith("SIP/2.0"):
            return None
        method = line.split()[0]
        reply = ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                 "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
                 % (hdrs.get("via", ""), hdrs.get("from", ""),
                    hdrs.get("to", ""), hdrs.get("call-id", ""),
                    hdrs.get("cseq", "")))
        self.sock.sendto(reply.encode(), ("127.0.0.1", self.d.sip_port))
        if method == "BYE" and hdrs.get("call-id") == self.callid:
            self.ended = True
            if self.media:
                self.media.audio(False)
            return "BYE"
        return method if hdrs.get("call-id") == self.callid else "OTHER"

    def invite(self, number, formats="0 101", rtpmap=True, headers=(),
               user=None, ack=True, timeout=5.0):
        """INVITE with an SDP offer (our address, our RTP port) and extra
        headers (a sequence of "Name: value"), From user (default the
        caller's); returns (final status, body). On 200 the ACK is sent
        (unless ack is False) and the dialog kept for info()/bye().
        .final keeps the final response's headers."""
        self.stop_media()
        self.number = number
        self.from_user = user or self.user
        self.tag = "%x" % random.getrandbits(32)
        self.callid = "%x@%s" % (random.getrandbits(64), self.ip)
        self.cseq = 1
        self.to_tag = None
        self.ended = False
        self.remote_rtp = None
        sdp = ("v=0\no=- 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\n"
               "t=0 0\nm=audio %d RTP/AVP %s\n"
               % (self.ip, self.ip, self.rtp_port, formats))
        if rtpmap and "101" in formats.split():
            sdp += "a=rtpmap:101 telephone-event/8000\n"
        sdp = sdp.replace("\n", "\r\n")
        uri = "sip:%s@127.0.0.1:%d" % (number, self.d.sip_port)
        extra = "".join(h + "\n" for h in headers)
        self._send(self._head("INVITE", uri, to_tag=False) + extra +
                   "Content-Type: application/sdp\n"
                   "Content-Length: %d\n\n" % len(sdp) + sdp)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("INVITE from %s: no final answer "
                                     "within %.0f s" % (self.ip, timeout))
            try:
                line, hdrs, body = self.recv(timeout=left)
            except socket.timeout:
                continue
            if not line.startswith("SIP/2.0"):
                self._answer(line, hdrs)
                continue
            if hdrs.get("call-id") != self.callid or \
                    "INVITE" not in hdrs.get("cseq", ""):
                continue  # a late answer of an earlier dialog
            status = int(line.split()[1])
            if status >= 200:
                break
        self.final = (status, hdrs)
        m = re.search(r";tag=([^;>\s]+)", hdrs.get("to", ""))
        self.to_tag = m.group(1) if m else None
        if status >= 300:
            # ACK for a non-2xx is hop-by-hop (RFC 3261 §17.1.1.3).
            self._send(self._head("ACK", uri, cseq=1) +
                       "Content-Length: 0\n\n")
            return status, body
        m = re.search(r"<([^>]+)>", hdrs.get("contact", ""))
        self.contact = m.group(1) if m else uri
        self.remote_rtp = sdp_media(body)
        if ack:
            self._send(self._head("ACK", self.contact, cseq=1) +
                       "Content-Length: 0\n\n")
        return status, body

    def start_media(self, hz=None):
        """Stream RTP (PCMU silence, or hz) from our RTP socket to the
        server's port of this dialog; returns the RtpStream."""
        assert self.remote_rtp, "no dialog with media"
        if self.media is None:
            self.media = RtpStream(self.rtp, self.remote_rtp)
        self.media.tone(hz)
        return self.media

    def stop_media(self):
        if self.media is not None:
            self.media.stop()
            self.media = None

    def info(self, digit, ctype="application/dtmf-relay"):
        """One digit as SIP INFO; returns the status of its answer."""
        body = ("Signal=%s\r\nDuration=160\r\n" % digit
                if ctype.endswith("relay") else digit)
        self.cseq += 1
        self._send(self._head("INFO", self.contact) +
                   "Content-Type: %s\nContent-Length: %d\n\n"
                   % (ctype, len(body)) + body)
        while True:
            line, hdrs, _ = self.recv()
            if line.startswith("SIP/2.0") and "INFO" in hdrs.get("cseq", "") \
                    and hdrs.get("call-id") == self.callid:
                return int(line.split()[1])
            self._answer(line, hdrs)

    def keys(self, digits, ctype="application/dtmf-relay"):
        for k in digits:
            assert self.info(k, ctype) == 200

    def try_keys(self, digits, ctype="application/dtmf-relay"):
        """Key digits by INFO while the dialog lasts; False once one is
        not taken (the server hung up)."""
        for k in digits:
            if self.ended:
                return False
            try:
                if self.info(k, ctype) != 200:
                    return False
            except socket.timeout:
                return False
        return True

    def bye(self, timeout=3.0):
        """End the dialog from our side (nothing if the server did)."""
        self.stop_media()
        if self.ended or not self.contact or not self.to_tag:
            return
        self.cseq += 1
        self._send(self._head("BYE", self.contact) + "Content-Length: 0\n\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line, hdrs, _ = self.recv(deadline - time.monotonic())
            except socket.timeout:
                break
            if line.startswith("SIP/2.0") and "BYE" in hdrs.get("cseq", "") \
                    and hdrs.get("call-id") == self.callid:
                break
            if self._answer(line, hdrs) == "BYE":
                break
        self.ended = True

    def wait_bye(self, timeout=15.0):
        """Wait for the server's BYE of this dialog; True if it came."""
        if self.ended:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line, hdrs, _ = self.recv(timeout=deadline - time.monotonic())
            except socket.timeout:
                break
            if self._answer(line, hdrs) == "BYE":
                return True
        return False

    def options(self):
        self.number, self.tag = NUMBER, "1"
        self.callid = "%x@127.0.0.1" % random.getrandbits(64)
        self._send(self._head("OPTIONS", "sip:127.0.0.1:%d" % self.d.sip_port,
                              to_tag=False) + "Content-Length: 0\n\n")
        line, _, _ = self.recv()
        return int(line.split()[1])

    def close(self):
        self.stop_media()
        self.sock.close()
        self.rtp.close()


def rms(path, start, dur):
    """RMS amplitude (0..1) of path between start and start+dur seconds."""
    p = subprocess.run(["sox", path, "-n", "trim", str(start), str(dur),
                        "stat"], capture_output=True, text=True)
    m = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", p.stderr)
    assert m, p.stderr
    return float(m.group(1))


def band_rms(path, start, dur, lo, hi):
    """RMS (0..1) of path's band lo-hi Hz between start and start+dur s."""
    p = subprocess.run(["sox", path, "-n", "trim", "%.2f" % start,
                        "%.2f" % dur, "sinc", "%d-%d" % (lo, hi), "stat"],
                       capture_output=True, text=True)
    m = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", p.stderr)
    assert m, p.stderr
    return float(m.group(1))
