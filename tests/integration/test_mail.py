"""Email (issue 3, SPEC §5): what reaches a real SMTP server, and when.

Every test runs its own daemon with `--mail smtp://127.0.0.1:PORT` against
its own aiosmtpd (harness.SmtpServer). An email is tied to its outbox row
by the Message-ID the row shows (`GET /api/v1/outbox`), then read back from
the server's Maildir as a person's mail program would (headers decoded,
parts decoded).
"""

import email.utils
import json
import re
import signal
import time
from datetime import datetime, timezone

from harness import (Daemon, SmtpServer, assert_confid, assert_problem,
                     describe_mails, envelope_to, mail_parts, q)

API = "/api/v1"
RESET = API + "/users/%s/audio-conferencing/reset-conference-id"
PIN = API + "/users/%s/audio-conferencing/reset-pin"
INFO = API + "/users/%s/audio-conferencing/send-conference-info"

REDMOND = "+14255550100"    # toll, the organization's default
SEATTLE = "+12065550111"    # toll, Ada's own
TOLL_FREE = "+18005550199"  # toll-free, the default
FROM_ADDR = "conferencing@contoso.example"
FROM_NAME = "Contoso Téléconférence"

ADA = "ada@example.org"
STATE_WAIT = 15.0


# -- set-up -------------------------------------------------------------------

def mail_daemon(smtp, data_dir=None):
    return Daemon(["--mail", smtp.url], data_dir=data_dir)


def fast_retries(d):
    """First retry after 1 s (bounds 1-86400), and at most 2 s apart, so a
    test need not wait a minute for the server to be back."""
    d.ok("PATCH", API + "/settings", {"emailRetryInitialSeconds": 1})
    d.ok("PATCH", API + "/settings", {"emailRetryMaxSeconds": 2})


def set_up_org(d):
    fast_retries(d)
    d.ok("PATCH", API + "/settings", {"sendEmailFromAddress": FROM_ADDR,
                                      "sendEmailFromDisplayName": FROM_NAME})
    for number, kind, city in ((REDMOND, "toll", "Redmond"),
                               (SEATTLE, "toll", "Seattle"),
                               (TOLL_FREE, "tollFree", None)):
        body = {"number": number, "type": kind, "countryCode": "US"}
        if city:
            body["city"] = city
        d.ok("POST", API + "/dial-in-numbers", body, expect=(201,))


def add_user(d, email_addr, name, audio=True, toll=None):
    """A user created without an email of its own (sendEmail:false)."""
    user = d.ok("POST", API + "/users",
                {"email": email_addr, "displayName": name,
                 "audioConferencing": {"enabled": audio}, "sendEmail": False},
                expect=(201,))
    if toll:
        user = d.ok("PATCH", API + "/users/" + q(email_addr),
                    {"audioConferencing": {"tollNumber": toll}})
    return user


# -- the outbox ---------------------------------------------------------------

def outbox(d, state=None):
    path = API + "/outbox?limit=100"
    if state:
        path += "&state=" + state
    return d.ok("GET", path)["emails"]


def row_ids(d):
    return {e["id"] for e in outbox(d)}


def new_row(d, seen, kind, to):
    """The one outbox row of that kind to that address not in seen (which
    it joins). The row is written with the change, so it is there as soon
    as the answer is."""
    rows = [e for e in outbox(d) if e["id"] not in seen]
    mine = [e for e in rows if e["kind"] == kind and e["to"].lower() == to]
    assert len(mine) == 1, "expected one new %s email to %s in the outbox, " \
        "the new rows are %s" % (kind, to, json.dumps(rows))
    seen.add(mine[0]["id"])
    row = mine[0]
    assert row["messageId"], "outbox row without a Message-ID: %r" % row
    return row


def find_row(d, row_id):
    for e in outbox(d):
        if e["id"] == row_id:
            return e
    raise AssertionError("outbox row %s is gone: %s" % (row_id,
                                                         outbox(d)))


def wait_state(d, row_id, state, timeout=STATE_WAIT):
    deadline = time.monotonic() + timeout
    while True:
        row = find_row(d, row_id)
        if row["state"] == state:
            return row
        if time.monotonic() > deadline:
            raise AssertionError("outbox row %s is %r after %.0f s, expected "
                                 "%r: %r" % (row_id, row["state"], timeout,
                                             state, row))
        time.sleep(0.1)


