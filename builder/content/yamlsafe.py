"""YAML as a space writes it (front matter, .gitbook.yaml, vars.yaml, docs.yaml): safe types
only, and no aliases or deep nesting, which make a few hundred bytes cost minutes.

A "billion laughs" of 379 bytes (nine anchors, each a list of nine aliases of the previous)
loads in milliseconds as shared references, then expands to 9^9 strings wherever it is
walked or written out: 79 s and 3 GB for one page's front matter. GitBook writes no anchors,
so they are refused where they are written, with their line.
"""

from __future__ import annotations

from typing import Any, NoReturn

import yaml
from yaml.error import Mark
from yaml.events import AliasEvent, CollectionStartEvent, Event, NodeEvent
from yaml.nodes import Node

MAX_DEPTH = 50  # nested lists and mappings; past this the composer's recursion runs out


class YAMLRefused(yaml.MarkedYAMLError):
    """YAML that parses but is refused; problem and problem_mark say what and where."""

    def __init__(self, problem: str, mark: Mark | None, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


def load_yaml(text: str, *, what: str = "front matter") -> Any:
    """Parse text with PyYAML's safe loader, refusing anchors, aliases and deep nesting."""
    loader = _Loader(text, what)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer refuses a node with an anchor or an alias before building."""

    def __init__(self, text: str, what: str) -> None:
        super().__init__(text)
        self.what = what
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            problem = f"YAML aliases (&name / *name) are not allowed in {self.what}"
            self.refuse(problem, event, "write each value out in full")
        nested = isinstance(event, CollectionStartEvent)
        if nested and self.depth >= MAX_DEPTH:
            problem = f"YAML nested deeper than {MAX_DEPTH} levels in {self.what}"
            self.refuse(problem, event, "flatten the structure")
        self.depth += nested
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= nested

    def refuse(self, problem: str, event: Event, hint: str) -> NoReturn:
        mark = event.start_mark
        raise YAMLRefused(problem, mark if isinstance(mark, Mark) else None, hint)


__all__ = ["MAX_DEPTH", "YAMLRefused", "load_yaml"]
