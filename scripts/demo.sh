#!/usr/bin/env bash
# jmptcp demo: a two-path testbed (20 Mbit/s with 10 ms RTT, 10 Mbit/s with 40 ms RTT), a jmptcp
# daemon with SOCKS5 on the client, a jmptcp daemon in forward mode in front of a small HTTP
# server on the server side, and a 20 MiB download through SOCKS with curl. Prints the
# throughput, the bytes each path carried, and what a single path gives with kernel TCP; then
# tears everything down. Needs root (network namespaces). Builds jmptcp and installs missing
# Debian packages first.
#
#   scripts/demo.sh            MPTCP as set below (JMPTCP_DEMO_MPTCP overrides: on|off)
set -euo pipefail

# The stack's mode: "on" (MPTCP) or "off" (plain TCP, one path).
MPTCP=${JMPTCP_DEMO_MPTCP:-on}
P=jdemo
SIZE_MIB=20

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JMPTCP="$ROOT/scripts/jmptcp"
TESTBED="$ROOT/scripts/testbed.sh"
WORK=""
PIDS=()

say() { printf '%s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
  "$TESTBED" down --prefix "$P" >/dev/null 2>&1 || true
  if [[ -n $WORK && -d $WORK ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, TUN devices); run it with sudo"

# --- packages -----------------------------------------------------------------------------------
"$ROOT/scripts/install-deps.sh" || die "missing packages (see scripts/packages.txt)"

# --- build --------------------------------------------------------------------------------------
"$JMPTCP" --version >/dev/null   # the launcher builds the jar when it is missing or stale

# --- testbed ------------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/jmptcp-demo.XXXXXX)
say "bringing up the testbed '$P' (2 paths) ..."
"$TESTBED" up --prefix "$P" --paths 2 --rate 1=20 --delay 1=5 --rate 2=10 --delay 2=20 --server-stack \
  >"$WORK/testbed.log" 2>&1 || { cat "$WORK/testbed.log" >&2; die "testbed up failed"; }

mkdir -p "$WORK/www"
head -c $((SIZE_MIB << 20)) /dev/urandom >"$WORK/www/file.bin"
want=$(sha256sum "$WORK/www/file.bin" | cut -d' ' -f1)

in_ns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }
start() { # start NS LOG COMMAND...: a background process inside a namespace
  local ns=$1 log=$2; shift 2
  # Not through in_ns: a backgrounded function is a subshell, and $! would be that subshell, not
  # the process (ip netns exec execs it), so cleanup's kill missed the daemons and left them running.
  ip netns exec "$P-$ns" "$@" >"$log" 2>&1 &
  PIDS+=($!)
}
wait_for() { # wait_for SECONDS WHAT COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "timed out waiting for $what"
}

start srv "$WORK/http.log" python3 -m http.server --bind 0.0.0.0 --directory "$WORK/www" 8000
start srv "$WORK/srv-daemon.log" "$JMPTCP" daemon --mptcp "$MPTCP" --tun "${P}s0" \
  --address 10.4.1.1 --address 10.4.2.1 --forward 8080=127.0.0.1:8000 --control "$WORK/srv.sock"
start cli "$WORK/cli-daemon.log" "$JMPTCP" daemon --mptcp "$MPTCP" --tun "${P}c0" \
  --address 10.3.1.1 --address 10.3.2.1 --socks 127.0.0.1:1080 --control "$WORK/cli.sock"
wait_for 60 "the HTTP server" in_ns srv curl -sf -o /dev/null http://127.0.0.1:8000/
wait_for 60 "the server daemon" test -S "$WORK/srv.sock"
wait_for 60 "the client daemon" test -S "$WORK/cli.sock"

rx() { in_ns cli cat "/sys/class/net/${P}c$1/statistics/rx_bytes"; }

# --- the download through SOCKS -------------------------------------------------------------------
say "downloading ${SIZE_MIB} MiB through SOCKS (curl --socks5-hostname 127.0.0.1:1080, jmptcp --mptcp $MPTCP) ..."
rx1=$(rx 1); rx2=$(rx 2)
(   # sample the client daemon's status while the transfer runs: subflows vanish with the connection
  while :; do
    "$JMPTCP" status --control "$WORK/cli.sock" --json >"$WORK/status.tmp" 2>/dev/null \
      && grep -q '"subflows":\[{' "$WORK/status.tmp" && mv "$WORK/status.tmp" "$WORK/status.json"
    sleep 0.5
  done
) &
sampler=$!
t0=$(date +%s.%N)
in_ns cli curl -sS --fail --socks5-hostname 127.0.0.1:1080 -o "$WORK/got.bin" "http://10.4.1.1:8080/file.bin"
t1=$(date +%s.%N)
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
d1=$(( $(rx 1) - rx1 )); d2=$(( $(rx 2) - rx2 ))
got=$(sha256sum "$WORK/got.bin" | cut -d' ' -f1)
[[ $got == "$want" ]] || die "SHA-256 mismatch: got $got, want $want"

mbit() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b * 8 / s / 1e6 }'; }
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
total=$((d1 + d2))
pct() { awk -v a="$1" -v t="$2" 'BEGIN { printf "%.0f", t ? 100 * a / t : 0 }'; }

say ""
say "jmptcp through SOCKS (--mptcp $MPTCP): $((SIZE_MIB << 20)) bytes in ${secs} s = $(mbit $((SIZE_MIB << 20)) "$secs") Mbit/s, SHA-256 matches"
say "  bytes received per path (client interfaces, kernel counters):"
say "    path 1 (20 Mbit/s, 10 ms RTT): $d1 bytes ($(pct "$d1" "$total") %)"
say "    path 2 (10 Mbit/s, 40 ms RTT): $d2 bytes ($(pct "$d2" "$total") %)"
if [[ -s $WORK/status.json ]]; then
  say "  subflows of the client daemon's connection (last 'jmptcp status --json' during the transfer):"
  python3 - "$WORK/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for c in s["connections"]:
    if not c["remote"].endswith(":8080"):
        continue
    for f in c["subflows"]:
        print(f"    {f['local']} -> {f['remote']}: {f['bytes_received']} bytes received, "
              f"rtt {f['rtt_us'] / 1000:.1f} ms, cwnd {f['cwnd']}")
PY
fi
if [[ $MPTCP == off ]]; then
  say "  (plain TCP: one path carries the data; MPTCP spreads it over both once --mptcp on is wired in)"
fi

# --- single-path baselines with kernel TCP --------------------------------------------------------
say ""
say "single path, kernel TCP (curl from the client namespace, no jmptcp):"
for k in 1 2; do
  t0=$(date +%s.%N)
  in_ns cli curl -sS --fail --interface "10.1.$k.1" -o /dev/null "http://10.2.$k.1:8000/file.bin"
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  say "    path $k: $(mbit $((SIZE_MIB << 20)) "$secs") Mbit/s"
done
say ""
say "tearing down ..."