def mid(value):
    return str(value or "").strip().strip("<>")


def wait_mail(smtp, row, timeout=15.0):
    """The email of that outbox row, once it arrived at the server."""
    msgs = smtp.wait_messages(
        1, to=row["to"], match=lambda m: mid(m["Message-ID"]) ==
        mid(row["messageId"]), timeout=timeout)
    return msgs[0]


# -- reading an email ---------------------------------------------------------

SEP = r"[ ().\-\u00a0]*"


def digits_re(value):
    """value (a number, ID or PIN) as a reader sees it: its digits in order,
    perhaps grouped with spaces, dashes, dots or parentheses, not part of a
    longer digit string."""
    digits = re.sub(r"\D", "", value)
    return re.compile(r"(?<![\d])" + SEP.join(digits) + r"(?![\d])")


def shows(text, value):
    return bool(digits_re(value).search(text))


def everything(msg):
    """What a reader sees: the Subject, From and To, both parts decoded."""
    plain, html = mail_parts(msg)
    heads = "\n".join("%s: %s" % (k, msg[k]) for k in ("Subject", "From",
                                                      "To"))
    return heads + "\n" + plain + "\n" + html


def assert_shows(msg, value, what):
    plain, html = mail_parts(msg)
    for part, text in (("text/plain", plain), ("text/html", html)):
        assert shows(text, value), "the %s part of the email %r does not " \
            "show %s %s:\n%s" % (part, str(msg["Subject"]), what, value, text)


def assert_hides(msg, value, what):
    m = digits_re(value).search(everything(msg))
    assert not m, "the email %r shows %s %s:\n%s" % (
        str(msg["Subject"]), what, value, everything(msg))


def assert_addressed(msg, to):
    assert envelope_to(msg) == [to], "envelope recipients %r, expected %s" \
        % (envelope_to(msg), to)
    addrs = [a.addr_spec.lower() for a in msg["To"].addresses]
    assert addrs == [to], "To: %r, expected %s" % (str(msg["To"]), to)


def assert_well_formed(msg, row):
    """multipart/alternative with text and HTML, Message-ID of its row,
    a sane Date, From as the settings say."""
    assert msg.get_content_type() == "multipart/alternative", \
        "content type %s, expected multipart/alternative" % \
        msg.get_content_type()
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert "text/plain" in kinds and "text/html" in kinds, \
        "parts %r, expected text/plain and text/html" % kinds
    for p in msg.iter_parts():
        assert p.get_content_charset() in ("utf-8", "us-ascii"), \
            "part %s in charset %r" % (p.get_content_type(),
                                       p.get_content_charset())
    assert msg["Message-ID"], "no Message-ID"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(msg["Message-ID"])), \
        "Message-ID %r is not <left@right>" % str(msg["Message-ID"])
    assert mid(msg["Message-ID"]) == mid(row["messageId"])
    assert msg["Date"], "no Date"
    when = email.utils.parsedate_to_datetime(str(msg["Date"]))
    skew = abs((when - datetime.now(timezone.utc)).total_seconds())
    assert when.tzinfo is not None and skew < 3600, \
        "Date %r is %.0f s off the clock" % (str(msg["Date"]), skew)
    frm = msg["From"].addresses
    assert len(frm) == 1 and frm[0].addr_spec == FROM_ADDR and \
        frm[0].display_name == FROM_NAME, \
        "From %r, expected %s <%s>" % (str(msg["From"]), FROM_NAME, FROM_ADDR)
    assert str(msg["Subject"] or "").strip(), "no Subject"


def no_mail_for(smtp, addresses):
    got = [m for m in smtp.messages()
           if set(envelope_to(m)) & set(addresses)]
    assert not got, "emails arrived that were switched off: %s" % \
        describe_mails(got)


# -- the tests ----------------------------------------------------------------

