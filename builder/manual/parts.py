"""A large manual laid out in parts, on every core, and spliced into one PDF (issue 17).

WeasyPrint lays one document out on one core and keeps all of it until it writes; a laid-out
document does not cross processes (it holds Pango's C objects). So a large manual is cut,
at chapters that start a page, into parts of about PART_CHARS of HTML, each laid out as a
document of its own, in this process and forked ones, and written to a part file of PDF
objects (out/.guideprint-steps/parts-OUTPUT/).

A chapter starts a page when page_breaks says so (a forced break), or when the layout put
it at the top of one by itself (a group's chapters follow on): the last build's layout, or
a cold build's draft round, names those (the hints' "tops"; refine). A part that ends
before such a chapter is laid out with what follows it (Part.look: whole chapters, or the
first blocks of that chapter, enough to place its title) and keeps its pages
before the page that chapter starts (_ended): its pages are the whole manual's, whatever
came after. If that chapter no longer starts a page (an edit moved the breaks), the part
and the next are joined and laid out again. The part that starts there is told the
truncated margin of a chapter at a break that is not forced.

The parts are then spliced into one PDF with one page tree, one structure tree (PDF/UA:
every page's and link's keys renumbered), one outline, one table of named destinations and
the first part's catalogue and metadata.

What a part prints of the others, it is told (Inputs): its first page's number and side,
the figures before it, the manual's page count, and the page of every anchor it refers to
("voir p. N", the contents) as data-page attributes that the stylesheet prints
(manual.refs_css) instead of target-counter(). Its layout is a function of its HTML and
these inputs; the parts whose inputs were wrong are laid out again until none is (a cold
build: once to learn the pages, drawing nothing, then again; a rebuild, with the last
build's pages as the guess: once). A part laid out
with the same HTML and inputs before is taken from its file (sealed, its reads checked
again) unless the build is forced: one edited chapter is one part laid out.

A manual that does not converge in ROUNDS, or has fewer than two parts, is laid out whole;
so are those builder.manual.job._in_parts names (chapters on right-hand pages, a project's
own manual layouts, a PDF variant other than PDF/UA-1).
"""

from __future__ import annotations

import gc
import hashlib
import html as entities
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from builder.diagnostics import LOG, Diagnostic
from builder.gate import Seen, current
from builder.splice import FORMAT, read_header

if TYPE_CHECKING:
    from builder.pdf import Renderer

# Sizes in characters of the chapters' HTML (about 2,500 a page of text): a manual below
# SPLIT_AT is one document; a part ends at a chapter that starts a page once it holds
# PART_CHARS. The variables are for the bench and the tests.
PART_CHARS = int(os.environ.get("GUIDEPRINT_PART_CHARS") or 50_000)
SPLIT_AT = int(os.environ.get("GUIDEPRINT_SPLIT_AT") or 200_000)
ROUNDS = 6
CHARS_PER_PAGE = 2500  # a first guess of the pages a part fills, without any hint

CHAPTER = re.compile(r'\n<article class="chapter\b')
ARTICLE = re.compile(r"<(/?)article\b", re.I)  # an <article>'s start or end tag
TITLE = re.compile(r'<h1 class="chapter-title" id="([^"]*)"')  # a chapter's title (its anchor)
LOOK_CHARS = 4000  # the least lookahead of a part cut inside a group (Part.look)
# ... or this much of its first chapter, to the end of one of that chapter's own blocks
# (_look_end): what decides whether the chapter starts a page is its title and what must
# stay on the title's page with it, never the rest of the chapter.
LOOK_CUT = int(os.environ.get("GUIDEPRINT_LOOK_CUT") or 2000)
ID = re.compile(r'(?<![\w-])id="([^"]+)"')
BODY = re.compile(r"<body\b[^>]*>", re.I)
CLOSE_BODY = re.compile(r"</body\s*>", re.I)
OUTLINE = re.compile(r"^#[^{\n]+\{ bookmark-level: [^\n]*\n", re.M)  # manual.outline_css
PART_FILE = re.compile(r"[0-9a-f]{40}\.pdfpart(?:\.sha256)?")  # Job.file's: not a temporary
HREF = re.compile(r'<a\b([^>]*?)\bhref="#([^"]*)"')
FIGURE = re.compile(r'<figure\b[^>]*\bclass="(?:[^"]*\s)?captioned\b')
NEW_PAGE = re.compile(r"[^>]*\bnew-page\b")


def _name(raw: str) -> str:
    """An href's fragment as WeasyPrint names the anchor (entities, then %-escapes)."""
    return unquote(entities.unescape(raw))


