#!/usr/bin/env bash
# Benchmarks; results and the commands that made them: docs/benchmarks.md.
#
#   scripts/bench.sh all [--quick] [--out DIR] [--no-docs] [--only CASE,...]
#     The whole suite in one command (scripts/bench-all.py): single path both ways, the aggregation
#     matrix, fairness, failover, scale and rate (where this checkout has it), each case's results
#     as JSON in DIR (default target/bench-all/DATE), a table of jmptcp against the kernel with
#     ratios, gnuplot PNGs in docs/img/, and the generated block at the top of docs/benchmarks.md.
#     --quick: small sizes, one run per case (about 15 minutes). A failed case is reported and the
#     others still run; the exit status is then 1.
#   scripts/bench.sh [MIB=1024] [TUN_SECONDS=5]
#     Single-path goodput: jmptcp (plain TCP, `jmptcp nc --mptcp off`) beside kernel TCP over the
#     same unlimited testbed path (veths through the router namespace: no tbf, no emulator), both
#     ways, with offloads, with --no-offload and through the daemon's SOCKS port, each with the whole
#     machine's busy CPU seconds per GB while it ran; then the raw TUN ceiling (scripts/bench-tun.sh).
#   scripts/bench.sh failover [RUNS=3] [MIB=48]
#     2 x 50 Mbit/s, 10 ms RTT; path 1 blackholed 1.5 s (at the receiver) into an upload: jmptcp
#     and the kernel's MPTCP client to the same kernel server, alternating; medians of the
#     receiver's longest stall and of the transfer time, and the ratios jmptcp/kernel.
#   scripts/bench.sh reestablish [RUNS=1] [MIB=48]
#     2 x 10 Mbit/s; path 1 answers with resets from 2 s for 10 s, then returns: does each client
#     use path 1 again, how soon, how much (scripts/bench-pm.py samples the kernel's sockets).
#     KERNEL_CC=cubic sets the kernel client's congestion control (default: the namespace's).
#   scripts/bench.sh fairness [RUNS=3] [WINDOW=8]
#     2 subflows + 1 kernel TCP flow (cubic) through one shared 50 Mbit/s tbf, 20 ms RTT: the MPTCP
#     connection's bytes / the TCP flow's over a common window, for jmptcp lia, olia, balia and the
#     kernel's MPTCP (cubic subflows unless KERNEL_CC), medians (scripts/bench-cc.py).
#   scripts/bench.sh aggregation [RUNS=2] [MIB=16] [CASES=1,2,3,4,5,6]
#     the simult_flows.sh matrix, uploads, jmptcp --cc lia against the kernel's MPTCP client
#     (KERNEL_CC as above), the best single path (kernel TCP) and the sum of the link rates.
#   scripts/bench.sh moveaway [RUNS=2] [WINDOW=8]
#     2 x 20 Mbit/s (uplink tbf in the router), 20 ms RTT, a kernel TCP flow on path 1: its rate against alone, and the MPTCP
#     connection's rate per path, for jmptcp lia, olia, balia and the kernel's MPTCP.
#   scripts/bench.sh hetero [RUNS=3] [MIB=8]
#     2 x 20 Mbit/s, RTT 10 ms and 200 ms, the kernel server's receive buffer 64 KiB: uploads with
#     jmptcp's schedulers blest, ecf, minrtt, roundrobin and the kernel's MPTCP client, goodput.
#   scripts/bench.sh latency [RUNS=3] [COUNT=2000]
#     2 x 20 Mbit/s, 20 ms RTT, 2 % loss on path 2: 1 KiB requests every 10 ms echoed by the kernel
#     server, round-trip and one-way percentiles, jmptcp redundant and minrtt and the kernel's MPTCP.
#   scripts/bench.sh scale [CONNS=10000] [HEAP=512m]
#     CONNS idle MPTCP connections through the daemon's SOCKS port to a kernel MPTCP server (one byte
#     each way, then idle), daemon -XmxHEAP, --max-subflows 2 and 1: heap after GC per connection and
#     per subflow, threads, RSS, the kernel server's slab per connection (scripts/bench-scale.py).
#   scripts/bench.sh mptcp [MIB=1024]
#     single path, MPTCP: kernel MPTCP upload (and kernel TCP for reference), jmptcp `nc --mptcp on`
#     upload and download with offloads and with --no-offload, ratios (scripts/bench-mptcp.sh).
#   scripts/bench.sh rate [CONNS=10000] [INFLIGHT=64]
#     new MPTCP connections per second to a kernel MPTCP server over one unlimited path, INFLIGHT at
#     a time, each connect, 64 B request, 64 B answer, the server closes, close; CONNS counted after
#     CONNS/2 of warm-up: the kernel's MPTCP sockets (Python, 2 processes), jmptcp's API (RateBench)
#     and the daemon's SOCKS port, 3 runs (RUNS=N), medians and ratios to the kernel of the same run
#     (scripts/bench-rate.py).
# Needs root, python3, iperf3. Uses testbed prefix jrtb (torn down on exit).
# JMPTCP_JAVA_OPTS is passed to the jmptcp JVM (e.g. a JFR recording for a profile).
# BENCH_JSON=FILE: single, failover, fairness, aggregation and scale also write their results there
# as JSON; BENCH_SERIES=DIR: failover and aggregation record the server's bytes per subflow per 100 ms
# (tcpdump there; one run per client) into DIR (both set by `bench.sh all`).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CASE=single
case ${1:-} in
  all) shift; exec python3 "$REPO/scripts/bench-all.py" "$@" ;;
  failover|reestablish) CASE=$1; shift ;;
  fairness|aggregation|moveaway|hetero|latency|scale|mptcp|rate) CASE=$1; shift ;;
  -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
