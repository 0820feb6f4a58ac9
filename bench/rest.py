#!/usr/bin/python3
"""bench rest (issue 18): the REST API's keyed read against a static file.

    /usr/bin/python3 bench/rest.py PATH/TO/dialconf [--quick]
        [--seconds S] [--connections N] [--threads T] [--log-level L]
                                                        (bench/run rest)

1. dialconf (the release build, its default SQLite store) with 20 users
   made through the API; wrk (T threads, N connections, keep-alive) asks
   `GET /api/v1/users/{user}` with the harness's API token (Authorization:
   Bearer), cycling over the users' ids (a wrk Lua script written to a temporary folder).
2. Debian's nginx, started by this bench on a free port with a temporary
   configuration (worker_processes = the number of CPUs, access log off;
   dialconf serves with its default of two HTTP threads per CPU, 4 to 8),
   serves each user's JSON answer, byte for byte, as a static file at the
   same path; wrk runs the same script with the same header, threads and
   connections for the same time, so the client does the same work for
   both. Either side answering anything but 200 stops the bench (until
   2026-12-02 nginx's workers could not read the folder and the baseline
   was its 403 page).
3. Both run side by side, measured in turns (--rounds, 3; the best of
   each kept, as the machine is shared). Prints requests/s of both (and
   wrk's latency, the servers' CPU per request), the answer size, and
   `ratio: dialconf / nginx` (goal >= 0.9).
Both servers share the machine with wrk; nginx is what the machine does
with an HTTP request and nothing to look up.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402

USERS = 20
NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location / {{ default_type application/json; }}
    }}
}}
"""


def wrk(args, url, token=None, script=None):
    argv = ["wrk", "-t", str(args.threads), "-c", str(args.connections),
            "-d", "%ds" % args.seconds, "--latency"]
    if token:
        argv += ["-H", "Authorization: Bearer " + token]
    if script:
        argv += ["-s", script]
    out = subprocess.run(argv + [url], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    return rps, p50, p99, int(bad.group(1)) if bad else 0, \
        errs.group(1) if errs else ""


def main():
    ap = argparse.ArgumentParser(prog="bench/run rest")
    ap.add_argument("dialconf")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, help="turns of each (best kept)")
    ap.add_argument("--log-level", default="info",
                    help="the daemon's (debug: a line per request)")
    args = ap.parse_args()
    args.seconds = args.seconds or (5 if args.quick else 10)
    args.rounds = args.rounds or (2 if args.quick else 3)
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.access("/usr/sbin/" + tool,
                                                    os.X_OK):
            sys.exit("bench rest: no %s (scripts/deps.sh installs it)" % tool)
    harness.DIALCONF = os.path.abspath(args.dialconf)
    work = tempfile.mkdtemp(prefix="dialconf-bench-rest-")
    d = harness.Daemon(["--log-level", args.log_level])
    nginx = None
    dc_runs, ng_runs = [], []
    try:
        d.start()
        ids = []
        for i in range(USERS):
            u = d.ok("POST", "/api/v1/users",
                     {"email": "rest%03d@example.org" % i,
                      "displayName": "Rest User %d" % i,
                      "audioConferencing": {"enabled": True},
                      "sendEmail": False}, expect=(201,))
            ids.append(u["id"])
        answers = {}
        for uid in ids:
            d.api("GET", "/api/v1/users/" + uid)
            answers["/api/v1/users/" + uid] = d.last_raw
        size = len(answers["/api/v1/users/" + ids[0]])
        script = os.path.join(work, "users.lua")
        with open(script, "w") as f:
            f.write("local ids = {%s}\nlocal i = 0\n"
                    "request = function()\n"
                    "  i = i %% #ids + 1\n"
                    "  return wrk.format(nil, '/api/v1/users/' .. ids[i])\n"
                    "end\n" % ",".join('"%s"' % x for x in ids))
        nginx, url = start_nginx(work, answers)
        ng_pids = [nginx.pid] + children(nginx.pid)
        # Taken in turns, the best of each kept: the machine is shared, and
        # what else runs at a moment should not decide which server wins.
        for _ in range(args.rounds):
            dc_runs.append(measure(args, [d.proc.pid], d.url + "/",
                                   d.token, script))
            # The same script and header: wrk does the same work for both.
            ng_runs.append(measure(args, ng_pids, url + "/", d.token, script))
    finally:
        d.close(check=False)
        if nginx:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait()
        shutil.rmtree(work, ignore_errors=True)
    dc = max(dc_runs)
    ng = max(ng_runs)

    print("answer_bytes: %d bytes" % size)
    print("# dialconf: %d HTTP threads (the default: two per CPU, 4 to 8), "
          "SQLite, log level %s; nginx: %d worker processes, access log off"
          % (min(max(2 * os.cpu_count(), 4), 8), args.log_level,
             os.cpu_count()))
    print("# load average of the machine: %.1f %.1f %.1f" % os.getloadavg())
    print("connections: %d (wrk threads %d, %d s each, best of %d turns)"
          % (args.connections, args.threads, args.seconds, args.rounds))
    print("# dialconf turns: %s requests/s" % " ".join(
        "%.0f" % r[0] for r in dc_runs))
    print("# nginx turns: %s requests/s" % " ".join(
        "%.0f" % r[0] for r in ng_runs))
    print("dialconf_rps: %.0f requests/s (p50 %s, p99 %s, cpu %.0f %% of "
          "a core)" % (dc[0], dc[1], dc[2], 100 * dc[5]))
    for name, runs in (("dialconf", dc_runs), ("nginx", ng_runs)):
        bad = sum(r[3] for r in runs)
        if bad:  # an error page is not the answer measured
            sys.exit("bench rest: %s answered %d requests with an error"
                     % (name, bad))
        for r in runs:
            if r[4]:
                print("# %s: socket errors %s" % (name, r[4]))
    print("nginx_rps: %.0f requests/s (p50 %s, p99 %s, cpu %.0f %% of a "
          "core)" % (ng[0], ng[1], ng[2], 100 * ng[5]))
    print("dialconf_cpu_per_request: %.1f us" % (1e6 * dc[5] / dc[0]))
    print("nginx_cpu_per_request: %.1f us" % (1e6 * ng[5] / ng[0]))
    print("ratio: %.2f" % (dc[0] / ng[0]))


