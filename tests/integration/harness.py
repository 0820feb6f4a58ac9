"""harness: boot the real dialconf daemon for an integration test.

A Daemon picks a free port and a temporary data directory, runs
`dialconf serve --data D --http 127.0.0.1:PORT` with its output in a log
file, waits for GET /healthz, and creates an API token with the offline
`dialconf admin token`. Tests then drive it through api() (the REST API,
urllib) and cli() (the dialconf command line, DIALCONF_URL/DIALCONF_TOKEN).

    with Daemon() as d:
        status, headers, body = d.api("GET", "/api/v1/users")
        rc, out, err = d.cli("user", "list", "--json")

SmtpServer is a local SMTP server (python3-aiosmtpd, smtp_handlers.py) for
`serve --mail smtp://...`: it keeps what it accepts in a Maildir, can be
stopped and started again on the same port, and answers 550 on demand.

Every process a Daemon or SmtpServer starts is stopped when the test ends,
passes or fails (context manager, and stop_all() from run.py and atexit).
Python standard library only (aiosmtpd runs in its own /usr/bin/python3).
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# Set by run.py from its command line; DIALCONF_BIN for running a test by hand.
DIALCONF = os.environ.get("DIALCONF_BIN", "")
# Where daemon logs go for this run (run.py sets it; kept when a test fails).
LOG_DIR = None
TOKEN_NAME = "itest"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 20.0
CLI_TIMEOUT = 30.0

# Daemons started and not yet stopped (stop_all), and every daemon created
# since run.py last cleared it (so a failing test can show their log tails).
_live = []
touched = []

CONFID_RE = re.compile(r"^[1-9][0-9]{6}$")


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_sip_port():
    """A port on 127.0.0.1 free for both UDP and TCP (SIP listens on both)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise OSError("no port free for both UDP and TCP")


def rtp_port_range():
    """A random block of 200 RTP ports, so daemons of parallel runs rarely
    share one (the daemon skips ports in use anyway)."""
    import random
    low = random.randrange(20000, 29800, 2)
    return "%d-%d" % (low, low + 199)


def _log_dir():
    global LOG_DIR
    if LOG_DIR is None:
        LOG_DIR = tempfile.mkdtemp(prefix="dialconf-itest-logs-")
    return LOG_DIR


class DaemonError(AssertionError):
    pass


