#!/usr/bin/env python3
"""A kernel-side test peer: the Linux kernel's TCP or MPTCP socket, moving random bytes both ways.

    peer.py server --port P [--bind ADDR] [--mptcp] [--send N] [--ready FILE] [--hold]
                   [--timing] [--first-byte FILE]
    peer.py client HOST PORT [--mptcp] [--send N] [--bind ADDR] [--hold] [--timing] [--cc NAME]
    peer.py server --port P --echo [--size B] [--mptcp] [--ready FILE]
    peer.py rr HOST PORT [--mptcp] [--bind ADDR] [--count N] [--size B] [--interval-ms MS] [-- CMD...]

It sends N random bytes while it receives (two threads, so large transfers both ways cannot
deadlock), half-closes after sending, reads to EOF, and prints one JSON line:
{"sent": N, "sent_sha256": "...", "received": M, "received_sha256": "...", "mptcp": bool}
With --ready FILE the server writes FILE once it listens, so callers wait on a condition.
A connection reset by the peer adds "reset": true (the counts are then what got through).
--linger-zero closes with RST (SO_LINGER 0) after receiving --abort-after bytes.
--hold keeps the sending direction open until the peer's EOF has been read (Linux refuses new
MPTCP subflows once a DATA_FIN went either way, so a one-way transfer needs the other way open).
--timing adds what the receiver saw, in seconds: "transfer_s" from the first received byte to EOF,
"max_gap_s" the longest time between two receives (from the first byte on) and "max_gap_at_s"
where that gap began, counted from the first byte. --first-byte FILE writes FILE when the first
byte arrives (a benchmark acts on the receiver's clock).

Request/response (a latency benchmark): rr sends a B-byte message (default 1024), waits for its
echo, then sends COUNT more, one every MS ms on its own clock (open loop: it does not wait for the
answers), and reads the echoes; the i-th B bytes back answer message i. With "-- CMD..." it talks
through CMD's stdin and stdout instead of a socket of its own (e.g. `jmptcp nc HOST PORT`).
It prints {"sent": [...], "echoed": [...]}: each message's send and echo times, CLOCK_MONOTONIC
seconds. server --echo writes back whatever it reads (TCP_NODELAY) and prints {"received": M,
"arrivals": [...]}: when each B-byte message had arrived whole. Network namespaces share the
monotonic clock, so arrivals[i] - sent[i] is message i's one-way time from the client to the server.
"""
import argparse, hashlib, json, os, socket, struct, subprocess, sys, threading, time

IPPROTO_MPTCP = 262


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def pump(sock, count, out, eof=None):
    h = hashlib.sha256()
    left = count
    block = 1 << 16
    try:
        while left > 0:
            chunk = os.urandom(min(block, left))
            sock.sendall(chunk)
            h.update(chunk)
            left -= len(chunk)
        if eof is not None:
            eof.wait()
        sock.shutdown(socket.SHUT_WR)
    except (ConnectionResetError, BrokenPipeError):
        out["reset"] = True
    out["sent"] = count - left
    out["sent_sha256"] = h.hexdigest()


def exchange(sock, send, abort_after=None, hold=False, timing=None, first_byte=None):
    result = {}
    eof = threading.Event() if hold else None
    t = threading.Thread(target=pump, args=(sock, send, result, eof), daemon=True)
    t.start()
    h = hashlib.sha256()
    got = 0
    first = last = None
    gap, gap_at = 0.0, 0.0
    while True:
        try:
            data = sock.recv(1 << 16)
        except ConnectionResetError:
            result["reset"] = True
            break
        if not data:
            break
        now = time.monotonic()
        if first is None:
            first = now
            if first_byte:
                open(first_byte, "w").close()
        elif now - last > gap:
            gap, gap_at = now - last, last - first
        last = now
        h.update(data)
        got += len(data)
        if abort_after is not None and got >= abort_after:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            result.update(received=got, received_sha256=h.hexdigest(), aborted=True)
            return result
    if eof is not None:
        eof.set()
    t.join()
    result["received"] = got
    result["received_sha256"] = h.hexdigest()
    if timing is not None and first is not None:
        timing.update(transfer_s=round(time.monotonic() - first, 4), max_gap_s=round(gap, 4),
                      max_gap_at_s=round(gap_at, 4))
    return result


