"""Safe by default, through the real CLI: a hostile space reads nothing outside, fetches
nothing unasked, warns for each; the fetcher on its own; outputs never corrupted."""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import re
import shutil
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from clirun import cli
from PIL import Image
from pypdf import PdfReader

from builder import fetcher as fetcher_mod
from builder.diagnostics import Diagnostics
from builder.fetcher import REMOTE_TIMEOUT, Refused, SandboxFetcher
from builder.layouts import BUILTIN
from builder.output import build_lock

HOSTILE = Path(__file__).parent / "fixtures" / "hostile" / "space"
SECRET_TEXT = "TOP-SECRET-INCLUDE"
SECRET_SIZE = (7, 3)  # no image of the space has this size: found in a PDF, it leaked
REMOTE_SIZE = (5, 5)  # what the listener serves as PNG
# Requested only through the sanitiser's holes: never, even with --allow-remote.
NEVER = {"/style-attr.png", "/link.css", "/import.css", "/iframe.html", "/object.svg",
         "/input.png", "/poster.png"}  # fmt: skip
# What --allow-remote may fetch: images of pages and SVGs, the layout's CSS and images.
REMOTE_OK = {"/img.png", "/raw.png", "/svg-nested.png", "/layout-import.css", "/layout-bg.png"}
LAYOUT_CSS = """
@import url("http://127.0.0.1:@PORT@/layout-import.css");
.chapter { background-image: url("http://127.0.0.1:@PORT@/layout-bg.png"); }
h1 { background-image: url("../../../secret.png"); }
"""


# -- helpers -------------------------------------------------------------------------------


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


class Listener:
    """An HTTP server on 127.0.0.1 that records every request; PNG and CSS by extension."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests.append(self.path)
                status, headers, body = listener.answer(self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path in self.routes:
            return self.routes[path]
        if path.endswith(".png"):
            return 200, {"Content-Type": "image/png"}, png(REMOTE_SIZE, (200, 40, 40))
        if path.endswith(".css"):
            return 200, {"Content-Type": "text/css"}, b"p { color: #222; }"
        return 404, {}, b"not here"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@contextlib.contextmanager
def listening() -> Iterator[Listener]:
    listener = Listener()
    try:
        yield listener
    finally:
        listener.close()


@contextlib.contextmanager
def dead_host() -> Iterator[int]:
    """A port that accepts connections (the kernel does) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def hostile_project(base: Path, port: int) -> Path:
    """tmp/secret.* outside everything, tmp/project (the cwd) with the hostile space and a
    layout override whose CSS reaches out too. Returns the project folder."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "secret.md").write_text(f"# Secret\n\n{SECRET_TEXT}\n", encoding="utf-8")
    (base / "secret.png").write_bytes(png(SECRET_SIZE, (10, 200, 10)))
    project = base / "project"
    space = project / "space"
    shutil.copytree(HOSTILE, space)
    subst = {
        "@PORT@": str(port),
        "@SECRET_MD@": str(base / "secret.md"),
        "@SECRET_PNG@": str(base / "secret.png"),
    }
    for path in [*space.rglob("*.md"), *space.rglob("*.svg")]:
        text = path.read_text(encoding="utf-8")
        for key, value in subst.items():
            text = text.replace(key, value)
        path.write_text(text, encoding="utf-8")
    layout = project / "layouts" / "manual"
    shutil.copytree(BUILTIN / "manual", layout)
    css = layout / "manual.css"  # @import must come first
    css.write_text(LAYOUT_CSS.replace("@PORT@", str(port)) + css.read_text(encoding="utf-8"))
    return project


def line_of(needle: str) -> int:
    """The line of hostile.md (before substitution) holding needle."""
    lines = (HOSTILE / "hostile.md").read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, needle
    return found[0]


def warnings_of(err: str) -> list[str]:
    """The warnings printed, without build.py's status line (also printed as a warning)."""
    return [
        line
        for line in err.splitlines()
        if line.startswith("warning: ") and not line.startswith("warning: built ")
    ]


def pdf_images(pdf: Path) -> list[tuple[int, int]]:
    sizes = []
    for page in PdfReader(pdf).pages:
        for image in page.images:
            sizes.append(image.image.size)
    return sizes


