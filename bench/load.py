#!/usr/bin/python3
"""bench load (issue 18): how many callers one node holds with real calls,
against the machine's own limit for moving the same media.

    /usr/bin/python3 bench/load.py PATH/TO/dialconf [--quick]
        [--steps 200,400,...] [--hold S] [--rates 50,100,...]
        [--setup-hold S] [--setup-calls N]            (bench/run load)

1. dialconf (the release build, `serve --demo`: dial-in number
   +14255550100, default log level) with one conference per 10 callers:
   meetings of a demo user made through the API with the token the harness
   creates, each with its own conference ID. Settings through PATCH
   /api/v1/settings: callers bypass the lobby (so '#' at "If you are the
   organizer, press star" joins at once), no entry and exit tones, and the
   per-source and per-node call limits raised out of the way. All the load
   comes from one address (127.0.0.1) and one SIPp process per step: the
   abuse guard's limits (10 calls and 5 new calls a second per source, 2 000
   per node) protect a node from one hostile source and are not what this
   measures; raising them through the API keeps the generator simple and
   leaves the guard's own code path (lookup, count) in every call.
2. Ramp: for each step (concurrent callers), a new SIPp process
   (bench/sipp/load.xml) adds the new callers at a fixed rate: INVITE, keys
   the conference ID and '#' as SIP INFO, '#' again to join, and holds
   until stopped. Their media comes from `reflector push` (bench/reflector.c,
   one process per step): one socket streaming PCMU every 20 ms for every
   caller of the step, each from an address of its own (127.64.x.y, named
   in that caller's SDP offer through SIPp's injection file). SIPp's
   rtp_stream (a socket and a sendto per call) was the wall before the node
   was: the generator must not be what breaks. In some of the new conferences one of the ten is a receiver of
   our own (this process: a small UAC and an RTP socket with kernel
   receive timestamps, SO_TIMESTAMPNS, so this loop's own delays do not
   count). When /metrics shows every caller in-conference, the receivers
   record for --hold seconds: a 20 ms frame is bad when it never came or
   came more than 10 ms behind its schedule (its sequence number times
   20 ms after the earliest frame's arrival, the schedule following the
   lower envelope of arrivals so a clock rate difference does not count).
   A step holds quality when bad frames <= 0.1 % and <= 0.1 % of the
   callers failed to get in. Beside each window, `reflector probe` (a
   thread that wakes every millisecond and does nothing else, one pinned
   to each core: a virtual CPU the hypervisor stops holds up only what
   waits on it) counts its wakeups more than 10 ms late ("probe > 10 ms
   late" in the step line, both cores together). With --rt it runs one
   priority above the media thread, so nothing on the machine but the
   kernel and the hypervisor can hold it up: a tick
   every receiver got late while the probe was late too is the machine's
   stall, for the node and the reflector alike. At --rt 0 it runs at
   nice --nice and waits for a core as the media thread does: it then
   shows how contended the CPU was. A window that breaks while a probe
   was more than 10 ms late is recorded once more (the step line says
   so), for both sides alike: one stall of the machine in a 20 s window is
   already 0.1 %, and the second window decides.
   CPU: the daemon's utime+stime from /proc over the window.
   Priorities, the same for both sides: the node's media thread (serve
   --media-priority), the reflector and the pushers run SCHED_FIFO at
   --rt (10 by default; 0: off), as a production audio server's media
   thread does (Asterisk -p, FreeSWITCH -rp); SIPp and the rest of the
   node at nice --nice (-10). Why: a receiver's SO_TIMESTAMPNS on loopback
   is stamped when the sender's system call hands the packet to the
   loopback device (net.core.netdev_tstamp_prequeue=1), so a late frame is
   one the node (or the reflector) sent late, and ksoftirqd hardly ran
   (the receive path runs in the sender's system call: no softnet drops
   or squeezes, ksoftirqd under 0.1 % of a core at 2 000 callers). What made
   frames late was the media thread waiting for a core: at nice -10, two
   busy loops at nice 0 beside a step of 2 000 made 25-97 % of frames
   late (the clock fell seconds behind); SCHED_FIFO 10: none. On a machine
   shared with builds and tests the figure was other work's, not the
   node's. Refused (not root, no CAP_SYS_NICE), both run as they are and
   the first line says so.
3. Baseline, same steps and same receivers: bench/reflector.c, one thread
   and the node's sockets (one UDP socket for every caller, recvmmsg, the
   callers told apart by address, each sent a 172-byte packet every 20 ms
   with sendmmsg: what the node does with media, without SIP or mixing),
   loaded by the same `reflector push`.
4. Call setup rate: bench/sipp/setup.xml (INVITE, ACK, hold, BYE; no media)
   at each of --rates calls/s for --setup-calls calls; the highest rate
   with <= 0.1 % failed calls.
Ends with `ratio: dialconf callers / reflector callers`.
BENCH_DEBUG=1 prints each receiver's lateness above its schedule (p50,
p99, p99.9, max): a constant offset (its place in the tick's sendmmsg)
does not count, its variation does.
"""