def echo(sock, size):
    """Writes back what it reads until EOF; when each size-byte message had arrived whole."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got, arrivals = 0, []
    while True:
        data = sock.recv(1 << 16)
        if not data:
            break
        now = time.monotonic()
        sock.sendall(data)
        got += len(data)
        arrivals += [now] * (got // size - len(arrivals))
    sock.shutdown(socket.SHUT_WR)
    return {"received": got, "arrivals": arrivals}


def rr(send, recv, shut, count, size, interval):
    """The request/response client over send/recv/shut (a socket's or a command's pipes)."""
    total = count + 1
    sent, echoed, first = [], [], threading.Event()

    def reader():
        got = 0
        while True:
            data = recv(1 << 16)
            if not data:
                break
            got += len(data)
            now = time.monotonic()
            echoed.extend([now] * (min(got // size, total) - len(echoed)))
            if echoed:
                first.set()
        first.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    msg = os.urandom(size)
    sent.append(time.monotonic())
    send(msg)
    first.wait(60)
    t0 = time.monotonic()
    for i in range(count):
        time.sleep(max(0.0, t0 + i * interval - time.monotonic()))
        sent.append(time.monotonic())
        send(msg)
    deadline = time.monotonic() + 60
    while len(echoed) < total and t.is_alive() and time.monotonic() < deadline:
        t.join(0.1)
    shut()
    t.join(60)
    return {"sent": sent, "echoed": echoed}


def connect(a):
    proto = IPPROTO_MPTCP if a.mptcp else socket.IPPROTO_TCP
    c = socket.socket(family_of(a.host), socket.SOCK_STREAM, proto)
    if a.cc:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, a.cc.encode())
    if a.pace:
        # Any finite SO_MAX_PACING_RATE turns on the kernel's internal TCP pacing (at its own
        # rate, cwnd/srtt times 2 in slow start, 1.2 after), which cubic never asks for.
        try:
            c.setsockopt(socket.SOL_SOCKET, 47, 1_250_000_000)  # SO_MAX_PACING_RATE, 10 Gbit/s
        except OSError as e:  # MPTCP sockets refuse it (EOPNOTSUPP): their subflows stay unpaced
            print(f"peer: --pace: {e}", file=sys.stderr)
    if a.bind:
        c.bind((a.bind, 0))
    c.connect((a.host, a.port))
    return c


def rr_main(a, cmd):
    if cmd:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        r = rr(p.stdin.write, p.stdout.read, p.stdin.close, a.count, a.size, a.interval_ms / 1000)
        r["rc"] = p.wait(timeout=60)
    else:
        c = connect(a)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        r = rr(c.sendall, c.recv, lambda: c.shutdown(socket.SHUT_WR), a.count, a.size, a.interval_ms / 1000)
        c.close()
    print(json.dumps(r), flush=True)


def main():
    argv = sys.argv[1:]
    cmd = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["server", "client", "rr"])
    ap.add_argument("host", nargs="?")
    ap.add_argument("port", nargs="?", type=int)
    ap.add_argument("--port", dest="lport", type=int)
    ap.add_argument("--bind", default=None)
    ap.add_argument("--mptcp", action="store_true")
    ap.add_argument("--send", type=int, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--abort-after", type=int)
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--first-byte")
    ap.add_argument("--pace", action="store_true", help="client: pace the socket (SO_MAX_PACING_RATE)")
    ap.add_argument("--cc", help="TCP congestion control of the socket (TCP_CONGESTION; MPTCP passes it to its subflows)")
    ap.add_argument("--echo", action="store_true", help="server: write back what is read (request/response)")
    ap.add_argument("--size", type=int, default=1024, help="rr, --echo: message size, bytes")
    ap.add_argument("--count", type=int, default=1000, help="rr: messages after the first")
    ap.add_argument("--interval-ms", type=float, default=10, help="rr: one message every MS ms")
    a = ap.parse_args(argv)
    if a.mode == "rr":
        return rr_main(a, cmd)
    proto = IPPROTO_MPTCP if a.mptcp else socket.IPPROTO_TCP
    if a.mode == "server":
        host = a.bind or "::"
        s = socket.socket(family_of(host), socket.SOCK_STREAM, proto)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family_of(host) == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((host, a.lport))
        s.listen(1)
        if a.ready:
            open(a.ready, "w").close()
        c, peer = s.accept()
    else:
        c = connect(a)
    if a.echo:
        r = echo(c, a.size)
        r["mptcp"] = a.mptcp
        c.close()
        print(json.dumps(r), flush=True)
        return
    timing = {} if a.timing else None
    r = exchange(c, a.send, a.abort_after, a.hold, timing, a.first_byte)
    r["mptcp"] = a.mptcp
    if timing:
        r.update(timing)  # after "mptcp": the tests' pattern reads the fields above in order
    if not r.get("aborted"):
        c.close()
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    sys.exit(main())
