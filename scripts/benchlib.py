"""What scripts/bench-pm.py and scripts/bench-cc.py share: where things are, the processes they
start (all stopped at exit, so a failed run leaves none), namespaces, and the server's sockets."""
import atexit, os, re, signal, struct, subprocess, sys, time

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


class Capture:
    """Per-subflow throughput over time at the receiver, for jmptcp and the kernel's client alike (the
    server is the kernel either way): tcpdump in the server namespace records the headers of what
    arrives for port (start() before the client connects, stop() after the end), then the capture is
    reduced to the new TCP bytes (the highest sequence number seen, so a retransmission counts once)
    per client 4-tuple, that is per subflow, per bin of `interval` s. Times are the kernel's capture
    timestamps, put on this process's monotonic clock: seconds after t0 (the receiver's first byte,
    given to stop()). Sampling `ss` instead read its counters at an unknown point of a call that took
    up to 400 ms under load."""

    def __init__(self, a, port, work, interval=0.1):
        self.a, self.port, self.interval = a, port, interval
        self.file, self.err = f"{work}/capture-{port}.pcap", open(f"{work}/capture-{port}.err", "w+")
        self.samples, self.dropped = [], None

    def start(self):
        self.p = popen(ns(self.a, "srv") + ["tcpdump", "-i", "any", "-s", "128", "-n", "-U", "--immediate-mode", "-w", self.file,
                                            f"tcp dst port {self.port}"], stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 20
        while True:  # tcpdump says "listening on" once its filter is in place
            self.err.seek(0)
            if "listening on" in self.err.read():
                return self
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: tcpdump did not start (see {self.err.name})")
            time.sleep(0.01)

    def stop(self, t0):
        self.p.send_signal(signal.SIGINT)  # it writes out its buffer and its counts
        self.p.wait(timeout=30)
        self.err.seek(0)
        m = re.search(r"(\d+) packets? dropped by kernel", self.err.read())
        self.dropped = int(m.group(1)) if m else None
        self.samples = self._reduce(t0 + time.time() - time.monotonic())
        os.remove(self.file)
        return self.samples

    def _reduce(self, t0_wall):
        with open(self.file, "rb") as f:
            data = f.read()
        magic = struct.unpack("<I", data[:4])[0]
        end, scale = {0xa1b2c3d4: ("<", 1e-6), 0xa1b23c4d: ("<", 1e-9)}.get(magic, (None, None))
        if end is None:
            raise SystemExit(f"bench: {self.file}: not a little-endian pcap")
        link = struct.unpack("<I", data[20:24])[0]
        l2 = {1: 14, 113: 16, 276: 20}.get(link)  # Ethernet, Linux cooked v1, v2 (-i any)
        if l2 is None:
            raise SystemExit(f"bench: {self.file}: link type {link} not handled")
        hi, base, bins, off = {}, {}, {}, 24
        while off + 16 <= len(data):
            sec, frac, caplen, _ = struct.unpack_from("<IIII", data, off)
            pkt = data[off + 16:off + 16 + caplen]
            off += 16 + caplen
            ip = pkt[l2:]
            if len(ip) < 20 or ip[0] >> 4 != 4:
                continue
            ihl, total = (ip[0] & 15) * 4, struct.unpack_from(">H", ip, 2)[0]
            tcp = ip[ihl:]
            if len(tcp) < 16:
                continue
            sport, seq, doff = struct.unpack_from(">H", tcp, 0)[0], struct.unpack_from(">I", tcp, 4)[0], tcp[12] >> 4
            payload = total - ihl - doff * 4
            key = f"{'.'.join(str(b) for b in ip[12:16])}:{sport}"
            if key not in base:
                base[key], hi[key] = seq, 0
            if payload <= 0:
                continue
            top = (seq - base[key]) % (1 << 32) + payload  # bytes since the first seen sequence number
            if top > hi[key] and top < (1 << 31):
                b = int((sec + frac * scale - t0_wall) // self.interval)
                bins.setdefault(b, {})[key] = bins.get(b, {}).get(key, 0) + top - hi[key]
                hi[key] = top
        first = min(bins) if bins else 0
        samples, total = [[round(first * self.interval, 4), {k: 0 for k in hi}]], {}
        for b in range(min(bins), max(bins) + 1) if bins else ():
            for k, v in bins.get(b, {}).items():
                total[k] = total.get(k, 0) + v
            samples.append([round((b + 1) * self.interval, 4), dict(total)])
        return samples

    def save(self, path, **meta):
        import json
        with open(path, "w") as f:
            seen = sum(self.samples[-1][1].values()) if self.samples else 0
            json.dump(dict(meta, port=self.port, interval_s=self.interval, kernel_dropped=self.dropped, seen_bytes=seen,
                           source="tcpdump at the server", samples=self.samples), f)


def write_json(path, obj):
    """--json FILE of the bench scripts: the case's results, machine-readable (scripts/bench-all.py)."""
    import json
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