OUT_ARGS=()  # --json FILE, --series-dir DIR for the Python benches
if [[ -n ${BENCH_JSON:-} ]]; then OUT_ARGS+=(--json "$BENCH_JSON"); fi
if [[ -n ${BENCH_SERIES:-} && ($CASE == failover || $CASE == aggregation) ]]; then OUT_ARGS+=(--series-dir "$BENCH_SERIES"); fi
MIB=${1:-1024}
TUN_SECONDS=${2:-5}
P=jrtb
BYTES=$((MIB * 1024 * 1024))
JAR=$REPO/mptcp-cli/target/jmptcp.jar
WORK=$(mktemp -d /tmp/jmptcp-bench.XXXXXX)

DAEMON_PID=
cleanup() {
  # the SOCKS case's daemon, if a failure left it: it holds the caller's flock on the netns lock
  if [[ -n $DAEMON_PID ]]; then kill "$DAEMON_PID" 2>/dev/null || true; wait "$DAEMON_PID" 2>/dev/null || true; fi
  "$REPO/scripts/testbed.sh" down --prefix "$P" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$REPO/scripts/install-deps.sh" || { echo "bench: missing packages (see scripts/packages.txt)" >&2; exit 1; }
if [[ ! -f $JAR ]] || [[ -n $(find "$REPO"/mptcp-*/src/main "$REPO"/pom.xml "$REPO"/mptcp-*/pom.xml -newer "$JAR" -type f -print -quit) ]]; then
  echo "bench: building the jar" >&2
  (cd "$REPO" && mvn -B -q -DskipTests package) >&2
fi

# Single-path MPTCP against the kernel's MPTCP, offloads and --no-offload (scripts/bench-mptcp.sh).
if [[ $CASE == mptcp ]]; then
  exec "$REPO/scripts/bench-mptcp.sh" "${1:-1024}"
fi

# Connection scale (issue 12): scripts/bench-scale.py builds its bed and drives the runs.
if [[ $CASE == scale ]]; then
  echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 "$REPO/scripts/bench-scale.py" idle --prefix "$P" --jar "$JAR" --conns "${1:-10000}" --heap "${2:-512m}" "${OUT_ARGS[@]}"
  exit 0
fi

# Connection setup rate (issue 12): scripts/bench-rate.py builds its bed and drives the runs.
if [[ $CASE == rate ]]; then
  echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 "$REPO/scripts/bench-rate.py" run --prefix "$P" --jar "$JAR" --conns "${1:-10000}" --inflight "${2:-64}" \
    --runs "${RUNS:-3}"
  echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# Congestion control and aggregation (issue 11): scripts/bench-cc.py builds its beds and drives the runs.
if [[ $CASE == fairness || $CASE == aggregation || $CASE == moveaway || $CASE == hetero || $CASE == latency ]]; then
  echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
  ARGS=()
  if [[ -n ${1:-} ]]; then ARGS+=(--runs "$1"); fi
  if [[ $CASE == aggregation ]]; then
    if [[ -n ${2:-} ]]; then ARGS+=(--mib "$2"); fi
    if [[ -n ${3:-} ]]; then ARGS+=(--cases "$3"); fi
  elif [[ $CASE == hetero ]]; then
    if [[ -n ${2:-} ]]; then ARGS+=(--mib "$2"); fi
  elif [[ $CASE == latency ]]; then
    if [[ -n ${2:-} ]]; then ARGS+=(--count "$2"); fi
  elif [[ -n ${2:-} ]]; then ARGS+=(--window "$2"); fi
  if [[ -n ${KERNEL_CC:-} ]]; then ARGS+=(--kernel-cc "$KERNEL_CC"); fi
  python3 "$REPO/scripts/bench-cc.py" "$CASE" --prefix "$P" --jar "$JAR" "${ARGS[@]}" "${OUT_ARGS[@]}"
  echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# Path management: the bed, then scripts/bench-pm.py drives the runs and prints the results.
if [[ $CASE != single ]]; then
  RUNS=${1:-}
  PM_MIB=${2:-48}
  echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ $CASE == failover ]]; then
    BED=(--paths 2 --rate all=50 --delay all=5 --no-signal)
    ARGS=(--runs "${RUNS:-3}" --mib "$PM_MIB" --cut-after 1.5)
  else
    BED=(--paths 2 --rate all=10 --no-signal)
    ARGS=(--runs "${RUNS:-1}" --mib "$PM_MIB" --reset-after 2 --reset-for 10)
  fi
  echo "== $CASE: testbed.sh up --prefix $P ${BED[*]}"
  echo "bench: building the testbed" >&2
  JMPTCP_CMD="java -jar $JAR" "$REPO/scripts/testbed.sh" up --prefix "$P" "${BED[@]}" >/dev/null
  # The kernel client's subflows use the namespace's TCP congestion control (bbr on these
  # machines); KERNEL_CC=cubic (or reno) sets it on its socket instead (TCP_CONGESTION).
  echo "== kernel client congestion control: ${KERNEL_CC:-$(ip netns exec "$P-cli" sysctl -n net.ipv4.tcp_congestion_control)}; jmptcp: lia"
  if [[ -n ${KERNEL_CC:-} ]]; then ARGS+=(--kernel-cc "$KERNEL_CC"); fi
  python3 "$REPO/scripts/bench-pm.py" "$CASE" --prefix "$P" --jar "$JAR" "${ARGS[@]}" "${OUT_ARGS[@]}"
  exit 0
