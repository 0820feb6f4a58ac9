"""The docs runner (issue 20): the README's and docs' ```sh blocks, run as
written against a real daemon, so the docs and the software cannot drift.

Every ```sh block of README.md and docs/*.md is either run (RUN) or skipped
with its reason (SKIP); a new block that is in neither fails the test, so
whoever adds one decides. A block runs command by command, in doc order, on
one daemon (`serve --demo`, what `make run` starts), each command in its own
`bash -c` from the repository root, after these substitutions (SUBST):

    http://127.0.0.1:8080      the daemon's URL (DIALCONF_URL is set to it
                               too: the CLI's default is that address)
    build/dialconf, dialconf   the binary under test (at a command's start)
    --data ./var, --data var, --data /var/lib/dialconf
                               --data with the daemon's data dir (and
                               its --db on the PostgreSQL run)
    /var/lib/dialconf/, /backup/
                               the daemon's data dir, a temporary folder
    curl -s                    curl -sS --fail-with-body (an HTTP error then
                               fails the command, exit 22)
    OLD, NEW, ID               values captured from earlier output (CAPTURE)

A shell assignment (`export X=$(...)`, `H=...`) is run once and its value
kept for the commands after it. Lines that start a server or need a
browser are skipped (SKIP_LINE). Each command must exit 0 (or EXPECT_RC),
and some outputs a reader relies on are checked (CHECK), as is the text
a `# prints "..."` comment right after a command quotes. A disagreement
fails with the doc file, the line and the command.

Emails go to a local SMTP server (`serve --mail smtp://...`, README
"Emails") so that the walk-through's `outbox retry ID` has a failed email
to retry (HOOK makes one, then captures its id).
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import Daemon, SmtpServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOC_FILES = ["README.md"] + sorted(
    os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs",
                                                             "*.md")))

# (file, section, n-th ```sh block of that section) -> why it is not run.
SKIP = {
    ("README.md", "Set up", 1):
        "`make run` starts the server (the runner's daemon stands in for "
        "it); `make check` runs every test, this one included; `make "
        "fuzz` is minutes of fuzzing (make check runs a short one)",
    ("README.md", "Tests", 1):
        "runs the integration suite, this test included",
    ("README.md", "Tests", 2):
        "npm and a browser (make check runs the browser tests itself)",
    ("README.md", "Benchmarks", 1):
        "release build and minutes of load; not a doc check",
    ("docs/operations.md", "One node (SQLite)", 1):
        "starts a server on a public address (the runner's daemon stands "
        "in for it)",
    ("docs/operations.md", "Several nodes on one PostgreSQL", 1):
        "starts a server on PostgreSQL at another host",
    ("docs/operations.md", "SIP in front: Kamailio", 1):
        "installs packages and writes /etc as root (test_kamailio.py runs "
        "the same configuration)",
    ("docs/operations.md", "SIP in front: Kamailio", 2):
        "Kamailio in the foreground on a public address (test_kamailio.py)",
    ("docs/operations.md", "Backups and upgrades", 2):
        "stops the service to restore (test_backup.py restores so)",
    ("docs/operations.md", "Backups and upgrades", 3):
        "pg_dump and pg_restore at another host (test_backup.py runs them)",
}

# Blocks that run, in this order (one daemon for all of them).
RUN = [
    ("README.md", "A first walk-through", 1),
    ("README.md", "A first walk-through", 2),
    ("README.md", "Emails", 1),
    ("README.md", "Meetings", 1),
    ("docs/operations.md", "One node (SQLite)", 2),
    ("docs/operations.md", "Backups and upgrades", 1),
    ("docs/operations.md", "Jitsi Meet dial-in", 1),
]

# Blocks that only make sense on SQLite (skipped on the PostgreSQL run).
SQLITE_ONLY = [("docs/operations.md", "Backups and upgrades", 1)]

# A command starting like this is skipped inside a block that runs.
SKIP_LINE = [
    (re.compile(r"^make run\b"), "starts the server"),
    (re.compile(r"^(build/)?dialconf serve\b"), "starts a server"),
    (re.compile(r"^(baresip|chromium|xdg-open)\b"), "needs a phone or a "
     "browser"),
]

CONFID = r"[1-9][0-9]{6}"

# (file, section, command regex) -> [(placeholder, stdout regex)]: group 1
# is the value. Applied after the command ran.
CAPTURE = [
    ("README.md", "A first walk-through",
     r"^build/dialconf user show ada@example\.org$",
     [("OLD", r"\b(%s)\b" % CONFID)]),
    # The comment in the README quotes this sentence; OLD must be the ID
    # `user show` gave.
    ("README.md", "A first walk-through",
     r"^build/dialconf user reset-conference-id ada@example\.org$",
     [("NEW", r"Conference ID for ada@example\.org reset: {OLD} -> (%s)"
       % CONFID)]),
    ("README.md", "Meetings", r"meeting schedule ",
     [("MEETING_ID", r"Conference ID:\s+(%s)" % CONFID)]),
]

# (file, section, command regex) -> [stdout regexes that must match;
# "stderr:" first: stderr's].
CHECK = [
    # "(give the same --data, or --db, as serve; stderr names the database)"
    ("README.md", "A first walk-through", r"admin token --data",
     [r'stderr:token "\w+" stored in \S+']),
    # "prints ... and whether an email was queued"
    ("README.md", "A first walk-through",
     r"^build/dialconf user reset-conference-id ada@example\.org$",
     [r"(?i)email.*queued"]),
    ("README.md", "A first walk-through", r"user list$",
     [r"ada@example\.org", r"grace@example\.org", r"alan@example\.org",
      r"margaret@example\.org"]),
    ("README.md", "A first walk-through", r"conference-id show OLD$",
     [r"(?i)revoked", r"(?i)personal", r"ada@example\.org"]),
    ("README.md", "A first walk-through", r"conference-id show NEW$",
     [r"(?i)\blive\b", r"ada@example\.org"]),
    ("README.md", "A first walk-through", r"build/dialconf audit$",
     [r"confid\.reset", r"ada@example\.org"]),
    ("README.md", "A first walk-through", r"/users/ada@example\.org$",
     [r'"email":\s*"ada@example\.org"']),
    ("README.md", "A first walk-through", r"reset-conference-id$",
     [r'"previousConferenceId":\s*"{NEW}"']),
    ("README.md", "A first walk-through", r"/conference-ids/OLD$",
     [r'"state":\s*"revoked"', r'"conferenceId":\s*"{OLD}"']),
    ("README.md", "A first walk-through", r"audit\?limit=5\"$",
     [r'"action":\s*"confid\.reset"']),
    ("README.md", "Emails", r"send-conference-info ada@example\.org$",
     [r"ada@example\.org"]),
    ("README.md", "Emails", r"outbox list --state sent$",
     [r"conference-info", r"ada@example\.org"]),
    ("README.md", "Emails", r"outbox retry ID$",
     [r"queued again", r"boss@example\.net", r"(?i)State:\s+pending"]),
    ("README.md", "Meetings", r"meeting schedule ",
     [r"Design review", r"(?i)scheduled"]),
    ("README.md", "Meetings", r"meeting list$", [r"Design review"]),
    # "new IDs, invitations re-sent"
    ("README.md", "Meetings", r"reset-conference-id ada@example\.org$",
     [r"1 meeting\(s\) got a new conference ID", r"(?i)invitations"]),
    ("docs/operations.md", "One node (SQLite)", r"admin token --data",
     [r'stderr:token "\w+" stored in \S+']),
    ("docs/operations.md", "One node (SQLite)", r"admin passwd",
     [r"password of admin changed"]),
]

# (file, section, command regex) -> exit status the doc says, when not 0.
EXPECT_RC = []

# (file, section, command regex) -> what the command reads on stdin.
STDIN = [
    ("docs/operations.md", "One node (SQLite)", r"admin passwd",
     "docs-runner-password\n"),
]


def blocks(path):
    """[(section, n, [(line number, text)])] for each ```sh block."""
    out, section, cur, count = [], "", None, {}
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if cur is None:
                if line.startswith("## "):
                    section = line[3:].strip()
                elif line.strip() == "```sh":
                    count[section] = count.get(section, 0) + 1
                    cur = (section, count[section], [])
            elif line.strip() == "```":
                out.append(cur)
                cur = None
            else:
                cur[2].append((no, line))
    return out


