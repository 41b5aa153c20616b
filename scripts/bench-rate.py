#!/usr/bin/env python3
"""Issue 12's connection setup rate (scripts/bench.sh rate): new MPTCP connections per second to a
kernel MPTCP server, INFLIGHT at a time, each one connect, a 64-byte request, the server's 64-byte
answer read to the end of stream (the server closes first, so no client keeps a TIME_WAIT and the
client's ports do not run out), then close. Three clients over the same one-path bed, in each run:

  kernel  the kernel's MPTCP sockets (IPPROTO_MPTCP) from the client namespace, PROCS Python
          processes with an epoll loop each (INFLIGHT split between them);
  api     jmptcp's non-blocking API on a TUN stack (io.jmptcp.cli.bench.RateBench, in the jar);
  socks   the jmptcp daemon's SOCKS5 port, driven like the kernel client (SOCKS5 over loopback TCP,
          then the same request), the daemon's stack opening the MPTCP connections.

Each client records when every connection completed; the rate is taken from the WARMUP-th to the
(WARMUP + CONNS)-th completion (the JVM's warm-up is outside the window). The server (PROCS
pre-forked processes sharing one MPTCP listener, epoll) and its MP_CAPABLE counters are shared.

    bench-rate.py run --prefix P --jar JAR [--conns 10000] [--inflight 64] [--runs 3] [--procs 2]
                      [--cases kernel,api,socks]

Needs root (namespaces, TUN). JMPTCP_JAVA_OPTS is passed to both JVMs (e.g. a JFR recording).
"""
import argparse, errno, json, os, select, shlex, signal, socket, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import TESTBED, log, ns, popen, stop  # noqa: E402

PORT = 9100
SOCKS = 1080
IPPROTO_MPTCP = 262
REQUEST = b"q" * 64
ANSWER = b"a" * 64
SERVER = "10.2.1.1"


def raise_nofile():
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = 200_000 if hard == resource.RLIM_INFINITY else min(200_000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# ---- the server, in the server namespace ---------------------------------------------------------

def serve(port, ports, procs):
    """Listens on ports PORT..PORT+ports-1: each client run gets a port of its own (see rate_case)."""
    listeners = []
    for p in range(port, port + ports):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("0.0.0.0", p))
        ls.listen(4096)
        ls.setblocking(False)
        listeners.append(ls)
    for _ in range(procs - 1):
        if os.fork() == 0:
            break
    print("listening", flush=True)
    ep = select.epoll()
    byfd = {ls.fileno(): ls for ls in listeners}
    for fd in byfd:
        ep.register(fd, select.EPOLLIN | select.EPOLLEXCLUSIVE)
    conns = {}  # fd -> [socket, bytes of the request still expected]
    while True:
        for fd, ev in ep.poll():
            ls = byfd.get(fd)
            if ls is not None:
                while True:
                    try:
                        c, _ = ls.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:  # e.g. a connection reset before accept
                        break
                    c.setblocking(False)
                    conns[c.fileno()] = [c, len(REQUEST)]
                    ep.register(c.fileno(), select.EPOLLIN)
                continue
            c, want = conns[fd]
            try:
                data = c.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
                want = -1
            if data:
                want -= len(data)
                conns[fd][1] = want
                if want > 0:
                    continue
                try:
                    c.send(ANSWER)  # a fresh socket's buffer takes 64 bytes
                except OSError:
                    pass
            ep.unregister(fd)
            del conns[fd]
            c.close()  # the server closes first: the TIME_WAIT stays here


# ---- the Python clients (kernel MPTCP, or TCP to the daemon's SOCKS port) ------------------------

