#!/usr/bin/python3
"""bench reset on PostgreSQL (SPEC §9, issue 8): conference ID resets per
second through one and through two real `dialconf serve` nodes sharing one
PostgreSQL database, against bare single-row UPDATE transactions on the same
server in the same run.

    bench/run reset --db postgres://USER@HOST:PORT/DB [--users N]
                    [--resets N] [--clients N] [--seconds S]
    /usr/bin/python3 bench/reset_pg.py PATH/TO/dialconf [same options]

--db names a server (its database part is only used to connect): the bench
creates a database of its own there and drops it at the end. Without --db
it starts a throwaway server with scripts/pg-test-server.sh and turns it
durable first (fsync, synchronous_commit and full_page_writes on, as a
production server runs), so that both sides pay a real commit.

1. N users (default 400), enabled, created through the API.
2. One node: CLIENTS threads (default 16), each on a keep-alive HTTP
   connection, POST reset-conference-id {"sendEmail":false,
   "updateInvitations":false} for users in turn, RESETS in all (default
   4000): resets/s.
3. Two nodes: a second node on the same database, the same CLIENTS threads
   split over both, RESETS again: resets/s.
4. Bare updates: pgbench on the same database, CLIENTS connections, each
   transaction one `UPDATE users SET display_name = ... WHERE id = :id` of a
   random user (autocommit: one commit each), for SECONDS (default 10),
   run once before the resets and once after; the higher rate counts.

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


def start_server():
    """A throwaway server made durable; returns (url, dir)."""
    d = tempfile.mkdtemp(prefix="dialconf-bench-pg-")
    os.rmdir(d)  # pg-test-server.sh wants a new or empty folder
    p = subprocess.run([os.path.join(ROOT, "scripts", "pg-test-server.sh"),
                        "start", d], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("bench reset: scripts/pg-test-server.sh start: %s"
                         % p.stderr.strip())
    url = p.stdout.strip().splitlines()[-1]
    for sql in ("ALTER SYSTEM SET fsync = on",
                "ALTER SYSTEM SET synchronous_commit = on",
                "ALTER SYSTEM SET full_page_writes = on",
                "SELECT pg_reload_conf()"):
        psql(url, sql)
    time.sleep(0.5)
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


def storm(nodes, users, total, clients, offset):
    """total resets from clients keep-alive threads spread over nodes;
    returns resets/s. Any answer but 200 stops the bench."""
    per = [total // clients + (1 if i < total % clients else 0)
           for i in range(clients)]
    errors = []
    go = threading.Event()

    def worker(i, count):
        node = nodes[i % len(nodes)]
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=60)
        hdrs = {"Authorization": "Bearer " + node.token,
                "Content-Type": "application/json"}
        go.wait()
        try:
            for k in range(count):
                who = users[(offset + i + k * clients) % len(users)]
                conn.request("POST", RESET % who, body=BODY, headers=hdrs)
                r = conn.getresponse()
                body = r.read()
                if r.status != 200:
                    errors.append("%d %s" % (r.status, body[:300]))
                    return
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            conn.close()

    ts = [threading.Thread(target=worker, args=(i, per[i]))
          for i in range(clients)]
    for t in ts:
        t.start()
    t0 = time.monotonic()
    go.set()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    if errors:
        raise SystemExit("bench reset: a reset failed: %s (%d failures)"
                         % (errors[0], len(errors)))
    return total / secs


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dialconf")
    ap.add_argument("--db", default="", help="postgres://... of a server")
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--resets", type=int, default=4000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
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
        bare1 = pgbench(url, args.clients, args.seconds, max_id)
        log("one node")
        one = storm(nodes, users, args.resets, args.clients, 0)
        nodes.append(harness.Daemon(db=url).start())
        log("two nodes")
        two = storm(nodes, users, args.resets, args.clients, 1)
        log("bare updates (after)")
        bare2 = pgbench(url, args.clients, args.seconds, max_id)
        resets = int(psql(url, "SELECT count(*) FROM audit "
                          "WHERE action = 'confid.reset'")[0][0])
        if resets != 2 * args.resets:
            raise SystemExit("bench reset: the audit holds %d resets, "
                             "expected %d" % (resets, 2 * args.resets))
        bare = max(bare1, bare2)
        print("server: postgresql %s fsync=%s synchronous_commit=%s"
              % (settings.get("server_version"), settings.get("fsync"),
                 settings.get("synchronous_commit")))
        print("users: %d" % args.users)
        print("clients: %d" % args.clients)
        print("resets_per_run: %d" % args.resets)
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
