#!/usr/bin/env python3
"""The benches' one-connection server (scripts/bench.sh, scripts/bench-mptcp.sh).

    bench-sink.py PORT [SEND=0] [READY_FILE] [PROTO=0]

Listens on PORT (PROTO 262 for a kernel MPTCP socket), creates READY_FILE once listening, takes one
connection, then receives to EOF, or with SEND > 0 sends SEND zero bytes and half-closes. Times the
transfer from its first byte to EOF (so process start-up is not counted) and prints bytes, Gbit/s and
the whole machine's busy CPU seconds over the same interval (every CPU's user, system, irq and softirq
time from /proc/stat: the sender, the stack, the kernel's forwarding and this sink alike).
"""
import os, socket, sys, time


def busy_seconds():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


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
    t0, c0 = time.perf_counter(), busy_seconds()
    while left > 0:
        left -= c.send(buf[:min(left, len(buf))])
    c.shutdown(socket.SHUT_WR)
    while c.recv(1 << 16):
        pass
    t1, c1 = time.perf_counter(), busy_seconds()
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
            t0, c0 = time.perf_counter(), busy_seconds()
        got += n
    t1, c1 = time.perf_counter(), busy_seconds()
print(f"{got} {got * 8 / (t1 - t0) / 1e9:.3f} {c1 - c0:.2f}")