class Daemon:
    """One dialconf serve process on a free port and a temporary data dir."""

    def __init__(self, extra_args=(), db=None, data_dir=None, token=True):
        if not DIALCONF or not os.access(DIALCONF, os.X_OK):
            raise DaemonError("no dialconf executable at %r" % DIALCONF)
        self.bin = DIALCONF
        self.extra_args = list(extra_args)
        # DIALCONF_TEST_DB=postgres: a fresh PostgreSQL database of its own.
        self.pg = PgDatabase() if db is None and PG_ALL else None
        self.db = self.pg.url if self.pg else db
        self.own_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="dialconf-itest-")
        self.port = None
        self.url = None
        self.proc = None
        self.token = None
        self.want_token = token
        self.starts = 0
        self.exit_codes = []  # exit status of every stop, in order
        fd, self.log_path = tempfile.mkstemp(prefix="serve-", suffix=".log",
                                             dir=_log_dir())
        os.close(fd)
        self._log_offset = 0
        touched.append(self)

    # -- life cycle ---------------------------------------------------------

    def serve_argv(self):
        argv = [self.bin, "serve", "--data", self.data_dir,
                "--http", "127.0.0.1:%d" % self.port]
        if "--sip" not in self.extra_args:  # never the shared 5060
            argv += ["--sip", "127.0.0.1:%d" % self.sip_port,
                     "--rtp-ports", self.rtp_ports]
        if self.db:
            argv += ["--db", self.db]
        if "--log-level" not in self.extra_args:  # tests read every event
            argv += ["--log-level", "debug"]
        return argv + self.extra_args

    def start(self):
        """Start serve and wait until /healthz answers 200. Creates the API
        token on the first start. Raises DaemonError with the log tail.
        Another process may take the free port before serve binds it: then
        it tries again on another port."""
        for attempt in range(3):
            try:
                return self._start_once()
            except DaemonError:
                if attempt == 2 or "in use" not in self.log_text():
                    raise

    @property
    def node(self):
        """The node's name as serve makes it: --node, else
        HOSTNAME:SIP-PORT (the host name up to its first dot)."""
        if "--node" in self.extra_args:
            return self.extra_args[self.extra_args.index("--node") + 1]
        import socket
        return "%s:%d" % (socket.gethostname().split(".")[0], self.sip_port)

    def _start_once(self):
        assert self.proc is None, "daemon already running"
        self.port = free_port()
        self.sip_port = free_sip_port()
        self.rtp_ports = rtp_port_range()
        self.url = "http://127.0.0.1:%d" % self.port
        self._log_offset = os.path.getsize(self.log_path)
        with open(self.log_path, "ab") as log:
            log.write(("=== start %d: %s\n" % (self.starts + 1,
                       " ".join(self.serve_argv()))).encode())
            log.flush()
            self._log_offset = log.tell()
            self.proc = subprocess.Popen(
                self.serve_argv(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, start_new_session=True)
        _live.append(self)
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                _live.remove(self)
                raise DaemonError("dialconf serve exited with status %d "
                                  "before answering /healthz\n%s"
                                  % (rc, self.log_tail()))
            try:
                status, _, _ = self.api("GET", "/healthz", token=None,
                                        timeout=1.0)
                if status == 200:
                    break
                last = "status %d" % status
            except (OSError, urllib.error.URLError) as e:
                last = str(e)
            if time.monotonic() > deadline:
                raise DaemonError("dialconf serve did not answer GET /healthz "
                                  "within %.0f s (%s)\n%s"
                                  % (START_TIMEOUT, last, self.log_tail()))
            time.sleep(0.05)
        if self.want_token and self.token is None:
            self.token = self.admin_token(TOKEN_NAME)
        return self

    def admin_token(self, name=None):
        """Run the offline `dialconf admin token` on our data dir; returns the
        token it printed."""
        argv = [self.bin, "admin", "token", "--data", self.data_dir]
        if self.db:
            argv += ["--db", self.db]
        if name:
            argv += ["--name", name]
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise DaemonError("dialconf admin token exited %d: %s"
                              % (p.returncode, p.stderr.strip()))
        token = p.stdout.strip()
        if not token or len(token.split()) != 1:
            raise DaemonError("dialconf admin token printed %r, not one token"
                              % p.stdout)
        return token

    def stop(self, sig=signal.SIGTERM):
        """Send sig (SIGTERM) and wait; SIGKILL after STOP_TIMEOUT. Returns
        the exit status (negative: killed by that signal), None if it was
        not running."""
        if self.proc is None:
            return None
        p = self.proc
        rc = p.poll()
        if rc is None:
            try:
                p.send_signal(sig)
                rc = p.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                rc = "did not exit within %.0f s of %s" % (
                    STOP_TIMEOUT, signal.Signals(sig).name)
        self.proc = None
        if self in _live:
            _live.remove(self)
        self.exit_codes.append(rc)
        return rc

    def restart(self):
        """SIGTERM, assert exit status 0, start again on the same data dir."""
        rc = self.stop()
        if rc != 0:
            raise DaemonError("dialconf serve: SIGTERM gave exit status %r, "
                              "expected 0\n%s" % (rc, self.log_tail()))
        return self.start()

    def crashed(self):
        """The exit status if the process ended by itself, else None."""
        if self.proc is None:
            return None
        return self.proc.poll()

    def cleanup(self):
        self.stop()
        if self.own_data_dir and not os.environ.get("DIALCONF_ITEST_KEEP"):
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.pg:
            self.pg.drop()

    def close(self, check=True):
        """Stop and remove the data dir. With check, raise if the daemon
        died by itself or did not exit 0 on SIGTERM."""
        died = self.crashed()
        rc = self.stop()
        tail = self.log_tail()
        self.cleanup()
        if not check:
            return
        if died is not None:
            raise DaemonError("dialconf serve died during the test with "
                              "status %r\n%s" % (died, tail))
        if rc not in (0, None):
            raise DaemonError("dialconf serve: SIGTERM gave exit status %r, "
                              "expected 0\n%s" % (rc, tail))

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, exc_type, exc, tb):
        self.close(check=exc_type is None)
        return False

    # -- output -------------------------------------------------------------

    def log_text(self, since_start=True):
        """What serve printed (stdout and stderr) since its last start, or
        since the first."""
        with open(self.log_path, "rb") as f:
            if since_start:
                f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n=25):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        return "--- %s (last %d lines) ---\n%s" % (
            self.log_path, n, "\n".join(lines[-n:]))

    # -- clients ------------------------------------------------------------

    def api(self, method, path, body=None, token=..., raw=None, headers=None,
            timeout=HTTP_TIMEOUT):
        """One HTTP request. body: a value sent as JSON; raw: bytes sent as
        they are (with content-type application/json unless headers say
        otherwise). token: ... (default) our token, None no Authorization
        header, a string that bearer token. Returns (status, headers, parsed
        JSON or None); problem bodies of 4xx/5xx are parsed too."""
        if token is ...:
            token = self.token
        hdrs = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
        elif raw is not None:
            data = raw
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, headers=hdrs,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, rh, payload = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, rh = e.code, e.headers
            try:
                payload = e.read()
            except OSError:
                payload = b""
        self.last_raw = payload
        parsed = None
        if payload:
            try:
                parsed = json.loads(payload)
            except ValueError:
                parsed = None
        return status, rh, parsed

    def cli(self, *args, token=..., url=None, env=None, timeout=CLI_TIMEOUT):
        """Run `dialconf ARGS` with DIALCONF_URL and DIALCONF_TOKEN set.
        Returns (exit status, stdout, stderr)."""
        if token is ...:
            token = self.token
        e = dict(os.environ)
        e.pop("DIALCONF_TOKEN", None)
        e["DIALCONF_URL"] = url or self.url
        if token is not None:
            e["DIALCONF_TOKEN"] = token
        e.update(env or {})
        p = subprocess.run([self.bin] + [str(a) for a in args], env=e,
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    # -- conveniences built on api() -----------------------------------------

    def ok(self, method, path, body=None, expect=(200,), **kw):
        """api() that must answer one of expect; returns the parsed body."""
        status, _, data = self.api(method, path, body, **kw)
        if status not in expect:
            raise AssertionError("%s %s -> %d, expected %s: %s"
                                 % (method, path, status, expect,
                                    self.last_raw[:500]))
        return data

    def create_user(self, email, name, audio=True):
        return self.ok("POST", "/api/v1/users",
                       {"email": email, "displayName": name,
                        "audioConferencing": {"enabled": audio}},
                       expect=(201,))

    def user(self, ref):
        return self.ok("GET", "/api/v1/users/" + q(ref))

    def all_users(self, search=None):
        """Every user, following nextCursor."""
        users, cursor = [], None
        for _ in range(10000):
            params = {"limit": "500"}
            if search is not None:
                params["search"] = search
            if cursor:
                params["cursor"] = cursor
            page = self.ok("GET", "/api/v1/users?" +
                           urllib.parse.urlencode(params))
            users += page["users"]
            cursor = page.get("nextCursor")
            if not cursor:
                return users
        raise AssertionError("paging never ended")

    def audit(self, limit=1000):
        return self.ok("GET", "/api/v1/audit?limit=%d" % limit)["entries"]

    def settings(self):
        return self.ok("GET", "/api/v1/settings")

    def numbers(self):
        return self.ok("GET", "/api/v1/dial-in-numbers")["numbers"]

    def lookup(self, confid):
        return self.ok("GET", "/api/v1/conference-ids/" + q(confid))

    def snapshot(self):
        """What an administrator sees of the whole organization: users,
        settings, dial-in numbers and the audit log."""
        return {
            "users": sorted(self.all_users(), key=lambda u: u["id"]),
            "settings": self.settings(),
            "numbers": sorted(self.numbers(), key=lambda n: n["number"]),
            "audit": self.audit(),
        }


# -- PostgreSQL ---------------------------------------------------------------

# The server the PostgreSQL tests use (tests/run-all exports it); without
# it they are skipped. DIALCONF_TEST_DB=postgres runs every Daemon on a
# fresh database of that server instead of SQLite.
PG_URL = os.environ.get("DIALCONF_TEST_PG_URL", "")
PG_ALL = os.environ.get("DIALCONF_TEST_DB", "") == "postgres"
PSQL = "psql"


class Skip(Exception):
    """A test that cannot run here; run.py prints `ok N - name # SKIP why`."""


def need_pg():
    """The server URL, or Skip when the run has no PostgreSQL."""
    if not PG_URL:
        raise Skip("no PostgreSQL")
    return PG_URL


def pg_url(url, dbname):
    """url with its database replaced by dbname."""
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + dbname,
                                    u.query, u.fragment))


