"""The fontTools modules WeasyPrint imports at its start and seldom calls, loaded on first use.

weasyprint.pdf.fonts begins with `from fontTools import subset` and `from fontTools.varLib
.instancer import instantiateVariableFont`: 0.14 s of every new process here (the two pull
in fontTools.varLib, otTables, the feature builders), beyond the 45 ms of fontTools.ttLib it
needs anyway. It calls them only to subset a font without HarfBuzz (Debian's
libharfbuzz-subset is there: never) and to make a variable font static (the font set's are
static: never). `deferred()` is held around `import weasyprint`:

- fontTools.subset is imported as a lazy module (the standard library's LazyLoader): it
  runs when one of its names is first used;
- fontTools.varLib.instancer is, for the length of the import, a stand-in whose one name
  imports the real module when called; the stand-in is gone from sys.modules afterwards,
  so any other import of the module gets the real one.

Only when weasyprint/pdf/fonts.py imports them as these two lines say (read first, 0.1 ms);
any other WeasyPrint imports them itself. The PDF is the same: only when they load changes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from builder.resources import installed_source

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any

LINES = ("from fontTools import subset\n",
         "from fontTools.varLib.instancer import instantiateVariableFont\n")  # fmt: skip
INSTANCER = "fontTools.varLib.instancer"


def _expected() -> bool:
    """Does the installed WeasyPrint import the two as LINES say, and not yet imported?"""
    if "weasyprint.pdf.fonts" in sys.modules or "fontTools.subset" in sys.modules:
        return False
    source = installed_source("weasyprint", "pdf/fonts.py")
    try:
        text = source.decode("utf-8") if source is not None else ""
    except UnicodeDecodeError:
        return False
    return all(text.count(line) == 1 for line in LINES)


def instantiateVariableFont(*args: Any, **options: Any) -> Any:  # noqa: N802 -- its name
    """fontTools.varLib.instancer's, imported at its first call."""
    from fontTools.varLib import instancer

    return instancer.instantiateVariableFont(*args, **options)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold around `import weasyprint` (see the module's words)."""
    if not _expected():
        yield
        return
    import types

    import fontTools

    spec = importlib.util.find_spec("fontTools.subset")
    if spec is None or spec.loader is None:
        yield
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    subset = importlib.util.module_from_spec(spec)
    sys.modules["fontTools.subset"] = subset
    spec.loader.exec_module(subset)  # lazy: the module's code runs at its first attribute
    fontTools.subset = subset
    stand_in = types.ModuleType(INSTANCER, "stands in while WeasyPrint is imported")
    stand_in.instantiateVariableFont = instantiateVariableFont  # type: ignore[attr-defined]
    sys.modules[INSTANCER] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(INSTANCER) is stand_in:
            del sys.modules[INSTANCER]
