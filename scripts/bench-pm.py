#!/usr/bin/env python3
"""Path-management benchmarks on a running testbed (scripts/bench.sh failover|reestablish builds it).

    bench-pm.py failover    --prefix P --jar JAR [--runs 3] [--mib 48] [--cut-after 1.5]
    bench-pm.py reestablish --prefix P --jar JAR [--runs 1] [--mib 48] [--reset-after 2] [--reset-for 10]

Both upload MIB MiB from the client namespace to a kernel MPTCP server (scripts/peer.py, which keeps
its side open until EOF and measures at the receiver), once with jmptcp (`jmptcp nc` with the stack
addresses 10.3.1.1 and 10.3.2.1) and once with the kernel's own MPTCP client (peer.py --mptcp from
10.1.1.1; the testbed's `subflow` endpoint adds 10.1.2.1), alternating, on the same bed.

failover: path 1 is blackholed CUT_AFTER s after the server's first byte, and stays dark. Per run:
the receiver's longest stall between two reads and the whole transfer time (first byte to EOF);
then the medians and the ratios jmptcp/kernel.

reestablish: path 1 answers with resets (testbed.sh path 1 reset) from RESET_AFTER s after the first
byte, for RESET_FOR s, then comes back. The kernel's sockets in the server namespace (ss -ti) are
sampled every 100 ms: does a new subflow from the client's path-1 address appear after the return,
when does it carry its first MB, and how many bytes does path 1 carry until the end.
"""
import argparse, hashlib, json, os, re, statistics, subprocess, sys, tempfile, time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from benchlib import PEER, TESTBED, Capture, log, ns, popen, sockets, wait_file, write_json  # noqa: E402