def pdf_text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def no_parts(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part")]


# -- the hostile space, offline ------------------------------------------------------------


class Build:
    def __init__(self, code: int, err: str, out: Path, requests: list[str], base: Path):
        self.code, self.err, self.out, self.requests, self.base = code, err, out, requests, base


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    base = tmp_path_factory.mktemp("hostile")
    with listening() as listener:
        project = hostile_project(base, listener.port)
        out = base / "out"
        code, _, err = cli(["build", "--manual", "--source", "space", "--out", str(out)], project)
        yield Build(code, err, out, list(listener.requests), base)


def test_hostile_build_finishes(offline: Build) -> None:
    assert offline.code == 0, offline.err
    assert "Traceback" not in offline.err
    assert PdfReader(offline.out / "manual.pdf").pages


def test_hostile_build_asks_the_network_nothing(offline: Build) -> None:
    assert offline.requests == []


def test_hostile_build_reads_nothing_outside(offline: Build) -> None:
    pdf = offline.out / "manual.pdf"
    assert SECRET_TEXT not in pdf_text(pdf)
    assert "root:" not in pdf_text(pdf)
    sizes = pdf_images(pdf)
    assert SECRET_SIZE not in sizes
    assert REMOTE_SIZE not in sizes


PAGE_WARNINGS = [
    ("T1 ", "image '../../secret.png' refused: it points outside the space"),
    ("T2 ", "image '../../../../../../../../etc/passwd' refused: it points outside the space"),
    ("T3 ", "secret.png' refused: only files of the space are read"),
    # Remote images left out are one line per space: the first, then how many more.
    ("T4 ", "remote image not fetched: http://127.0.0.1:@PORT@/img.png, and 1 more on 1 page"),
    ("T6 ", "style attribute pulling a resource removed"),
    ("T7 ", "style attribute pulling a resource removed"),
    ("T8 ", "<link> removed"),
    ("T9 ", "<style> removed"),
    ("T10 ", "link '../../secret.md' refused: it points outside the space"),
    ("T11 ", "secret.md' refused: only files of the space are read"),
    ('{% include "../../secret.md"', "include '../../secret.md' refused: it points outside"),
    ('{% include "file://', "secret.md' refused: only files of the space are read"),
    ('{% include "@SECRET_MD@"', "cannot be read from the repository"),
    ("T15 ", "<iframe> removed"),
    ("T16 ", "<object> removed"),
    ("T17 ", "<input> removed"),
    ("T18 ", "<video> removed"),
    ("T19 ", "src='javascript:alert(1)' removed from <img>"),
]


@pytest.mark.parametrize(("needle", "message"), PAGE_WARNINGS, ids=[n for n, _ in PAGE_WARNINGS])
def test_hostile_build_warns_for_each_with_file_and_line(
    offline: Build, needle: str, message: str
) -> None:
    port = re.search(r"127\.0\.0\.1:(\d+)", offline.err)
    message = message.replace("@PORT@", port.group(1) if port else "?")
    where = f"warning: hostile.md:{line_of(needle)}: "
    assert any(w.startswith(where) and message in w for w in warnings_of(offline.err)), (
        f"no '{where}...{message}' in:\n{offline.err}"
    )


def test_hostile_file_block_is_reported(offline: Build) -> None:
    where = f"warning: hostile.md:{line_of('{% file src=')}: "
    assert any(w.startswith(where) for w in warnings_of(offline.err)), offline.err


def test_no_second_warning_for_a_removed_src(offline: Build) -> None:
    assert "Is a directory" not in offline.err


def test_nested_resources_refused_by_the_fetcher(offline: Build) -> None:
    """What the reader cannot see (inside an SVG, in a layout's CSS) the fetcher refuses."""
    warned = warnings_of(offline.err)
    secret = (offline.base / "secret.png").as_uri()
    for source, expected in (
        ("svg.md:5", "/svg-nested.png (pass --allow-remote"),  # the page showing the SVG
        ("layouts/manual", "/layout-import.css (pass --allow-remote"),
        ("manual", "/layout-bg.png (pass --allow-remote"),
        ("svg.md:5", f"file outside the project refused: {secret}"),  # the SVG's <image>
    ):
        where = f"warning: {source}: "
        assert any(w.startswith(where) and expected in w for w in warned), (where, expected)


def test_every_warning_names_its_source(offline: Build) -> None:
    warned = warnings_of(offline.err)
    assert len(warned) >= len(PAGE_WARNINGS)
    for w in warned:
        assert re.match(
            r"warning: (hostile\.md(:\d+)?|svg\.md(:\d+)?|README\.md|manual|layouts/manual): ",
            w,
        ), w
    assert "outside the project refused: file:///" + "work" not in offline.err  # own icons


def test_hostile_build_fails_with_strict(offline: Build, tmp_path: Path) -> None:
    out = tmp_path / "out"
    project = offline.base / "project"
    code, _, err = cli(["build", "--manual", "--strict", "--source", "space", "--out", str(out)],
                       project)  # fmt: skip
    assert code == 1
    assert "Traceback" not in err
    assert not (out / "manual.pdf").exists()


def test_own_layouts_readable_from_any_folder(tmp_path: Path) -> None:
    """A space built from a folder without guideprint.toml still gets guideprint's icons."""
    space = tmp_path / "space"
    space.mkdir()
    for name in ("README.md", "SUMMARY.md"):
        (space / name).write_text((HOSTILE / name).read_text(encoding="utf-8"))
    (space / "SUMMARY.md").write_text("# Table of contents\n\n* [Accueil](README.md)\n")
    code, _, err = cli(["build", "--manual", "--source", "space", "--out", "out"], tmp_path)
    assert code == 0, err
    assert "refused" not in err
    # The one warning: "Accueil" names no document, so the title is the folder's, with a hint.
    assert [w for w in warnings_of(err)] == [next(w for w in warnings_of(err) if "title" in w)]


# -- the hostile space, with --allow-remote ------------------------------------------------


@pytest.fixture(scope="module")
def online(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Build, Build]]:
    base = tmp_path_factory.mktemp("remote")
    with listening() as listener:
        project = hostile_project(base, listener.port)
        args = ["build", "--manual", "--allow-remote", "--source", "space"]
        code, _, err = cli([*args, "--out", str(base / "out1")], project)
        first = Build(code, err, base / "out1", list(listener.requests), base)
        code, _, err = cli([*args, "--force", "--out", str(base / "out2")], project)
        second = Build(code, err, base / "out2", listener.requests[len(first.requests) :], base)
        yield first, second