def test_reset_email_has_the_new_id_and_numbers_but_no_pin():
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace", toll=SEATTLE)
        seen = row_ids(d)

        res = d.ok("POST", PIN % ADA, {})
        pin = res["pin"]
        assert res["emailQueued"] is True, res
        pin_row = new_row(d, seen, "pin-reset", ADA)

        res = d.ok("POST", RESET % ADA, {})
        assert res["emailQueued"] is True, res
        new, old = res["conferenceId"], res["previousConferenceId"]
        assert_confid(new)
        reset_row = new_row(d, seen, "conference-id-reset", ADA)
        assert reset_row["messageId"] != pin_row["messageId"], \
            "two outbox rows with one Message-ID"

        msg = wait_mail(smtp, reset_row)
        assert_addressed(msg, ADA)
        assert_well_formed(msg, reset_row)
        assert_shows(msg, new, "the new conference ID")
        assert_shows(msg, SEATTLE, "Ada's toll number")
        assert_shows(msg, TOLL_FREE, "the toll-free number")
        assert_hides(msg, pin, "the PIN")

        msg = wait_mail(smtp, pin_row)
        assert_addressed(msg, ADA)
        assert_well_formed(msg, pin_row)
        assert_shows(msg, pin, "the new PIN")
        assert_hides(msg, old, "the conference ID")
        assert_hides(msg, new, "the conference ID")

        for row in (reset_row, pin_row):
            sent = wait_state(d, row["id"], "sent")
            assert sent["sentAt"] and sent["lastError"] is None, sent
        assert len(smtp.messages(ADA)) == 2, \
            "Ada got %s" % describe_mails(smtp.messages(ADA))


def test_conference_info_email_api_and_cli():
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace", toll=SEATTLE)
        add_user(d, "dora@example.org", "Dora Disabled", audio=False)
        pin = d.ok("POST", PIN % ADA, {"sendEmail": False})["pin"]
        confid = d.user(ADA)["audioConferencing"]["conferenceId"]
        seen = row_ids(d)

        rows = []
        st, _, body = d.api("POST", INFO % ADA)
        assert (st, body) == (202, {"emailQueued": True, "to": ADA}), \
            "send-conference-info: %d %r" % (st, body)
        rows.append(new_row(d, seen, "conference-info", ADA))
        st, _, body = d.api("POST", INFO % ADA, {"to": "boss@example.net"})
        assert (st, body) == (202, {"emailQueued": True,
                                    "to": "boss@example.net"}), \
            "send-conference-info to boss: %d %r" % (st, body)
        rows.append(new_row(d, seen, "conference-info", "boss@example.net"))

        rc, out, err = d.cli("user", "send-conference-info", ADA)
        assert rc == 0, "dialconf user send-conference-info: rc %d %s" % (
            rc, err)
        rows.append(new_row(d, seen, "conference-info", ADA))
        rc, out, err = d.cli("user", "send-conference-info", ADA, "--to",
                             "assistant@example.net")
        assert rc == 0, "send-conference-info --to: rc %d %s" % (rc, err)
        assert "assistant@example.net" in out, \
            "the CLI does not say where it sent: %r" % out
        rows.append(new_row(d, seen, "conference-info",
                            "assistant@example.net"))

        for row in rows:
            msg = wait_mail(smtp, row)
            assert_addressed(msg, row["to"])
            assert_well_formed(msg, row)
            assert_shows(msg, confid, "the conference ID")
            assert_shows(msg, SEATTLE, "Ada's toll number")
            assert_shows(msg, TOLL_FREE, "the toll-free number")
            assert_hides(msg, pin, "the PIN")

        # Refused requests queue nothing.
        assert_problem(d.api("POST", INFO % ADA, {"to": "not an address"}),
                       400, "send-conference-info to a bad address")
        assert_problem(d.api("POST", INFO % "dora@example.org"), 409,
                       "send-conference-info of a user not enabled")
        rc, out, err = d.cli("user", "send-conference-info",
                             "dora@example.org")
        assert rc == 1 and err.strip(), "CLI, user not enabled: rc %d" % rc
        assert row_ids(d) == seen, "a refused request queued an email"


