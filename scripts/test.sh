#!/usr/bin/env bash
# Runs every test: unit, property, simulator, and the interop tests that need root, network
# namespaces and the Linux kernel's MPTCP. Installs the Debian packages those need when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need=()
for pair in ip:iproute2 nft:nftables tshark:tshark tcpdump:tcpdump mptcpize:mptcpd \
            iperf3:iperf3 socat:socat python3:python3 mvn:maven java:openjdk-17-jdk-headless; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test.sh: missing packages: ${need[*]} (run as root to install them)" >&2
  fi
fi

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<'MSG'
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! Not root: the interop tests (network namespaces, TUN, the Linux kernel peer) cannot run.
!! They will FAIL. To run only the rest, set JMPTCP_SKIP_NETNS=1 (they are then reported
!! as skipped, not passed).
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
MSG
fi

exec mvn -B verify "$@"
