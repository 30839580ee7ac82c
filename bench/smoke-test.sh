#!/usr/bin/env bash
# bench.smoke: runs the load generator against a freshly started parleyd for
# about a second in each mode and fails on any correctness fault (the
# generator's exit status). It asserts nothing about speed.
#
#   bench/smoke-test.sh PARLEYD LOADGEN
set -euo pipefail

parleyd=$1
loadgen=$2
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Limits a closed-loop client would hit at once are raised (the smoke test
# measures correctness, not the rate limiter); rooms of up to 8 for fan-out.
write_config() {
  local tls=$1
  {
    printf '{"listen": {"address": "127.0.0.1", "port": 0},\n'
    printf ' "admin": {"address": "127.0.0.1", "port": 0}, "static_dir": "",\n'
    printf ' "limits": {"max_peers_per_room": 8, "messages_per_second": 1000000, "message_burst": 1000000},\n'
    if [[ $tls == tls ]]; then
      printf ' "tls": {"cert": "%s/cert.pem", "key": "%s/key.pem"},\n' "$work" "$work"
    fi
    printf ' "heartbeat": {"ping_interval": 300, "ping_timeout": 300}}\n'
  } >"$work/parley-$tls.json"
}

# Starts parleyd and sets $port and $pid once it logs its public port; the
# rest of its log keeps draining to a file so that it never blocks on stderr.
start_parleyd() {
  local tls=$1 line
  write_config "$tls"
  exec {log}< <(exec "$parleyd" --config "$work/parley-$tls.json" --address 127.0.0.1 --port 0 2>&1)
  pid=$!
  pids+=("$pid")
  port=
  while IFS= read -r -t 30 line <&"$log"; do
    echo "parleyd: $line" >&2
    if [[ $line =~ listening\ on\ [0-9.]+:([0-9]+)\ \(public ]]; then
      port=${BASH_REMATCH[1]}
      break
    fi
  done
  if [[ -z $port ]]; then
    echo "bench.smoke: parleyd did not log its port" >&2
    exit 1
  fi
  cat <&"$log" >"$work/parleyd-$tls.log" &
}

failures=0
run() {
  local name=$1
  shift
  local out
  if out=$("$loadgen" --host 127.0.0.1 --port "$port" --server-pid "$pid" --strict \
             --setup-timeout 60 "$@"); then
    echo "ok   $name"
  else
    echo "FAIL $name: $out" >&2
    failures=$((failures + 1))
  fi
}

start_parleyd plain
short=(--warmup 0.2 --duration 1)
run "relay 200 B, K=4"        --mode relay --dialect native --pairs 10 --inflight 4 --size 200 "${short[@]}"
run "relay 4 KB, K=1"         --mode relay --dialect native --pairs 10 --inflight 1 --size 4096 "${short[@]}"
run "relay addressed (to)"    --mode relay --dialect native --pairs 10 --inflight 2 --addressed "${short[@]}"
run "latency, open loop"      --mode latency --dialect native --pairs 10 --rate 1000 "${short[@]}"
run "churn"                   --mode churn --dialect native --pairs 10 "${short[@]}"
run "fan-out, rooms of 8"     --mode fanout --dialect native --rooms 4 --room-size 8 "${short[@]}"
run "idle ws"                 --mode idle --dialect native --sessions 200 --settle 0.2 --recovery 1 \
                              --bind-from 127.0.0.2 --per-address 100

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
start_parleyd tls
run "idle wss"                --mode idle --dialect native --tls --sessions 100 --settle 0.2 --recovery 1
run "relay wss"               --mode relay --dialect native --tls --pairs 5 "${short[@]}"

if ((failures > 0)); then
  echo "bench.smoke: $failures mode(s) saw correctness faults" >&2
  exit 1
fi