def commands(lines):
    """[(line number, command, comment)]: continuation lines joined, blank
    lines left out; comment is the command's trailing `  # ...` and the
    comment lines right after it, joined (where the doc says what the
    command prints)."""
    out, acc, first, note = [], "", None, ""
    for no, text in lines:
        if first is None:
            if not text.strip():
                continue
            if text.lstrip().startswith("#"):
                if out:
                    out[-1][2].append(text.lstrip()[1:].strip())
                continue
            first = no
        m = re.search(r"\s{2,}#(.*)$", text)
        if m:
            note += m.group(1).strip() + " "
            text = text[:m.start()]
        if text.endswith("\\"):
            acc += text[:-1].strip() + " "
            continue
        acc += text.strip()
        out.append((first, acc.strip(), [note.strip()] if note else []))
        acc, first, note = "", None, ""
    return [(no, cmd, " ".join(c)) for no, cmd, c in out]


def rule(table, path, section, cmd):
    for row in table:
        if row[0] == path and row[1] == section and re.search(row[2], cmd):
            yield row[3]


class Runner:
    def __init__(self, d, smtp, backup_dir):
        self.d, self.smtp = d, smtp
        self.backup_dir = backup_dir
        self.env = dict(os.environ)
        self.env.pop("DIALCONF_TOKEN", None)
        self.env["DIALCONF_URL"] = d.url
        self.vals = {}
        self.ran = []

    def fill(self, rx):
        """rx with {OLD}, {NEW}, {ID} replaced by the captured values."""
        for k, v in self.vals.items():
            rx = rx.replace("{%s}" % k, re.escape(v))
        return rx

    def substitute(self, where, cmd):
        c = cmd.replace("http://127.0.0.1:8080", self.d.url)
        c = re.sub(r"(^|[;&|(]\s*|\$\()(build/)?dialconf\b",
                   lambda m: m.group(1) + self.d.bin, c)
        data = "--data " + self.d.data_dir
        if self.d.db:  # the run on PostgreSQL: the same --db as serve
            data += " --db " + self.d.db
        c = re.sub(r"--data\s+(\./var|var|/var/lib/dialconf)\b", data, c)
        c = c.replace("/var/lib/dialconf/", self.d.data_dir + "/")
        c = re.sub(r"(?<![\w/])/backup/", self.backup_dir + "/", c)
        c = re.sub(r"\bcurl -s\b", "curl -sS --fail-with-body", c)
        for name in ("OLD", "NEW", "ID"):
            if re.search(r"(?<![$\w])%s\b" % name, c):
                if name not in self.vals:
                    raise AssertionError(
                        "%s: `%s` uses %s, which no earlier command gave "
                        "(CAPTURE in tests/integration/test_docs.py)"
                        % (where, cmd, name))
                c = re.sub(r"(?<![$\w])%s\b" % name, self.vals[name], c)
        return c

    def run(self, path, section, no, cmd, note=""):
        where = "%s:%d (%s)" % (path, no, section)
        for rx, why in SKIP_LINE:
            if rx.search(cmd):
                self.ran.append("skip %s: %s (%s)" % (where, cmd, why))
                return
        for hook in rule(HOOKS, path, section, cmd):
            hook(self)
        sh = self.substitute(where, cmd)
        assign = re.match(r"^(export\s+)?([A-Za-z_]\w*)=", cmd)
        script = sh
        if assign:
            script = sh + '\nprintf "%s" "$' + assign.group(2) + '"'
        stdin = next(rule(STDIN, path, section, cmd), "")
        p = subprocess.run(["bash", "-c", script], env=self.env, cwd=ROOT,
                           input=stdin, capture_output=True, text=True,
                           timeout=60)
        self.ran.append("run  %s: %s" % (where, cmd))

        def fail(what):
            raise AssertionError(
                "%s: the doc and the software disagree on\n    %s\n"
                "  %s\n  ran: %s\n  exit %d\n  stdout: %s\n  stderr: %s"
                % (where, cmd, what, sh, p.returncode, p.stdout[-1500:],
                   p.stderr[-1500:]))

        want = next(rule(EXPECT_RC, path, section, cmd), 0)
        if p.returncode != want:
            fail("exit status %d, the doc expects %d" % (p.returncode, want))
        for caps in rule(CAPTURE, path, section, cmd):
            for name, rx in caps:
                m = re.search(self.fill(rx), p.stdout)
                if not m:
                    fail("no %s in the output (CAPTURE /%s/)"
                         % (name, self.fill(rx)))
                self.vals[name] = m.group(1)
        # `# prints "..."` after a command: that text, with the placeholders
        # the runner knows, is in the output.
        for quoted in re.findall(r'prints "([^"]+)"', note):
            rx = re.escape(quoted)
            for name in sorted(self.vals, key=len, reverse=True):
                rx = re.sub(r"(?<![$\w])%s\b" % name, "{%s}" % name, rx)
            if not re.search(self.fill(rx), p.stdout):
                fail('the doc says it prints "%s": no /%s/ in the output'
                     % (quoted, self.fill(rx)))
        for checks in rule(CHECK, path, section, cmd):
            for rx in checks:
                stream, name = p.stdout, "output"
                if rx.startswith("stderr:"):
                    rx, stream, name = rx[7:], p.stderr, "stderr"
                if not re.search(self.fill(rx), stream):
                    fail("the %s does not show /%s/" % (name, self.fill(rx)))
        if assign:
            if not p.stdout:
                fail("$%s is empty" % assign.group(2))
            self.env[assign.group(2)] = p.stdout


