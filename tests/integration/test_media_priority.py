"""serve --media-priority (issue 18): the SIP and media thread, which sends
every caller's audio each 20 ms, runs SCHED_FIFO at the given priority so
that other work on the machine cannot make its frames late; off by
default; a value out of 0-99 is a usage error before anything is created;
a node not allowed real-time scheduling says so in its log and serves at
normal priority."""

import os
import shutil
import subprocess
import tempfile

import harness
from harness import Daemon, free_port, free_sip_port, rtp_port_range

SCHED_OTHER, SCHED_FIFO = 0, 1


def threads(pid):
    """{thread name: (policy, rt_priority)} of pid, from /proc."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            s = f.read()
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s.rsplit(")", 1)[1].split()
        # stat fields 40 and 41 (rt_priority, policy); fields[0] is 3.
        out.setdefault(name, []).append((int(fields[38]), int(fields[37])))
    return out


def may_realtime():
    """Whether this process may take SCHED_FIFO (root, CAP_SYS_NICE or an
    RLIMIT_RTPRIO): tried on a short-lived child."""
    p = subprocess.run(["chrt", "-f", "1", "true"], capture_output=True)
    return p.returncode == 0


def test_bad_values_are_usage_errors_that_create_nothing():
    for bad in ("100", "-1", "ten", "", "10x"):
        parent = tempfile.mkdtemp(prefix="dialconf-itest-prio-")
        data = os.path.join(parent, "var")
        try:
            p = subprocess.run(
                [harness.DIALCONF, "serve", "--data", data,
                 "--http", "127.0.0.1:%d" % free_port(),
                 "--sip", "127.0.0.1:%d" % free_sip_port(),
                 "--rtp-ports", rtp_port_range(),
                 "--media-priority", bad],
                capture_output=True, text=True, timeout=30,
                stdin=subprocess.DEVNULL)
            assert p.returncode == 2, (bad, p.returncode, p.stderr)
            assert "--media-priority wants 0 (off) or a real-time " \
                "priority 1-99, not '%s'" % bad in p.stderr, p.stderr
            assert not os.path.exists(data), (bad, os.listdir(data))
        finally:
            shutil.rmtree(parent, ignore_errors=True)


def test_media_thread_runs_fifo_and_nothing_else_does():
    with Daemon(["--media-priority", "10"]) as d:
        log = d.log_text()
        got = threads(d.proc.pid)
        assert "dialconf-sip" in got, got
        others = [(n, s) for n, ts in got.items() if n != "dialconf-sip"
                  for s in ts]
        # The HTTP threads, the workers and the main thread stay normal.
        assert others and all(s == (SCHED_OTHER, 0) for _, s in others), \
            others
        if may_realtime():
            assert got["dialconf-sip"] == [(SCHED_FIFO, 10)], got
            assert "event=media-realtime policy=fifo priority=10" in log, log
        else:
            assert got["dialconf-sip"] == [(SCHED_OTHER, 0)], got
            assert "event=media-realtime-refused priority=10" in log, log


def test_off_by_default():
    with Daemon() as d:
        got = threads(d.proc.pid)
        assert got["dialconf-sip"] == [(SCHED_OTHER, 0)], got
        assert "media-realtime" not in d.log_text()


class Unprivileged(Daemon):
    """serve without CAP_SYS_NICE (dropped from the bounding set, so not
    even root gets it back at exec) and RLIMIT_RTPRIO 0: what a node
    started by an unprivileged user has."""

    def serve_argv(self):
        return ["setpriv", "--bounding-set=-sys_nice",
                "--inh-caps=-sys_nice", "--"] + super().serve_argv()


def test_refused_is_logged_and_the_node_serves():
    d = Unprivileged(["--media-priority", "20"]) if os.geteuid() == 0 \
        else Daemon(["--media-priority", "20"])
    old = None
    if os.geteuid() == 0:  # our own limit, inherited by serve
        import resource
        old = resource.getrlimit(resource.RLIMIT_RTPRIO)
        resource.setrlimit(resource.RLIMIT_RTPRIO, (0, old[1]))
    try:
        d.start()
        got = threads(d.proc.pid)
        assert got["dialconf-sip"] == [(SCHED_OTHER, 0)], got
        log = d.log_text()
        assert "event=media-realtime-refused priority=20 reason=Operation " \
            "not permitted" in log, log
        assert "event=media-realtime " not in log, log
        # It serves: the API answers and SIP answers OPTIONS.
        d.ok("GET", "/api/v1/meta")
    finally:
        if old is not None:
            import resource
            resource.setrlimit(resource.RLIMIT_RTPRIO, old)
        d.close()
        d.cleanup()
