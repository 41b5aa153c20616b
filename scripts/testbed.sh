#!/usr/bin/env bash
# The jmptcp test topology: a client host, a router holding per-path impairments, and a server
# host with the Linux kernel's MPTCP, each in its own network namespace. See docs/testbed.md.
#
#   scripts/testbed.sh up     [--prefix P] [--paths N] [per-path options...]
#   scripts/testbed.sh down   [--prefix P]
#   scripts/testbed.sh exec   [--prefix P] cli|rtr|srv COMMAND [ARG...]
#   scripts/testbed.sh status [--prefix P]
#   scripts/testbed.sh path   [--prefix P] [--print-nft] K up|blackhole|reset
#
# path (on a running testbed) changes path K in the router with nftables, one table per path
# (inet path<K>): blackhole drops every packet forwarded on path K, both directions; reset answers
# TCP on path K with "reject with tcp reset" (both directions: each end gets resets from the other)
# and drops the rest; up removes the table. Idempotent. --print-nft prints the nft script instead
# of applying it (for "nft -f -" in the router namespace at a moment of the caller's choosing).
#
# Per-path options take PATH=VALUE, PATH being a path number (1..N) or "all"; repeat them:
#   --rate K=MBIT       tbf rate limit, both directions
#   --delay K=MS        one-way delay, each direction (link emulator: RTT grows by 2*MS)
#   --jitter K=MS       uniform jitter +-MS around the delay (link emulator)
#   --loss K=PCT        random loss, each direction (link emulator)
#   --reorder K=PCT     packets that skip the delay (link emulator, as netem's reorder)
#   --duplicate K=PCT   duplicated packets (link emulator)
#   --nftloss K=PCT     random loss in the router by nftables (numgen), each direction
#   --nat K             masquerade path K's client addresses behind the router (nftables)
#   --strip K=MODE      remove MPTCP options on path K (nftables "reset tcp option mptcp"):
#                       syn (SYN only), synack (SYN+ACK only), handshake (both), all (every segment)
# Other options:
#   --seed N            seed of the link emulators (path K uses N+K; default 1)
#   --no-signal         the server does not announce its extra addresses (no "signal" endpoints)
#   --timeout S         how long to wait for a link emulator to come up (default 120)
#   --server-stack      route 10.4.k.1 to the server namespace too (a jmptcp stack there, e.g. a
#                       forward-mode daemon): router route via 10.2.k.1, server source rule, ip_forward
#   --shared-bottleneck MBIT
#                       one bottleneck shared by every path: tbf on server link 1, both directions
#                       (router ${P}u1 egress, server ${P}s1 egress), and every server address
#                       10.2.k.1 is reached and answers over link 1, so all paths meet there
#   --queue-ms MS       the tbf queues' limit, as queueing delay (tbf latency; default 100)
#   --router-uplink     the uplink tbf of --rate K sits on the router's server link k (${P}u<k>)
#                       instead of the client's ${P}c<k>, and the router sends what came in on path
#                       k over server link k whatever the server address: every flow is forwarded
#                       at the bottleneck (none is local to its namespace, so none sees qdisc pushback)
# The link emulator is "jmptcp netem"; set JMPTCP_CMD to the command that runs jmptcp
# (default: scripts/jmptcp, else java -jar mptcp-cli/target/jmptcp.jar).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR_BASE=/run/jmptcp-testbed

die() { echo "testbed: $*" >&2; exit 1; }
log() { echo "testbed: $*" >&2; }

