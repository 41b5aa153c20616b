#!/usr/bin/env bash
# Captures one Linux kernel MPTCP connection (kernel client -> kernel server) between two network
# namespaces joined by two veth paths, for checking our decoder and codec against real traffic.
#
#   scripts/kernel-capture.sh [--checksum] [--bulk BYTES] [--ipv6] [--pm-events] [--fastclose]
#                             [--late-announce] [--linktype LINUX_SLL|LINUX_SLL2] OUT.pcap
#
# The capture holds: the MP_CAPABLE handshake on path 1 (10.231.1.0/24, or fd00:231:1::/64 with
# --ipv6), the server's ADD_ADDR of its path-2 address (10.231.2.2 / fd00:231:2::2) and the
# client's echo, the MP_JOIN handshake of the second subflow on path 2, DSS data both ways, and a
# DATA_FIN each way. The client waits (polling
# MPTCP_INFO) until the join is up before it sends its DATA_FIN: Linux refuses new subflows once a
# connection has received a DATA_FIN. --bulk BYTES makes each side also send BYTES more after the
# join, so that both subflows carry data. --checksum turns on DSS checksums
# (net.mptcp.checksum_enabled=1) on both hosts. --pm-events adds, once the join is up and before
# any more data: the server marks its path-2 endpoint backup (MP_PRIO), then deletes it
# (REMOVE_ADDR, and the second subflow closes); the rest of the exchange runs on path 1.
# --late-announce: the server announces its second address only after "hello"/"welcome", so the
# client's first data rides MP_CAPABLE (length 22, or 24 with a checksum) instead of a DSS.
# --fastclose: once the join is up the client aborts (close with SO_LINGER 0), so Linux resets
# every subflow with MP_FASTCLOSE (and MP_TCPRST); there is then no DATA_FIN.
#
# The last frame is a UDP datagram to port 5299 (the end-of-capture marker, see below).
# tcpdump runs in the client namespace on "any", so the link type is Linux cooked (SLL, or SLL2
# with --linktype LINUX_SLL2). Needs root, ip, tcpdump, python3. Prints a summary on stderr.
set -euo pipefail

checksum=0
bulk=0
linktype=LINUX_SLL
ipv6=0
pm_events=0
fastclose=0
late_announce=0
while [ $# -gt 1 ]; do
  case "$1" in
    --checksum) checksum=1; shift ;;
    --bulk) bulk="$2"; shift 2 ;;
    --linktype) linktype="$2"; shift 2 ;;
    --ipv6) ipv6=1; shift ;;
    --pm-events) pm_events=1; shift ;;
    --fastclose) fastclose=1; shift ;;
    --late-announce) late_announce=1; shift ;;
    *) echo "kernel-capture: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--checksum] [--bulk BYTES] [--ipv6] [--pm-events] [--fastclose] [--late-announce] [--linktype LINUX_SLL|LINUX_SLL2] OUT.pcap" >&2; exit 2; }
out="$1"
if [ "$ipv6" = 1 ]; then
  family=AF_INET6; plen=64; nodad=nodad
  c1=fd00:231:1::1; s1=fd00:231:1::2; c2=fd00:231:2::1; s2=fd00:231:2::2
else
  family=AF_INET; plen=24; nodad=
  c1=10.231.1.1; s1=10.231.1.2; c2=10.231.2.1; s2=10.231.2.2
fi

tag="$$"
cli="jdec-c$tag"
srv="jdec-s$tag"
work="$(mktemp -d /tmp/jdec-capture.XXXXXX)"
tcpdump_pid=""

