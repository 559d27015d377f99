"""In-process measurements bench/run.py makes in a child process; prints one JSON object.

    python bench/probe.py fit OUT        fit every card of the project (cwd); renders per card
    python bench/probe.py warm OUT CARD N   a --watch process: N edits of CARD, rebuild times
    python bench/probe.py serve OUT CARD N [TYP...]  `guideprint serve`, the page in chromium:
                     N edits of CARD, each save -> its new picture loaded; after each, every
                     Typst document TYP compiled once in a new process (in turns: same load)

Run with the project as the working folder and the tree under test on PYTHONPATH. Both go
through the build's own API (builder.outputs.BuildRequest, builder.build) behind the
project's read gate, as `guideprint build` does.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any


def fit(out: Path) -> dict[str, Any]:
    """Lay out every card once, with its bleed as the build does: renders, sides, time."""
    from builder.build import card_names
    from builder.cards import load_card, render_card
    from builder.diagnostics import Diagnostics
    from builder.gate import activate
    from builder.pdf import Renderer
    from builder.project import load_project

    project = load_project(Path.cwd())
    diag = Diagnostics()
    cards: dict[str, Any] = {}
    with activate(project.gate):
        renderer = Renderer(list(project.gate.roots or ()), diag, names_from=project.root,
                            cache_dir=project.cache / "remote")  # fmt: skip
        for name in card_names(project):
            card = load_card(project.source / "cards", name, project.settings)
            start = time.perf_counter()
            result = render_card(card, renderer, out / f"{name}.pdf", bleed=True)
            cards[name] = {
                "renders": result.renders,
                "sides": len(result.sizes),
                "sizes": result.sizes,
                "fill": result.fill,
                "seconds": round(time.perf_counter() - start, 4),
            }
        renderer.close()
    return {"cards": cards}


def warm(out: Path, card: str, count: int) -> dict[str, Any]:
    """What --watch does after a save: the project loaded again, build() in a process that
    has built already (WeasyPrint and the renderers' modules imported)."""
    from builder.build import build
    from builder.diagnostics import Diagnostics
    from builder.gate import activate
    from builder.outputs import BuildRequest
    from builder.project import load_project

    request = BuildRequest()  # `guideprint build --out OUT`: everything

    def again() -> float:
        start = time.perf_counter()
        project = load_project(Path.cwd(), out=out)
        with activate(project.gate):
            build(project, request, Diagnostics())
        return time.perf_counter() - start

    again()  # whatever is stale; imports WeasyPrint if needed
    source = load_project(Path.cwd(), out=out).source / "cards" / f"{card}.md"
    original = source.read_text(encoding="utf-8")
    edits, noops = [], []
    try:
        for n in range(count):
            source.write_text(original + f"\n<!-- warm {n} -->\n", encoding="utf-8")
            edits.append(again())
            noops.append(again())
    finally:
        source.write_text(original, encoding="utf-8")
    return {"edit": edits, "noop": noops}


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# In the page: when the front's <img> is told of a new picture (the state's event has come,
# serve.js's swap sets data-want) and when that picture has loaded in it (its load event).
RECORDER = """(selector) => {
  window.told = []; window.loaded = []; const seen = new WeakSet();
  const hook = () => {
    const img = document.querySelector(selector);
    if (!img || seen.has(img)) return;
    seen.add(img);
    img.addEventListener("load", () => window.loaded.push(Date.now()));
    new MutationObserver(() => window.told.push(Date.now()))
      .observe(img, {attributes: true, attributeFilter: ["data-want"]});
  };
  hook();
  new MutationObserver(hook).observe(document.body, {subtree: true, childList: true});
}"""


def serve(out: Path, card: str, count: int, typst: list[Path]) -> dict[str, Any]:
    """`guideprint serve` on a free port, its page open in chromium (Playwright): `count`
    saves of the card, each a new title, timed from the write to the new picture's load
    event in the page (clocks of one machine: the page's Date.now against time.time); after
    each, the Typst documents compiled, each in a new process."""
    import os
    import shutil
    import signal
    import socket
    import subprocess

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(out / "serve.log", "wb")  # closed with the server
    server = subprocess.Popen([sys.executable, "-m", "builder", "serve", "--port", str(port),
                               "--out", str(out)], stdout=log, stderr=log,
                              start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    source = Path.cwd() / "content" / "cards" / f"{card}.md"
    original = source.read_text(encoding="utf-8")
    try:
        _until_built(server, url)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                return _edits(browser.new_page(), url, card, source, original, count, typst)
            finally:
                browser.close()
    finally:
        source.write_text(original, encoding="utf-8")
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C, as a person stops it
        server.wait(timeout=60)
        log.close()


def _until_built(server: Any, url: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"guideprint serve exited {server.returncode}")
        try:
            with urllib.request.urlopen(url + "state.json", timeout=5) as answer:
                state = json.loads(answer.read())
            if state.get("version", 0) >= 2 and not state["building"]:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("guideprint serve did not finish its first build in 300 s")


def _edits(page: Any, url: str, card: str, source: Path, original: str, count: int,
           typst: list[Path]) -> dict[str, Any]:  # fmt: skip
    import re
    import subprocess

    compile_ = "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root='/')"
    peers: dict[str, list[float]] = {doc.stem: [] for doc in typst}

    front = f'figure.card[data-card="{card}"] img[data-side="front"]'
    page.goto(url)
    page.wait_for_function(
        "(s) => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth; }",
        arg=front,
    )
    page.evaluate(RECORDER, front)
    title = re.search(r"^title: *(.+)$", original, re.M)
    assert title is not None, f"cards/{card}.md has no title line"
    shown, told = [], []
    for n in range(count):
        page.wait_for_function("() => document.body.dataset.building === 'false'")
        time.sleep(0.3)  # the watcher's quiet: nothing else changing
        loads = page.evaluate("window.loaded.length")
        saved = time.time()
        source.write_text(original.replace(title[0], f"{title[0]} ({n})", 1), encoding="utf-8")
        page.wait_for_function("(k) => window.loaded.length > k", arg=loads, timeout=60_000)
        loaded, want = page.evaluate("[window.loaded.at(-1), window.told.at(-1)]")
        shown.append(loaded / 1000 - saved)
        told.append(want / 1000 - saved)
        page.wait_for_function("() => document.body.dataset.building === 'false'")
        for doc in typst:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", compile_, str(doc), str(doc.with_suffix(".pdf"))],
                           check=True, cwd=doc.parent)  # fmt: skip
            peers[doc.stem].append(time.perf_counter() - start)
    return {"shown": shown, "told": told, "typst": peers}


def main(argv: list[str]) -> int:
    """Dispatch and print the result as JSON on stdout."""
    logging.getLogger("guideprint").setLevel(logging.ERROR)
    logging.getLogger("guideprint").propagate = False
    what, out = argv[0], Path(argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if what == "serve":
        result = serve(out, argv[2], int(argv[3]), [Path(a).resolve() for a in argv[4:]])
    else:
        result = fit(out) if what == "fit" else warm(out, argv[2], int(argv[3]))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
