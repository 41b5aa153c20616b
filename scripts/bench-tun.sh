#!/usr/bin/env bash
# The raw TUN ceiling from Java, beside kernel TCP over an unlimited veth, on this machine.
#   scripts/bench-tun.sh [SECONDS] [PACKET_BYTES]
# Needs root, iperf3 and the jar (built if missing). Everything runs in scratch namespaces
# (jtun-bench-*), removed on exit. Results: docs/benchmarks.md, section "TUN ceiling".
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

echo "== reference: the same write loop in C (gcc), same namespace, same packets"
C_PPS=""
if command -v gcc >/dev/null; then
  CDIR=$(mktemp -d)
  trap 'cleanup; rm -rf "$CDIR"' EXIT
  cat >"$CDIR/tunwrite.c" <<'C'
/* Writes SIZE-byte IPv4/UDP packets (10.98.2.2 -> 10.99.0.1, a blackhole route) into an existing
   TUN device for SECONDS; prints packets/s. See linux/if_tun.h and tuntap.rst. */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  const char *dev = argv[1]; double secs = atof(argv[2]); int size = atoi(argv[3]);
  int fd = open("/dev/net/tun", O_RDWR);
  struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1); ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("tun"); return 1; }
  unsigned char p[65536]; memset(p, 0, size);
  p[0] = 0x45; p[2] = size >> 8; p[3] = size & 0xff; p[8] = 64; p[9] = 17;
  unsigned char src[4] = {10, 98, 2, 2}, dst[4] = {10, 99, 0, 1};
  memcpy(p + 12, src, 4); memcpy(p + 16, dst, 4);
  unsigned sum = 0; for (int i = 0; i < 20; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  sum = ~sum & 0xffff; p[10] = sum >> 8; p[11] = sum & 0xff;
  p[20] = 0x9c; p[21] = 0x40; p[23] = 9; p[24] = (size - 20) >> 8; p[25] = (size - 20) & 0xff;
  for (int round = 0; round < 2; round++) { /* warm-up, then measured, like the Java loop */
    long n = 0; double t0 = now(), t = t0;
    while (t - t0 < secs) { for (int i = 0; i < 256; i++) if (write(fd, p, size) == size) n++; t = now(); }
    if (round == 1) printf("%.0f\n", n / (t - t0));
  }
  return 0;
}
C
  gcc -O2 -o "$CDIR/tunwrite" "$CDIR/tunwrite.c"
  ip -n "$NS" tuntap add dev jtunbc mode tun
  ip -n "$NS" link set jtunbc up
  C_PPS=$(ip netns exec "$NS" "$CDIR/tunwrite" jtunbc "$SECONDS_PER_TEST" "$SIZE")
  printf 'C write %9.0f packets/s  %6.2f Gbit/s\n' "$C_PPS" "$(awk -v p="$C_PPS" -v s="$SIZE" 'BEGIN { print p * s * 8 / 1e9 }')"
  JAVA_WRITE=$(echo "$JAVA_OUT" | awk '$1 == "write" { print $2 }')
  printf 'Java write / C write: %.0f %%\n' "$(awk -v j="$JAVA_WRITE" -v c="$C_PPS" 'BEGIN { print 100 * j / c }')"
else
  echo "(gcc not installed: skipped)"
fi

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
