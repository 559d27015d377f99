"""The only way WeasyPrint reads anything: files inside allowed roots, data: URLs, and
http(s) only when the user asked for it (bounded in time and size, cached)."""

from __future__ import annotations

import hashlib
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse

from builder.diagnostics import Diagnostics

REMOTE_TIMEOUT = 3.0  # seconds per URL (WeasyPrint's default is 10, one URL after another)
REMOTE_MAX_BYTES = 20 * 1024 * 1024


class Refused(ValueError):
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
    ) -> None:
        super().__init__(timeout=REMOTE_TIMEOUT, allow_redirects=allow_remote)
        self.roots = [r.resolve() for r in roots]
        self.files = {f.resolve() for f in files or []}
        self.diag = diag
        self.allow_remote = allow_remote
        self.cache_dir = cache_dir
        self.source = "document"  # named in warnings; set per document by the renderer

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Serve url from the sandbox, or refuse it with a warning."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return self._file(url)
        if scheme in ("http", "https"):
            if not self.allow_remote:
                self._refuse(url, "remote resource not fetched", "pass --allow-remote to fetch it")
            return self._remote(url, headers)
        self._refuse(url, f"'{scheme}:' URLs are not allowed", None)
        raise AssertionError  # unreachable: _refuse raises

    def _refuse(self, url: str, why: str, hint: str | None) -> None:
        self.diag.warn(f"{why}: {_short(url)}", file=self.source, hint=hint)
        raise Refused(f"{why}: {url}")

    def _file(self, url: str) -> URLFetcherResponse:
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)).resolve()
        if not (path in self.files or any(path.is_relative_to(r) for r in self.roots)):
            self._refuse(url, "file outside the project refused", None)
        if not path.is_file():
            self._refuse(url, "file not found", None)
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), _type_headers(path))

    def _remote(self, url: str, headers: Any) -> URLFetcherResponse:
        cached = self._cache_path(url)
        if cached is not None and cached.is_file():
            return URLFetcherResponse(url, cached.read_bytes())
        response = super().fetch(url, headers)
        body = response.read(REMOTE_MAX_BYTES + 1)
        response.close()
        if len(body) > REMOTE_MAX_BYTES:
            self._refuse(url, "remote resource too large", f"limit {REMOTE_MAX_BYTES} bytes")
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(body)
        return URLFetcherResponse(url, body, response.headers, response.status)

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()


def _type_headers(path: Path) -> dict[str, str]:
    types = {".svg": "image/svg+xml", ".css": "text/css", ".png": "image/png"}
    kind = types.get(path.suffix.lower())
    return {"Content-Type": kind} if kind else {}


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."
