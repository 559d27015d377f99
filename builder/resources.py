"""guideprint's own files: layouts/ and assets/, wherever guideprint runs from.

In the repository they are top-level folders beside builder/; a wheel maps them into the
package (pyproject.toml, [tool.setuptools.package-dir]), so an installed guideprint has them
as builder/layouts/ and builder/assets/. One function knows both places.
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent  # the repository, when run from one


def bundled(name: str) -> Path:
    """The real path of guideprint's own folder `name` ("layouts", "assets").

    The installed package data first, else the repository's folder (an editable install
    or a run from the source tree). Either way a real folder on disk: every read goes
    through the gate, which reasons on real paths, so a zipped install is not supported.
    """
    # importlib.resources.files("builder") / name, without importing importlib.resources
    # (5 ms of every start, a no-op build's included): for a package on disk, which the gate
    # needs anyway, it is this folder.
    packaged = Path(__file__).resolve().parent / name
    if packaged.is_dir():
        return packaged
    return CHECKOUT / name


def installed_source(package: str, name: str) -> bytes | None:
    """The bytes of one file of an installed package (name relative to it, "text/ffi.py"),
    found without importing the package; None when there is no such package or file."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        return (Path(spec.submodule_search_locations[0]) / name).read_bytes()
    except OSError:
        return None
