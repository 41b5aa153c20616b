#!/usr/bin/env bash
# The soak of issue 13: CLIENTS concurrent downloads through the jmptcp daemon's SOCKS5 front end,
# over MPTCP with two paths to a kernel MPTCP HTTP server, for SECONDS, while the paths flap
# (blackholed or reset in turn, one at a time, every FLAP seconds). Every download's SHA-256 is
# checked. Before the load (after a warm-up round) and after it (once the daemon holds no
# connection), the daemon's heap is collected (jcmd GC.run) and its used heap and Java threads
# are read: they must be back where they started. Needs root (network namespaces, TUN).
#
#   scripts/soak.sh [--seconds 600] [--clients 50] [--flap 4] [--rate 30] [--prefix jsk]
#
# SOAK_DAEMON_ARGS adds daemon options (e.g. --log-level debug); SOAK_KEEP=1 keeps the work
# directory (it is kept anyway when the soak fails); SOAK_PCAP=1 records the headers of every
# segment at the server in srv.pcap (about 1.5 MB a second).
#
# Exit status 0 only if every download that got a connection is intact, none stalled (under 1 byte/s
# for 60 s; there is no cap on a download's total time), the daemon
# forgot every connection, its heap after GC is within HEAP_SLACK_PCT % (+ 2 MiB) of the start
# and its thread count is the start's. Downloads whose SOCKS CONNECT was refused, or whose
# connection was reset before its first byte, while the path of the initial subflow was reset (a
# clean error, no byte delivered) are counted and retried, not failures.
set -euo pipefail

SECONDS_TOTAL=600
CLIENTS=50
FLAP=4
RATE=30
P=jsk
HEAP_SLACK_PCT=10

while (($#)); do
  case $1 in
    --seconds) SECONDS_TOTAL=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --flap) FLAP=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --prefix) P=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak: unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JMPTCP="$ROOT/scripts/jmptcp"
TESTBED="$ROOT/scripts/testbed.sh"
WORK=""
PIDS=()
WORKERS=()

say() { printf 'soak: %s\n' "$*"; }
die() { echo "soak: FAIL: $*" >&2; SOAK_KEEP=1; exit 1; }

