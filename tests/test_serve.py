"""guideprint serve, as a person uses it: the command started in a copy of the project, the
page opened in a real browser (Playwright driving Debian's chromium), a card edited, broken
(overfull) and fixed while the page watches; then what a hostile page or URL could ask of
the server, with plain HTTP; then Ctrl-C.

One server for the module (its first build is the project's whole build); the tests run in
file order, the last one stops it. A missing chromium fails, with what to install.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "serve.png"  # README's picture: written when missing or asked
FRONT = 'figure.card[data-card="vpn"] img[data-side="front"]'
STARTUP_S = 180  # the copy's first whole build, on a busy 2-core machine
OVERFULL = "\n".join(
    f"- Étape supplémentaire {n} : un texte assez long pour remplir la carte et la déborder."
    for n in range(60)
)


@dataclass
class Server:
    """A `guideprint serve` running in a copy of the project."""

    process: subprocess.Popen[bytes]
    port: int
    project: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str, host: str | None = "default") -> tuple[int, bytes]:
        """GET path as sent (no normalisation) with this Host header (None: no header)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
            if host is not None:
                conn.putheader("Host", f"127.0.0.1:{self.port}" if host == "default" else host)
            conn.endheaders()
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def state(self) -> dict[str, Any]:
        import json

        status, body = self.get("/state.json")
        assert status == 200
        state: dict[str, Any] = json.loads(body)
        return state

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _sigint_as_default() -> None:  # pragma: no cover - in the child, before exec
    # A shell's background job starts with SIGINT ignored, and Python keeps it so: Ctrl-C is
    # what this test sends, so the server gets the terminal's default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`guideprint serve --port N` in a copy of the project, its first build done."""
    import shutil

    project = tmp_path_factory.mktemp("serve")
    for name in ("content", "layouts", "assets"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy(ROOT / "guideprint.toml", project / "guideprint.toml")
    log = project / "serve.log"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "builder", "serve", "--port", str(port)],
            cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
            start_new_session=True, preexec_fn=_sigint_as_default,
        )  # fmt: skip
    server = Server(process, port, project, log)
    try:
        _wait_until_built(server)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_until_built(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"guideprint serve exited {server.process.returncode}:\n{server.stderr()}")
        try:
            state = server.state()
        except OSError:
            time.sleep(0.1)
            continue
        if state.get("version", 0) >= 2 and not state["building"]:
            assert state["ok"], state
            return
        time.sleep(0.1)
    pytest.fail(f"guideprint serve did not finish its first build:\n{server.stderr()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, driven by Playwright (which cannot download its own here)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium "
            "(scripts/setup-system.sh --test installs it)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _settled(page: Any, after: int) -> None:
    """Wait until the page shows a state newer than `after` with nothing being built."""
    page.wait_for_function(
        "(after) => Number(document.body.dataset.version) > after"
        " && document.body.dataset.building === 'false'",
        arg=after,
        timeout=60_000,
    )


def _version(page: Any) -> int:
    return int(page.evaluate("Number(document.body.dataset.version || 0)"))


def test_the_page_follows_every_save(served: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(served.url)
    page.wait_for_function(
        f"() => {{ const i = document.querySelector('{FRONT}');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert page.locator("#banner").is_hidden()
    cards = [p for p in (served.project / "content" / "cards").glob("*.md") if p.stem != "README"]
    assert page.locator("figure.card").count() == len(cards)
    thumbs = page.locator("#pages a.page")
    assert thumbs.count() > 3
    assert thumbs.nth(2).get_attribute("href") == "/out/manual.pdf#page=3"
    assert thumbs.nth(2).inner_text().strip() == "3"
    page.check("#true-size")  # true size: the card 105 mm wide, against a 100 mm scale
    width = page.evaluate(f"document.querySelector('{FRONT}').getBoundingClientRect().width")
    ruler = page.evaluate("document.querySelector('#scale .ruler').getBoundingClientRect().width")
    assert width == pytest.approx(ruler * 105 / 100, abs=1)
    page.uncheck("#true-size")
    _screenshot(page)

    card = served.project / "content" / "cards" / "vpn.md"
    original = card.read_text(encoding="utf-8")
    seconds = []
    for n in range(1, 4):
        before = page.get_attribute(FRONT, "src")
        version = _version(page)
        start = time.perf_counter()
        _edit(card, "title: Se connecter au VPN", f"title: Se connecter au VPN ({n})")
        page.wait_for_function(
            "([selector, before]) => { const i = document.querySelector(selector);"
            " return i.getAttribute('src') !== before && i.complete && i.naturalWidth > 0; }",
            arg=[FRONT, before],
            timeout=30_000,
        )
        seconds.append(time.perf_counter() - start)
        after = page.get_attribute(FRONT, "src")
        assert served.get(before)[1] != served.get(after)[1]  # another picture, not a new name
        _settled(page, version)
    # The issue asks for the edited card on the page within a second of the save.
    assert min(seconds) < 1.0, f"save to new picture: {seconds}"

    good = page.get_attribute(FRONT, "src")
    version = _version(page)
    card.write_text(original + "\n" + OVERFULL + "\n", encoding="utf-8")
    page.wait_for_selector("#banner:not([hidden])", timeout=60_000)
    _settled(page, version)
    banner = page.inner_text("#banner")
    assert re.search(r"cards/vpn\.pdf: failed: .*does not fit.* over by \d+ mm", banner), banner
    figure = page.locator('figure.card[data-card="vpn"]')
    assert figure.get_attribute("data-stale") == "true"
    assert "over by" in figure.locator(".problem").inner_text()
    assert page.get_attribute(FRONT, "src") == good  # the last good picture, kept
    assert page.locator('figure.card[data-card="desktop"]').get_attribute("data-stale") == "false"

    version = _version(page)
    card.write_text(original, encoding="utf-8")
    page.wait_for_selector("#banner", state="hidden", timeout=60_000)
    _settled(page, version)
    assert figure.get_attribute("data-stale") == "false"
    assert figure.locator(".problem").is_hidden()
    assert "up to date" in page.inner_text("#status")

    # Settings that no longer load: said on the page, the pictures kept, stale.
    toml = served.project / "guideprint.toml"
    settings = toml.read_text(encoding="utf-8")
    version = _version(page)
    toml.write_text(settings + "\n[cards\n", encoding="utf-8")
    page.wait_for_selector("#banner:not([hidden])", timeout=60_000)
    _settled(page, version)
    assert "guideprint.toml:" in page.inner_text("#banner")
    assert "invalid TOML" in page.inner_text("#banner")
    assert figure.get_attribute("data-stale") == "true"
    version = _version(page)
    toml.write_text(settings, encoding="utf-8")  # the same bytes: nothing to build again
    page.wait_for_selector("#banner", state="hidden", timeout=60_000)
    _settled(page, version)
    assert figure.get_attribute("data-stale") == "false"
    page.close()
    assert problems == []


def _screenshot(page: Any) -> None:
    """The page as README shows it: written when missing, or again with
    GUIDEPRINT_UPDATE_DOCS=1 (a picture that changes each run is no use in git)."""
    import io

    from PIL import Image

    page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth)")
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    assert shot.width == 1400
    assert shot.height > 1000
    if os.environ.get("GUIDEPRINT_UPDATE_DOCS") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        # 256 colours: a third of the size, well under pre-commit's 500 kB for a file added.
        shot.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(
            SCREENSHOT, optimize=True
        )


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
        "localhost:1",
        "[::1]:{port}",
        None,
    ],
)
def test_a_host_other_than_loopback_is_refused(served: Server, host: str | None) -> None:
    status, body = served.get("/state.json", host.format(port=served.port) if host else None)
    assert status == 403
    assert b"cards" not in body


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1:{port}",
                                  "LOCALHOST:{port}"])  # fmt: skip
