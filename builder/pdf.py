"""WeasyPrint behind a sandboxed fetcher, one font configuration per process; pypdf after."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf

from builder.diagnostics import Diagnostic, Diagnostics, place
from builder.errors import GuideError, RenderError
from builder.fetcher import SandboxFetcher
from builder.fonts import check_fonts, font_face_css, font_files
from builder.gate import Seen, current
from builder.layouts import BUILTIN
from builder.output import atomic_path
from builder.resources import bundled
from builder.weasy import CLEANED_FONTS, IMAGE_ROOTS, SPLIT_ALPHA, FontConfiguration, weasyprint

# WeasyPrint reports missing images and CSS it ignores through these loggers, to a handler
# nobody sees; the PDF still builds. We forward them into our diagnostics and count them.
WEASY_LOGGERS = ("weasyprint", "weasyprint.progress")
# The glyph check (builder.glyphs) names the characters no font has with their file and
# line, before rendering: WeasyPrint's own ".notdef" line per character would say it again.
# An image with alt="" is decorative (GitBook's way to say so); the reader warns about an
# image with no alt at all, so WeasyPrint's line for every empty alt is not repeated.
IGNORED = ("Ignored `hyphenate-limit", "Anchor defined twice", ".notdef glyph rendered")
DECORATIVE = "has no required alt description"
FILE_URL = re.compile(r"file://[^'\"\s]+")
# guideprint's own layouts and icons: read whatever folder the build runs from.
OWN_FILES = (BUILTIN, bundled("assets"))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while WeasyPrint lays out or writes a document.

    Laying out a manual builds millions of long-lived objects (boxes, styles, text layouts);
    each full collection walks them all, about ten times per manual: 1.5 s of 12 s on a
    271-page manual. Reference counting still frees what has no cycle; what WeasyPrint
    leaves in cycles waits until the collector resumes (8 MB more at the peak).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Forward(logging.Handler):
    def __init__(self, renderer: Renderer) -> None:
        super().__init__(logging.WARNING)
        self.renderer = renderer

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(IGNORED) or "Refused: " in message or DECORATIVE in message:
            return  # the fetcher reported refusals already, with file and hint
        where = self.renderer.fetcher.pulled_in(message)  # what an SVG of a page pulls
        for url in FILE_URL.findall(message):  # an image of a page: name the page and line
            if url in self.renderer.images:
                where, written = self.renderer.images[url]
                message = message.replace(url, written)
        if message.endswith(": "):  # WeasyPrint's ImageLoadingError says nothing of itself
            message += "not an image it can read (fix the file, or export it again)"
        file, line = place(where)
        self.renderer.diag.warn(f"renderer: {message}", file=file, line=line)


@dataclass
class Metadata:
    title: str
    author: str = ""
    subject: str = ""
    keywords: list[str] = field(default_factory=list)
    lang: str = "fr"


def made_with(roots: list[Path], allow_remote: bool, cache_dir: Path | None, strict: bool,
              names_from: Path | None, not_from: list[Path] | None = None,
              keep: bool = True) -> tuple[object, ...]:  # fmt: skip
    """What a renderer is made from: a kept one serves a build that would make the same."""
    return (tuple(roots), allow_remote, cache_dir, strict, names_from, tuple(not_from or ()),
            keep, tuple(font_files()), font_face_css())  # fmt: skip


FONT_FILES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")


def _unchanged(read: dict[str, Seen]) -> bool:
    """Are these files as they were read (each read again, through the gate)?"""
    try:
        return all(current().read_hashed(path)[1] == seen.digest for path, seen in read.items())
    except (GuideError, OSError):  # gone, refused now: parse again, and say why then
        return False


def _spellings(root: Path) -> tuple[str, ...]:
    """A folder as given and as its real path, each as the path of its file URL ending in "/"
    (builder.weasy._image_id)."""
    return tuple(dict.fromkeys(url_path(path) for path in (root.absolute(), root.resolve())))


def url_path(path: PurePath) -> str:
    """The path of an absolute path's file URL, unescaped, ending in "/": what WeasyPrint's
    URLs of files under it start with ("/C:/Users/it/guide/" on Windows, where the path's
    own spelling, with backslashes, never matched one)."""
    return unquote(urlsplit(path.as_uri()).path).rstrip("/") + "/"


class Renderer:
    """Render many documents in one process: fonts, base CSS and the fetcher are shared."""

    def __init__(
        self,
        roots: list[Path],
        diag: Diagnostics,
        *,
        allow_remote: bool = False,
        cache_dir: Path | None = None,
        strict: bool = False,
        names_from: Path | None = None,
        not_from: list[Path] | None = None,
        keep: bool = True,
    ) -> None:
        check_fonts()
        self.made_with = made_with(roots, allow_remote, cache_dir, strict, names_from, not_from,
                                   keep)  # fmt: skip
        # What a document's layout and bytes depend on of the renderer: not whether it may
        # write after a warning (strict) or keep its fonts (keep).
        self.layout_key = made_with(roots, allow_remote, cache_dir, False, names_from, not_from)
        # The project's cache: its emoji fonts kept beside (builder.weasy), and made there
        # unless keep is False (`check`, which writes nothing: it only uses those it finds).
        CLEANED_FONTS[:] = [(cache_dir.parent / "fonts", keep)] if cache_dir is not None else []
        SPLIT_ALPHA[:] = [(cache_dir.parent / "alpha", keep)] if cache_dir is not None else []
        # A picture's name in the PDF: its path from the root it was read from, not from /.
        IMAGE_ROOTS[:] = [_spellings(root) for root in roots]
        self.keep = keep  # what it finds it may note in the cache (not in `check`)
        self.names_from = names_from  # warnings name files relative to it (the project)
        self.diag = diag
        self.strict = strict  # write nothing once a warning is on record
        self.fonts = FontConfiguration()
        self.fetcher = SandboxFetcher(
            [*roots, *OWN_FILES],
            diag,
            files=font_files(),
            allow_remote=allow_remote,
            cache_dir=cache_dir,
            not_from=not_from,
        )
        # A parse, what it read (@import, @font-face) and what it warned: a build of a
        # process that keeps its renderer reads those again, and hears the warnings again.
        self._css: dict[str, tuple[weasyprint.CSS, dict[str, Seen], list[Diagnostic]]] = {}
        # Every file any parse read. WeasyPrint loads an @font-face once per renderer (by its
        # family and URL) and never reads it again: each sheet asked for records the fonts
        # of them all, so an output whose sheet shares a face another sheet loaded still has
        # the font among its inputs; a kept renderer whose fonts changed is not kept.
        self.sheet_files: dict[str, Seen] = {}
        self.images: dict[str, tuple[str, str]] = {}  # src -> (page:line, original URL)
        self._fonts_css = weasyprint.CSS(
            string=font_face_css(), font_config=self.fonts, url_fetcher=self.fetcher
        )
        self._handler = _Forward(self)
        for name in WEASY_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self._handler)
            logger.propagate = False

    def report_to(self, diag: Diagnostics) -> None:
        """Record what rendering finds (and what the fetcher refuses) in diag from now on."""
        self.diag = self.fetcher.diag = diag

    def renew(self, diag: Diagnostics) -> None:
        """Ready for another build of a process that keeps its renderer: what it finds goes
        to diag (the stylesheets parsed are checked and said again as they are asked for)."""
        self.report_to(diag)
        self.images = {}

    @contextmanager
    def drawing_from(self, folder: Path | None) -> Iterator[None]:
        """Images may also come from folder while inside: the copies `check` prepares in
        its throwaway folder (builder.downsample.downsample_pages, spill). None: no folder."""
        if folder is None:
            yield
            return
        roots = self.fetcher.roots
        self.fetcher.roots = [*roots, folder.resolve()]
        try:
            yield
        finally:
            self.fetcher.roots = roots

    def close(self) -> None:
        """Stop forwarding WeasyPrint's log."""
        for name in WEASY_LOGGERS:
            logging.getLogger(name).removeHandler(self._handler)

    def stylesheet(self, css: str, base: Path) -> weasyprint.CSS:
        """Parse a stylesheet once per process and reuse it while what it read is unchanged
        (read again through the gate: an input of this output too); its warnings said again."""
        key = f"{base}\0{css}"
        cached = self._css.get(key)
        if cached is not None and _unchanged(cached[1]):
            sheet, read, said = cached
            self.diag.extend(Diagnostics(list(said)))
        else:
            sheet, read = self._parse(css, base, key)
        # The fonts other sheets loaded, which this one uses without loading them again.
        _unchanged({k: v for k, v in self._fonts().items() if k not in read})
        return sheet

    def _parse(self, css: str, base: Path, key: str) -> tuple[weasyprint.CSS, dict[str, Seen]]:
        # Warnings while parsing (a refused @import, a bad rule) name the CSS folder.
        document, self.fetcher.source = self.fetcher.source, self._name(base)
        before = len(self.diag.items)
        try:
            with current().recording() as read:
                sheet = weasyprint.CSS(
                    string=css, base_url=str(base) + "/", font_config=self.fonts,
                    url_fetcher=self.fetcher,
                )  # fmt: skip
        finally:
            self.fetcher.source = document
        self._css[key] = (sheet, dict(read), self.diag.items[before:])
        self.sheet_files.update(read)
        return sheet, dict(read)

    def fonts_unchanged(self) -> bool:
        """Are the font files the stylesheets' @font-face loaded as they were read? (A sheet
        itself, edited, is parsed again; a font stays loaded as it was.)"""
        return _unchanged(self._fonts())

    def _fonts(self) -> dict[str, Seen]:
        return {k: v for k, v in self.sheet_files.items() if k.lower().endswith(FONT_FILES)}

    def _name(self, folder: Path) -> str:
        """folder as warnings name it: relative to the project when inside it."""
        here = folder.resolve()
        for root in [self.names_from.resolve()] if self.names_from else self.fetcher.roots[:1]:
            if here.is_relative_to(root):
                return here.relative_to(root).as_posix()
        return str(folder)

    def render(
        self,
        html: str,
        base: Path,
        css: list[weasyprint.CSS],
        *,
        source: str,
        images: dict[str, tuple[str, str]] | None = None,
    ) -> Any:
        """Lay out html (relative URLs resolved against base) into a weasyprint Document.

        images: each image's URL -> (where the page writes it, the path as written), so that
        a warning about it names the page and line.
        """
        self.fetcher.source = source
        self.images = dict(images or {})
        self.fetcher.showing(self.images)
        with collector_paused():
            document = weasyprint.HTML(
                string=html, base_url=str(base) + "/", url_fetcher=self.fetcher
            )
            return document.render(
                stylesheets=[self._fonts_css, *css], font_config=self.fonts, optimize_images=False
            )

    def write(
        self,
        document: Any,
        target: Path,
        meta: Metadata,
        *,
        variant: str | None = None,
        hint: str | None = None,
        cut: Cut | None = None,
    ) -> None:
        """Write a laid-out document to target atomically, with its metadata.

        hint: what to do if target's folder cannot be written (see output.atomic_path).
        cut: also write the same PDF cut to each page's TrimBox (a card laid out with its
        bleed, for out/cards/), once cut.check has passed every page's boxes; neither file
        is written when it fails.
        """
        self.check_strict(target)
        options = _described(document, meta, variant)
        drawn: list[tuple[Any, list[Any]]] = []  # the PDF objects, before the file's own

        def finish(_document: Any, pdf: Any) -> None:  # only with a cut: its check, its objects
            assert cut is not None
            for number, page in enumerate(_pages(pdf.objects), 1):
                boxes = (_box(page[k]) for k in ("TrimBox", "BleedBox", "MediaBox"))
                cut.check(number, *boxes)
            for obj in pdf.objects:  # compressed once for both files
                if type(obj) is pydyf.Stream:
                    obj.__class__ = _Compressed
            drawn.append((pdf, list(pdf.objects)))

        with atomic_path(target, hint=hint) as tmp, collector_paused():
            document.write_pdf(tmp, finisher=finish if cut is not None else None, **options)
            self.check_strict(target)  # SVG images are drawn, and fetch, only now
        if cut is not None:
            _write_trimmed(*drawn[0], cut.target, options)

    def objects(self, document: Any, meta: Metadata, *, variant: str | None = None) -> Any:
        """The document's PDF as WeasyPrint makes it, before it writes it (a pydyf.PDF):
        what builder.manual.parts takes of each part of a manual."""
        from weasyprint.pdf import generate_pdf

        options = _settled(_described(document, meta, variant))
        with collector_paused():
            return generate_pdf(document, None, 1, **options)

    def check_strict(self, target: Path) -> None:
        """Under --strict, refuse to (re)place target once anything warned."""
        if self.strict and self.diag.items:
            # A refused URL, a missing image: the previous file stays as it was.
            raise RenderError(
                f"{len(self.diag.items)} problem(s) with --strict; {target.name} not written"
            )