usage() { sed -n '2,43p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

ACTION=${1:-}
[[ -n $ACTION ]] || { usage; exit 2; }
shift

PREFIX=jtb
PATHS=2
SEED=1
SIGNAL=1
TIMEOUT=120
SERVER_STACK=0
SHARED=
QUEUE_MS=100
ROUTER_UPLINK=0
# shellcheck disable=SC2034 # read and written through namerefs (set_path_opt, opt)
declare -A RATE=() DELAY=() JITTER=() LOSS=() REORDER=() DUP=() NFTLOSS=() NAT=() STRIP=()
EXEC_ARGS=()
PATH_ARGS=()
PRINT_NFT=0

# Stores VALUE in the array named $1 for path K (or for every path when K is "all").
set_path_opt() {
  local -n arr=$1
  local spec=$2 k v
  [[ $spec == *=* ]] || die "option $3 needs PATH=VALUE, got '$spec'"
  k=${spec%%=*}; v=${spec#*=}
  [[ $k == all || $k =~ ^[1-8]$ ]] || die "$3: path must be 1..8 or 'all', got '$k'"
  # shellcheck disable=SC2034 # arr is a nameref: this sets the caller's array
  arr["$k"]=$v
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --prefix) PREFIX=$2; shift 2 ;;
    --paths) PATHS=$2; shift 2 ;;
    --rate) set_path_opt RATE "$2" "$1"; shift 2 ;;
    --delay) set_path_opt DELAY "$2" "$1"; shift 2 ;;
    --jitter) set_path_opt JITTER "$2" "$1"; shift 2 ;;
    --loss) set_path_opt LOSS "$2" "$1"; shift 2 ;;
    --reorder) set_path_opt REORDER "$2" "$1"; shift 2 ;;
    --duplicate) set_path_opt DUP "$2" "$1"; shift 2 ;;
    --nftloss) set_path_opt NFTLOSS "$2" "$1"; shift 2 ;;
    --nat) set_path_opt NAT "$2=1" "$1"; shift 2 ;;
    --strip) set_path_opt STRIP "$2" "$1"; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --no-signal) SIGNAL=0; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --server-stack) SERVER_STACK=1; shift ;;
    --shared-bottleneck) SHARED=$2; shift 2 ;;
    --router-uplink) ROUTER_UPLINK=1; shift ;;
    --queue-ms) QUEUE_MS=$2; shift 2 ;;
    --print-nft) PRINT_NFT=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) if [[ $ACTION == exec ]]; then EXEC_ARGS=("$@"); break; fi
       if [[ $ACTION == path ]]; then PATH_ARGS+=("$1"); shift; continue; fi
       die "unknown option '$1' (see --help)" ;;
  esac
done

