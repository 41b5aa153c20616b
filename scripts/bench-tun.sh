#!/usr/bin/env bash
# The raw TUN ceiling from Java, beside kernel TCP over an unlimited veth, on this machine.
#   scripts/bench-tun.sh [SECONDS] [PACKET_BYTES]
# Needs root, iperf3 and the jar (built if missing). Everything runs in scratch namespaces
# (jtun-bench-*), removed on exit. Results: docs/benchmarks-tun.md.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_TEST=${1:-5}
SIZE=${2:-1500}
JAR=$REPO/mptcp-cli/target/jmptcp.jar
NS=jtun-bench-$$
NA=jtun-bench-$$-a
NB=jtun-bench-$$-b

cleanup() { for n in "$NS" "$NA" "$NB"; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v iperf3 >/dev/null || { echo "bench-tun: iperf3 is missing (apt-get install -y iperf3)" >&2; exit 1; }
if [[ ! -f $JAR ]]; then (cd "$REPO" && mvn -B -q -DskipTests package); fi

echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1)"
echo "== Java TunDevice, ${SIZE}-byte packets, ${SECONDS_PER_TEST} s per test (after a warm-up run)"
ip netns add "$NS"
ip -n "$NS" link set lo up
# Forwarding for the relay test, and no ICMP redirects for packets leaving by the device they
# came in on; rp_filter off because the sources are routed into the device.
ip netns exec "$NS" sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
  net.ipv4.conf.default.send_redirects=0 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
ip -n "$NS" route add blackhole 10.99.0.0/16
JAVA_OUT=$(java -cp "$JAR" io.jmptcp.tun.bench.TunBench "$NS" "$SECONDS_PER_TEST" "$SIZE" 2>/dev/null)
echo "$JAVA_OUT"

echo "== kernel TCP over an unlimited veth (iperf3, ${SECONDS_PER_TEST} s)"
ip netns add "$NA"; ip netns add "$NB"
ip link add jtunbva netns "$NA" type veth peer name jtunbvb netns "$NB"
ip -n "$NA" addr add 10.97.0.1/24 dev jtunbva; ip -n "$NB" addr add 10.97.0.2/24 dev jtunbvb
ip -n "$NA" link set jtunbva up; ip -n "$NB" link set jtunbvb up
ip -n "$NA" link set lo up; ip -n "$NB" link set lo up
ip netns exec "$NB" iperf3 -s -1 -D
deadline=$((SECONDS + 10))
until ip netns exec "$NB" ss -ltn | grep -q ':5201'; do
  ((SECONDS < deadline)) || { echo "bench-tun: iperf3 server did not start" >&2; exit 1; }
  sleep 0.1
done
KERNEL_BPS=$(ip netns exec "$NA" iperf3 -c 10.97.0.2 -t "$SECONDS_PER_TEST" -J |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
printf 'kernel TCP  %6.2f Gbit/s\n' "$(awk -v b="$KERNEL_BPS" 'BEGIN { print b / 1e9 }')"

echo "== ratios (Java TUN / kernel TCP over veth)"
echo "$JAVA_OUT" | awk -v k="$KERNEL_BPS" '/Gbit\/s/ { printf "%-6s %5.1f %%\n", $1, 100 * $4 * 1e9 / k }'
