#!/usr/bin/env python3
"""Congestion-control, aggregation and scheduler benchmarks of issue 11
(scripts/bench.sh fairness|aggregation|moveaway|hetero|latency).

    bench-cc.py fairness    --prefix P --jar JAR [--runs 3] [--warmup 3] [--window 8] [--rate 50] [--delay 10]
    bench-cc.py moveaway    --prefix P --jar JAR [--runs 2] [--warmup 3] [--window 8] [--rate 20] [--delay 10]
    bench-cc.py aggregation --prefix P --jar JAR [--runs 2] [--mib 16] [--cases 1,2,...]
    bench-cc.py hetero      --prefix P --jar JAR [--runs 3] [--mib 8] [--rcvbuf 65536] [--rate 20] [--delay 5] [--slow-delay 100]
    bench-cc.py latency     --prefix P --jar JAR [--runs 3] [--count 2000] [--skip 300] [--loss 2] [--rate 20] [--delay 10]
                            [--lossy-delay MS]

Each builds its bed with scripts/testbed.sh (prefix P, torn down by bench.sh) and runs jmptcp
(`jmptcp nc --tun Pt0 --address 10.3.1.1 --address 10.3.2.1 --cc CC`) and the kernel's own MPTCP
client (scripts/peer.py client --mptcp from 10.1.1.1; the testbed's `subflow` endpoint adds
10.1.2.1) one after the other on it, against kernel MPTCP servers (peer.py server --mptcp --hold).

fairness: both paths through one shared bottleneck (testbed.sh --shared-bottleneck RATE, one-way
delay DELAY on each path: RTT 2*DELAY) with one kernel TCP flow (plain TCP, cubic, from 10.1.1.1).
The TCP flow starts first; once its receiver has its first byte the MPTCP client starts; WARMUP s
after the MPTCP receiver's first byte, the server's sockets (ss -ti, bytes_received) are read, and
again WINDOW s later: the MPTCP connection's bytes (all its subflows) / the TCP flow's bytes over
that common window. Contenders: jmptcp with lia, olia, balia; the kernel's MPTCP (its subflows
cubic, like the TCP flow, unless --kernel-cc).

moveaway: two separate paths of RATE Mbit/s, DELAY ms each way, the uplink tbf in the router
(testbed.sh --router-uplink: with it on the client's veth, the kernel TCP flow, local to that
namespace, meets the qdisc directly and backs off on its pushback while jmptcp's forwarded packets are
dropped, and the flow starved: --client-uplink reproduces that); the kernel TCP flow runs on path 1.
First the TCP flow alone (its reference rate), then with each contender: the TCP flow's bytes
against alone, and the MPTCP connection's bytes per path.

aggregation: the kernel selftest simult_flows.sh matrix (two paths, rates and one-way delays per
case), MIB MiB uploads; goodput at the receiver (first byte to EOF). Per case: jmptcp (--cc lia)
and the kernel MPTCP client alternating, RUNS each, medians; one kernel TCP upload over the best
single path; ratios jmptcp/kernel, jmptcp/best path, jmptcp/sum of the link rates.

hetero: two paths of RATE Mbit/s, one-way DELAY and SLOW_DELAY ms (RTT 10 and 200 ms), the kernel
server's receive buffer fixed small (tcp_rmem in its namespace: RCVBUF bytes). MIB MiB uploads with
jmptcp's --scheduler blest, ecf, minrtt, roundrobin (its sending side decides) and the kernel's
MPTCP client (its default scheduler), alternating; goodput at the receiver; medians, ratios to the
kernel and whether blest, ecf > minrtt > roundrobin.

latency: two paths of RATE Mbit/s, one-way DELAY ms (path 2: LOSSY_DELAY, default DELAY), LOSS % loss
each way on path 2. 1 KiB
requests every 10 ms (peer.py rr: jmptcp nc's stdin and stdout, or the kernel's MPTCP socket), the
kernel server echoes them (peer.py server --echo); SKIP untimed messages first (the JVM's warm-up;
the second subflow must be up before the timed ones), then COUNT timed. Per run: round-trip and
one-way (client to server, the namespaces' common monotonic clock) percentiles; medians of the
per-run p99 for jmptcp's redundant and minrtt and the kernel's MPTCP client.
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from benchlib import PEER, TESTBED, Capture, log, ns, popen, sockets, stop, wait_file, write_json  # noqa: E402

BIG = 1 << 40  # "send forever": the window ends first

MATRIX = [
    ("2 x 20 Mbit/s", 20, 20, 0, 0),
    ("20/20, 1/25 ms", 20, 20, 1, 25),
    ("20/5", 20, 5, 0, 0),
    ("20/5, 1/25 ms", 20, 5, 1, 25),
    ("20/5, 25/1 ms", 20, 5, 25, 1),
    ("40 @10 ms RTT + 10 @80 ms RTT", 40, 10, 5, 40),
]


def bed(a, args):
    log(f"testbed.sh up --prefix {a.prefix} {' '.join(args)}")
    print(f"== testbed.sh up --prefix {a.prefix} {' '.join(args)}", flush=True)
    env = dict(os.environ, JMPTCP_CMD=f"java -jar {a.jar}")
    subprocess.run([TESTBED, "up", "--prefix", a.prefix] + args, check=True, env=env, stdout=subprocess.DEVNULL)


def server(a, work, port, mptcp, hold=True, timing=False, echo=False):
    ready, first = f"{work}/ready-{port}", f"{work}/first-{port}"
    out = open(f"{work}/srv-{port}.json", "w+")
    cmd = ns(a, "srv") + ["python3", PEER, "server", "--port", str(port), "--ready", ready, "--first-byte", first]
    cmd += (["--mptcp"] if mptcp else []) + (["--hold"] if hold else []) + (["--timing"] if timing else [])
    cmd += ["--echo"] if echo else []
    p = popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
    wait_file(ready, 20, [p])
    return p, out, first


def nc(a, port, cc=None, sched=None):
    """jmptcp nc to the server's port from both client addresses (its stdin to the server)."""
    cmd = ["java"] + a.java_opts + ["-jar", a.jar, "nc", "--tun", f"{a.prefix}t0", "--address", "10.3.1.1",
                                    "--address", "10.3.2.1"]
    cmd += (["--cc", cc] if cc else []) + (["--scheduler", sched] if sched else [])
    cmd += (["--stats", str(a.stats_ms)] if a.stats_dir else []) + a.nc_args
    return cmd + ["10.2.1.1", str(port)]