@dataclass(frozen=True)
class Part:
    """A run of the manual's HTML laid out as a document of its own."""

    body: str  # the part's elements, inside <body>
    ids: frozenset[str]  # the anchors its elements give
    refers: tuple[str, ...]  # the anchors it (and its lookahead) links to, sorted
    figures: int  # captioned figures in it
    first: str = ""  # the anchor of its first chapter's title ("" for the cover)
    # A part that ends where an earlier layout found a page starting inside a group (not at
    # a new page): the chapters after it, laid out with it to find where that page starts
    # now, then dropped (look), and the anchor of the chapter that must start it (after).
    look: str = ""
    after: str = ""
    flows: bool = False  # it starts so: its first chapter's margin truncated, as at a break

    @property
    def key(self) -> str:
        data = "\0".join((self.body, self.look, self.after, str(self.flows)))
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _part(body: str, look: str = "", after: str = "", flows: bool = False) -> Part:
    """The part of these elements (and this lookahead), with what is found in them."""
    refers = {_name(m.group(2)) for m in HREF.finditer(body + look)} - {""}
    ids = frozenset(entities.unescape(i) for i in ID.findall(body))
    first = TITLE.search(body)
    return Part(body, ids, tuple(sorted(refers)), len(FIGURE.findall(body)),
                entities.unescape(first.group(1)) if first else "", look, after, flows)  # fmt: skip


@dataclass(frozen=True)
class Inputs:
    """What a part is told of the others; its layout is a function of them and its HTML."""

    start: int  # the number of its first page
    figures: int  # the captioned figures before it
    total: int  # the manual's pages
    numbers: tuple[tuple[str, int], ...]  # the page of each anchor it refers to

    @property
    def left(self) -> bool:  # its first page is a left-hand one (an even number)
        return self.start % 2 == 0

    def digest(self) -> str:
        data = json.dumps([self.start, self.figures, self.total, self.numbers])
        return hashlib.sha256(data.encode()).hexdigest()


@dataclass
class Laid:
    """A part laid out and written to its file."""

    pages: int
    anchors: dict[str, int]  # each anchor it holds -> its page, 0 for the part's first
    file: str  # the part file (PDF objects and what the splice needs of them)
    seen: dict[str, Seen] = field(default_factory=dict)  # what its layout and writing read
    diag: list[Diagnostic] = field(default_factory=list)
    tops: list[str] = field(default_factory=list)  # the chapters that start one of its pages
    ends: bool = True  # False: the chapter after it no longer starts a page (Part.after)


def _chapters(body: str) -> list[int]:
    """Where the template's chapters start in body: an <article class="chapter"> at the top
    level of <body>, not one a page's own HTML holds (nested in its chapter's)."""
    starts, depth = [], 0
    for m in ARTICLE.finditer(body):
        if m.group(1):
            depth = max(0, depth - 1)
            continue
        if depth == 0 and CHAPTER.match(body, m.start() - 1):
            starts.append(m.start() - 1)
        depth += 1
    return starts


def split(html: str) -> tuple[str, list[Part], str] | None:
    """The document's head (to <body>), its parts and its tail; None for one part only."""
    if len(html) < SPLIT_AT:
        return None
    opened = BODY.search(html)
    closed = [m.start() for m in CLOSE_BODY.finditer(html)]
    if opened is None or not closed:
        return None
    open_at, close_at = opened.end(), closed[-1]
    head, body, tail = html[:open_at], html[open_at:close_at], html[close_at:]
    starts = _chapters(body)
    if not starts:
        return None
    cuts, last = [0], 0
    for at in starts:  # a part ends before a chapter that starts a page, once it is big enough
        tag_end = body.index(">", at + 1)
        if at - last >= PART_CHARS and NEW_PAGE.match(body, at, tag_end):
            cuts.append(at)
            last = at
    # A manual of one group is cut only where refine finds chapters starting a page.
    if len(cuts) > 2 and len(body) - cuts[-1] < PART_CHARS // 3:  # a short last part joins
        cuts.pop()
    cuts[1:1] = [starts[0]] if starts[0] not in cuts else []  # the cover and contents alone
    pieces = [body[a:b] for a, b in zip(cuts, [*cuts[1:], len(body)], strict=True)]
    return head, [_part(piece) for piece in pieces], tail


