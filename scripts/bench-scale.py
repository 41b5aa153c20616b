#!/usr/bin/env python3
"""Issue 12's connection scale (scripts/bench.sh scale): N concurrent idle MPTCP connections through
the jmptcp daemon's SOCKS port, each to a kernel MPTCP server over two paths, in a heap of HEAP.
Each connection moves one byte each way (so the client is fully established and joins), then idles.
Reports the daemon's heap after GC with no connection and with N, per connection; run once with
--max-subflows 2 (each connection joins its second path) and once with 1, the difference is the cost
of a subflow. The kernel's own cost per MPTCP connection (slab) is printed beside it.

    bench-scale.py idle --prefix P --jar JAR [--conns 10000] [--heap 512m] [--histogram N] [--heap-dump PREFIX]

JMPTCP_JAVA_OPTS in the environment is passed to the daemon's JVM (as scripts/jmptcp does).

Needs root (namespaces, TUN). The client and the server are Python asyncio programs in this file.
"""
import argparse, asyncio, json, os, resource, socket, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import TESTBED, log, ns, popen, stop, write_json  # noqa: E402

PORT = 9000


def raise_nofile():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = 200_000 if hard == resource.RLIM_INFINITY else min(200_000, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# ---- the two Python ends, run as subcommands in their namespaces ---------------------------------

async def serve(port):
    conns = []

    async def hold(reader, writer):
        conns.append(writer)
        if await reader.read(1):  # one byte each way: the client is then fully established and joins
            writer.write(b"y")
        await reader.read()  # until the client closes
        writer.close()

    srv = await asyncio.start_server(hold, "0.0.0.0", port, backlog=4096)
    print("listening", flush=True)
    async with srv:
        await srv.serve_forever()


async def clients(n, dst, port, socks_port):
    held = []
    failed = 0
    sem = asyncio.Semaphore(256)
    ip = socket.inet_aton(dst)

    async def one():
        nonlocal failed
        async with sem:
            for attempt in range(5):
                try:
                    r, w = await asyncio.open_connection("127.0.0.1", socks_port)
                    w.write(b"\x05\x01\x00")
                    if await r.readexactly(2) != b"\x05\x00":
                        raise OSError("no SOCKS5 method")
                    w.write(b"\x05\x01\x00\x01" + ip + port.to_bytes(2, "big"))
                    rep = await r.readexactly(10)
                    if rep[1] != 0:
                        raise OSError(f"CONNECT refused: {rep[1]}")
                    w.write(b"x")
                    if await r.readexactly(1) != b"y":
                        raise OSError("no answer")
                    held.append(w)
                    return
                except (OSError, asyncio.IncompleteReadError):
                    await asyncio.sleep(0.2 * (attempt + 1))
            failed += 1

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(n)))
    print(json.dumps({"connected": len(held), "failed": failed, "seconds": round(time.monotonic() - t0, 1)}),
          flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # hold until stdin closes
    for w in held:
        w.close()


# ---- the driver ----------------------------------------------------------------------------------

def jcmd(pid, *args):
    return subprocess.run(["jcmd", str(pid), *args], capture_output=True, text=True, check=True).stdout


def heap_after_gc_kib(pid):
    jcmd(pid, "GC.run")
    jcmd(pid, "GC.run")
    for line in jcmd(pid, "GC.heap_info").splitlines():
        if " used " in line:
            return int(line.split(" used ")[1].split("K")[0])
    raise SystemExit("bench: no heap figure from jcmd")


def status(a, work):
    out = subprocess.run(["java", "-jar", a.jar, "status", "--control", f"{work}/cli.sock", "--json"],
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout) if out.returncode == 0 else None


def kernel_mptcp_slab_kib(a):
    out = subprocess.run(ns(a, "srv") + ["cat", "/proc/slabinfo"], capture_output=True, text=True).stdout
    kib = 0
    for line in out.splitlines():
        f = line.split()
        if f and f[0] in ("MPTCP", "MPTCPv6", "request_sock_subflow_v4", "TCP"):
            kib += int(f[1]) * int(f[3]) // 1024
    return kib


def one_run(a, work, subflows):
    log(f"daemon, --max-subflows {subflows}, -Xmx{a.heap}")
    opts = os.environ.get("JMPTCP_JAVA_OPTS", "").split()  # e.g. a JFR recording, as scripts/jmptcp passes it
    d = popen(ns(a, "cli") + ["java", f"-Xmx{a.heap}", *opts, "-jar", a.jar, "daemon", "--tun", f"{a.prefix}c0",
                              "--address", "10.3.1.1", "--address", "10.3.2.1", "--socks", "127.0.0.1:1080",
                              "--control", f"{work}/cli.sock", "--max-clients", str(a.conns + 1000),
                              "--max-connections", str(a.conns + 1000), "--max-subflows", str(subflows)],
              stdout=open(f"{work}/daemon-{subflows}.log", "w"), stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
    deadline = time.monotonic() + 60
    while status(a, work) is None:
        if time.monotonic() > deadline or d.poll() is not None:
            raise SystemExit("bench: the daemon did not come up")
        time.sleep(0.5)
    pid = d.pid  # ip netns exec execs the JVM
    heap0 = heap_after_gc_kib(pid)
    slab0 = kernel_mptcp_slab_kib(a)
    c = popen(ns(a, "cli") + [sys.executable, os.path.abspath(__file__), "client", "--conns", str(a.conns)],
              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, preexec_fn=raise_nofile)
    got = json.loads(c.stdout.readline())
    log(f"clients: {got}")
    # every connection fully set up: the wanted number of subflows each
    want = a.conns * subflows
    deadline = time.monotonic() + 120
    while True:
        st = status(a, work)
        subs = sum(len(x.get("subflows", [])) for x in st["connections"]) if st else -1
        conns = len(st["connections"]) if st else -1
        if subs >= want or time.monotonic() > deadline:
            break
        time.sleep(2)
    heap1 = heap_after_gc_kib(pid)
    slab1 = kernel_mptcp_slab_kib(a)
    if a.histogram:
        top = jcmd(pid, "GC.class_histogram").splitlines()[:a.histogram + 3]
        print(f"== heap histogram, --max-subflows {subflows}:\n" + "\n".join(top), flush=True)
    if a.heap_dump:
        path = os.path.abspath(f"{a.heap_dump}-{subflows}.hprof")
        jcmd(pid, "GC.heap_dump", "-overwrite", path)  # live objects only (a full GC first)
        log(f"heap dump: {path} (scripts/heap-owners.py {path})")
    threads = sum(1 for line in jcmd(pid, "Thread.print").splitlines() if line.startswith('"'))
    rss = int([x for x in open(f"/proc/{pid}/status") if x.startswith("VmRSS")][0].split()[1])
    r = {"subflows_wanted": subflows, "connections": conns, "subflows": subs, "connected": got["connected"],
         "failed": got["failed"], "connect_seconds": got["seconds"], "heap0_kib": heap0, "heap_kib": heap1,
         "bytes_per_connection": round((heap1 - heap0) * 1024 / max(1, conns)), "threads": threads,
         "rss_kib": rss, "kernel_slab_kib_per_connection": round((slab1 - slab0) / max(1, conns), 2)}
    log(json.dumps(r))
    c.stdin.close()
    stop(c)
    stop(d)
    return r


def idle(a):
    work = subprocess.run(["mktemp", "-d", "/tmp/jmptcp-scale.XXXXXX"], capture_output=True, text=True).stdout.strip()
    subprocess.run([TESTBED, "up", "--prefix", a.prefix, "--paths", "2"], check=True, stdout=subprocess.DEVNULL)
    try:
        srv = popen(ns(a, "srv") + ["mptcpize", "run", sys.executable, os.path.abspath(__file__), "server"],
                    stdout=subprocess.PIPE, text=True, preexec_fn=raise_nofile)
        if srv.stdout.readline().strip() != "listening":
            raise SystemExit("bench: the server did not start")
        runs = [one_run(a, work, 2), one_run(a, work, 1)]
        two, one = runs
        per_subflow = round((two["heap_kib"] - one["heap_kib"]) * 1024 / max(1, two["connections"]))
        print(f"== scale: {a.conns} idle MPTCP connections through SOCKS, daemon -Xmx{a.heap}")
        for r in runs:
            print(f"   --max-subflows {r['subflows_wanted']}: {r['connected']} connected ({r['failed']} failed) in "
                  f"{r['connect_seconds']} s, daemon holds {r['connections']} connections / {r['subflows']} subflows; "
                  f"heap after GC {r['heap0_kib'] // 1024} -> {r['heap_kib'] // 1024} MiB: "
                  f"{r['bytes_per_connection']} bytes per connection; {r['threads']} threads, RSS "
                  f"{r['rss_kib'] // 1024} MiB; kernel server slab {r['kernel_slab_kib_per_connection']} KiB "
                  f"per connection")
        print(f"   a second subflow costs {per_subflow} bytes of heap per connection")
        write_json(a.json, {"case": "scale", "conns": a.conns, "heap": a.heap, "runs": runs,
                            "bytes_per_extra_subflow": per_subflow})
    finally:
        subprocess.run([TESTBED, "down", "--prefix", a.prefix], stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["idle", "server", "client"])
    ap.add_argument("--prefix", default="jscl")
    ap.add_argument("--jar")
    ap.add_argument("--conns", type=int, default=10_000)
    ap.add_argument("--heap", default="512m")
    ap.add_argument("--histogram", type=int, default=0, help="print the N largest classes of the held heap")
    ap.add_argument("--heap-dump", metavar="PREFIX",
                    help="also write the held heap to PREFIX-<subflows>.hprof (read it with scripts/heap-owners.py)")
    ap.add_argument("--json", help="idle: write the results here, machine-readable (scripts/bench-all.py)")
    a = ap.parse_args()
    if a.case == "server":
        asyncio.run(serve(PORT))
    elif a.case == "client":
        asyncio.run(clients(a.conns, "10.2.1.1", PORT, 1080))
    else:
        if not a.jar:
            ap.error("idle needs --jar")
        idle(a)


if __name__ == "__main__":
    main()