fi

# The sink (scripts/bench-sink.py) times the transfer from its first byte to EOF, or sends N bytes.

"$REPO/scripts/testbed.sh" up --prefix "$P" --paths 1 >/dev/null
echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== single path, unlimited (testbed $P path 1: veth -> router -> veth), ${MIB} MiB per transfer"

# Runs the sink in the server namespace on port $1 (extra args: --send bytes), waits until it listens.
start_sink() {
  local port=$1 send=${2:-0}
  rm -f "$WORK/ready"
  ip netns exec "$P-srv" python3 "$REPO/scripts/bench-sink.py" "$port" "$send" "$WORK/ready" > "$WORK/sink.$port" &
  SINK_PID=$!
  local deadline=$((SECONDS + 10))
  until [[ -f $WORK/ready ]]; do
    ((SECONDS < deadline)) || { echo "bench: sink did not start" >&2; exit 1; }
    sleep 0.05
  done
}
gbit() { wait "$SINK_PID"; awk '{ print $2 }' "$WORK/sink.$1"; }
# The whole machine's busy CPU seconds per GB (1e9 bytes) over the sink's timed interval (bench-sink.py).
cpugb() { awk '{ printf "%.2f", $3 / ($1 / 1e9) }' "$WORK/sink.$1"; }

start_sink 7001
head -c "$BYTES" /dev/zero | ip netns exec "$P-cli" python3 -c '
import socket, sys
s = socket.create_connection(("10.2.1.1", 7001), source_address=("10.1.1.1", 0))
while True:
    b = sys.stdin.buffer.read1(1 << 20)
    if not b: break
    s.sendall(b)
s.shutdown(socket.SHUT_WR); s.recv(1)'
KERNEL=$(gbit 7001); KERNEL_CPU=$(cpugb 7001)
printf 'kernel TCP  upload    %7.3f Gbit/s  %6.2f CPU-s/GB\n' "$KERNEL" "$KERNEL_CPU"

start_sink 7006 "$BYTES"
ip netns exec "$P-cli" python3 -c '
import socket
s = socket.create_connection(("10.2.1.1", 7006), source_address=("10.1.1.1", 0))
buf = bytearray(1 << 20)
while s.recv_into(buf): pass
s.close()'
KERNEL_DOWN=$(gbit 7006); KERNEL_DOWN_CPU=$(cpugb 7006)
printf 'kernel TCP  download  %7.3f Gbit/s  %6.2f CPU-s/GB\n' "$KERNEL_DOWN" "$KERNEL_DOWN_CPU"

