"""The only way WeasyPrint reads anything: files inside allowed roots, data: URLs, and
http(s) only when the user asked for it (bounded in time and size, cached)."""

from __future__ import annotations

import contextlib
import hashlib
import html
import http.client
import io
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

from builder import images as _images  # noqa: F401 -- sets Pillow's pixel limit
from builder.diagnostics import Diagnostics, place
from builder.errors import GuideError
from builder.gate import current
from builder.weasy import URLFetcher, URLFetcherResponse, iri_to_uri

REMOTE_TIMEOUT = 3.0  # seconds per URL (WeasyPrint's default is 10, one URL after another)
REMOTE_MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
# The watchdog cuts a connection this long after REMOTE_TIMEOUT: after the socket timeout,
# so that a host sending nothing at all is reported as not answering (and not asked again).
WATCHDOG_GRACE = 0.2
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RASTER_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM", b"II*\x00", b"MM\x00*")
SVG_HREF = re.compile(r"""(?:\bxlink:|\s)href\s*=\s*["']([^"'#][^"']*)["']""")


class Refused(ValueError):  # noqa: N818 -- a refusal, not an error of ours
    """A URL the sandbox does not allow."""


class SandboxFetcher(URLFetcher):  # type: ignore[misc]
    """Allow file URLs inside `roots` (and exact `files`), data: URLs, and opt-in http(s)."""

    def __init__(
        self,
        roots: list[Path],
        diag: Diagnostics,
        *,
        files: list[Path] | None = None,
        allow_remote: bool = False,
        cache_dir: Path | None = None,
        not_from: list[Path] | None = None,
    ) -> None:
        # Redirects are followed by _download, so that every hop goes through the sandbox.
        super().__init__(
            timeout=REMOTE_TIMEOUT,
            allow_redirects=False,
            http_headers={"Accept-Encoding": "identity"},
        )
        # The filesystem root as a root would allow every file: never meant, always dropped.
        self.roots = [r.resolve() for r in roots if r.resolve() != Path(r.resolve().anchor)]
        self.files = {f.resolve() for f in files or []}
        # Folders nothing is drawn from, though the run's gate may read them: the output
        # folder (a Desktop of the user's and its scans; --out inside the space). Nothing a
        # page draws lies there: the sheets read the cards' PDFs through the gate, not here.
        self.not_from = [f.resolve() for f in not_from or []]
        self.diag = diag
        self.allow_remote = allow_remote
        self.cache_dir = cache_dir
        self.source = "document"  # named in warnings; set per document by the renderer
        # The images a page shows (URL -> (page:line, as written)), and what the SVGs among
        # them reference (URL -> that page:line): fetched only when the PDF is drawn, a
        # refusal of one names the page showing the SVG, not the document.
        self.shown: dict[str, tuple[str, str]] = {}
        self._pulled: dict[str, str] = {}
        self._dead: set[str] = set()  # hosts that did not answer: not asked again this run
        self._watchdog: _Watchdog | None = None  # the deadline of the download under way
        self.add_handler(_WatchedHandler())

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Serve url from the sandbox, or refuse it with a warning."""
        self._request = None  # never reuse a request URLFetcher.open left behind
        scheme = url.split(":", 1)[0].strip().lower()
        if scheme == "data":
            return self._data(url, headers)
        if scheme == "file":
            return self._file(url)
        if scheme in ("http", "https"):
            if not self.allow_remote:
                self._refuse(url, "remote resource not fetched", "pass --allow-remote to fetch it")
            return self._remote(url, headers)
        self._refuse(url, f"'{scheme}:' URLs are not allowed", None)
        raise AssertionError  # unreachable: _refuse raises

    def showing(self, images: dict[str, tuple[str, str]]) -> None:
        """The images of the document about to be laid out, by URL (see shown)."""
        self.shown, self._pulled = images, {}

    def _refuse(self, url: str, why: str, hint: str | None) -> None:
        where = self._pulled.get(url, self.source)
        file, line = place(where)
        self.diag.warn(f"{why}: {_short(url)}", file=file, line=line, hint=hint)
        raise Refused(f"{why}: {url}")

    def pulled_in(self, message: str) -> str:
        """The page and line of the SVG that pulled a URL message names, else the source."""
        return next((at for url, at in self._pulled.items() if url in message), self.source)

    def _note_pulls(self, url: str, body: bytes) -> None:
        """What an SVG a page shows references, resolved as WeasyPrint resolves it."""
        shown = self.shown.get(url)
        if shown is not None:
            for ref in SVG_HREF.findall(body.decode("utf-8", "replace")):
                # As WeasyPrint asks for it: entities decoded, an IRI as a URI (été.png)
                pulled = iri_to_uri(urllib.parse.urljoin(url, html.unescape(ref.strip())))
                self._pulled.setdefault(pulled, shown[0])

    def _data(self, url: str, headers: Any) -> URLFetcherResponse:
        """A data: URL, decoded, under the same pixel limit as a file."""
        response = super().fetch(url, headers)
        try:
            body = response.read()
        finally:
            response.close()
        self._check_pixels(_short(url), body)
        return URLFetcherResponse(response.url, body, response.headers)

    def _file(self, url: str) -> URLFetcherResponse:
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)).resolve()
        allowed = path in self.files or any(path.is_relative_to(r) for r in self.roots)
        if self._in_out(path):
            self._refuse(url, "file of the output folder refused", "images come from the space")
        if not allowed or not current().allows(path):  # both: this renderer's and the run's
            self._refuse(url, "file outside the project refused", None)
        if not current().is_file(path):
            self._refuse(url, "file not found", None)
        try:
            body = current().read_bytes(path)
        except (OSError, GuideError) as exc:
            self._refuse(url, f"cannot read file ({getattr(exc, 'strerror', None) or exc})", None)
        self._check_pixels(url, body)
        if path.suffix.lower() == ".svg":
            self._note_pulls(path.as_uri(), body)
        return URLFetcherResponse(path.as_uri(), body, _type_headers(path))

    def _in_out(self, path: Path) -> bool:
        """Is path in an output folder, and in no root nearer to it (`--out .` holds the
        space and the cache, which stay drawn from; `--out content/out` is refused)?"""
        for folder in (f for f in self.not_from if path.is_relative_to(f)):
            if not any(path.is_relative_to(r) and r.is_relative_to(folder) and r != folder
                       for r in self.roots):  # fmt: skip
                return True
        return False

    def _remote(self, url: str, headers: Any) -> URLFetcherResponse:
        cached = self._cache_path(url)
        hit = self._cached(cached) if cached is not None else None
        if hit is not None:
            body, ctype = hit
            self._check_pixels(url, body)
            return URLFetcherResponse(url, body, _ctype(ctype))
        final, body, ctype = self._download(url, headers)
        self._check_pixels(url, body)
        if cached is not None:
            self._store(cached, body, ctype)
        return URLFetcherResponse(final, body, _ctype(ctype))

    def _download(self, url: str, headers: Any) -> tuple[str, bytes, str]:
        """GET url, following redirects through the sandbox; at most REMOTE_TIMEOUT overall."""
        self._watchdog = watchdog = _Watchdog(self._timeout, grace=WATCHDOG_GRACE)
        try:
            return self._follow(url, headers, watchdog)
        finally:
            self._watchdog = None
            watchdog.close()

    def _follow(self, url: str, headers: Any, watchdog: _Watchdog) -> tuple[str, bytes, str]:
        deadline = time.monotonic() + self._timeout
        for _ in range(MAX_REDIRECTS + 1):
            host = urllib.parse.urlsplit(url).netloc.lower()
            if host in self._dead:
                self._refuse(url, f"remote host {host} did not answer before; not asked again",
                             None)  # fmt: skip
            request = urllib.request.Request(
                iri_to_uri(url), headers={**self._http_headers, **dict(headers or {})}
            )
            left = max(deadline - time.monotonic(), 0.001)
            try:
                # OpenerDirector.open, not URLFetcher.open: no redirect handler, no decoding.
                with urllib.request.OpenerDirector.open(self, request, timeout=left) as r:
                    body = self._read(url, r, deadline)
                    self._in_time(url, watchdog)  # a cut connection reads as a short body
                    return r.geturl(), body, str(r.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as exc:
                self._in_time(url, watchdog)
                location = exc.headers.get("Location") if exc.code in REDIRECTS else None
                exc.close()
                if not location:
                    self._refuse(url, f"remote resource answered HTTP {exc.code}", None)
                target = urllib.parse.urljoin(url, str(location))
                if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
                    self._refuse(target, f"redirect from {_short(url)} refused", None)
                url = target
            except Refused:
                raise
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if not _timed_out(exc):  # a silent host has not answered, even if cut too
                    self._in_time(url, watchdog)
                self._dead.add(host)
                self._refuse(url, f"remote resource not fetched ({_reason(exc, self._timeout)})",
                             "check the address, or download the file into the space")  # fmt: skip
        self._refuse(url, f"more than {MAX_REDIRECTS} redirects", None)
        raise AssertionError  # unreachable: _refuse raises

    def _in_time(self, url: str, watchdog: _Watchdog) -> None:
        """Refuse url when the watchdog cut its connection."""
        if watchdog.expired:
            self._refuse(url, f"remote resource took more than {self._timeout:g} s", None)

    def _read(self, url: str, response: Any, deadline: float) -> bytes:
        """The body, decoded, refused when too slow or too large."""
        body = bytearray()
        while chunk := response.read1(64 * 1024):
            body += chunk
            if len(body) > REMOTE_MAX_BYTES:
                self._refuse(url, "remote resource too large", f"limit {REMOTE_MAX_BYTES} bytes")
            if time.monotonic() > deadline:
                self._refuse(url, f"remote resource took more than {self._timeout:g} s", None)
        encoding = str(response.headers.get("Content-Encoding", "identity")).strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            return self._inflate(url, bytes(body), encoding)
        if encoding not in ("identity", ""):
            self._refuse(url, f"remote resource in an unknown encoding '{encoding}'", None)
        return bytes(body)

    def _inflate(self, url: str, body: bytes, encoding: str) -> bytes:
        """Decompress at most REMOTE_MAX_BYTES: a small gzip can expand to gigabytes."""
        for wbits in (47, -15) if encoding == "deflate" else (31,):
            inflater = zlib.decompressobj(wbits)
            try:
                data = inflater.decompress(body, REMOTE_MAX_BYTES + 1)
            except zlib.error:
                continue
            if len(data) > REMOTE_MAX_BYTES or inflater.unconsumed_tail:
                self._refuse(url, "remote resource too large", f"limit {REMOTE_MAX_BYTES} bytes")
            return data
        self._refuse(url, f"remote resource is corrupt ({encoding})", None)
        raise AssertionError  # unreachable: _refuse raises

    def _check_pixels(self, url: str, body: bytes) -> None:
        """Refuse raster images past Pillow's limit before WeasyPrint decodes them."""
        limit = Image.MAX_IMAGE_PIXELS
        if limit is None or not body.startswith(RASTER_MAGIC):
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(body)) as im:
                    pixels = im.width * im.height
        except Image.DecompressionBombError:
            pixels = 2 * limit + 1
        except Exception:  # not an image Pillow reads: WeasyPrint will say so
            return
        if pixels > limit:
            self._refuse(url, f"image of {pixels:,} pixels refused (decompression bomb?)",
                         f"limit {limit:,} pixels")  # fmt: skip

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()

    def _cached(self, cached: Path) -> tuple[bytes, str] | None:
        """A cached download and its type, when whole: its bytes are checked against the hash
        written beside them (a truncated or edited entry is fetched again, never trusted)."""
        from builder.output import sealed

        gate = current()
        check, kind = cached.with_suffix(".sha256"), cached.with_suffix(".type")
        try:
            if not (gate.is_file(cached) and gate.is_file(check)):
                return None
            body, digest = gate.read_hashed(cached)
            if not sealed(cached, digest, gate.read_text(check)):  # damaged, or not ours
                return None
            return body, gate.read_text(kind) if gate.is_file(kind) else ""
        except (OSError, UnicodeDecodeError, GuideError):
            return None

    def _store(self, cached: Path, body: bytes, ctype: str) -> None:
        from builder.output import seal, write_bytes

        hint = "the remote cache (.guideprint-cache) cannot be written; fix or delete it"
        try:
            write_bytes(cached.with_suffix(".type"), ctype.encode("utf-8"), hint=hint)
            write_bytes(cached, body, hint=hint)
            digest = seal(cached, hashlib.sha256(body).hexdigest()).encode()
            write_bytes(cached.with_suffix(".sha256"), digest, hint=hint)  # written last
        except (OSError, GuideError) as exc:  # a cache that cannot be written costs a refetch
            self.diag.warn(f"remote cache not written: {exc}", file=self.source)


