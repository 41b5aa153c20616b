#!/usr/bin/env python3
"""The benches' one-connection server (scripts/bench.sh, scripts/bench-mptcp.sh).

    bench-sink.py PORT [SEND=0] [READY_FILE] [PROTO=0]

Listens on PORT (PROTO 262 for a kernel MPTCP socket), creates READY_FILE once listening, takes one
connection, then receives to EOF, or with SEND > 0 sends SEND zero bytes and half-closes. Times the
transfer from its first byte to EOF (so process start-up is not counted) and prints bytes and Gbit/s.
"""
import socket, sys, time

port = int(sys.argv[1])
send = int(sys.argv[2]) if len(sys.argv) > 2 else 0
ready = sys.argv[3] if len(sys.argv) > 3 else "/dev/null"
proto = int(sys.argv[4]) if len(sys.argv) > 4 else 0
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(1)
open(ready, "w").close()
c, _ = s.accept()
if send:
    buf = bytes(1 << 20)
    left = send
    t0 = time.perf_counter()
    while left > 0:
        left -= c.send(buf[:min(left, len(buf))])
    c.shutdown(socket.SHUT_WR)
    while c.recv(1 << 16):
        pass
    t1 = time.perf_counter()
    got = send
else:
    buf = bytearray(1 << 20)
    got = 0
    t0 = None
    while True:
        n = c.recv_into(buf)
        if not n:
            break
        if t0 is None:
            t0 = time.perf_counter()
        got += n
    t1 = time.perf_counter()
print(f"{got} {got * 8 / (t1 - t0) / 1e9:.3f}")
