#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 only.
#
#   scripts/pg-test-server.sh start DIR   initdb in DIR (new or empty), start
#                                         on a free port, print its URL:
#                                         postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg-test-server.sh stop DIR    stop it and remove DIR
#   scripts/pg-test-server.sh down DIR    stop it (fast shutdown), keep DIR
#   scripts/pg-test-server.sh up DIR      start it again, on the same port
#                                         (tests of a database restart)
#
# Trust authentication, no fsync: it holds test data only. As root the
# server runs as the postgres user (initdb refuses root); otherwise as the
# caller. The server binaries come from /usr/lib/postgresql/15 (Debian's
# postgresql-15), else the newest version there, else pg_config --bindir.
set -euo pipefail

die() { echo "pg-test-server: $*" >&2; exit 1; }

bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  d=$(pg_config --bindir 2>/dev/null || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  die "no PostgreSQL server binaries (apt-get install postgresql)"
}

# as_owner COMMAND: run a shell command as the server's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "$1"
  else
    sh -c "$1"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# launch DIR PORT: start the server of DIR on PORT.
launch() {
  local dir=$1 port=$2
  as_owner "'$(bindir)/pg_ctl' -D '$dir/data' -l '$dir/log' -w -t 30 \
      -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" \
      start >/dev/null 2>&1"
}

start() {
  local dir=$1 bin port i
  bin=$(bindir)
  mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "'$bin/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --no-locale >'$dir/initdb.log' 2>&1" ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  for i in 1 2 3 4 5; do
    port=$(free_port)
    if launch "$dir" "$port"; then
      echo "$port" > "$dir/port"
      echo "postgres://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
  done
  cat "$dir/log" >&2 2>/dev/null || true
  die "the server did not start"
}

stop() {
  local dir=$1 bin
  [ -d "$dir/data" ] || return 0
  bin=$(bindir)
  as_owner "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1" || true
  rm -rf "$dir"
}

down() {
  local dir=$1
  [ -d "$dir/data" ] || die "no server in $dir"
  as_owner "'$(bindir)/pg_ctl' -D '$dir/data' -m fast -w stop >/dev/null 2>&1" ||
    die "the server did not stop"
}

up() {
  local dir=$1
  [ -f "$dir/port" ] || die "no server in $dir"
  launch "$dir" "$(cat "$dir/port")" || { tail -n 20 "$dir/log" >&2; die "the server did not start"; }
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop)  [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  down)  [ $# -eq 2 ] || die "usage: $0 down DIR"; down "$2" ;;
  up)    [ $# -eq 2 ] || die "usage: $0 up DIR"; up "$2" ;;
  *) die "usage: $0 start|stop|down|up DIR" ;;
esac