def path(a, k, mode):
    subprocess.run([TESTBED, "path", "--prefix", a.prefix, str(k), mode], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class PreparedPath:
    """A `testbed.sh path` action made ready in advance: the router's `nft -f -` is already running
    and gets its script at apply(), so the action takes effect within milliseconds of the chosen
    moment (spawning testbed.sh at that moment took up to a second on a loaded machine)."""

    def __init__(self, a, k, mode):
        self.script = subprocess.run([TESTBED, "path", "--prefix", a.prefix, "--print-nft", str(k), mode],
                                     check=True, capture_output=True).stdout
        self.nft = popen(ns(a, "rtr") + ["nft", "-f", "-"], stdin=subprocess.PIPE)

    def apply(self):
        """Applies it; returns how long nft took to parse and commit it, in seconds."""
        t = time.monotonic()
        self.nft.communicate(self.script, timeout=30)
        if self.nft.returncode != 0:
            raise SystemExit(f"bench: nft failed ({self.nft.returncode})")
        return time.monotonic() - t


class Run:
    """One upload: server, client, and what the scenario does on the receiver's clock."""

    def __init__(self, a, who, port, work, infile, inhash):
        self.a, self.who, self.port, self.work = a, who, port, work
        ready, self.first = f"{work}/ready-{port}", f"{work}/first-{port}"
        self.srv_out = open(f"{work}/srv-{port}.json", "w+")
        self.srv = popen(ns(a, "srv") + ["python3", PEER, "server", "--port", str(port), "--mptcp", "--hold",
                                         "--timing", "--ready", ready, "--first-byte", self.first],
                         stdout=self.srv_out, stderr=subprocess.DEVNULL)
        wait_file(ready, 20, [self.srv])
        self.cli_out = open(f"{work}/cli-{port}.out", "w+")
        self.cli_err = open(f"{work}/cli-{port}.err", "w+")
        if who == "jmptcp":
            cmd = ns(a, "cli") + ["java"] + a.java_opts + ["-jar", a.jar, "nc", "--tun", f"{a.prefix}t0", "--address",
                                                         "10.3.1.1", "--address", "10.3.2.1", "10.2.1.1", str(port)]
            self.expected = inhash
            self.cli = popen(cmd, stdin=open(infile, "rb"), stdout=self.cli_out, stderr=self.cli_err)
        else:
            cmd = ns(a, "cli") + ["python3", PEER, "client", "10.2.1.1", str(port), "--mptcp", "--bind", "10.1.1.1",
                                  "--send", str(a.bytes)] + (["--cc", a.kernel_cc] if a.kernel_cc else [])
            self.expected = None  # the client prints the hash of what it sent
            self.cli = popen(cmd, stdout=self.cli_out, stderr=self.cli_err)
        self.t_first = wait_file(self.first, 60, [self.srv, self.cli])

    def at(self, seconds_after_first):
        """Sleeps until that point of the receiver's clock (the scenario's time line)."""
        delay = self.t_first + seconds_after_first - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return time.monotonic() - self.t_first

    def alive(self):
        return self.cli.poll() is None

    def finish(self):
        rc = self.cli.wait(timeout=300)
        self.srv.wait(timeout=60)
        self.srv_out.seek(0)
        srv = json.loads(self.srv_out.read())
        if self.expected is None:
            self.cli_out.seek(0)
            self.expected = json.loads(self.cli_out.read())["sent_sha256"]
        intact = rc == 0 and srv["received"] == self.a.bytes and srv["received_sha256"] == self.expected
        if not intact:
            self.cli_err.seek(0)
            log(f"{self.who} run on port {self.port}: NOT INTACT (exit {rc}, received {srv['received']}); "
                f"client stderr tail:\n{self.cli_err.read()[-3000:]}")
        self.cli_err.seek(0)
        counters = re.search(r"tcp: (.*)$", self.cli_err.read(), re.M)
        return srv, intact, counters.group(1) if counters else ""


def failover(a, work, infile, inhash):
    results = {"jmptcp": [], "kernel": []}
    port = 7100
    # One run each with both paths up throughout, for reference: how much of the transfer time is
    # the client's own speed on this bed rather than the failover.
    base = {}
    for who in ("jmptcp", "kernel"):
        port += 1
        log(f"failover baseline: {who} (port {port}), no cut")
        r = Run(a, who, port, work, infile, inhash)
        srv, intact, _ = r.finish()
        if not intact:
            raise SystemExit("bench: a baseline run failed (see above)")
        base[who] = srv
        print(f"  {who:6} baseline (no cut): transfer {srv['transfer_s']:7.3f} s  longest stall "
              f"{srv['max_gap_s']:6.3f} s", flush=True)
    for i in range(a.runs):
        for who in ("jmptcp", "kernel"):
            port += 1
            log(f"failover run {i + 1}/{a.runs}: {who} (port {port}), path 1 blackholed {a.cut_after} s "
                "after the first byte")
            cap = Capture(a, port, work).start() if a.series_dir and i == 0 else None
            r = Run(a, who, port, work, infile, inhash)
            blackhole = PreparedPath(a, 1, "blackhole")
            cut = r.at(a.cut_after)
            was_alive = r.alive()
            took = blackhole.apply()
            srv, intact, counters = r.finish()
            if cap:
                cap.stop(r.t_first)
                cap.save(os.path.join(a.series_dir, f"failover-{who}.json"), who=who, cut_at_s=round(cut, 3),
                         transfer_s=srv["transfer_s"], mib=a.mib)
            path(a, 1, "up")
            results[who].append(srv)
            print(f"  {who:6} run {i + 1}: transfer {srv['transfer_s']:7.3f} s  longest stall "
                  f"{srv['max_gap_s']:6.3f} s (at {srv['max_gap_at_s']:.2f} s)  cut at {cut:.3f} s (+{took * 1000:.0f} ms)"
                  f"{'' if was_alive else ' (AFTER the end)'}  {'intact' if intact else 'NOT INTACT'}", flush=True)
            if who == "jmptcp" and counters:
                print(f"         stack: {counters}", flush=True)
            if not intact or not was_alive:
                raise SystemExit("bench: a run failed (see above)")
    print()
    print(f"== failover: {a.mib} MiB upload, path 1 blackholed {a.cut_after} s after the first byte; "
          f"medians of {a.runs}")
    med = {w: (statistics.median(r["max_gap_s"] for r in rs), statistics.median(r["transfer_s"] for r in rs))
           for w, rs in results.items()}
    for w in ("jmptcp", "kernel"):
        print(f"  {w:6}  longest stall {med[w][0]:7.3f} s   transfer {med[w][1]:7.3f} s "
              f"({a.bytes * 8 / med[w][1] / 1e6:5.1f} Mbit/s)")
    print(f"  jmptcp/kernel  stall {med['jmptcp'][0] / med['kernel'][0]:5.2f}   "
          f"transfer {med['jmptcp'][1] / med['kernel'][1]:5.2f}")
    print(f"  (no cut, one run each: jmptcp {base['jmptcp']['transfer_s']:.3f} s, kernel "
          f"{base['kernel']['transfer_s']:.3f} s; what the cut cost: jmptcp "
          f"{med['jmptcp'][1] - base['jmptcp']['transfer_s']:+.3f} s, kernel "
          f"{med['kernel'][1] - base['kernel']['transfer_s']:+.3f} s)")
    write_json(a.json, {"case": "failover", "mib": a.mib, "runs": a.runs, "cut_after_s": a.cut_after,
                        "kernel_cc": a.kernel_cc, "median": {w: {"stall_s": med[w][0], "transfer_s": med[w][1]}
                                                             for w in med},
                        "runs_detail": {w: [{k: r[k] for k in ("transfer_s", "max_gap_s", "max_gap_at_s")} for r in rs]
                                        for w, rs in results.items()},
                        "no_cut_transfer_s": {w: base[w]["transfer_s"] for w in base}})


def reestablish(a, work, infile, inhash):
    port = 7200
    for i in range(a.runs):
        for who in ("jmptcp", "kernel"):
            port += 1
            path1 = "10.3.1.1" if who == "jmptcp" else "10.1.1.1"
            log(f"reestablish run {i + 1}/{a.runs}: {who} (port {port}), path 1 reset from {a.reset_after} s "
                f"for {a.reset_for} s")
            r = Run(a, who, port, work, infile, inhash)
            reset, up = PreparedPath(a, 1, "reset"), PreparedPath(a, 1, "up")
            r.at(a.reset_after - 0.2)
            old = {k for k in sockets(a, port) if k[0] == path1}
            r.at(a.reset_after)
            reset.apply()
            r.at(a.reset_after + a.reset_for)
            was_alive = r.alive()
            up.apply()
            back = time.monotonic()
            first_seen = first_mb = None
            path1_after = {}
            while r.alive():
                for k, rx in sockets(a, port).items():
                    if k[0] == path1 and k not in old:
                        path1_after[k] = max(path1_after.get(k, 0), rx)
                        if first_seen is None:
                            first_seen = time.monotonic() - back
                total = sum(path1_after.values())
                if first_mb is None and total >= 1_000_000:
                    first_mb = time.monotonic() - back
                time.sleep(0.1)
            end = time.monotonic() - back
            srv, intact, counters = r.finish()
            total = sum(path1_after.values())
            print(f"  {who:6} run {i + 1}: {'intact' if intact else 'NOT INTACT'}, transfer {srv['transfer_s']:.3f} s, "
                  f"longest stall {srv['max_gap_s']:.3f} s; path 1 after its return ({end:.1f} s until the end): "
                  + (f"new subflow after {first_seen:.2f} s, first MB after "
                     + (f"{first_mb:.2f} s" if first_mb is not None else "never")
                     + f", {total / 1e6:.1f} MB in {len(path1_after)} subflow(s)"
                     if first_seen is not None else "NEVER used again")
                  + ("" if was_alive else " (transfer ended before the return)"), flush=True)
            if who == "jmptcp" and counters:
                print(f"         stack: {counters}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["failover", "reestablish"])
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--mib", type=int, default=48)
    ap.add_argument("--cut-after", type=float, default=1.5)
    ap.add_argument("--reset-after", type=float, default=2.0)
    ap.add_argument("--reset-for", type=float, default=10.0)
    ap.add_argument("--kernel-cc", help="congestion control of the kernel client's socket (default: the namespace's)")
    ap.add_argument("--json", help="failover: write the results here, machine-readable (scripts/bench-all.py)")
    ap.add_argument("--series-dir", help="failover: the server's bytes per subflow per 100 ms (tcpdump, benchlib.Capture) "
                                         "of the first cut run of each client, into failover-WHO.json here")
    a = ap.parse_args()
    a.runs = a.runs or (3 if a.case == "failover" else 1)
    a.bytes = a.mib << 20
    a.java_opts = os.environ.get("JMPTCP_JAVA_OPTS", "").split()
    with tempfile.TemporaryDirectory(prefix="jmptcp-bench-pm.") as work:
        infile = f"{work}/input"
        h = hashlib.sha256()
        with open(infile, "wb") as f:
            for _ in range(a.mib):
                b = os.urandom(1 << 20)
                h.update(b)
                f.write(b)
        (failover if a.case == "failover" else reestablish)(a, work, infile, h.hexdigest())


if __name__ == "__main__":
    sys.exit(main())
