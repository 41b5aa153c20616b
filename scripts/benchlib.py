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