ip netns exec "$P-srv" iperf3 -s -1 -D -B 10.2.1.1
deadline=$((SECONDS + 10))
until ip netns exec "$P-srv" ss -ltn | grep -q ':5201'; do ((SECONDS < deadline)) || exit 1; sleep 0.05; done
IPERF=$(ip netns exec "$P-cli" iperf3 -c 10.2.1.1 -B 10.1.1.1 -t 5 -J |
  python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))')
printf 'kernel TCP  iperf3    %7.3f Gbit/s  (5 s, for reference)\n' "$IPERF"

read -ra JAVA_OPTS <<< "${JMPTCP_JAVA_OPTS:-}"
NC=(ip netns exec "$P-cli" java "${JAVA_OPTS[@]}" -jar "$JAR" nc --mptcp off --tun "${P}t0" --address 10.3.1.1)
# Offloads on (the default: TSO super-segments through the TUN, issue 12), then --no-offload
# (one packet per read and write), in the same run.
start_sink 7002
head -c "$BYTES" /dev/zero | "${NC[@]}" 10.2.1.1 7002 > /dev/null 2> "$WORK/nc-up.err" || { cat "$WORK/nc-up.err" >&2; exit 1; }
UP=$(gbit 7002); UP_CPU=$(cpugb 7002)
printf 'jmptcp      upload    %7.3f Gbit/s  %6.2f CPU-s/GB  (offloads)\n' "$UP" "$UP_CPU"

start_sink 7003 "$BYTES"
"${NC[@]}" 10.2.1.1 7003 < /dev/null > /dev/null 2> "$WORK/nc-down.err" || { cat "$WORK/nc-down.err" >&2; exit 1; }
DOWN=$(gbit 7003); DOWN_CPU=$(cpugb 7003)
printf 'jmptcp      download  %7.3f Gbit/s  %6.2f CPU-s/GB  (offloads)\n' "$DOWN" "$DOWN_CPU"

start_sink 7004
head -c "$BYTES" /dev/zero | "${NC[@]}" --no-offload 10.2.1.1 7004 > /dev/null 2> "$WORK/nc-up-no.err" || { cat "$WORK/nc-up-no.err" >&2; exit 1; }
UPNO=$(gbit 7004)
printf 'jmptcp      upload    %7.3f Gbit/s  %6.2f CPU-s/GB  (--no-offload)\n' "$UPNO" "$(cpugb 7004)"

start_sink 7005 "$BYTES"
"${NC[@]}" --no-offload 10.2.1.1 7005 < /dev/null > /dev/null 2> "$WORK/nc-down-no.err" || { cat "$WORK/nc-down-no.err" >&2; exit 1; }
DOWNNO=$(gbit 7005)
printf 'jmptcp      download  %7.3f Gbit/s  %6.2f CPU-s/GB  (--no-offload)\n' "$DOWNNO" "$(cpugb 7005)"

# The same transfers through the daemon's SOCKS5 port (issue 12: SOCKS may cost at most 10 % of the
# API path's throughput): the daemon with the nc's stack options, a Python client on loopback that
# speaks SOCKS5 and then sends or receives as the kernel client above.
ip netns exec "$P-cli" java "${JAVA_OPTS[@]}" -jar "$JAR" daemon --mptcp off --tun "${P}t0" --address 10.3.1.1 \
  --socks 127.0.0.1:1080 --control "$WORK/control.sock" > "$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
deadline=$((SECONDS + 30))
until ip netns exec "$P-cli" ss -ltnH 'sport = :1080' | grep -q LISTEN; do # [::ffff:127.0.0.1]:1080
  if ((SECONDS >= deadline)) || ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    echo "bench: the daemon's SOCKS port did not open" >&2; cat "$WORK/daemon.log" >&2; exit 1
  fi
  sleep 0.1
done
socks() { # PORT UPLOAD_BYTES (0: download to EOF)
  ip netns exec "$P-cli" python3 -c '
import socket, struct, sys
port, up = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", 1080))
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00", "SOCKS method"
s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("10.2.1.1") + struct.pack(">H", port))
r = b""
while len(r) < 10:
    r += s.recv(10 - len(r))
assert r[1] == 0, "SOCKS reply %d" % r[1]
if up:
    buf = bytes(1 << 20)
    while up > 0:
        up -= s.send(buf[:min(up, len(buf))])
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
else:
    buf = bytearray(1 << 20)
    while s.recv_into(buf):
        pass