import argparse
import os
import random
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

NUMBER = "+14255550100"     # the demo organization's toll number
CONF_SIZE = 10
FRAME_NS = 20_000_000
LATE_NS = 10_000_000
BAD_SHARE = 0.001           # 0.1 %
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
RECEIVERS_PER_STEP = 20     # new conferences with one of our receivers
REFLECTOR_ADDR = "127.0.2.1"  # a loopback address nobody else binds
REFLECTOR_PORT = 20000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def renice(pid, nice):
    """Every thread of pid to nice (Linux: nice is per thread); False when
    not allowed (a negative nice needs root or CAP_SYS_NICE)."""
    if not nice:
        return True
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        return True
    except (OSError, PermissionError):
        return False


def realtime(pid, prio):
    """pid (one thread: the reflector, a pusher) to SCHED_FIFO prio, as the
    node's --media-priority does its media thread; False when refused."""
    if not prio:
        return True
    try:
        os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(prio))
        return True
    except (OSError, PermissionError):
        return False


def probe_result(p):
    """`reflector probe`'s (wakeups > 10 ms late, the latest in ms)."""
    try:
        out = p.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        out = p.communicate()[0]
    m = re.search(r"late10 (\d+) max_us (\d+)", out or "")
    return (int(m.group(1)), int(m.group(2)) / 1000) if m else None


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class Receiver:
    """One caller of our own that listens: it joins like a SIPp caller (or,
    for the reflector, just latches a socket) and timestamps what it gets."""

    def __init__(self, bench, n, target, confid=None):
        self.b = bench
        self.n = n
        self.confid = confid
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.rtp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp_to = target      # where our keepalive RTP goes
        self.frames = []          # (seq, arrival ns) while recording
        self.seq = random.randrange(65536)
        self.next_keepalive = 0.0
        self.state = "media" if confid is None else "inviting"
        self.error = None
        self.sip = None
        bench.sel.register(self.rtp, selectors.EVENT_READ, (self, "rtp"))
        if confid is not None:
            self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sip.bind(("127.0.0.1", 0))
            bench.sel.register(self.sip, selectors.EVENT_READ, (self, "sip"))
            self.tag = "%x" % random.getrandbits(32)
            self.callid = "%x-%d@load" % (random.getrandbits(64), n)
            self.cseq = 1
            self.to_tag = None
            self.contact = None
            self.keys = list(confid) + ["#", "#"]
            self.uri = "sip:%s@127.0.0.1:%d" % (NUMBER, bench.sip_port)
            self.invite()

    # -- SIP (the same dialogue as bench/sipp/load.xml) --------------------

    def send(self, head, body=""):
        msg = (head.replace("\n", "\r\n") + "\r\n" + body).encode()
        self.sip.sendto(msg, ("127.0.0.1", self.b.sip_port))

    def head(self, method, uri, cseq=None):
        port = self.sip.getsockname()[1]
        to = "<%s>" % self.uri + (";tag=" + self.to_tag if self.to_tag else "")
        return ("%s %s SIP/2.0\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport\n"
                "Max-Forwards: 70\n"
                "From: <sip:+1666%07d@127.0.0.1:%d>;tag=%s\n"
                "To: %s\nCall-ID: %s\nCSeq: %d %s\n"
                "Contact: <sip:rx@127.0.0.1:%d>\n"
                % (method, uri, port, random.getrandbits(48), self.n, port,
                   self.tag, to, self.callid, cseq or self.cseq, method,
                   port))

    def invite(self):
        sdp = ("v=0\no=- %d 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\n"
               "t=0 0\nm=audio %d RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\n"
               "a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\n"
               "a=ptime:20\na=sendrecv\n"
               % (self.n, self.rtp.getsockname()[1])).replace("\n", "\r\n")
        self.send(self.head("INVITE", self.uri) +
                  "Content-Type: application/sdp\nContent-Length: %d\n"
                  % len(sdp), sdp)
        self.sent_at = time.monotonic()

    def next_key(self):
        if not self.keys:
            self.state = "media"
            return
        body = "Signal=%s\r\nDuration=100\r\n" % self.keys.pop(0)
        self.cseq += 1
        self.send(self.head("INFO", self.contact) +
                  "Content-Type: application/dtmf-relay\n"
                  "Content-Length: %d\n" % len(body), body)

    def on_sip(self):
        data = self.sip.recv(65536).decode("utf-8", "replace")
        head, _, body = data.partition("\r\n\r\n")
        lines = head.split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs.setdefault(k.strip().lower(), v.strip())
        if not lines[0].startswith("SIP/2.0"):  # a request: answer 200
            self.sip.sendto(("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\n"
                             "To: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                             "Content-Length: 0\r\n\r\n"
                             % (hdrs.get("via", ""), hdrs.get("from", ""),
                                hdrs.get("to", ""), hdrs.get("call-id", ""),
                                hdrs.get("cseq", ""))).encode(),
                            ("127.0.0.1", self.b.sip_port))
            if lines[0].startswith("BYE"):
                self.fail("hung up by the daemon")
            return
        status = int(lines[0].split()[1])
        method = hdrs.get("cseq", " ").split()[-1]
        if status < 200:
            return
        if method == "INVITE":
            if status != 200:
                return self.fail("INVITE answered %d" % status)
            if self.state != "inviting":
                return
            m = re.search(r";tag=([^;>\s]+)", hdrs.get("to", ""))
            self.to_tag = m.group(1) if m else None
            m = re.search(r"<([^>]+)>", hdrs.get("contact", ""))
            self.contact = m.group(1) if m else self.uri
            m = re.search(r"m=audio (\d+)", body)
            c = re.search(r"c=IN IP4 ([0-9.]+)", body)
            self.rtp_to = (c.group(1) if c else "127.0.0.1", int(m.group(1)))
            self.send(self.head("ACK", self.contact, cseq=1) +
                      "Content-Length: 0\n")
            self.state = "keys"
            self.next_key()
        elif method == "INFO":
            if status != 200:
                return self.fail("INFO answered %d" % status)
            self.next_key()

    def fail(self, why):
        if self.error is None:
            self.error = why
        self.state = "failed"

    def bye(self):
        if self.sip is not None and self.contact:
            self.cseq += 1
            self.send(self.head("BYE", self.contact) + "Content-Length: 0\n")

    # -- RTP ---------------------------------------------------------------

    def keepalive(self, now):
        """One packet a second, so the node (or the reflector) knows us and
        the RTP timeout never fires; the load is the SIPp callers'."""
        if self.rtp_to is None or now < self.next_keepalive:
            return
        self.next_keepalive = now + 1.0
        self.seq = (self.seq + 1) & 0xFFFF
        pkt = struct.pack("!BBHII", 0x80, 0, self.seq, self.seq * 160,
                          0x10000 + self.n) + b"\xff" * 160
        try:
            self.rtp.sendto(pkt, self.rtp_to)
        except OSError:
            pass

    def on_rtp(self):
        for _ in range(64):  # all that is queued, a bounded amount at once
            try:
                data, anc, _, _ = self.rtp.recvmsg(2048, 64,
                                                   socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            if not self.b.recording or len(data) < 12 or data[1] & 0x7F:
                continue
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", raw[:16])
                    self.frames.append((struct.unpack("!H", data[2:4])[0],
                                        sec * 1_000_000_000 + nsec))

    def quality(self):
        """(expected frames, late frames, lost frames) of what was
        recorded."""
        f = self.frames
        if len(f) < 2:
            return (self.b.hold_frames, 0, self.b.hold_frames)
        first = f[0][0]
        idx = []
        unwrapped = 0
        prev = first
        for seq, t in f:
            d = (seq - prev) & 0xFFFF
            if d >= 0x8000:
                d -= 0x10000
            unwrapped += d
            prev = seq
            idx.append((unwrapped, t))
        offs = [t - i * FRAME_NS for i, t in idx]
        # The schedule: the lower envelope of arrivals, a line through the
        # earliest of the first and of the last fifth.
        k = max(1, len(offs) // 5)
        a = min(range(k), key=lambda j: offs[j])
        z = min(range(len(offs) - k, len(offs)), key=lambda j: offs[j])
        ia, iz = idx[a][0], idx[z][0]
        slope = (offs[z] - offs[a]) / (iz - ia) if iz != ia else 0.0
        late = sum(1 for (i, _), o in zip(idx, offs)
                   if o - (offs[a] + slope * (i - ia)) > LATE_NS)
        if os.environ.get("BENCH_DEBUG"):
            ex = sorted(o - (offs[a] + slope * (i - ia))
                        for (i, _), o in zip(idx, offs))
            q = lambda p: ex[min(len(ex) - 1, int(p * len(ex)))] / 1e6
            print("#   rx %d: late %d p50 %.2f p99 %.2f p999 %.2f max %.2f ms"
                  % (self.n, late, q(.5), q(.99), q(.999), ex[-1] / 1e6))
        seen = {i for i, _ in idx}
        expected = max(seen) - min(seen) + 1
        return (expected, late, expected - len(seen))

    def close(self):
        for s in (self.rtp, self.sip):
            if s is None:
                continue
            try:
                self.b.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()


class Ramp:
    """The steps of one target (dialconf or the reflector)."""

    def __init__(self, args, name, pid):
        self.args = args
        self.name = name
        self.pid = pid
        self.sel = selectors.DefaultSelector()
        self.receivers = []
        self.procs = []
        self.recording = False
        self.hold_frames = int(args.hold * 50)
        self.level = 0
        self.pushed = 0           # callers streamed by reflector push
        self.sip_port = None

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if now >= end:
                return
            for key, _ in self.sel.select(timeout=min(0.01, end - now)):
                r, what = key.data
                try:
                    r.on_sip() if what == "sip" else r.on_rtp()
                except (OSError, ValueError, IndexError) as e:
                    r.fail("%s: %r" % (what, e))
            for r in self.receivers:
                r.keepalive(now)

    def clock(self):
        """The node's own media clock histogram, or None."""
        return None

    def clock_late(self, before):
        """", clock frames >10 ms late N of M" over the window, or ""."""
        after = self.clock()
        if before is None or after is None:
            return ""
        n = after[1] - before[1]
        return ", clock frames >10 ms late %d of %d" % (
            (n - (after[0] - before[0])), n)

    def record(self):
        for r in self.receivers:
            r.frames = []
        gens = [p.pid for p in self.procs if p.pid != self.pid]
        cpu0, t0 = cpu_seconds(self.pid), time.monotonic()
        gen0 = sum(cpu_seconds(g) for g in gens)
        # One probe on each core (a stalled virtual CPU holds up only
        # what waits on it), just above the media thread (SCHED_FIFO
        # threads of one priority wait for each other): only the kernel
        # and the hypervisor can hold them up. At --rt 0, at the media
        # thread's nice.
        probes = []
        for cpu in sorted(os.sched_getaffinity(0)):
            p = subprocess.Popen([self.exe, "probe",
                                  str(max(1, int(self.args.hold)))],
                                 stdout=subprocess.PIPE, text=True)
            os.sched_setaffinity(p.pid, {cpu})
            renice(p.pid, self.args.nice)
            realtime(p.pid, self.args.rt and self.args.rt + 1)
            probes.append(p)
        self.recording = True
        self.pump(self.args.hold)
        self.recording = False
        took = time.monotonic() - t0
        got = [probe_result(p) for p in probes]
        got = [g for g in got if g]
        self.stalls = (sum(g[0] for g in got), max(g[1] for g in got)) \
            if got else None
        cpu = (cpu_seconds(self.pid) - cpu0) / took
        self.gen_cpu = (sum(cpu_seconds(g) for g in gens) - gen0) / took
        expected = late = lost = 0
        for r in self.receivers:
            e, la, lo = r.quality()
            expected += e
            late += la
            lost += lo
        return expected, late, lost, cpu

    def run(self):
        best = None
        for target in self.args.steps:
            new = target - self.level
            if new < CONF_SIZE:
                continue
            confs = new // CONF_SIZE
            t0 = time.monotonic()
            got = self.add(confs)
            self.level += confs * CONF_SIZE
            took = time.monotonic() - t0
            for window in (1, 2):
                clock0 = self.clock()
                expected, late, lost, cpu = self.record()
                clock = self.clock_late(clock0)
                bad = late + lost
                failed = [r for r in self.receivers if r.state != "media"]
                share = bad / expected if expected else 1.0
                fds = fd_count(self.pid)
                missing = self.level - got  # calls that never got in
                holds = missing <= BAD_SHARE * self.level and \
                    share <= BAD_SHARE and not failed
                # A window in which the probes saw the machine itself stop
                # for more than 10 ms (a virtual CPU held by the
                # hypervisor: both sides alike) is recorded once more.
                if holds or window == 2 or not self.stalls or \
                        not self.stalls[0]:
                    break
                print("# %s step %d callers: %.3f %% bad while the machine "
                      "stalled (probe > 10 ms late %d, longest %.1f ms): "
                      "recorded once more" % (self.name, self.level,
                                              100 * share, *self.stalls),
                      flush=True)
            print("# %s step %d callers: in %d (%.1f s), frames %d bad %d "
                  "(%.3f %%: %d late, %d lost)%s, cpu %.1f %% of a core, "
                  "load generator %.0f %%, fds %d, probe > 10 ms late "
                  "%s%s"
                  % (self.name, self.level, got, took, expected, bad,
                     100 * share, late, lost, clock, 100 * cpu,
                     100 * self.gen_cpu, fds,
                     "%d (longest %.1f ms)" % self.stalls if self.stalls
                     else "?", "" if holds else "  <- quality broke"),
                  flush=True)
            for r in failed[:3]:
                print("#   receiver %d: %s" % (r.n, r.error or r.state))
            if holds and (best is None or not best[3]):
                best = (self.level, cpu, fds, False)
            elif not holds and best is not None:
                best = best[:3] + (True,)  # the last good step stays
            if not holds and not self.args.keep_going:
                break
        return best

    def stop(self):
        for r in self.receivers:
            r.bye()
            r.close()
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class NodeRamp(Ramp):
    def __init__(self, args, d, users, work, exe):
        super().__init__(args, "dialconf", d.proc.pid)
        self.d = d
        self.exe = exe
        m = re.search(r"event=listening .*rtp=(\d+)", d.log_text())
        if not m:
            sys.exit("bench load: the node did not log its RTP port")
        self.rtp_port = int(m.group(1))
        self.users = users
        self.work = work
        self.sip_port = d.sip_port
        self.next_user = 0

    def clock(self):
        """(frames sent <= 10 ms late, all frames) from /metrics."""
        self.d.api("GET", "/metrics")
        text = self.d.last_raw.decode() if isinstance(
            self.d.last_raw, bytes) else self.d.last_raw
        le10 = re.search(r'dialconf_media_clock_lateness_seconds_bucket'
                         r'\{le="0.010"\} (\d+)', text)
        count = re.search(r'dialconf_media_clock_lateness_seconds_count '
                          r'(\d+)', text)
        if not le10 or not count:
            return None
        return (int(le10.group(1)), int(count.group(1)))

    def in_conference(self):
        status, _, _ = self.d.api("GET", "/metrics")
        m = re.search(r'dialconf_calls_active\{state="in-conference"\} (\d+)',
                      self.d.last_raw.decode()
                      if isinstance(self.d.last_raw, bytes)
                      else self.d.last_raw)
        return int(m.group(1)) if m else 0

    def add(self, confs):
        ids = self.users[self.next_user:self.next_user + confs]
        if len(ids) < confs:
            sys.exit("bench load: not enough conferences for %d" % confs)
        self.next_user += confs
        with_rx = set(random.sample(range(confs),
                                    min(confs, RECEIVERS_PER_STEP)))
        csv = os.path.join(self.work, "ids-%d.csv" % self.level)
        count = confs * CONF_SIZE - len(with_rx)
        first, port = start_pusher(self, self.exe, "127.0.0.1",
                                   self.rtp_port, count)
        n = 0
        with open(csv, "w") as f:
            f.write("SEQUENTIAL\n")
            for k, confid in enumerate(ids):
                for _ in range(CONF_SIZE - (k in with_rx)):
                    f.write(";".join(list(confid) +
                                     [pusher_ip(first + n), str(port)])
                            + ";\n")
                    n += 1
        rate = self.args.rate
        sipp = subprocess.Popen(
            ["sipp", "127.0.0.1:%d" % self.d.sip_port, "-sf",
             os.path.join(HERE, "sipp", "load.xml"), "-inf", csv,
             "-s", NUMBER, "-i", "127.0.0.1", "-mi", "127.0.0.1",
             "-p", str(harness.free_sip_port()), "-m", str(count),
             "-l", str(count), "-r", str(rate), "-d", "36000000",
             "-max_socket", "65000", "-buff_size", "4194304", "-trace_err",
             # A late answer's retransmission (the 200 of an INFO SIPp
             # sent again) is no reason to drop the caller.
             "-default_behaviors", "all,-abortunexp",
             "-error_file", os.path.join(self.work, "err-%d.log" % self.level),
             "-nostdin"] + os.environ.get("BENCH_SIPP_ARGS", "").split(),
            cwd=self.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.procs.append(sipp)
        renice(sipp.pid, self.args.nice)
        for k in sorted(with_rx):
            self.receivers.append(Receiver(self, len(self.receivers) + 1,
                                           None, ids[k]))
        want = self.level + confs * CONF_SIZE
        deadline = time.monotonic() + count / rate + 30
        got = 0
        while time.monotonic() < deadline:
            self.pump(0.5)
            got = self.in_conference()
            if got >= want:
                break
        self.pump(1.0)  # let the last joins settle
        return got


class ReflectorRamp(Ramp):
    def __init__(self, args, exe):
        self.exe = exe
        callers = max(args.steps) + CONF_SIZE
        self.server = subprocess.Popen(
            [exe, "serve", REFLECTOR_ADDR, str(REFLECTOR_PORT),
             str(callers)], stdout=subprocess.PIPE)
        line = self.server.stdout.readline()
        if line.strip() != b"ready":
            sys.exit("bench load: the reflector did not start")
        super().__init__(args, "reflector", self.server.pid)
        niced = renice(self.server.pid, args.nice)
        rt = realtime(self.server.pid, args.rt)
        print("# reflector pid %d, nice %s, %s" % (
            self.server.pid, args.nice if niced else "0 (not allowed)",
            "SCHED_FIFO %d" % args.rt if args.rt and rt else
            "normal (--rt 0)" if not args.rt else
            "normal (SCHED_FIFO not allowed)"), flush=True)
        self.procs.append(self.server)

    def add(self, confs):
        rx = min(confs, RECEIVERS_PER_STEP)
        for _ in range(rx):
            self.receivers.append(Receiver(
                self, len(self.receivers) + 1,
                (REFLECTOR_ADDR, REFLECTOR_PORT)))
        start_pusher(self, self.exe, REFLECTOR_ADDR, REFLECTOR_PORT,
                     confs * CONF_SIZE - rx)
        self.pump(2.0)  # the receivers' first keepalive latches them
        return self.level + confs * CONF_SIZE


def pusher_ip(i):
    """The media address of pushed caller i (bench/reflector.c push)."""
    return socket.inet_ntoa(struct.pack("!I", 0x7F400000 + i + 1))


def start_pusher(ramp, exe, addr, port, count):
    """`reflector push` for count new callers of ramp, streaming to
    addr:port; (the first caller's index, the pusher's port)."""
    first = ramp.pushed
    ramp.pushed += count
    p = subprocess.Popen([exe, "push", addr, str(port), str(first),
                          str(count)], stdout=subprocess.PIPE)
    ramp.procs.append(p)
    line = p.stdout.readline().split()
    if len(line) != 2 or line[0] != b"port":
        sys.exit("bench load: the pusher did not start")
    renice(p.pid, ramp.args.nice)
    realtime(p.pid, ramp.args.rt)
    return first, int(line[1])


def setup_rate(args, d, work):
    """The highest of args.rates at which <= 0.1 % of calls fail."""
    best = None
    for rate in args.rates:
        calls = max(args.setup_calls, rate * 4)
        stat = os.path.join(work, "setup-%d" % rate)
        os.makedirs(stat, exist_ok=True)
        p = subprocess.run(
            ["sipp", "127.0.0.1:%d" % d.sip_port, "-sf",
             os.path.join(HERE, "sipp", "setup.xml"), "-s", NUMBER,
             "-i", "127.0.0.1", "-p", str(harness.free_sip_port()),
             "-m", str(calls), "-r", str(rate), "-d",
             str(int(args.setup_hold * 1000)), "-max_socket", "65000",
             "-buff_size", "4194304",
             "-timeout", str(int(calls / rate + 60)), "-timeout_error",
             "-trace_stat", "-stf", os.path.join(stat, "stat.csv"),
             "-nostdin"],
            cwd=stat, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        ok, failed = sipp_counts(os.path.join(stat, "stat.csv"))
        share = failed / max(1, ok + failed)
        print("# setup %d calls/s: %d calls, %d ok, %d failed (%.2f %%)%s"
              % (rate, calls, ok, failed, 100 * share,
                 "" if p.returncode in (0, 1) else
                 " sipp exit %d" % p.returncode), flush=True)
        if share > BAD_SHARE or ok + failed < calls:
            break
        best = rate
        time.sleep(args.setup_hold + 1)  # the last calls end
    return best


def sipp_counts(path):
    """(successful, failed) calls from the last line of SIPp's -trace_stat."""
    try:
        with open(path) as f:
            lines = [ln.rstrip("\n").split(";") for ln in f if ln.strip()]
    except OSError:
        return (0, 0)
    if len(lines) < 2:
        return (0, 0)
    head, last = lines[0], lines[-1]
    col = {name: i for i, name in enumerate(head)}
    return (int(last[col["SuccessfulCall(C)"]]),
            int(last[col["FailedCall(C)"]]))


def conferences(d, count):
    """count conference IDs: meetings of a demo user, on now (a meeting is
    one POST; a user would also hash a PIN), automatic emails off."""
    d.ok("PATCH", "/api/v1/settings",
         {"automaticallySendEmailsToUsers": False})
    organizer = next(u["id"] for u in d.all_users()
                     if u["audioConferencing"].get("enabled"))
    now = time.time()
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 600))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 86400))
    ids = []
    for i in range(count):
        m = d.ok("POST", "/api/v1/meetings",
                 {"organizer": organizer, "subject": "Load %d" % i,
                  "start": start, "end": end}, expect=(201,))
        ids.append(m["conferenceId"])
    return ids


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run load")
    ap.add_argument("dialconf")
    ap.add_argument("--quick", action="store_true",
                    help="small steps and short holds (about 2 minutes)")
    ap.add_argument("--steps", help="concurrent callers, comma-separated")
    ap.add_argument("--hold", type=float, help="seconds recorded per step")
    ap.add_argument("--rate", type=int, help="new calls/s while ramping")
    ap.add_argument("--rates", help="call setup rates, comma-separated")
    ap.add_argument("--setup-calls", type=int, default=0)
    ap.add_argument("--setup-hold", type=float, default=2.0)
    ap.add_argument("--nice", type=int, default=-10,
                    help="the node's and the reflector's nice (the same "
                    "for both, so other work on the machine decides less; "
                    "0 leaves them as they are)")
    ap.add_argument("--rt", type=int, default=10,
                    help="SCHED_FIFO priority of the node's media thread "
                    "(serve --media-priority), of the reflector and of the "
                    "pushers: the same for both sides; 0: off")
    ap.add_argument("--keep-going", action="store_true",
                    help="take every step, even after quality broke")
    ap.add_argument("--skip", default="",
                    help="parts left out: node,setup,reflector")
    a = ap.parse_args(argv)
    if a.quick:
        a.steps = a.steps or "100,300,600"
        a.hold = a.hold or 5.0
        a.rates = a.rates or "50,100"
        a.setup_calls = a.setup_calls or 200
    a.steps = [int(x) for x in
               (a.steps or "250,500,750,1000,1250,1500,2000,2500,3000,"
                "4000,5000,6000,8000,10000").split(",")]
    # 20 s is 1000 ticks: one stall that makes every receiver's frame late
    # at once is 0.1 % (still holds), two are not.
    a.hold = a.hold or 20.0
    a.rate = a.rate or 100
    a.rates = [int(x) for x in
               (a.rates or "100,200,400,800,1200,1600,2400").split(",")]
    a.setup_calls = a.setup_calls or 1000
    return a