def test_allow_remote_fetches_images_once(online: tuple[Build, Build]) -> None:
    first, _ = online
    assert first.code == 0, first.err
    assert {"/img.png", "/raw.png", "/svg-nested.png"} <= set(first.requests)
    assert len(first.requests) == len(set(first.requests))
    assert REMOTE_SIZE in pdf_images(first.out / "manual.pdf")


def test_allow_remote_never_fetches_what_the_sanitiser_removed(
    online: tuple[Build, Build],
) -> None:
    first, second = online
    assert set(first.requests) <= REMOTE_OK | {"/srcset.png", "/table.png", "/inline-svg.png"}
    assert not NEVER & set(first.requests + second.requests)


def test_allow_remote_still_refuses_local_files_outside(online: tuple[Build, Build]) -> None:
    first, _ = online
    pdf = first.out / "manual.pdf"
    assert SECRET_SIZE not in pdf_images(pdf)
    assert SECRET_TEXT not in pdf_text(pdf)


def test_second_build_uses_the_cache(online: tuple[Build, Build]) -> None:
    _, second = online
    assert second.code == 0, second.err
    assert second.requests == []
    assert REMOTE_SIZE in pdf_images(second.out / "manual.pdf")


def test_dead_hosts_cost_the_timeout_not_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two images on hosts that never answer: a warning each, bounded by our timeout."""
    monkeypatch.setattr(fetcher_mod, "REMOTE_TIMEOUT", 0.5)
    space = tmp_path / "space"
    space.mkdir()
    with dead_host() as a, dead_host() as b:
        (space / "README.md").write_text(
            f"# Lent\n\n![a](http://127.0.0.1:{a}/a.png)\n\n![b](http://127.0.0.1:{b}/b.png)\n"
        )
        started = time.monotonic()
        code, _, err = cli(
            ["build", "--manual", "--allow-remote", "--source", "space", "--out", "out"], tmp_path
        )
        elapsed = time.monotonic() - started
    assert code == 0, err
    assert err.count("no answer within 0.5 s") == 2, err
    assert elapsed < 8


# -- the fetcher on its own ----------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """(root, outside): a project root with a file, and a secret beside it."""
    root = tmp_path / "root"
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "ok.png").write_bytes(png((2, 2), (0, 0, 255)))
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    return root, outside


def make(root: Path, **kwargs: object) -> tuple[SandboxFetcher, Diagnostics]:
    diag = Diagnostics()
    fetcher = SandboxFetcher([root], diag, **kwargs)  # type: ignore[arg-type]
    fetcher.source = "pages/page.md"
    return fetcher, diag


def refused(fetcher: SandboxFetcher, diag: Diagnostics, url: str, why: str) -> None:
    with pytest.raises(Refused):
        fetcher.fetch(url)
    assert diag.warnings, url
    last = diag.warnings[-1]
    assert last.file == "pages/page.md"
    assert why in last.message, last.message


def test_fetcher_serves_files_inside(sandbox: tuple[Path, Path]) -> None:
    root, _ = sandbox
    fetcher, diag = make(root)
    response = fetcher.fetch((root / "assets" / "ok.png").as_uri())
    assert response.read().startswith(b"\x89PNG")
    assert not diag.items


def test_fetcher_refuses_files_outside(sandbox: tuple[Path, Path]) -> None:
    root, outside = sandbox
    fetcher, diag = make(root)
    refused(fetcher, diag, outside.as_uri(), "file outside the project refused")
    refused(fetcher, diag, "file:///etc/passwd", "file outside the project refused")


@pytest.mark.parametrize(
    "tail", ["assets/../../secret.txt", "assets/%2e%2e/%2E%2E/secret.txt", "../secret.txt"]
)
def test_fetcher_refuses_traversal(sandbox: tuple[Path, Path], tail: str) -> None:
    root, _ = sandbox
    fetcher, diag = make(root)
    refused(fetcher, diag, f"file://{root}/{tail}", "file outside the project refused")


def test_fetcher_refuses_symlinks_out(sandbox: tuple[Path, Path]) -> None:
    root, outside = sandbox
    (root / "assets" / "link.txt").symlink_to(outside)
    fetcher, diag = make(root)
    refused(fetcher, diag, (root / "assets" / "link.txt").as_uri(), "outside the project")


def test_fetcher_never_takes_the_filesystem_root_as_a_root() -> None:
    fetcher, diag = make(Path("/"))
    refused(fetcher, diag, "file:///etc/passwd", "file outside the project refused")


def test_fetcher_allows_exact_files_only(sandbox: tuple[Path, Path]) -> None:
    root, outside = sandbox
    other = outside.with_name("other.txt")
    other.write_text("other")
    fetcher, diag = make(root / "assets", files=[outside])
    assert fetcher.fetch(outside.as_uri()).read() == b"secret"
    refused(fetcher, diag, other.as_uri(), "file outside the project refused")


def test_fetcher_allows_data_urls(sandbox: tuple[Path, Path]) -> None:
    fetcher, diag = make(sandbox[0])
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert not diag.items


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("ftp://127.0.0.1/x.png", "ftp"), ("javascript:alert(1)", "javascript"),
     ("gopher://127.0.0.1/x", "gopher"), ("jar:file:///etc/passwd!/x", "jar")],
)  # fmt: skip
def test_fetcher_refuses_other_schemes(sandbox: tuple[Path, Path], url: str, scheme: str) -> None:
    fetcher, diag = make(sandbox[0], allow_remote=True)
    refused(fetcher, diag, url, f"'{scheme}:' URLs are not allowed")


def test_fetcher_refuses_http_without_allow_remote(sandbox: tuple[Path, Path]) -> None:
    fetcher, diag = make(sandbox[0])
    with listening() as listener:
        refused(fetcher, diag, listener.url("/a.png"), "remote resource not fetched")
        refused(fetcher, diag, listener.url("/a.png").replace("http:", "https:"), "not fetched")
        assert listener.requests == []
    assert diag.warnings[0].hint == "pass --allow-remote to fetch it"


def test_fetcher_fetches_and_caches_with_allow_remote(tmp_path: Path) -> None:
    with listening() as listener:
        for _ in range(2):  # a new fetcher, as a new build would make
            fetcher, diag = make(tmp_path, allow_remote=True, cache_dir=tmp_path / "cache")
            response = fetcher.fetch(listener.url("/a.png"))
            assert response.read().startswith(b"\x89PNG")
            assert response.content_type == "image/png"
        assert listener.requests == ["/a.png"]
        assert not diag.items


def test_a_damaged_remote_cache_entry_is_fetched_again(tmp_path: Path) -> None:
    """Truncated by a killed build or edited by hand: checked against its hash, not trusted."""
    cache = tmp_path / "cache"
    with listening() as listener:
        fetcher, _ = make(tmp_path, allow_remote=True, cache_dir=cache)
        whole = fetcher.fetch(listener.url("/a.png")).read()
        (entry,) = [p for p in cache.iterdir() if not p.suffix]
        entry.write_bytes(whole[: len(whole) // 2])
        fetcher, diag = make(tmp_path, allow_remote=True, cache_dir=cache)
        assert fetcher.fetch(listener.url("/a.png")).read() == whole
        assert listener.requests == ["/a.png", "/a.png"]
        assert entry.read_bytes() == whole
        assert not diag.items


def test_fetcher_timeout_is_ours(tmp_path: Path) -> None:
    fetcher, _ = make(tmp_path, allow_remote=True)
    assert REMOTE_TIMEOUT <= 3
    assert fetcher._timeout == REMOTE_TIMEOUT


def test_fetcher_gives_up_on_a_dead_host_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetcher_mod, "REMOTE_TIMEOUT", 0.3)
    fetcher, diag = make(tmp_path, allow_remote=True)
    with dead_host() as port:
        started = time.monotonic()
        refused(fetcher, diag, f"http://127.0.0.1:{port}/a.png", "no answer within 0.3 s")
        first = time.monotonic() - started
        refused(fetcher, diag, f"http://127.0.0.1:{port}/b.png", "did not answer before")
        second = time.monotonic() - started - first
    assert first < 2
    assert second < 0.2


def test_fetcher_stops_a_slow_drip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server sending one byte at a time never trips a socket timeout: a deadline does."""
    monkeypatch.setattr(fetcher_mod, "REMOTE_TIMEOUT", 0.5)
    stop = threading.Event()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def drip() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n")
            with contextlib.suppress(OSError):
                for _ in range(100):  # 5 s at most: a fetcher without a deadline gets it all
                    if stop.wait(0.05):
                        break
                    conn.sendall(b"x")

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    fetcher, diag = make(tmp_path, allow_remote=True)
    started = time.monotonic()
    try:
        refused(fetcher, diag, f"http://127.0.0.1:{server.getsockname()[1]}/", "took more than")
    finally:
        stop.set()
        thread.join()
        server.close()
    assert time.monotonic() - started < 2