def client(a, work, who, port, send=None, cc=None, bind="10.1.1.1", sched=None):
    """who: jmptcp (stdin: /dev/zero, or the file of `send` bytes), kernel (MPTCP), tcp (plain)."""
    err = open(f"{work}/cli-{port}.err", "w+")
    out = open(f"{work}/cli-{port}.out", "w+")
    if who == "jmptcp":
        stdin = open(send if send else "/dev/zero", "rb")
        return popen(ns(a, "cli") + nc(a, port, cc, sched), stdin=stdin, stdout=out, stderr=err), out, err
    cmd = ns(a, "cli") + ["python3", PEER, "client", "10.2.1.1", str(port), "--bind", bind,
                          "--send", str(send if send else BIG)]
    cmd += (["--mptcp"] if who == "kernel" else []) + (["--cc", cc] if cc else [])
    cmd += ["--pace"] if a.kernel_pace else []
    return popen(cmd, stdout=out, stderr=err), out, err


class Ports:
    def __init__(self, base):
        self.n = base

    def next(self):
        self.n += 1
        return self.n


def compete(a, work, ports, contender, tcp=True):
    """One window: the kernel TCP flow (if tcp) and contender (None, 'kernel' or a jmptcp cc).
    Returns (tcp bytes, {client address: mptcp bytes}, window seconds)."""
    procs = []
    tport, mport = ports.next(), ports.next()
    if tcp:
        s, _, tfirst = server(a, work, tport, mptcp=False)
        c, _, _ = client(a, work, "tcp", tport, cc="cubic", bind="10.1.1.1")
        procs += [s, c]
        wait_file(tfirst, 30, [s, c])
    first = None
    if contender:
        s, _, first = server(a, work, mport, mptcp=True)
        who = "kernel" if contender == "kernel" else "jmptcp"
        cc = (a.kernel_cc or "cubic") if who == "kernel" else contender
        c, _, cerr = client(a, work, who, mport, cc=cc)
        procs += [s, c]
        t0 = wait_file(first, 60, procs)
    else:
        t0 = time.monotonic()
    time.sleep(max(0.0, t0 + a.warmup - time.monotonic()))
    before_t, before_m, ta = sockets(a, tport), sockets(a, mport), time.monotonic()
    rt0, rm0 = retrans(a, tport), retrans(a, mport)
    time.sleep(max(0.0, ta + a.window - time.monotonic()))
    after_t, after_m, tb = sockets(a, tport), sockets(a, mport), time.monotonic()
    rt1, rm1 = retrans(a, tport), retrans(a, mport)
    # Retransmitted share of the data segments in the window: the TCP flow's, the kernel MPTCP's
    a.last_retrans = ((rt1[0] - rt0[0], rt1[1] - rt0[1]), (rm1[0] - rm0[0], rm1[1] - rm0[1]))
    if a.stats_dir:  # the client side's TCP state (the kernel flows' cwnd, retransmissions) at the end
        with open(os.path.join(a.stats_dir, f"compete-{mport}-{contender}.ss"), "w") as f:
            subprocess.run(ns(a, "cli") + ["ss", "-tin"], stdout=f, stderr=subprocess.DEVNULL)
    for p in procs:
        if p.poll() is not None and p.returncode != 0 and p in procs[1::2]:
            raise SystemExit(f"bench: a client exited during the window ({p.args[4:]!r}, rc {p.returncode})")
    for p in reversed(procs):
        stop(p)
    if contender and contender != "kernel":
        keep_stats(a, cerr, f"compete-{mport}-{contender}")
        name = os.path.join(a.stats_dir, f"compete-{mport}-{contender}.jsonl") if a.stats_dir else None
        a.last_retrans = (a.last_retrans[0], jmptcp_retrans(name, a.warmup, a.window) if name else None)
    tcp_bytes = sum(v - before_t.get(k, 0) for k, v in after_t.items())
    per_addr = {}
    for k, v in after_m.items():
        per_addr[k[0]] = per_addr.get(k[0], 0) + v - before_m.get(k, 0)
    return tcp_bytes, per_addr, tb - ta


