#!/usr/bin/env python3
"""A kernel-side test peer: the Linux kernel's TCP or MPTCP socket, moving random bytes both ways.

    peer.py server --port P [--bind ADDR] [--mptcp] [--send N] [--ready FILE]
    peer.py client HOST PORT [--mptcp] [--send N] [--bind ADDR]

It sends N random bytes while it receives (two threads, so large transfers both ways cannot
deadlock), half-closes after sending, reads to EOF, and prints one JSON line:
{"sent": N, "sent_sha256": "...", "received": M, "received_sha256": "...", "mptcp": bool}
With --ready FILE the server writes FILE once it listens, so callers wait on a condition.
A connection reset by the peer adds "reset": true (the counts are then what got through).
--linger-zero closes with RST (SO_LINGER 0) after receiving --abort-after bytes.
"""
import argparse, hashlib, json, os, socket, struct, sys, threading

IPPROTO_MPTCP = 262


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def pump(sock, count, out):
    h = hashlib.sha256()
    left = count
    block = 1 << 16
    try:
        while left > 0:
            chunk = os.urandom(min(block, left))
            sock.sendall(chunk)
            h.update(chunk)
            left -= len(chunk)
        sock.shutdown(socket.SHUT_WR)
    except (ConnectionResetError, BrokenPipeError):
        out["reset"] = True
    out["sent"] = count - left
    out["sent_sha256"] = h.hexdigest()


def exchange(sock, send, abort_after=None):
    result = {}
    t = threading.Thread(target=pump, args=(sock, send, result), daemon=True)
    t.start()
    h = hashlib.sha256()
    got = 0
    while True:
        try:
            data = sock.recv(1 << 16)
        except ConnectionResetError:
            result["reset"] = True
            break
        if not data:
            break
        h.update(data)
        got += len(data)
        if abort_after is not None and got >= abort_after:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            result.update(received=got, received_sha256=h.hexdigest(), aborted=True)
            return result
    t.join()
    result["received"] = got
    result["received_sha256"] = h.hexdigest()
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["server", "client"])
    ap.add_argument("host", nargs="?")
    ap.add_argument("port", nargs="?", type=int)
    ap.add_argument("--port", dest="lport", type=int)
    ap.add_argument("--bind", default=None)
    ap.add_argument("--mptcp", action="store_true")
    ap.add_argument("--send", type=int, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--abort-after", type=int)
    a = ap.parse_args()
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
        c = socket.socket(family_of(a.host), socket.SOCK_STREAM, proto)
        if a.bind:
            c.bind((a.bind, 0))
        c.connect((a.host, a.port))
    r = exchange(c, a.send, a.abort_after)
    r["mptcp"] = a.mptcp
    if not r.get("aborted"):
        c.close()
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    sys.exit(main())
