"""The manual's outputs: the space read and assembled once, rendered on each paper.

`read` runs in the reading process (no WeasyPrint); `render_manual` and `render_booklet`
are the jobs of the manual and booklet kinds (builder.outputs).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.diagnostics import LOG, Diagnostics
from builder.errors import GuideError, RenderError
from builder.gate import current
from builder.manual.timing import stage
from builder.outputs import JobContext, Made, Output, Read, making

if TYPE_CHECKING:
    from builder.content.model import Space
    from builder.pdf import Renderer
    from builder.project import Project

CSS = "manual/manual.css"
STEPS = ".guideprint-steps"  # in out/: files a build makes on the way to its outputs
SHARED_PAGES = 40  # a space of this many pages or more is rendered on two cores
SETTLE = 2  # layouts more for a manual laid out whole whose page numbers did not settle


@dataclass(frozen=True)
class Paper:
    css: str  # @page size and margins, chapter breaks, the wording CSS prints
    box: tuple[int, int]  # the pixel box an image needs at 300 dpi on this paper
    cjk: str = ""  # the face of Han characters in the page margins (manual.cjk_face)


@dataclass(frozen=True)
class Assembled:
    """The manual read and assembled once, for each paper it is rendered on."""

    html: str  # one document; its images are the originals, each paper prepares its own
    meta: dict[str, Any]  # PDF metadata
    chapters: int
    papers: dict[str, Paper]
    css: str  # the manual's stylesheet, read with the pages
    images: dict[str, tuple[str, str]]  # file URL -> ("page.md:12", path as written)


def read_spaces(
    project: Project, diag: Diagnostics, *, render: bool = True, allow_remote: bool = False
) -> list[Space]:
    """Every space of the source, read (and rendered to HTML when asked); in a repository of
    several, each in its own language (content.space.space_settings)."""
    from builder.content.space import find_spaces, read_space, space_settings
    from builder.workers import shared

    # A large space's pages are rendered on two cores (3.8 s -> 2 s for 301 pages); a small
    # one's in this process, where a fork would cost more than it saves.
    shares = partial(shared, least=SHARED_PAGES)
    layouts = find_spaces(project.source, project.space)
    spaces = []
    for layout in layouts:
        lang, label = project.settings.language, ""
        if len(layouts) > 1:
            lang, label = space_settings(layout, lang, diag)
        space = read_space(layout, diag, lang=lang, allow_remote=allow_remote, render=render,
                           shares=shares)  # fmt: skip
        space.label = label
        spaces.append(space)
    return spaces


def read(project: Project, papers: list[str], diag: Diagnostics, *, allow_remote: bool,
         keep: bool = True) -> Read:  # fmt: skip
    """Read the pages and assemble the manual for these papers; what it read is recorded.
    keep: the PNGs found whole are noted in the project's cache (builder.images.INFLATES);
    False for a build that writes nothing (`check`), which only uses those noted."""
    from builder import images

    images.INFLATES[:] = [(project.cache / "inflates", keep)]
    try:
        return _read(project, papers, diag, allow_remote=allow_remote)
    finally:
        images.INFLATES.clear()


def _read(project: Project, papers: list[str], diag: Diagnostics, *, allow_remote: bool) -> Read:
    from builder import manual as manual_mod
    from builder.gate import current

    with stage("reading"), current().recording() as seen:
        spaces = read_spaces(project, diag, allow_remote=allow_remote)
        _check_glyphs(project, spaces, diag)
        settings = project.settings
        book = manual_mod.assemble(spaces, settings, project.root, diag)
        html = manual_mod.to_html(
            book, settings, project.layouts, root=spaces[0].root, allow_remote=allow_remote
        )
        for path in project.layouts.files("manual"):  # the templates and CSS it is made with
            current().read_bytes(path, what="layout")
        css = project.layouts.read(CSS)
    sizes = {}
    for paper in papers:
        on = replace(settings, manual=replace(settings.manual, paper=paper))
        cjk = manual_mod.cjk_face(book)
        sizes[paper] = Paper(manual_mod.page_css(on, cjk), manual_mod.image_box(on), cjk)
    meta = manual_mod.metadata(book, settings)
    pages = [page for space in spaces for page in space.pages]
    images = {url: at for page in pages for url, at in page.images.items()}
    return Read(Assembled(html, meta, len(book.chapters), sizes, css, images), dict(seen), diag)


def _check_glyphs(project: Project, spaces: list[Space], diag: Diagnostics) -> None:
    """Characters no font of the set has, page by page (titles too: the TOC prints them)."""

    from builder.gate import current
    from builder.glyphs import check_html

    for space in spaces:
        for page in space.pages:
            text = current().read_text(page.source, errors="replace")
            file = os.path.relpath(page.source, project.source)
            check_html(f"{page.title}\n{page.html}", text, file, diag)


def _hints(path: Path | None) -> dict[str, Any]:
    """What a hints file holds: {"anchors" | "refs": {name: {counter: [numbers]}}} (see
    builder.weasy.page_hints), {} if none (missing, not ours, not of that shape)."""
    from builder.output import hint_json

    return _shaped(hint_json(path) if path is not None else None)


TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
LINK_TO = re.compile(r'href="#([^"]+)"')


def _unguessed(guess: dict[str, Any], html: str) -> dict[str, Any]:
    """guess without the anchors a table refers to: WeasyPrint sizes a table's columns once,
    with the numbers printed then (0 without a guess), and keeps them when it lays the page
    out again; guessed, the same table would get other columns than in a first build."""
    import html as entities
    from urllib.parse import unquote

    named = {n for table in TABLE.findall(html) for n in LINK_TO.findall(table)}
    named |= {unquote(entities.unescape(n)) for n in named}
    anchors = guess.get("anchors")
    if not named or not anchors:
        return guess
    return {**guess, "anchors": {k: v for k, v in anchors.items() if k not in named}}


def _shaped(found: Any) -> dict[str, Any]:
    """The parts of found that are {name: {counter: [int, ...]}}, as a hints file holds."""
    if not isinstance(found, dict):
        return {}
    return {
        part: {
            name: counters
            for name, counters in found[part].items()
            if isinstance(counters, dict) and all(_numbers(v) for v in counters.values())
        }
        for part in ("anchors", "refs")
        if isinstance(found.get(part), dict)
    }


def _numbers(value: Any) -> bool:
    """A counter's values as WeasyPrint keeps them: one whole number at least."""
    return isinstance(value, list) and bool(value) and all(type(n) is int for n in value)