# -- hooks: what a reader would have at hand, made for the runner ------------

def _outbox(r, state):
    return r.d.ok("GET", "/api/v1/outbox?state=%s&limit=500" % state,
                  token=r.env["DIALCONF_TOKEN"])["emails"]


def wait_conference_info_sent(r):
    """`outbox list --state sent` right after `send-conference-info`: a
    reader looks a moment later; wait until the email is out."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(e["kind"] == "conference-info" for e in _outbox(r, "sent")):
            return
        time.sleep(0.1)
    raise AssertionError("the conference-info email was not sent within "
                         "20 s:\n%s" % r.d.log_tail())


def make_failed_email(r):
    """`outbox retry ID` needs a failed email: the SMTP server answers 550
    to one conference-info email, and ID is its id."""
    r.smtp.fail_on()
    try:
        r.d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
               "send-conference-info", {"to": "boss@example.net"},
               expect=(202,), token=r.env["DIALCONF_TOKEN"])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            failed = [e for e in _outbox(r, "failed")
                      if e["to"] == "boss@example.net"]
            if failed:
                r.vals["ID"] = failed[0]["id"]
                return
            time.sleep(0.1)
        raise AssertionError("no failed email within 20 s:\n%s"
                             % r.d.log_tail())
    finally:
        r.smtp.fail_off()


HOOKS = [
    ("README.md", "Emails", r"outbox list --state sent$",
     wait_conference_info_sent),
    ("README.md", "Emails", r"outbox retry ID$", make_failed_email),
]


def test_docs_every_sh_block_is_run_or_skipped():
    seen = set()
    for path in DOC_FILES:
        for section, n, _ in blocks(path):
            key = (path, section, n)
            seen.add(key)
            assert key in SKIP or key in RUN, \
                "%s: ```sh block %d of section %r is neither run nor " \
                "skipped: add it to RUN or SKIP in " \
                "tests/integration/test_docs.py" % (path, n, section)
    gone = [k for k in list(SKIP) + RUN if k not in seen]
    assert not gone, "RUN/SKIP name blocks the docs no longer have: %r" % gone


def test_docs_commands_run_as_written():
    backup_dir = tempfile.mkdtemp(prefix="dialconf-docs-backup-")
    try:
        run_docs(backup_dir)
    finally:
        shutil.rmtree(backup_dir, ignore_errors=True)


def run_docs(backup_dir):
    with SmtpServer() as smtp, \
            Daemon(["--demo", "--mail", smtp.url], token=False) as d:
        r = Runner(d, smtp, backup_dir)
        by_key = {}
        for path in DOC_FILES:
            for section, n, lines in blocks(path):
                by_key[(path, section, n)] = lines
        for key in RUN:
            assert key in by_key, "no block %r" % (key,)
            path, section, _ = key
            if d.db and key in SQLITE_ONLY:
                r.ran.append("skip %s %s: SQLite only" % (path, section))
                continue
            for no, cmd, note in commands(by_key[key]):
                r.run(path, section, no, cmd, note)
        assert {"OLD", "NEW", "ID"} <= set(r.vals), r.vals
        # The README's promise after the walk-through's reset: OLD is gone.
        look = d.ok("GET", "/api/v1/conference-ids/" + r.vals["OLD"],
                    token=r.env["DIALCONF_TOKEN"])
        assert look["state"] == "revoked", look
        # ... and so is the meeting's first ID ("new IDs, invitations
        # re-sent").
        look = d.ok("GET", "/api/v1/conference-ids/" + r.vals["MEETING_ID"],
                    token=r.env["DIALCONF_TOKEN"])
        assert look["state"] == "revoked", look
        if not d.db:
            # operations.md's SQLite backup is a database with the users.
            backups = glob.glob(os.path.join(backup_dir, "dialconf-*.db"))
            assert len(backups) == 1, "operations.md's backup made %r" \
                % backups
            p = subprocess.run(
                ["sqlite3", backups[0], "PRAGMA integrity_check;",
                 "SELECT email FROM users ORDER BY email;"],
                capture_output=True, text=True, timeout=30)
            assert p.returncode == 0 and p.stdout.startswith("ok\n") and \
                "ada@example.org" in p.stdout, \
                "docs/operations.md (Backups and upgrades): the backup is " \
                "not a database with the users: %r %r" % (p.stdout, p.stderr)
        ran = [x for x in r.ran if x.startswith("run")]
        assert len(ran) >= 20, "only %d commands ran:\n%s" % (
            len(ran), "\n".join(r.ran))
