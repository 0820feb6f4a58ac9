"""Installing dialconf as a service: `meson install` into a staging root
from the build directory of the binary under test, the layout it leaves,
serve started from the staged paths with the staged sample config, the
systemd unit (systemd-analyze verify), and what the unit relies on:
sd_notify READY=1 only once /healthz answers, STOPPING=1 on SIGTERM,
SIGHUP applying a new log-level from the config file while serving, and
log lines carrying their syslog priority when stderr is the journal."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import harness
from harness import Daemon

WAIT = 15.0  # seconds for anything the daemon does on its own


def build_dir():
    """The meson build directory the binary under test came from."""
    build = os.path.dirname(os.path.abspath(harness.DIALCONF))
    if not os.path.exists(os.path.join(build, "build.ninja")):
        raise harness.Skip("%s is not a meson build directory" % build)
    return build


def meson_installed(build):
    """{file in the build or source tree: where meson install puts it}."""
    p = subprocess.run(["meson", "introspect", build, "--installed"],
                       capture_output=True, text=True, timeout=60, check=True)
    return json.loads(p.stdout)


def stage(build, root):
    """meson install into root (DESTDIR), without rebuilding."""
    p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild",
                        "--quiet", "--destdir", root],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "meson install failed: %s%s" % (p.stdout,
                                                              p.stderr)


def staged(root, path):
    return os.path.join(root, path.lstrip("/"))


def serve_option_names(binary):
    """Every --NAME of `dialconf serve --help`, and the config keys it
    lists: the options table of src/main.c as the binary shows it."""
    p = subprocess.run([binary, "serve", "--help"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    flags = set(re.findall(r"^  --([a-z-]+)", p.stdout, re.M))
    keys = re.search(r"\(keys: ([^)]*)\)", " ".join(p.stdout.split()))
    assert flags and keys, "serve --help lists no options:\n" + p.stdout
    return flags, [k.strip().split()[0] for k in keys.group(1).split(",")]


def set_keys(text, values):
    """The config text with each key of values set (its line uncommented)."""
    for key, value in values.items():
        text, n = re.subn(r"^#?%s = .*$" % re.escape(key),
                          "%s = %s" % (key, value), text, flags=re.M)
        assert n == 1, "no line for %s in the sample config" % key
    return text


class StagedDaemon(Daemon):
    """serve from the staged binary with only --config: the staged sample
    config, its paths and ports rewritten to this test's."""

    def __init__(self, binary, sample, overrides):
        super().__init__()
        self.bin = binary
        self.sample = sample
        self.overrides = overrides
        self.conf = os.path.join(self.data_dir, "dialconf.conf")

    def serve_argv(self):
        values = dict(self.overrides)
        values.update({"data": self.data_dir,
                       "http": "127.0.0.1:%d" % self.port,
                       "sip": "127.0.0.1:%d" % self.sip_port,
                       "rtp-ports": self.rtp_ports})
        if self.db:  # the PostgreSQL run of the suite
            values["db"] = self.db
        with open(self.sample) as f:
            text = set_keys(f.read(), values)
        with open(self.conf, "w") as f:
            f.write(text)
        return [self.bin, "serve", "--config", self.conf]


