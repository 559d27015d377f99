"""The fonts every output uses, found through fontconfig: exact files, never a look-alike.

Each face is named by its file (NotoSans-Bold.ttf is the same font wherever a system installs
it) and fontconfig, the library Pango renders with, says where that is. It is asked in this
process, through ctypes: 6 ms at import, which every command pays anyway (the gate allows these
files, the ledger fingerprints them); `fc-list` would cost 9 ms and start a program the read
audit (tests/test_gate.py) cannot follow. By file name, not by pattern as `fc-match` does:
fontconfig answers a pattern with its closest font, and a missing Noto Sans would silently
become DejaVu Sans on every page.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from builder.errors import RenderError

# Where Debian and Ubuntu put the Noto fonts: preferred when present, and what a face is
# reported as when fontconfig knows no file of its name (fonts-noto-cjk's are OpenType).
NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto")
# libfontconfig's names: Linux, macOS (Homebrew, or DYLD_FALLBACK_LIBRARY_PATH as WeasyPrint
# asks), Windows. Names with a version only: a bare name would make ctypes run ldconfig.
FONTCONFIG = (
    "libfontconfig.so.1",
    "libfontconfig.1.dylib",
    "/opt/homebrew/lib/libfontconfig.1.dylib",
    "/usr/local/lib/libfontconfig.1.dylib",
    "libfontconfig-1.dll",
)
# The fontconfig configuration WeasyPrint is given: the set's files and no other (see
# use_font_set). A file of guideprint's, not written at run time: nothing to write outside
# the project, and fontconfig's own caches of those folders serve it.
CONF_NAME = "fonts.conf"


@dataclass(frozen=True)
class Face:
    family: str  # the name our CSS uses
    file: Path
    weight: str
    style: str
    package: str  # the Debian package that installs it


@dataclass(frozen=True)
class Wanted:
    family: str
    name: str  # the font's file name: NotoSans-Bold.ttf
    weight: str
    style: str
    package: str
    font: str  # the font's own name, for a hint off Debian: "Noto Sans"


def _script(font: str, *weights: str) -> tuple[Wanted, ...]:
    """A Noto family of fonts-noto-core for one script, in the weights Debian ships."""
    stem = font.replace(" ", "")
    return tuple(
        Wanted(font, f"{stem}-{'Bold' if w == 'bold' else 'Regular'}.ttf", w, "normal",
               "fonts-noto-core", font)
        for w in weights or ("normal", "bold")
    )  # fmt: skip


# The scripts of fonts-noto-core the set covers beside Latin, Greek and Cyrillic (Noto Sans),
# in the order CSS tries them: right-to-left, Indic, South-East Asian, then the others.
SCRIPT_FONTS = (
    "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Devanagari", "Noto Sans Bengali",
    "Noto Sans Gurmukhi", "Noto Sans Gujarati", "Noto Sans Tamil", "Noto Sans Telugu",
    "Noto Sans Kannada", "Noto Sans Malayalam", "Noto Sans Sinhala", "Noto Sans Thai",
    "Noto Sans Lao", "Noto Sans Khmer", "Noto Sans Myanmar", "Noto Sans Georgian",
    "Noto Sans Armenian", "Noto Sans Ethiopic",
)  # fmt: skip
# Symbols last, after the colour emoji: arrows, dingbats, technical and mathematical signs.
SYMBOL_FONTS = ("Noto Sans Symbols", "Noto Sans Symbols2", "Noto Sans Math")
# Han characters are drawn the way the text's language writes them: one face per language of
# the CJK collection (a file holding JP, KR, SC, TC and HK); SC where no language says.
CJK = {"ja": "Noto Sans CJK JP", "ko": "Noto Sans CJK KR", "zh": "Noto Sans CJK SC",
       "zh-hant": "Noto Sans CJK TC", "zh-tw": "Noto Sans CJK TC",
       "zh-hk": "Noto Sans CJK HK"}  # fmt: skip
CJK_DEFAULT = CJK["zh"]


def cjk_of(lang: str) -> str | None:
    """The CJK face of a language tag ("zh-Hant", "zh-TW", "ja-JP"), None for another: the
    tag read as the wording tables read it (builder.i18n.table)."""
    from builder.i18n import table

    key = table(lang, CJK)
    return CJK[key] if key is not None else None


WANTED = (
    Wanted("GP Sans", "NotoSans-Regular.ttf", "normal", "normal", "fonts-noto-core", "Noto Sans"),
    Wanted("GP Sans", "NotoSans-Bold.ttf", "bold", "normal", "fonts-noto-core", "Noto Sans"),
    Wanted("GP Sans", "NotoSans-Italic.ttf", "normal", "italic", "fonts-noto-core", "Noto Sans"),
    Wanted("GP Sans", "NotoSans-BoldItalic.ttf", "bold", "italic", "fonts-noto-core", "Noto Sans"),
    Wanted("GP Mono", "NotoSansMono-Regular.ttf", "normal", "normal", "fonts-noto-mono",
           "Noto Sans Mono"),
    Wanted("GP Mono", "NotoSansMono-Bold.ttf", "bold", "normal", "fonts-noto-mono",
           "Noto Sans Mono"),
    Wanted("GP Emoji", "NotoColorEmoji.ttf", "normal", "normal", "fonts-noto-color-emoji",
           "Noto Color Emoji"),
    Wanted("Noto Sans CJK", "NotoSansCJK-Regular.ttc", "normal", "normal", "fonts-noto-cjk",
           "Noto Sans CJK"),
    Wanted("Noto Sans CJK", "NotoSansCJK-Bold.ttc", "bold", "normal", "fonts-noto-cjk",
           "Noto Sans CJK"),
    *(w for font in SCRIPT_FONTS for w in _script(font)),
    *_script("Noto Sans Symbols"),
    *_script("Noto Sans Symbols2", "normal"),
    *_script("Noto Sans Math", "normal"),
)  # fmt: skip
# Families for CSS: text first, then the scripts, CJK, the emoji and the symbols. The faces
# named "GP …" are loaded by @font-face (font_face_css), the others by fontconfig from the
# set's configuration under their own names.
SCRIPTS = ", ".join(f'"{f}"' for f in SCRIPT_FONTS)
SYMBOLS = ", ".join(f'"{f}"' for f in SYMBOL_FONTS)
SANS = f'"GP Sans", {SCRIPTS}, "{CJK_DEFAULT}", "GP Emoji", {SYMBOLS}'
MONO = f'"GP Mono", {SANS}'


class _FontSet(ctypes.Structure):
    _fields_ = (
        ("nfont", ctypes.c_int),
        ("sfont", ctypes.c_int),
        ("fonts", ctypes.POINTER(ctypes.c_void_p)),
    )


def _fontconfig() -> ctypes.CDLL | None:
    for name in FONTCONFIG:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
        lib.FcPatternCreate.restype = ctypes.c_void_p
        lib.FcObjectSetCreate.restype = ctypes.c_void_p
        lib.FcObjectSetAdd.argtypes = (ctypes.c_void_p, ctypes.c_char_p)
        lib.FcFontList.restype = ctypes.POINTER(_FontSet)
        lib.FcFontList.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
        lib.FcPatternGetString.argtypes = (
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)
        )  # fmt: skip
        lib.FcFontSetDestroy.argtypes = (ctypes.POINTER(_FontSet),)
        for free in ("FcPatternDestroy", "FcObjectSetDestroy", "FcConfigDestroy"):
            getattr(lib, free).argtypes = (ctypes.c_void_p,)
        return lib
    return None


def installed_fonts() -> list[Path] | None:
    """Every font file fontconfig knows (FcFontList); None without fontconfig."""
    lib = _fontconfig()
    if lib is None:
        return None
    config = lib.FcInitLoadConfigAndFonts()
    if not config:
        return None
    pattern, objects = lib.FcPatternCreate(), lib.FcObjectSetCreate()
    lib.FcObjectSetAdd(objects, b"file")
    found = lib.FcFontList(config, pattern, objects)
    files = []
    try:
        for i in range(found.contents.nfont if found else 0):
            value = ctypes.c_char_p()
            font = found.contents.fonts[i]
            if lib.FcPatternGetString(font, b"file", 0, ctypes.byref(value)) == 0 and value.value:
                files.append(Path(os.fsdecode(value.value)))
    finally:
        if found:
            lib.FcFontSetDestroy(found)
        lib.FcObjectSetDestroy(objects)
        lib.FcPatternDestroy(pattern)
        lib.FcConfigDestroy(config)
    return files


def find_faces(wanted: Iterable[Wanted], installed: Iterable[Path]) -> tuple[Face, ...]:
    """Each wanted face with its file: Debian's place first, else the first in path order;
    a face not installed keeps Debian's path, which check_fonts reports as missing."""
    by_name: dict[str, list[Path]] = {}
    for path in sorted(set(installed)):
        by_name.setdefault(path.name, []).append(path)
    faces = []
    for w in wanted:
        found = by_name.get(w.name, [])
        debian = (NOTO_CJK if w.name.endswith((".ttc", ".otf")) else NOTO) / w.name
        file = debian if debian in found or not found else found[0]
        faces.append(Face(w.family, file, w.weight, w.style, w.package))
    return tuple(faces)


