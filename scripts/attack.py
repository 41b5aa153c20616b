#!/usr/bin/python3
"""Hostile packets against a jmptcp daemon (issue 13), crafted with scapy, sent from the attacker's
namespace and answered as sniffed there. Each case prints one JSON line of what it sent and saw.

    attack.py CASE --iface IF --gw GW_IP --src SRC_IP --dst DST_IP --dport PORT [options]

    join-unknown  --count N    MP_JOIN SYNs with random tokens: counts the RSTs (and MP_TCPRSTs)
    join-bad-hmac              sniffs a new connection's MP_CAPABLE handshake to DST:PORT (prints
                               "ready" on stderr first), takes the token of the server's key, then
                               joins from --join-src with a wrong HMAC in the third ACK
    add-addr      --bad-addr A --good-addr B [--go-file F]
                               sniffs the handshake as above, waits for F (the caller creates it
                               once the transfer is under way), then on a live subflow (seq/ack of
                               the client's next segment) injects an ADD_ADDR for A with a wrong
                               HMAC and one for B with the right HMAC (both keys were on the wire)
                               and reports the SYNs sent to A and B
    blind         --count N    RFC 5961 on a live subflow (rcv.nxt from the client's next segment):
                               RSTs in the window but not at rcv.nxt, SYNs in the window, RSTs and
                               data outside it; counts the daemon's pure ACKs (challenge ACKs)
    syn-flood     --count N [--flood-net P]
                               N SYNs with MP_CAPABLE from random addresses of the /24 P (default
                               the --src's) and random ports, as fast as an AF_PACKET socket takes
                               them (frames built by hand: scapy builds a few thousand a second);
                               reports how many were sent and how long it took

Injected segments carry no timestamp option (see no_ts_options).

Debian's python3-scapy is in Debian's /usr/bin/python3 (another python3 may come first on the PATH).
Attack source ports are 61000-61999 (above Linux's ephemeral range); the caller drops the kernel's
own RSTs from those ports with nftables, since the kernel did not open these connections.
"""
import argparse, hashlib, hmac, json, os, random, socket, struct, sys, threading, time

from scapy.all import AsyncSniffer, Ether, IP, TCP, Raw, conf, getmacbyip  # noqa: E402

conf.verb = 0
MPTCP = 30
ETH_P_ALL = 0x0003
SO_RCVBUFFORCE = 33  # Linux, asm-generic/socket.h (not in Python's socket module)


