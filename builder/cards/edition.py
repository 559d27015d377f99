"""A card's edition: what tells an old laminated card from a new one ("édition 2026-12").

Reproducible: the setting when there is one, else the month of SOURCE_DATE_EPOCH, else the
month of the newest of the card's inputs as the read gate recorded them (the card file and
its includes at any depth), in UTC, whichever machine builds it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import replace

from builder.cards.model import Card
from builder.gate import Seen, current


def dated(card: Card, seen: Mapping[str, Seen]) -> Card:
    """The card with its edition, from what reading it read (`seen`, a gate recording)."""
    return replace(card, edition=edition_of(card, seen))


def edition_of(card: Card, seen: Mapping[str, Seen]) -> str:
    """The setting; else the month (UTC) of SOURCE_DATE_EPOCH; else of the newest input.

    The inputs are the card file and what reading its sides read inside the space (its
    includes, at any depth, and their images): a change of wording is a new edition, a
    change of layout or icon is not.
    """
    if card.settings.cards.edition:
        return card.settings.cards.edition
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return _month(int(epoch))
    space = os.path.realpath(card.space) + os.sep
    own = seen.get(str(card.path)) or current().seen.get(str(card.path))
    times = [s.mtime_ns for k, s in seen.items() if k.startswith(space) and s.mtime_ns >= 0]
    times += [own.mtime_ns] if own and own.mtime_ns >= 0 else []
    return _month(max(times) // 10**9 if times else 0)


def _month(seconds: int) -> str:
    when = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return f"{when.year:04d}-{when.month:02d}"