def refine(parts: list[Part], tops: set[str]) -> list[Part]:
    """The parts cut again inside, where an earlier layout found a chapter starting a page
    (tops: their titles' anchors), or at a chapter that starts a new page, once a part
    holds PART_CHARS. Such a part is laid out with the chapters after it (LOOK_CHARS, at
    least one; or the first LOOK_CUT characters of the next, _look_end), and holds only its
    pages before the next part's chapter, if that chapter still starts a page (Laid.ends):
    the pages of the whole manual, laid out in pieces."""
    out = []
    for part in parts:
        body = part.body
        chapters = [(at, TITLE.search(body, at)) for at in _chapters(body)]
        cuts: list[tuple[int, bool]] = [(0, part.flows)]
        for at, title in chapters:
            if at == 0 or title is None or at - cuts[-1][0] < PART_CHARS:
                continue
            if len(body) - at < PART_CHARS // 3:  # a short last piece stays
                break
            tag_end = body.index(">", at + 1)
            if NEW_PAGE.match(body, at, tag_end):
                cuts.append((at, False))
            elif entities.unescape(title.group(1)) in tops:
                cuts.append((at, True))
        if len(cuts) == 1:
            out.append(part)
            continue
        starts = [at for at, _ in chapters]
        ends = [at for at, _ in cuts[1:]] + [len(body)]
        for (at, flows), end in zip(cuts, ends, strict=True):
            if end == len(body):
                out.append(_part(body[at:], part.look, part.after, flows))
                continue
            follows = next((c for c in cuts if c[0] == end), (end, False))[1]
            if not follows:
                out.append(_part(body[at:end], flows=flows))
                continue
            # The lookahead: from the next part's chapter, whole chapters, to LOOK_CHARS, or
            # the first LOOK_CUT characters of that chapter, to the end of a block.
            stop = next((s for s in starts if s > end and s - end >= LOOK_CHARS), len(body))
            stop = _look_end(body, end, stop)
            found = TITLE.search(body, end)
            after = entities.unescape(found.group(1)) if found else ""
            out.append(_part(body[at:end], body[end:stop], after, flows))
    return out


# A tag (its name, what follows it), a comment, or markup _look_end does not follow.
TAG = re.compile(r"""<(/?)([a-zA-Z][\w:.-]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>|<!--.*?-->|<[!?/]""",
                 re.S)  # fmt: skip
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
RAW = frozenset("iframe noembed noframes noscript plaintext script style textarea xmp".split())
# What a lookahead may end after: elements that are blocks of their own. Not an inline one
# (an <img>, a <span>): a run of those is one block of lines, and cut short it may no longer
# break where the whole run would (orphans, widows), taking the title to the next page.
BLOCKS = frozenset(
    "address article aside blockquote details dialog div dl fieldset figure footer form "
    "header hr main nav ol p pre section table ul".split()
)
# In SVG or MathML, these start HTML again (the parser closes the <svg> or <math>).
BREAKOUT = BLOCKS | frozenset("b big body br center code dd dt em embed font h1 h2 h3 h4 h5 "
                              "h6 head i img li listing menu meta nobr ruby s small span "
                              "strike strong sub sup tt u var".split())  # fmt: skip


def _look_end(body: str, begin: int, limit: int) -> int:
    """Where a lookahead that starts with the chapter at begin may end, before limit: after
    the first of that chapter's own blocks (a child of its <article> in BLOCKS: not a
    heading, which stays with what follows it, nor an inline element) that ends LOOK_CUT
    characters or more into it. limit when the chapter is shorter, or is not plainly nested
    that far: an end tag that closes no element open, raw text (a script, a style), markup
    other than a comment (or a comment the parser ends elsewhere), an HTML element written
    as closed (<div/>) or starting HTML again inside SVG or MathML.

    What is cut is after whole blocks: the HTML parser closes the chapter's <article> at
    the part's </body>, and what it made of the elements before the cut is what it makes of
    them in the whole manual (a parser reads forward). Whether the chapter starts a page
    depends on its title and what a break may not separate from it (break-after: avoid,
    orphans, an element not to be broken inside), all in its first blocks, whole
    (tests/test_manual_parts.py lays such chapters out both ways, on pages of every fill)."""
    open_: list[str] = []
    for m in TAG.finditer(body, begin, limit):
        closing, name, rest = m.group(1), m.group(2), m.group(3)
        if name is None:
            text = m.group(0)
            if text.startswith("<!--") and not text.startswith(("<!-->", "<!--->")) \
                    and "--!>" not in text:  # fmt: skip
                continue
            return limit
        name = name.lower()
        foreign = bool({"svg", "math"} & set(open_))
        if not closing:
            if name in RAW or (foreign and name in BREAKOUT):
                return limit
            closed = name in VOID or rest.rstrip().endswith("/")
            if closed and not foreign and name not in VOID:
                return limit  # <div/> is an open <div> to the parser: not followed
            if not closed:
                open_.append(name)
            elif name == "hr" and len(open_) == 1 and m.end() - begin >= LOOK_CUT:
                return m.end()
            continue
        if not open_ or open_[-1] != name:
            return limit
        open_.pop()
        if not open_:  # the chapter's own end: whole
            return limit
        if len(open_) == 1 and name in BLOCKS and m.end() - begin >= LOOK_CUT:
            return m.end()
    return limit