def retrans(a, port):
    """(segments retransmitted, data segments sent) summed over the client namespace's kernel sockets
    to port: the TCP flow, or the kernel MPTCP client's subflows (jmptcp's are not kernel sockets)."""
    out = subprocess.run(ns(a, "cli") + ["ss", "-tinH", f"( dport = :{port} )"], capture_output=True,
                         text=True).stdout
    r = sum(int(x) for x in re.findall(r"\bretrans:\d+/(\d+)", out))
    d = sum(int(x) for x in re.findall(r"\bdata_segs_out:(\d+)", out))
    return r, d


def jmptcp_retrans(path, warmup, window):
    """(retransmitted, sent segments) of jmptcp's subflows between warmup and warmup + window seconds
    after its start, from nc --stats (the bench's window starts at the first byte, about then)."""
    rows = [json.loads(line) for line in open(path)]
    def at(t):
        return min(rows, key=lambda x: abs(x["t"] - t))["info"]["subflows"]
    a, b = at(warmup), at(warmup + window)
    before = {x["local"]: x for x in a}
    r = sum(x["retransmits"] - before.get(x["local"], {}).get("retransmits", 0) for x in b)
    sent = sum(x["bytesSent"] - before.get(x["local"], {}).get("bytesSent", 0) for x in b)
    return r, sent / 1420


def retrans_share(r):
    return f"{100 * r[0] / r[1]:.3f} %" if r and r[1] else "-"


def mbit(b, s):
    return b * 8 / s / 1e6


def contenders(a):
    return [c for c in a.cc.split(",") if c] + ["kernel"]