def conf_path() -> Path:
    """guideprint's fontconfig configuration (assets/fonts.conf)."""
    from builder.resources import bundled

    return bundled("assets") / CONF_NAME


@contextmanager
def _system_config() -> Iterator[None]:
    """The machine's fontconfig configuration while in this block, not the set's."""
    ours = os.environ.get("FONTCONFIG_FILE")
    if ours is None or Path(ours).name != CONF_NAME or Path(ours).parent.name != "assets":
        yield
        return
    del os.environ["FONTCONFIG_FILE"]
    try:
        yield
    finally:
        os.environ["FONTCONFIG_FILE"] = ours


# Listed with the machine's configuration, even in a child process the set's is set for.
with _system_config():
    INSTALLED = installed_fonts()
FACES = find_faces(WANTED, INSTALLED or ())
# Folders fontconfig looks in under the set's configuration: where Debian, other Linux and
# macOS (system, Homebrew, user) put fonts. Only the set's files are taken.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "/Library/Fonts",
             "~/Library/Fonts", "/System/Library/Fonts", "/opt/homebrew/share/fonts")  # fmt: skip
# A file whose name ends so is a font file to refuse unless the set names it: a glob on every
# path would refuse the folders too (fontconfig applies them to folders it walks into).
FONT_EXTENSIONS = ("ttf", "ttc", "otf", "otc", "pfa", "pfb", "pcf", "pcf.gz", "bdf",
                   "woff", "woff2", "dfont", "t1", "TTF", "TTC", "OTF")  # fmt: skip


