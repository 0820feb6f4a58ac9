"""Dial-in: the SIP auto attendant (SPEC §6, issue 5).

Real callers: headless baresip user agents driven over ctrl_tcp
(netstring-framed JSON), and a small SIP client of our own (RawSip) for
what baresip 1.0.0 cannot do: digits as SIP INFO, offers of our choosing,
requests that must be refused. The state of each call is read back from
GET /api/v1/calls, the contract of the attendant."""

import json
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
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
    only codec."""

    def __init__(self, user, source=None, codec="PCMU"):
        self.dir = tempfile.mkdtemp(prefix="dialconf-baresip-")
        self.rec = os.path.join(self.dir, "rec")
        os.mkdir(self.rec)
        self.sip_port = _free_pair()
        self.ctrl_port = free_port()
        rtp = random.randrange(40000, 49000, 2)
        src = source or os.path.join(self.dir, "silence.wav")
        if not source:
            subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16",
                            src, "trim", "0", "60"], check=True)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("""sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
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
""" % (self.sip_port, src, rtp, rtp + 99, self.ctrl_port, self.rec))
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@127.0.0.1:%d>;regint=0;audio_codecs=%s\n"
                    % (user, self.sip_port, codec))
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


def _free_pair():
    """A SIP port whose +1 (baresip's TLS) is free too."""
    for _ in range(50):
        p = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
    raise OSError("no free port pair")


# -- a SIP client of our own ---------------------------------------------------

class RawSip:
    """Just enough RFC 3261 over UDP: INVITE/ACK, in-dialog INFO and BYE."""

    def __init__(self, d, user):
        self.d = d
        self.user = user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.cseq = 1
        self.to_tag = None
        self.contact = None

    def _send(self, text):
        self.sock.sendto(text.replace("\n", "\r\n").encode(),
                         ("127.0.0.1", self.d.sip_port))

    def _head(self, method, uri, to_tag=True, cseq=None):
        to = "<sip:%s@127.0.0.1:%d>" % (self.number, self.d.sip_port)
        if to_tag and self.to_tag:
            to += ";tag=" + self.to_tag
        return ("%s %s SIP/2.0\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\n"
                "Max-Forwards: 70\n"
                "From: <sip:%s@127.0.0.1:%d>;tag=%s\n"
                "To: %s\n"
                "Call-ID: %s\n"
                "CSeq: %d %s\n"
                "Contact: <sip:%s@127.0.0.1:%d>\n"
                % (method, uri, self.port, random.getrandbits(48), self.user,
                   self.port, self.tag, to, self.callid,
                   cseq or self.cseq, method, self.user, self.port))

    def recv(self, timeout=5.0):
        """The next message: (first line, headers dict lower-case, body)."""
        self.sock.settimeout(timeout)
        data, _ = self.sock.recvfrom(65536)
        head, _, body = data.decode().partition("\r\n\r\n")
        lines = head.split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        return lines[0], hdrs, body

    def invite(self, number, formats="0 101", rtpmap=True):
        """INVITE with an SDP offer; returns the final status. On 200 the
        ACK is sent and the dialog kept for info()/bye()."""
        self.number = number
        self.tag = "%x" % random.getrandbits(32)
        self.callid = "%x@127.0.0.1" % random.getrandbits(64)
        self.cseq = 1
        self.to_tag = None
        sdp = ("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\n"
               "t=0 0\nm=audio %d RTP/AVP %s\n"
               % (self.rtp.getsockname()[1], formats))
        if rtpmap and "101" in formats.split():
            sdp += "a=rtpmap:101 telephone-event/8000\n"
        sdp = sdp.replace("\n", "\r\n")
        uri = "sip:%s@127.0.0.1:%d" % (number, self.d.sip_port)
        self._send(self._head("INVITE", uri, to_tag=False) +
                   "Content-Type: application/sdp\n"
                   "Content-Length: %d\n\n" % len(sdp) + sdp)
        while True:
            line, hdrs, body = self.recv()
            status = int(line.split()[1])
            if status >= 200:
                break
        m = re.search(r";tag=([^;>\s]+)", hdrs.get("to", ""))
        self.to_tag = m.group(1) if m else None
        if status >= 300:
            # ACK for a non-2xx is hop-by-hop (RFC 3261 §17.1.1.3).
            self._send(self._head("ACK", uri, cseq=1) +
                       "Content-Length: 0\n\n")
            return status, body
        m = re.search(r"<([^>]+)>", hdrs.get("contact", ""))
        self.contact = m.group(1) if m else uri
        self._send(self._head("ACK", self.contact, cseq=1) +
                   "Content-Length: 0\n\n")
        return status, body

    def info(self, digit, ctype="application/dtmf-relay"):
        body = ("Signal=%s\r\nDuration=160\r\n" % digit
                if ctype.endswith("relay") else digit)
        self.cseq += 1
        self._send(self._head("INFO", self.contact) +
                   "Content-Type: %s\nContent-Length: %d\n\n"
                   % (ctype, len(body)) + body)
        while True:
            line, hdrs, _ = self.recv()
            if line.startswith("SIP/2.0") and "INFO" in hdrs.get("cseq", ""):
                return int(line.split()[1])
            self._answer(line, hdrs)

    def _answer(self, line, hdrs):
        """Reply 200 to a request from the server (its BYE)."""
        if line.startswith("SIP/2.0"):
            return None
        method = line.split()[0]
        reply = ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                 "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n"
                 % (hdrs["via"], hdrs["from"], hdrs["to"], hdrs["call-id"],
                    hdrs["cseq"]))
        self.sock.sendto(reply.encode(), ("127.0.0.1", self.d.sip_port))
        return method

    def keys(self, digits, ctype="application/dtmf-relay"):
        for k in digits:
            assert self.info(k, ctype) == 200

    def wait_bye(self, timeout=15.0):
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
        self.sock.close()
        self.rtp.close()