def test_emails_show_numbers_formatted_and_link_them_exactly():
    """Issue 20 item 7: an email shows a number as the admin center does
    (+1 206 555 0111), and its tel: link dials the number itself."""
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace", toll=SEATTLE)
        confid = d.user(ADA)["audioConferencing"]["conferenceId"]
        seen = row_ids(d)
        d.ok("POST", INFO % ADA, expect=(202,))
        row = new_row(d, seen, "conference-info", ADA)
        plain, html = mail_parts(wait_mail(smtp, row))
        for number, shown in ((SEATTLE, "+1 206 555 0111"),
                              (TOLL_FREE, "+1 800 555 0199")):
            for part, text in (("text/plain", plain), ("text/html", html)):
                assert shown in text, "the %s part does not show %s:\n%s" \
                    % (part, shown, text)
                raw = [m.start() for m in re.finditer(re.escape(number),
                                                      text)]
                assert all(text[i - 4:i] == "tel:" for i in raw), \
                    "the %s part shows %s outside a tel: link:\n%s" % (
                        part, number, text)
            link = 'href="tel:%s,,%s#"' % (number, confid)
            assert link in html, "no exact link %s in:\n%s" % (link, html)


def test_non_ascii_name_in_to_header():
    name = "Zoë Ñúñez"
    zoe = "zoe@example.org"
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, zoe, name)
        seen = row_ids(d)
        d.ok("POST", INFO % zoe, expect=(202,))
        row = new_row(d, seen, "conference-info", zoe)
        msg = wait_mail(smtp, row)
        to = msg["To"].addresses
        assert len(to) == 1 and to[0].addr_spec == zoe, str(msg["To"])
        assert to[0].display_name == name, \
            "To: display name decodes to %r, expected %r (raw header %r)" % (
                to[0].display_name, name, raw_header(msg, "To"))
        for h in ("To", "From", "Subject"):
            raw = raw_header(msg, h)
            assert all(b < 128 for b in raw), \
                "raw %s header is not RFC 2047 encoded ASCII: %r" % (h, raw)
        plain, html = mail_parts(msg)
        assert name in plain, "the greeting does not show %r:\n%s" % (
            name, plain)


def raw_header(msg, name):
    """The header as the daemon sent it (bytes, unfolded)."""
    head = msg.raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    head = re.sub(rb"\n[ \t]+", b" ", head)
    for line in head.split(b"\n"):
        if line.lower().startswith(name.lower().encode() + b":"):
            return line
    return b""


def test_emails_switched_off_send_nothing():
    off = ["ada@example.org", "bob@example.org", "dora@example.org",
           "eve@example.org"]
    control = "carol@example.org"
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        for who in ("ada", "bob", "carol"):
            add_user(d, who + "@example.org", who.title())
        seen = row_ids(d)

        # The organization's switch.
        d.ok("PATCH", API + "/settings",
             {"automaticallySendEmailsToUsers": False})
        res = d.ok("POST", RESET % "ada@example.org", {})
        assert res["emailQueued"] is False, res
        res = d.ok("POST", PIN % "ada@example.org", {})
        assert res["emailQueued"] is False, res
        res = d.ok("POST", API + "/users",
                   {"email": "dora@example.org", "displayName": "Dora"},
                   expect=(201,))
        assert res.get("emailQueued") is False, \
            "user create with the setting off: %r" % res

        # Per request, the setting on.
        d.ok("PATCH", API + "/settings",
             {"automaticallySendEmailsToUsers": True})
        res = d.ok("POST", RESET % "bob@example.org", {"sendEmail": False})
        assert res["emailQueued"] is False, res
        res = d.ok("POST", PIN % "bob@example.org", {"sendEmail": False})
        assert res["emailQueued"] is False, res
        for verb in ("reset-conference-id", "reset-pin"):
            rc, out, err = d.cli("user", verb, "bob@example.org",
                                 "--no-email", "--json")
            assert rc == 0, "%s --no-email: rc %d %s" % (verb, rc, err)
            assert json.loads(out)["emailQueued"] is False, out
        res = d.ok("POST", API + "/users",
                   {"email": "eve@example.org", "displayName": "Eve",
                    "sendEmail": False}, expect=(201,))
        assert res.get("emailQueued") is False, \
            "user create with sendEmail:false: %r" % res
        switched_off_at = time.monotonic()
        assert row_ids(d) == seen, "emails switched off were queued: %s" % (
            [e for e in outbox(d) if e["id"] not in seen])

        # The control: the same reset, emails on, does arrive.
        res = d.ok("POST", RESET % control, {})
        assert res["emailQueued"] is True, res
        wait_mail(smtp, new_row(d, seen, "conference-id-reset", control))

        time.sleep(max(0.0, switched_off_at + 3.0 - time.monotonic()))
        no_mail_for(smtp, off)