def psql(url, sql, timeout=60):
    """Run sql with psql on url; returns the rows as lists of strings."""
    p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t",
                        "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError("psql %s: %r failed: %s"
                             % (url, sql, p.stderr.strip()))
    return [ln.split("\t") for ln in p.stdout.splitlines() if ln]


class PgDatabase:
    """A fresh, empty database on the server PG_URL names (dropped by
    drop()): .url is what `--db` takes; .sql(text) runs a query on it."""

    _n = 0

    def __init__(self):
        server = need_pg()
        PgDatabase._n += 1
        self.name = "dialconf_itest_%d_%d_%s" % (
            os.getpid(), PgDatabase._n, os.urandom(3).hex())
        self.admin_url = pg_url(server, "postgres")
        psql(self.admin_url, 'CREATE DATABASE "%s"' % self.name)
        self.url = pg_url(server, self.name)
        self.dropped = False

    def sql(self, text):
        return psql(self.url, text)

    def drop(self):
        if self.dropped or os.environ.get("DIALCONF_ITEST_KEEP"):
            return
        self.dropped = True
        try:
            psql(self.admin_url, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                 % self.name)
        except Exception:
            pass


# -- SMTP server: python3-aiosmtpd -------------------------------------------

# aiosmtpd is a Debian package: only Debian's interpreter sees it.
SMTP_PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
MAIL_WAIT = 15.0


