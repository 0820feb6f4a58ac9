#!/usr/bin/python3
"""bench reset on PostgreSQL (SPEC §9, issue 8): conference ID resets per
second through one and through two real `dialconf serve` nodes sharing one
PostgreSQL database, against bare single-row UPDATE transactions on the same
server in the same run.

    bench/run reset --db postgres://USER@HOST:PORT/DB [--users N]
                    [--clients N] [--seconds S] [--client wrk|python]
    /usr/bin/python3 bench/reset_pg.py PATH/TO/dialconf [same options]

--db names a server (its database part is only used to connect): the bench
creates a database of its own there and drops it at the end. Without --db
it starts a throwaway server with scripts/pg-test-server.sh and restarts it
durable (fsync, synchronous_commit and full_page_writes on, as a
production server runs), so that both sides pay a real commit. The server
line of the output shows what the server really ran with.

1. N users (default 400), enabled, created through the API.
2. One node: CLIENTS keep-alive HTTP connections (default 16) POST
   reset-conference-id {"sendEmail":false, "updateInvitations":false} for
   the users in turn, each sending its next request when the answer to the
   last one came, for SECONDS (default 10): resets/s.
3. Two nodes: a second node on the same database, the same CLIENTS
   connections split evenly over both, SECONDS again: resets/s.
4. Bare updates: pgbench on the same database, CLIENTS connections, each
   transaction one `UPDATE users SET display_name = ... WHERE id = :id` of a
   random user (autocommit: one commit each), for SECONDS, run once before
   the resets and once after; the higher rate counts.

Each timed run starts after VACUUM ANALYZE and a CHECKPOINT, so that none
inherits the dead rows or the WAL of the run before it.

Fair comparison: both sides run CLIENTS concurrent closed-loop clients (a
client waits for each answer before it sends again) for the same SECONDS,
against the same server with the same durability, from a load generator
written in C on the same machine: wrk (Debian's wrk, with a Lua script
that builds the requests) for the resets, pgbench for the updates. The
Python client of earlier versions (still there as --client python, and
used when wrk is not installed) costs more CPU than a reset does on the
server side and was itself the ceiling on a 2-core machine.

After the runs the bench checks what the resets did: every answer was 200
(any other stops the bench), the audit holds at least as many resets as
were answered and at most one more per connection (a request in flight when
the clock stopped), every user has exactly one live personal ID, and no
live ID is held twice.

Prints "name: value unit" lines; the last is ratio = two-node resets/s /
bare updates/s (higher is better; the target is >= 0.25).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

RESET = "/api/v1/users/%s/audio-conferencing/reset-conference-id"
BODY = json.dumps({"sendEmail": False, "updateInvitations": False}).encode()


def log(text):
    sys.stderr.write("bench reset: %s\n" % text)
    sys.stderr.flush()


def psql(url, sql):
    return harness.psql(url, sql)


def pg_bindir():
    """The server binaries, chosen as scripts/pg-test-server.sh does."""
    cands = ["/usr/lib/postgresql/15/bin"]
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        vers = sorted(os.listdir(base),
                      key=lambda v: [int(x) for x in re.findall(r"\d+", v)],
                      reverse=True)
        cands += [os.path.join(base, v, "bin") for v in vers]
    for c in cands:
        if os.access(os.path.join(c, "pg_ctl"), os.X_OK):
            return c
    p = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                       text=True)
    return p.stdout.strip()


def start_server():
    """A throwaway server made durable; returns (url, dir).

    pg-test-server.sh starts its server with fsync, synchronous_commit and
    full_page_writes off on the command line, which no ALTER SYSTEM can
    override, so the server is restarted here without those options (the
    defaults, all on)."""
    d = tempfile.mkdtemp(prefix="dialconf-bench-pg-")
    os.rmdir(d)  # pg-test-server.sh wants a new or empty folder
    p = subprocess.run([os.path.join(ROOT, "scripts", "pg-test-server.sh"),
                        "start", d], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("bench reset: scripts/pg-test-server.sh start: %s"
                         % p.stderr.strip())
    url = p.stdout.strip().splitlines()[-1]
    with open(os.path.join(d, "port")) as f:
        port = f.read().strip()
    cmd = ("'%s/pg_ctl' -D '%s/data' -l '%s/log' -w -t 60 -m fast -o "
           "\"-c listen_addresses=127.0.0.1 -p %s -k '%s' "
           "-c max_connections=200\" restart >/dev/null"
           % (pg_bindir(), d, d, port, d))
    argv = (["su", "postgres", "-s", "/bin/sh", "-c", cmd]
            if os.getuid() == 0 else ["sh", "-c", cmd])
    if subprocess.run(argv).returncode != 0:
        stop_server(d)
        raise SystemExit("bench reset: could not restart the server "
                         "durable")
    return url, d


def stop_server(d):
    subprocess.run([os.path.join(ROOT, "scripts", "pg-test-server.sh"),
                    "stop", d], capture_output=True)


def make_users(node, n, threads):
    def create(i):
        email = "bench%05d@example.org" % i
        node.ok("POST", "/api/v1/users",
                {"email": email, "displayName": "User %d" % i,
                 "audioConferencing": {"enabled": True}, "sendEmail": False},
                expect=(201,))
        return email
    out = [None] * n
    it = iter(range(n))
    lock = threading.Lock()
    errs = []

    def run():
        while not errs:
            with lock:
                i = next(it, None)
            if i is None:
                return
            try:
                out[i] = create(i)
            except Exception as e:  # noqa: BLE001
                errs.append(e)
    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]
    return out


def storm_python(nodes, users, seconds, clients, offset):
    """Resets from clients keep-alive threads spread over nodes for
    seconds; returns (resets/s, answered). Any answer but 200 stops the
    bench."""
    errors = []
    done = [0] * clients
    go = threading.Event()
    stop = [0.0]

    def worker(i):
        node = nodes[i % len(nodes)]
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=60)
        hdrs = {"Authorization": "Bearer " + node.token,
                "Content-Type": "application/json"}
        go.wait()
        k = 0
        try:
            while time.monotonic() < stop[0]:
                who = users[(offset + i + k * clients) % len(users)]
                k += 1
                conn.request("POST", RESET % who, body=BODY, headers=hdrs)
                r = conn.getresponse()
                body = r.read()
                if r.status != 200:
                    errors.append("%d %s" % (r.status, body[:300]))
                    return
                done[i] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            conn.close()

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    t0 = time.monotonic()
    stop[0] = t0 + seconds
    go.set()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    if errors:
        raise SystemExit("bench reset: a reset failed: %s (%d failures)"
                         % (errors[0], len(errors)))
    return sum(done) / secs, sum(done)


# wrk's side: each connection POSTs a reset for the next user of its
# thread's round (connections start apart so that two in flight rarely hit
# one user), counts answers by status, and reports them when done.
WRK_LUA = r"""
local users, token, first = {}, os.getenv("BENCH_TOKEN"), 0
for u in string.gmatch(os.getenv("BENCH_USERS"), "[^,]+") do
  users[#users + 1] = u
end
first = tonumber(os.getenv("BENCH_OFFSET"))
local k, ok, bad, last = first, 0, 0, ""
local hdrs = {["Authorization"] = "Bearer " .. token,
              ["Content-Type"] = "application/json"}
local body = '{"sendEmail":false,"updateInvitations":false}'
local path = "/api/v1/users/%s/audio-conferencing/reset-conference-id"
function request()
  k = k + 1
  return wrk.format("POST", string.format(path, users[k % #users + 1]),
                    hdrs, body)
end
function response(status, headers, b)
  if status == 200 then ok = ok + 1 else bad = bad + 1; last = status end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d\n", summary.requests,
           summary.duration, e.connect, e.read, e.write, e.status,
           e.timeout))
end
"""


def storm_wrk(nodes, users, seconds, clients, offset):
    """Resets for seconds from clients wrk connections spread evenly over
    nodes (one wrk per node, one thread each, all started at once);
    returns (resets/s, answered). Any answer but 200 stops the bench."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua",
                                     delete=False) as f:
        f.write(WRK_LUA)
        script = f.name
    procs = []
    try:
        for i, node in enumerate(nodes):
            conns = clients // len(nodes) + (
                1 if i < clients % len(nodes) else 0)
            env = dict(os.environ, BENCH_TOKEN=node.token,
                       BENCH_USERS=",".join(users),
                       BENCH_OFFSET=str(offset + i * len(users)
                                        // len(nodes)))
            procs.append(subprocess.Popen(
                ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds,
                 "--timeout", "30s", "-s", script,
                 "http://127.0.0.1:%d" % node.port],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True))
        total = 0
        rate = 0.0
        for p in procs:
            out, err = p.communicate(timeout=seconds + 120)
            m = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) "
                          r"(\d+)$", out, re.M)
            if p.returncode != 0 or not m:
                raise SystemExit("bench reset: wrk failed: %s %s"
                                 % (err.strip(), out.strip()))
            n, usecs = int(m.group(1)), int(m.group(2))
            errs = [int(m.group(i)) for i in range(3, 8)]
            if any(errs):
                raise SystemExit("bench reset: resets failed (connect, "
                                 "read, write, non-2xx, timeout): %s\n%s"
                                 % (errs, out))
            total += n
            rate += n / (usecs / 1e6)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        os.unlink(script)
    return rate, total


