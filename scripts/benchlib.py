"""What scripts/bench-pm.py and scripts/bench-cc.py share: where things are, the processes they
start (all stopped at exit, so a failed run leaves none), namespaces, and the server's sockets."""
import atexit, os, re, subprocess, sys, time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER = os.path.join(REPO, "scripts", "peer.py")
TESTBED = os.path.join(REPO, "scripts", "testbed.sh")
SS = re.compile(r"^ESTAB\s+\d+\s+\d+\s+\[?(?:::ffff:)?([0-9.]+)\]?:(\d+)\s+\[?(?:::ffff:)?([0-9.]+)\]?:(\d+)")

STARTED = []  # every process started, stopped at exit if still running


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@atexit.register
def _stop_all():
    for p in STARTED:
        stop(p)


def popen(*args, **kw):
    p = subprocess.Popen(*args, **kw)
    STARTED.append(p)
    return p


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def ns(a, side):
    return ["ip", "netns", "exec", f"{a.prefix}-{side}"]


def wait_file(f, seconds, procs, poll=0.002):
    """Waits for f to appear (the receiver's first-byte mark); fails if a process exits first."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(f):
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"bench: a process exited early ({p.args[4:]!r}, rc {p.returncode})")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {f} did not appear within {seconds} s")
        time.sleep(poll)
    return time.monotonic()


def sockets(a, port):
    """(peer address, peer port) -> bytes_received of the server's established sockets on port."""
    out = subprocess.run(ns(a, "srv") + ["ss", "-tinH", f"( sport = :{port} )"], capture_output=True,
                         text=True).stdout.split("\n")
    socks = {}
    for i, line in enumerate(out):
        m = SS.match(line)
        if m:
            info = out[i + 1] if i + 1 < len(out) else ""
            r = re.search(r"\bbytes_received:(\d+)", info)
            socks[(m.group(3), int(m.group(4)))] = int(r.group(1)) if r else 0
    return socks


class Sampler:
    """Samples the server's sockets on port (sockets() above: bytes_received per client 4-tuple, which
    for an MPTCP server is per subflow) every interval s on a thread, from start() to stop(); times are
    seconds after t0 (the receiver's first byte). The cheapest honest source of per-subflow throughput
    over time, for jmptcp and for the kernel's client alike: the server is the kernel either way.
    A subflow's bytes after the last sample before it closed are not seen (at most one interval's)."""

    def __init__(self, a, port, t0, interval=0.1):
        import threading
        self.a, self.port, self.t0, self.interval = a, port, t0, interval
        self.samples = []  # [seconds after t0, {"addr:port": bytes_received}, seconds the call took]
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        k = 0
        while not self._halt.is_set():
            t = time.monotonic()
            socks = sockets(self.a, self.port)
            # stamped when `ss` has returned: its dump is at the end of its run, while the start of the
            # run (ip netns exec, exec, loading) takes 5 to 50 ms on a loaded machine; the time the call
            # took is kept as the sample's third field
            done = time.monotonic()
            self.samples.append([round(done - self.t0, 4), {f"{h}:{p}": b for (h, p), b in socks.items()},
                                 round(done - t, 4)])
            k += 1
            # the next sample on the fixed grid (a slow `ss` skips grid points rather than drifting)
            nxt = self.t0 + k * self.interval
            while nxt <= time.monotonic():
                k += 1
                nxt = self.t0 + k * self.interval
            self._halt.wait(nxt - time.monotonic())

    def stop(self):
        self._halt.set()
        self._thread.join()
        return self.samples

    def save(self, path, **meta):
        import json
        with open(path, "w") as f:
            json.dump(dict(meta, port=self.port, interval_s=self.interval, samples=self.samples), f)


def write_json(path, obj):
    """--json FILE of the bench scripts: the case's results, machine-readable (scripts/bench-all.py)."""
    import json
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