def main():
    args = parse_args(sys.argv[1:])
    harness.DIALCONF = os.path.abspath(args.dialconf)
    for tool in ("sipp",):
        if not shutil.which(tool):
            sys.exit("bench load: no %s (scripts/deps.sh installs "
                     "sip-tester)" % tool)
    reflector = os.path.join(os.path.dirname(harness.DIALCONF), "bench",
                             "reflector")
    random.seed(18)
    work = tempfile.mkdtemp(prefix="dialconf-bench-load-")
    confs = max(args.steps) // CONF_SIZE + 1

    class Node(harness.Daemon):
        def serve_argv(self):  # room for every caller's RTP port
            argv = super().serve_argv()
            i = argv.index("--rtp-ports")
            argv[i + 1] = "30000-59999"
            return argv + ["--media-priority", str(args.rt)]

    d = Node(["--demo", "--prompts", os.path.join(ROOT, "prompts"),
              "--log-level", os.environ.get("BENCH_LOG_LEVEL", "info")])
    try:
        d.start()
        d.ok("PATCH", "/api/v1/settings",
             {"allowPstnUsersToBypassLobby": True,
              "enableEntryExitNotifications": False,
              "dialinMaxCallsPerSource": 100000,
              "dialinCallRatePerSource": 100000,
              "dialinMaxCallsPerNode": 100000,
              "dialinFailureLimit": 100})
        time.sleep(2)  # the SIP thread reads the limits once a second
        users = conferences(d, confs)
        fds0 = fd_count(d.proc.pid)
        niced = renice(d.proc.pid, args.nice)
        m = re.search(r"max_fds=(\d+)", d.log_text())
        rt = re.search(r"event=media-realtime policy=fifo priority=(\d+)",
                       d.log_text())
        print("# dialconf pid %d, %d descriptors idle, max_fds=%s, nice %s, "
              "media thread %s"
              % (d.proc.pid, fds0, m.group(1) if m else "?",
                 args.nice if niced else "0 (not allowed)",
                 "SCHED_FIFO %s" % rt.group(1) if rt else
                 "normal (--rt 0)" if not args.rt else
                 "normal (SCHED_FIFO not allowed)"), flush=True)
        node_best = rate_ok = None
        if "node" not in args.skip:
            node = NodeRamp(args, d, users, work, reflector)
            try:
                node_best = node.run()
            finally:
                node.stop()
            time.sleep(1)
        if "setup" not in args.skip:
            rate_ok = setup_rate(args, d, work)
        if d.crashed():
            sys.exit("bench load: the daemon died\n" + d.log_tail())
    finally:
        d.close(check=False)

    refl_best = None
    if "reflector" not in args.skip:
        refl = ReflectorRamp(args, reflector)
        try:
            refl_best = refl.run()
        finally:
            refl.stop()
    if os.environ.get("BENCH_KEEP"):
        print("# kept %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)

    top = max(args.steps)
    n_callers = node_best[0] if node_best else 0
    r_callers = refl_best[0] if refl_best else 0
    print("dialconf_callers: %d callers%s" % (
        n_callers, " (the last step; more may hold)" if n_callers == top
        else ""))
    if node_best:
        print("dialconf_cpu_per_caller: %.4f %% of a core"
              % (100 * node_best[1] / node_best[0]))
        print("dialconf_fds_per_caller: %.2f fds"
              % ((node_best[2] - fds0) / node_best[0]))
    print("reflector_callers: %d callers%s" % (
        r_callers, " (the last step; more may hold)" if r_callers == top
        else ""))
    if refl_best:
        print("reflector_cpu_per_caller: %.4f %% of a core"
              % (100 * refl_best[1] / refl_best[0]))
    print("setup_rate: %s calls/s (<= 0.1 %% failed)" % (rate_ok or 0))
    print("ratio: %.2f" % (n_callers / r_callers if r_callers else 0.0))


if __name__ == "__main__":
    main()
