"""GET /api/v1/openapi.json (docs/api.md "OpenAPI description"): public,
a valid OpenAPI 3.1 document by a real validator (npm
@seriousme/openapi-schema-validator, tests/openapi/validate.mjs), and true:
every route of the live server is called as docs/api.md's examples call it,
and each answer's status must be one its operation describes, its
Content-Type the described one, and its body valid against the described
schema (Ajv, JSON Schema 2020-12, in the same validate.mjs run)."""

import json
import os
import subprocess
import tempfile
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

from harness import Daemon, SmtpServer, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.normpath(os.path.join(HERE, "..", "openapi"))
API = "/api/v1"
ADA = "ada@example.org"
GRACE = "grace@example.org"
SCHEMA_REF = "#/components/schemas/"
# Operations this test reaches only with an error answer, and why.
ONLY_ERRORS = {
    "admitCall": "needs a SIP caller waiting in a lobby; "
                 "test_control.py admits one",
}
# Live control needs SIP callers: test_control.py succeeds at each.
for _op in ("muteCall", "unmuteCall", "removeCall", "muteConference",
            "admitConferenceLobby", "lockConference", "unlockConference",
            "endConference"):
    ONLY_ERRORS[_op] = "needs SIP callers; test_control.py has them"


def operation_of(spec, method, path):
    """(template, operation) of the spec that path (no query) matches."""
    segs = path.split("/")
    for template, item in spec["paths"].items():
        tsegs = template.split("/")
        if len(tsegs) != len(segs):
            continue
        if all(t == s or (t.startswith("{") and t.endswith("}") and s)
               for t, s in zip(tsegs, segs)):
            op = item.get(method.lower())
            if op is not None:
                return template, op
    return None, None


class Exerciser:
    """Calls the live server and checks each answer against the spec;
    the bodies go to validate.mjs with the schema they must match."""

    def __init__(self, d, spec):
        self.d = d
        self.spec = spec
        self.answers = []
        self.reached = {}  # operationId -> statuses answered

    def call(self, method, path, body=None, expect=None, **kw):
        d = self.d
        status, headers, parsed = d.api(method, path, body, **kw)
        raw = d.last_raw
        self.headers = headers
        bare = urllib.parse.urlsplit(path).path
        template, op = operation_of(self.spec, method, bare)
        assert op is not None, \
            "%s %s answered %d but the description has no such " \
            "operation" % (method, bare, status)
        where = "%s %s -> %d" % (method, path, status)
        if expect is not None:
            assert status == expect, "%s, expected %d: %r" % (
                where, expect, raw[:300])
        responses = op["responses"]
        resp = responses.get(str(status))
        if resp is None and status >= 400:
            resp = responses.get("default")
        assert resp is not None, \
            "%s: %s (%s) does not describe status %d (it has %s)" % (
                where, op["operationId"], template, status,
                ", ".join(sorted(responses)))
        self.reached.setdefault(op["operationId"], set()).add(status)
        self.check_query(op, path, where, status)
        content = resp.get("content")
        if not content:
            assert not raw, "%s: a body the description does not have: " \
                "%r" % (where, raw[:200])
            return parsed
        ctype = headers.get("Content-Type", "").split(";")[0].strip()
        assert ctype in content, "%s: Content-Type %r, described: %s" % (
            where, ctype, ", ".join(content))
        schema = content[ctype]["schema"]
        ref = schema.get("$ref", "")
        if ref.startswith(SCHEMA_REF):
            assert parsed is not None, "%s: not JSON: %r" % (where,
                                                             raw[:200])
            self.answers.append({"where": where,
                                 "schema": ref[len(SCHEMA_REF):],
                                 "body": parsed})
        else:
            assert schema.get("type") == "string" and raw, where
        return parsed


    def check_query(self, op, path, where, status):
        """Every query argument sent is described; one the server took
        (a 2xx) is of the described type."""
        described = {p["name"]: p["schema"] for p in op.get("parameters", [])
                     if p["in"] == "query"}
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query)
        for name, value in query:
            assert name in described, "%s: query argument %r is not " \
                "described (it has %s)" % (where, name, sorted(described))
            schema = described[name]
            if status >= 300:
                continue
            if "enum" in schema:
                assert value in schema["enum"], (where, name, schema)
            if schema.get("type") == "integer":
                assert value.isdigit(), (where, name, schema)


