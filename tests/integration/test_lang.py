"""Prompts in the dialed number's languages (issue 15).

A real caller (sipkit's RawSip: SIP over UDP, RTP from its own socket)
records every RTP payload the attendant sends it. G.711 u-law decoded to
linear and encoded again is the same byte (but for the two codes of
silence), so the prompt files themselves are the reference: what the
caller heard is French when 50 ms pieces of prompts/fr-FR/*.ulaw turn up
in the recording, in order, and English ones do not."""

import os
import socket
import threading
import time

from sipkit import RawSip

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = os.path.join(HERE, "..", "..", "prompts")
PIECE = 400  # bytes: 50 ms of u-law


def prompt(lang, name):
    d = PROMPTS if lang == "en-US" else os.path.join(PROMPTS, lang)
    with open(os.path.join(d, name + ".ulaw"), "rb") as f:
        return f.read()


def same_silence(b):
    """u-law 0x7F and 0xFF are both zero: one spelling for either."""
    return b.replace(b"\x7f", b"\xff")


def pieces(audio):
    """The speech pieces of a prompt (those that are not near-silence:
    u-law bytes near 0xFF/0x7F are quiet), so that a match means words."""
    out = []
    for off in range(0, len(audio) - PIECE, PIECE):
        p = same_silence(audio[off:off + PIECE])
        loud = sum(1 for b in p if (b & 0x7F) < 0x60)
        if loud > PIECE // 4:
            out.append(p)
    return out


class Ear:
    """The caller's RTP socket, read on a thread: every PCMU payload, in
    the order of arrival (loopback does not reorder)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.quit = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.quit:
            try:
                pkt = self.sock.recv(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(pkt) > 12 and (pkt[1] & 0x7F) == 0:
                with self.lock:
                    self.buf += pkt[12:]

    def heard(self):
        with self.lock:
            return same_silence(bytes(self.buf))

    def stop(self):
        self.quit = True
        self.thread.join(timeout=2)


def found(heard, audio, start=0):
    """How many of audio's speech pieces are in heard (from start), and
    where the last one found ends."""
    n, end = 0, start
    for p in pieces(audio):
        at = heard.find(p, start)
        if at >= 0:
            n, end = n + 1, max(end, at + len(p))
    return n, end


def wait_heard(ear, audio, share, start=0, timeout=15.0):
    """Wait until share of audio's speech pieces were heard after start;
    returns where they end in the recording."""
    want = len(pieces(audio))
    deadline = time.monotonic() + timeout
    while True:
        n, end = found(ear.heard(), audio, start)
        if n >= share * want:
            return end
        if time.monotonic() > deadline:
            raise AssertionError("heard %d of %d pieces of the prompt "
                                 "within %.0f s" % (n, want, timeout))
        time.sleep(0.1)


def add_number(d, number, languages):
    return d.api("POST", "/api/v1/dial-in-numbers",
                 {"number": number, "type": "toll", "countryCode": "FR",
                  "city": "Paris", "languages": languages})


def call(d, caller, number):
    c = RawSip(d, caller)
    status, _ = c.invite(number)
    assert status == 200, status
    c.start_media()  # silence, so the call is not timed out
    return c, Ear(c.rtp)


def test_french_first_then_the_menu_digit_switches_to_english(d):
    status, _, body = add_number(d, "+33170000001", ["fr-fr", "en-US"])
    assert status == 201, body
    assert body["languages"] == ["fr-FR", "en-US"], body  # as shipped
    c, ear = call(d, "+33611110001", "+33170000001")
    try:
        fr_welcome = prompt("fr-FR", "welcome-enter-id")
        en_welcome = prompt("en-US", "welcome-enter-id")
        # The French welcome, whole, then the menu in English: "For
        # English, press 2."
        end = wait_heard(ear, fr_welcome, 0.9)
        wait_heard(ear, prompt("en-US", "language-menu-2"), 0.9, end)
        heard = ear.heard()
        assert found(heard, en_welcome)[0] == 0, "English welcome heard"
        assert found(heard, prompt("de-DE", "language-menu-3"))[0] == 0
        mark = len(heard)
        # 2, then '#' (or the inter-digit pause): a lone digit is the
        # menu's, never an ID (IDs have 7 digits).
        c.keys("2#")
        wait_heard(ear, en_welcome, 0.5, mark)
        assert found(ear.heard(), fr_welcome, mark)[0] == 0
    finally:
        ear.stop()
        c.bye()
        c.close()


def test_japanese_number_speaks_japanese(d):
    status, _, body = add_number(d, "+81312345678", ["ja-JP"])
    assert status == 201, body
    c, ear = call(d, "+81901110001", "+81312345678")
    try:
        wait_heard(ear, prompt("ja-JP", "welcome-enter-id"), 0.5)
        heard = ear.heard()
        assert found(heard, prompt("en-US", "welcome-enter-id"))[0] == 0
        assert found(heard, prompt("fr-FR", "welcome-enter-id"))[0] == 0
    finally:
        ear.stop()
        c.bye()
        c.close()


def test_language_without_prompts_is_refused(d):
    # what the node loaded, for the admin center's form
    assert d.ok("GET", "/api/v1/meta")["promptLanguages"] == \
        ["en-US", "fr-FR", "de-DE", "es-ES", "ja-JP"]
    status, _, body = add_number(d, "+33170000009", ["fr-FR", "xx-XX"])
    assert status == 400, body
    assert "xx-XX" in body["detail"], body
    for tag in ("en-US", "fr-FR", "de-DE", "es-ES", "ja-JP"):
        assert tag in body["detail"], body
    status, _, body = add_number(d, "+33170000009", ["de-DE", "de-de"])
    assert status == 400 and "twice" in body["detail"], body
    numbers = [n["number"] for n in d.numbers()]
    assert "+33170000009" not in numbers
    # the CLI says the same
    rc, out, err = d.cli("number", "add", "+33170000009", "--type", "toll",
                         "--country", "FR", "--language", "xx-XX")
    assert rc != 0 and "xx-XX" in err, (rc, out, err)
