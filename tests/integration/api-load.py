#!/usr/bin/python3
# Load and fault drivers of `lade serve` for 63-api-load.sh, over AF_UNIX with http.client.
#
#   api-load.py load SOCK SECONDS CLIENTS KEEP_ID...
#       CLIENTS threads, each on its own keep-alive connection, mix for SECONDS:
#       GET /containers/json (200), GET /containers/{id}/json (200 for the long-lived KEEP_IDs,
#       200 or 404 for a container another client may just have removed), and a run cycle:
#       POST create (201) + start (204) + wait (200, StatusCode 0) + DELETE (204) of
#       busybox true with --network none. Prints a JSON summary; exit 1 on any unexpected
#       status, body or connection error.
#   api-load.py malformed SOCK ROUNDS
#       ROUNDS bursts of bad requests, each on its own connection, 10 at a time; each must get
#       its expected status (or, for a request cut short, no answer). Exit 1 otherwise.
#   api-load.py leave SOCK ID COUNT
#       COUNT clients that follow a container's logs: half read some output and close mid-stream,
#       half never read (the server blocks writing to them) and close after a while.
import http.client
import json
import random
import socket
import sys
import threading
import time

V = "/v1.48"
CREATE = json.dumps({"Image": "busybox", "Cmd": ["true"],
                     "HostConfig": {"NetworkMode": "none"}}).encode()


class UnixConnection(http.client.HTTPConnection):
        def __init__(self, path, timeout=120):
                super().__init__("lade", timeout=timeout)
                self.path = path

        def connect(self):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(self.timeout)
                s.connect(self.path)
                self.sock = s


class Stats:
        def __init__(self):
                self.lock = threading.Lock()
                self.counts = {}
                self.bad = []
                self.lat = {}
                self.cycles = 0

        def note(self, op, status, ok, ms, detail=""):
                with self.lock:
                        k = "%s %s" % (op, status)
                        self.counts[k] = self.counts.get(k, 0) + 1
                        self.lat.setdefault(op, []).append(ms)
                        if not ok:
                                self.bad.append("%s -> %s %s" % (op, status, detail[:200]))


class Client(threading.Thread):
        def __init__(self, sock, deadline, stats, keep, ids):
                super().__init__(daemon=True)
                self.sock, self.deadline, self.stats, self.keep, self.ids = sock, deadline, stats, keep, ids
                self.conn = None

        def call(self, op, method, path, expect, body=None):
                if self.conn is None:
                        self.conn = UnixConnection(self.sock)
                t0 = time.monotonic()
                hdrs = {"Content-Type": "application/json"} if body is not None else {}
                try:
                        self.conn.request(method, V + path, body=body, headers=hdrs)
                        r = self.conn.getresponse()
                        data = r.read()
                        status = r.status
                except (OSError, http.client.HTTPException) as e:
                        self.conn.close()
                        self.conn = None
                        self.stats.note(op, "conn-error", False, 0, repr(e))
                        return None, None
                ms = (time.monotonic() - t0) * 1000
                ok = status in expect
                self.stats.note(op, status, ok, ms, data.decode(errors="replace"))
                return status, data

        def cycle(self):
                st, data = self.call("create", "POST", "/containers/create", (201,), CREATE)
                if st != 201:
                        return
                cid = json.loads(data)["Id"]
                with self.stats.lock:
                        self.ids.append(cid)
                        if len(self.ids) > 200:
                                del self.ids[:100]
                st, _ = self.call("start", "POST", "/containers/%s/start" % cid, (204,))
                if st == 204:
                        st, data = self.call("wait", "POST", "/containers/%s/wait" % cid, (200,))
                        if st == 200 and json.loads(data).get("StatusCode") != 0:
                                _, state = self.call("inspect-bad", "GET", "/containers/%s/json" % cid, (200,))
                                state = json.loads(state or b"{}").get("State", {})
                                self.stats.note("wait-code", json.loads(data).get("StatusCode"), False, 0,
                                                "%s: %s" % (cid[:12], json.dumps(state)))
                self.call("delete", "DELETE", "/containers/%s" % cid, (204,))
                with self.stats.lock:
                        self.stats.cycles += 1

        def run(self):
                while time.monotonic() < self.deadline:
                        x = random.random()
                        if x < 0.35:
                                st, data = self.call("list", "GET", "/containers/json?all=1", (200,))
                                if st == 200 and not isinstance(json.loads(data), list):
                                        self.stats.note("list-body", "not-a-list", False, 0)
                        elif x < 0.55:
                                cid = random.choice(self.keep)
                                st, data = self.call("inspect", "GET", "/containers/%s/json" % cid, (200,))
                                if st == 200 and json.loads(data)["State"]["Status"] != "running":
                                        self.stats.note("inspect-state", "not-running", False, 0)
                        elif x < 0.8:
                                with self.stats.lock:
                                        cid = random.choice(self.ids) if self.ids else self.keep[0]
                                self.call("inspect-any", "GET", "/containers/%s/json" % cid, (200, 404))
                        else:
                                self.cycle()
                if self.conn is not None:
                        self.conn.close()