def fairness(a, work):
    bed(a, ["--paths", "2", "--delay", f"all={a.delay}", "--shared-bottleneck", str(a.rate), "--no-signal",
            "--queue-ms", str(a.queue_ms or 2 * a.delay)])
    ports, res = Ports(7300), {c: [] for c in contenders(a)}
    for i in range(a.runs):
        for who in contenders(a):
            log(f"fairness run {i + 1}/{a.runs}: {who}")
            t, m, w = compete(a, work, ports, who)
            mp = sum(m.values())
            ratio = mp / t if t else float("inf")
            res[who].append((ratio, mbit(mp, w), mbit(t, w)))
            print(f"  {who:6} run {i + 1}: MPTCP {mbit(mp, w):5.1f} Mbit/s ("
                  + ", ".join(f"{k} {mbit(v, w):.1f}" for k, v in sorted(m.items()))
                  + f"), TCP {mbit(t, w):5.1f} Mbit/s, ratio {ratio:5.2f}  ({w:.1f} s); retransmitted: "
                  + f"TCP {retrans_share(a.last_retrans[0])}, MPTCP "
                  + (retrans_share(a.last_retrans[1]) if a.last_retrans[1] else "- (--stats-dir)"),
                  flush=True)
    print()
    print(f"== fairness: 2 subflows + 1 kernel TCP flow (cubic) through one {a.rate} Mbit/s bottleneck, "
          f"RTT {2 * a.delay} ms + queueing, window {a.window} s after {a.warmup} s; medians of {a.runs}")
    print(f"  {'client':14} {'MPTCP/TCP':>9} {'range':>13} {'MPTCP Mbit/s':>13} {'TCP Mbit/s':>11}")
    for who, rs in res.items():
        name = f"jmptcp {who}" if who != "kernel" else f"kernel ({a.kernel_cc or 'cubic'})"
        print(f"  {name:14} {statistics.median(r[0] for r in rs):9.2f} "
              f"{min(r[0] for r in rs):6.2f}-{max(r[0] for r in rs):<6.2f} "
              f"{statistics.median(r[1] for r in rs):13.1f} {statistics.median(r[2] for r in rs):11.1f}")
    k = statistics.median(r[0] for r in res["kernel"])
    print("  jmptcp ratio / kernel ratio: " + ", ".join(
        f"{w} {statistics.median(r[0] for r in res[w]) / k:.2f}" for w in res if w != "kernel"))
    write_json(a.json, {"case": "fairness", "runs": a.runs, "window_s": a.window, "warmup_s": a.warmup,
                        "rate_mbit": a.rate, "kernel_cc": a.kernel_cc or "cubic",
                        "median": {w: {"mptcp_over_tcp": statistics.median(r[0] for r in rs),
                                       "mptcp_mbit": statistics.median(r[1] for r in rs),
                                       "tcp_mbit": statistics.median(r[2] for r in rs)} for w, rs in res.items()}})


def moveaway(a, work):
    bed(a, ["--paths", "2", "--rate", f"all={a.rate}", "--delay", f"all={a.delay}", "--no-signal"]
        + ([] if a.client_uplink else ["--router-uplink"]))
    ports, alone, res = Ports(7500), [], {c: [] for c in contenders(a)}
    p1 = {"kernel": "10.1.1.1"}
    for i in range(a.runs):
        log(f"moveaway run {i + 1}/{a.runs}: TCP alone")
        t, _, w = compete(a, work, ports, None)
        alone.append(mbit(t, w))
        print(f"  TCP alone run {i + 1}: {mbit(t, w):5.1f} Mbit/s", flush=True)
        for who in contenders(a):
            log(f"moveaway run {i + 1}/{a.runs}: {who}")
            t, m, w = compete(a, work, ports, who)
            path1 = m.get(p1.get(who, "10.3.1.1"), 0)
            mp = sum(m.values())
            res[who].append((mbit(t, w), mbit(path1, w), mbit(mp - path1, w)))
            print(f"  {who:6} run {i + 1}: TCP {mbit(t, w):5.1f} Mbit/s; MPTCP path 1 {mbit(path1, w):5.1f}, "
                  f"path 2 {mbit(mp - path1, w):5.1f} Mbit/s", flush=True)
    base = statistics.median(alone)
    print()
    print(f"== moveaway: 2 x {a.rate} Mbit/s, RTT {2 * a.delay} ms; a kernel TCP flow (cubic) on path 1; "
          f"window {a.window} s after {a.warmup} s; medians of {a.runs}; TCP alone {base:.1f} Mbit/s")
    print(f"  {'client':14} {'TCP Mbit/s':>10} {'TCP/alone':>9} {'path 1':>7} {'path 2':>7} {'share on path 2':>15}")
    for who, rs in res.items():
        name = f"jmptcp {who}" if who != "kernel" else f"kernel ({a.kernel_cc or 'cubic'})"
        t, q1, q2 = (statistics.median(r[j] for r in rs) for j in range(3))
        print(f"  {name:14} {t:10.1f} {t / base:9.2f} {q1:7.1f} {q2:7.1f} {q2 / (q1 + q2) if q1 + q2 else 0:15.2f}")


def upload(a, work, ports, who, infile, cc=None, bind="10.1.1.1", sched=None, series=None):
    """One upload, its goodput at the receiver; with series (a file name), the server's bytes per subflow
    per 100 ms (a capture, benchlib.Capture), saved there."""
    port = ports.next()
    s, out, first = server(a, work, port, mptcp=(who != "tcp"), timing=True)
    cap = Capture(a, port, work).start() if series else None
    c, _, err = client(a, work, who, port, send=(infile if who == "jmptcp" else a.bytes), cc=cc, bind=bind,
                       sched=sched)
    t_first = wait_file(first, 60, [s, c]) if series else None
    rc = c.wait(timeout=300)
    s.wait(timeout=60)
    if cap:
        cap.stop(t_first)
    out.seek(0)
    srv = json.loads(out.read())
    if rc != 0 or srv["received"] != a.bytes:
        err.seek(0)
        raise SystemExit(f"bench: {who} upload on port {port} failed (exit {rc}, received {srv['received']}):\n"
                         + err.read()[-2000:])
    keep_stats(a, err, f"upload-{port}-{who}-{sched or cc}")
    if cap:
        cap.save(series, who=who, cc=cc, transfer_s=srv["transfer_s"], mbit=mbit(a.bytes, srv["transfer_s"]),
                 mib=a.mib)
    return mbit(a.bytes, srv["transfer_s"])


