#!/usr/bin/env bash
# scripts/deb-check.sh: the Debian package, built and tried as an admin
# would. Copies the tracked files of this tree to a throwaway directory,
# builds dialconf_*.deb there with `dpkg-buildpackage -us -uc -b` (a full
# build: minutes), runs lintian (errors fail), unpacks the package with
# `dpkg-deb -x` into a throwaway root, checks its files and maintainer
# scripts (the user is created, the unit never enabled or started), and
# starts `dialconf serve` from the unpacked binary, config and prompts until
# /healthz answers. Prints TAP, like the suites of tests/run-all.
#   scripts/deb-check.sh [KEEP_DIR]   (KEEP_DIR: keep the .deb and logs there)
set -uo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok NAME [LOG]
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 30 "$2" | sed 's/^/# /'
}
finish() {
	echo "1..$n"
	[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$TMP"/*.deb "$TMP"/*.log "$KEEP"/ 2>/dev/null
	exit $((failed > 0))
}
KEEP=${1:-}

# Build from what git tracks, so that no build directory leaks in.
mkdir "$TMP/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$TMP/src"
start=$(date +%s)
if (cd "$TMP/src" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b" "$TMP/build.log"
	finish
fi
deb=$(ls "$TMP"/dialconf_*.deb)

if lintian --fail-on error "$deb" >"$TMP/lintian.log" 2>&1; then
	ok "lintian: no errors ($(grep -c '^W:' "$TMP/lintian.log") warnings)"
	sed 's/^/# /' "$TMP/lintian.log"
else
	not_ok "lintian: errors" "$TMP/lintian.log"
fi

ROOT=$TMP/root
dpkg-deb -x "$deb" "$ROOT" && dpkg-deb -e "$deb" "$TMP/control"
missing=
for f in usr/sbin/dialconf etc/dialconf/dialconf.conf \
	lib/systemd/system/dialconf.service usr/lib/sysusers.d/dialconf.conf \
	usr/share/dialconf/prompts/welcome-enter-id.ulaw; do
	[ -e "$ROOT/$f" ] || missing="$missing $f"
done
[ -e "$ROOT/var" ] && missing="$missing (and ships var/: StateDirectory makes it)"
if [ -z "$missing" ]; then ok "package files in place"; else not_ok "package lacks:$missing"; fi

# The config is a conffile; postinst creates the user and starts nothing:
# it never calls deb-systemd-invoke, and enables the unit only where the
# admin had (was-enabled, on an upgrade).
postinst=$TMP/control/postinst
if grep -qx /etc/dialconf/dialconf.conf "$TMP/control/conffiles" &&
	grep -q 'systemd-sysusers.*dialconf' "$postinst" &&
	! grep -q 'deb-systemd-invoke' "$postinst" &&
	[ "$(grep -c 'deb-systemd-helper enable' "$postinst")" = \
		"$(grep -c 'was-enabled' "$postinst")" ] &&
	grep -q '^Depends:.*sysusers' "$TMP/control/control"; then
	ok "postinst creates the user, enables and starts nothing"
else
	not_ok "maintainer scripts" "$postinst"
	sed 's/^/# /' "$TMP/control/control"
fi

# serve from the unpacked paths, the packaged config adapted to this root.
# Free ports are picked, then bound by serve a moment later: the test lanes
# beside this one take ports all the time, so a port taken meanwhile ("in
# use") is tried again with new ones, as the test harness does.
free_ports() {
	python3 -c '
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0)); http = t.getsockname()[1]
while True:  # SIP: UDP and TCP on one port
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    try:
        socket.socket().bind(("127.0.0.1", u.getsockname()[1]))
        print(http, u.getsockname()[1])
        break
    except OSError:
        pass
'
}
answered=
for attempt in 1 2 3; do
	read -r port sip <<<"$(free_ports)"
	sed -e "s|^data = .*|data = $TMP/data|" \
		-e "s|^#http = .*|http = 127.0.0.1:$port|" \
		-e "s|^#sip = .*|sip = 127.0.0.1:$sip|" \
		-e "s|^#rtp-ports = .*|rtp-ports = 41000-41199|" \
		-e "s|^#prompts = /usr|prompts = $ROOT/usr|" \
		"$ROOT/etc/dialconf/dialconf.conf" >"$TMP/dialconf.conf"
	"$ROOT/usr/sbin/dialconf" serve --config "$TMP/dialconf.conf" \
		>"$TMP/serve.log" 2>&1 </dev/null &
	PID=$!
	# Up to 60 s: make check runs this at nice 19 beside three lanes of
	# tests, and the first start hashes the admin's password (argon2id).
	for _ in $(seq 600); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			answered=yes
			break
		fi
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$answered" ] && break
	grep -q 'in use' "$TMP/serve.log" || break
	wait "$PID" 2>/dev/null
	PID=
done
if [ -n "$answered" ] && grep -q 'serving sip:' "$TMP/serve.log"; then
	ok "serve from the unpacked package answers /healthz"
else
	not_ok "serve from the unpacked package" "$TMP/serve.log"
fi
kill "$PID" 2>/dev/null
wait "$PID"
rc=$?
PID=
if [ "$rc" -eq 0 ]; then ok "SIGTERM: exit 0"; else not_ok "SIGTERM: exit $rc" "$TMP/serve.log"; fi
finish