def in_hours(h):
    t = datetime.now(timezone.utc) + timedelta(hours=h)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def exercise_users_and_numbers(x):
    x.call("POST", API + "/dial-in-numbers", {
        "number": "+14255550100", "type": "toll", "countryCode": "US",
        "city": "Redmond", "languages": ["en-US"]}, expect=201)
    x.call("POST", API + "/dial-in-numbers", {
        "number": "+14255550100", "type": "toll", "countryCode": "US"},
        expect=409)
    x.call("POST", API + "/dial-in-numbers", {
        "number": "+18005550199", "type": "tollFree", "countryCode": "US"},
        expect=201)
    x.call("POST", API + "/dial-in-numbers", {
        "number": "+14255550101", "type": "toll", "countryCode": "US"},
        expect=201)
    x.call("GET", API + "/dial-in-numbers", expect=200)
    x.call("PATCH", API + "/dial-in-numbers/+14255550101",
           {"isDefault": True}, expect=200)
    x.call("DELETE", API + "/dial-in-numbers/%2B14255550101", expect=200)
    x.call("DELETE", API + "/dial-in-numbers/+14255550109", expect=404)

    x.call("POST", API + "/users", {"email": ADA,
                                    "displayName": "Ada Lovelace"},
           expect=201)
    x.call("POST", API + "/users", {"email": ADA, "bogus": 1}, expect=400)
    x.call("POST", API + "/users/import", {"users": [
        {"email": GRACE, "displayName": "Grace Hopper",
         "audioConferencing": {"enabled": False}}]}, expect=201)
    x.call("POST", API + "/users/import", {"users": [
        {"email": "not-an-address", "displayName": "X"}]}, expect=400)
    page = x.call("GET", API + "/users?limit=1", expect=200)
    assert page["nextCursor"] is not None, page
    x.call("GET", API + "/users?search=ada&cursor=" + page["nextCursor"],
           expect=200)
    x.call("GET", API + "/users?limit=0", expect=400)
    x.call("GET", API + "/users/" + ADA, expect=200)
    x.call("GET", API + "/users/nobody@example.org", expect=404)
    x.call("PATCH", API + "/users/" + ADA, {
        "displayName": "Ada King", "audioConferencing": {
            "tollNumber": "+14255550100", "tollFreeNumber": None}},
        expect=200)
    x.call("PATCH", API + "/users/" + ADA, {
        "audioConferencing": {"tollNumber": "+19995550100"}}, expect=400)


def exercise_ids_and_settings(x):
    old = x.call("GET", API + "/users/" + ADA)["audioConferencing"]
    reset = x.call("POST", API + "/users/%s/audio-conferencing/"
                   "reset-conference-id" % ADA, {"sendEmail": False},
                   expect=200)
    x.call("POST", API + "/users/%s/audio-conferencing/reset-conference-id"
           % ADA, expect=200)
    x.call("POST", API + "/users/%s/audio-conferencing/reset-pin" % ADA,
           expect=200)
    x.call("POST", API + "/users/%s/audio-conferencing/send-conference-info"
           % ADA, {}, expect=202)
    x.call("GET", API + "/conference-ids/" + old["conferenceId"],
           expect=200)
    x.call("GET", API + "/conference-ids/" + reset["conferenceId"],
           expect=200)
    x.call("GET", API + "/conference-ids/123", expect=400)
    x.call("GET", API + "/settings", expect=200)
    x.call("PATCH", API + "/settings", {"pinLength": 6,
                                        "organizationName": "Contoso"},
           expect=200)
    x.call("PATCH", API + "/settings", {"noSuchSetting": 1}, expect=400)
    x.call("GET", API + "/meta", expect=200)
    x.call("GET", API + "/audit?limit=5", expect=200)
    x.call("GET", API + "/calls", expect=200)
    x.call("GET", API + "/call-records?limit=5", expect=200)
    x.call("GET", API + "/call-records?from=soon", expect=400)
    x.call("POST", API + "/calls/1/admit", expect=404)
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    report = API + "/reports/usage?from=%s&to=%s" % (today, today)
    for by in ("day", "number", "user", "conference"):
        x.call("GET", report + "&groupBy=" + by, expect=200)
    x.call("GET", report + "&format=csv", expect=200)
    x.call("GET", report, headers={"Accept": "text/csv"}, expect=200)
    x.call("GET", report + "&groupBy=week", expect=400)
    x.call("GET", API + "/reports/usage?from=%s" % today, expect=400)
    for action in ("mute", "unmute", "remove"):
        x.call("POST", API + "/calls/1/" + action, {}, expect=404)
    for action in ("mute-all", "admit-all", "lock", "unlock", "end"):
        x.call("POST", API + "/conferences/1234567/" + action, {},
               expect=404)
    x.call("POST", API + "/calls/1/mute", {"x": 1}, expect=400)


