#!/usr/bin/env python3
"""Kernel TCP echo server for daemon tests: echoes, half-closes after the client's FIN.
usage: echo_server.py HOST PORT"""
import asyncio
import sys


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.write_eof()
        await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, sys.argv[1], int(sys.argv[2]), backlog=4096)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