def client(mode, dst, port, count, inflight, out):
    """Runs count connections, inflight at a time; writes the completion times and failures to out."""
    ep = select.epoll()
    conns = {}  # fd -> [socket, phase, received bytes]
    done = []
    failures = {}
    started = 0
    ip = socket.inet_aton(dst)
    connect_req = b"\x05\x01\x00\x01" + ip + port.to_bytes(2, "big")

    def fail(kind):
        failures[kind] = failures.get(kind, 0) + 1

    def start():
        nonlocal started
        started += 1
        if mode == "kernel":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
            target = (dst, port)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = ("127.0.0.1", SOCKS)
        s.setblocking(False)
        err = s.connect_ex(target)
        if err not in (0, errno.EINPROGRESS):
            s.close()
            fail(errno.errorcode.get(err, str(err)))
            return False
        conns[s.fileno()] = [s, 0, b""]
        ep.register(s.fileno(), select.EPOLLOUT)
        return True

    def end(fd, failure):
        s = conns.pop(fd)[0]
        ep.unregister(fd)
        s.close()
        if failure:
            fail(failure)
        else:
            done.append(time.monotonic())

    def refill():
        while len(conns) < inflight and started - sum(failures.values()) < count and sum(failures.values()) < count:
            start()

    refill()
    while conns:
        for fd, ev in ep.poll():
            st = conns.get(fd)
            if st is None:
                continue
            s, phase, got = st
            try:
                if phase == 0:  # connected (or not)
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        end(fd, errno.errorcode.get(err, str(err)))
                        continue
                    s.send(REQUEST if mode == "kernel" else b"\x05\x01\x00")
                    st[1] = 3 if mode == "kernel" else 1
                    ep.modify(fd, select.EPOLLIN)
                    continue
                data = s.recv(4096)
                if phase == 1 or phase == 2:  # SOCKS5: method reply (2 bytes), then CONNECT reply (10)
                    if not data:
                        end(fd, "socks closed")
                        continue
                    got += data
                    need = 2 if phase == 1 else 10
                    if len(got) < need:
                        st[2] = got
                        continue
                    if phase == 1:
                        if got[:2] != b"\x05\x00":
                            end(fd, "socks method")
                            continue
                        s.send(connect_req)
                        st[1], st[2] = 2, got[2:]
                        continue
                    if got[1] != 0:
                        end(fd, f"socks reply {got[1]}")
                        continue
                    s.send(REQUEST)
                    st[1], st[2] = 3, got[10:]
                    continue
                if data:
                    st[2] = got + data
                    continue
                end(fd, None if len(got) == len(ANSWER) else f"answer of {len(got)} bytes")
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                end(fd, errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__)
        refill()
    with open(out, "w") as f:
        json.dump({"done": done, "failures": failures}, f)


# ---- the driver ----------------------------------------------------------------------------------

def server_counters(a):
    """The server's MP_CAPABLE counters (MPTcpExt in /proc/net/netstat)."""
    lines = subprocess.run(ns(a, "srv") + ["cat", "/proc/net/netstat"], capture_output=True,
                           text=True).stdout.splitlines()
    for i in range(0, len(lines) - 1, 2):
        if lines[i].startswith("MPTcpExt:"):
            return dict(zip(lines[i].split()[1:], map(int, lines[i + 1].split()[1:])))
    return {}


def java_opts():
    return shlex.split(os.environ.get("JMPTCP_JAVA_OPTS", ""))


def window(times, warmup, conns):
    """Rate over the warmup-th to (warmup + conns)-th completion, or None if too few completed."""
    times = sorted(times)
    last = warmup + conns - 1
    if len(times) <= last:
        return None
    return (conns - 1) / (times[last] - times[warmup])