def test_meson_install_stages_a_runnable_service():
    build = build_dir()
    root = tempfile.mkdtemp(prefix="dialconf-stage-")
    try:
        staged_service_runs(build, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def staged_service_runs(build, root):
    installed = meson_installed(build)
    stage(build, root)
    for src, dest in installed.items():
        assert os.path.exists(staged(root, dest)), \
            "meson install did not put %s at %s" % (src, dest)
    by_name = {os.path.basename(s): d for s, d in installed.items()}
    binary = staged(root, by_name["dialconf"])
    assert by_name["dialconf"].endswith("/sbin/dialconf"), by_name
    assert os.access(binary, os.X_OK)
    conf = by_name["dialconf.conf"]
    assert conf.endswith("/etc/dialconf/dialconf.conf"), conf
    prompts = staged(root, by_name["prompts"])
    assert os.path.exists(os.path.join(prompts, "welcome-enter-id.ulaw"))
    # every language's prompts, and the list serve loads them by
    assert os.path.exists(os.path.join(prompts, "languages"))
    assert os.path.exists(os.path.join(prompts, "ja-JP",
                                       "welcome-enter-id.ulaw"))
    assert not os.path.exists(os.path.join(prompts, "generate.sh"))

    # The sample config names every serve option; its data directory is
    # the installed state directory, and it is what serve would print.
    sample = staged(root, conf)
    with open(sample) as f:
        text = f.read()
    flags, keys = serve_option_names(binary)
    for key in keys:
        assert re.search(r"^#?%s = " % re.escape(key), text, re.M), \
            "the sample config lacks the serve option %s" % key
    for flag in flags - set(keys) - {"help"}:
        assert "--" + flag in text, "the sample config does not mention --" \
            + flag
    assert re.search(r"^data = /.*/lib/dialconf$", text, re.M), text
    assert re.search(r"^\[serve\]$", text, re.M)

    # The unit starts the installed binary on the installed config.
    unit = staged(root, by_name["dialconf.service"])
    with open(unit) as f:
        exec_start = re.search(r"^ExecStart=(.*)$", f.read(), re.M).group(1)
    assert exec_start.split()[:4] == [by_name["dialconf"], "serve",
                                      "--config", conf], exec_start

    # serve from the staging root: the staged prompts load (SIP starts),
    # every other value is the sample's.
    d = StagedDaemon(binary, sample, {
        "prompts": prompts,
        "mail": "maildir:" + os.path.join(root, "mail"),
        "log-level": "info"})
    with d:
        status, _, body = d.api("GET", "/healthz", token=None)
        assert status == 200, body
        assert "serving sip:" in d.log_text(), d.log_tail()


def test_unit_file_verifies():
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        raise harness.Skip("no systemd-analyze on this machine")
    build = build_dir()
    unit = os.path.join(build, "dialconf.service")
    tmp = tempfile.mkdtemp(prefix="dialconf-unit-")
    try:
        # verify wants ExecStart's binary to exist: the one under test.
        with open(unit) as f:
            text = re.sub(r"^ExecStart=\S+", "ExecStart="
                          + os.path.abspath(harness.DIALCONF), f.read(),
                          flags=re.M)
        copy = os.path.join(tmp, "dialconf.service")
        with open(copy, "w") as f:
            f.write(text)
        p = subprocess.run([analyze, "verify", "--man=no", copy],
                           capture_output=True, text=True, timeout=60)
        out = (p.stdout + p.stderr).strip()
        assert p.returncode == 0 and "dialconf.service" not in out, \
            "systemd-analyze verify: %s" % out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Notified:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.got = []

    def next(self, timeout=WAIT):
        """The next message's lines, None when none came within timeout."""
        self.sock.settimeout(timeout)
        try:
            msg = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        self.got.append(msg)
        return msg.split("\n")

    def close(self):
        self.sock.close()


def healthz(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port,
                                    timeout=2) as r:
            return r.status
    except OSError:
        return None


def test_notify_reload_and_journal():
    tmp = tempfile.mkdtemp(prefix="dialconf-notify-")
    proc = None
    try:
        proc = notify_reload_and_journal(tmp)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def start_notified(tmp, conf, log, env):
    notified = Notified(os.path.join(tmp, "notify"))
    proc = subprocess.Popen(
        [harness.DIALCONF, "serve", "--config", conf],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
        start_new_session=True)
    return notified, proc


def wait_for(what, check, proc, log_path):
    deadline = time.monotonic() + WAIT
    while not check():
        assert proc.poll() is None, "serve exited: " + read(log_path)
        assert time.monotonic() < deadline, what + "\n" + read(log_path)
        time.sleep(0.05)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def notify_reload_and_journal(tmp):
    port = harness.free_port()
    sip = harness.free_sip_port()
    conf = os.path.join(tmp, "dialconf.conf")
    base = ("[serve]\ndata = %s\nhttp = 127.0.0.1:%d\nsip = 127.0.0.1:%d\n"
            "rtp-ports = %s\n" % (os.path.join(tmp, "data"), port, sip,
                                  harness.rtp_port_range()))
    with open(conf, "w") as f:
        f.write(base + "log-level = warn\n")
    log_path = os.path.join(tmp, "serve.log")
    log = open(log_path, "w")
    st = os.fstat(log.fileno())
    env = dict(os.environ, NOTIFY_SOCKET=os.path.join(tmp, "notify"),
               JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    notified, proc = start_notified(tmp, conf, log, env)
    try:
        # READY=1 comes once: /healthz answers the moment it arrives.
        msg = notified.next()
        assert msg is not None, "no READY=1 within %.0f s (built without " \
            "libsystemd?)\n%s" % (WAIT, read(log_path))
        assert "READY=1" in msg, notified.got
        assert healthz(port) == 200, "READY=1 before /healthz answers"

        # The journal keeps what it gets: no first password in it, and
        # each line carries its syslog priority. At warn, a request is not
        # logged.
        text = read(log_path)
        assert "admin password in " in text, text
        assert "shown once" not in text, text
        assert healthz(port) == 200
        assert "path=/healthz" not in read(log_path)

        # SIGHUP: log-level = debug applies (each request is a debug
        # event); a changed http is reported as needing a restart and serve
        # keeps its port.
        with open(conf, "w") as f:
            f.write(base.replace("http = 127.0.0.1:%d" % port,
                                 "http = 127.0.0.1:1") + "log-level = debug\n")
        proc.send_signal(signal.SIGHUP)
        assert notified.next() == ["RELOADING=1"], notified.got
        assert "READY=1" in notified.next(), notified.got
        wait_for("no reload logged",
                 lambda: "event=reloaded" in read(log_path), proc, log_path)
        assert re.search(r"^<4>warn main event=reload_skipped option=http "
                         r"reason=restart_needed$", read(log_path), re.M), \
            read(log_path)
        assert read(log_path).count("event=reload_skipped") == 1, \
            "only http changed:\n" + read(log_path)
        assert healthz(port) == 200, "serve stopped serving after SIGHUP"
        wait_for("GET /healthz not logged at debug after the reload",
                 lambda: re.search(r"^<7>debug http method=GET "
                                   r"path=/healthz status=200",
                                   read(log_path), re.M),
                 proc, log_path)

        # A broken file changes nothing and stops nothing.
        with open(conf, "w") as f:
            f.write(base + "log-level = loud\n")
        proc.send_signal(signal.SIGHUP)
        assert notified.next() == ["RELOADING=1"], notified.got
        assert "READY=1" in notified.next(), notified.got
        assert re.search(r"^<3>error main event=reload_failed "
                         r"option=log-level value=loud$", read(log_path),
                         re.M), read(log_path)
        assert healthz(port) == 200

        # SIGTERM: STOPPING=1, then a clean exit.
        proc.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in (notified.next() or []), notified.got
        assert proc.wait(timeout=WAIT) == 0, read(log_path)
    finally:
        notified.close()
        log.close()
    return proc


def test_debian_build_depends_name_every_build_library():
    """debian/control's Build-Depends against scripts/deps.sh (the one list):
    a library added there and forgotten here would break the package build
    on a fresh machine, which only scripts/deb-check.sh (minutes) sees."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    with open(os.path.join(root, "scripts", "deps.sh")) as f:
        listed = re.search(r"^PACKAGES=\((.*?)^\)", f.read(), re.M | re.S)
    # cmocka builds the unit tests and clang's runtime the fuzzers, which
    # the package leaves out.
    libs = {p for p in listed.group(1).split()
            if re.fullmatch(r"lib.*-dev", p)} - {"libcmocka-dev",
                                                 "libclang-rt-14-dev"}
    with open(os.path.join(root, "debian", "control")) as f:
        control = f.read()
    field = re.search(r"^Build-Depends:(.*?)^(?=\S)", control, re.M | re.S)
    depends = {d.split()[0] for d in field.group(1).split(",") if d.strip()}
    assert libs <= depends, "debian/control Build-Depends lacks %s" % sorted(
        libs - depends)