def part_html(head: str, part: Part, inputs: Inputs, tail: str) -> str:
    """The part as a document: the manual's head, a style with its counters, its body with
    the page of each anchor it refers to."""
    numbers = dict(inputs.numbers)

    def told(m: re.Match[str]) -> str:
        page = numbers.get(_name(m.group(2)))
        if page is None:
            return m.group(0)
        return f'<a data-page="{page}"{m.group(1)}href="#{m.group(2)}"'

    side = "html { break-before: left; }\n" if inputs.left else ""  # else a right-hand one
    # At a page break that is not forced, WeasyPrint truncates the margin above the
    # chapter; the first page of a document keeps it.
    flows = "body > article.chapter:first-child { margin-top: 0; }\n" if part.flows else ""
    style = (
        f"<style>{side}{flows}body {{ counter-reset: figure {inputs.figures}; }}\n"
        f"@page :first {{ counter-reset: page {inputs.start}; }}</style>\n"
    )
    head = own_outline(head, part).replace("</head>", style + "</head>", 1)
    return head + HREF.sub(told, part.body + part.look) + tail


def own_outline(head: str, part: Part) -> str:
    """The head with the bookmark rules of the part's own anchors only (manual.outline_css
    has one per anchor of the manual): one heading added elsewhere changes no other part."""
    from builder.manual import css_id

    mine = {f"#{css_id(anchor)} " for anchor in part.ids}
    return OUTLINE.sub(lambda m: m.group(0) if m.group(0)[: m.group(0).index("{")] in mine
                       else "", head)  # fmt: skip


