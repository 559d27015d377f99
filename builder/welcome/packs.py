"""The real renderer behind welcome packs: a person's personalised cards laid out one by one,
written as one tagged PDF (PDF/UA-1: WeasyPrint tags it); one renderer per process."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from builder.diagnostics import Collected, Diagnostics
from builder.errors import GuideError, RenderError
from builder.gate import Seen, current
from builder.project import Project, load_project

if TYPE_CHECKING:
    from builder.cards import Card, CardResult
    from builder.welcome.pack import PackMeta
    from builder.welcome.people import Person


class CardPackRenderer:
    """Made once per worker process (WeasyPrint and fonts are loaded once), then many people."""

    def __init__(self, diag: Diagnostics, cwd: str, source: str, manual: str) -> None:
        from builder.cards.model import card_names
        from builder.gate import install, is_active
        from builder.pdf import Renderer

        project = load_project(Path(cwd), source=Path(source))
        if not is_active():  # a worker process: every read of it behind the project's gate
            install(project.gate)  # (in the command's own process, its gate stays: it has the CSV)
        self.manual = Path(manual)
        self.renderer = Renderer(list(project.gate.roots or ()), diag, not_from=[project.out])
        self.cards: dict[str, tuple[Card, dict[str, Markup]]] = {}
        self.problems: dict[str, GuideError] = {}
        # Each card read by its file, with what it read: a pack depends on its own cards only.
        self.seen: dict[str, dict[str, Seen]] = {}
        for name in card_names(project.source / "cards"):
            self.seen[name] = self._read(project.source / "cards" / f"{name}.md", name, project)
        self.fitted: dict[str, CardResult] = {}

    def _read(self, path: Path, name: str, project: Project) -> dict[str, Seen]:
        """Read and convert one card as the build does (its edition from what it read)."""
        from builder.cards import parse_card, sides_html
        from builder.cards.edition import dated

        with current().recording() as seen:
            try:
                card = parse_card(path, project.settings)
                bodies = sides_html(card, Collected())  # the build reports its warnings
                self.cards[name] = (dated(card, seen), bodies)
            except GuideError as exc:
                self.problems[name] = exc
        return dict(seen)

    def pack_for(self, person: Person, target: Path, meta: PackMeta) -> None:
        """Write the person's cards, their name and extension printed on each, as one PDF."""
        from builder.cards.fit import TAGGED, lay_out_card
        from builder.pdf import Metadata

        documents = []
        details = {"name": person.name, "extension": person.extension, "login": person.email}
        for name in person.devices:
            if name not in self.cards:
                why = self.problems.get(name) or "no such card"
                raise RenderError(f"card '{name}': {why}", hint="guideprint check tells more")
            card, bodies = self.cards[name]
            # What laying it out reads (layouts, images) belongs to that card, read once here.
            with current().recording() as seen:
                document, result = lay_out_card(
                    card,
                    self.renderer,
                    target,
                    person=details,
                    previous=self.fitted.get(name),  # the size that fitted last: a first guess
                    bodies=bodies,
                )
            self.seen[name].update(seen)
            self.fitted[name] = result
            documents.append(document)
        merged: Any = documents[0].copy([page for doc in documents for page in doc.pages])
        info = Metadata(title=meta.title, author=meta.author, subject=meta.subject,
                        lang=meta.lang)  # fmt: skip
        self.renderer.write(merged, target, info, variant=TAGGED)

    def inputs_of(self, person: Person) -> Mapping[str, Seen]:
        """What the person's cards were read and laid out from (once per process)."""
        found: dict[str, Seen] = {}
        for name in person.devices:
            found.update(self.seen.get(name, {}))
        return found

    def manual_pdf(self) -> Path:
        """The manual, rendered once by the build before the packs."""
        return self.manual


def make_renderer(diag: Diagnostics, cwd: str, source: str, manual: str) -> CardPackRenderer:
    """A top-level factory: picklable for worker processes."""
    return CardPackRenderer(diag, cwd, source, manual)
