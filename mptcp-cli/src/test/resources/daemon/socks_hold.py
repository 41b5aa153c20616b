#!/usr/bin/env python3
"""One SOCKS5 CONNECT held open: sends 16 KiB random chunks and checks each echo, until STOPFILE
exists; then half-closes and reads to the end.
usage: socks_hold.py SOCKS_HOST SOCKS_PORT TARGET_IPV4 TARGET_PORT STOPFILE
Prints 'connected' once the SOCKS reply came, 'ok ROUNDS BYTES' and exits 0 when every echo
matched; prints the failure and exits 1 otherwise."""
import os
import socket
import struct
import sys
import time


def readexactly(s, n):
    b = bytearray()
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise RuntimeError(f"closed after {len(b)} of {n} bytes")
        b += chunk
    return bytes(b)


def main():
    sh, sp, target, tp, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    s = socket.create_connection((sh, sp), timeout=30)
    s.sendall(b"\x05\x01\x00" + b"\x05\x01\x00\x01" + socket.inet_aton(target) + struct.pack(">H", tp))
    method = readexactly(s, 2)
    reply = readexactly(s, 10)
    if method != b"\x05\x00" or reply[1] != 0:
        raise RuntimeError(f"SOCKS reply {method.hex()} {reply.hex()}")
    print("connected", flush=True)
    rounds = 0
    total = 0
    while not os.path.exists(stop):
        payload = os.urandom(16384)
        s.sendall(payload)
        if readexactly(s, len(payload)) != payload:
            raise RuntimeError(f"round {rounds}: the echo differs")
        rounds += 1
        total += len(payload)
        time.sleep(0.02)  # pacing: a steady trickle, not a bulk transfer
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        raise RuntimeError("data after the echo")
    s.close()
    print(f"ok {rounds} {total}", flush=True)


try:
    main()
except Exception as e:  # noqa: BLE001 - any failure is the test's answer
    print(f"failed: {e}", flush=True)
    sys.exit(1)