def test_fetcher_caps_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetcher_mod, "REMOTE_MAX_BYTES", 1000)
    fetcher, diag = make(tmp_path, allow_remote=True)
    with listening() as listener:
        listener.routes["/big"] = (200, {}, b"x" * 5000)
        refused(fetcher, diag, listener.url("/big"), "remote resource too large")


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_fetcher_caps_decompressed_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    monkeypatch.setattr(fetcher_mod, "REMOTE_MAX_BYTES", 100_000)
    body = bytes(2_000_000)
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    assert len(packed) < 100_000
    fetcher, diag = make(tmp_path, allow_remote=True)
    with listening() as listener:
        listener.routes["/bomb"] = (200, {"Content-Encoding": encoding}, packed)
        small = gzip.compress(b"ok") if encoding == "gzip" else zlib.compress(b"ok")
        listener.routes["/small"] = (200, {"Content-Encoding": encoding}, small)
        refused(fetcher, diag, listener.url("/bomb"), "remote resource too large")
        assert fetcher.fetch(listener.url("/small")).read() == b"ok"


def test_fetcher_refuses_pixel_bombs(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(bomb_png(20_000, 20_000))
    fetcher, diag = make(tmp_path, allow_remote=True)
    refused(fetcher, diag, (tmp_path / "bomb.png").as_uri(), "decompression bomb")
    with listening() as listener:
        listener.routes["/bomb.png"] = (200, {"Content-Type": "image/png"}, bomb_png(9000, 9000))
        refused(fetcher, diag, listener.url("/bomb.png"), "decompression bomb")


def test_fetcher_follows_redirects_through_the_sandbox(tmp_path: Path) -> None:
    fetcher, diag = make(tmp_path, allow_remote=True)
    with listening() as listener:
        listener.routes["/moved"] = (302, {"Location": "/img.png"}, b"")
        listener.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
        listener.routes["/to-ftp"] = (301, {"Location": "ftp://127.0.0.1/x"}, b"")
        listener.routes["/loop"] = (307, {"Location": "/loop"}, b"")
        assert fetcher.fetch(listener.url("/moved")).read().startswith(b"\x89PNG")
        refused(fetcher, diag, listener.url("/to-file"), "redirect from")
        refused(fetcher, diag, listener.url("/to-ftp"), "redirect from")
        # A refused redirect leaves nothing behind: the next URL is fetched as itself.
        assert fetcher.fetch(listener.url("/other.css")).read() == b"p { color: #222; }"
        refused(fetcher, diag, listener.url("/loop"), "more than 5 redirects")
        assert listener.requests.count("/loop") == 6


def test_fetcher_reports_http_errors(tmp_path: Path) -> None:
    fetcher, diag = make(tmp_path, allow_remote=True)
    with listening() as listener:
        refused(fetcher, diag, listener.url("/missing"), "answered HTTP 404")


# -- outputs never corrupted ---------------------------------------------------------------


def write_space(folder: Path, body: str = "Bonjour.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SUMMARY.md").write_text("# Table of contents\n\n* [Guide](README.md)\n")
    (folder / "README.md").write_text(f"# Guide\n\n{body}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An out/ folder holding a good manual.pdf."""
    base = tmp_path_factory.mktemp("previous")
    write_space(base / "good")
    code, _, err = cli(["build", "--manual", "--source", "good", "--out", "out"], base)
    assert code == 0, err
    return base / "out"


@pytest.fixture
def work(tmp_path: Path, previous: Path) -> tuple[Path, bytes]:
    """(project folder with out/ copied from the good build, the previous PDF's bytes)."""
    shutil.copytree(previous, tmp_path / "out")
    write_space(tmp_path / "good")
    return tmp_path, (previous / "manual.pdf").read_bytes()


def assert_intact(out: Path, before: bytes) -> None:
    pdf = out / "manual.pdf"
    assert pdf.read_bytes() == before
    assert "Bonjour" in pdf_text(pdf)
    assert no_parts(out) == []


def assert_one_line(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    return errors[0]


def test_strict_failure_keeps_the_previous_pdf(work: tuple[Path, bytes]) -> None:
    folder, before = work
    write_space(folder / "warned", "![loin](http://127.0.0.1:9/x.png)")
    code, _, err = cli(
        ["build", "--manual", "--strict", "--force", "--source", "warned", "--out", "out"], folder
    )
    assert code == 1
    assert_one_line(err)
    assert_intact(folder / "out", before)


def test_content_error_keeps_the_previous_pdf(work: tuple[Path, bytes]) -> None:
    folder, before = work
    space = write_space(folder / "cycle", '{% include "other.md" %}')
    (space / "other.md").write_text('{% include "README.md" %}\n', encoding="utf-8")
    code, _, err = cli(["build", "--manual", "--force", "--source", "cycle", "--out", "out"],
                       folder)  # fmt: skip
    assert code == 1
    assert re.search(r"error: (README|other)\.md:\d+: include cycle", err), err
    assert "Traceback" not in err
    assert_intact(folder / "out", before)


def test_strict_render_warning_keeps_the_previous_pdf(work: tuple[Path, bytes]) -> None:
    folder, before = work
    space = write_space(folder / "svg", "![svg](evil.svg)")
    (space / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="http://127.0.0.1:9/x.png" width="10" height="10"/></svg>'
    )
    code, _, err = cli(
        ["build", "--manual", "--strict", "--force", "--source", "svg", "--out", "out"], folder
    )
    assert code == 1
    assert "remote resource not fetched" in err
    assert_intact(folder / "out", before)


@pytest.mark.weasyprint_logs  # a refused remote image, on purpose
def test_strict_renderer_writes_nothing_after_a_warning(tmp_path: Path) -> None:
    """What build.py needs for the test above: Renderer(strict=True) refuses to write."""
    from builder.errors import RenderError
    from builder.pdf import Metadata, Renderer

    diag = Diagnostics()
    renderer = Renderer([tmp_path], diag, strict=True)
    try:
        html = '<p>Bonjour</p><img src="http://127.0.0.1:9/x.png">'
        document = renderer.render(html, tmp_path, [], source="page.md")
        assert [d.file for d in diag.warnings] == ["page.md"]
        with pytest.raises(RenderError, match=r"with --strict; out\.pdf not written"):
            renderer.write(document, tmp_path / "out.pdf", Metadata(title="t"))
    finally:
        renderer.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.weasyprint_logs  # a refused remote image, on purpose
def test_strict_renderer_checks_after_drawing(tmp_path: Path) -> None:
    """An SVG image fetches what it holds while the PDF is drawn, after layout."""
    from builder.errors import RenderError
    from builder.pdf import Metadata, Renderer

    (tmp_path / "a.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="http://127.0.0.1:9/x.png" width="10" height="10"/></svg>'
    )
    out = tmp_path / "out"
    diag = Diagnostics()
    renderer = Renderer([tmp_path], diag, strict=True)
    try:
        html = f'<img src="{(tmp_path / "a.svg").as_uri()}">'
        document = renderer.render(html, tmp_path, [], source="page.md")
        with pytest.raises(RenderError, match="not written"):
            renderer.write(document, out / "a.pdf", Metadata(title="t"))
    finally:
        renderer.close()
    assert [d.file for d in diag.warnings] == ["page.md"]
    assert list(out.iterdir()) == []


def test_write_failure_keeps_the_previous_pdf(
    work: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    def disk_full(self: object, target: Path, **options: object) -> None:
        Path(target).write_bytes(b"%PDF-1.7 half a fi")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(weasyprint.Document, "write_pdf", disk_full)
    folder, before = work
    code, _, err = cli(["build", "--manual", "--force", "--source", "good", "--out", "out"],
                       folder)  # fmt: skip
    assert code == 1
    assert "No space left on device" in assert_one_line(err)
    assert_intact(folder / "out", before)


def test_target_taken_by_a_folder(tmp_path: Path) -> None:
    write_space(tmp_path / "good")
    (tmp_path / "out" / "manual.pdf").mkdir(parents=True)
    code, _, err = cli(["build", "--manual", "--source", "good", "--out", "out"], tmp_path)
    assert code == 1
    assert "cannot write manual.pdf" in assert_one_line(err)
    assert no_parts(tmp_path / "out") == []


def test_unwritable_out(tmp_path: Path) -> None:
    """Tests run as root, where chmod stops nothing: a regular file stands in the way."""
    write_space(tmp_path / "good")
    (tmp_path / "somefile").write_text("not a folder")
    code, _, err = cli(["build", "--manual", "--source", "good", "--out", "somefile/out"], tmp_path)
    assert code == 1
    line = assert_one_line(err)
    assert "somefile/out" in line
    assert "cannot write the output folder" in line
    assert "--out" in line


def test_two_builds_at_once(work: tuple[Path, bytes]) -> None:
    folder, before = work
    with build_lock(folder / "out"):
        code, _, err = cli(["build", "--manual", "--force", "--source", "good", "--out", "out"],
                           folder)  # fmt: skip
    assert code == 1
    assert "another guideprint build is writing this folder" in assert_one_line(err)
    assert_intact(folder / "out", before)
    code, _, err = cli(["build", "--manual", "--force", "--source", "good", "--out", "out"],
                       folder)  # fmt: skip
    assert code == 0, err
