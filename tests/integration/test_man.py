"""The man pages (docs/man/*.scd) against the real binary, so they cannot
drift: every command that `dialconf --help`, `dialconf admin --help` and
`dialconf GROUP --help` list has a "## COMMAND" part under "# COMMANDS" in
the right page (serve and admin in dialconf.8, the client verbs in
dialconf.1) naming exactly the options its --help names; the keys of
`serve --config` are the SERVE SECTION of dialconf.conf.5 and the settings
of GET /api/v1/meta its SETTINGS, each with its type, bounds and default;
no page names a command, option, key or setting the binary lacks; and
scdoc turns each page into a man page. A failure names what is missing or
extra, and where. DIALCONF_WRITE_DOCS=1 rewrites the SETTINGS entries from
the table (run.py build/dialconf -k test_man); commands are written by hand."""

import json
import os
import re
import shutil
import subprocess

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
MAN = os.path.normpath(os.path.join(HERE, "..", "..", "docs", "man"))
OPTION = re.compile(r"--[a-z][a-z0-9-]*")
# Options every command has, which the pages need not list.
COMMON = {"--help"}


def run_help(*args):
    p = subprocess.run([harness.DIALCONF] + list(args) + ["--help"],
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "dialconf %s --help exited %d: %s" % (
        " ".join(args), p.returncode, p.stderr)
    return p.stdout


def command_of(usage):
    """"dialconf user show USER [--json]" -> "user show": the words after
    dialconf up to the first argument or option."""
    words = usage.split()
    assert words[0] == "dialconf", usage
    name = []
    for w in words[1:]:
        if not re.fullmatch(r"[a-z][a-z0-9-]*", w):
            break
        name.append(w)
    return " ".join(name)


_commands = []


def binary_commands():
    """{command: set of options}, in two dicts: (admin page, client page),
    and serve's --help, read from the binary's own --help texts (once)."""
    if not _commands:
        _commands.append(read_commands())
    return _commands[0]


def read_commands():
    admin, client = {}, {}
    top = run_help()
    serve = run_help("serve")
    admin["serve"] = set(OPTION.findall(serve)) - COMMON
    # The admin subcommands: in `admin --help` ("usage: dialconf admin X
    # ..." or "  dialconf admin X ...") and in the top help ("  admin X").
    lines = run_help("admin").splitlines()
    lines += ["dialconf " + line.strip() for line in top.splitlines()
              if re.match(r"\s+admin [a-z]", line)]
    for line in lines:
        m = re.match(r"\s*(?:usage:\s+)?(dialconf admin [a-z].*)", line)
        if m:
            cmd = command_of(m.group(1))
            admin.setdefault(cmd, set()).update(
                set(OPTION.findall(m.group(1))) - COMMON)
    groups = [line for line in top.splitlines() if " | " in line]
    assert len(groups) == 1, "no line of groups in dialconf --help:\n" + top
    for group in groups[0].split("|"):
        group = group.strip()
        for line in run_help(group).splitlines():
            m = re.match(r"\s+(dialconf %s\b.*)" % re.escape(group), line)
            if m:
                client[command_of(m.group(1))] = \
                    set(OPTION.findall(m.group(1))) - COMMON
    return admin, client, serve


def page(name):
    with open(os.path.join(MAN, name + ".scd"), encoding="utf-8") as f:
        return f.read()


def section(text, title, pname):
    """The text of "# title" up to the next "# " heading."""
    m = re.search(r"^# %s\n(.*?)(?=^# |\Z)" % re.escape(title), text,
                  re.M | re.S)
    assert m, "docs/man/%s.scd has no section \"# %s\"" % (pname, title)
    return m.group(1)


def page_commands(text, pname):
    """{command: set of options} of the "## ..." parts of # COMMANDS."""
    body = section(text, "COMMANDS", pname)
    parts = re.split(r"^## (.+)\n", body, flags=re.M)
    return {parts[i].strip(): set(OPTION.findall(parts[i + 1])) - COMMON
            for i in range(1, len(parts), 2)}


def compare(pname, want, have):
    """Differences between the binary's commands (want) and a page's."""
    out = []
    for cmd in sorted(set(want) - set(have)):
        out.append("docs/man/%s.scd lacks \"## %s\" under # COMMANDS "
                   "(options: %s)" % (pname, cmd,
                                      " ".join(sorted(want[cmd])) or "none"))
    for cmd in sorted(set(have) - set(want)):
        out.append("docs/man/%s.scd has \"## %s\", which the binary's "
                   "--help does not list" % (pname, cmd))
    for cmd in sorted(set(want) & set(have)):
        for o in sorted(want[cmd] - have[cmd]):
            out.append("docs/man/%s.scd: \"## %s\" lacks option %s"
                       % (pname, cmd, o))
        for o in sorted(have[cmd] - want[cmd]):
            out.append("docs/man/%s.scd: \"## %s\" names option %s, which "
                       "`dialconf %s --help` does not have" % (pname, cmd,
                                                                o, cmd))
    return out


def stray_options(pname, text, allowed):
    """Options named anywhere in the page that none of its commands has."""
    return ["docs/man/%s.scd names %s, an option of none of its commands"
            % (pname, o)
            for o in sorted(set(OPTION.findall(text)) - allowed - COMMON)]


def test_commands_and_options_match_help():
    admin, client, _ = binary_commands()
    assert "serve" in admin and "admin token" in admin, admin
    assert "user list" in client and "audit" in client, client
    problems = []
    for pname, want in (("dialconf.8", admin), ("dialconf.1", client)):
        text = page(pname)
        have = page_commands(text, pname)
        problems += compare(pname, want, have)
        problems += stray_options(pname, text,
                                  set().union(*want.values()))
    assert not problems, "\n".join(problems)


def setting_line(s):
    """The line that starts a setting's entry in dialconf.conf.5."""
    t = s["type"]
    if t == "boolean":
        bounds = ""
    elif t == "integer":
        bounds = ", %d to %d%s" % (s["min"], s["max"],
                                   " " + s["unit"] if s["unit"] else "")
    elif t == "string":
        bounds = ", %d to %d bytes" % (s["min"], s["max"])
    else:
        bounds = ", up to %d bytes" % s["max"]
    return "*%s* = _%s_%s, default %s" % (s["name"], t, bounds,
                                          json.dumps(s["default"]))


def settings_text(meta):
    """The entries of dialconf.conf.5's SETTINGS, from the table."""
    out = []
    for group in meta["settingGroups"]:
        out.append("## %s\n" % group)
        for s in meta["settings"]:
            if s["group"] == group:
                out.append("%s\n\t%s\n" % (setting_line(s), s["help"]))
    return "\n".join(out) + "\n"


def write_settings(meta):
    """DIALCONF_WRITE_DOCS=1: rewrite the entries of SETTINGS (from its
    first "## " to the next "# ") from the table."""
    path = os.path.join(MAN, "dialconf.conf.5.scd")
    text = page("dialconf.conf.5")
    m = re.search(r"^# SETTINGS\n.*?(^## .*?)(?=^# )", text, re.M | re.S)
    assert m, "dialconf.conf.5.scd: no \"## \" under # SETTINGS"
    text = text[:m.start(1)] + settings_text(meta) + text[m.end(1):]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def test_conf_page_matches_serve_keys_and_settings(d):
    _, _, serve = binary_commands()
    m = re.search(r"\(keys: ([^)]*)\)", serve.replace("\n", " "))
    assert m, "no (keys: ...) in dialconf serve --help:\n" + serve
    keys = {k.split("=")[0].strip() for k in m.group(1).split(",")}
    keys = {re.sub(r"\s+", "", k) for k in keys}
    text = page("dialconf.conf.5")
    problems = stray_options("dialconf.conf.5", text,
                             set(OPTION.findall(serve)))

    serve_sec = section(text, "SERVE SECTION", "dialconf.conf.5")
    have = set(re.findall(r"^\*([a-z][a-z0-9-]*)\* = ", serve_sec, re.M))
    problems += ["docs/man/dialconf.conf.5.scd's SERVE SECTION lacks the "
                 "key \"*%s* = ...\"" % k for k in sorted(keys - have)]
    problems += ["docs/man/dialconf.conf.5.scd's SERVE SECTION has the key "
                 "%s, which dialconf serve does not take" % k
                 for k in sorted(have - keys)]

    meta = d.ok("GET", "/api/v1/meta")
    if os.environ.get("DIALCONF_WRITE_DOCS") == "1":
        write_settings(meta)
        text = page("dialconf.conf.5")
    settings = meta["settings"]
    sec = section(text, "SETTINGS", "dialconf.conf.5")
    lines = sec.splitlines()
    for s in settings:
        want = setting_line(s)
        if want not in lines:
            problems.append("docs/man/dialconf.conf.5.scd's SETTINGS lacks "
                            "the line:\n%s\n\t%s" % (want, s["help"]))
        elif lines[lines.index(want) + 1] != "\t" + s["help"]:
            problems.append("docs/man/dialconf.conf.5.scd: after %s the "
                            "line should be:\n\t%s" % (want, s["help"]))
    names = {s["name"] for s in settings}
    problems += ["docs/man/dialconf.conf.5.scd's SETTINGS has %s, which "
                 "GET /api/v1/meta does not list" % n
                 for n in re.findall(r"^\*([A-Za-z0-9]+)\* = ", sec, re.M)
                 if n not in names]
    assert not problems, "\n".join(problems)


def test_pages_build_with_scdoc():
    assert shutil.which("scdoc"), "scdoc is not installed: scripts/deps.sh"
    for name in ("dialconf.1", "dialconf.8", "dialconf.conf.5"):
        with open(os.path.join(MAN, name + ".scd"), "rb") as f:
            p = subprocess.run(["scdoc"], stdin=f, capture_output=True,
                               timeout=30)
        assert p.returncode == 0, "scdoc < docs/man/%s.scd: %s" % (
            name, p.stderr.decode(errors="replace"))
        assert p.stdout.startswith(b".\\\" Generated by scdoc"), name
        title = name.rsplit(".", 1)
        assert (b'.TH "%s" "%s"' % (title[0].upper().encode(),
                                    title[1].encode())) in p.stdout, name