cleanup() {
  local pid
  for pid in "${WORKERS[@]}" "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  "$TESTBED" down --prefix "$P" >/dev/null 2>&1 || true
  if [[ -n $WORK && -d $WORK && -z ${SOAK_KEEP:-} ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, TUN devices)"
for c in curl jcmd mptcpize python3 sha256sum; do
  command -v "$c" >/dev/null || die "$c is missing (scripts/install-deps.sh)"
done
"$JMPTCP" --version >/dev/null   # builds the jar when it is missing or stale

WORK=$(mktemp -d /tmp/jmptcp-soak.XXXXXX)
# The run uses its own copy of the jar: a rebuild in the tree while it runs must not touch it.
cp "$ROOT/mptcp-cli/target/jmptcp.jar" "$WORK/jmptcp.jar"
jmptcp() { java ${JMPTCP_JAVA_OPTS:-} -jar "$WORK/jmptcp.jar" "$@"; }
export JMPTCP_CMD="java -jar $WORK/jmptcp.jar"   # the testbed's link emulators
say "testbed '$P': 2 paths, $RATE Mbit/s each, 10 and 30 ms RTT"
"$TESTBED" up --prefix "$P" --paths 2 --rate all="$RATE" --delay 1=5 --delay 2=15 >"$WORK/testbed.log" 2>&1 \
  || { cat "$WORK/testbed.log" >&2; die "testbed up failed"; }

mkdir -p "$WORK/www" "$WORK/got"
SIZES=(65536 1048576 4194304)
for s in "${SIZES[@]}"; do head -c "$s" /dev/urandom >"$WORK/www/f$s.bin"; done
declare -A WANT=()
for s in "${SIZES[@]}"; do WANT[$s]=$(sha256sum "$WORK/www/f$s.bin" | cut -d' ' -f1); done

in_ns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }
start() { # start NS LOG COMMAND...; not through in_ns, so that $! is the process itself
  local ns=$1 log=$2; shift 2
  ip netns exec "$P-$ns" "$@" >"$log" 2>&1 &
  PIDS+=($!)
}
within() { # within SECONDS COMMAND...: true once COMMAND succeeds, false at the deadline
  local end=$(($(date +%s) + $1)); shift
  while (($(date +%s) < end)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
wait_for() { # wait_for SECONDS WHAT COMMAND...
  local secs=$1 what=$2; shift 2
  within "$secs" "$@" || die "timed out waiting for $what"
}

start srv "$WORK/kernel-events.log" ip mptcp monitor   # the kernel's subflow events, for a post-mortem
if [[ -n ${SOAK_PCAP:-} ]]; then   # headers of every segment at the server, for a post-mortem (large)
  start srv "$WORK/tcpdump.log" tcpdump -i any -s 200 -w "$WORK/srv.pcap" tcp port 8000
fi
# HTTP/1.1: the server keeps its connection open until curl closes it. With HTTP/1.0 it closes once it
# has written the file, and the kernel refuses joins to a connection its application closed
# (mptcp_can_accept_new_subflow wants TCP_ESTABLISHED) and destroys it with its last subflow: a path
# reset after that loses the rest of the download whatever the client does (docs/robustness.md).
start srv "$WORK/http.log" mptcpize run python3 -m http.server --protocol HTTP/1.1 --bind 0.0.0.0 \
  --directory "$WORK/www" 8000
# Keepalive (off by default, as Linux): a downloading subflow whose far end a reset killed while it
# sent nothing has nothing in flight to time out; its probe gets the kernel's RST and the path
# manager joins again (without it, downloads hung for good in the soak).
start cli "$WORK/daemon.log" java -Xmx512m ${JMPTCP_JAVA_OPTS:-} -jar "$WORK/jmptcp.jar" daemon --tun "${P}c0" --address 10.3.1.1 --address 10.3.2.1 --socks 127.0.0.1:1080 \
  --control "$WORK/cli.sock" --max-clients 1000 --keepalive 10,2,3 ${SOAK_DAEMON_ARGS:-}
DAEMON=${PIDS[-1]}
wait_for 60 "the HTTP server" in_ns srv curl -sf -o /dev/null http://127.0.0.1:8000/
wait_for 60 "the daemon's control socket" jmptcp status --control "$WORK/cli.sock"

connections() { # connections the daemon holds (its status), or -1
  jmptcp status --control "$WORK/cli.sock" --json 2>/dev/null \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["connections"]))' 2>/dev/null || echo -1
}
idle() { [[ $(connections) == 0 ]]; }
measure() { # measure LABEL: GC, then "heap_kib threads rss_kib"
  jcmd "$DAEMON" GC.run >/dev/null; jcmd "$DAEMON" GC.run >/dev/null
  local heap threads rss
  heap=$(jcmd "$DAEMON" GC.heap_info | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -1)
  # Java threads, without the JIT's compiler threads, whose number the JVM varies with the load
  threads=$(jcmd "$DAEMON" Thread.print | grep '^"' | grep -vc 'CompilerThread')
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON/status")
  say "$1: heap used after GC $((heap / 1024)) MiB, $threads Java threads, RSS $((rss / 1024)) MiB" >&2
  echo "$heap $threads $rss"
}

# one download: WORKER N SIZE -> a result line "size exit bytes verdict"
fetch() {
  local w=$1 n=$2 s=$3 out="$WORK/got/$1.bin" rc=0 bytes
  # A download that moves fewer than 1 byte/s for 60 s has stalled (curl exit 28). No cap on the
  # total time: with 50 downloads sharing the flapping paths, 4 MiB took up to 162 s in run 3, and a
  # 180 s cap counted the slowest as hung while its bytes still arrived.
  local got
  got=$(in_ns cli curl -sS --speed-limit 1 --speed-time 60 --socks5 127.0.0.1:1080 -o "$out" \
    -w '%{size_download} %{time_total}' "http://10.2.1.1:8000/f$s.bin" 2>>"$WORK/got/$w.err") || rc=$?
  read -r bytes secs <<<"$got"
  local verdict
  if ((rc == 28)); then
    verdict=STALLED
  elif ((rc == 0)); then
    if [[ $(sha256sum "$out" | cut -d' ' -f1) == "${WANT[$s]}" ]]; then verdict=intact; else verdict=CORRUPT; fi
  elif ((bytes == 0)) && ((rc == 97 || rc == 7 || rc == 56)); then
    # the SOCKS CONNECT failed, or the connection was reset before its first byte (the initial
    # subflow's path reset before a second subflow was up): a clean error, nothing delivered
    verdict=refused
    sleep 0.5         # back off while the path of the initial subflow is reset
  else
    verdict=FAILED
  fi
  echo "$w $n $s $rc $bytes $verdict $secs"
}

say "warm-up: one download of each size"
for s in "${SIZES[@]}"; do
  r=$(fetch warm 0 "$s"); [[ $r == *" intact "* ]] || die "warm-up download failed: $r"
done
wait_for 150 "the daemon to forget the warm-up connections (TIME_WAIT: 60 s)" idle
read -r HEAP0 THREADS0 RSS0 < <(measure "start")

say "load: $CLIENTS concurrent downloads for $SECONDS_TOTAL s, paths flapping every $FLAP s"
END=$(($(date +%s) + SECONDS_TOTAL))
worker() {
  local w=$1 n=0
  while (($(date +%s) < END)); do
    n=$((n + 1))
    fetch "$w" "$n" "${SIZES[$(( (w + n) % ${#SIZES[@]} ))]}" >>"$WORK/results"
  done
}
for w in $(seq "$CLIENTS"); do worker "$w" & WORKERS+=($!); done

# the flaps: one path at a time, never both down
FLAPS=("1 blackhole" "2 blackhole" "2 reset" "1 reset")
f=0
while (($(date +%s) < END)); do
  set -- ${FLAPS[$((f % ${#FLAPS[@]}))]}
  "$TESTBED" path --prefix "$P" "$1" "$2" >/dev/null
  sleep "$FLAP"
  "$TESTBED" path --prefix "$P" "$1" up >/dev/null
  f=$((f + 1))
  sleep "$FLAP"
  done_n=$(wc -l <"$WORK/results" 2>/dev/null || echo 0)
  say "$(( END - $(date +%s) > 0 ? END - $(date +%s) : 0 )) s left: $f flaps, $done_n downloads, daemon: $(connections) connections"
done
for pid in "${WORKERS[@]}"; do wait "$pid" || true; done
WORKERS=()

say "load over: waiting for the daemon to forget its connections"
held=0
if ! within 300 idle; then
  held=$(connections)
  jmptcp status --control "$WORK/cli.sock" --json >"$WORK/held.json" 2>&1 || true
  say "FAIL: the daemon still holds $held connections 300 s after the load (kept in held.json)"
fi
read -r HEAP1 THREADS1 RSS1 < <(measure "end")

total=$(wc -l <"$WORK/results")
count() { awk -v v="$1" '$6 == v' "$WORK/results" | wc -l; }
intact=$(count intact); refused=$(count refused); corrupt=$(count CORRUPT); failed=$(count FAILED)
stalled=$(count STALLED)
bytes=$(awk '$6 == "intact" { b += $5 } END { printf "%.0f", b }' "$WORK/results")
say "downloads: $total ($intact intact, $refused refused or reset before the first byte, $corrupt corrupt, $failed failed, $stalled stalled for 60 s), $((bytes >> 20)) MiB intact, $f flaps"
for s in "${SIZES[@]}"; do
  awk -v s="$s" '$3 == s && $6 == "intact" { print $7 }' "$WORK/results" | sort -g \
    | awk -v s="$s" '{ t[NR] = $1 } END { p = int(NR * 0.99); if (p < 1) p = 1
        if (NR) printf "soak: %d-byte downloads: %d intact, seconds p50 %.1f, p99 %.1f, max %.1f\n", s, NR, t[int((NR + 1) / 2)], t[p], t[NR] }'
done
say "heap after GC: start $((HEAP0 / 1024)) MiB, end $((HEAP1 / 1024)) MiB; Java threads: start $THREADS0, end $THREADS1; RSS: start $((RSS0 / 1024)) MiB, end $((RSS1 / 1024)) MiB"
in_ns srv nstat -az >"$WORK/srv-nstat.txt" 2>&1 || true
say "kernel server: $(awk '/MPTcpExtMPJoin(SynRx|AckRx|NoTokenFound|Rejected)|MPTcpExtMPCapableSYNRX / { printf "%s=%s ", substr($1, 9), $2 }' "$WORK/srv-nstat.txt")"
errors=$(grep -c 'ERROR\|Exception' "$WORK/daemon.log" || true)
say "daemon log: $errors lines with ERROR or Exception"

ok=1
((held == 0)) || ok=0
if ((corrupt + failed + stalled > 0)); then
  awk '$6 == "CORRUPT" || $6 == "FAILED" || $6 == "STALLED"' "$WORK/results" | head -20 >&2
  for e in "$WORK"/got/*.err; do [[ -s $e ]] && { echo "== $e" >&2; tail -3 "$e" >&2; }; done
  say "FAIL: $corrupt corrupt, $failed failed and $stalled stalled downloads"; ok=0
fi
((intact >= CLIENTS)) || { say "FAIL: only $intact intact downloads for $CLIENTS clients"; ok=0; }
((HEAP1 <= HEAP0 + HEAP0 * HEAP_SLACK_PCT / 100 + 2048)) || { say "FAIL: heap grew from $HEAP0 KiB to $HEAP1 KiB"; ok=0; }
((THREADS1 == THREADS0)) || { say "FAIL: Java threads $THREADS0 -> $THREADS1"; ok=0; }
if ((ok)); then say "PASS"; else SOAK_KEEP=1; say "kept $WORK"; exit 1; fi