def rms(path, start, dur):
    """RMS amplitude (0..1) of path between start and start+dur seconds."""
    p = subprocess.run(["sox", path, "-n", "trim", str(start), str(dur),
                        "stat"], capture_output=True, text=True)
    m = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", p.stderr)
    assert m, p.stderr
    return float(m.group(1))


# -- tests --------------------------------------------------------------------

def test_lobby_then_organizer_with_pin(d):
    o = org(d)
    guest = Baresip("+15551110000")
    boss = Baresip("+15552220000")
    try:
        guest.dial(d)
        g = wait_call(d, mask("+15551110000"), lambda c: True, "listed")
        assert g["dialedNumber"] == NUMBER, g
        assert g["state"] == "collecting-id", g
        time.sleep(1.5)  # let the welcome prompt be heard (recorded below)
        guest.cmd("sndcode", o["id"] + "#")
        g = wait_call(d, mask("+15551110000"),
                      lambda c: c["state"] == "lobby", "lobby")
        assert g["conferenceId"] == o["id"], g
        assert g["userId"] == o["user"], g

        boss.dial(d)
        boss.cmd("sndcode", o["id"] + "#")
        wait_call(d, mask("+15552220000"),
                  lambda c: c["conferenceId"] == o["id"], "resolved")
        boss.cmd("sndcode", "*")
        wait_call(d, mask("+15552220000"),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        boss.cmd("sndcode", o["pin"] + "#")
        wait_call(d, mask("+15552220000"),
                  lambda c: c["state"] == "in-conference", "in-conference")
        g = wait_call(d, mask("+15551110000"),
                      lambda c: c["state"] == "in-conference",
                      "in-conference after the organizer")
        rc, out, err = d.cli("calls")
        assert rc == 0 and "in-conference" in out and "+1555111****" in out, \
            (rc, out, err)
        assert "+15551110000" not in out and "+15551110000" not in d.log_text()
        guest.cmd("hangup")
        guest.wait_event("CALL_CLOSED")
        wait_gone(d, mask("+15551110000"))
        rec = guest.recording()
        assert rec, "baresip recorded nothing"
        # The welcome prompt plays from the answer: speech, well above the
        # silence a joined caller hears until the mixer (issue 6).
        speech = rms(rec, 0.3, 1.0)
        assert speech > 0.02, "no speech in the welcome prompt: RMS %f" \
            % speech
    finally:
        guest.close()
        boss.close()


def test_reset_old_id_not_valid_new_id_in(d):
    o = org(d)
    res = d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
               "reset-conference-id", {"sendEmail": False})
    new, old_id = res["conferenceId"], res["previousConferenceId"]
    o["id"] = new
    caller = Baresip("+15553330000")
    try:
        caller.dial(d)
        for _ in range(3):
            caller.cmd("sndcode", old_id + "#")
            time.sleep(2.4)  # 240 ms a digit
        caller.wait_event("CALL_CLOSED", timeout=10)
        wait_gone(d, mask("+15553330000"))
        fails = [a for a in d.audit() if a["action"] == "dialin.failure"]
        assert fails and fails[0]["target"] == "+1555333****", fails[:1]
    finally:
        caller.close()
    caller = Baresip("+15554440000")
    try:
        caller.dial(d)
        caller.cmd("sndcode", new + "#")
        c = wait_call(d, mask("+15554440000"),
                      lambda c: c["conferenceId"] == new, "resolved")
        assert c["userId"] == o["user"], c
        caller.cmd("hangup")
        caller.wait_event("CALL_CLOSED")
    finally:
        caller.close()