def render_manual(outputs: list[Output], reads: dict[str, Read], ctx: JobContext) -> list[Made]:
    """The manual on the settings' paper, tagged (the settings' PDF variant)."""
    project = ctx.project
    paper = project.settings.manual.paper
    made = []
    for output in outputs:
        with making(output.key, ctx) as one:
            draw(project, reads["pages"].value, paper, ctx.renderer, ctx.out / output.key,
                 hints=ctx.out / STEPS / f"targets-{paper}.json",
                 force=ctx.request.force)  # fmt: skip
        made.append(one)
    return made


def render_booklet(outputs: list[Output], reads: dict[str, Read], ctx: JobContext) -> list[Made]:
    """The manual at A5, imposed as a saddle-stitched booklet on A4."""
    from builder.sheets import impose_booklet

    made = []
    for output in outputs:
        with making(output.key, ctx) as one:
            # Only a step towards the booklet, whose imposed sheets are new pages: no tags.
            # Kept in this out/ (never shared with another build), an input of the booklet.
            a5 = ctx.out / STEPS / "manuel-a5.pdf"
            manual = reads["pages"].value
            draw(ctx.project, manual, "A5", ctx.renderer, a5, variant="",
                 images_from_the_end=True, hints=ctx.out / STEPS / "targets-A5.json",
                 force=ctx.request.force)  # fmt: skip
            impose_booklet(a5, ctx.out / output.key)
        made.append(one)
    return made


def draw(
    project: Project,
    manual: Assembled,
    paper: str,
    renderer: Renderer,
    target: Path,
    *,
    variant: str | None = None,
    images_from_the_end: bool = False,
    hints: Path | None = None,
    force: bool = False,
) -> Any:
    """Render the manual on one paper to target; return the laid-out document (None when
    it was laid out in parts: a document each).

    variant: the PDF variant, the settings' (PDF/UA-1 by default) unless given.
    images_from_the_end: see builder.downsample.downsample_pages.
    hints: where this paper's page references landed last time, read as the layout's first
    guess (builder.weasy.page_hints: a wrong one costs time, never a wrong number) and
    written again; not an input of the output. With hints, a large manual is laid out in
    parts (builder.manual.parts), whose files are kept beside it; force: none is reused.
    """
    from builder.downsample import downsample_pages

    on = manual.papers[paper]
    cache = project.cache / "images"
    # `check` writes nothing in the project: the copies it lays out go beside its throwaway
    # target (a folder the gate reads), not to the cache.
    spill = None if renderer.keep else target.parent / ".images"
    swapped: dict[str, str] = {}
    with stage("images", paper):
        html = downsample_pages([manual.html], on.box, cache, from_the_end=images_from_the_end,
                                swapped=swapped, spill=spill)[0]  # fmt: skip
    base = project.layouts.path(CSS).parent
    css = [renderer.stylesheet(manual.css, base), renderer.stylesheet(on.css, project.root)]
    LOG.info("rendering the manual (%d chapters, %s)", manual.chapters, paper)
    images = {swapped.get(url, url): at for url, at in manual.images.items()}
    variant = variant if variant is not None else project.settings.manual.pdf_variant
    with renderer.drawing_from(spill):
        return _drawn(project, manual, paper, renderer, target, html, css, images, variant,
                      hints, force)  # fmt: skip