def keep_stats(a, err, name):
    """With --stats-dir: the --stats lines of jmptcp's stderr, one JSON object per line."""
    if a.stats_dir:
        err.seek(0)
        with open(os.path.join(a.stats_dir, name + ".jsonl"), "w") as f:
            f.writelines(line for line in err if line.startswith("{"))


def random_file(a, work):
    infile = f"{work}/input"
    with open(infile, "wb") as f:
        for _ in range(a.mib):
            f.write(os.urandom(1 << 20))
    return infile


def aggregation(a, work):
    infile = random_file(a, work)
    ports, rows = Ports(7700), []
    cases = [int(x) for x in a.cases.split(",")] if a.cases else range(1, len(MATRIX) + 1)
    for n in cases:
        name, r1, r2, d1, d2 = MATRIX[n - 1]
        args = ["--paths", "2", "--rate", f"1={r1}", "--rate", f"2={r2}", "--no-signal"]
        args += (["--delay", f"1={d1}"] if d1 else []) + (["--delay", f"2={d2}"] if d2 else [])
        args += ["--router-uplink"] if a.router_uplink else []
        bed(a, args)
        best = 1 if (r1, -d1) >= (r2, -d2) else 2
        ccs = [c for c in a.cc.split(",") if c]
        j, k = {c: [] for c in ccs}, []
        def series(who):  # the first run of each client, with --series-dir
            return os.path.join(a.series_dir, f"aggregation-{n}-{who}.json") if a.series_dir and i == 0 else None
        for i in range(a.runs):
            for c in ccs:
                log(f"aggregation case {n} run {i + 1}/{a.runs}: jmptcp {c}")
                j[c].append(upload(a, work, ports, "jmptcp", infile, cc=c, series=series(f"jmptcp-{c}")))
            log(f"aggregation case {n} run {i + 1}/{a.runs}: kernel")
            k.append(upload(a, work, ports, "kernel", infile, cc=a.kernel_cc, series=series("kernel")))
            print(f"  case {n} run {i + 1}: " + ", ".join(f"jmptcp {c} {j[c][-1]:5.1f}" for c in ccs)
                  + f", kernel {k[-1]:5.1f} Mbit/s", flush=True)
        single = upload(a, work, ports, "tcp", infile, cc=a.kernel_cc, bind=f"10.1.{best}.1")
        print(f"  case {n}: kernel TCP on path {best} alone {single:5.1f} Mbit/s", flush=True)
        for c in ccs:
            rows.append((n, name, c, statistics.median(j[c]), statistics.median(k), single, max(r1, r2), r1 + r2))
    print()
    print(f"== aggregation: simult_flows.sh matrix, {a.mib} MiB uploads, kernel "
          f"{a.kernel_cc or 'namespace default'}; medians of {a.runs}; Mbit/s at the receiver")
    print(f"  {'#':2} {'case':30} {'cc':6} {'jmptcp':>6} {'kernel':>6} {'j/k':>5} {'best TCP':>8} {'j/best':>6} "
          f"{'j/bestrate':>10} {'j/sum':>6}")
    for n, name, c, jm, km, single, best, tot in rows:
        print(f"  {n:<2} {name:30} {c:6} {jm:6.1f} {km:6.1f} {jm / km:5.2f} {single:8.1f} {jm / single:6.2f} "
              f"{jm / best:10.2f} {jm / tot:6.2f}")
    write_json(a.json, {"case": "aggregation", "mib": a.mib, "runs": a.runs, "kernel_cc": a.kernel_cc,
                        "rows": [{"n": n, "name": name, "cc": c, "jmptcp_mbit": jm, "kernel_mbit": km,
                                  "best_tcp_mbit": single, "best_rate_mbit": best, "sum_rates_mbit": tot}
                                 for n, name, c, jm, km, single, best, tot in rows]})


