#!/usr/bin/python3
"""bench cluster (issue 13): one conference of 20 callers on one node
against the same 20 spread over two nodes (half of them bridged to the
conference's home over inter-node legs).

    bench/run cluster [--callers N] [--seconds S] [--onsets K]
    /usr/bin/python3 bench/cluster.py PATH/TO/dialconf [same options]

Needs PostgreSQL: DIALCONF_TEST_PG_URL names a server, else a throwaway
one is started with scripts/pg-test-server.sh (and stopped at the end).

Callers are RawSip UACs of tests/integration/sipkit.py: INVITE, the ID
and '#' '#' as SIP INFO (lobby bypassed), then PCMU silence every 20 ms
from a thread each. For each layout:
1. CPU per participant: utime+stime of every dialconf process (both
   nodes in the second layout) over S seconds (default 10) of the full
   conference, divided by the callers.
2. Mouth-to-ear delay: five speakers in turn switch a 1 kHz tone on and
   off K times each (default 4, 0.5 s each way); one listener reads its
   RTP on a thread of its own and takes the arrival of the first loud
   packet of each onset. The delay is that arrival minus the sending of
   the tone's first packet; each speaker's median, averaged over the
   speakers (a stream's phase against the mixer's tick is its own, 0-20
   ms). One node: speakers and listener on it. Two nodes: the speakers on
   the second node (bridged to the home), the listener on the home: one
   inter-node hop.
Prints the figures and ends with `ratio: X`, the mouth-to-ear delay of one
node over that of two (1.0: the hop adds nothing; the CPU ratio is printed
too, one node's CPU per participant over two nodes')."""

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
from sipkit import NUMBER, RawSip, org  # noqa: E402

TONE_HZ = 1000
SPEAKERS = 5
ULAW_SILENCE = 0xFF


def ulaw_to_linear(b):
    b = ~b & 0xFF
    t = ((b & 0x0F) << 3) + 0x84
    t <<= (b & 0x70) >> 4
    return (0x84 - t) if (b & 0x80) else (t - 0x84)


LIN = [ulaw_to_linear(i) for i in range(256)]