def _drawn(project: Project, manual: Assembled, paper: str, renderer: Renderer, target: Path,
           html: str, css: list[Any], images: dict[str, tuple[str, str]], variant: str,
           hints: Path | None, force: bool) -> Any:  # fmt: skip
    """draw, its images ready: in parts, or whole (with the guess of the hints)."""
    from builder.output import write_text
    from builder.pdf import Metadata
    from builder.weasy import page_hints

    if hints is not None and _in_parts(project, manual, paper, renderer, target, html, css[0],
                                       images, variant, hints, force):  # fmt: skip
        return None
    guess = _unguessed(_hints(hints), html)
    with stage("layout", paper):
        # Laid out with the guess; again with none if it could not check what it printed,
        # or could not take the guess at all (a bug of ours or WeasyPrint's: said again).
        # A layout that printed a page number its anchor did not land on (WeasyPrint
        # stopped too soon, builder.weasy._stale) is laid out again from where they landed.
        attempts: list[dict[str, Any]] = [guess, {}]
        settled = SETTLE
        while attempts:
            attempt = attempts.pop(0)
            try:
                with page_hints(attempt) as landed:
                    document = renderer.render(html, project.source, css, source="manual",
                                               images=images)  # fmt: skip
            except GuideError:
                raise
            except Exception:
                if not attempt:
                    raise
                attempts = attempts or [{}]  # a retry's guess refused: none, as the first's
                continue
            if landed.get("moved"):  # printed from a guess it could not check
                attempts = attempts or [{}]
                continue
            if landed.get("stale") and settled:
                settled -= 1
                attempts = [_unguessed(_shaped(landed), html)]
                continue
            break
        if landed.get("stale"):
            raise RenderError(
                f"{landed['stale']} page reference(s) of the manual ({paper}) print a page "
                f"other than their target's after {SETTLE + 1} layouts",
                hint="a bug of guideprint's or WeasyPrint's: please report it with the space",
            )
    if hints is not None:
        write_text(hints, json.dumps(_shaped(landed), separators=(",", ":"), sort_keys=True))
    with stage("writing", paper):
        renderer.write(document, target, Metadata(**manual.meta), variant=variant or None)
    return document


def _in_parts(project: Project, manual: Assembled, paper: str, renderer: Renderer, target: Path,
              html: str, sheet: Any, images: dict[str, tuple[str, str]], variant: str | None,
              hints: Path, force: bool) -> bool:  # fmt: skip
    """Lay a large manual out in parts and splice them to target (builder.manual.parts);
    False, nothing written, when it is not laid out so: too small, one part only, chapters
    on right-hand pages (a blank page between parts would be lost), a PDF variant other than
    PDF/UA-1 (the splice keeps no output intent), a project's own manual layouts (their
    rules may carry across a cut: counters, :first pages, target-counter()), or parts that
    never agree."""
    from builder import fonts
    from builder import manual as manual_mod
    from builder.errors import OutputError
    from builder.ledger import tool_fingerprint
    from builder.manual import parts as parts_mod
    from builder.pdf import Metadata

    settings = project.settings
    if settings.manual.chapters_on_right or (variant or "pdf/ua-1") != "pdf/ua-1":
        return False
    if not _own_layouts(project):
        return False
    found = parts_mod.split(html)
    if found is None:
        return False
    head, parts, tail = found
    on = replace(settings, manual=replace(settings.manual, paper=paper))
    cjk = manual.papers[paper].cjk or fonts.CJK_DEFAULT
    refs_css = manual_mod.refs_css(settings.language)
    refs = renderer.stylesheet(refs_css, project.root)

    def css(inputs: parts_mod.Inputs) -> list[Any]:
        page = manual_mod.page_css(on, str(cjk), total=inputs.total)
        return [sheet, renderer.stylesheet(page, project.root), refs]

    # Its own folder and hints: the manual on A5 and the booklet are two jobs at once.
    folder = hints.parent / f"parts-{target.stem}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot write {folder}: {exc.strerror}",
            hint="check the output folder (disk full? a file in the way?)",
        ) from exc
    meta = Metadata(**manual.meta)
    fonts_read = sorted((k, v.digest) for k, v in renderer.sheet_files.items())
    font_files = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in fonts.font_files()]
    key = parts_mod.made_of(tail, manual.css, manual_mod.page_css(on, str(cjk)),
                            refs_css, variant, meta,
                            str(project.source), renderer.layout_key, fonts_read, font_files,
                            tool_fingerprint())  # fmt: skip
    job = parts_mod.Job(renderer, head, tail, project.source, css, images, variant or None,
                        meta, folder, paper, key)  # fmt: skip
    LOG.info("rendering the manual in %d parts (%s)", len(parts), paper)
    return parts_mod.draw_in_parts(job, parts, target, hints.with_name(f"parts-{target.stem}.json"),
                                   force=force)  # fmt: skip


def _own_layouts(project: Project) -> bool:
    """Is the manual made with guideprint's own template and stylesheet (as they are)?"""
    from builder.layouts import BUILTIN

    for name in (CSS, "manual/manual.html.j2"):
        path = project.layouts.path(name)
        if path.resolve() == (BUILTIN / name).resolve():
            continue
        if current().read_hint(path) != (BUILTIN / name).read_bytes():
            return False
    return True
