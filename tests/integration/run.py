#!/usr/bin/python3
"""Integration tests: boot the real daemon, drive it through the API and CLI.

    /usr/bin/python3 tests/integration/run.py PATH/TO/dialconf [-k SUBSTRING]
        [--only FILE ...] [--exclude FILE ...]

Runs every test_* function of tests/integration/test_*.py (in file order)
and prints TAP: "ok N - file::name" or "not ok N - file::name" with the
traceback and the daemon's log tail as "# " lines, then "# N passed, N failed".
Exit status 1 when a test failed.

A test function without parameters starts its own daemons (harness.Daemon).
A test that raises harness.Skip (no PostgreSQL) prints "ok N - ... # SKIP why".
A test function with a parameter named `d` gets the file's shared daemon,
started before the file's first such test with the module's DAEMON_ARGS (a
list, default none) and stopped after its last test; a shared daemon that
dies, or does not exit 0 on SIGTERM, is reported as a failure of its own.
"""

import argparse
import glob
import importlib.util
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def comment(text):
    for line in str(text).rstrip("\n").splitlines():
        print("# " + line)


def discover(pattern):
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        fname = os.path.basename(path)
        spec = importlib.util.spec_from_file_location(fname[:-3], path)
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            tests.append((fname, "(import)", None, traceback.format_exc()))
            continue
        fns = [(n, f) for n, f in vars(mod).items()
               if n.startswith("test_") and inspect.isfunction(f)
               and f.__module__ == mod.__name__]
        fns.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        for name, fn in fns:
            if pattern and pattern not in "%s::%s" % (fname, name):
                continue
            tests.append((fname, name, fn, mod))
    return tests


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dialconf", help="path to the dialconf binary")
    ap.add_argument("-k", dest="pattern", default="",
                    help="run only tests whose file::name contains this")
    ap.add_argument("--exclude", action="append", default=[],
                    metavar="FILE",
                    help="leave out the tests of this file (repeatable)")
    ap.add_argument("--only", action="append", default=[], metavar="FILE",
                    help="run only the tests of this file (repeatable)")
    args = ap.parse_args()

    harness.DIALCONF = os.path.abspath(args.dialconf)
    if not os.access(harness.DIALCONF, os.X_OK):
        print("1..1")
        print("not ok 1 - setup: no dialconf executable at %s"
              % harness.DIALCONF)
        comment("0 passed, 1 failed")
        return 1

    tests = [t for t in discover(args.pattern) if t[0] not in args.exclude
             and (not args.only or t[0] in args.only)]
    print("1..%d" % len(tests), flush=True)
    passed = failed = 0
    n = 0
    shared = {}  # file -> Daemon
    keep_logs = False
    t0 = time.monotonic()

    def report(ok, label, detail=None):
        nonlocal passed, failed, n, keep_logs
        n += 1
        if ok:
            passed += 1
            print("ok %d - %s" % (n, label))
        else:
            failed += 1
            keep_logs = True
            print("not ok %d - %s" % (n, label))
            if detail:
                comment(detail)
        sys.stdout.flush()

    def close_shared(fname):
        d = shared.pop(fname, None)
        if d is None:
            return
        try:
            d.close(check=True)
        except AssertionError as e:
            # Not counted in the plan, but visible to run-all's counters.
            print("not ok - %s::(shared daemon) %s"
                  % (fname, str(e).splitlines()[0]))
            comment("\n".join(str(e).splitlines()[1:]))
            nonlocal failed, keep_logs
            failed += 1
            keep_logs = True

    last_file = None
    for i, (fname, name, fn, mod) in enumerate(tests):
        if last_file and last_file != fname:
            close_shared(last_file)
        last_file = fname
        label = "%s::%s" % (fname, name)
        if fn is None:
            report(False, label, mod)
            continue
        harness.touched.clear()
        start = time.monotonic()
        try:
            params = inspect.signature(fn).parameters
            if "d" in params:
                d = shared.get(fname)
                if d is not None and d.crashed() is not None:
                    raise AssertionError("the shared daemon died earlier "
                                         "(status %r)" % d.crashed())
                if d is None:
                    d = harness.Daemon(getattr(mod, "DAEMON_ARGS", ()))
                    shared[fname] = d
                    try:
                        d.start()
                    except Exception as e:
                        d.start_error = e
                        raise
                elif getattr(d, "start_error", None):
                    raise AssertionError("the shared daemon did not start: "
                                         "%s" % d.start_error)
                harness.touched.append(d)
                fn(d=d)
                if d.crashed() is not None:
                    raise AssertionError("dialconf serve died during the "
                                         "test with status %r" % d.crashed())
            else:
                fn()
        except harness.Skip as e:
            report(True, "%s # SKIP %s" % (label, e))
        except Exception:
            detail = traceback.format_exc()
            for d in harness.touched:
                if not isinstance(detail, str):
                    break
                if getattr(d, "log_path", None) and \
                        d.log_path not in detail:
                    detail += d.log_tail(15) + "\n"
            report(False, label, detail)
        else:
            report(True, label)
        finally:
            # Per-test daemons never outlive their test.
            for d in list(harness._live):
                if d not in shared.values():
                    d.cleanup()
        if os.environ.get("DIALCONF_ITEST_TIMES"):
            comment("%.2f s" % (time.monotonic() - start))
    if last_file:
        close_shared(last_file)
    harness.stop_all()

    comment("integration run took %.1f s" % (time.monotonic() - t0))
    if keep_logs:
        comment("daemon logs kept in %s" % harness.LOG_DIR)
    elif harness.LOG_DIR:
        import shutil
        shutil.rmtree(harness.LOG_DIR, ignore_errors=True)
    comment("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
