#!/usr/bin/env bash
# Captures a few Linux-kernel MPTCP v1 connections between two network namespaces and writes the
# IP packets as hex, one per line, for the codec tests (LinuxCaptureTest). Needs root.
#   usage: capture-linux.sh OUTPUT_DIR
# Two paths (10.91.1.0/24, 10.91.2.0/24 and fd91:1::/64, fd91:2::/64); the client adds a subflow
# over the second path (MP_JOIN), the server announces its second address (ADD_ADDR). One IPv4
# connection without and one with DSS checksums (net.mptcp.checksum_enabled), one IPv6 connection.
# Offloads are off so that the kernel writes real checksums and MSS-sized segments.
set -euo pipefail
out=${1:?output dir}
A=jcodA; B=jcodB
cleanup() {
  [[ -n "${tcpd:-}" ]] && kill "$tcpd" 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
for i in 1 2; do
  ip link add jcoda$i netns $A type veth peer name jcodb$i netns $B
  for ns in $A $B; do
    d=jcod$( [[ $ns == $A ]] && echo a || echo b )$i
    ip -n $ns link set $d up
    ip netns exec $ns ethtool -K $d tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  done
  ip -n $A addr add 10.91.$i.1/24 dev jcoda$i
  ip -n $B addr add 10.91.$i.2/24 dev jcodb$i
  ip -n $A addr add fd91:$i::1/64 dev jcoda$i nodad
  ip -n $B addr add fd91:$i::2/64 dev jcodb$i nodad
done
ip -n $A link set lo up; ip -n $B link set lo up
for ns in $A $B; do ip -n $ns mptcp limits set subflow 4 add_addr_accepted 4; done
ip -n $A mptcp endpoint add 10.91.2.1 dev jcoda2 subflow
ip -n $A mptcp endpoint add fd91:2::1 dev jcoda2 subflow
ip -n $B mptcp endpoint add 10.91.2.2 dev jcodb2 signal
ip -n $B mptcp endpoint add fd91:2::2 dev jcodb2 signal

cat > /tmp/jcod_peer.py <<'PY'
import socket, sys, time
IPPROTO_MPTCP = 262
role, fam, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
if role == "server":
    s = socket.socket(af, socket.SOCK_STREAM, IPPROTO_MPTCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == "6" else "0.0.0.0", port)); s.listen(1)
    c, _ = s.accept()
    while True:
        d = c.recv(4096)
        if not d: break
        c.sendall(d)
    c.close()
else:
    c = socket.socket(af, socket.SOCK_STREAM, IPPROTO_MPTCP)
    c.connect((addr, port))
    for i in range(6):
        c.sendall(b"hello world\n")
        c.recv(4096)
        time.sleep(0.3)   # leaves time for MP_JOIN and ADD_ADDR to happen mid-connection
    c.sendall(b"x" * 3000)
    got = 0
    while got < 3000:
        got += len(c.recv(4096))
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096): pass
    c.close()
PY

run() { # name family server-address port checksum
  local name=$1 fam=$2 saddr=$3 port=$4 csum=$5
  for ns in $A $B; do ip netns exec $ns sysctl -qw net.mptcp.checksum_enabled=$csum; done
  ip netns exec $B tcpdump --immediate-mode -B 16384 -U -s 0 -i any -w /tmp/jcod_$name.pcap "tcp port $port" &
  tcpd=$!
  for _ in $(seq 50); do [[ -s /tmp/jcod_$name.pcap ]] && break; sleep 0.1; done
  ip netns exec $B python3 /tmp/jcod_peer.py server $fam $saddr $port &
  local srv=$!
  sleep 0.5
  ip netns exec $A timeout 20 python3 /tmp/jcod_peer.py client $fam $saddr $port
  wait $srv
  sleep 0.5
  kill $tcpd; wait $tcpd 2>/dev/null || true; tcpd=
  python3 - /tmp/jcod_$name.pcap "$out/linux-$name.hex" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
assert magic == 0xa1b2c3d4, hex(magic)
link = struct.unpack("<I", data[20:24])[0]
pos, lines = 24, []
while pos < len(data):
    _, _, incl, orig = struct.unpack("<IIII", data[pos:pos+16]); pos += 16
    frame = data[pos:pos+incl]; pos += incl
    if link == 113:  hdr = 16        # Linux cooked (SLL)
    elif link == 276: hdr = 20       # SLL2
    else: raise SystemExit("link type %d" % link)
    lines.append(frame[hdr:].hex())
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print(sys.argv[2], len(lines), "packets")
PY
}
run v4 4 10.91.1.2 5001 0
run v4-csum 4 10.91.1.2 5002 1
run v6 6 fd91:1::2 5003 0
