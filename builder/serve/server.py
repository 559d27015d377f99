"""The preview's HTTP side: a threaded server on 127.0.0.1 that answers only to a Host of
localhost or 127.0.0.1 (a DNS-rebinding page names its own host), and serves nothing but
its page's files, the current state, the pages' pictures and the outputs the build plans.

    /                    the page (page/index.html)
    /page/NAME           its other files (PAGE_FILES)
    /state.json          the current state (builder.serve.preview)
    /events              the states as server-sent events, each as it is published
    /png/DIGEST/N.png    page N of the output version DIGEST (builder.serve.pictures)
    /out/KEY             an output, KEY one the build plans (manual.pdf, cards/vpn.pdf, ...)

Paths are matched as sent, never decoded nor joined to a folder: `..`, `%2e%2e` or an
absolute path names nothing here. What is served is read through a gate of out/ and the
page's folder, so an output that is a link leading elsewhere is refused.
"""

from __future__ import annotations

import json
import re
import socketserver
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from builder.errors import GuideError
from builder.gate import Gate
from builder.serve.pictures import Pictures

PAGE = Path(__file__).resolve().parent / "page"
PAGE_FILES = {  # name -> content type
    "index.html": "text/html; charset=utf-8",
    "serve.css": "text/css; charset=utf-8",
    "serve.js": "text/javascript; charset=utf-8",
}
HOSTS = ("localhost", "127.0.0.1")
HEARTBEAT_S = 15.0  # a comment on the event stream: a dead connection is found and closed
PNG_PATH = re.compile(r"/png/([0-9a-f]{64})/([1-9][0-9]{0,4})\.png")
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class Hub:
    """The latest state, and the event streams waiting for the next one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.version = 0
        self.body = b"{}"
        self.outputs: frozenset[str] = frozenset()
        self.closed = False

    def publish(self, state: dict[str, Any]) -> None:
        """Make state the current one and wake every stream."""
        with self._changed:
            self.version += 1
            body = json.dumps({**state, "version": self.version}, ensure_ascii=False)
            self.body = body.encode("utf-8")
            self.outputs = frozenset(state.get("outputs", ()))
            self._changed.notify_all()

    def after(self, version: int, timeout: float) -> tuple[int, bytes] | None:
        """The first state newer than version (its body b"" on a timeout); None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > version or self.closed, timeout)
            if self.closed:
                return None
            return (self.version, self.body) if self.version > version else (version, b"")

    def close(self) -> None:
        """End every stream."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class PreviewServer(ThreadingHTTPServer):
    """The server of one `guideprint serve`: its state, pictures and read gate."""

    daemon_threads = True  # an open event stream never holds the process at Ctrl-C

    def __init__(self, port: int, hub: Hub, pictures: Pictures, gate: Gate, out: Path) -> None:
        self.hub, self.pictures, self.gate, self.out = hub, pictures, gate, out
        try:
            super().__init__(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise GuideError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                             hint="give another port: --port N") from exc  # fmt: skip

    def server_bind(self) -> None:
        # HTTPServer's own asks the resolver for the host's name: a look-up that can hang.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD of the routes above; anything else is refused."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "guideprint"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, b"forbidden: unknown Host\n", send_body=send_body)
            return
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/events" and send_body:
            self._events()
            return
        found = self._route(path)
        if found is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", send_body=send_body)
            return
        data, kind, cache = found
        self._send(HTTPStatus.OK, data, kind, cache=cache, send_body=send_body)

    def _host_allowed(self) -> bool:
        """One Host header naming this server by loopback name: localhost or 127.0.0.1."""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            return False
        name, sep, port = hosts[0].strip().lower().rpartition(":")
        if not sep:
            name, port = port, ""
        return name in HOSTS and port in ("", str(self.server.server_port))

    def _route(self, path: str) -> tuple[bytes, str, str] | None:
        """(body, content type, cache policy) of what path names, or None."""
        if path in ("/", "/index.html"):
            return self._page("index.html")
        if path.startswith("/page/") and path[6:] in PAGE_FILES:
            return self._page(path[6:])
        if path == "/state.json":
            return self.server.hub.body, "application/json", "no-store"
        if match := PNG_PATH.fullmatch(path):
            png = self.server.pictures.png(match[1], int(match[2]))
            return (png, "image/png", "max-age=31536000, immutable") if png else None
        if path.startswith("/out/") and path[5:] in self.server.hub.outputs:
            data = self._read(self.server.out / path[5:])
            return (data, "application/pdf", "no-store") if data is not None else None
        return None

    def _page(self, name: str) -> tuple[bytes, str, str] | None:
        data = self._read(PAGE / name)
        return (data, PAGE_FILES[name], "no-store") if data is not None else None

    def _read(self, path: Path) -> bytes | None:
        try:
            return self.server.gate.read_bytes(path, what="served file")
        except (GuideError, OSError):
            return None

    def _events(self) -> None:
        """The states as server-sent events, until the client or the server goes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        for name, value in SAFE_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True
        seen, hub = 0, self.server.hub
        try:
            self.wfile.write(b"retry: 500\n\n")
            while (got := hub.after(seen, HEARTBEAT_S)) is not None:
                version, body = got
                chunk = b": alive\n\n" if not body else b"event: state\ndata: " + body + b"\n\n"
                seen = version
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return

    def _send(self, status: HTTPStatus, data: bytes, kind: str = "text/plain; charset=utf-8",
              *, cache: str = "no-store", send_body: bool = True) -> None:  # fmt: skip
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", cache)
            for name, value in SAFE_HEADERS.items():
                self.send_header(name, value)
            if kind.startswith("text/html"):
                self.send_header("Content-Security-Policy", POLICY)
            self.end_headers()
            if send_body:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is the build's (and a thread printing while the build forks
        its reader could leave the child a held lock on stderr)."""