class _Watchdog:
    """Shuts a download's connections down at its deadline.

    A socket timeout starts again with every byte: a server sending its headers one byte
    at a time held a build 61 s against a timeout of 3 s.
    """

    def __init__(self, seconds: float, *, grace: float = 0.0) -> None:
        self.expired = False
        self._lock = threading.Lock()
        # Duplicates of the connections' sockets: shutting one down ends the connection, even
        # once TLS has taken over the original socket object.
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds + grace, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        """Shut sock down at the deadline (at once if it has passed)."""
        dup = sock.dup()
        with self._lock:
            if not self.expired:
                self._sockets.append(dup)
                return
        _shut(dup)
        dup.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def close(self) -> None:
        """Stop the timer and let go of the sockets (the connections close themselves)."""
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its connection
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTP(http.client.HTTPConnection):
    """An HTTP connection whose socket is watched by the fetcher's current watchdog."""

    def __init__(self, *args: Any, watchdog: _Watchdog | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _watch(self, watchdog)


class _WatchedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection whose socket is watched by the fetcher's current watchdog."""

    def __init__(self, *args: Any, watchdog: _Watchdog | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _watch(self, watchdog)


def _watch(connection: http.client.HTTPConnection, watchdog: _Watchdog | None) -> None:
    """Have watchdog watch the TCP socket of connection, before any TLS handshake."""
    if watchdog is None:
        return

    def create(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        sock = socket.create_connection(address, *args, **kwargs)
        watchdog.watch(sock)  # a TLS handshake can be dribbled too
        return sock

    # http.client's own seam: HTTPConnection.__init__ sets it to socket.create_connection.
    connection._create_connection = create  # type: ignore[attr-defined]


class _WatchedHandler(urllib.request.AbstractHTTPHandler):
    """http(s) through watched connections; ahead of urllib's own handlers of both."""

    handler_order = 499

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTP, req, watchdog=self._watchdog())

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        # No context given: the default one, as urllib's handler has with WeasyPrint's default.
        return self.do_open(_WatchedHTTPS, req, watchdog=self._watchdog())

    def _watchdog(self) -> _Watchdog | None:
        return getattr(self.parent, "_watchdog", None)


def _type_headers(path: Path) -> dict[str, str]:
    types = {".svg": "image/svg+xml", ".css": "text/css", ".png": "image/png"}
    kind = types.get(path.suffix.lower())
    return {"Content-Type": kind} if kind else {}


def _ctype(value: str) -> dict[str, str]:
    return {"Content-Type": value} if value else {}


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc.reason, str):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    return str(getattr(exc, "strerror", None) or exc) or type(exc).__name__


def _timed_out(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, TimeoutError)


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


__all__ = ["REMOTE_MAX_BYTES", "REMOTE_TIMEOUT", "Refused", "SandboxFetcher"]