def pgbench(url, clients, seconds, max_id):
    """Bare single-row UPDATE transactions/s (pgbench, autocommit)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write("\\set id random(1, %d)\n"
                "UPDATE users SET display_name = 'bench ' || :id "
                "WHERE id = :id;\n" % max_id)
        script = f.name
    try:
        p = subprocess.run(["pgbench", "-n", "-f", script,
                            "-c", str(clients), "-j", str(min(clients, 8)),
                            "-T", str(seconds), "-d", url],
                           capture_output=True, text=True,
                           timeout=seconds + 120)
    finally:
        os.unlink(script)
    if p.returncode != 0:
        raise SystemExit("bench reset: pgbench failed: %s"
                         % (p.stderr.strip() or p.stdout.strip()))
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)",
                  p.stdout)
    if not m:
        raise SystemExit("bench reset: no tps in pgbench's output:\n%s"
                         % p.stdout)
    return float(m.group(1))


def settle(url):
    """Each timed run starts from a vacuumed, analyzed database and a
    checkpoint, whatever the run before it left (dead rows, WAL): without
    this the run after pgbench's 80 000 updates of 400 rows began by
    walking their dead versions."""
    psql(url, "VACUUM ANALYZE")
    try:
        psql(url, "CHECKPOINT")
    except AssertionError:  # needs superuser or pg_checkpoint: then not
        pass


def check(url, answered, clients, nusers):
    """What the resets left behind (see the top of this file)."""
    resets = int(psql(url, "SELECT count(*) FROM audit "
                      "WHERE action = 'confid.reset'")[0][0])
    if not answered <= resets <= answered + 2 * clients:
        raise SystemExit("bench reset: the audit holds %d resets, %d were "
                         "answered" % (resets, answered))
    bad = psql(url, "SELECT count(*) FROM users u WHERE (SELECT count(*) "
               "FROM conference_ids c WHERE c.user_id = u.id AND "
               "c.kind = 'personal' AND c.revoked_at IS NULL) <> 1")
    twice = psql(url, "SELECT count(*) FROM (SELECT value FROM "
                 "conference_ids WHERE revoked_at IS NULL GROUP BY value "
                 "HAVING count(*) > 1) t")
    if int(bad[0][0]) or int(twice[0][0]):
        raise SystemExit("bench reset: %s users without exactly one live "
                         "personal ID, %s live IDs held twice"
                         % (bad[0][0], twice[0][0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dialconf")
    ap.add_argument("--db", default="", help="postgres://... of a server")
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--client", choices=("wrk", "python"),
                    default="wrk" if shutil.which("wrk") else "python",
                    help="load generator for the resets (default: wrk "
                    "when installed)")
    args = ap.parse_args()
    if args.client == "python":
        log("using the Python client (apt-get install wrk for the C one): "
            "it may itself be the ceiling")
    storm = storm_wrk if args.client == "wrk" else storm_python
    if args.db and not args.db.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench reset: --db wants postgres://...; without "
                         "--db, `bench/run reset` is the SQLite benchmark")
    harness.DIALCONF = os.path.abspath(args.dialconf)

    own_dir = None
    server = args.db
    if not server:
        server, own_dir = start_server()
    name = "dialconf_bench_%d" % os.getpid()
    admin = harness.pg_url(server, "postgres")
    url = harness.pg_url(server, name)
    nodes = []
    try:
        psql(admin, 'CREATE DATABASE "%s"' % name)
        settings = dict(psql(url, "SELECT name, setting FROM pg_settings "
                             "WHERE name IN ('fsync', 'synchronous_commit', "
                             "'server_version', 'max_connections')"))
        nodes.append(harness.Daemon(db=url).start())
        log("creating %d users" % args.users)
        users = make_users(nodes[0], args.users, args.clients)
        max_id = int(psql(url, "SELECT max(id) FROM users")[0][0])

        log("bare updates (before)")
        settle(url)
        bare1 = pgbench(url, args.clients, args.seconds, max_id)
        log("one node")
        settle(url)
        one, n1 = storm(nodes, users, args.seconds, args.clients, 0)
        nodes.append(harness.Daemon(db=url).start())
        log("two nodes")
        settle(url)
        two, n2 = storm(nodes, users, args.seconds, args.clients, 1)
        log("bare updates (after)")
        settle(url)
        bare2 = pgbench(url, args.clients, args.seconds, max_id)
        check(url, n1 + n2, args.clients, args.users)
        bare = max(bare1, bare2)
        print("server: postgresql %s fsync=%s synchronous_commit=%s"
              % (settings.get("server_version"), settings.get("fsync"),
                 settings.get("synchronous_commit")))
        print("users: %d" % args.users)
        print("clients: %d (both sides)" % args.clients)
        print("client: %s" % ("wrk" if args.client == "wrk" else
                              "python http.client threads"))
        print("seconds_per_run: %d" % args.seconds)
        print("resets_answered: %d + %d" % (n1, n2))
        print("resets_one_node_per_s: %.0f /s" % one)
        print("resets_two_nodes_per_s: %.0f /s" % two)
        print("bare_updates_per_s_before: %.0f /s" % bare1)
        print("bare_updates_per_s_after: %.0f /s" % bare2)
        print("bare_updates_per_s: %.0f /s" % bare)
        print("ratio: %.3f" % (two / bare))
    finally:
        for d in nodes:
            d.cleanup()
        try:
            psql(admin, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        except Exception:  # noqa: BLE001
            pass
        if own_dir:
            stop_server(own_dir)
        if harness.LOG_DIR:
            shutil.rmtree(harness.LOG_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
