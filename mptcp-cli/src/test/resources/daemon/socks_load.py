#!/usr/bin/env python3
"""N concurrent SOCKS5 CONNECTs, each sending SIZE random bytes, half-closing, and checking the echo.
usage: socks_load.py SOCKS_HOST SOCKS_PORT TARGET_IPV4 TARGET_PORT N SIZE
Prints 'ok N' and exits 0 when every echo matched; prints each failure and exits 1 otherwise."""
import asyncio
import hashlib
import os
import socket
import struct
import sys


async def one(i, sh, sp, target, tp, size):
    payload = os.urandom(size)
    reader, writer = await asyncio.open_connection(sh, sp)
    writer.write(b"\x05\x01\x00" + b"\x05\x01\x00\x01" + socket.inet_aton(target) + struct.pack(">H", tp))
    await writer.drain()
    method = await reader.readexactly(2)
    reply = await reader.readexactly(10)
    if method != b"\x05\x00" or reply[1] != 0:
        raise RuntimeError(f"#{i}: SOCKS reply {method.hex()} {reply.hex()}")

    async def send():
        for off in range(0, size, 16384):
            writer.write(payload[off:off + 16384])
            await writer.drain()
        writer.write_eof()

    sender = asyncio.ensure_future(send())
    h = hashlib.sha256()
    got = 0
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            break
        h.update(chunk)
        got += len(chunk)
    await sender
    writer.close()
    if h.digest() != hashlib.sha256(payload).digest():
        raise RuntimeError(f"#{i}: echo differs ({got} of {size} bytes)")


async def main():
    sh, sp, target, tp, n, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    results = await asyncio.gather(*(one(i, sh, sp, target, tp, size) for i in range(n)), return_exceptions=True)
    bad = [r for r in results if isinstance(r, BaseException)]
    for b in bad[:20]:
        print("FAIL", repr(b))
    print(f"ok {n - len(bad)} of {n}", flush=True)
    sys.exit(1 if bad else 0)

asyncio.run(main())