def pct(xs, p):
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(len(xs) * p))], 1) if xs else None


def load(sock, seconds, clients, keep):
        stats = Stats()
        ids = list(keep)
        deadline = time.monotonic() + float(seconds)
        ts = [Client(sock, deadline, stats, keep, ids) for _ in range(int(clients))]
        for t in ts:
                t.start()
        for t in ts:
                t.join(float(seconds) + 300)
        hung = sum(t.is_alive() for t in ts)
        out = {"requests": sum(stats.counts.values()), "cycles": stats.cycles,
               "counts": dict(sorted(stats.counts.items())), "unexpected": len(stats.bad),
               "examples": stats.bad[:10], "hung_clients": hung,
               "ms_p50_p99": {k: [pct(v, 0.5), pct(v, 0.99)] for k, v in sorted(stats.lat.items())}}
        print(json.dumps(out, indent=1))
        return 0 if not stats.bad and not hung else 1


def raw(sock, data, timeout=10, close_write=False):
        """Send DATA on a new connection; the status code of the answer, or None without one."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        buf = b""
        try:
                s.connect(sock)
                try:
                        s.sendall(data)
                except OSError:
                        pass            # refused before the whole body went: the answer is there
                if close_write:
                        s.shutdown(socket.SHUT_WR)
                while b"\r\n" not in buf:
                        chunk = s.recv(4096)
                        if not chunk:
                                break
                        buf += chunk
        except OSError:
                pass                    # a reset after the answer still leaves the answer
        finally:
                s.close()
        line = buf.split(b"\r\n", 1)[0].split()
        return int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/") else None


def req(method, path, body=b"", extra=""):
        return ("%s %s HTTP/1.1\r\nHost: lade\r\n%sContent-Length: %d\r\n\r\n"
                % (method, path, extra, len(body))).encode() + body


JSON = "Content-Type: application/json\r\n"
MALFORMED = [
        ("malformed JSON body", req("POST", V + "/containers/create", b'{"Image":', JSON), {400}),
        ("a body that is no object", req("POST", V + "/containers/create", b"[1,2]", JSON), {400}),
        ("a body over the limit", req("POST", V + "/containers/create", b"a" * (2 << 20), JSON), {413}),
        ("a Content-Length far over the limit",
         b"POST " + V.encode() + b"/containers/create HTTP/1.1\r\nHost: lade\r\n" +
         JSON.encode() + b"Content-Length: 99999999999\r\n\r\n{", {413}),
        ("an unknown endpoint", req("GET", V + "/nope/nope"), {404}),
        ("a wrong method", req("PATCH", V + "/containers/json"), {404, 405}),
        ("a version too new", req("GET", "/v1.99/containers/json"), {400}),
        ("a version too old", req("GET", "/v1.1/containers/json"), {400}),
        ("a version that is no number", req("GET", "/v1.x/containers/json"), {400, 404}),
        ("an unknown container", req("GET", V + "/containers/" + "f" * 64 + "/json"), {404}),
        ("filters that are no JSON", req("GET", V + "/containers/json?filters=%7Bnope"), {400}),
        ("an unknown filter", req("GET", V + "/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D"),
         {400}),
        ("a start of an unknown container", req("POST", V + "/containers/nosuch/start"), {404}),
        # no answer is a fair one to what is no HTTP at all (libmicrohttpd closes)
        ("garbage instead of a request line", b"\x00\x01\x02 garbage\r\n\r\n", {400, None}),
        # as dockerd (Go's net/http): 400 (libmicrohttpd in its strict mode)
        ("no Host header in HTTP/1.1", b"GET /_ping HTTP/1.1\r\n\r\n", {400}),
        # Go says 400; libmicrohttpd (strict) closes the connection: no request is served
        ("a space in the URL", b"GET /_ping x HTTP/1.1\r\nHost: lade\r\n\r\n", {400, None}),
        ("an unknown HTTP version", b"GET /_ping HTTP/7.0\r\nHost: lade\r\n\r\n", {400, 505}),
        ("a header line of 200 KiB", b"GET /_ping HTTP/1.1\r\nHost: lade\r\nX-Big: " + b"x" * (200 << 10) +
         b"\r\n\r\n", {400, 413, 414, 431}),
        ("a URL of 64 KiB", b"GET /" + b"a" * (64 << 10) + b" HTTP/1.1\r\nHost: lade\r\n\r\n",
         {400, 404, 413, 414, 431}),
        ("broken chunked encoding", b"POST " + V.encode() + b"/containers/create HTTP/1.1\r\nHost: lade\r\n" +
         JSON.encode() + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n", {400, 413}),
]
CUT = [
        ("a request cut in its headers", b"GET /_ping HTTP/1.1\r\nHo"),
        ("a body cut short", req("POST", V + "/containers/create", b"", JSON)[:-2] + b"\r\n\r\n{\"Im"),
]


def malformed(sock, rounds):
        cases = [(n, d, e, False) for n, d, e in MALFORMED] + [(n, d, None, True) for n, d in CUT]
        work = cases * int(rounds)
        random.shuffle(work)
        bad, lock = [], threading.Lock()

        def one():
                while True:
                        with lock:
                                if not work:
                                        return
                                name, data, expect, cut = work.pop()
                        st = raw(sock, data, close_write=cut)
                        if (cut and st not in (None, 400)) or (not cut and st not in expect):
                                with lock:
                                        bad.append("%s: got %s, expected %s" % (name, st, expect or "no answer"))
        ts = [threading.Thread(target=one) for _ in range(10)]
        for t in ts:
                t.start()
        for t in ts:
                t.join()
        for b in sorted(set(bad)):
                print("unexpected:", b)
        print("%d malformed requests, %d unexpected answers" % (len(cases) * int(rounds), len(bad)))
        return 1 if bad else 0


def leave(sock, cid, count):
        path = V + "/containers/%s/logs?follow=1&stdout=1&stderr=1" % cid
        got = []

        def reader(slow):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect(sock)
                s.sendall(req("GET", path))
                if slow:
                        time.sleep(3)           # the server fills the socket buffer and blocks
                else:
                        n = 0
                        while n < 65536:
                                c = s.recv(65536)
                                if not c:
                                        break
                                n += len(c)
                        got.append(n)
                s.close()                       # mid-stream, without a word
        ts = [threading.Thread(target=reader, args=(i % 2 == 1,)) for i in range(int(count))]
        for t in ts:
                t.start()
        for t in ts:
                t.join()
        full = sum(1 for n in got if n >= 65536)
        print("%d readers left mid-stream after 64 KiB of output, %d never read" % (full, int(count) - len(got)))
        return 0 if full == len(got) else 1


if __name__ == "__main__":
        cmd, sock = sys.argv[1], sys.argv[2]
        if cmd == "load":
                sys.exit(load(sock, sys.argv[3], sys.argv[4], sys.argv[5:]))
        if cmd == "malformed":
                sys.exit(malformed(sock, sys.argv[3]))
        if cmd == "leave":
                sys.exit(leave(sock, sys.argv[3], sys.argv[4]))
        sys.exit("usage: api-load.py load|malformed|leave SOCK …")
