#!/usr/bin/env python3
"""Malformed HTTP and slow clients against a live `canteen serve`, over raw sockets.

What a router test cannot send: broken chunked framing, unknown transfer codings, a garbage
request line, HEAD on the wire, clients that send their head a byte at a time, and many
connections that never send anything. Each case prints `ok` or `FAIL` with what came back; the
script exits 1 if any failed. Run by `make test` against the test cluster (a fresh database,
dropped afterwards). SPEC §3: malformed HTTP is 400, never 5xx; no input a client can send makes
the server hold a connection forever.

The server runs with `--idle-timeout 2`, so the timeout cases end quickly; the waits below are
bounds on how long the script waits for the close (it stops by itself), not timing claims.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

import chaos

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CANTEEN = os.environ.get("CANTEEN_BIN", os.path.join(ROOT, ".build/debug/canteen"))
IDLE_TIMEOUT = 2
failures = []


def sh(*args, env=None):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"hostile-http: {' '.join(args)} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


def check(name, condition, seen):
    print(f"  {'ok  ' if condition else 'FAIL'} {name}" + ("" if condition else f": got {seen!r}"))
    if not condition:
        failures.append(name)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def exchange(port, raw, read_for=5.0):
    """Sends raw bytes and reads until the server closes or `read_for` seconds pass."""
    s = connect(port)
    try:
        s.sendall(raw)
        data = b""
        deadline = time.monotonic() + read_for
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data
    finally:
        s.close()


def status_of(response):
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def closed_within(s, seconds):
    """True when the server closes `s` (EOF or reset) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def chunked_post(path, token, chunk_header, coding="chunked"):
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: {coding}\r\n\r\n").encode() + chunk_header


def main():
    base = chaos.database_url(sh("scripts/db.sh", "start", "--test"))
    database = f"hostile_http_{os.getpid()}"
    sh("psql", base, "-qXc", f"CREATE DATABASE {database}")
    env = dict(os.environ, DATABASE_URL=f"{base} dbname={database}")
    log = tempfile.NamedTemporaryFile(prefix="canteen-hostile-http.", suffix=".log", delete=False)
    server = None
    try:
        sh(CANTEEN, "db", "migrate", env=env)
        token = sh(CANTEEN, "token", "create", "--name", "hostile", "--role", "admin", env=env).strip().splitlines()[-1]
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = subprocess.Popen([CANTEEN, "serve", "--host", "127.0.0.1", "--port", str(port), "--idle-timeout", str(IDLE_TIMEOUT)],
                                  cwd=ROOT, env=env, stdout=log, stderr=log)
        for _ in range(200):
            try:
                if status_of(exchange(port, b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2)) == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("hostile-http: the server did not become ready")

        print("hostile-http: malformed framing is 400, never 5xx")
        for name, raw in [
            ("a chunk size that is not hex", chunked_post("/v1/sites", token, b"zz\r\n{}\r\n0\r\n\r\n")),
            ("a chunk size past 2^64", chunked_post("/v1/sites", token, b"ffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n")),
            ("a chunk longer than announced", chunked_post("/v1/sites", token, b"2\r\n{\"code\": 1}\r\n0\r\n\r\n")),
            ("Transfer-Encoding: xchunked", chunked_post("/v1/sites", token, b"2\r\n{}\r\n0\r\n\r\n", coding="xchunked")),
            ("Transfer-Encoding and Content-Length together",
             (f"POST /v1/sites HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 2\r\n"
              "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode()),
            ("a garbage request line", b"GARBAGE\r\n\r\n"),
            ("a header without a colon", b"GET /health HTTP/1.1\r\nHost x\r\n\r\n"),
        ]:
            response = exchange(port, raw)
            status = status_of(response)
            # No answer at all (the connection closed) is acceptable for a request no head could be read
            # from; an answer must be 400.
            check(name, status == 400 or (status is None and response == b"" and b"POST" not in raw[:4]), response[:120])

        print("hostile-http: HEAD answers like GET, without a body")
        response = exchange(port, b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first, _, rest = response.partition(b"\r\n\r\n")
        check("HEAD /health is 200", status_of(first) == 200, first[:80])
        check("no body follows the HEAD answer", rest.startswith(b"HTTP/1.1 200"), rest[:80])
        response = exchange(port, f"HEAD /v1/sites HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode())
        head, _, body = response.partition(b"\r\n\r\n")
        check("HEAD /v1/sites is 200 with no body", status_of(head) == 200 and body == b"", response[:120])

        print(f"hostile-http: slow and idle clients are closed (server idle timeout {IDLE_TIMEOUT} s)")
        slow = connect(port)
        slow.sendall(b"GET /health HTTP/1.1\r\n")
        started = time.monotonic()
        dripped = True
        while time.monotonic() - started < 4 * IDLE_TIMEOUT + 10:
            try:
                slow.sendall(b"X")  # one header byte a second, never a whole head
            except (BrokenPipeError, ConnectionResetError):
                break
            if closed_within(slow, 1.0):
                break
        else:
            dripped = False
        check("a client sending its head a byte a second is closed", dripped, "still open")
        slow.close()

        idle = connect(port)
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = idle.recv(65536)
        check("a keep-alive connection answers", status_of(answer) == 200, answer[:80])
        check("an idle keep-alive connection is closed", closed_within(idle, 4 * IDLE_TIMEOUT + 10), "still open")
        idle.close()

        crowd = []
        for i in range(300):
            s = connect(port)
            if i % 3 == 0:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # 100 slow senders, 200 silent ones
            crowd.append(s)
        served = status_of(exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5))
        check("while 300 connections hang, a real request is answered", served == 200, served)
        deadline = time.monotonic() + 4 * IDLE_TIMEOUT + 20
        open_ones = list(crowd)
        while open_ones and time.monotonic() < deadline:
            open_ones = [s for s in open_ones if not closed_within(s, 0.05)]
        check("all 300 hanging connections are closed", not open_ones, f"{len(open_ones)} still open")
        for s in crowd:
            s.close()

        server.terminate()
        server.wait(timeout=20)
        server = None
        with open(log.name, "rb") as f:
            text = f.read()
        check("no request was answered 5xx", b" 500 " not in text and b" 503 " not in text,
              [line for line in text.splitlines() if b" 50" in line][:3])
    finally:
        if server:
            server.kill()
            server.wait()
        subprocess.run(["psql", base, "-qXc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)
        os.unlink(log.name)
    if failures:
        print(f"hostile-http: {len(failures)} failed: {', '.join(failures)}")
        return 1
    print("hostile-http: every case held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
