"""The real renderer behind welcome packs: personalised cards, one Renderer per process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from builder.diagnostics import Diagnostics
from builder.project import load_project

if TYPE_CHECKING:
    from builder.cards import Card, CardResult
    from builder.welcome import Person


class CardPackRenderer:
    """Made once per worker process (WeasyPrint and fonts are loaded once), then many people."""

    def __init__(self, diag: Diagnostics, cwd: str, source: str, manual: str) -> None:
        from builder.cards import load_cards
        from builder.gate import install, is_active
        from builder.pdf import Renderer

        project = load_project(Path(cwd), source=Path(source))
        if not is_active():  # a worker process: every read of it behind the project's gate
            install(project.gate)  # (in the command's own process, its gate stays: it has the CSV)
        self.manual = Path(manual)
        self.renderer = Renderer(list(project.gate.roots or ()), diag)
        cards = load_cards(project.source / "cards", project.settings, diag, check=False)
        self.cards: dict[str, Card] = {card.name: card for card in cards}
        self.fitted: dict[str, CardResult] = {}

    def cards_for(self, person: Person, out_dir: Path) -> list[Path]:
        """Write the person's cards, their name and extension printed on each."""
        from builder.cards import render_card

        written = []
        for name in person.devices:
            target = out_dir / f"{name}.pdf"
            details = {"name": person.name, "extension": person.extension, "login": person.email}
            # The size that fitted for the last person is the best first guess for this one.
            result = render_card(
                self.cards[name],
                self.renderer,
                target,
                person=details,
                previous=self.fitted.get(name),
            )
            self.fitted[name] = result
            written.append(target)
        return written

    def manual_pdf(self) -> Path:
        """The manual, rendered once by the build before the packs."""
        return self.manual


def make_renderer(diag: Diagnostics, cwd: str, source: str, manual: str) -> CardPackRenderer:
    """A top-level factory: picklable for worker processes."""
    return CardPackRenderer(diag, cwd, source, manual)
