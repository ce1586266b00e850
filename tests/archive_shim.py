"""A thin test-side shim in front of pywb, answering as the Internet Archive does.

pywb's own CDX API differs from IA's (NDJSON, other field names, no resume keys) and its
archived redirects point at the live web; the shim translates, so the ``ia`` dialect is
tested against real pywb replay. It also:

* logs every request (arrival time, path, status) -- rate limits are asserted from this log;
* injects faults (status, Retry-After, truncated bodies, resets, silence) for the first N
  matching requests;
* emulates Save Page Now (``/save/<url>``) for ``policytrail save``;
* in ``pywb`` mode, only logs and forwards (a logging proxy for the pywb dialect);
* answers mementos ``memento_delay`` seconds late when asked (a distant archive: each fetch waits,
  so several workers fetching at once finish sooner).

Bound to 127.0.0.1 on an ephemeral port; runs in a thread of the test process.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

IA_FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


@dataclass
class Fault:
    path_prefix: str
    status: int
    times: int
    retry_after: str | None = None
    body: bytes = b"Too Many Requests"
    truncate: bool = False  # forward the archive's answer but cut its body short
    reset: bool = False  # drop the connection with a TCP reset, answering nothing
    hang: float = 0.0  # say nothing for this many seconds, then drop the connection


@dataclass
class LoggedRequest:
    at: float  # arrival
    answered: float
    path: str
    status: int


class ArchiveShim:
    def __init__(self, pywb_url: str, mode: str = "ia"):
        self.pywb = urlsplit(pywb_url)
        self.mode = mode
        self.log: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.saved: list[str] = []
        self.digestless: set[str] = set()  # URLs whose CDX rows say digest "-", as IA's do for some captures
        self.memento_delay = 0.0
        self.lock = threading.Lock()
        shim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self.arrived = time.monotonic()
                shim._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # dropped connections are the point
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ArchiveShim:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests(self, prefix: str = "") -> list[LoggedRequest]:
        with self.lock:
            return [r for r in self.log if r.path.startswith(prefix)]

    # -- plumbing -----------------------------------------------------------------------
    def _send(self, h, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:
        with self.lock:
            self.log.append(LoggedRequest(getattr(h, "arrived", time.monotonic()), time.monotonic(), h.path, status))
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if path.startswith(fault.path_prefix) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _drop(self, h, fault: Fault) -> None:
        """Answer nothing: after ``hang`` seconds (bounded), or at once with a TCP RST."""
        with self.lock:
            self.log.append(LoggedRequest(h.arrived, time.monotonic(), h.path, 0))
        if fault.hang:
            time.sleep(min(fault.hang, 10.0))
        if fault.reset:  # SO_LINGER with a zero timeout: close() sends RST instead of FIN
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        h.connection.close()

    def _pywb_get(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.pywb.hostname, self.pywb.port, timeout=30)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _handle(self, h) -> None:
        fault = self._fault_for(h.path)
        if fault and (fault.reset or fault.hang):
            return self._drop(h, fault)
        if fault and fault.truncate:
            return self._forward(h, truncate=True)
        if fault:
            headers = [("Content-Type", "text/html")]
            if fault.retry_after is not None:
                headers.append(("Retry-After", fault.retry_after))
            return self._send(h, fault.status, fault.body, headers)
        if h.path.startswith("/save/"):
            return self._save(h)
        if self.memento_delay and "id_/" in h.path:
            time.sleep(self.memento_delay)
        if self.mode == "ia" and h.path.startswith("/cdx/search/cdx"):
            return self._cdx(h)
        return self._forward(h)

    # -- IA behaviour -------------------------------------------------------------------
    def _cdx(self, h) -> None:
        q = parse_qs(urlsplit(h.path).query)
        url = q["url"][0]
        match = q.get("matchType", ["exact"])[0]
        status, _, body = self._pywb_get(f"/web/cdx?url={quote(url, safe='')}&matchType={quote(match)}&output=json")
        rows = [json.loads(line) for line in body.decode().splitlines() if line.strip()] if status == 200 else []
        # IA's from/to: timestamp bounds, padded like IA pads partial timestamps
        low, high = q.get("from", [""])[0], q.get("to", [""])[0]
        rows = [
            r
            for r in rows
            if (not low or r["timestamp"] >= low.ljust(14, "0")) and (not high or r["timestamp"] <= high.ljust(14, "9"))
        ]
        fl = q.get("fl", [",".join(IA_FIELDS)])[0].split(",")
        table = []
        collapse_on = _ia_collapse(q.get("collapse", [""])[0])
        kept = []
        for r in rows:
            full = {
                "urlkey": r["urlkey"],
                "timestamp": r["timestamp"],
                "original": r["url"],
                "mimetype": r.get("mime", "unk"),
                "statuscode": r.get("status", "-"),
                "digest": "-" if r["url"] in self.digestless else r.get("digest", "-"),
                "length": r.get("length", "-"),
            }
            if not all(_ia_filter(spec, full) for spec in q.get("filter", [])):
                continue
            if collapse_on(full):
                continue
            table.append([full[f] for f in fl])
            kept.append(r)
        rows = kept
        start = 0
        if "resumeKey" in q:
            start = int(q["resumeKey"][0].rsplit(" ", 1)[1])
        limit = int(q.get("limit", ["100000"])[0])
        page = table[start : start + limit]
        more = start + limit < len(table)
        if q.get("output", [""])[0] == "json":
            out = [fl] + page if (page or more) else []
            if more and q.get("showResumeKey"):
                out += [[], [f"{rows[start + limit - 1]['urlkey']} {start + limit}"]]
            payload = json.dumps(out).encode()
            ctype = "application/json"
        else:
            lines = [" ".join(r) for r in page]
            if more and q.get("showResumeKey"):
                lines += ["", quote(f"{rows[start + limit - 1]['urlkey']} {start + limit}")]
            payload = ("\n".join(lines) + "\n").encode()
            ctype = "text/plain"
        self._send(h, 200, payload, [("Content-Type", ctype)])

    def _forward(self, h, truncate: bool = False) -> None:
        status, headers, body = self._pywb_get(h.path)
        out = []
        for k, v in headers:
            if k.lower() in ("content-length", "transfer-encoding", "connection", "date", "server"):
                continue
            if k.lower() == "location":
                v = self._rewrite_location(h.path, v)
            out.append((k, v))
        if truncate:  # announce the full length, send half, close the connection
            with self.lock:
                self.log.append(LoggedRequest(h.arrived, time.monotonic(), h.path, status))
            h.send_response(status)
            for k, v in out:
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.close_connection = True
            return
        self._send(h, status, body, out)

    def _rewrite_location(self, path: str, location: str) -> str:
        pywb_base = f"http://{self.pywb.hostname}:{self.pywb.port}"
        if location.startswith(pywb_base):
            return self.url + location[len(pywb_base) :]
        if self.mode == "ia" and location.startswith(("http://", "https://")):
            # IA rewrites an archived redirect's Location into the archive, at the same timestamp
            ts = path.split("/")[2][:14]
            return f"{self.url}/web/{ts}id_/{location}"
        return location

    def _save(self, h) -> None:
        url = unquote(h.path[len("/save/") :])
        self.saved.append(url)
        ts = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        # as Save Page Now answers: the new capture in Content-Location
        self._send(
            h, 200, b"<html>saved</html>", [("Content-Type", "text/html"), ("Content-Location", f"/web/{ts}/{url}")]
        )


def _ia_filter(spec: str, row: dict) -> bool:
    """IA's CDX ``filter=[!]field:regex``: the regular expression must match the whole field."""
    import re

    negate = spec.startswith("!")
    field, _, pattern = spec.lstrip("!").partition(":")
    matched = re.fullmatch(pattern, str(row.get(field, ""))) is not None
    return matched != negate


def _ia_collapse(spec: str):
    """IA's ``collapse=field[:n]``: a row whose field (its first n characters) equals the previous kept
    row's is dropped -- adjacent rows only, as IA does."""
    if not spec:
        return lambda row: False
    field, _, n = spec.partition(":")
    last = []

    def seen(row: dict) -> bool:
        value = str(row.get(field, ""))[: int(n)] if n else str(row.get(field, ""))
        if last and last[0] == value:
            return True
        last[:] = [value]
        return False

    return seen