def rms(payload):
    if not payload:
        return 0.0
    return math.sqrt(sum(LIN[b] * LIN[b] for b in payload) / len(payload))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Listener:
    """Reads a caller's RTP socket; onset(t0) waits for the first packet
    after t0 loud enough to be the tone, and returns its arrival."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(0.2)
        self.loud = []  # arrival times of loud packets
        self.lock = threading.Lock()
        self.quit = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.quit:
            try:
                data = self.sock.recv(2048)
            except (socket.timeout, OSError):
                continue
            now = time.monotonic()
            if len(data) > 12 and rms(data[12:]) > 2000:  # tone: ~7000
                with self.lock:
                    self.loud.append(now)

    def onset(self, t0, timeout=2.0):
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            with self.lock:
                after = [t for t in self.loud if t >= t0]
            if after:
                return after[0]
            time.sleep(0.01)
        return None

    def stop(self):
        self.quit = True
        self.thread.join(timeout=1)


def join(d, user, confid):
    s = RawSip(d, user)
    st, _ = s.invite(NUMBER, timeout=15)
    if st != 200:
        raise SystemExit("bench cluster: INVITE of %s: %d" % (user, st))
    s.start_media()
    time.sleep(0.3)
    s.keys(confid + "#")
    time.sleep(0.3)
    s.keys("#")
    return s


def layout(nodes, n, onsets, seconds, confid):
    """n callers over nodes (the first node gets the first caller, so it
    is the home); returns (CPU s per participant per s, median delay)."""
    callers = []
    try:
        callers.append(join(nodes[0], "+1555200%04d" % 0, confid))
        time.sleep(1.0)  # the home is claimed by the first
        for i in range(1, n):
            d = nodes[i % len(nodes)]
            callers.append(join(d, "+1555200%04d" % i, confid))
        time.sleep(4.0)  # prompts over, everyone in
        for d in nodes:
            ins = [c for c in harness_calls(d)
                   if c["state"] == "in-conference"]
            print("# %s: %d callers in the conference" % (d.sip_port,
                                                          len(ins)))
        pids = [d.proc.pid for d in nodes]
        c0 = sum(cpu_seconds(p) for p in pids)
        t0 = time.monotonic()
        time.sleep(seconds)
        cpu = (sum(cpu_seconds(p) for p in pids) - c0) / \
            (time.monotonic() - t0) / n
        # Listener: caller 0 (on the home). Speakers: SPEAKERS callers of
        # the last node (bridged, with two nodes), each its own stream:
        # where a stream's frames fall between the mixer's 20 ms ticks is
        # fixed for the stream and costs it 0-20 ms, so several speakers
        # average that out; each speaker's median counts once.
        others = [c for i, c in enumerate(callers)
                  if i and i % len(nodes) == len(nodes) - 1]
        listener = Listener(callers[0].rtp)
        medians, k = [], 0
        for speaker in others[:SPEAKERS]:
            delays = []
            for _ in range(onsets):
                speaker.media.tone(None)
                time.sleep(0.5)
                sent = speaker.media.sent
                speaker.media.tone(TONE_HZ)
                while speaker.media.sent == sent:  # the tone's 1st packet
                    time.sleep(0.0005)
                t = time.monotonic()
                got = listener.onset(t - 0.02)
                if got is not None:
                    delays.append((got - t) * 1000)
                time.sleep(0.5)
            speaker.media.tone(None)
            if delays:
                medians.append(statistics.median(delays))
                k += len(delays)
        listener.stop()
        if not medians:
            raise SystemExit("bench cluster: the listener never heard the "
                             "speakers")
        return cpu, statistics.mean(medians), k
    finally:
        for c in callers:
            try:
                c.bye()
            except Exception:  # noqa: BLE001 - a bench cleans up anyway
                pass
            c.close()


def harness_calls(d):
    return d.ok("GET", "/api/v1/calls")["calls"]


def settings(d):
    d.ok("PATCH", "/api/v1/settings",
         {"allowPstnUsersToBypassLobby": True,
          "enableEntryExitNotifications": False,
          "dialinMaxCallsPerSource": 1000, "dialinCallRatePerSource": 1000})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dialconf")
    ap.add_argument("--callers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--onsets", type=int, default=4)
    args = ap.parse_args()
    harness.DIALCONF = os.path.abspath(args.dialconf)
    os.environ["DIALCONF_BIN"] = harness.DIALCONF
    pgdir = None
    if not os.environ.get("DIALCONF_TEST_PG_URL"):
        pgdir = tempfile.mkdtemp(prefix="bench-cluster-pg-")
        os.rmdir(pgdir)
        p = subprocess.run([os.path.join(ROOT, "scripts",
                                         "pg-test-server.sh"),
                            "start", pgdir], capture_output=True, text=True)
        if p.returncode:
            raise SystemExit("bench cluster: no PostgreSQL: %s" % p.stderr)
        os.environ["DIALCONF_TEST_PG_URL"] = p.stdout.strip()
    results = {}
    try:
        for name, count in (("one node", 1), ("two nodes", 2)):
            pg = harness.PgDatabase()
            nodes = []
            try:
                for _ in range(count):
                    nodes.append(harness.Daemon(
                        ["--log-level", "info"], db=pg.url).start())
                o = org(nodes[0])
                settings(nodes[0])
                cpu, delay, k = layout(nodes, args.callers, args.onsets,
                                       args.seconds, o["id"])
                results[name] = (cpu, delay)
                print("%s: cpu per participant: %.2f ms/s" % (
                    name, cpu * 1000))
                print("%s: mouth-to-ear delay: %.1f ms (%d onsets)" % (
                    name, delay, k))
            finally:
                for d in nodes:
                    d.close(check=False)
                pg.drop()
    finally:
        if pgdir:
            subprocess.run([os.path.join(ROOT, "scripts",
                                         "pg-test-server.sh"), "stop",
                            pgdir], capture_output=True)
    one, two = results["one node"], results["two nodes"]
    print("hop delay added: %.1f ms" % (two[1] - one[1]))
    print("cpu ratio (one node / two nodes): %.2f" % (one[0] / two[0]))
    print("ratio: %.2f" % (one[1] / two[1]))


if __name__ == "__main__":
    main()
