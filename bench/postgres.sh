# Sourced by the bench scripts: `start_postgres DIR` starts a PostgreSQL cluster of its own in
# DIR (a new directory) on a free local port, as the postgres user when run as root, and sets
# PG_URL; `stop_postgres DIR [MODE]` stops it (fast, or immediate: as a crash), and
# `restart_postgres DIR` starts it again on the same port. Needs Debian's postgresql package (installed if not).

pg_bin() {
  if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1)"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local dir=$1 bin port
  bin=$(pg_bin)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  # The postgres user must reach DIR: through its parent (a mktemp -d is 0700) and into it.
  [ "$(id -u)" != 0 ] || { chmod a+x "$(dirname "$dir")"; chown postgres "$dir"; }
  as_postgres "$bin/initdb" --auth=trust --username=switchboard --no-sync -D "$dir/data" >/dev/null
  echo "$port" > "$dir/port"
  restart_postgres "$dir"
  PG_URL="postgres://switchboard@127.0.0.1:$port/postgres"
}

restart_postgres() {
  local dir=$1
  as_postgres "$(pg_bin)/pg_ctl" start --wait --silent -D "$dir/data" -l "$dir/server.log" \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1"
}

stop_postgres() {
  as_postgres "$(pg_bin)/pg_ctl" stop --silent -m "${2:-fast}" -D "$1/data" || true
}
