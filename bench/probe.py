"""In-process measurements bench/run.py makes in a child process; prints one JSON object.

    python bench/probe.py fit OUT        fit every card of the project (cwd); renders per card
    python bench/probe.py warm OUT CARD N   a --watch process: N edits of CARD, rebuild times

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


def main(argv: list[str]) -> int:
    """Dispatch and print the result as JSON on stdout."""
    logging.getLogger("guideprint").setLevel(logging.ERROR)
    logging.getLogger("guideprint").propagate = False
    what, out = argv[0], Path(argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    result = fit(out) if what == "fit" else warm(out, argv[2], int(argv[3]))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