cleanup() {
  if [ -n "$tcpdump_pid" ] && kill -0 "$tcpdump_pid" 2>/dev/null; then
    kill "$tcpdump_pid" 2>/dev/null || true
    wait "$tcpdump_pid" 2>/dev/null || true
  fi
  # Processes started inside the namespaces by this script only.
  for ns in "$cli" "$srv"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Waits until "$@" succeeds, for at most $deadline seconds (polling, not sleeping blindly).
wait_for() {
  local what="$1" deadline="$2"; shift 2
  local end=$((SECONDS + deadline))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$end" ]; then
      echo "kernel-capture: timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

ip netns add "$cli"
ip netns add "$srv"
ip -n "$cli" link add jdec-c1 type veth peer name jdec-s1 netns "$srv"
ip -n "$cli" link add jdec-c2 type veth peer name jdec-s2 netns "$srv"
# nodad: IPv6 addresses usable at once, without duplicate address detection
ip -n "$cli" addr add "$c1/$plen" dev jdec-c1 $nodad
ip -n "$cli" addr add "$c2/$plen" dev jdec-c2 $nodad
ip -n "$srv" addr add "$s1/$plen" dev jdec-s1 $nodad
ip -n "$srv" addr add "$s2/$plen" dev jdec-s2 $nodad
for ns in "$cli" "$srv"; do
  ip -n "$ns" link set lo up
  for dev in $(ip -n "$ns" -o link show type veth | awk -F'[ :@]+' '{print $2}'); do
    ip -n "$ns" link set "$dev" up
  done
  ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
  ip netns exec "$ns" sysctl -qw net.mptcp.checksum_enabled="$checksum"
  ip -n "$ns" mptcp limits set subflow 8 add_addr_accepted 8
done
announce() { ip -n "$srv" mptcp endpoint add "$s2" dev jdec-s2 id 1 signal; }
[ "$late_announce" = 1 ] || announce

wait_for "veth links" 10 sh -c "ip -n $cli -o link show jdec-c2 | grep -q 'state UP'"

# -B 65536: a 64 MiB ring; with the default 2 MiB, bursts of 64 KiB GSO packets overflow it.
# --immediate-mode: without it TPACKET_V3 holds a short run's packets in its ring. --print: the
# packets are also listed on stdout, so the end marker (one UDP datagram to port 5299, sent when
# everything is closed) tells when tcpdump has written every earlier packet.
ip netns exec "$cli" tcpdump -i any -y "$linktype" -s 0 -B 65536 --immediate-mode -U -l -n --print \
  -w "$work/cap.pcap" "tcp port 5201 or udp port 5299" >"$work/tcpdump.out" 2>"$work/tcpdump.err" &
tcpdump_pid=$!
wait_for "tcpdump to listen" 10 grep -q "listening on" "$work/tcpdump.err"

cat >"$work/server.py" <<'EOF'
import socket, sys
bulk = int(sys.argv[1])
family = getattr(socket, sys.argv[3])
s = socket.socket(family, socket.SOCK_STREAM, 262)  # IPPROTO_MPTCP
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 5201))
s.listen(1)
open(sys.argv[2], "w").close()          # ready marker
c, _ = s.accept()
got = b""
while not got.endswith(b"hello\n"):
    got += c.recv(4096)
c.sendall(b"welcome\n")
total = 0
while True:                             # read until the client's DATA_FIN
    try:
        d = c.recv(65536)
    except ConnectionResetError:        # --fastclose: the client aborted
        sys.exit(0)
    if not d:
        break
    total += len(d)
c.sendall(b"x" * bulk + b"bye %d\n" % total)
c.close()
EOF

cat >"$work/client.py" <<'EOF'
import os, socket, struct, sys, time
bulk = int(sys.argv[1])
s = socket.socket(getattr(socket, sys.argv[2]), socket.SOCK_STREAM, 262)  # IPPROTO_MPTCP
s.connect((sys.argv[3], 5201))
s.sendall(b"hello\n")
got = b""
while not got.endswith(b"welcome\n"):
    got += s.recv(4096)
