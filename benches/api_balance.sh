#!/usr/bin/env bash
# Load test of GET /api/v1/credits/balance: a release daemon on 127.0.0.1 against the local
# PostgreSQL (through its Unix socket, or DATABASE_URL's server; database igny8_bench_api),
# driven by wrk with 64 connections for 15 s. Target: >= 5,000 requests/s with p99 < 10 ms.
#
# Run: benches/api_balance.sh   (needs wrk: apt-get install -y wrk). The daemon is built with
# `cargo build --release`, into CARGO_TARGET_DIR when that is set.
# WRK_DURATION, WRK_CONNECTIONS and WRK_THREADS override the load.
set -euo pipefail

cd "$(dirname "$0")/.."

# The daemon reaches the local server through its Unix socket, as the example configuration
# recommends for a database on the same machine; DATABASE_URL picks another server or TCP.
server_url=${DATABASE_URL:-postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres}
database_url="${server_url%/*}/igny8_bench_api"
duration=${WRK_DURATION:-15s}
connections=${WRK_CONNECTIONS:-64}
threads=${WRK_THREADS:-2}

command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

cargo build --release
binary=${CARGO_TARGET_DIR:-target}/release/igny8

workdir=$(mktemp -d)
daemon_pid=
cleanup() {
    if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# A free port on 127.0.0.1: nothing answers a connection to it.
port=
for _ in $(seq 100); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port=$candidate
        break
    fi
done
[[ -n $port ]] || { echo "no free port found" >&2; exit 1; }
base="http://127.0.0.1:$port"

config=$workdir/igny8.toml
cat >"$config" <<EOF
data_dir = "$workdir/data"

[database]
url = "$database_url"

[http]
listen = "127.0.0.1:$port"

[log]
level = "warn"

[jobs]
workers = 1

# The highest quota the settings accept, so wrk measures the API and not the limiter.
[rate_limits.default]
per_minute = 1000000
burst = 100000
EOF
mkdir -p "$workdir/data"

account=$("$binary" --config "$config" account create --name bench --credits 100 --json)
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$account")
[[ -n $token ]] || { echo "no token in: $account" >&2; exit 1; }

"$binary" --config "$config" serve >"$workdir/daemon.log" 2>&1 &
daemon_pid=$!

for _ in $(seq 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$workdir/daemon.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { echo "daemon not healthy" >&2; exit 1; }
# One request by hand, so a broken token or route fails here and not as wrk's error count.
curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/credits/balance"
echo
echo "database: $database_url; wrk: $threads threads, $connections connections, $duration"

wrk "-t$threads" "-c$connections" "-d$duration" --latency \
    -H "Authorization: Bearer $token" "$base/api/v1/credits/balance"

kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=
if [[ -s $workdir/daemon.log ]]; then
    echo "--- daemon log (warn and above)"
    cat "$workdir/daemon.log"
fi
exit "$status"