[[ $PREFIX =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "--prefix must be 1-10 of [a-z0-9], starting with a letter"
[[ $PATHS =~ ^[1-8]$ ]] || die "--paths must be 1..8"

CLI=$PREFIX-cli; RTR=$PREFIX-rtr; SRV=$PREFIX-srv
RUN_DIR=$RUN_DIR_BASE/$PREFIX

# The value of per-path option array $1 for path $2 (a path's own value wins over "all").
opt() {
  local -n values=$1
  if [[ -n ${values[$2]:-} ]]; then echo "${values[$2]}"; elif [[ -n ${values[all]:-} ]]; then echo "${values[all]}"; fi
}

# Addressing (fixed: namespaces isolate instances from each other). Path k:
#   client <-> router:  10.1.k.0/24   client ${P}c<k> 10.1.k.1, router ${P}r<k> 10.1.k.254
#   router <-> server:  10.2.k.0/24   server ${P}s<k> 10.2.k.1, router ${P}u<k> 10.2.k.254
#   jmptcp stack:       10.3.k.1      (owned by the stack's TUN device in the client namespace)
cli_if() { echo "${PREFIX}c$1"; }
rtr_cli_if() { echo "${PREFIX}r$1"; }
rtr_srv_if() { echo "${PREFIX}u$1"; }
srv_if() { echo "${PREFIX}s$1"; }
netem_if() { echo "${PREFIX}n$1"; }

jmptcp_cmd() {
  if [[ -n ${JMPTCP_CMD:-} ]]; then
    echo "$JMPTCP_CMD"
  elif [[ -x $REPO/scripts/jmptcp ]]; then
    echo "$REPO/scripts/jmptcp"
  elif [[ -f $REPO/mptcp-cli/target/jmptcp.jar ]]; then
    echo "java -jar $REPO/mptcp-cli/target/jmptcp.jar"
  else
    die "no jmptcp: build it (mvn -B -q -DskipTests package) or set JMPTCP_CMD"
  fi
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

stop_relays() {
  local f pid deadline
  [[ -d $RUN_DIR ]] || return 0
  for f in "$RUN_DIR"/netem-*.pid; do
    [[ -e $f ]] || continue
    pid=$(cat "$f")
    # The relay runs in its own session (setsid), so its process group id is its pid: signal
    # the group, which includes the JVM even when the launcher did not exec it.
    kill -TERM -- "-$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while kill -0 -- "-$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

down() {
  stop_relays
  local ns
  for ns in "$CLI" "$RTR" "$SRV"; do
    if ns_exists "$ns"; then ip netns del "$ns"; fi
  done
  rm -rf "$RUN_DIR"
}

# Creates a veth pair with each end directly in its namespace (no name ever exists in the
# caller's namespace, so parallel instances cannot clash there).
veth() { ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"; }

sysctls() {
  local ns=$1; shift
  local kv
  for kv in "$@"; do ip netns exec "$ns" sysctl -q -w "$kv" >/dev/null; done
}

tbf() {
  local ns=$1 dev=$2 mbit=$3 burst
  # burst: 4 ms worth of bytes at the rate, at least 15,000 bytes (10 full-size packets), so
  # the bucket holds more than one MTU (tc-tbf(8)).
  burst=$(awk -v r="$mbit" 'BEGIN { b = r * 1e6 / 8 / 250; if (b < 15000) b = 15000; printf "%d", b }')
  ip netns exec "$ns" tc qdisc replace dev "$dev" root tbf rate "${mbit}mbit" burst "$burst" latency "${QUEUE_MS}ms"
}

wait_for_up() {
  local ns=$1 dev=$2 pidfile=$3 logfile=$4 deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if ip -n "$ns" link show dev "$dev" 2>/dev/null | grep -q '[<,]UP[,>]'; then return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      cat "$logfile" >&2 || true
      die "the link emulator for $dev exited (log above)"
    fi
    sleep 0.2
  done
  cat "$logfile" >&2 || true
  die "the link emulator did not bring $dev up within ${TIMEOUT}s"
}

start_relay() {
  local k=$1 dev args=() d
  dev=$(netem_if "$k")
  d=$(opt DELAY "$k");   [[ -n $d ]] && args+=(--delay "$d")
  d=$(opt JITTER "$k");  [[ -n $d ]] && args+=(--jitter "$d")
  d=$(opt LOSS "$k");    [[ -n $d ]] && args+=(--loss "$d")
  d=$(opt REORDER "$k"); [[ -n $d ]] && args+=(--reorder "$d")
  d=$(opt DUP "$k");     [[ -n $d ]] && args+=(--duplicate "$d")
  local pidfile=$RUN_DIR/netem-$k.pid logfile=$RUN_DIR/netem-$k.log cmd
  cmd=$(jmptcp_cmd)
  # shellcheck disable=SC2086 # JMPTCP_CMD may be several words
  setsid ip netns exec "$RTR" $cmd netem --dev "$dev" --seed "$((SEED + k))" "${args[@]}" \
    </dev/null >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  wait_for_up "$RTR" "$dev" "$pidfile" "$logfile"
  log "path $k: link emulator on $RTR/$dev (${args[*]}), log $logfile"
}

has_netem() {
  local k=$1
  [[ -n $(opt DELAY "$k")$(opt JITTER "$k")$(opt LOSS "$k")$(opt REORDER "$k")$(opt DUP "$k") ]]
}

nft_rules() {
  local k c r n mode pct flags raw="" filter="" nat=""
  for ((k = 1; k <= PATHS; k++)); do
    r=$(rtr_cli_if "$k"); n=$(netem_if "$k")
    if has_netem "$k"; then
      # A packet crosses the router twice on an emulated path: in from the veth, into the TUN,
      # back out of the TUN. Track it on one pass only, so conntrack (and NAT) sees each packet
      # once: uplink on its second pass (from the TUN), downlink on its first (from the server).
      raw+="    iifname \"$r\" notrack"$'\n'
      raw+="    iifname \"$n\" ip daddr { 10.1.$k.0/24, 10.3.$k.0/24 } notrack"$'\n'
    fi
    pct=$(opt NFTLOSS "$k")
    if [[ -n $pct ]]; then
      # numgen random mod 10000 < PCT*100: drop with probability PCT % (0.01 % steps).
      local thr
      thr=$(awk -v p="$pct" 'BEGIN { printf "%d", p * 100 + 0.5 }')
      filter+="    iifname \"$r\" numgen random mod 10000 < $thr drop"$'\n'
      filter+="    oifname \"$r\" numgen random mod 10000 < $thr drop"$'\n'
    fi
    mode=$(opt STRIP "$k")
    if [[ -n $mode ]]; then
      case $mode in
        syn) flags=("tcp flags & (syn | ack) == syn") ;;
        synack) flags=("tcp flags & (syn | ack) == syn | ack") ;;
        handshake) flags=("tcp flags & (syn | ack) == syn" "tcp flags & (syn | ack) == syn | ack") ;;
        all) flags=("meta l4proto tcp") ;;
        *) die "--strip $k=$mode: mode must be syn, synack, handshake or all" ;;
      esac
      local f
      for f in "${flags[@]}"; do
        filter+="    iifname \"$r\" $f reset tcp option mptcp"$'\n'
        filter+="    oifname \"$r\" $f reset tcp option mptcp"$'\n'
      done
    fi
    if [[ -n $(opt NAT "$k") ]]; then
      nat+="    ip saddr { 10.1.$k.0/24, 10.3.$k.0/24 } oifname \"${PREFIX}u*\" masquerade"$'\n'
    fi
  done
  [[ -n $raw$filter$nat ]] || return 0
  ip netns exec "$RTR" nft -f - <<NFT
table inet testbed {
  chain pre_raw {
    type filter hook prerouting priority raw; policy accept;
$raw  }
  chain path_filter {
    type filter hook forward priority filter; policy accept;
$filter  }
  chain post_nat {
    type nat hook postrouting priority srcnat; policy accept;
$nat  }
}
NFT
}