def hetero(a, work):
    bed(a, ["--paths", "2", "--rate", f"all={a.rate}", "--delay", f"1={a.delay}", "--delay", f"2={a.slow_delay}",
            "--no-signal"] + (["--queue-ms", str(a.queue_ms)] if a.queue_ms else []))
    # the receiver's buffer, the kernel server's (its MPTCP socket starts at tcp_rmem[1] and
    # autotunes up to tcp_rmem[2]): fixed at RCVBUF
    subprocess.run(ns(a, "srv") + ["sysctl", "-qw", f"net.ipv4.tcp_rmem=4096 {a.rcvbuf} {a.rcvbuf}"], check=True)
    infile = random_file(a, work)
    ports, scheds = Ports(7900), [x for x in a.schedulers.split(",") if x]
    j, k = {x: [] for x in scheds}, []
    for i in range(a.runs):
        for x in scheds:
            log(f"hetero run {i + 1}/{a.runs}: jmptcp {x}")
            j[x].append(upload(a, work, ports, "jmptcp", infile, sched=x))
        log(f"hetero run {i + 1}/{a.runs}: kernel")
        k.append(upload(a, work, ports, "kernel", infile, cc=a.kernel_cc))
        print(f"  run {i + 1}: " + ", ".join(f"jmptcp {x} {j[x][-1]:5.1f}" for x in scheds)
              + f", kernel {k[-1]:5.1f} Mbit/s", flush=True)
    km = statistics.median(k)
    med = {x: statistics.median(v) for x, v in j.items()}
    print()
    print(f"== hetero: 2 x {a.rate} Mbit/s, RTT {2 * a.delay} ms and {2 * a.slow_delay} ms, tbf queue "
          f"{a.queue_ms or 100} ms, server tcp_rmem "
          f"{a.rcvbuf} B (fast path BDP {a.rate * 1e6 * 2 * a.delay / 1e3 / 8:.0f} B), {a.mib} MiB uploads to the "
          f"kernel; goodput at the receiver, Mbit/s, medians of {a.runs}")
    print(f"  {'client':18} {'Mbit/s':>6} {'range':>11} {'/kernel':>7}")
    for x, v in j.items():
        print(f"  {'jmptcp ' + x:18} {med[x]:6.1f} {min(v):5.1f}-{max(v):<5.1f} {med[x] / km:7.2f}")
    print(f"  {'kernel (default)':18} {km:6.1f} {min(k):5.1f}-{max(k):<5.1f} {1:7.2f}")
    for hi, lo in (("blest", "minrtt"), ("ecf", "minrtt"), ("minrtt", "roundrobin")):
        if hi in med and lo in med:
            print(f"  {hi} > {lo}: {'holds' if med[hi] > med[lo] else 'does NOT hold'} "
                  f"({med[hi]:.1f} / {med[lo]:.1f} = {med[hi] / med[lo]:.2f})")


