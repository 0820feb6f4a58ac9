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
