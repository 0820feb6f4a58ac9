"""serve --config FILE: an INI file of the serve flags; flags on the command
line win over it."""
import os
import shutil
import subprocess
import tempfile
import time

import harness
from harness import Daemon


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_config_file_is_read_and_flags_win():
    conf_dir = tempfile.mkdtemp(prefix="dialconf-conf-")
    try:
        config_file_is_read(conf_dir)
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)


def config_file_is_read(conf_dir):
    maildir = os.path.join(conf_dir, "mail")
    conf = os.path.join(conf_dir, "serve.ini")
    # http points at a port nobody can use: the harness's --http flag must
    # win, or the daemon never answers.
    write(conf, "[serve]\nhttp = 127.0.0.1:1\ndemo = yes\n"
          "mail = maildir:%s\n" % maildir)
    with Daemon(extra_args=["--config", conf]) as d:
        emails = {u["email"] for u in d.all_users()}
        assert "ada@example.org" in emails, \
            "demo = yes in the file seeded the demo organization: %r" % emails
        d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
             "send-conference-info", expect=(202,))
        new = os.path.join(maildir, "new")
        deadline = time.monotonic() + 15
        while not (os.path.isdir(new) and os.listdir(new)):
            assert time.monotonic() < deadline, \
                "no email in the maildir the config file names"
            time.sleep(0.1)


def test_bad_config_file_is_a_usage_error():
    conf_dir = tempfile.mkdtemp(prefix="dialconf-conf-")
    try:
        bad_config_refused(conf_dir)
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)


def bad_config_refused(conf_dir):
    conf = os.path.join(conf_dir, "serve.ini")
    write(conf, "[serve]\ndemo = yes\nbogus = 1\n")
    for path, says in ((conf, "line 3"),
                       (os.path.join(conf_dir, "missing.ini"), "cannot read")):
        p = subprocess.run([harness.DIALCONF, "serve", "--config", path,
                            "--data", conf_dir],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert says in p.stderr, p.stderr
        assert not os.path.exists(os.path.join(conf_dir, "dialconf.db")), \
            "a bad config file must stop serve before it opens anything"


def test_unknown_db_scheme_is_a_usage_error():
    conf_dir = tempfile.mkdtemp(prefix="dialconf-conf-")
    try:
        unknown_db_refused(conf_dir)
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)


def unknown_db_refused(conf_dir):
    data = os.path.join(conf_dir, "data")
    url = "mysql://alice:s3cret-pw@db.example.org/dialconf"
    for argv, stdin in ((["serve", "--db", url, "--data", data], None),
                        (["admin", "token", "--db", url, "--data", data],
                         None),
                        (["admin", "passwd", "--db", url, "--data", data],
                         "long-enough-pw\n")):
        p = subprocess.run([harness.DIALCONF] + argv, input=stdin,
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2, (argv, p.returncode, p.stderr)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, "one message, not repeated: %r" % p.stderr
        for scheme in ("sqlite:", "sqlite:/", "postgres://"):
            assert scheme in p.stderr, (scheme, p.stderr)
        assert "s3cret-pw" not in p.stderr + p.stdout, \
            "a password in a --db URL is never printed: %r" % p.stderr
        assert not os.path.exists(data), \
            "a mistyped --db must stop %s before it creates anything" % argv


def test_db_open_error_masks_the_password():
    conf_dir = tempfile.mkdtemp(prefix="dialconf-conf-")
    try:
        # Port 1 refuses at once: opening fails, and the message names the
        # database without its password.
        url = "postgres://alice:s3cret-pw@127.0.0.1:1/dialconf"
        p = subprocess.run([harness.DIALCONF, "admin", "token", "--db", url,
                            "--data", conf_dir],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 1, (p.returncode, p.stderr)
        assert "cannot open database" in p.stderr, p.stderr
        assert "127.0.0.1:1/dialconf" in p.stderr, p.stderr
        assert "s3cret-pw" not in p.stderr + p.stdout, p.stderr
        assert p.stderr.count("cannot open database") == 1, p.stderr
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)