def exercise_meetings(x):
    m = x.call("POST", API + "/meetings", {
        "organizer": ADA, "subject": "Budget review",
        "start": in_hours(1), "end": in_hours(2), "attendees": [GRACE]},
        expect=201)
    x.call("POST", API + "/meetings", {
        "organizer": ADA, "subject": "Late", "start": in_hours(-3),
        "end": in_hours(-2)}, expect=400)
    x.call("GET", API + "/meetings", expect=200)
    x.call("GET", API + "/meetings?organizer=%s&limit=10" % ADA,
           expect=200)
    x.call("GET", API + "/meetings/" + m["id"], expect=200)
    x.call("GET", API + "/meetings/%s/invitation.ics" % m["id"],
           expect=200)
    x.call("DELETE", API + "/meetings/" + m["id"], expect=200)
    x.call("DELETE", API + "/meetings/" + m["id"], expect=409)
    x.call("GET", API + "/meetings/999999", expect=404)


def exercise_outbox(x):
    """A refused recipient makes a failed email, which retry accepts."""
    x.call("POST", API + "/users/%s/audio-conferencing/send-conference-info"
           % ADA, {"to": "reject-me@example.net"}, expect=202)
    deadline = time.monotonic() + 30
    failed = []
    while not failed and time.monotonic() < deadline:
        emails = x.call("GET", API + "/outbox?state=failed&limit=10",
                        expect=200)["emails"]
        failed = [e for e in emails if e["to"] == "reject-me@example.net"]
        if not failed:
            time.sleep(0.2)
    assert failed, "the refused email did not become failed within 30 s"
    x.call("POST", API + "/outbox/%s/retry" % failed[0]["id"], expect=200)
    # A sent email is not retried (the failed one may fail again at once).
    sent = x.call("GET", API + "/outbox?state=sent&limit=1")["emails"]
    assert sent, "no email was sent"
    x.call("POST", API + "/outbox/%s/retry" % sent[0]["id"], expect=409)
    x.call("GET", API + "/outbox", expect=200)
    x.call("GET", API + "/outbox?state=nope", expect=400)


def exercise_webhooks(x):
    """A reset while the receiver is refused: one pending event to list."""
    x.call("PATCH", API + "/settings", {
        "webhookUrl": "http://127.0.0.1:%d/hook" % free_port(),
        "webhookSecret": "0123456789abcdef"}, expect=200)
    x.call("POST", API + "/users/%s/audio-conferencing/reset-conference-id"
           % ADA, {"sendEmail": False}, expect=200)
    deadline = time.monotonic() + 10
    while True:
        rows = x.call("GET", API + "/webhooks/deliveries?state=pending"
                      "&limit=5", expect=200)["deliveries"]
        if rows and rows[0]["attempts"] >= 1:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.1)
    x.call("GET", API + "/webhooks/deliveries", expect=200)
    x.call("GET", API + "/webhooks/deliveries?state=nope", expect=400)
    x.call("GET", API + "/webhooks/deliveries?limit=0", expect=400)
    x.call("PATCH", API + "/settings", {"webhookUrl": ""}, expect=200)