def conf_text() -> str:
    """The set's fontconfig configuration: the usual font folders, only the set's files.

    Caches: fontconfig reads the machine's own caches of those folders (written by fc-cache,
    which Debian runs when a font package is installed) and, when one is out of date, writes
    what it scans under this configuration to a folder of guideprint's only: a scan that
    skipped the fonts of no set must never replace the cache the rest of the machine reads.
    """
    dirs = "\n".join(
        '  <dir prefix="xdg">fonts</dir>' if d == "xdg" else f"  <dir>{d}</dir>"
        for d in ("xdg", *FONT_DIRS)
    )
    reject = "".join(f"<glob>*.{e}</glob>" for e in FONT_EXTENSIONS)
    accept = "\n".join(f"      <glob>*/{w.name}</glob>" for w in WANTED)
    return f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- guideprint's font set: what WeasyPrint may draw with, and nothing else (builder/fonts.py
     writes this file: `python -m builder.fonts > assets/fonts.conf`). -->
<fontconfig>
{dirs}
  <cachedir prefix="xdg">guideprint/fontconfig</cachedir>
  <cachedir>/var/cache/fontconfig</cachedir>
  <cachedir prefix="xdg">fontconfig</cachedir>
  <cachedir>~/.fontconfig</cachedir>
  <selectfont>
    <rejectfont>{reject}</rejectfont>
    <acceptfont>
{accept}
    </acceptfont>
  </selectfont>
  <!-- Noto Color Emoji is a bitmap font (136 px strikes): scaled to the text's size, as the
       machine's 10-scale-bitmap-fonts.conf does, which this configuration does not include.
       Without it an emoji met through fontconfig prints at the strike's size, over the QR. -->
  <match target="font">
    <test name="family"><string>Noto Color Emoji</string></test>
    <edit name="pixelsizefixupfactor" mode="assign">
      <divide><name target="pattern">pixelsize</name><name target="font">pixelsize</name></divide>
    </edit>
    <edit name="matrix" mode="assign">
      <times><name>matrix</name>
        <matrix><name>pixelsizefixupfactor</name><double>0</double>
                <double>0</double><name>pixelsizefixupfactor</name></matrix>
      </times>
    </edit>
    <edit name="size" mode="assign">
      <divide><name>size</name><name>pixelsizefixupfactor</name></divide>
    </edit>
  </match>