def run_python(a, work, mode, tag, port):
    per = -(-(a.warmup + a.conns + a.inflight) // a.procs)
    inflight = max(1, a.inflight // a.procs)
    procs = []
    for i in range(a.procs):
        procs.append(popen(ns(a, "cli") + [sys.executable, os.path.abspath(__file__), "client", "--mode", mode,
                                           "--count", str(per), "--inflight", str(inflight), "--port", str(port),
                                           "--out", f"{work}/{tag}-{i}.json"], preexec_fn=raise_nofile))
    times, failures = [], {}
    for i, p in enumerate(procs):
        if p.wait(timeout=a.timeout) != 0:
            raise SystemExit(f"bench: {mode} client {i} failed (rc {p.returncode})")
        got = json.load(open(f"{work}/{tag}-{i}.json"))
        times += got["done"]
        for k, v in got["failures"].items():
            failures[k] = failures.get(k, 0) + v
    return {"rate": window(times, a.warmup, a.conns), "completed": len(times),
            "failed": sum(failures.values()), "failures": failures}


def run_api(a, work, tag, port):
    cmd = ns(a, "cli") + ["java", *java_opts(), "-cp", a.jar, "io.jmptcp.cli.bench.RateBench",
                          "--tun", f"{a.prefix}t0", "--address", "10.3.1.1", "--conns", str(a.conns),
                          "--warmup", str(a.warmup), "--inflight", str(a.inflight),
                          "--timeout", str(a.timeout), SERVER, str(port)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout + 60, preexec_fn=raise_nofile)
    open(f"{work}/{tag}.log", "w").write(p.stderr)
    lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
    if not lines:
        raise SystemExit(f"bench: RateBench printed no result (rc {p.returncode}); stderr:\n{p.stderr[-2000:]}")
    r = json.loads(lines[-1])
    return {"rate": r["rate"] or None, "completed": r["completed"], "failed": r["failed"],
            "failures": r["failures"]}


def status_ok(a, work):
    out = subprocess.run(["java", "-jar", a.jar, "status", "--control", f"{work}/cli.sock", "--json"],
                         capture_output=True, text=True, timeout=60)
    return out.returncode == 0


def run_socks(a, work, tag, port):
    d = popen(ns(a, "cli") + ["java", *java_opts(), "-jar", a.jar, "daemon", "--tun", f"{a.prefix}t0",
                              "--address", "10.3.1.1", "--socks", f"127.0.0.1:{SOCKS}",
                              "--control", f"{work}/cli.sock", "--max-clients", "100000",
                              "--max-connections", "100000"],
              stdout=open(f"{work}/{tag}-daemon.log", "w"), stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
    try:
        deadline = time.monotonic() + 60
        while not status_ok(a, work):
            if time.monotonic() > deadline or d.poll() is not None:
                raise SystemExit("bench: the daemon did not come up")
            time.sleep(0.2)  # polling the control socket until the daemon answers
        return run_python(a, work, "socks", tag, port)
    finally:
        stop(d)


def fmt(x):
    return "-" if x is None else f"{x:,.0f}"


def ratio(x, k):
    return None if x is None or not k else x / k


def rate_case(a):
    work = subprocess.run(["mktemp", "-d", "/tmp/jmptcp-rate.XXXXXX"], capture_output=True, text=True).stdout.strip()
    subprocess.run([TESTBED, "up", "--prefix", a.prefix, "--paths", "1", "--no-signal"], check=True,
                   stdout=subprocess.DEVNULL)
    srv = None
    try:
        # its own process group: the forked server processes are stopped with it (killpg below)
        srv = popen(ns(a, "srv") + [sys.executable, os.path.abspath(__file__), "server", "--procs", str(a.procs),
                                    "--ports", str(a.runs * len(a.cases))],
                    stdout=subprocess.PIPE, text=True, preexec_fn=raise_nofile, start_new_session=True)
        for _ in range(a.procs):
            if srv.stdout.readline().strip() != "listening":
                raise SystemExit("bench: the server did not start")
        rows = []
        for r in range(1, a.runs + 1):
            row = {}
            for case in a.cases:
                # A port of its own for each client run: the server keeps a TIME_WAIT for every
                # connection (it closes first), and a new client process (a new JVM: a new secret,
                # so other TSvals for the same 4-tuple, RFC 7323 section 7.1) reusing a 4-tuple of an
                # earlier run would have its SYN refused by PAWS (the server answers with the old
                # connection's ACK, jmptcp resets and sends the SYN again after its RTO, 1 s).
                port = PORT + len(rows) * len(a.cases) + a.cases.index(case)
                before = server_counters(a)
                if case == "kernel":
                    res = run_python(a, work, "kernel", f"kernel-{r}", port)
                elif case == "api":
                    res = run_api(a, work, f"api-{r}", port)
                else:
                    res = run_socks(a, work, f"socks-{r}", port)
                after = server_counters(a)
                res["mp_capable"] = after.get("MPCapableACKRX", 0) - before.get("MPCapableACKRX", 0)
                res["fallback"] = (after.get("MPCapableFallbackACK", 0) - before.get("MPCapableFallbackACK", 0)
                                   + after.get("MPCapableSYNRX", 0) - before.get("MPCapableSYNRX", 0)
                                   - res["mp_capable"])
                row[case] = res
                log(f"run {r} {case}: {json.dumps(res)}")
            rows.append(row)
            for case in ("kernel", "api", "socks"):
                row.setdefault(case, {"rate": None, "completed": 0, "failed": 0, "failures": {}, "mp_capable": 0})
            print(f"   run {r}: kernel {fmt(row['kernel']['rate'])}/s, api {fmt(row['api']['rate'])}/s "
                  f"({fmt_ratio(ratio(row['api']['rate'], row['kernel']['rate']))}), socks "
                  f"{fmt(row['socks']['rate'])}/s ({fmt_ratio(ratio(row['socks']['rate'], row['kernel']['rate']))}); "
                  f"failed {row['kernel']['failed']}/{row['api']['failed']}/{row['socks']['failed']}; "
                  f"MP_CAPABLE at the server {row['kernel']['mp_capable']}/{row['api']['mp_capable']}/"
                  f"{row['socks']['mp_capable']} of {row['kernel']['completed']}/{row['api']['completed']}/"
                  f"{row['socks']['completed']} completed", flush=True)
        print(f"== rate: {a.conns} connections counted after {a.warmup}, {a.inflight} in flight, "
              f"{a.runs} runs, medians (client: connect, 64 B request, 64 B answer, server closes, close)")
        for case in ("kernel", "api", "socks"):
            rates = [x[case]["rate"] for x in rows if x[case]["rate"]]
            rats = [ratio(x[case]["rate"], x["kernel"]["rate"]) for x in rows
                    if x[case]["rate"] and x["kernel"]["rate"]]
            failed = sum(x[case]["failed"] for x in rows)
            kinds = {}
            for x in rows:
                for k, v in x[case]["failures"].items():
                    kinds[k] = kinds.get(k, 0) + v
            med = statistics.median(rates) if rates else None
            mr = statistics.median(rats) if rats else None
            print(f"   {case:6} {fmt(med):>8} connections/s   / kernel {fmt_ratio(mr):>5}   failed {failed}"
                  + (f" {json.dumps(kinds)}" if kinds else ""))
    finally:
        if srv is not None:
            try:
                os.killpg(srv.pid, signal.SIGTERM)  # ip netns exec execs Python: its pid leads the group
            except ProcessLookupError:
                pass
        subprocess.run([TESTBED, "down", "--prefix", a.prefix], stdout=subprocess.DEVNULL)


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["run", "server", "client"])
    ap.add_argument("--prefix", default="jrate")
    ap.add_argument("--jar")
    ap.add_argument("--conns", type=int, default=10_000, help="connections counted, per client and run")
    ap.add_argument("--warmup", type=int, help="completions before the window (default CONNS/2)")
    ap.add_argument("--inflight", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--procs", type=int, default=2, help="server processes, and Python client processes")
    ap.add_argument("--timeout", type=int, default=120, help="seconds for one client's run")
    ap.add_argument("--cases", default="kernel,api,socks", help="which clients to run (for a profile: api)")
    ap.add_argument("--mode", choices=["kernel", "socks"])
    ap.add_argument("--count", type=int)
    ap.add_argument("--port", type=int, help="the server port of a client")
    ap.add_argument("--ports", type=int, default=1, help="the server's number of ports from 9100")
    ap.add_argument("--out")
    a = ap.parse_args()
    a.cases = a.cases.split(",")
    if a.warmup is None:
        a.warmup = max(1000, a.conns // 2)
    if a.case == "server":
        raise_nofile()
        serve(PORT, a.ports, a.procs)
    elif a.case == "client":
        raise_nofile()
        client(a.mode, SERVER, a.port, a.count, a.inflight, a.out)
    else:
        if not a.jar:
            ap.error("run needs --jar")
        rate_case(a)


if __name__ == "__main__":
    main()
