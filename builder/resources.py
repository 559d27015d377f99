"""guideprint's own files: layouts/ and assets/, wherever guideprint runs from.

In the repository they are top-level folders beside builder/; a wheel maps them into the
package (pyproject.toml, [tool.setuptools.package-dir]), so an installed guideprint has them
as builder/layouts/ and builder/assets/. One function knows both places.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent  # the repository, when run from one


def bundled(name: str) -> Path:
    """The real path of guideprint's own folder `name` ("layouts", "assets").

    The installed package data first, else the repository's folder (an editable install
    or a run from the source tree). Either way a real folder on disk: every read goes
    through the gate, which reasons on real paths, so a zipped install is not supported.
    """
    packaged = files("builder") / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged.resolve()
    return CHECKOUT / name
