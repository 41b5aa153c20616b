#!/usr/bin/env bash
# Single-path MPTCP goodput (issue 12), run by `scripts/bench.sh mptcp [MIB=1024]`: over the same
# unlimited testbed path as `bench.sh` (veth, router namespace, veth), in one run:
#   kernel MPTCP upload (a Python client with IPPROTO_MPTCP) and kernel TCP upload, for reference;
#   jmptcp `nc --mptcp on` upload and download with TUN offloads (the default) and with --no-offload;
#   then over two unlimited paths (a second subflow each), against the one-path figures.
# The receiver (or sender, for downloads) is a kernel MPTCP socket in the server namespace, which
# times from its first byte to EOF. Prints Gbit/s, the ratios to kernel MPTCP and offload/--no-offload,
# and the server's nonzero MPTCP error counters (DSS, checksum, infinite mapping, MP_FAIL).
# Needs root and python3; uses testbed prefix jrtm (torn down on exit). JMPTCP_JAVA_OPTS goes to the JVM.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIB=${1:-1024}
BYTES=$((MIB << 20))
JAR=$REPO/mptcp-cli/target/jmptcp.jar
P=jrtm
WORK=$(mktemp -d /tmp/jmptcp-bench-mptcp.XXXXXX)
trap '"$REPO/scripts/testbed.sh" down --prefix $P >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

# client.py PORT PROTO: sends stdin to the server.
cat > "$WORK/client.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, int(sys.argv[2]))
s.bind(("10.1.1.1", 0)); s.connect(("10.2.1.1", int(sys.argv[1])))
while True:
    b = sys.stdin.buffer.read1(1 << 20)
    if not b: break
    s.sendall(b)
s.shutdown(socket.SHUT_WR); s.recv(1)
PY