def pct(xs, q):
    """The q-th percentile (nearest rank) of xs."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q / 100 * len(xs) + 0.5)) - 1))]


def request_response(a, work, ports, who, sched=None):
    """One run of a.count timed 1 KiB request/responses, every 10 ms, after a.skip untimed ones.
    Returns (round-trip times, one-way client-to-server times), ms."""
    port = ports.next()
    s, out, _ = server(a, work, port, mptcp=True, hold=False, echo=True)
    err, cout = open(f"{work}/cli-{port}.err", "w+"), open(f"{work}/cli-{port}.out", "w+")
    cmd = ns(a, "cli") + ["python3", PEER, "rr"] + ([] if who == "jmptcp" else ["10.2.1.1", str(port)])
    cmd += ["--count", str(a.skip + a.count), "--size", "1024", "--interval-ms", str(a.interval_ms)]
    if who == "jmptcp":
        cmd += ["--"] + nc(a, port, sched=sched)
    else:
        cmd += ["--bind", "10.1.1.1", "--mptcp"] + (["--cc", a.kernel_cc] if a.kernel_cc else [])
    c = popen(cmd, stdout=cout, stderr=err)
    deadline, joined = time.monotonic() + 30, None
    while joined is None and c.poll() is None and time.monotonic() < deadline:
        if len(sockets(a, port)) >= 2:
            joined = time.monotonic()
        time.sleep(0.05)
    rc = c.wait(timeout=a.count * a.interval_ms / 1000 + 120)
    try:
        s.wait(timeout=60)
    except subprocess.TimeoutExpired:
        cout.seek(0), err.seek(0)
        cli = json.loads(cout.read() or "{}")
        subprocess.run(ns(a, "srv") + ["ss", "-tinmM", f"( sport = :{port} )"])
        raise SystemExit(f"bench: {who} {sched or ''}: the echo server did not finish 60 s after the client "
                         f"(exit {rc}, {len(cli.get('sent', []))} sent, {len(cli.get('echoed', []))} echoed):\n"
                         + err.read()[-2000:])
    out.seek(0), cout.seek(0)
    srv, cli = json.loads(out.read() or "{}"), json.loads(cout.read() or "{}")
    sent, echoed, arrived = cli.get("sent", []), cli.get("echoed", []), srv.get("arrivals", [])
    n = a.skip + a.count + 1
    if rc != 0 or cli.get("rc", 0) != 0 or len(sent) != n or len(echoed) != n or len(arrived) != n:
        err.seek(0)
        raise SystemExit(f"bench: {who} {sched or ''} request/response on port {port} failed (exit {rc}, "
                         f"{len(sent)} sent, {len(echoed)} echoed, {len(arrived)} arrived of {n}):\n"
                         + err.read()[-2000:])
    if joined is None or joined > sent[1 + a.skip]:
        raise SystemExit(f"bench: {who} {sched or ''}: no second subflow before the timed messages began")
    keep_stats(a, err, f"latency-{port}-{who}-{sched}")
    timed = range(1 + a.skip, n)
    return [1000 * (echoed[i] - sent[i]) for i in timed], [1000 * (arrived[i] - sent[i]) for i in timed]


def latency(a, work):
    lossy = a.lossy_delay if a.lossy_delay is not None else a.delay
    bed(a, ["--paths", "2", "--rate", f"all={a.rate}", "--delay", f"1={a.delay}", "--delay", f"2={lossy}",
            "--loss", f"2={a.loss}", "--no-signal"])
    ports, scheds = Ports(8100), [x for x in a.schedulers.split(",") if x]
    res = {x: [] for x in scheds + ["kernel"]}
    for i in range(a.runs):
        for x in scheds + ["kernel"]:
            log(f"latency run {i + 1}/{a.runs}: {x}")
            rtt, one = request_response(a, work, ports, "kernel" if x == "kernel" else "jmptcp",
                                        None if x == "kernel" else x)
            res[x].append((pct(rtt, 50), pct(rtt, 99), max(rtt), pct(one, 50), pct(one, 99)))
            print(f"  {x:10} run {i + 1}: round trip p50 {pct(rtt, 50):6.1f} p99 {pct(rtt, 99):6.1f} "
                  f"max {max(rtt):6.1f} ms; one-way up p50 {pct(one, 50):6.1f} p99 {pct(one, 99):6.1f} ms", flush=True)
    med = {x: [statistics.median(r[j] for r in rs) for j in range(5)] for x, rs in res.items()}
    kp = med["kernel"][1]
    print()
    print(f"== latency: 2 paths, {a.rate} Mbit/s, RTT {2 * a.delay} ms and {2 * lossy} ms, {a.loss} % loss each way "
          f"on path 2; "
          f"{a.count} 1 KiB requests every {a.interval_ms} ms (after {a.skip} untimed), the kernel server echoes; "
          f"ms, medians of {a.runs}")
    print(f"  {'client':18} {'rtt p50':>7} {'rtt p99':>7} {'p99 range':>13} {'max':>7} {'p99/kernel':>10} "
          f"{'up p50':>7} {'up p99':>7}")
    for x, rs in res.items():
        name = "kernel (default)" if x == "kernel" else "jmptcp " + x
        m = med[x]
        print(f"  {name:18} {m[0]:7.1f} {m[1]:7.1f} {min(r[1] for r in rs):6.1f}-{max(r[1] for r in rs):<6.1f} "
              f"{m[2]:7.1f} {m[1] / kp:10.2f} {m[3]:7.1f} {m[4]:7.1f}")
    if "redundant" in med and "minrtt" in med:
        r, m = med["redundant"], med["minrtt"]
        print(f"  redundant p99 < minrtt p99: round trip {'holds' if r[1] < m[1] else 'does NOT hold'} "
              f"({r[1]:.1f} / {m[1]:.1f} ms), one-way up {'holds' if r[4] < m[4] else 'does NOT hold'} "
              f"({r[4]:.1f} / {m[4]:.1f} ms)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["fairness", "moveaway", "aggregation", "hetero", "latency"])
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--mib", type=int, help="aggregation, hetero: upload size (default 16, hetero 8)")
    ap.add_argument("--warmup", type=float, help="seconds before the window (default: fairness 10, else 3)")
    ap.add_argument("--queue-ms", type=int, help="fairness, hetero: the tbf queues' limit as delay (fairness default: "
                                                 "one RTT, a BDP; hetero: testbed.sh's default, 100)")
    ap.add_argument("--window", type=float, default=8)
    ap.add_argument("--rate", type=float)
    ap.add_argument("--delay", type=float, help="one-way delay, ms (default 10; hetero: the fast path's, 5)")
    ap.add_argument("--slow-delay", type=float, default=100, help="hetero: the slow path's one-way delay, ms")
    ap.add_argument("--rcvbuf", type=int, default=65536, help="hetero: the server's receive buffer (tcp_rmem), bytes")
    ap.add_argument("--schedulers", help="hetero, latency: jmptcp schedulers to run (default: hetero "
                                         "blest,ecf,minrtt,roundrobin; latency redundant,minrtt)")
    ap.add_argument("--loss", type=float, default=2, help="latency: path 2's loss, %% each way")
    ap.add_argument("--lossy-delay", type=float, help="latency: path 2's one-way delay, ms (default: --delay)")
    ap.add_argument("--count", type=int, default=2000, help="latency: timed messages per run")
    ap.add_argument("--skip", type=int, default=300, help="latency: untimed messages first (the JIT, the join)")
    ap.add_argument("--interval-ms", type=float, default=10, help="latency: one message every MS ms")
    ap.add_argument("--cc", help="jmptcp controllers to run, comma-separated (default: lia,olia,balia; "
                                 "aggregation: lia)")
    ap.add_argument("--cases", help="aggregation: which matrix rows, e.g. 1,3")
    ap.add_argument("--client-uplink", action="store_true",
                    help="moveaway: the uplink tbf on the client's veth (testbed.sh's default) instead of in the router")
    ap.add_argument("--router-uplink", action="store_true", help="aggregation: the uplink tbf in the router")
    ap.add_argument("--kernel-cc", help="congestion control of the kernel MPTCP client's socket")
    ap.add_argument("--kernel-pace", action="store_true",
                    help="pace the kernel clients' sockets (the TCP flow's and the kernel MPTCP client's): "
                         "without it cubic sends TSO bursts into the drop-tail queue")
    ap.add_argument("--stats-dir", help="keep jmptcp's per-interval connection state (nc --stats) here, a file per run")
    ap.add_argument("--stats-ms", type=int, default=250, help="the --stats interval, ms")
    ap.add_argument("--json", help="fairness, aggregation: write the results here, machine-readable (bench-all.py)")
    ap.add_argument("--series-dir", help="aggregation: the server's bytes per subflow per 100 ms (tcpdump, "
                                         "benchlib.Capture) of the first run of each client, into "
                                         "aggregation-CASE-WHO.json here")
    a = ap.parse_args()
    a.runs = a.runs or (3 if a.case in ("fairness", "hetero", "latency") else 2)
    a.mib = a.mib or (8 if a.case == "hetero" else 16)
    a.delay = a.delay if a.delay is not None else (5 if a.case == "hetero" else 10)
    a.schedulers = a.schedulers or ("redundant,minrtt" if a.case == "latency" else "blest,ecf,minrtt,roundrobin")
    a.warmup = a.warmup if a.warmup is not None else (10 if a.case == "fairness" else 3)
    a.cc = a.cc if a.cc is not None else ("lia" if a.case == "aggregation" else "lia,olia,balia")
    a.rate = a.rate or (50 if a.case == "fairness" else 20)
    a.delay = int(a.delay) if a.delay == int(a.delay) else a.delay
    a.slow_delay = int(a.slow_delay) if a.slow_delay == int(a.slow_delay) else a.slow_delay
    if a.lossy_delay is not None and a.lossy_delay == int(a.lossy_delay):
        a.lossy_delay = int(a.lossy_delay)
    a.rate = int(a.rate) if a.rate == int(a.rate) else a.rate
    a.bytes = a.mib << 20
    a.java_opts = os.environ.get("JMPTCP_JAVA_OPTS", "").split()
    a.nc_args = os.environ.get("JMPTCP_NC_ARGS", "").split()  # more jmptcp options, for experiments
    if a.stats_dir:
        os.makedirs(a.stats_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jmptcp-bench-cc.") as work:
        try:
            {"fairness": fairness, "moveaway": moveaway, "aggregation": aggregation, "hetero": hetero,
             "latency": latency}[a.case](a, work)
        finally:
            # run alone (not from bench.sh, whose trap does it) the bed would outlive us, its link
            # emulators burning CPU, and a later teardown of the prefix would hit whoever uses it
            subprocess.run([TESTBED, "down", "--prefix", a.prefix], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
