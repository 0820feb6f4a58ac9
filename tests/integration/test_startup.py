"""serve binds every port before it creates anything (issue 20 item 6).

A port that is taken is found out first: serve exits non-zero naming the
address, and leaves no data folder, no database and no admin password
behind, and never says "serving ..." first. With every port free it
creates the folder and says so once it serves.
"""

import os
import shutil
import socket
import subprocess
import tempfile

import harness
from harness import free_port, free_sip_port, rtp_port_range


def serve(http_port, sip_port):
    """Run serve on a data folder that does not exist yet, until it exits
    (one that serves runs into the timeout and is killed): (the folder's
    parent, the folder, the finished process)."""
    parent = tempfile.mkdtemp(prefix="dialconf-itest-start-")
    data = os.path.join(parent, "var")
    argv = [harness.DIALCONF, "serve", "--data", data,
            "--http", "127.0.0.1:%d" % http_port,
            "--sip", "127.0.0.1:%d" % sip_port,
            "--rtp-ports", rtp_port_range()]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return parent, data, p


def check_refused(what, addr, http_port, sip_port):
    parent, data, p = serve(http_port, sip_port)
    try:
        out = p.stdout + p.stderr
        assert p.returncode != 0, "serve with the %s port taken exited 0:" \
            "\n%s" % (what, out)
        assert not os.path.exists(data), "serve with the %s port taken " \
            "created %s: %r" % (what, data, os.listdir(data))
        assert "password" not in out.lower(), \
            "serve with the %s port taken printed a password:\n%s" % (
                what, out)
        assert "serving" not in out, "serve with the %s port taken said " \
            "it serves:\n%s" % (what, out)
        assert p.stdout == "", "stdout: %r" % p.stdout
        assert "cannot serve %s on %s" % (what, addr) in p.stderr, p.stderr
        assert "in use" in p.stderr, p.stderr
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def test_taken_http_port_creates_nothing():
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        check_refused("http", "127.0.0.1:%d" % port, port, free_sip_port())


def test_taken_sip_port_creates_nothing():
    # SIP listens on UDP and TCP: either one taken is enough.
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        port = free_sip_port()
        with socket.socket(socket.AF_INET, kind) as blocker:
            blocker.bind(("127.0.0.1", port))
            if kind == socket.SOCK_STREAM:
                blocker.listen()
            check_refused("sip", "127.0.0.1:%d" % port, free_port(), port)


def test_free_ports_create_and_announce():
    """The other side: with the ports free, the folder, the password and
    the announcement all come (on a Daemon of the harness)."""
    d = harness.Daemon(data_dir=os.path.join(
        tempfile.mkdtemp(prefix="dialconf-itest-start-"), "var"))
    try:
        d.start()
        assert os.path.isfile(os.path.join(d.data_dir,
                                           "initial-admin-password"))
        log = d.log_text()
        pw = log.find("admin password")
        http = log.find("serving http://127.0.0.1:%d" % d.port)
        sip = log.find("serving sip:127.0.0.1:%d" % d.sip_port)
        assert pw >= 0 and http >= 0 and sip >= 0, log
        d.close()
    finally:
        d.cleanup()
        shutil.rmtree(os.path.dirname(d.data_dir), ignore_errors=True)