def exercise_tokens(x):
    made = x.call("POST", API + "/tokens",
                  {"name": "openapi", "expiresAt": in_hours(1)}, expect=201)
    x.call("POST", API + "/tokens", {"name": "forever"}, expect=201)
    x.call("POST", API + "/tokens", {"name": ""}, expect=400)
    x.call("GET", API + "/tokens", expect=200)
    x.call("DELETE", API + "/tokens/" + made["id"], expect=204)
    x.call("DELETE", API + "/tokens/" + made["id"], expect=404)


def exercise_session(x, d):
    with open(os.path.join(d.data_dir, "initial-admin-password")) as f:
        password = f.read().strip()
    body = x.call("POST", API + "/session", {"username": "admin",
                                             "password": password},
                  token=None, expect=200)
    cookie = [v.split(";")[0]
              for v in x.headers.get_all("Set-Cookie") or []
              if v.startswith("dialconf_session=")][0]
    x.call("GET", API + "/session", token=None,
           headers={"Cookie": cookie}, expect=200)
    x.call("GET", API + "/session", expect=200)
    x.call("DELETE", API + "/session", token=None,
           headers={"Cookie": cookie, "X-CSRF-Token": body["csrfToken"]},
           expect=204)
    x.call("GET", API + "/users", token=None, expect=401)
    x.call("DELETE", API + "/users/" + GRACE, expect=204)
    x.call("DELETE", API + "/users/" + GRACE, expect=404)


# A value of each JSON type.
VALUES = {"string": "x", "boolean": True, "integer": 1, "array": [{}],
          "object": {}, "null": None}
# Placeholder values that exist after the exercise above.
FILL = {"user": ADA, "e164": "+14255550100", "id": "1"}


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][
            schema["$ref"][len(SCHEMA_REF):]]
    return schema


def types_of(spec, schema):
    schema = resolve(spec, schema)
    if "enum" in schema:
        return {type(v).__name__.replace("str", "string") for v in
                schema["enum"]}
    if "oneOf" in schema:
        return set().union(*(types_of(spec, s) for s in schema["oneOf"]))
    t = schema.get("type", [])
    return set(t if isinstance(t, list) else [t])


def value_of(spec, schema, wrong):
    """A value of a type schema allows (wrong: one it does not)."""
    allowed = types_of(spec, schema)
    for t, v in VALUES.items():
        if (t in allowed) != wrong:
            return v
    raise AssertionError("no value for %r" % schema)


def check_request_fields(x):
    """The request schemas name the fields the handlers take: a name not in
    a schema is refused as unknown, and each name it has is known to the
    server (a value of the wrong type is refused, but not as unknown).
    Nothing changes: every request here answers 400."""
    d, spec = x.d, x.spec
    problems = []
    for template, item in spec["paths"].items():
        path = template
        for name, value in FILL.items():
            path = path.replace("{%s}" % name, value)
        for method, op in item.items():
            body = op.get("requestBody")
            if not body:
                continue
            schema = resolve(spec, body["content"]["application/json"]
                             ["schema"])
            props = schema.get("properties", {})
            # The required fields, of the right types, so that the
            # handler reaches the field tried.
            base = {k: value_of(spec, props[k], False)
                    for k in schema.get("required", [])}
            tries = [(dict(base, zzNotAField=1), True)]
            tries += [(dict(base, **{k: value_of(spec, s, True)}), False)
                      for k, s in props.items()]
            for k, s in props.items():
                inner = resolve(spec, s)
                if inner.get("additionalProperties") is False:
                    tries.append((dict(base, **{k: {"zzNotAField": 1}}),
                                  True))
            for sent, unknown in tries:
                status, _, problem = d.api(method.upper(), path, sent,
                                           token=d.token)
                detail = (problem or {}).get("detail", "")
                if status != 400 or ("unknown" in detail) != unknown:
                    problems.append("%s %s %s -> %d %r (%s)" % (
                        method.upper(), path, json.dumps(sent), status,
                        detail, "the schema says unknown" if unknown else
                        "the schema has this field"))
    assert not problems, "request schemas and handlers disagree:\n" + \
        "\n".join(problems)


