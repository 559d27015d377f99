"""The fonts every output uses: installed by the set-up from Debian packages, never guessed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.errors import RenderError

NOTO = Path("/usr/share/fonts/truetype/noto")


@dataclass(frozen=True)
class Face:
    family: str
    file: Path
    weight: str
    style: str
    package: str


FACES = (
    Face("GP Sans", NOTO / "NotoSans-Regular.ttf", "normal", "normal", "fonts-noto-core"),
    Face("GP Sans", NOTO / "NotoSans-Bold.ttf", "bold", "normal", "fonts-noto-core"),
    Face("GP Sans", NOTO / "NotoSans-Italic.ttf", "normal", "italic", "fonts-noto-core"),
    Face("GP Sans", NOTO / "NotoSans-BoldItalic.ttf", "bold", "italic", "fonts-noto-core"),
    Face("GP Mono", NOTO / "NotoSansMono-Regular.ttf", "normal", "normal", "fonts-noto-mono"),
    Face("GP Mono", NOTO / "NotoSansMono-Bold.ttf", "bold", "normal", "fonts-noto-mono"),
    Face("GP Emoji", NOTO / "NotoColorEmoji.ttf", "normal", "normal", "fonts-noto-color-emoji"),
)
# Families for CSS: text first, emoji as the fallback for the glyphs text fonts lack.
SANS = '"GP Sans", "GP Emoji"'
MONO = '"GP Mono", "GP Sans", "GP Emoji"'


def check_fonts() -> None:
    """Fail with the package to install when a font the outputs need is missing."""
    for face in FACES:
        if not face.file.is_file():
            raise RenderError(
                f"missing font {face.file}",
                hint=f"install the Debian package {face.package}: "
                f"'sudo apt-get install {face.package}', or run 'make setup'",
            )


def font_files() -> list[Path]:
    """The font files the renderer may read."""
    return [face.file for face in FACES]


def font_face_css() -> str:
    """@font-face rules for every face, as file URLs the sandboxed fetcher allows."""
    rules = []
    for f in FACES:
        rules.append(
            f'@font-face {{ font-family: "{f.family}"; src: url("{f.file.as_uri()}");'
            f" font-weight: {f.weight}; font-style: {f.style}; }}"
        )
    return "\n".join(rules) + "\n"