def _settled(options: dict[str, Any]) -> dict[str, Any]:
    """options as Document.write_pdf settles them: WeasyPrint's defaults, then the PDF
    variant's own (PDF/UA-1: version 1.7, tags) where none is given."""
    from weasyprint.pdf import VARIANTS

    settings = {**weasyprint.DEFAULT_OPTIONS, **options}
    if settings["pdf_variant"]:
        for key, value in VARIANTS[settings["pdf_variant"]][1].items():
            if settings.get(key) is None:
                settings[key] = value
    return settings


def _described(document: Any, meta: Metadata, variant: str | None) -> dict[str, Any]:
    """Give the document its metadata; the options it is written with."""
    info = document.metadata
    info.title = meta.title
    info.authors = [meta.author] if meta.author else []
    info.description = meta.subject
    info.keywords = list(meta.keywords)
    info.lang = meta.lang
    info.generator = "guideprint"
    options: dict[str, Any] = {"uncompressed_pdf": False}
    if variant:
        options["pdf_variant"] = variant
    return options


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Cut:
    """Renderer.write's second file: the PDF cut to its pages' TrimBox, written to target
    after check(page number, trim, bleed, media) has passed each page (it raises otherwise)."""

    target: Path
    check: Callable[[int, Box, Box, Box], None]