"$REPO/scripts/testbed.sh" up --prefix "$P" --paths 1 >/dev/null
echo "== machine: $(nproc) CPUs, $(uname -r), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== single path MPTCP, unlimited (testbed $P path 1), ${MIB} MiB per transfer"
sink() { # PORT SEND PROTO
  rm -f "$WORK/ready"
  ip netns exec "$P-srv" python3 "$REPO/scripts/bench-sink.py" "$1" "$2" "$WORK/ready" "$3" > "$WORK/sink.$1" &
  SINK_PID=$!
  local deadline=$((SECONDS + 10))
  until [[ -f $WORK/ready ]]; do ((SECONDS < deadline)) || { echo "bench-mptcp: sink did not start" >&2; exit 1; }; sleep 0.05; done
}
result() { wait "$SINK_PID"; awk '{ print $2 }' "$WORK/sink.$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

before=$(ip netns exec "$P-srv" nstat -az | awk '/^MPTcpExt/ { print $1, $2 }')
sink 7101 0 262
head -c "$BYTES" /dev/zero | ip netns exec "$P-cli" python3 "$WORK/client.py" 7101 262
KMP=$(result 7101)
printf 'kernel MPTCP upload          %7.3f Gbit/s\n' "$KMP"
sink 7100 0 0
head -c "$BYTES" /dev/zero | ip netns exec "$P-cli" python3 "$WORK/client.py" 7100 0
printf 'kernel TCP   upload          %7.3f Gbit/s  (for reference)\n' "$(result 7100)"

read -ra JAVA_OPTS <<< "${JMPTCP_JAVA_OPTS:-}"
NC=(ip netns exec "$P-cli" java "${JAVA_OPTS[@]}" -jar "$JAR" nc --mptcp on --tun "${P}t0" --address 10.3.1.1)
port=7102
declare -A GOT
for mode in offload no-offload; do
  flag=(); [[ $mode == no-offload ]] && flag=(--no-offload)
  sink $port 0 262
  head -c "$BYTES" /dev/zero | "${NC[@]}" "${flag[@]}" 10.2.1.1 $port > /dev/null 2> "$WORK/up.$mode.err" \
    || { cat "$WORK/up.$mode.err" >&2; exit 1; }
  GOT[up.$mode]=$(result $port); port=$((port + 1))
  printf 'jmptcp MPTCP upload          %7.3f Gbit/s  (%s)  / kernel MPTCP %s\n' "${GOT[up.$mode]}" "$mode" "$(ratio "${GOT[up.$mode]}" "$KMP")"
  sink $port "$BYTES" 262
  "${NC[@]}" "${flag[@]}" 10.2.1.1 $port < /dev/null > /dev/null 2> "$WORK/down.$mode.err" \
    || { cat "$WORK/down.$mode.err" >&2; exit 1; }
  GOT[down.$mode]=$(result $port); port=$((port + 1))
  printf 'jmptcp MPTCP download        %7.3f Gbit/s  (%s)  / kernel MPTCP %s\n' "${GOT[down.$mode]}" "$mode" "$(ratio "${GOT[down.$mode]}" "$KMP")"
done
echo "== offload / --no-offload: upload $(ratio "${GOT[up.offload]}" "${GOT[up.no-offload]}")x, download $(ratio "${GOT[down.offload]}" "${GOT[down.no-offload]}")x"
echo "== the kernel server's MPTCP error counters that moved (none is good)"
ip netns exec "$P-srv" nstat -az | awk '/^MPTcpExt/ { print $1, $2 }' > "$WORK/after"
python3 - "$WORK/after" <<PY
import sys
before = dict(l.split() for l in """$before""".splitlines() if l.strip())
bad = ("DSS", "DataCsum", "InfiniteMap", "MPFail", "Fallback")
moved = [f"{k} +{int(v) - int(before.get(k, 0))}" for k, v in (l.split() for l in open(sys.argv[1]))
         if any(b in k for b in bad) and int(v) != int(before.get(k, 0))]
print("  " + (", ".join(moved) if moved else "none"))
PY

# Two unlimited paths (issue 12: where the CPU is the limit, multipath must not cost throughput): the
# same transfers with a second subflow over path 2, offloads on, against the single-path figures above.
"$REPO/scripts/testbed.sh" down --prefix "$P" >/dev/null 2>&1 || true
"$REPO/scripts/testbed.sh" up --prefix "$P" --paths 2 --no-signal >/dev/null
echo "== two unlimited paths (testbed $P --paths 2): the kernel client's second subflow from 10.1.2.1, jmptcp's from 10.3.2.1"
joins() { ip netns exec "$P-srv" nstat -az MPTcpExtMPJoinAckRx | awk '/^MPTcpExt/ { print $2 }'; }
j0=$(joins)
sink $port 0 262
head -c "$BYTES" /dev/zero | ip netns exec "$P-cli" python3 "$WORK/client.py" $port 262
KMP2=$(result $port); port=$((port + 1))
j1=$(joins)
printf 'kernel MPTCP upload, 2 paths %7.3f Gbit/s  / one path %s  (joins %d)\n' "$KMP2" "$(ratio "$KMP2" "$KMP")" $((j1 - j0))
NC2=("${NC[@]}" --address 10.3.2.1)
sink $port 0 262
head -c "$BYTES" /dev/zero | "${NC2[@]}" 10.2.1.1 $port > /dev/null 2> "$WORK/up2.err" || { cat "$WORK/up2.err" >&2; exit 1; }
GOT[up2]=$(result $port); port=$((port + 1))
j2=$(joins)
printf 'jmptcp MPTCP upload, 2 paths %7.3f Gbit/s  / one path %s  / kernel 2 paths %s  (joins %d)\n' "${GOT[up2]}" \
  "$(ratio "${GOT[up2]}" "${GOT[up.offload]}")" "$(ratio "${GOT[up2]}" "$KMP2")" $((j2 - j1))
sink $port "$BYTES" 262
"${NC2[@]}" 10.2.1.1 $port < /dev/null > /dev/null 2> "$WORK/down2.err" || { cat "$WORK/down2.err" >&2; exit 1; }
GOT[down2]=$(result $port); port=$((port + 1))
j3=$(joins)
printf 'jmptcp MPTCP download, 2 paths %5.3f Gbit/s  / one path %s  (joins %d)\n' "${GOT[down2]}" \
  "$(ratio "${GOT[down2]}" "${GOT[down.offload]}")" $((j3 - j2))

if [[ -n ${BENCH_JSON:-} ]]; then # for scripts/bench-all.py
  printf '{"mib": %d, "kernel_mptcp_upload_gbit": %s, "upload_offload_gbit": %s, "download_offload_gbit": %s, "upload_no_offload_gbit": %s, "download_no_offload_gbit": %s, "kernel_mptcp_upload_two_paths_gbit": %s, "upload_two_paths_gbit": %s, "download_two_paths_gbit": %s}\n' \
    "$MIB" "$KMP" "${GOT[up.offload]}" "${GOT[down.offload]}" "${GOT[up.no-offload]}" "${GOT[down.no-offload]}" \
    "$KMP2" "${GOT[up2]}" "${GOT[down2]}" > "$BENCH_JSON"
fi