</fontconfig>
"""


def use_font_set() -> None:
    """Make fontconfig, from now on in this process and its children, see the set only.

    WeasyPrint asks fontconfig for every font it does not get through @font-face: a character
    the text fonts lack is drawn by whatever font of the machine has it (31 fonts of a
    machine in one manual, DejaVu Sans in every one). FONTCONFIG_FILE is read each time a
    configuration is loaded: set before weasyprint.text.fonts.FontConfiguration() is made.
    """
    os.environ["FONTCONFIG_FILE"] = str(conf_path())


def check_fonts() -> None:
    """Fail with the package to install when a font the outputs need is missing; then
    point fontconfig at the set (use_font_set) and check it finds every file there."""
    if INSTALLED is None:
        raise RenderError(
            "fontconfig not found: guideprint and WeasyPrint find fonts through it",
            hint="install the Debian package libfontconfig1 (elsewhere: fontconfig), "
            "or run 'make setup' in a guideprint checkout",
        )
    for face in FACES:
        if not face.file.is_file():
            raise RenderError(f"missing font {face.file}", hint=install_hint(face))
    use_font_set()
    seen = {Path(os.path.realpath(p)) for p in installed_fonts() or ()}
    unseen = [f.file for f in FACES if Path(os.path.realpath(f.file)) not in seen]
    if unseen:
        raise RenderError(
            f"font {unseen[0]} is outside the folders guideprint's font set looks in",
            hint="install it in a font folder of the system or of the user "
            f"({', '.join(FONT_DIRS[:4])}…)",
        )


def install_hint(face: Face) -> str:
    """What to install for face, on Debian and elsewhere."""
    font = next((w.font for w in WANTED if w.name == face.file.name), face.family)
    return (
        f"install the Debian package {face.package}: 'sudo apt-get install {face.package}', "
        f"or run 'make setup' in a guideprint checkout; elsewhere install the {font} font "
        f"({face.file.name}, https://fonts.google.com/noto), then run 'fc-cache -f'"
    )


def font_files() -> list[Path]:
    """The font files the renderer may read."""
    return list(dict.fromkeys(face.file for face in FACES))


def font_face_css() -> str:
    """@font-face rules for the faces named "GP …" (file URLs the sandboxed fetcher allows),
    the families of the set as custom properties the layouts' CSS uses, and the CJK face of
    each language that has one (an element's lang picks it: the manual's, the cards')."""
    rules = []
    for f in FACES:
        if f.family.startswith("GP "):
            rules.append(
                f'@font-face {{ font-family: "{f.family}"; src: url("{f.file.as_uri()}");'
                f" font-weight: {f.weight}; font-style: {f.style}; }}"
            )
    rules.append(
        f':root {{ --gp-scripts: {SCRIPTS}; --gp-cjk: "{CJK_DEFAULT}"; --gp-symbols: {SYMBOLS}; }}'
    )
    # After :root, each tag after its language's (zh-hant after zh): the later rule wins.
    rules += [f':lang({tag}) {{ --gp-cjk: "{face}"; }}' for tag, face in CJK.items()]
    return "\n".join(rules) + "\n"


if __name__ == "__main__":  # python -m builder.fonts > assets/fonts.conf
    print(conf_text(), end="")  # noqa: T201