def test_loopback_names_are_served(served: Server, host: str) -> None:
    assert served.get("/state.json", host.format(port=served.port))[0] == 200


def test_only_outputs_and_the_page_are_served(served: Server, tmp_path: Path) -> None:
    project = served.project
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 SECRET-SERVE-7c1\n")
    for ok in ("/", "/page/serve.js", "/page/serve.css", "/out/manual.pdf", "/out/cards/vpn.pdf",
               "/out/print/cartes-bureau.pdf"):  # fmt: skip
        assert served.get(ok)[0] == 200, ok
    out = project / "out"
    # A known output replaced by a link out, and a folder of outputs that is a link out.
    (out / "print" / "cartes-bureau.pdf").unlink()
    (out / "print" / "cartes-bureau.pdf").symlink_to(secret)
    outside = tmp_path / "imprimeur"
    outside.mkdir()
    (outside / "planche-sra3.pdf").write_bytes(secret.read_bytes())
    os.rename(out / "print" / "imprimeur", tmp_path / "moved")
    (out / "print" / "imprimeur").symlink_to(outside)
    refused = [
        "/out/print/cartes-bureau.pdf",
        "/out/print/imprimeur/planche-sra3.pdf",
        "/out/../guideprint.toml",
        "/out/%2e%2e/guideprint.toml",
        "/out/%2E%2E%2Fguideprint.toml",
        "/out/cards/..%2f..%2fguideprint.toml",
        "/../guideprint.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/page/../__init__.py",
        "/page/%2e%2e/server.py",
        "/page/..%2fserver.py",
        "//etc/passwd",
        "/etc/passwd",
        "/out//etc/passwd",
        f"/out/{secret}",
        f"/out/{project}/guideprint.toml",
        "/out/.guideprint-ledger.json",
        "/out/.guideprint.lock",
        "/guideprint.toml",
        "/content/cards/vpn.md",
        "/png/" + "0" * 64 + "/1.png",
        "/png/../../guideprint.toml",
    ]
    for path in refused:
        status, body = served.get(path)
        assert status == 404, path
        assert not re.search(rb"SECRET|root:|\[cards\]", body), path
    state = served.state()
    picture = state["cards"][0]["sides"][0]["png"]
    assert served.get(picture)[0] == 200
    assert served.get(picture.replace("/1.png", "/99.png"))[0] == 404