def test_smtp_down_during_reset_delivers_when_back():
    with SmtpServer(running=False) as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace")
        seen = row_ids(d)

        t0 = time.monotonic()
        st, _, res = d.api("POST", RESET % ADA, {})
        took = time.monotonic() - t0
        assert st == 200, "reset with the SMTP server down: %d %r" % (st,
                                                                      res)
        assert took < 5.0, "reset with the SMTP server down took %.1f s" \
            % took
        assert res["emailQueued"] is True, res
        row = new_row(d, seen, "conference-id-reset", ADA)
        assert row["state"] == "pending", row

        # Let the worker fail at least once (bounded), then bring it back.
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline and \
                find_row(d, row["id"])["attempts"] < 1:
            time.sleep(0.1)
        down = find_row(d, row["id"])
        assert down["state"] == "pending", \
            "with the server down the row is %r" % down
        assert row["id"] in {e["id"] for e in outbox(d, "pending")}, \
            "the row is not listed with ?state=pending"

        smtp.start()
        msg = wait_mail(smtp, row)
        assert_shows(msg, res["conferenceId"], "the new conference ID")
        sent = wait_state(d, row["id"], "sent")
        assert sent["sentAt"], sent
        assert len(smtp.messages(ADA)) == 1, describe_mails(
            smtp.messages(ADA))


def test_550_marks_failed_and_retry_sends():
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace")
        seen = row_ids(d)

        # Refused at RCPT TO, next to an email that is accepted.
        d.ok("POST", INFO % ADA, {"to": "reject-me@example.net"},
             expect=(202,))
        bad = new_row(d, seen, "conference-info", "reject-me@example.net")
        d.ok("POST", INFO % ADA, expect=(202,))
        good = new_row(d, seen, "conference-info", ADA)
        wait_mail(smtp, good)
        bad = wait_state(d, bad["id"], "failed")
        assert "550" in (bad["lastError"] or "") and \
            "Recipient address rejected" in bad["lastError"], \
            "lastError %r, expected the server's 550 reply" % bad["lastError"]
        assert bad["id"] in {e["id"] for e in outbox(d, "failed")}
        no_mail_for(smtp, ["reject-me@example.net"])

        # Refused after DATA; sent again by retry once the server accepts.
        assert_problem(d.api("POST", API + "/outbox/%s/retry" % good["id"]),
                       409, "retry of a sent email")
        smtp.fail_on()
        d.ok("POST", INFO % ADA, {"to": "boss@example.net"}, expect=(202,))
        row = new_row(d, seen, "conference-info", "boss@example.net")
        failed = wait_state(d, row["id"], "failed")
        assert "550" in (failed["lastError"] or "") and \
            "Message rejected by policy" in failed["lastError"], \
            "lastError %r, expected the server's 550 reply" % \
            failed["lastError"]
        smtp.fail_off()
        res = d.ok("POST", API + "/outbox/%s/retry" % row["id"])
        assert res["id"] == row["id"] and res["state"] == "pending", res
        # attempts starts over; the audit record keeps what came before.
        assert res["attempts"] == 0, res
        rec = [e for e in d.audit(50) if e["action"] == "mail.retry" and
               str(e["detail"].get("id")) == str(row["id"])]
        assert len(rec) == 1, rec
        assert rec[0]["detail"].get("attempts") == failed["attempts"] >= 1 \
            and rec[0]["detail"].get("lastError") == failed["lastError"], \
            "mail.retry keeps attempts %r and lastError %r: %r" % (
                failed["attempts"], failed["lastError"], rec[0]["detail"])
        msg = wait_mail(smtp, row)
        assert_addressed(msg, "boss@example.net")
        wait_state(d, row["id"], "sent")

        # The same through the CLI.
        smtp.fail_on()
        d.ok("POST", INFO % ADA, {"to": "assistant@example.net"},
             expect=(202,))
        row2 = new_row(d, seen, "conference-info", "assistant@example.net")
        wait_state(d, row2["id"], "failed")
        smtp.fail_off()
        rc, out, err = d.cli("outbox", "retry", row2["id"])
        assert rc == 0, "dialconf outbox retry %s: rc %d %s" % (row2["id"],
                                                                rc, err)
        wait_mail(smtp, row2)
        wait_state(d, row2["id"], "sent")
        for to in ("boss@example.net", "assistant@example.net"):
            assert len(smtp.messages(to)) == 1, describe_mails(
                smtp.messages(to))