def measure(args, pids, url, token=None, script=None):
    """wrk's figures and the servers' CPU (share of a core) meanwhile."""
    cpu0 = sum(cpu(p) for p in pids)
    t0 = time.monotonic()
    r = wrk(args, url, token, script)
    return r + ((sum(cpu(p) for p in pids) - cpu0) /
                (time.monotonic() - t0),)


def start_nginx(work, answers):
    """nginx on a free port serving each of answers ({path: bytes}) as a
    file at that path; (process, base url)."""
    # nginx started as root serves from worker processes running as
    # "nobody": the folders must be theirs to read, or every answer is a
    # 403 page (this bench measured such pages until 2026-12-02).
    os.chmod(work, 0o755)
    www = os.path.join(work, "www")
    for path, body in answers.items():
        name = os.path.join(www, path.lstrip("/"))
        os.makedirs(os.path.dirname(name), mode=0o755, exist_ok=True)
        with open(name, "wb") as f:
            f.write(body)
    port = harness.free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(workers=os.cpu_count(), dir=work,
                                  port=port))
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx",
                              "-c", conf, "-p", work, "-e",
                              os.path.join(work, "error.log")],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             start_new_session=True)
    base = "http://127.0.0.1:%d" % port
    path, body = next(iter(answers.items()))
    got = None
    for _ in range(100):
        got = subprocess.run(["curl", "-sf", base + path],
                             capture_output=True)
        if got.returncode == 0:
            break
        time.sleep(0.05)
    if got.returncode != 0 or got.stdout != body:
        sys.exit("bench rest: nginx does not serve the answers (curl exit "
                 "%d): see %s" % (got.returncode,
                                  os.path.join(work, "error.log")))
    return nginx, base


def children(pid):
    """The processes whose parent is pid (nginx's workers)."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(name))
        except (OSError, ValueError):
            pass
    return kids


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