def validate(spec, answers):
    if not os.path.isdir(os.path.join(CHECKER, "node_modules",
                                      "@seriousme")):
        raise AssertionError("the validator is not installed: npm ci "
                             "--prefix tests/openapi (tests/run-all does)")
    with tempfile.TemporaryDirectory(prefix="dialconf-openapi-") as tmp:
        sp, ap = os.path.join(tmp, "spec.json"), os.path.join(tmp, "a.json")
        with open(sp, "w") as f:
            json.dump(spec, f)
        with open(ap, "w") as f:
            json.dump(answers, f)
        p = subprocess.run(["node", os.path.join(CHECKER, "validate.mjs"),
                            sp, ap], capture_output=True, text=True,
                           timeout=120)
    assert p.returncode == 0, "validate.mjs:\n" + p.stdout + p.stderr
    assert "# %d answers checked" % len(answers) in p.stdout, p.stdout


def exercise_jitsi(x):
    """Jitsi Meet's endpoints (docs/api.md "Jitsi Meet"), off, then on."""
    room = "standup@conference.meet.example.org"
    x.call("GET", "/jitsi/dial-in-numbers", token=None, expect=404)
    x.call("PATCH", API + "/settings", {
        "jitsiJigasiUri": "sip:jigasi@127.0.0.1:5099",
        "jitsiAllowedOrigins": "https://meet.example.org"}, expect=200)
    m = x.call("GET", "/jitsi/conference-mapper?conference=" + room,
               token=None, expect=200)
    x.call("GET", "/jitsi/conference-mapper?id=%d" % m["id"], token=None,
           expect=200)
    x.call("GET", "/jitsi/conference-mapper?id=1000003", token=None,
           expect=404)
    x.call("GET", "/jitsi/conference-mapper?conference=no-domain",
           token=None, expect=400)
    x.call("GET", "/jitsi/dial-in-numbers?conference=" + room, token=None,
           expect=200)
    x.call("GET", "/jitsi/dial-in-numbers?format=array&conference=" + room,
           token=None, expect=200)
    for path in ("/jitsi/conference-mapper", "/jitsi/dial-in-numbers"):
        x.call("OPTIONS", path, token=None, expect=204, headers={
            "Origin": "https://meet.example.org",
            "Access-Control-Request-Method": "GET"})
        x.call("OPTIONS", path, token=None, expect=403, headers={
            "Origin": "https://evil.example.org",
            "Access-Control-Request-Method": "GET"})
    x.call("GET", API + "/jitsi/rooms", expect=200)
    x.call("GET", API + "/conference-ids/%d" % m["id"], expect=200)


def test_openapi_describes_every_live_answer():
    with SmtpServer() as smtp, Daemon(["--mail", smtp.url]) as d:
        status, h, spec = d.api("GET", API + "/openapi.json", token=None)
        assert status == 200, (status, d.last_raw[:300])
        assert h.get("Content-Type", "").startswith("application/json")
        x = Exerciser(d, spec)
        x.call("GET", API + "/openapi.json", token=None, expect=200)
        x.call("GET", "/healthz", token=None, expect=200)
        x.call("GET", "/metrics", expect=200)
        exercise_users_and_numbers(x)
        exercise_ids_and_settings(x)
        exercise_meetings(x)
        exercise_outbox(x)
        exercise_webhooks(x)
        exercise_tokens(x)
        exercise_session(x, d)
        exercise_jitsi(x)
        check_request_fields(x)

        ops = {op["operationId"]: "%s %s" % (m.upper(), p)
               for p, item in spec["paths"].items()
               for m, op in item.items()}
        missing = sorted("%s (%s)" % (ops[o], o) for o in ops
                         if o not in x.reached)
        assert not missing, "test_openapi.py calls no route of: " + \
            ", ".join(missing)
        no_success = sorted(
            "%s (%s)" % (ops[o], o) for o, s in x.reached.items()
            if o not in ONLY_ERRORS and not any(c < 300 for c in s))
        assert not no_success, "never answered 2xx here: " + \
            ", ".join(no_success)
        validate(spec, x.answers)