def guessed(parts: list[Part], hints: dict[str, Any]) -> tuple[dict[str, int], list[int]]:
    """Each anchor's page and each part's pages as the last build found them (hints): a
    part of the same HTML fills the pages it filled; one that starts and ends at chapters
    whose pages are known, those between them; a part whose HTML changed, the pages of the
    one in its place then (an edit rarely moves a page break); without hints, a guess from
    the parts' sizes."""
    order = _order(hints)
    known = dict(order)
    before = [n for _, n in order] if len(order) == len(parts) else []
    last = hints.get("anchors")
    last = {k: v for k, v in last.items() if type(v) is int} if isinstance(last, dict) else {}
    starts = [1] + [last.get(part.first, 0) for part in parts[1:]]
    starts.append(sum(n for _, n in order) + 1 if order else 0)
    pages = []
    for i, part in enumerate(parts):
        between = starts[i + 1] - starts[i] if starts[i] and starts[i + 1] else 0
        count = known.get(part.key) or (between if between > 0 else 0)
        count = count or (before[i] if before else 0)
        pages.append(count or max(1, len(part.body) // CHARS_PER_PAGE))
    anchors: dict[str, int] = {}
    start = 1
    for part, count in zip(parts, pages, strict=True):
        for m in ID.finditer(part.body):
            name = entities.unescape(m.group(1))
            anchors.setdefault(name, start + count * m.start() // max(1, len(part.body)))
        start += count
    anchors.update({k: v for k, v in last.items() if k in anchors})
    return anchors, pages


def _tops_hint(hints: dict[str, Any]) -> set[str]:
    """The chapters the last build found starting a page (their titles' anchors)."""
    tops = hints.get("tops")
    return {t for t in tops if isinstance(t, str)} if isinstance(tops, list) else set()


def _order(hints: dict[str, Any]) -> list[tuple[str, int]]:
    """The parts of the last build, as [key, pages] in order; [] if the hints are not so."""
    order = hints.get("order")
    if not isinstance(order, list) or not all(
        isinstance(e, list) and len(e) == 2 and isinstance(e[0], str) and type(e[1]) is int
        and e[1] > 0 for e in order
    ):  # fmt: skip
        return []
    return [(key, pages) for key, pages in order]


def inputs_of(parts: list[Part], pages: list[int], anchors: dict[str, int]) -> list[Inputs]:
    """What each part is told, from every part's pages and every anchor's page."""
    total, figures, start = sum(pages), 0, 1
    told = []
    for part, count in zip(parts, pages, strict=True):
        numbers = tuple((a, anchors[a]) for a in part.refers if a in anchors)
        told.append(Inputs(start, figures, total, numbers))
        start += count
        figures += part.figures
    return told


# --- laying the parts out, here and in forked workers ----------------------------------------


@dataclass(frozen=True)
class Job:
    """How the parts of one manual on one paper are laid out, here and in forked workers."""

    renderer: Renderer
    head: str
    tail: str
    base: Path
    css: Callable[[Inputs], list[Any]]  # the stylesheets of a part told these inputs
    images: dict[str, tuple[str, str]]
    variant: str | None
    meta: Any  # builder.pdf.Metadata
    folder: Path  # where the part files go
    paper: str = ""
    key: str = ""  # what else a part's file depends on: stylesheets, fonts, versions (made_of)

    def file(self, part: Part, inputs: Inputs) -> Path:
        """Where the part laid out with these inputs is kept."""
        # Where a warning about one of its images says it is written (page and line).
        html = part.body + part.look
        named = repr([(url, at) for url, at in sorted(self.images.items()) if url in html])
        own = own_outline(self.head, part)
        whole = "\0".join((self.key, own, part.key, inputs.digest(), named))
        name = hashlib.sha256(whole.encode("utf-8", "surrogatepass")).hexdigest()
        return self.folder / f"{name[:40]}.pdfpart"


def made_of(*what: object) -> str:
    """A digest of what a part file depends on besides its HTML and inputs: the caller's
    (the manual's head, stylesheets, metadata, renderer), and WeasyPrint's, pydyf's and this
    format's versions."""
    import pydyf
    import weasyprint

    data = repr((FORMAT, weasyprint.__version__, pydyf.__version__, *what))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def draw_in_parts(job: Job, parts: list[Part], target: Path, hints: Path, *, force: bool) -> bool:
    """Lay the parts out until each was told the right inputs, splice them to target; False
    (nothing written) when they do not agree in ROUNDS: the caller lays the manual out whole."""
    from builder.manual.timing import stage
    from builder.output import write_text
    from builder.splice import splice

    last = _read_hints(hints)
    parts = refine(parts, _tops_hint(last))
    anchors, pages = guessed(parts, last)
    known = {key for key, _ in _order(last)}
    laid: list[Laid | None] = [None] * len(parts)
    used: list[Inputs | None] = [None] * len(parts)
    drafts: list[Laid | None] = [None] * len(parts)  # laid out, not drawn (a cold build's)
    rounds, limit = 0, ROUNDS
    while True:
        if rounds == limit:
            LOG.info("manual parts: no agreement in %d rounds, laid out whole", rounds)
            return False
        told = inputs_of(parts, pages, anchors)
        todo = [i for i, inputs in enumerate(told) if used[i] != inputs]
        if not todo:
            break
        for i in todo if not force else ():
            laid[i] = cached(job, parts[i], told[i])
            used[i] = told[i] if laid[i] is not None else None
        kept = len(todo)
        todo = [i for i in todo if used[i] != told[i]]
        kept -= len(todo)
        # After an edit, the parts whose HTML changed first: what the others are told
        # depends on their pages, and once known, the others are mostly as laid out before.
        edited = [i for i in todo if parts[i].key not in known]
        if rounds == 0 and known and edited and len(edited) < len(todo):
            todo = edited
        LOG.info("manual parts: round %d, %d laid out, %d from earlier builds", rounds + 1,
                 len(todo), kept)  # fmt: skip
        # Without hints, every first guess (pages from the HTML's size) is wrong somewhere:
        # the first round only lays out, to learn the pages, and draws nothing.
        draft = rounds == 0 and not known
        # The bench's stage lines: "parts-round-N PAPER:laid/from-earlier-builds ...".
        with stage(f"parts-round-{rounds + 1}", f"{job.paper}:{len(todo)}/{kept}"):
            done = lay_all(job, [(parts[i], told[i]) for i in todo], draft=draft)
        broken = []
        for i, one in zip(todo, done, strict=True):
            if not one.ends:
                broken.append(i)
            elif draft:
                drafts[i] = one
            else:
                laid[i], used[i] = one, told[i]
        # A part whose next part's chapter no longer starts a page (an edit moved the page
        # breaks) is joined to it, and laid out again: a round more.
        for i in sorted(broken, reverse=True):
            parts[i : i + 2] = [_part(parts[i].body + parts[i + 1].body, parts[i + 1].look,
                                      parts[i + 1].after, parts[i].flows)]  # fmt: skip
            pages[i : i + 2] = [pages[i] + pages[i + 1]]
            for row in (laid, used, drafts):
                row[i : i + 2] = [None]
        if broken:
            LOG.info("manual parts: %d cut(s) no longer where a page starts, joined", len(broken))
            limit += 1
        found = [one or sketch for one, sketch in zip(laid, drafts, strict=True)]
        pages = [n if one is None else one.pages for n, one in zip(pages, found, strict=True)]
        # Once every part is laid out, only where anchors landed: an id that is no anchor
        # (a link to it prints nothing, as in one document) is no longer guessed.
        landed = _landed(found, pages)
        anchors = landed if None not in found else {**anchors, **landed}
        rounds += 1
        if draft and not broken:
            # The draft found where chapters start a page: the parts are cut there too, and
            # told the pages the draft found, as a rebuild's would be.
            fine = refine(parts, {top for one in drafts if one is not None for top in one.tops})
            if len(fine) > len(parts):
                found_hints = {
                    "anchors": anchors,
                    "order": [[p.key, n] for p, n in zip(parts, pages, strict=True)],
                }
                parts = fine
                anchors, pages = guessed(parts, found_hints)
                laid, used, drafts = [None] * len(parts), [None] * len(parts), [None] * len(parts)
    final = [one for one in laid if one is not None]
    anchors = _landed(laid, pages)  # those of no part (a link to nothing) left out
    gate = current()
    diag = []
    for one in final:
        gate.note(one.seen)
        diag += [d for d in one.diag if d not in diag]
    from builder.diagnostics import Diagnostics

    job.renderer.diag.extend(Diagnostics(diag))
    job.renderer.check_strict(target)
    with stage("writing", job.paper):
        splice([Path(one.file) for one in final], target)
    order = [[p.key, one.pages] for p, one in zip(parts, final, strict=True)]
    tops = sorted({top for one in final for top in one.tops})
    write_text(hints, json.dumps({"anchors": anchors, "order": order, "tops": tops},
                                 separators=(",", ":"), sort_keys=True))  # fmt: skip
    _clean(job.folder, {Path(one.file).name for one in final})
    return True


def _landed(laid: list[Laid | None], pages: list[int]) -> dict[str, int]:
    """Each anchor's page number in the parts laid out, the first part that holds it winning
    (as in one PDF); pages: every part's, laid out or guessed."""
    anchors: dict[str, int] = {}
    start = 1
    for one, count in zip(laid, pages, strict=True):
        for name, page in one.anchors.items() if one is not None else ():
            anchors.setdefault(name, start + page)
        start += count
    return anchors


def _read_hints(path: Path) -> dict[str, Any]:
    from builder.output import hint_json

    found = hint_json(path)
    return found if isinstance(found, dict) else {}


def _clean(folder: Path, kept: set[str]) -> None:
    """Remove the part files of earlier builds that this one did not use."""
    import contextlib

    for path in folder.iterdir():
        if PART_FILE.fullmatch(path.name) and path.name.removesuffix(".sha256") not in kept:
            with contextlib.suppress(OSError):
                path.unlink()


def lay_all(job: Job, tasks: list[tuple[Part, Inputs]], *, draft: bool = False) -> list[Laid]:
    """Lay these parts out on every core this process may use: one forked worker a core,
    each taking the next part (the biggest first) from a pipe as it is free; in the order
    given. One core (or no fork, or threads): here, one after the other."""
    from functools import partial

    from builder import machine
    from builder.workers import START, alongside, in_child

    # Forked only from a process of one thread: a long-running one (serve, --watch) has
    # others, and one of them may hold a lock (Pango's, fontconfig's) a child would wait on.
    alone = threading.active_count() == 1
    cores = min(machine.cores(), len(tasks)) if START == "fork" and alone else 1
    if cores < 2:
        return [lay(job, part, inputs, draft=draft) for part, inputs in tasks]
    order = sorted(range(len(tasks)), key=lambda i: -len(tasks[i][0].body))
    turns, write = os.pipe()
    try:
        os.write(write, b"".join(i.to_bytes(2, "big") for i in order))  # < a pipe's 64 KiB
    finally:
        os.close(write)
    found: dict[int, Laid] = {}
    _trim()
    gc.freeze()  # what this process holds is shared: the workers' collections skip it
    try:
        lane = partial(in_child, partial(_take_turns, job, tasks, turns, draft))
        alongside(lambda: None, [lane] * cores, found.update)
    finally:
        gc.unfreeze()
        os.close(turns)
    return [found[i] for i in range(len(tasks))]


def _trim() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim): what reading
    and preparing the images freed is not counted again in every worker this one forks."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        pass


def _take_turns(job: Job, tasks: list[tuple[Part, Inputs]], turns: int,
                draft: bool = False) -> dict[int, Laid]:  # fmt: skip
    """A worker: lay out the part whose number is next in the pipe turns, each in a process
    of its own (its memory given back when it ends), until the pipe is empty (a read of two
    bytes from a pipe is whole: no two workers take the same part)."""
    from functools import partial

    from builder.workers import fork

    done = {}
    while len(got := os.read(turns, 2)) == 2:
        i = int.from_bytes(got, "big")
        done[i] = fork(partial(lay, job, *tasks[i], draft=draft))()
    return done


def lay(job: Job, part: Part, inputs: Inputs, *, draft: bool = False) -> Laid:
    """Lay one part out and write its file; what it read and what it warned come back.
    A draft is only laid out: its pages and anchors, no file.

    The laid-out document is let go once WeasyPrint has drawn it into PDF objects, and the
    objects go to the file one by one: a part's boxes and its bytes are never held at once.
    """
    import gc

    from builder.diagnostics import Collected
    from builder.output import atomic_path, seal, sidecar, write_text

    renderer = job.renderer
    target = job.file(part, inputs)
    outer, mine = renderer.diag, Collected()
    renderer.report_to(mine)
    h = hashlib.sha256()
    try:
        with current().recording() as seen:
            document = _ended(_rendered(job, part, inputs), part)
            if document is None:
                return Laid(0, {}, "", ends=False)
            if draft:
                return Laid(len(document.pages), _anchors(document), "", tops=list(_tops(document)))
            anchors = _anchors(document)
            tops = list(_tops(document))
            with atomic_path(target) as tmp, open(tmp, "wb") as out:
                pdf, header = _drawn(renderer, document, job, part, inputs, anchors)
                del document
                if gc.get_freeze_count():  # a worker's: what the process held before is skipped
                    gc.collect()  # the boxes' cycles, before the objects' bytes are made
                header.update(_objects(pdf, header.pop("stand_ins"), out, h))
                del pdf
                laid = Laid(header["page_count"], anchors, str(target), dict(seen),
                            list(mine.items), tops)  # fmt: skip
                header["laid"] = {
                    "pages": laid.pages, "anchors": anchors, "tops": tops,
                    "seen": {k: [v.digest, v.size, v.mtime_ns] for k, v in laid.seen.items()},
                    "diag": [[d.level, d.message, d.file, d.line, d.hint] for d in laid.diag],
                }  # fmt: skip
                head = json.dumps(header, separators=(",", ":")).encode()
                for chunk in (head, len(head).to_bytes(8, "big")):  # read from the end
                    h.update(chunk)
                    out.write(chunk)
    finally:
        renderer.report_to(outer)
    write_text(sidecar(target), seal(target, h.hexdigest()))
    return laid


def _ended(document: Any, part: Part) -> Any:
    """The document of a part cut inside a group (Part.after) without its lookahead's pages:
    those from the page its next part's chapter starts; None if no page starts with it now.
    Any other part's document as it is."""
    if not part.after:
        return document
    keep = _tops(document).get(part.after, 0)
    if keep < 1:
        return None
    return document.copy(document.pages[:keep])


def _tops(document: Any) -> dict[str, int]:
    """The chapters that start a page of a laid-out document, by their titles' anchors ->
    that page (0 for the first): a chapter (<article>) that is the first box of the page's
    <body>, and not the rest of one that began on the page before."""
    found: dict[str, int] = {}
    last = None
    for number, page in enumerate(document.pages):
        root = page._page_box.children[0]  # the <html> box (then the footnote areas)
        body = next((b for b in getattr(root, "children", ()) if b.element_tag == "body"), None)
        children = getattr(body, "children", None)
        if not children:
            continue
        first = children[0]
        if first.element is not last and first.element_tag == "article":
            for title in first.element.iter("h1"):
                if "chapter-title" in (title.get("class") or "").split():
                    found.setdefault(title.get("id") or "", number)
                    break
        last = children[-1].element
    found.pop("", None)
    return found


def _rendered(job: Job, part: Part, inputs: Inputs) -> Any:
    """The part told these inputs, laid out (a WeasyPrint document)."""
    html = part_html(job.head, part, inputs, job.tail)
    return job.renderer.render(html, job.base, job.css(inputs), source="manual",
                               images=job.images)  # fmt: skip


def _anchors(document: Any) -> dict[str, int]:
    """Each anchor of a laid-out document -> its page, 0 for the first (the first wins)."""
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, number)
    return anchors


def cached(job: Job, part: Part, inputs: Inputs) -> Laid | None:
    """The part laid out with these inputs by an earlier build, if its file is the one that
    build sealed and what its layout read is unchanged (read again, through the gate)."""
    from builder.output import kept

    target = job.file(part, inputs)
    gate = current()
    data = kept(target)
    if data is None:
        return None
    try:
        header = read_header(data)
        facts = header["laid"]
        seen = {k: Seen(d, s, m) for k, (d, s, m) in facts["seen"].items()}
        diag = [Diagnostic(*d) for d in facts["diag"]]
        pages, anchors = int(facts["pages"]), {str(k): int(v) for k, v in facts["anchors"].items()}
        tops = [str(t) for t in facts["tops"]]
    except (ValueError, KeyError, TypeError):
        return None
    for path, one in seen.items():
        try:
            if gate.read_hashed(path)[1] != one.digest:
                return None
        except Exception:  # gone, refused, a listing: laid out again, and said then
            return None
    # What it read is recorded by those reads, as the files are now (their stat may be new).
    return Laid(pages, anchors, str(target), {}, diag, tops)


def _drawn(renderer: Renderer, document: Any, job: Job, part: Part, inputs: Inputs,
           anchors: dict[str, int]) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """The document drawn into PDF objects (a pydyf.PDF), and what the splice needs of it
    that only the document knows: its pages, its bookmarks."""
    # A link to an anchor of another part: WeasyPrint drops a link whose anchor it does not
    # find (and says so); a stand-in on the first page keeps it, the splice points it home.
    told = dict(inputs.numbers)  # an anchor of no part gets no stand-in: its link is dropped
    elsewhere = [a for a in part.refers if a not in anchors and a in told]
    first = document.pages[0]
    for name in elsewhere:
        first.anchors.setdefault(name, (0, 0, 0, 0))
    bookmarks = []
    for number, page in enumerate(document.pages):
        for level, label, (x, y), state in page.bookmarks:  # where WeasyPrint's PDF puts it
            bookmarks.append([number, level, label, x * 0.75, (page.height - y) * 0.75, state])
    document.make_bookmark_tree = lambda *args, **kwargs: []  # the splice makes one outline
    pdf = renderer.objects(document, job.meta, variant=job.variant)
    header = {"bookmarks": bookmarks, "page_count": len(document.pages),
              "stand_ins": set(elsewhere)}  # fmt: skip
    return pdf, header


REF = re.compile(rb"(\d+) 0 R")


def _ref(value: Any) -> int:
    found = REF.fullmatch(value if isinstance(value, bytes) else bytes(value))
    if found is None:
        raise ValueError(f"not a reference: {value!r}")
    return int(found.group(1))


def _objects(pdf: Any, stand_ins: set[str], out: Any, h: Any) -> dict[str, Any]:
    """pdf's objects as the splice takes them, written to out (h: the file's hash so far):
    the bytes of each kept object (its dictionary, then its stream's bytes, if a stream);
    returned, the header's part of them (which object is what)."""
    import pydyf

    objects, catalog = pdf.objects, pdf.catalog
    dropped = {pdf.pages.number, catalog.number}
    kids = list(pdf.pages["Kids"])  # pydyf lists each page as its number, 0, "R"
    page_numbers = [int(n) for n in kids[::3]]
    header: dict[str, Any] = {"pages_root": pdf.pages.number, "pages": page_numbers}
    index_of = {n: i for i, n in enumerate(page_numbers)}
    if "StructTreeRoot" in catalog:
        root = objects[_ref(catalog["StructTreeRoot"])]
        tree = objects[_ref(root["ParentTree"])]
        document = objects[_ref(root["K"][0])]
        dropped |= {root.number, tree.number, document.number}
        nums = list(tree["Nums"])
        marked, annots = [], []
        for key, value in zip(nums[::2], nums[1::2], strict=True):
            if isinstance(value, list):
                marked.append([key, [_ref(v) for v in value]])
            else:
                annots.append([key, _ref(value)])
        header["struct"] = {"root": root.number, "document": document.number,
                            "kids": [_ref(k) for k in document["K"]],
                            "marked": marked, "annots": annots}  # fmt: skip
    dests = []
    names = catalog["Names"].get("Dests") if "Names" in catalog else None
    if names is not None:
        flat = list(names["Names"])
        for name, dest in zip(flat[::2], flat[1::2], strict=True):
            if name.string not in stand_ins:
                dests.append([name.string, index_of[_ref(dest[0])], dest[2], dest[3]])
    header["dests"] = dests
    if "Metadata" in catalog:
        header["metadata"] = _ref(catalog["Metadata"])
    skip = ("Type", "Pages", "StructTreeRoot", "Names", "Outlines", "Metadata")
    header["catalog"] = {k: pydyf._to_bytes(v).decode("latin-1") for k, v in catalog.items()
                         if k not in skip}  # fmt: skip
    header["info"] = {k: pydyf._to_bytes(v).decode("latin-1") for k, v in pdf.info.items()}
    table = []

    def put(data: bytes | memoryview) -> None:
        h.update(data)
        out.write(data)

    put(FORMAT)
    for obj in objects[1:]:
        if obj.number in dropped:
            continue
        data = obj.data
        if isinstance(obj, pydyf.Stream):
            at = data.index(b"\nstream\n")
            with memoryview(data) as view:
                put(view[:at])
                put(view[at + 8 : len(data) - len(b"\nendstream")])
            table.append([obj.number, at, len(data) - at - 8 - len(b"\nendstream")])
        else:
            put(data)
            table.append([obj.number, len(data), -1])
    header["objects"] = table
    return header