class SmtpServer:
    """A local SMTP server for the daemon's `--mail smtp://...`:
    `python3 -m aiosmtpd` with smtp_handlers.Recorder, which keeps every
    message it accepts, byte for byte, in a Maildir of its own.

        with SmtpServer() as smtp, Daemon(["--mail", smtp.url]) as d:
            ...
            msgs = smtp.wait_messages(1, to="ada@example.org")

    The port is chosen once: stop() and start() again give "server down,
    server back" on the same address. SmtpServer(running=False) as a
    context manager does not start it. Addresses whose local part starts
    with reject_prefix are answered 550 at RCPT TO; while fail_on() is in
    force every message is answered 550 after DATA.

    It offers no STARTTLS, so .url carries the `?tls=none` opt-out of a
    local relay. SmtpServer(tls=True) offers STARTTLS with a self-signed
    certificate made here (openssl req) and insists on it; .url then trusts
    that certificate (`?cafile=`). delay=S answers each DATA S seconds
    late (a slow server)."""

    def __init__(self, running=True, reject_prefix="reject", quiet=False,
                 tls=False, delay=None):
        self.dir = tempfile.mkdtemp(prefix="dialconf-smtp-")
        self.maildir = os.path.join(self.dir, "Maildir")
        self.flag = os.path.join(self.dir, "fail.flag")
        self.reject_prefix = reject_prefix
        self.quiet = quiet
        self.delay = delay
        self.port = free_port()
        self.host = "127.0.0.1"
        self.base_url = "smtp://%s:%d" % (self.host, self.port)
        self.tls = tls
        if tls:
            self.cert, self.key = self.make_cert()
            self.url = self.base_url + "?cafile=" + self.cert
        else:
            self.url = self.base_url + "?tls=none"
        self.proc = None
        self.running_on_enter = running
        self.starts = 0
        fd, self.log_path = tempfile.mkstemp(prefix="smtp-", suffix=".log",
                                             dir=_log_dir())
        os.close(fd)
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        touched.append(self)

    def make_cert(self):
        """A self-signed certificate for 127.0.0.1, valid for a day."""
        cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                        "-subj", "/CN=dialconf-test-smtp",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
        return cert, key

    def argv(self):
        argv = [SMTP_PYTHON, "-m", "aiosmtpd", "-n",
                "-l", "%s:%d" % (self.host, self.port)]
        if self.tls:
            argv += ["--tlscert", self.cert, "--tlskey", self.key]
        argv += ["-c", "smtp_handlers.Recorder", "--", self.maildir,
                 "fail_flag=" + self.flag]
        if self.reject_prefix:
            argv.append("reject_prefix=" + self.reject_prefix)
        if self.quiet:
            argv.append("quiet=1")
        if self.delay:
            argv.append("delay=%g" % self.delay)
        return argv

    def start(self):
        """Start the server and wait until it greets with 220."""
        assert self.proc is None, "SMTP server already running"
        env = dict(os.environ)
        env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"]
                                    if env.get("PYTHONPATH") else "")
        with open(self.log_path, "ab") as log:
            log.write(("=== start %d: %s\n" % (self.starts + 1,
                       " ".join(self.argv()))).encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, env=env, start_new_session=True)
        _live.append(self)
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                _live.remove(self)
                raise DaemonError("aiosmtpd exited with status %d before "
                                  "greeting\n%s" % (rc, self.log_tail()))
            try:
                with socket.create_connection((self.host, self.port),
                                              timeout=1.0) as s:
                    banner = s.recv(512)
                    if banner.startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return self
                    last = repr(banner)
            except OSError as e:
                last = str(e)
            if time.monotonic() > deadline:
                raise DaemonError("aiosmtpd did not greet on port %d within "
                                  "%.0f s (%s)\n%s" % (self.port,
                                                        START_TIMEOUT, last,
                                                        self.log_tail()))
            time.sleep(0.05)

    def stop(self):
        """Stop the server (the port then refuses connections)."""
        if self.proc is None:
            return
        p, self.proc = self.proc, None
        if self in _live:
            _live.remove(self)
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def fail_on(self):
        """From now on every message is answered 550 after DATA."""
        open(self.flag, "w").close()

    def fail_off(self):
        if os.path.exists(self.flag):
            os.unlink(self.flag)

    def cleanup(self):
        self.stop()
        if not os.environ.get("DIALCONF_ITEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start() if self.running_on_enter else self
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, exc_type, exc, tb):
        self.cleanup()
        return False

    def log_tail(self, n=25):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        return "--- %s (last %d lines) ---\n%s" % (
            self.log_path, n, "\n".join(lines[-n:]))

    # -- what arrived ---------------------------------------------------------

    def count(self):
        return len(os.listdir(os.path.join(self.maildir, "new")))

    def raw_messages(self):
        """(file name, bytes) of every accepted message, in arrival order."""
        new = os.path.join(self.maildir, "new")
        out = []
        for name in sorted(os.listdir(new),
                           key=lambda n: (int(n.split(".")[0]), n)):
            with open(os.path.join(new, name), "rb") as f:
                out.append((name, f.read()))
        return out

    def messages(self, to=None):
        """Every accepted message parsed with policy=email.policy.default
        (an EmailMessage: headers decoded), in arrival order; with to, only
        those whose envelope recipient is that address. Each has .raw, the
        bytes as the daemon sent them."""
        out = []
        for name, raw in self.raw_messages():
            msg = parse_mail(raw)
            if to is not None and to.lower() not in envelope_to(msg):
                continue
            out.append(msg)
        return out

    def wait_messages(self, n, to=None, match=None, timeout=MAIL_WAIT):
        """Poll (bounded) until at least n messages (to that address, and
        for which match(msg) is true) have arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.messages(to) if match is None or match(m)]
            if len(got) >= n:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(
                    "%d email(s)%s expected within %.0f s, %d arrived; the "
                    "SMTP server holds %d: %s" % (
                        n, " to " + to if to else "", timeout, len(got),
                        self.count(), describe_mails(self.messages())))
            time.sleep(0.1)


def parse_mail(raw):
    import email
    import email.policy
    # Maildir files end lines with LF; the daemon sent CRLF.
    msg = email.message_from_bytes(raw.replace(b"\r\n", b"\n"),
                                   policy=email.policy.default)
    msg.raw = raw
    return msg


def envelope_to(msg):
    """The envelope recipients smtp_handlers.Recorder noted, lower case."""
    return [a.strip().lower() for a in
            str(msg.get("X-Envelope-To", "")).split(",") if a.strip()]


def mail_parts(msg):
    """(text/plain, text/html) of a message, decoded to str ("" if absent)."""
    plain = html = ""
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.is_multipart() or part.get_content_disposition() == \
                "attachment":
            continue
        if ctype == "text/plain" and not plain:
            plain = part.get_content()
        elif ctype == "text/html" and not html:
            html = part.get_content()
    return plain, html


def describe_mails(msgs):
    return "; ".join("[to %s, subject %r, Message-ID %s]"
                     % (",".join(envelope_to(m)), str(m.get("Subject")),
                        m.get("Message-ID")) for m in msgs) or "(none)"


def q(s):
    """Quote a path segment (emails keep their @)."""
    return urllib.parse.quote(str(s), safe="@")


def stop_all():
    """Stop every daemon still running (run.py after each test, atexit)."""
    for d in list(_live):
        try:
            d.cleanup()
        except Exception:
            pass


atexit.register(stop_all)


# -- assertions shared by the tests ----------------------------------------

def user_of(answer):
    """The USER in a POST or PATCH /users answer, which also says whether
    an email was queued (docs/api.md, Email)."""
    assert isinstance(answer.get("emailQueued"), bool), answer
    return {k: v for k, v in answer.items() if k != "emailQueued"}


def assert_confid(v, what="conference ID"):
    """A conference ID as SPEC §2 says: a string of 7 digits, first 1-9,
    not all one digit, not a straight run."""
    assert isinstance(v, str) and CONFID_RE.match(v), \
        "%s %r is not 7 digits with a first digit 1-9" % (what, v)
    assert len(set(v)) > 1, "%s %r is all one digit" % (what, v)
    steps = {int(b) - int(a) for a, b in zip(v, v[1:])}
    assert steps not in ({1}, {-1}), "%s %r is a straight run" % (what, v)


def assert_problem(resp, status, what=""):
    """resp = api(...) answered status as application/problem+json with a
    matching "status" member and a title."""
    got, headers, body = resp
    assert got == status, "%s: expected %d, got %d: %r" % (what, status, got,
                                                           body)
    ctype = headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip() == "application/problem+json", \
        "%s: content-type %r, expected application/problem+json" % (what,
                                                                    ctype)
    assert isinstance(body, dict), "%s: problem body is not a JSON object" \
        % what
    assert body.get("status") == status, \
        "%s: problem says status %r" % (what, body.get("status"))
    assert isinstance(body.get("title"), str) and body["title"], \
        "%s: problem has no title: %r" % (what, body)
    return body


def assert_unchanged(before, after, what=""):
    """Two snapshots are equal; names the first part that differs."""
    for key in before:
        assert before[key] == after[key], \
            "%s changed %s:\nbefore %r\nafter  %r" % (what, key, before[key],
                                                      after[key])
