"""In-process measurements bench/run.py makes in a child process; prints one JSON object.

    python bench/probe.py fit OUT        fit every card of the project (cwd); renders per card
    python bench/probe.py warm OUT CARD N   a --watch process: N edits of CARD, rebuild times

Run with the project as the working folder and the tree under test on PYTHONPATH.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any


def fit(out: Path) -> dict[str, Any]:
    """Render every card once in one process: renders, sides and time per card."""
    from builder.build import cards_dir
    from builder.cards import load_cards, render_card
    from builder.diagnostics import Diagnostics
    from builder.pdf import Renderer
    from builder.project import load_project

    project = load_project(Path.cwd())
    diag = Diagnostics()
    renderer = Renderer([project.root, project.source, project.cache], diag)
    cards: dict[str, Any] = {}
    for card in load_cards(cards_dir(project), project.settings, diag):
        start = time.perf_counter()
        result = render_card(card, renderer, out / f"{card.name}.pdf")
        cards[card.name] = {
            "renders": result.renders,
            "sides": len(result.sizes),
            "sizes": result.sizes,
            "fill": result.fill,
            "seconds": round(time.perf_counter() - start, 4),
        }
    renderer.close()
    return {"cards": cards}


def warm(out: Path, card: str, count: int) -> dict[str, Any]:
    """What --watch does after a save: build() again in a process that has built already."""
    from builder.build import build
    from builder.cli import _parser
    from builder.diagnostics import Diagnostics
    from builder.project import load_project

    args = _parser().parse_args(["build", "--out", str(out)])
    project = load_project(Path.cwd(), out=out)
    build(project, args, Diagnostics())  # whatever is stale; imports WeasyPrint if needed
    source = project.source / "cards" / f"{card}.md"
    original = source.read_text(encoding="utf-8")
    edits, noops = [], []
    try:
        for n in range(count):
            source.write_text(original + f"\n<!-- warm {n} -->\n", encoding="utf-8")
            start = time.perf_counter()
            build(project, args, Diagnostics())
            edits.append(time.perf_counter() - start)
            start = time.perf_counter()
            build(project, args, Diagnostics())
            noops.append(time.perf_counter() - start)
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
