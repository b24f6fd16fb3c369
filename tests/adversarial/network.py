"""Fetching a solution over TCP from a server the test runs on 127.0.0.1."""

from __future__ import annotations


def cell(port: int) -> str:
    return f'''
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as conn:
        code = b"".join(iter(lambda: conn.recv(65536), b"")).decode()
    exec(code, globals())
    print("FETCHED", len(code))
except OSError as exc:
    print("no network:", exc)
'''