def test_kill_9_after_reset_delivers_after_restart():
    with SmtpServer(running=False) as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace")
        add_user(d, "bob@example.org", "Bob Babbage")
        seen = row_ids(d)

        # Killed with the server down: the worker cannot have delivered.
        new = d.ok("POST", RESET % ADA, {})["conferenceId"]
        row = new_row(d, seen, "conference-id-reset", ADA)
        d.stop(signal.SIGKILL)
        smtp.start()
        d.start()
        # On SQLite a restarted node releases every lease at once; on a
        # shared PostgreSQL it cannot know the others are dead, so a row
        # the killed worker had claimed waits out its lease (60 s).
        msg = wait_mail(smtp, row, timeout=75.0)
        assert_shows(msg, new, "the new conference ID")

        # Killed with the server up, at once: delivered before or after
        # the kill, at least once; a second copy has the same Message-ID.
        new = d.ok("POST", RESET % "bob@example.org", {})["conferenceId"]
        row2 = new_row(d, seen, "conference-id-reset", "bob@example.org")
        d.stop(signal.SIGKILL)
        d.start()
        # Killed between claiming the row and marking it sent, the row
        # waits out the worker's lease (60 s) first: rare, allowed.
        wait_mail(smtp, row2, timeout=75.0)
        wait_state(d, row2["id"], "sent", timeout=75.0)
        wait_state(d, row["id"], "sent")
        time.sleep(1.0)  # time for a second copy to show
        for r in (row, row2):
            got = smtp.messages(r["to"])
            ids = {mid(m["Message-ID"]) for m in got}
            assert ids == {mid(r["messageId"])} and len(got) <= 2, \
                "after kill -9 %s got %s" % (r["to"], describe_mails(got))


def test_outbox_list_shows_sent_email():
    with SmtpServer() as smtp, mail_daemon(smtp) as d:
        set_up_org(d)
        add_user(d, ADA, "Ada Lovelace")
        seen = row_ids(d)
        pin = d.ok("POST", PIN % ADA, {})["pin"]
        pin_row = new_row(d, seen, "pin-reset", ADA)
        d.ok("POST", INFO % ADA, expect=(202,))
        row = new_row(d, seen, "conference-info", ADA)
        wait_mail(smtp, row)
        wait_mail(smtp, pin_row)
        sent = wait_state(d, row["id"], "sent")
        wait_state(d, pin_row["id"], "sent")

        rc, out, err = d.cli("outbox", "list", "--state", "sent")
        assert rc == 0, "dialconf outbox list --state sent: rc %d %s" % (rc,
                                                                         err)
        line = [ln for ln in out.splitlines()
                if re.search(r"(?<!\d)%s(?!\d)" % row["id"], ln)]
        assert line and ADA in line[0], \
            "outbox list --state sent does not show email %s to %s:\n%s" % (
                row["id"], ADA, out)
        rc, out, err = d.cli("outbox", "list", "--state", "sent", "--json")
        assert rc == 0, err
        listed = json.loads(out)
        listed = listed["emails"] if isinstance(listed, dict) else listed
        mine = [e for e in listed if e["id"] == row["id"]]
        assert mine and mine[0]["state"] == "sent" and \
            mine[0]["to"] == ADA, "outbox list --json: %s" % out
        assert all(e["state"] == "sent" for e in listed), out

        rc, out, err = d.cli("outbox", "list", "--state", "pending",
                             "--json")
        assert rc == 0, err
        assert row["id"] not in [e["id"] for e in (
            json.loads(out)["emails"] if out.strip().startswith("{")
            else json.loads(out))], "a sent email listed as pending: %s" % out

        # The API's view: the row, never the body (it may hold a PIN).
        assert sent["kind"] == "conference-info" and sent["subject"], sent
        raw = json.dumps(d.ok("GET", API + "/outbox?limit=100"))
        assert not re.search(r"(?<!\d)%s(?!\d)" % pin, raw), \
            "the outbox API shows the PIN: %s" % raw
        assert_problem(d.api("GET", API + "/outbox?state=lost"), 400,
                       "outbox ?state=lost")
