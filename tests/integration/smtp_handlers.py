"""aiosmtpd handlers for the integration tests and bench/mail.py.

    /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT \
        -c smtp_handlers.Recorder -- MAILDIR [reject_prefix=P] [fail_flag=F]

(with this folder on PYTHONPATH; harness.SmtpServer does all of that).

Recorder stores every message it accepts, byte for byte as the client sent
it, in the Maildir MAILDIR (tmp/ then rename into new/), with two headers
put in front: X-Envelope-From and X-Envelope-To (the SMTP envelope).

    reject_prefix=P  RCPT TO of an address whose local part starts with P
                     (case-insensitive) is answered 550 (REJECT_RCPT_REPLY).
    fail_flag=F      while the file F exists, every message is answered 550
                     after DATA (FAIL_DATA_REPLY); once F is gone, accepted.
    quiet=1          do not print accepted messages (benchmarks).
    delay=S          answer each DATA S seconds late (a slow server); the
                     message is kept even if the client gave up meanwhile, as a
                     real server may do.

Each decision is printed on stdout, one line each, for the test's log.
"""

import asyncio
import os
import sys
import time

REJECT_RCPT_REPLY = "550 5.1.1 <%s>: Recipient address rejected: " \
    "no such mailbox here (dialconf-test)"
FAIL_DATA_REPLY = "550 5.7.1 Message rejected by policy: " \
    "the flag file is present (dialconf-test)"


def _log(text):
    sys.stdout.write("%.3f %s\n" % (time.time(), text))
    sys.stdout.flush()


class Recorder:
    def __init__(self, maildir, reject_prefix=None, fail_flag=None,
                 quiet=None, delay=None):
        self.maildir = maildir
        self.delay = float(delay) if delay else 0.0
        self.quiet = quiet not in (None, "", "0")
        self.reject_prefix = (reject_prefix or "").lower() or None
        self.fail_flag = fail_flag or None
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        self.seq = 0
        self.pid = os.getpid()

    @classmethod
    def from_cli(cls, parser, *args):
        if not args:
            parser.error("Recorder needs the Maildir folder")
        opts = {}
        for a in args[1:]:
            key, eq, value = a.partition("=")
            if not eq or key not in ("reject_prefix", "fail_flag",
                                              "quiet", "delay"):
                parser.error("Recorder: unknown argument %r" % a)
            opts[key] = value
        return cls(args[0], **opts)

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.partition("@")[0].lower()
        if self.reject_prefix and local.startswith(self.reject_prefix):
            reply = REJECT_RCPT_REPLY % address
            _log("RCPT %s -> %s" % (address, reply))
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_flag and os.path.exists(self.fail_flag):
            _log("DATA to %s -> %s" % (",".join(envelope.rcpt_tos),
                                       FAIL_DATA_REPLY))
            return FAIL_DATA_REPLY
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        # The client's port tells which connection brought the message.
        peer = session.peer if isinstance(session.peer, tuple) else ("", 0)
        head = ("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n"
                "X-Envelope-Peer: %s:%s\r\n"
                % (envelope.mail_from, ", ".join(envelope.rcpt_tos),
                   peer[0], peer[1])).encode()
        self.seq += 1
        name = "%d.%d_%d.dialconf-test" % (time.time_ns(), self.pid, self.seq)
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head + data)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        if not self.quiet:
            _log("DATA from %s to %s -> 250 (%s)"
                 % (envelope.mail_from, ",".join(envelope.rcpt_tos), name))
        return "250 OK queued as %s" % name