def test_not_a_dial_in_number_404_options_488(d):
    org(d)
    s = RawSip(d, "+15555550000")
    try:
        assert s.options() == 200
        assert s.invite("+19995550123")[0] == 404
        assert s.invite("19995550123")[0] == 404
        # Only G.722 offered: no G.711 to answer with.
        assert s.invite(NUMBER, formats="9")[0] == 488
        # Without '+', and a bare static payload type 8 without rtpmap.
        status, sdp = s.invite(NUMBER[1:], formats="8 101")
        assert status == 200, status
        assert re.search(r"m=audio \d+ RTP/AVP 8 101", sdp), sdp
        assert "telephone-event" in sdp, sdp
        s.info("#")
    finally:
        s.close()


def test_info_digits_and_wrong_pin_three_times(d):
    o = org(d)
    s = RawSip(d, "+15556660000")
    try:
        status, sdp = s.invite(NUMBER, formats="0 8 101")
        assert status == 200
        assert re.search(r"m=audio \d+ RTP/AVP 0 101", sdp), sdp
        s.keys(o["id"][:3])
        s.keys(o["id"][3:], "application/dtmf")
        s.keys("#", "application/dtmf")
        wait_call(d, mask("+15556660000"),
                  lambda c: c["conferenceId"] == o["id"], "resolved by INFO")
        s.keys("*")
        wait_call(d, mask("+15556660000"),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        wrong = "1" if o["pin"][0] != "1" else "2"
        for _ in range(3):
            s.keys(wrong * len(o["pin"]) + "#")
            time.sleep(0.4)  # argon2 verification, off the SIP thread
        assert s.wait_bye(), "not hung up after three wrong PINs"
        wait_gone(d, mask("+15556660000"))
    finally:
        s.close()


def test_three_failed_calls_then_403(d):
    org(d)
    user = "+15557770000"
    s = RawSip(d, user)
    try:
        for n in range(3):
            assert s.invite(NUMBER)[0] == 200, "call %d refused" % (n + 1)
            for _ in range(3):
                s.keys("9999999#")
                time.sleep(0.3)
            assert s.wait_bye(), "call %d not hung up" % (n + 1)
        assert s.invite(NUMBER)[0] == 403
        fails = [a for a in d.audit() if a["action"] == "dialin.failure"
                 and a["target"] == mask(user)]
        assert len(fails) == 3, fails
        assert user not in json.dumps(d.audit())
        # Another source is not affected.
        t = RawSip(d, "+15558880000")
        try:
            assert t.invite(NUMBER)[0] == 200
        finally:
            t.close()
    finally:
        s.close()
