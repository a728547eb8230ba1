#!/usr/bin/env bash
# Starts the services hafen's system tests talk to: the Docker engine and PostgreSQL.
# Idempotent: a service that already answers is left alone. No systemd is assumed.
set -euo pipefail

LOG_DIR="${HAFEN_SERVICE_LOGS:-/tmp/hafen-services}"
mkdir -p "$LOG_DIR"

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then echo "start-services: $what is up"; return 0; fi
    sleep 0.25
  done
  echo "start-services: $what did not come up within ${seconds}s" >&2
  return 1
}

# Docker engine (Debian's docker.io). Its own client is used: /usr/local/bin/docker may be newer.
DOCKER=/usr/bin/docker
if [ -x /usr/sbin/dockerd ]; then
  if ! $DOCKER info >/dev/null 2>&1; then
    nohup /usr/sbin/dockerd >"$LOG_DIR/dockerd.log" 2>&1 &
    wait_for 60 "dockerd" $DOCKER info || { tail -20 "$LOG_DIR/dockerd.log" >&2; exit 1; }
  else
    echo "start-services: dockerd already running"
  fi
else
  echo "start-services: dockerd not installed (run scripts/install-system-deps.sh)" >&2
fi

# PostgreSQL (Debian's cluster tools).
if command -v pg_lsclusters >/dev/null 2>&1; then
  if ! pg_isready -q 2>/dev/null; then
    read -r ver name _ < <(pg_lsclusters --no-header | head -1) || true
    if [ -z "${ver:-}" ]; then
      ver=$(ls /usr/lib/postgresql | sort -V | tail -1); name=main
      pg_createcluster "$ver" "$name" >/dev/null
    fi
    pg_ctlcluster "$ver" "$name" start
    wait_for 30 "postgresql $ver/$name" pg_isready -q
  else
    echo "start-services: postgresql already running"
  fi
  # The role the tests use over loopback (test/helpers/postgres.ts): it creates a database per
  # test and drops it after. Test data only; the password is not a secret.
  if [ "$(id -u)" -eq 0 ] && ! su postgres -s /bin/sh -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'hafen_test'\"" | grep -q 1; then
    su postgres -s /bin/sh -c "psql -qc \"CREATE ROLE hafen_test LOGIN CREATEDB PASSWORD 'hafen_test'\""
    echo "start-services: postgresql role hafen_test created"
  fi
else
  echo "start-services: postgresql not installed (run scripts/install-system-deps.sh)" >&2
fi