def mptcp_opts(pkt):
    """(subtype, bytes of the option) for each MPTCP option of a sniffed TCP segment."""
    raw = bytes(pkt[TCP])
    hdr = raw[20:(raw[12] >> 4) * 4]
    out, i = [], 0
    while i < len(hdr):
        k = hdr[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(hdr) or hdr[i + 1] < 2:
            break
        ln = hdr[i + 1]
        if k == MPTCP and ln >= 3:
            out.append((hdr[i + 2] >> 4, hdr[i:i + ln]))
        i += ln
    return out


def ts_of(pkt):
    for o in pkt[TCP].options:
        if o[0] == "Timestamp":
            return o[1]
    return None


class Wire:
    def __init__(self, a):
        self.a = a
        self.eth = Ether(dst=getmacbyip(a.gw))
        self.sock = conf.L2socket(iface=a.iface)

    def send(self, pkt):
        self.sock.send(self.eth / pkt)


class Capture:
    """A capture running in the background on the given interfaces; seen holds what it caught so far.
    It is open (sockets bound, filter attached) when the constructor returns, so a packet sent after
    that is caught. Its sockets are opened here, not by scapy: scapy sets their receive buffer to
    64 KiB (conf.bufsize), about 100 packets, which a burst of answers overflows whenever scapy reads
    behind the wire (the machine is busy); here it is 16 MiB (SO_RCVBUFFORCE, we are root)."""

    def __init__(self, ifaces, bpf, **kw):
        self.seen = []
        self.socks = {}
        for ifname in ifaces:
            sk = conf.L2listen(iface=ifname, type=ETH_P_ALL, filter=bpf)
            sk.ins.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
            self.socks[sk] = ifname
        opened = threading.Event()
        self.sniffer = AsyncSniffer(opened_socket=self.socks, store=True, prn=self.seen.append,
                                    started_callback=opened.set, **kw)
        self.sniffer.start()
        if not opened.wait(10):
            sys.exit(f"the capture ({bpf}) did not start within 10 s")

    @property
    def running(self):
        return self.sniffer.running

    def join(self, timeout=None):
        self.sniffer.join(timeout)

    def stop(self):
        """Stops it (if it has not stopped itself) and returns what it caught."""
        if self.sniffer.running:
            self.sniffer.stop()
        self.sniffer.join()
        for sk in self.socks:
            sk.close()
        return self.sniffer.results


def sniffer(a, bpf, iface_=None, **kw):
    return Capture(iface_ or [a.iface] + (a.also_iface or []), bpf, **kw)


def token_of(key):
    return hashlib.sha256(struct.pack(">Q", key)).digest()[:4]


def handshake(a):
    """Sniffs the next MP_CAPABLE handshake to dst:dport: (client port, server key, client key)."""
    found = {}

    def look(p):
        if TCP not in p:
            return False
        for st, o in mptcp_opts(p):
            if st != 0:
                continue
            if p[IP].src == a.dst and p[TCP].flags & 0x12 == 0x12 and len(o) >= 12:
                found["server_key"] = struct.unpack(">Q", o[4:12])[0]
                found["cport"] = p[TCP].dport
            elif p[IP].dst == a.dst and not p[TCP].flags & 0x02 and len(o) >= 20 and "server_key" in found:
                found["client_key"] = struct.unpack(">Q", o[4:12])[0]
                return True
        return False

    s = sniffer(a, f"tcp and host {a.dst} and port {a.dport}", stop_filter=look,
                iface_=[a.hs_iface] if a.hs_iface else None)
    print("ready", file=sys.stderr, flush=True)
    s.join(timeout=a.timeout)
    s.stop()
    if "client_key" not in found:
        sys.exit("no MP_CAPABLE handshake seen")
    return found["cport"], found["server_key"], found["client_key"]


def wait_go(a):
    """With --go-file, waits for the caller to create it (it does once the transfer is under way);
    the client ports it holds, if any, are added to --client-port."""
    if not a.go_file:
        return
    deadline = time.time() + a.timeout
    while not os.path.exists(a.go_file):
        if time.time() > deadline:
            sys.exit(f"no {a.go_file} within {a.timeout} s")
        time.sleep(0.02)
    with open(a.go_file) as f:
        a.client_port = (a.client_port or []) + [int(w) for w in f.read().split()]


def fresh(a):
    """The client's next segment to the daemon on any live subflow, caught by a capture opened just
    now: it is at most a scheduling delay old, where the last one of a long capture lags by as much
    as scapy does (the client's ACKs keep coming while the transfer runs)."""
    ports = " or ".join(f"src port {p}" for p in a.client_port or [])
    # only the client ports of the transfer under way, when the caller knows them: a connection of
    # an earlier case may still be closing (its segments would give the wrong subflow)
    s = sniffer(a, f"tcp and dst host {a.dst} and dst port {a.dport} and src portrange 1024-60999"
                + (f" and ({ports})" if ports else ""), count=1)
    s.join(timeout=a.timeout)
    up = [p for p in s.stop() if TCP in p]
    if not up:
        sys.exit(f"no segment of the client to {a.dst}:{a.dport} within {a.timeout} s of opening the capture")
    p = up[0]
    flags = p[TCP].flags
    # rcv.nxt is where the client's segment ends (the request's bytes, if it is the request itself)
    nxt = (p[TCP].seq + len(p[TCP].payload) + (1 if flags & 0x01 else 0) + (1 if flags & 0x02 else 0)) % (1 << 32)
    print(f"live subflow {p[IP].src}:{p[TCP].sport} rcv.nxt {nxt} ack {p[TCP].ack} on {p.sniffed_on}",
          file=sys.stderr, flush=True)
    return p, nxt


def no_ts_options(*extra):
    """The options of an injected segment in the live connection: no timestamp. The client's TSval
    read a moment earlier is already older than the TS.Recent of its later segments, so PAWS (RFC
    7323 5.3) drops a segment carrying it before any other check, as soon as the client has sent one
    more segment on that subflow meanwhile (what made cases add-addr and blind flaky). Like Linux, the
    daemon takes a segment without the option (RFC 7323 3.2 says SHOULD drop; Linux does not)."""
    return list(extra)


def opts_with(ts, *extra):
    o = [("NOP", None), ("NOP", None), ("Timestamp", ts)] if ts else []
    return o + list(extra)


def rst_info(pkts):
    res = {"rst": 0, "mp_tcprst": 0, "reasons": [], "synack": 0}
    for p in pkts:
        f = p[TCP].flags
        if f & 0x04:
            res["rst"] += 1
            for st, o in mptcp_opts(p):
                if st == 8:
                    res["mp_tcprst"] += 1
                    res["reasons"].append(o[3])
        elif f & 0x12 == 0x12:
            res["synack"] += 1
    res["reasons"] = sorted(set(res["reasons"]))
    return res


def join_syn(a, w, src, sport, token, nonce, addr_id=5):
    mpj = bytes([MPTCP, 12, 0x10, addr_id]) + token + struct.pack(">I", nonce)
    return IP(src=src, dst=a.dst) / TCP(sport=sport, dport=a.dport, flags="S", seq=random.getrandbits(32),
                                        window=64240, options=[("MSS", 1460), ("SAckOK", b""),
                                                               ("Timestamp", (1000, 0)), ("WScale", 7),
                                                               (MPTCP, mpj[2:])])


def case_join_unknown(a):
    w = Wire(a)
    s = sniffer(a, f"tcp and src host {a.dst} and src port {a.dport} and dst portrange 61000-61999")
    for i in range(a.count):
        w.send(join_syn(a, w, a.src, 61000 + i % 1000, os.urandom(4), random.getrandbits(32)))
    # until an answer to each has been read (scapy reads them behind the wire when the machine is
    # busy, and what it has not read when it stops is lost), or the deadline
    deadline = time.time() + a.timeout
    while len(s.seen) < a.count and time.time() < deadline:
        time.sleep(0.05)
    res = rst_info(s.stop())
    res["sent"] = a.count
    return res


def case_join_bad_hmac(a):
    _, server_key, _ = handshake(a)
    token = token_of(server_key)
    w = Wire(a)
    sport = 61000 + random.randrange(1000)
    bpf = f"tcp and src host {a.dst} and src port {a.dport} and dst port {sport}"
    s = sniffer(a, bpf)
    syn = join_syn(a, w, a.join_src, sport, token, random.getrandbits(32))
    w.send(syn)
    deadline = time.time() + 5
    synack = None
    while time.time() < deadline and synack is None:
        time.sleep(0.05)
        synack = next((p for p in list(s.seen) if TCP in p and p[TCP].flags & 0x12 == 0x12), None)
    res = {"token": token.hex(), "synack": synack is not None, "synack_mp_join": False}
    if synack is not None:
        res["synack_mp_join"] = any(st == 1 and len(o) == 16 for st, o in mptcp_opts(synack))
        tsv = ts_of(synack)
        ack_opt = bytes([MPTCP, 24, 0x10, 0]) + os.urandom(20)  # a wrong HMAC
        w.send(IP(src=a.join_src, dst=a.dst) / TCP(sport=sport, dport=a.dport, flags="A", seq=syn[TCP].seq + 1,
                                                   ack=synack[TCP].seq + 1, window=502,
                                                   options=opts_with((1001, tsv[0]) if tsv else None,
                                                                     (MPTCP, ack_opt[2:]))))
        deadline = time.time() + 5
        while time.time() < deadline and not any(p[TCP].flags & 0x04 for p in list(s.seen) if TCP in p):
            time.sleep(0.05)
    pkts = s.stop()
    res.update(rst_info([p for p in pkts if TCP in p and not p[TCP].flags & 0x02]))
    return res


def add_addr_opt(addr_id, addr, hmac64):
    return bytes([MPTCP, 16, 0x30, addr_id]) + socket.inet_aton(addr) + hmac64


def case_add_addr(a):
    _, server_key, client_key = handshake(a)
    wait_go(a)
    w = Wire(a)
    s = sniffer(a, f"tcp[tcpflags] & tcp-syn != 0 and (dst host {a.bad_addr} or dst host {a.good_addr})")
    up, nxt = fresh(a)  # read right before injecting: the ACK must be within the daemon's window
    key = struct.pack(">QQ", client_key, server_key)  # sender's key || receiver's key

    def inject(addr_id, addr, right):
        msg = bytes([addr_id]) + socket.inet_aton(addr) + b"\0\0"
        h = hmac.new(key, msg, hashlib.sha256).digest()[-8:]
        if not right:
            h = bytes(b ^ 0x5A for b in h)
        w.send(IP(src=up[IP].src, dst=a.dst) / TCP(sport=up[TCP].sport, dport=a.dport, flags="A",
                                                   seq=nxt, ack=up[TCP].ack, window=up[TCP].window,
                                                   options=no_ts_options((MPTCP, add_addr_opt(addr_id, addr, h)[2:]))))

    inject(7, a.bad_addr, False)
    inject(8, a.good_addr, True)
    deadline = time.time() + a.timeout
    while time.time() < deadline and not any(p[IP].dst == a.good_addr for p in list(s.seen)):
        time.sleep(0.05)
    pkts = s.stop()
    return {"client_port": up[TCP].sport, "syn_to_bad": sum(p[IP].dst == a.bad_addr for p in pkts),
            "syn_to_good": sum(p[IP].dst == a.good_addr for p in pkts),
            "join_to_good": any(st == 1 for p in pkts if p[IP].dst == a.good_addr for st, _ in mptcp_opts(p))}


def case_blind(a):
    w = Wire(a)
    up, rcv_nxt = fresh(a)  # the client sends no data after its request: rcv.nxt stays put
    cport = up[TCP].sport
    # the daemon's pure ACKs to the client on this subflow: it only sends data there, so these
    # answer the injections (challenge ACKs, or duplicate ACKs for data outside the window)
    bpf = (f"tcp and src host {a.dst} and src port {a.dport} and dst port {cport} and "
           f"tcp[tcpflags] & (tcp-syn|tcp-rst|tcp-fin) == 0 and "
           f"(ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) == 0")
    src = up[IP].src

    def seg(flags, seq, data=b""):
        p = IP(src=src, dst=a.dst) / TCP(sport=cport, dport=a.dport, flags=flags, seq=seq % (1 << 32),
                                         ack=up[TCP].ack, window=up[TCP].window, options=no_ts_options())
        return p / Raw(data) if data else p

    phases = [
        ("rst_in_window", lambda i: seg("R", rcv_nxt + 1 + i)),
        ("syn_in_window", lambda i: seg("S", rcv_nxt + 1 + i)),
        ("rst_out_of_window", lambda i: seg("R", rcv_nxt + 0x40000000 + i)),
        ("data_out_of_window", lambda i: seg("PA", rcv_nxt + 0x40000000 + 100 * i, b"x" * 100)),
    ]
    res = {"client_port": cport, "rcv_nxt": rcv_nxt}
    span = {}
    for name, make in phases:
        s = sniffer(a, bpf)
        t0 = time.time()
        for i in range(a.count):
            w.send(make(i))
        span[name] = (t0, time.time())
        time.sleep(0.5)  # a capture window for the answers (their number is what is measured)
        answers, other = 0, {}
        for p in s.stop():
            subtypes = sorted({st for st, _ in mptcp_opts(p)} - {2})
            if p[TCP].ack == rcv_nxt and not subtypes:
                answers += 1  # an ACK of rcv.nxt with at most a DSS: what a challenge ACK is
            else:  # the daemon's own (an ADD_ADDR it repeats, say): seq/ack and MPTCP subtypes
                k = f"{p[TCP].seq}/{p[TCP].ack}/{subtypes}"
                other[k] = other.get(k, 0) + 1
        res[name] = {"sent": a.count, "send_seconds": round(span[name][1] - t0, 3), "pure_acks": answers,
                     "other_pure_acks": other}
    # from the first in-window injection to the last: the challenge-ACK limit counts per second
    res["in_window_seconds"] = round(span["syn_in_window"][1] - span["rst_in_window"][0], 3)
    return res


def csum16(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def case_syn_flood(a):
    net = (a.flood_net or a.src).rsplit(".", 1)[0]
    dst = socket.inet_aton(a.dst)
    mine = {int(x.rsplit(".", 1)[1]) for x in [a.src, a.gw]} | {98, 99}
    hosts = [h for h in range(2, 254) if h not in mine]
    src_mac = bytes.fromhex(open(f"/sys/class/net/{a.iface}/address").read().strip().replace(":", ""))
    eth = bytes.fromhex(getmacbyip(a.gw).replace(":", "")) + src_mac + b"\x08\x00"
    # MSS 1460, SACK permitted, MP_CAPABLE v1 SYN (no key, H flag: HMAC-SHA256), NOP padding
    opts = bytes([2, 4, 0x05, 0xB4, 4, 2, MPTCP, 4, 0x01, 0x01, 1, 1])
    sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sk.bind((a.iface, 0))
    rnd = random.Random(a.count)
    t0 = time.time()
    for _ in range(a.count):
        src = socket.inet_aton(f"{net}.{rnd.choice(hosts)}")
        tcp = struct.pack("!HHIIBBHHH", rnd.randrange(1024, 65536), a.dport, rnd.getrandbits(32), 0,
                          (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
        c = csum16(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), rnd.getrandbits(16), 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
        sk.send(eth + ip + tcp)
    secs = time.time() - t0
    sk.close()
    return {"sent": a.count, "send_seconds": round(secs, 2), "sources": len(hosts)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["join-unknown", "join-bad-hmac", "add-addr", "blind", "syn-flood"])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--gw", required=True, help="the next hop (its MAC address is resolved)")
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--dport", type=int, required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--join-src")
    ap.add_argument("--hs-iface", help="where the MP_CAPABLE handshake is sniffed (default --iface)")
    ap.add_argument("--also-iface", action="append", help="another interface to sniff on (repeatable)")
    ap.add_argument("--bad-addr")
    ap.add_argument("--good-addr")
    ap.add_argument("--client-port", type=int, action="append",
                    help="add-addr, blind: a client port of the live connection's subflows (repeatable)")
    ap.add_argument("--go-file", help="add-addr, blind: wait for this file before reading the live subflow")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--flood-net", help="syn-flood: an address of the /24 the sources are drawn from")
    a = ap.parse_args()
    fn = {"join-unknown": case_join_unknown, "join-bad-hmac": case_join_bad_hmac, "add-addr": case_add_addr,
          "blind": case_blind, "syn-flood": case_syn_flood}[a.case]
    print(json.dumps(fn(a)), flush=True)


if __name__ == "__main__":
    main()