s.close()' "$1" "$2"
}
start_sink 7007
socks 7007 "$BYTES"
SOCKS_UP=$(gbit 7007); SOCKS_UP_CPU=$(cpugb 7007)
printf 'jmptcp      upload    %7.3f Gbit/s  %6.2f CPU-s/GB  (offloads, through the daemon'"'"'s SOCKS port)\n' "$SOCKS_UP" "$SOCKS_UP_CPU"
start_sink 7008 "$BYTES"
socks 7008 0
SOCKS_DOWN=$(gbit 7008); SOCKS_DOWN_CPU=$(cpugb 7008)
printf 'jmptcp      download  %7.3f Gbit/s  %6.2f CPU-s/GB  (offloads, through the daemon'"'"'s SOCKS port)\n' "$SOCKS_DOWN" "$SOCKS_DOWN_CPU"
kill "$DAEMON_PID" 2>/dev/null || true
wait "$DAEMON_PID" 2>/dev/null || true
grep -h 'stack counters' "$WORK"/nc-*.err | sed 's/^.*stack counters/  counters/' || true

echo "== ratios"
awk -v u="$UP" -v d="$DOWN" -v un="$UPNO" -v dn="$DOWNNO" -v k="$KERNEL" -v kd="$KERNEL_DOWN" \
    -v su="$SOCKS_UP" -v sd="$SOCKS_DOWN" -v uc="$UP_CPU" -v dc="$DOWN_CPU" -v kc="$KERNEL_CPU" -v kdc="$KERNEL_DOWN_CPU" 'BEGIN {
  printf "jmptcp upload / kernel TCP upload        %5.1f %%  (--no-offload %5.1f %%)\n", 100 * u / k, 100 * un / k
  printf "jmptcp download / kernel TCP download    %5.1f %%  (--no-offload %5.1f %%)\n", 100 * d / kd, 100 * dn / kd
  printf "offload / --no-offload        upload %.2fx  download %.2fx\n", u / un, d / dn
  printf "SOCKS / API (nc)              upload %.2fx  download %.2fx  (goal: at least 0.90)\n", su / u, sd / d
  printf "CPU-s/GB jmptcp / kernel TCP  upload %.2fx  download %.2fx\n", uc / kc, dc / kdc }'

echo
echo "== raw TUN ceiling (scripts/bench-tun.sh $TUN_SECONDS)"
TUN_OUT=$("$REPO/scripts/bench-tun.sh" "$TUN_SECONDS")
echo "$TUN_OUT"
RELAY=$(echo "$TUN_OUT" | awk '$1 == "relay" && /packets\/s/ { print $4 }')
if [[ -n ${BENCH_JSON:-} ]]; then
  printf '{"case": "single", "mib": %s, "kernel_upload_gbit": %s, "kernel_download_gbit": %s, "kernel_iperf3_gbit": %s, "jmptcp_upload_gbit": %s, "jmptcp_download_gbit": %s, "jmptcp_upload_no_offload_gbit": %s, "jmptcp_download_no_offload_gbit": %s, "tun_relay_gbit": %s, "socks_upload_gbit": %s, "socks_download_gbit": %s, "kernel_upload_cpu_s_per_gb": %s, "kernel_download_cpu_s_per_gb": %s, "jmptcp_upload_cpu_s_per_gb": %s, "jmptcp_download_cpu_s_per_gb": %s, "socks_upload_cpu_s_per_gb": %s, "socks_download_cpu_s_per_gb": %s}\n' \
    "$MIB" "$KERNEL" "$KERNEL_DOWN" "$IPERF" "$UP" "$DOWN" "$UPNO" "$DOWNNO" "${RELAY:-null}" "$SOCKS_UP" "$SOCKS_DOWN" \
    "$KERNEL_CPU" "$KERNEL_DOWN_CPU" "$UP_CPU" "$DOWN_CPU" "$SOCKS_UP_CPU" "$SOCKS_DOWN_CPU" > "$BENCH_JSON"
fi
echo "== jmptcp against the TUN ceiling (relay: one thread writing and reading 1500-byte packets)"
echo "$TUN_OUT" | awk -v u="$UP" -v d="$DOWN" '$1 == "relay" && /packets\/s/ {
  printf "jmptcp upload / TUN relay     %5.1f %%\njmptcp download / TUN relay   %5.1f %%\n", 100 * u / $4, 100 * d / $4 }'
