"""SIP in front of several nodes: deploy/kamailio/ (docs/operations.md).

The configuration in the repository must pass `kamailio -c`, and work: a
real Kamailio started with it (on loopback, its dispatcher list pointing at
two `dialconf serve` nodes) hands each baresip call to one of the nodes,
keeps the dialog going through itself (the digits reach the attendant, the
hang-up ends the call on the node) and, with one node stopped, still gets
new calls in through the other."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import Daemon, DaemonError, free_sip_port

import test_sip as sip

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CFG = os.path.join(ROOT, "deploy", "kamailio", "kamailio.cfg")
LIST = os.path.join(ROOT, "deploy", "kamailio", "dispatcher.list")
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"


def test_config_passes_kamailio_check():
    assert os.path.exists(KAMAILIO), \
        "kamailio is not installed (scripts/deps.sh installs it)"
    p = subprocess.run([KAMAILIO, "-c", "-f", CFG], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    assert p.returncode == 0 and "config file ok" in out, \
        "kamailio -c -f %s: exit %d\n%s" % (CFG, p.returncode, out)
    # The sample list names set 1, the set the config dispatches to.
    with open(LIST) as f:
        sets = {ln.split()[0] for ln in f
                if ln.strip() and not ln.lstrip().startswith("#")}
    assert sets == {"1"}, "dispatcher.list uses sets %s, not 1" % sets


def test_missing_dispatcher_list_stops_kamailio():
    # Settings from the environment, as Debian's kamailio.service passes
    # the lines of /etc/default/kamailio.d/dialconf (docs/operations.md).
    # `kamailio -c` does not open the list; the start does, and a missing
    # list must stop Kamailio (so `systemctl restart` fails) rather than
    # leave a proxy that answers every call with 503.
    d = tempfile.mkdtemp(prefix="dialconf-kamailio-")
    try:
        port = free_sip_port()
        missing = os.path.join(d, "missing.list")
        env = dict(os.environ,
                   DIALCONF_SIP_LISTEN="udp:127.0.0.1:%d" % port,
                   DIALCONF_SIP_LISTEN_TCP="tcp:127.0.0.1:%d" % port,
                   DIALCONF_DISPATCHER_LIST=missing)
        p = subprocess.run([KAMAILIO, "-DD", "-E", "-f", CFG, "-Y", d,
                            "-w", d, "-m", "64", "-M", "8"],
                           capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, env=env)
        out = p.stdout + p.stderr
        assert p.returncode != 0, "kamailio started without its list:\n" + out
        assert "can't open list file [%s]" % missing in out, out
        assert "127.0.0.1 [127.0.0.1]:%d" % port in out, \
            "DIALCONF_SIP_LISTEN not taken:\n" + out
    finally:
        shutil.rmtree(d, ignore_errors=True)


class Kamailio:
    """deploy/kamailio/kamailio.cfg run in the foreground on 127.0.0.1."""

    def __init__(self, nodes):
        self.dir = tempfile.mkdtemp(prefix="dialconf-kamailio-")
        self.port = free_sip_port()
        dlist = os.path.join(self.dir, "dispatcher.list")
        with open(dlist, "w") as f:
            for i, n in enumerate(nodes):
                f.write("1 sip:127.0.0.1:%d 0 0 name=node%d\n"
                        % (n.sip_port, i))
        self.log_path = os.path.join(self.dir, "log")
        self.log = open(self.log_path, "wb")
        argv = [KAMAILIO, "-DD", "-E", "-f", CFG, "-Y", self.dir,
                "-w", self.dir, "-m", "64", "-M", "8",
                "-A", "SIP_LISTEN=udp:127.0.0.1:%d" % self.port,
                "-A", "SIP_LISTEN_TCP=tcp:127.0.0.1:%d" % self.port,
                "-A", 'DISPATCHER_LIST="%s"' % dlist,
                "-A", "PING_INTERVAL=1"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while "INFO: <core> [main.c" not in self.text() and \
                "ds_ping" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise DaemonError("kamailio did not start:\n%s"
                                  % self.text()[-3000:])
            time.sleep(0.1)
        time.sleep(0.5)

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Front:
    """What test_sip's Baresip.dial needs of a daemon: the SIP port to call
    (Kamailio's)."""

    def __init__(self, port):
        self.sip_port = port


def node_of(nodes, caller, timeout=10.0):
    """The node holding the call of the (masked) caller."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for n in nodes:
            if any(c["caller"] == caller for c in sip.own_calls(n)):
                return n
        time.sleep(0.1)
    raise AssertionError("no node lists the call of %s" % caller)


def call_through(kam, nodes, user):
    """A baresip call through Kamailio: it lands on one node, the node's
    own conference ID typed as RFC 4733 digits reaches its attendant, the
    hang-up (a BYE through Kamailio) ends the call there."""
    caller = sip.Baresip(user)
    try:
        caller.dial(Front(kam.port))
        masked = sip.mask(user)
        node = node_of(nodes, masked)
        confid = sip.org(node)["id"]
        time.sleep(0.5)
        caller.cmd("sndcode", confid + "#")
        c = sip.wait_call(node, masked,
                          lambda c: c["conferenceId"] == confid,
                          "resolved through Kamailio")
        assert c["dialedNumber"] == sip.NUMBER, c
        caller.cmd("hangup")
        caller.wait_event("CALL_CLOSED")
        sip.wait_gone(node, masked)
        return node
    finally:
        caller.close()


def test_calls_through_kamailio_reach_the_nodes():
    # Two nodes of their own (SQLite each: what is tested here is the
    # SIP path; each node answers with its own organization).
    with Daemon() as a, Daemon() as b:
        sip.org(a)
        sip.org(b)
        kam = Kamailio([a, b])
        try:
            landed = set()
            for i in range(4):
                landed.add(call_through(kam, [a, b],
                                        "+1555010%04d" % i).url)
            assert landed == {a.url, b.url}, \
                "4 calls round-robin all went to one node"
            # One node down: new calls go to the other (failover on the
            # INVITE, then the probes take it out of rotation).
            a.stop()
            for i in range(3):
                node = call_through(kam, [b], "+1555020%04d" % i)
                assert node is b
        except Exception:
            raise AssertionError("kamailio log:\n%s" % kam.text()[-4000:])
        finally:
            kam.close()


class ThroughKamailio(sip.RawSip):
    """A caller on its own loopback address whose INVITE goes through
    Kamailio; the dialog's other requests go straight to the node that
    answered (RawSip does not follow Record-Route; the node matches them by
    Call-ID and tags, wherever they come from)."""

    def __init__(self, kam, user, ip):
        super().__init__(Front(kam.port), user, ip=ip)
        self.front = self.d

    def call(self):
        self.d = self.front
        status, _ = self.invite(sip.NUMBER, ack=False)
        if status == 200:
            port = int(self.contact.rsplit(":", 1)[1].split(";")[0])
            self.d = Front(port)
            self._send(self._head("ACK", self.contact, cseq=1) +
                       "Content-Length: 0\n\n")
        return status


def test_kamailio_passes_the_source_and_the_node_believes_it():
    """Behind Kamailio every INVITE comes from Kamailio's address; with
    that address in sipTrustedProxies the node keys its abuse guard on
    the caller's own address (X-Dialconf-Source), so an attacker through
    the proxy is refused and an honest caller through it is not."""
    with Daemon() as d:
        sip.org(d)
        st, _, body = d.api("PATCH", "/api/v1/settings",
                            {"sipTrustedProxies": "127.0.0.1"})
        assert st == 200, body
        time.sleep(1.5)  # the SIP side reads its limits once a second
        kam = Kamailio([d])
        bad = ThroughKamailio(kam, "+15550300001", "127.0.0.81")
        good = ThroughKamailio(kam, "+15550300002", "127.0.0.82")
        try:
            for n in range(2):
                st = bad.call()
                assert st == 200, "attacker call %d: %d" % (n + 1, st)
                for _ in range(3):
                    bad.keys("9999999#")
                    time.sleep(0.3)
                assert bad.wait_bye(), "attacker call %d not hung up" % n
            assert bad.call() == 403, "6 wrong IDs through the proxy"
            assert good.call() == 200, "an honest caller through the " \
                "same proxy was refused with the attacker"
            fails = [a for a in d.audit() if a["action"] == "dialin.failure"]
            assert len(fails) == 6, fails
            assert {a["detail"]["source"] for a in fails} == \
                {"127.0.0.81"}, fails
        except Exception:
            raise AssertionError("kamailio log:\n%s" % kam.text()[-4000:])
        finally:
            bad.close()
            good.close()
            kam.close()