class _Compressed(pydyf.Stream):  # type: ignore[misc]
    """A pydyf stream whose bytes are made (zlib, level 9) once, not at each write."""

    @property
    def data(self) -> bytes:
        made: bytes | None = self.__dict__.get("_made")
        if made is None:
            made = self._made = pydyf.Stream.data.fget(self)
        return made


def _pages(objects: list[Any]) -> list[Any]:
    return [o for o in objects if isinstance(o, dict) and o.get("Type") == "/Page"]


def _box(value: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in value)
    return (x0, y0, x1, y1)


def _write_trimmed(pdf: Any, objects: list[Any], target: Path, options: dict[str, Any]) -> None:
    """Write pdf again, each page cut to its TrimBox, as WeasyPrint wrote it (same version,
    identifier, compression): the tags, fonts and drawing are the same objects. pydyf adds
    the info, object and cross-reference streams to its list as it writes: taken off first."""
    settings = _settled(options)
    pdf.objects[:] = objects
    pdf.current_position, pdf.xref_position = 0, None
    for page in _pages(objects):
        page["MediaBox"] = page["CropBox"] = page["TrimBox"]
        page.pop("BleedBox", None)  # defaults to the CropBox: the trim
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        pdf.write(out, settings["pdf_version"], settings["pdf_identifier"],
                  not settings["uncompressed_pdf"])  # fmt: skip