def test_ctrl_c_stops_the_server_cleanly(served: Server) -> None:  # last: it stops the server
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=30) == 0, served.stderr()
    assert "stopped serving" in served.stderr()
    with pytest.raises(ProcessLookupError):  # nothing of its session is left running
        os.killpg(served.process.pid, 0)
    with pytest.raises(ConnectionRefusedError):  # nor listening
        socket.create_connection(("127.0.0.1", served.port), timeout=2).close()


# -- the parts, without a browser ------------------------------------------------------------


def test_a_port_in_use_is_one_line(copy: Path) -> None:
    from clirun import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, _, err = cli(["serve", "--port", str(taken.getsockname()[1])], copy)
    assert code == 1
    assert re.fullmatch(r"error: cannot listen on 127\.0\.0\.1:\d+: .+ \(give another port: "
                        r"--port N\)\n", err), err  # fmt: skip


def test_pictures_are_the_pages_as_pdfium_draws_them(tmp_path: Path) -> None:
    import io

    import pypdfium2 as pdfium
    from PIL import Image, ImageChops

    from builder.gate import Gate
    from builder.serve.pictures import Pictures

    pdf_path = tmp_path / "card.pdf"
    Image.new("RGB", (300, 420), (200, 30, 40)).save(pdf_path, "PDF", resolution=72)
    pictures = Pictures(Gate.of([tmp_path]))
    pdf = pictures.load(pdf_path, 96)
    assert pdf is not None
    assert pdf.pages == ((105.8, 148.2),)  # 300 x 420 pt in mm
    png = pictures.png(pdf.digest, 1)
    assert png is not None
    assert pictures.png(pdf.digest, 1) is png  # drawn once per version
    assert pictures.png(pdf.digest, 2) is None
    drawn = Image.open(io.BytesIO(png))
    assert drawn.info["dpi"] == pytest.approx((96, 96), abs=0.1)
    reference = pdfium.PdfDocument(pdf_path.read_bytes())[0].render(scale=96 / 72).to_pil()
    assert drawn.size == reference.size == (400, 560)
    assert ImageChops.difference(drawn.convert("RGB"), reference.convert("RGB")).getbbox() is None
    outside = tmp_path.parent / f"{tmp_path.name}-outside.pdf"
    outside.write_bytes(pdf_path.read_bytes())
    (tmp_path / "link.pdf").symlink_to(outside)
    assert pictures.load(tmp_path / "link.pdf", 96) is None  # through the gate: refused


def test_a_save_is_seen_as_the_file_system_reports_it(tmp_path: Path) -> None:
    """The watcher serve and --watch share: woken by the file system, not by its poll (5 s
    here), and a watched file replaced by a rename is still seen (by the poll, then watched
    again)."""
    from builder.watch import Poller

    space, settings = tmp_path / "space", tmp_path / "guideprint.toml"
    space.mkdir()
    (space / "page.md").write_text("a", encoding="utf-8")
    settings.write_text("a", encoding="utf-8")
    poller = Poller([space, settings], interval=5)
    try:
        poller.changed()
        threading_timer(0.3, lambda: (space / "page.md").write_text("b", encoding="utf-8"))
        start = time.monotonic()
        assert poller.wait() == [str(space / "page.md")]
        assert time.monotonic() - start < 2
        poller.interval = 0.2
        replaced = tmp_path / "new.toml"
        replaced.write_text("bb", encoding="utf-8")
        os.replace(replaced, settings)
        assert poller.wait() == [str(settings)]
        threading_timer(0.3, lambda: settings.write_text("ccc", encoding="utf-8"))
        assert poller.wait() == [str(settings)]
    finally:
        poller.close()


def threading_timer(seconds: float, action: Any) -> None:
    import threading

    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