# Checks every per-path option before anything is built.
validate() {
  local name k v
  for name in RATE DELAY JITTER LOSS REORDER DUP NFTLOSS NAT STRIP; do
    local -n values=$name
    for k in "${!values[@]}"; do
      v=${values[$k]}
      if [[ $k != all ]] && ((k > PATHS)); then
        die "an option for path $k, but there are only $PATHS paths (--paths)"
      fi
      case $name in
        STRIP) [[ $v =~ ^(syn|synack|handshake|all)$ ]] || die "--strip $k=$v: mode must be syn, synack, handshake or all" ;;
        NAT) ;;
        *) [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "path $k: '$v' is not a number" ;;
      esac
      case $name in
        LOSS|REORDER|DUP|NFTLOSS) awk -v p="$v" 'BEGIN { exit !(p <= 100) }' || die "path $k: $v % is more than 100" ;;
        RATE) awk -v r="$v" 'BEGIN { exit !(r > 0) }' || die "path $k: rate must be positive" ;;
      esac
    done
  done
}

up() {
  validate
  [[ $QUEUE_MS =~ ^[1-9][0-9]*$ ]] || die "--queue-ms: a positive whole number of ms, got '$QUEUE_MS'"
  if [[ -n $SHARED ]]; then
    [[ $SHARED =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v r="$SHARED" 'BEGIN { exit !(r > 0) }' ||
      die "--shared-bottleneck: rate must be a positive number, got '$SHARED'"
  fi
  down
  mkdir -p "$RUN_DIR"
  trap 'rc=$?; if ((rc != 0)); then log "up failed, cleaning up"; down; fi' EXIT
  local ns k
  for ns in "$CLI" "$RTR" "$SRV"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  # rp_filter off everywhere: traffic is source-routed per path (and passes TUN devices), so a
  # reverse-path check against the main table would drop legitimate packets.
  sysctls "$CLI" net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.mptcp.enabled=1
  sysctls "$RTR" net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  sysctls "$SRV" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.mptcp.enabled=1
  # The kernel's defaults accept no ADD_ADDR and no extra subflow.
  ip -n "$CLI" mptcp limits set subflow 8 add_addr_accepted 8
  ip -n "$SRV" mptcp limits set subflow 8 add_addr_accepted 8

  for ((k = 1; k <= PATHS; k++)); do
    local c r u s table=$((100 + k))
    c=$(cli_if "$k"); r=$(rtr_cli_if "$k"); u=$(rtr_srv_if "$k"); s=$(srv_if "$k")
    veth "$CLI" "$c" "$RTR" "$r"
    veth "$RTR" "$u" "$SRV" "$s"
    ip -n "$CLI" addr add "10.1.$k.1/24" dev "$c"
    ip -n "$RTR" addr add "10.1.$k.254/24" dev "$r"
    ip -n "$RTR" addr add "10.2.$k.254/24" dev "$u"
    ip -n "$SRV" addr add "10.2.$k.1/24" dev "$s"
    for dev in "$CLI:$c" "$RTR:$r" "$RTR:$u" "$SRV:$s"; do ip -n "${dev%%:*}" link set "${dev#*:}" up; done

    # Client: packets from path k's addresses (the kernel's 10.1.k.1 and the stack's 10.3.k.1)
    # leave by path k.
    ip -n "$CLI" route add default via "10.1.$k.254" dev "$c" table "$table"
    ip -n "$CLI" rule add from "10.1.$k.1" lookup "$table" priority "$table"
    ip -n "$CLI" rule add from "10.3.$k.1" lookup "$table" priority "$((table + 50))"
    # Server: replies from server address k go back by link k.
    ip -n "$SRV" route add default via "10.2.$k.254" dev "$s" table "$table"
    ip -n "$SRV" rule add from "10.2.$k.1" lookup "$table" priority "$table"
    # Router: the stack's address k is reached through path k.
    ip -n "$RTR" route add "10.3.$k.0/24" via "10.1.$k.1" dev "$r"
    if ((SERVER_STACK)); then
      # A server-side jmptcp stack owns 10.4.k.1: reached over server link k, answers by it.
      ip -n "$RTR" route add "10.4.$k.0/24" via "10.2.$k.1" dev "$u"
      ip -n "$SRV" rule add from "10.4.$k.1" lookup "$table" priority "$((table + 50))"
    fi
    if ((k > 1)); then
      ip -n "$CLI" mptcp endpoint add "10.1.$k.1" dev "$c" subflow
      if ((SIGNAL)); then ip -n "$SRV" mptcp endpoint add "10.2.$k.1" dev "$s" signal; fi
    fi
    local rate
    rate=$(opt RATE "$k")
    if [[ -n $rate ]]; then
      if ((ROUTER_UPLINK)); then
        # What arrives from path k leaves by server link k (the server takes any of its
        # addresses on any link), through the uplink tbf there.
        ip -n "$RTR" route add default via "10.2.$k.1" dev "$u" table "$((300 + k))"
        ip -n "$RTR" rule add iif "$r" lookup "$((300 + k))" priority "$((3000 + k))"
        tbf "$RTR" "$u" "$rate" # uplink
      else
        tbf "$CLI" "$c" "$rate"   # uplink
      fi
      tbf "$RTR" "$r" "$rate"   # downlink
    fi
  done
  ip -n "$CLI" route add default via 10.1.1.254
  ip -n "$SRV" route add default via 10.2.1.254
  if [[ -n $SHARED ]]; then
    # Every path meets on server link 1 and its tbf: the router reaches each server address
    # 10.2.k.1 through 10.2.1.1 (the server accepts any of its addresses on any link), and the
    # server's replies from 10.2.k.1 leave by link 1.
    for ((k = 2; k <= PATHS; k++)); do
      ip -n "$RTR" route add "10.2.$k.1/32" via 10.2.1.1 dev "$(rtr_srv_if 1)"
      ip -n "$SRV" route replace default via 10.2.1.254 dev "$(srv_if 1)" table "$((100 + k))"
    done
    tbf "$RTR" "$(rtr_srv_if 1)" "$SHARED"   # uplink, every path
    tbf "$SRV" "$(srv_if 1)" "$SHARED"       # downlink, every path
  fi
  if ((SERVER_STACK)); then sysctls "$SRV" net.ipv4.ip_forward=1; fi

  for ((k = 1; k <= PATHS; k++)); do
    if has_netem "$k"; then
      start_relay "$k"
      local n tbl=$((200 + k)) r
      n=$(netem_if "$k"); r=$(rtr_cli_if "$k")
      # Into the relay: uplink by input interface, downlink by destination; packets the relay
      # writes back arrive with iif = the TUN device and take the main table (rule first).
      # If the relay dies, its device and route vanish and "unreachable" drops the path's
      # traffic instead of letting it bypass the emulator.
      ip -n "$RTR" route add default dev "$n" table "$tbl"
      ip -n "$RTR" route add unreachable default metric 4294967295 table "$tbl"
      if ((ROUTER_UPLINK)); then
        # The uplink back from the relay also leaves by server link k (table 300+k, empty
        # without --rate K: the lookup then falls through to main).
        ip -n "$RTR" rule add iif "$n" to 10.2.0.0/16 lookup "$((300 + k))" priority "$((900 + k))"
      fi
      ip -n "$RTR" rule add iif "$n" lookup main priority "$((1000 + k))"
      ip -n "$RTR" rule add iif "$r" lookup "$tbl" priority "$((2000 + k))"
      ip -n "$RTR" rule add to "10.1.$k.0/24" lookup "$tbl" priority "$((2100 + k))"
      ip -n "$RTR" rule add to "10.3.$k.0/24" lookup "$tbl" priority "$((2200 + k))"
    fi
  done
  nft_rules
  trap - EXIT
  summary
}

summary() {
  local k
  echo "testbed '$PREFIX' is up: namespaces $CLI, $RTR, $SRV"
  echo
  printf '  %-5s %-22s %-14s %-14s %s\n' path "client (kernel)" "jmptcp stack" server impairments
  for ((k = 1; k <= PATHS; k++)); do
    local imp=""
    [[ -n $(opt RATE "$k") ]] && imp+="rate $(opt RATE "$k")Mbit "
    [[ -n $(opt DELAY "$k") ]] && imp+="delay $(opt DELAY "$k")ms "
    [[ -n $(opt JITTER "$k") ]] && imp+="jitter $(opt JITTER "$k")ms "
    [[ -n $(opt LOSS "$k") ]] && imp+="loss $(opt LOSS "$k")% "
    [[ -n $(opt REORDER "$k") ]] && imp+="reorder $(opt REORDER "$k")% "
    [[ -n $(opt DUP "$k") ]] && imp+="duplicate $(opt DUP "$k")% "
    [[ -n $(opt NFTLOSS "$k") ]] && imp+="nftloss $(opt NFTLOSS "$k")% "
    [[ -n $(opt NAT "$k") ]] && imp+="NAT "
    [[ -n $(opt STRIP "$k") ]] && imp+="strip-mptcp:$(opt STRIP "$k") "
    printf '  %-5s %-22s %-14s %-14s %s\n' "$k" "10.1.$k.1 ($(cli_if "$k"))" "10.3.$k.1" "10.2.$k.1" "${imp:-none}"
  done
  if [[ -n $SHARED ]]; then echo "  shared bottleneck: every path through server link 1, tbf ${SHARED}Mbit each direction"; fi
  local addrs="" k2
  for ((k2 = 1; k2 <= PATHS; k2++)); do addrs+=" --address 10.3.$k2.1"; done
  cat <<TXT

  server (kernel MPTCP):  ip netns exec $SRV mptcpize run iperf3 -s
  kernel client:          ip netns exec $CLI mptcpize run iperf3 -c 10.2.1.1
  jmptcp stack client:    ip netns exec $CLI scripts/jmptcp nc --tun ${PREFIX}t0$addrs 10.2.1.1 5201
  a shell in a namespace: scripts/testbed.sh exec --prefix $PREFIX cli|rtr|srv bash
  tear down:              scripts/testbed.sh down --prefix $PREFIX
TXT
}

status() {
  local ns
  for ns in "$CLI" "$RTR" "$SRV"; do
    if ns_exists "$ns"; then echo "== $ns"; ip -n "$ns" -br addr; else echo "== $ns: absent"; fi
  done
  if [[ -d $RUN_DIR ]]; then
    local f
    for f in "$RUN_DIR"/netem-*.pid; do
      [[ -e $f ]] || continue
      if kill -0 "$(cat "$f")" 2>/dev/null; then echo "relay $(basename "$f" .pid): running (pid $(cat "$f"))"
      else echo "relay $(basename "$f" .pid): DEAD"; fi
    done
  fi
}

# "path K MODE": path K's runtime state in the router, one nftables table per path ("inet pathK").
# Each packet of path K crosses the router's forward hook with iifname or oifname ${P}r<K> exactly
# once per direction (also on an emulated path, whose second pass is between the TUN device and
# the server side), so those two matches cover both directions. The table is created, deleted and
# re-created in one transaction: idempotent, and never half applied.
path_mode() {
  [[ ${#PATH_ARGS[@]} -eq 2 ]] || die "usage: testbed.sh path [--prefix P] K up|blackhole|reset"
  local k=${PATH_ARGS[0]} mode=${PATH_ARGS[1]} r rules
  [[ $k =~ ^[1-8]$ ]] || die "path: K must be 1..8, got '$k'"
  ns_exists "$RTR" || die "namespace $RTR does not exist (testbed up?)"
  r=$(rtr_cli_if "$k")
  ip -n "$RTR" link show dev "$r" >/dev/null 2>&1 || die "path $k: no interface $r in $RTR"
  case $mode in
    up) rules="" ;;
    blackhole)
      rules="    iifname \"$r\" counter drop"$'\n'
      rules+="    oifname \"$r\" counter drop"$'\n' ;;
    reset)
      # The router answers each TCP segment with a RST to its sender, from its destination (the
      # kernel never answers a RST with a RST); what is not TCP is dropped. RSTs towards the
      # client pass: on an emulated path the router's own RSTs to the client go through the link
      # emulator and so come back through this hook (a RST from the server passing is a reset too).
      rules="    oifname \"$r\" tcp flags rst counter accept"$'\n'
      rules+="    iifname \"$r\" meta l4proto tcp counter reject with tcp reset"$'\n'
      rules+="    oifname \"$r\" meta l4proto tcp counter reject with tcp reset"$'\n'
      rules+="    iifname \"$r\" counter drop"$'\n'
      rules+="    oifname \"$r\" counter drop"$'\n' ;;
    *) die "path $k: mode must be up, blackhole or reset, got '$mode'" ;;
  esac
  local script="table inet path$k {}"$'\n'"delete table inet path$k"$'\n'
  if [[ -n $rules ]]; then
    # Priority filter - 5: before the testbed's own forward chain (loss, strip), same hook.
    script+="table inet path$k {"$'\n'"  chain forward {"$'\n'
    script+="    type filter hook forward priority filter - 5; policy accept;"$'\n'"$rules  }"$'\n'"}"$'\n'
  fi
  if ((PRINT_NFT)); then
    # For a caller that must apply it at a precise moment (a benchmark): it pipes this into an
    # "nft -f -" it started in the router beforehand, so nothing is spawned at the cut.
    printf '%s' "$script"
    return 0
  fi
  ip netns exec "$RTR" nft -f - <<<"$script"
  log "path $k: $mode"
}

case $ACTION in
  up) up ;;
  path) path_mode ;;
  down) down; echo "testbed '$PREFIX' is down" ;;
  status) status ;;
  exec)
    [[ ${#EXEC_ARGS[@]} -ge 2 ]] || die "usage: testbed.sh exec [--prefix P] cli|rtr|srv COMMAND [ARG...]"
    case ${EXEC_ARGS[0]} in cli|rtr|srv) ;; *) die "exec: namespace must be cli, rtr or srv" ;; esac
    ns_exists "$PREFIX-${EXEC_ARGS[0]}" || die "namespace $PREFIX-${EXEC_ARGS[0]} does not exist (testbed up?)"
    exec ip netns exec "$PREFIX-${EXEC_ARGS[0]}" "${EXEC_ARGS[@]:1}" ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