sync = sys.argv[4]                      # marker files shared with the script
open(sync + ".welcome", "w").close()
# Wait for the second subflow (created after the server's ADD_ADDR): MPTCP_INFO (SOL_MPTCP 284,
# optname 1); its first byte, mptcpi_subflows, counts the subflows beyond the initial one.
deadline = time.monotonic() + 10
while s.getsockopt(284, 1, 64)[0] < 1:
    if time.monotonic() > deadline:
        sys.exit("no second subflow")
    time.sleep(0.01)
open(sync + ".joined", "w").close()
if sys.argv[5] == "pm-events":          # wait for the script's MP_PRIO and REMOVE_ADDR
    while not os.path.exists(sync + ".go"):
        if time.monotonic() > deadline + 10:
            sys.exit("no go from the script")
        time.sleep(0.01)
if sys.argv[5] == "fastclose":          # abort: Linux resets the subflows with MP_FASTCLOSE
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("aborted")
    sys.exit(0)
s.sendall(b"y" * bulk + b"more\n")
s.shutdown(socket.SHUT_WR)              # our DATA_FIN; the server answers and sends its own
rest = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    rest += d
s.close()
print(rest[-20:].decode().strip())
EOF

ip netns exec "$srv" python3 "$work/server.py" "$bulk" "$work/ready" "$family" >"$work/server.out" 2>&1 &
server_pid=$!
wait_for "server to listen" 10 test -e "$work/ready"
mode=normal
[ "$fastclose" = 1 ] && mode=fastclose
[ "$pm_events" = 1 ] && mode=pm-events
ip netns exec "$cli" timeout 30 python3 "$work/client.py" "$bulk" "$family" "$s1" "$work/sync" \
  "$mode" >"$work/client.out" 2>&1 &
client_pid=$!
if [ "$late_announce" = 1 ]; then
  wait_for "hello/welcome" 10 test -e "$work/sync.welcome"
  announce
fi
if [ "$pm_events" = 1 ]; then
  wait_for "the join" 15 test -e "$work/sync.joined"
  ip -n "$srv" mptcp endpoint change id 1 backup
  wait_for "MP_PRIO on the wire" 10 grep -q 'mptcp [0-9]* prio' "$work/tcpdump.out"
  ip -n "$srv" mptcp endpoint del id 1
  wait_for "REMOVE_ADDR on the wire" 10 grep -Eq 'mptcp [0-9]+ (rem-addr|remove-addr)' "$work/tcpdump.out"
  touch "$work/sync.go"
fi
wait "$client_pid" || { echo "kernel-capture: client failed: $(cat "$work/client.out")" >&2; exit 1; }
wait "$server_pid" || { echo "kernel-capture: server failed: $(cat "$work/server.out")" >&2; exit 1; }

# Both sides closed; wait until every subflow has finished its TCP close (only TIME-WAIT or
# nothing left), so the last FIN/ACKs are in the capture before tcpdump stops.
open_subflows() {
  ip netns exec "$1" ss -Htn state established state fin-wait-1 state fin-wait-2 \
    state closing state last-ack state close-wait state syn-sent state syn-recv | grep -q .
}
wait_for "subflows to close" 10 sh -c "! { $(declare -f open_subflows); open_subflows $cli || open_subflows $srv; }"

ip netns exec "$cli" python3 -c 'import socket, sys
socket.socket(getattr(socket, sys.argv[1]), socket.SOCK_DGRAM).sendto(b"end", (sys.argv[2], 5299))' "$family" "$s1"
wait_for "tcpdump to write the end marker" 10 grep -q '[.]5299: UDP' "$work/tcpdump.out"
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
cp "$work/cap.pcap" "$out"
captured=$(grep -h -E 'packets captured' "$work/tcpdump.err")
dropped=$(grep -h -E 'packets dropped by kernel' "$work/tcpdump.err")
echo "kernel-capture: $captured, $dropped; client got: $(tail -c 12 "$work/client.out")" >&2
case "$dropped" in
  0\ *) ;;
  *) echo "kernel-capture: tcpdump lost packets, the capture is incomplete" >&2; exit 1 ;;
esac
