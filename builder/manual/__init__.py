"""The manual: spaces -> one HTML document (cover, TOC, chapters) -> one PDF."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field, replace
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markupsafe import Markup

from builder import fonts
from builder.config import Settings
from builder.content.language import detect, direction
from builder.content.model import NavItem, Page, Space, anchor_slug, flatten
from builder.diagnostics import Diagnostics
from builder.gate import ReadRefused, current
from builder.i18n import WORDS, table, words
from builder.layouts import Layouts
from builder.manual.paper import AUTO_DEPTH, Budget, fit_toc, place_breaks
from builder.typography import typeset

# The months' names of the cover's date, as a date writes them: the genitive in Russian and
# Polish ("1 декабря", "1 grudnia": "of December"). Japanese, Chinese and Korean number them.
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "pl": ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
           "września", "października", "listopada", "grudnia"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),
    # The names of Egypt and the Gulf (يناير ... ديسمبر), the ones Arabic software and IT
    # documentation print, rather than the Levant's (كانون الثاني ...); Western digits, as the
    # pages' numbers and most Arabic spaces' own text write them.
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
           "أكتوبر", "نوفمبر", "ديسمبر"),
}  # fmt: skip
# The cover's date: {d} the day, {m} the month's name, {n} its number, {y} the year. Polish
# and Russian end it with the year's abbreviation (r. for roku, g. for goda), as they write
# a date in a sentence.
DATES = {
    "fr": "{d} {m} {y}", "en": "{dd} {m} {y}", "es": "{d} de {m} de {y}", "de": "{d}. {m} {y}",
    "pt": "{d} de {m} de {y}", "it": "{d} {m} {y}", "nl": "{d} {m} {y}",
    "pl": "{d} {m} {y}\u00a0r.", "ru": "{d} {m} {y}\u00a0\u0433.",
    "ja": "{y}年{n}月{d}日", "zh": "{y}年{n}月{d}日", "ko": "{y}년 {n}월 {d}일",
    "ar": "{d} {m} {y}",
}  # fmt: skip
FIRST_DAY = {"fr": "1er", "it": "1º"}  # "le premier": the first of a month, as an ordinal


@dataclass
class TocEntry:
    title: Markup  # inline HTML, rendered as the page renders its headings (content.inline)
    anchor: str  # "" for a group without a page
    level: int  # 1 = top of the outline
    kind: str  # "part", "group", "page", "heading" or "external"
    children: list[TocEntry] = field(default_factory=list)
    lang: str = ""  # the language of its page (content.language) or of its space
    url: str = ""  # an external entry of SUMMARY.md: printed, there is no page to turn to
    rank: int = 0  # a heading's level inside its page: 1 for the page's "##" (kind heading)
    printed: bool = True  # False: in the bookmarks only, left out of a long TOC (paper.fit_toc)


@dataclass
class Chapter:
    page: Page
    title: Markup  # inline HTML, typeset
    level: int  # outline level of the page title
    # Titles printed before it: spaces, groups, blank pages (paper.place_breaks), each with
    # its outline level and its anchor ("" for a group, which has no page of its own).
    parts: list[tuple[Markup, int, str]] = field(default_factory=list)
    space_lang: str = ""  # the language of its space, when the manual has several
    top: bool = False  # the first page of a top-level group or page of SUMMARY.md
    breaks: bool = False  # starts a new page ([manual] page_breaks)

    @property
    def lang(self) -> str:
        return self.page.lang or self.space_lang

    @property
    def dir(self) -> str:
        return direction(self.page.lang) if self.page.lang else ""


@dataclass
class Manual:
    title: str
    description: str
    organisation: str
    lang: str
    date: str
    logo: Path | None
    cover: str | None
    toc: list[TocEntry]
    chapters: list[Chapter]
    toc_depth: int
    budget: Budget | None = None  # how the printed contents were cut (toc_depth = "auto")


def build_date(lang: str) -> str:
    """The date printed on the cover: SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        if epoch and epoch.isdigit()
        else dt.date.today()
    )
    form = DATES[table(lang, DATES) or "en"]
    months = MONTHS[table(lang, MONTHS) or "en"]
    day = FIRST_DAY.get(table(lang, FIRST_DAY) or "", "1") if when.day == 1 else str(when.day)
    return form.format(d=day, dd=f"{when.day:02d}", m=months[when.month - 1], n=when.month,
                       y=when.year)  # fmt: skip


def assemble(spaces: list[Space], settings: Settings, project: Path, diag: Diagnostics) -> Manual:
    """Lay out the reading order and the table of contents of one or more spaces."""
    from builder.content.inline import title_html
    from builder.manual.titles import manual_title, part_title, repository

    multi = len(spaces) > 1
    if multi:
        for space in spaces:
            _prefix_anchors(space, anchor_slug(space.name))
    wanted = settings.manual.toc_depth
    depth = wanted if isinstance(wanted, int) else AUTO_DEPTH
    toc: list[TocEntry] = []
    chapters: list[Chapter] = []
    for space in spaces:
        lang = space.lang or settings.language
        base, target, pending = 1, toc, []
        if multi:
            title = Markup(title_html(part_title(space), lang))
            toc.append(TocEntry(title, "", 1, "part", lang=lang))
            base, target, pending = 2, toc[-1].children, [(title, 1, "")]
        for item in space.nav:  # each top-level entry of SUMMARY.md: a chapter of paper
            start = len(chapters)
            pending = _walk([item], base, target, chapters, pending, depth, lang)
            if len(chapters) > start:
                chapters[start].top = True
        if multi:
            for chapter in chapters:
                chapter.space_lang = chapter.space_lang or lang
    chapters = place_breaks(chapters, settings.manual.page_breaks)
    budget = fit_toc(toc, chapters) if wanted == "auto" else None
    _check_links(chapters, diag)
    _check_title_math(chapters, diag)
    first = spaces[0]
    logo = _logo(settings, project, diag)
    _check_cover(first, diag)
    return Manual(
        title=manual_title(settings, first, diag, repo=repository(spaces) if multi else None),
        description=settings.description or first.description,
        organisation=settings.organisation,
        lang=settings.language,
        date=build_date(settings.language),
        logo=logo,
        cover=first.cover,
        toc=toc,
        chapters=chapters,
        toc_depth=budget.depth if budget else depth,
        budget=budget,
    )


def _logo(settings: Settings, project: Path, diag: Diagnostics) -> Path | None:
    """The settings' logo, when it is a readable image of the project; else an error."""
    from builder.images import check_image

    if not settings.logo:
        return None
    path = project / settings.logo
    kind = current().kind(path)
    problem = {"refused": "leads outside the project", "missing": "not found",
               "dir": "is a folder"}.get(kind) or check_image(path)  # fmt: skip
    if problem:
        diag.error(
            f"logo '{settings.logo}' {problem}",
            file=settings.path or None,
            hint="put the logo in assets/ and give its path relative to the project",
        )
        return None
    return path


def _check_cover(space: Space, diag: Diagnostics) -> None:
    """Say so when README's cover is a file leading outside the space (it is left out)."""
    from builder.content.html import clean_url

    cover = space.cover
    if not cover or re.match(r"[a-z][a-z0-9+.-]*:|//", cover, re.IGNORECASE):
        return  # none, or remote: _cover_image decides
    path = space.root / clean_url(cover)
    inside = Path(os.path.realpath(path)).is_relative_to(os.path.realpath(space.root))
    if not inside or current().kind(path) == "refused":
        readme = next((p for p in space.pages if p.front.get("cover") == cover), None)
        diag.warn(
            f"cover '{cover}' refused: it leads outside the space",
            file=readme.shown if readme else None,
            hint="put the image in .gitbook/assets/ of the space",
        )


TITLE_MATH = re.compile(r"\$\$(.+?)\$\$")


def _check_title_math(chapters: list[Chapter], diag: Diagnostics) -> None:
    """A formula of a page's title the typesetter cannot read: said, as in the page's body
    (the title is taken out of the body, and prints its source in the TOC and heading)."""
    from builder.content import tex

    for chapter in chapters:
        page = chapter.page
        for source in TITLE_MATH.findall(page.title) if "$$" in page.title else ():
            formula = tex.typeset(source.strip(), display=False)
            if formula.problem is None:
                continue
            lines = current().read_text(page.source, errors="replace").splitlines()
            line = next((i for i, text in enumerate(lines, 1) if source in text), None)
            diag.warn(f"{formula.problem}, printed as source", file=page.shown, line=line,
                      hint=formula.hint)  # fmt: skip


def _prefix_anchors(space: Space, prefix: str) -> None:
    """Spaces of one repository share page paths (README.md): make their ids distinct."""

    def fix(anchor: str) -> str:
        return f"p-{prefix}-{anchor[2:]}" if anchor.startswith("p-") else anchor

    for page in space.pages:
        page.anchor = fix(page.anchor)
        page.headings = [replace(h, anchor=fix(h.anchor)) for h in page.headings]
        page.html = re.sub(r'(id="|href="#)p-', rf"\1p-{prefix}-", page.html)
    for item in flatten(space.nav):
        item.anchor = fix(item.anchor)


def _check_links(chapters: list[Chapter], diag: Diagnostics) -> None:
    """Point a link to a missing heading at its page instead, so paper says where to turn.

    A link also reaches the one heading of its page it names in another way than our ids:
    GitBook's own anchors, transliterated ('#ding-yue-ji-hua' for 订阅计划, 'id-' before a
    digit: '#id-2-yin-yong'), GitHub's (punctuation dropped: '#使用-timetime-表达' for
    '使用-time-time-表达'), and a link to the page's own title reaches the page."""
    ids = {c.page.anchor for c in chapters} | {
        i for c in chapters for i in re.findall(r'\bid="([^"]+)"', c.page.html)
    }
    ids |= {anchor for c in chapters for _, _, anchor in c.parts if anchor}  # blank pages
    loose: dict[str, set[str]] = {}  # made at the first link that needs it
    for chapter in chapters:

        def repair(m: re.Match[str], chapter: Chapter = chapter) -> str:
            target = m.group(1)
            if target in ids:
                return m.group(0)
            if not loose:
                loose.update(_loose_ids(ids, chapters))
            near = loose.get(_loose(target), set())
            if len(near) == 1:
                return f'href="#{next(iter(near))}"'
            page, _, section = target.partition("--")
            diag.warn(
                f"link to a missing section '#{section or target}': pointing at its page",
                file=chapter.page.shown,
                line=_line_of_fragment(chapter.page, section),
                hint="link to a heading of that page, or give the heading that anchor",
            )
            return f'href="#{page}"' if page in ids else 'href=""'

        chapter.page.html = re.sub(r'href="#([^"]+)"', repair, chapter.page.html)
        chapter.page.html = BARE_LINK.sub(_mark_bare, chapter.page.html)


def _loose(anchor: str) -> str:
    page, _, section = anchor.partition("--")
    return f"{page}--{section.replace('-', '')}"


def _loose_ids(ids: set[str], chapters: list[Chapter]) -> dict[str, set[str]]:
    """Each id, heading and page title in its loose forms -> the ids it may be."""
    from builder.content.inline import plain_text

    loose: dict[str, set[str]] = {}
    for i in ids:
        loose.setdefault(_loose(i), set()).add(i)
    for c in chapters:
        named = [(plain_text(c.page.title), c.page.anchor)]
        for title, anchor in named + [(h.title, h.anchor) for h in c.page.headings]:
            for key in _aliases(title):
                loose.setdefault(f"{c.page.anchor}--{key}", set()).add(anchor)
    return loose


def _aliases(title: str) -> set[str]:
    """The loose forms of the anchors other tools give a heading (see _check_links)."""
    import slugify as slug_library

    keys = {anchor_slug(title), slug_library.slugify(title)}
    keys |= {f"id-{key}" for key in keys if key[:1].isdigit()}
    return {key.replace("-", "") for key in keys if key}


def _line_of_fragment(page: Page, section: str) -> int | None:
    """The first line of the page's file with a '#fragment' that gives this section's id."""
    if not section:
        return None
    try:
        text = current().read_text(page.source, errors="replace")
    except (OSError, ReadRefused):
        return None
    for number, line in enumerate(text.splitlines(), 1):
        if "#" in line and any(
            anchor_slug(unquote(unescape(f))) == section for f in FRAGMENT.findall(line)
        ):
            return number
    return None


FRAGMENT = re.compile(r"#([^\s)\"'>\]]+)")


BARE_LINK = re.compile(r'<a ([^>]*href="(?:mailto:)?([^"]+)"[^>]*)>([^<]*)</a>')


def _mark_bare(m: re.Match[str]) -> str:
    """A link whose text is its address needs no address printed after it."""
    attrs, href, text = m.groups()
    if text.strip() != unescape(href) or 'class="' not in attrs:
        return m.group(0)
    attrs = attrs.replace('class="', 'class="bare ', 1)
    return f"<a {attrs}>{text}</a>"


def _walk(
    items: list[NavItem],
    level: int,
    toc: list[TocEntry],
    chapters: list[Chapter],
    pending: list[tuple[Markup, int, str]],
    depth: int,
    lang: str,
) -> list[tuple[Markup, int, str]]:
    from builder.content.inline import title_html

    for item in items:
        if item.group:
            entry = TocEntry(Markup(title_html(item.title, lang)), "", level, "group")
            toc.append(entry)
            pending = _walk(
                item.children,
                level + 1,
                entry.children,
                chapters,
                [*pending, (entry.title, level, "")],
                depth,
                lang,
            )
            continue
        if item.page is None:
            if item.url:  # an external link of SUMMARY.md: listed with its address
                title = Markup(title_html(item.title or item.url, lang))
                toc.append(TocEntry(title, "", level, "external", url=item.url))
            continue
        page = item.page
        own = page.lang or lang
        title = Markup(title_html(item.title or page.title, own))
        entry = TocEntry(title, page.anchor, level, "page", lang=own)
        entry.children = _headings(page, level, depth, own)
        toc.append(entry)
        chapters.append(Chapter(page, Markup(title_html(page.title, own)), level, pending))
        pending = _walk(item.children, level + 1, entry.children, chapters, [], depth, lang)
    return pending


def _headings(page: Page, level: int, depth: int, lang: str) -> list[TocEntry]:
    """Headings inside a page, nested, down to `depth` levels below the page title."""
    from builder.content.inline import heading_html

    out: list[TocEntry] = []
    stack: list[TocEntry] = []
    levels = sorted({h.level for h in page.headings if h.level >= 2})[:depth]
    printed = _printed_headings(page) if levels else {}
    for h in page.headings:
        if h.level not in levels:
            continue
        rank = levels.index(h.level) + 1
        html = printed.get(h.anchor)
        title = Markup(heading_html(html)) if html else Markup.escape(typeset(h.title, lang))
        entry = TocEntry(title, h.anchor, level + rank, "heading", lang=lang, rank=rank)
        while stack and stack[-1].level >= entry.level:
            stack.pop()
        (stack[-1].children if stack else out).append(entry)
        stack.append(entry)
    return out


HEADING = re.compile(r'<h[2-6]\b[^>]*?\bid="([^"]+)"[^>]*>(.*?)</h[2-6]>', re.DOTALL)


def _printed_headings(page: Page) -> dict[str, str]:
    """Each heading's inner HTML as the page prints it, by id: its TOC line, the same."""
    return {m.group(1): m.group(2) for m in HEADING.finditer(page.html)}


def outline_css(manual: Manual) -> str:
    """Bookmark levels: the PDF outline mirrors the TOC, with the entries a long printed TOC
    leaves out (TocEntry.printed); a heading's bookmark with its formulas (text_label)."""
    rules = [
        "h1, h2, h3, h4, h5, h6 { bookmark-level: none; }",
        ".toc-title { bookmark-level: 1; }",
    ]
    rules += [f".part-level-{n} {{ bookmark-level: {n}; }}" for n in range(1, 7)]
    for entry in flatten(manual.toc):
        if entry.anchor:
            label = text_label(entry.title) if entry.kind == "heading" else ""
            label = f" bookmark-label: {label};" if label else ""
            rules.append(f"#{css_id(entry.anchor)} {{ bookmark-level: {entry.level};{label} }}")
    return "\n".join(rules)


def text_label(title: Markup) -> str:
    """A title holding a formula as a CSS string of its words and TeX; "" for any other.

    Bookmarks and running headers are text: WeasyPrint's content() leaves images out, and
    would print "Energy" for "Energy $$E=mc^2$$".
    """
    from builder.content.inline import plain_text

    if "math-svg" not in title:
        return ""
    text = plain_text(str(title))
    return '"' + re.sub(r'["\\<>\n]', lambda m: f"\\{ord(m.group()):x} ", text) + '"'


def css_id(anchor: str) -> str:
    """anchor as a CSS identifier, for an #id selector.

    An #id selector is looked up by the element's id; an [id="..."] selector is tried on
    every element: 700 of them took a third of the style cascade (0.12 s of 0.35 s) on a
    271-page manual.
    """
    escaped = re.sub(r"[^A-Za-z0-9_-]", lambda m: f"\\{ord(m.group()):x} ", anchor)
    return f"\\3{escaped[0]} {escaped[1:]}" if escaped[:1].isdigit() else escaped


def to_html(
    manual: Manual, settings: Settings, layouts: Layouts, *, root: Path, allow_remote: bool
) -> str:
    """The manual as one HTML document."""
    template = layouts.get("manual/manual.html.j2")
    return template.render(
        lead=_lead,
        text_label=text_label,
        manual=manual,
        settings=settings,
        words=words(manual.lang),
        chapters=[(c, Markup(c.page.html)) for c in manual.chapters],
        outline_css=Markup(outline_css(manual)),
        flat_toc=[entry for entry in flatten(manual.toc) if entry.printed],
        cover_image=_cover_image(manual, root, allow_remote),
        text_dir=text_dir,
    )


def text_dir(text: str) -> Markup:
    """The attribute dir="rtl" (with a space before) for a text in a right-to-left script,
    else "": an Arabic title on the cover of an English-worded manual was laid out left to
    right, its first word left of the next."""
    lang = detect(text)
    return Markup(' dir="rtl"' if lang and direction(lang) == "rtl" else "")


def _cover_image(manual: Manual, root: Path, allow_remote: bool) -> str | None:
    """The cover image as a URL: a file inside the space, or a remote one when allowed."""
    from builder.content.html import clean_url
    from builder.images import check_image

    if not manual.cover:
        return None
    if re.match(r"https?://", manual.cover):
        return manual.cover if allow_remote else None  # decorative: skipped offline
    path = (root / clean_url(manual.cover)).resolve()
    if path.is_relative_to(root.resolve()) and current().is_file(path) and not check_image(path):
        return path.as_uri()
    return None


def _lead(page: Page, lang: str) -> str:
    """The page description, unless the page's first paragraph already says it."""
    first = re.sub(r"<[^>]+>", "", page.html.split("</p>", 1)[0]).strip()
    desc = page.description
    return "" if not desc or first.startswith(desc[:60]) else typeset(desc, lang)


def metadata(manual: Manual, settings: Settings) -> dict[str, Any]:
    """PDF metadata fields."""
    return {
        "title": manual.title,
        "author": manual.organisation,
        "subject": manual.description,
        "keywords": list(settings.keywords),
        "lang": manual.lang,
    }


PAPER = {
    "A4": ("210mm", "297mm", "20mm", "25mm", "18mm"),
    "A5": ("148mm", "210mm", "15mm", "18mm", "13mm"),
}


def image_box(settings: Settings) -> tuple[int, int]:
    """The largest pixel box a figure needs on the settings' paper: 300 dpi of the text
    block's width, and of the 95 mm figures are limited to (manual.css)."""
    from builder.downsample import max_pixels

    width, _, _, inner, outer = PAPER[settings.manual.paper]
    text_width = float(width[:-2]) - float(inner[:-2]) - float(outer[:-2])
    return max_pixels(text_width, 95.0)


def cjk_face(manual: Manual) -> str:
    """The CJK face of the page margins (running headers): the one of the chapters' most
    frequent CJK language; the set's default when none is."""
    faces = [face for c in manual.chapters if (face := fonts.cjk_of(c.lang)) is not None]
    if faces:
        return max(dict.fromkeys(faces), key=faces.count)
    return fonts.cjk_of(manual.lang) or fonts.CJK_DEFAULT  # a zh-Hant manual of English pages


def page_css(settings: Settings, cjk: str = fonts.CJK_DEFAULT, *, total: int | None = None) -> str:
    """Paper, double-sided margins, chapter breaks and the wording that CSS prints; cjk:
    the face that draws Han characters in the page margins (cjk_face). total: the manual's
    pages, printed as a number (a part of a manual laid out in parts, builder.manual.parts,
    counts only its own)."""
    width, height, vertical, inner, outer = PAPER[settings.manual.paper]
    sans = fonts.SANS.replace(f'"{fonts.CJK_DEFAULT}"', f'"{cjk}"')
    w = words(settings.language)
    brk = "right" if settings.manual.chapters_on_right else "page"
    pages = "counter(pages)" if total is None else f'"{total}"'
    paper = f"""
@page {{ size: {width} {height}; margin: {vertical} {outer} {vertical} {inner};
  font-family: {sans};
  @bottom-center {{ content: "{w["page"]} " counter(page) " {w["of"]} " {pages}; }} }}
@page :left {{ margin: {vertical} {inner} {vertical} {outer}; }}
@page :right {{ margin: {vertical} {outer} {vertical} {inner}; }}
.chapter.new-page {{ break-before: {brk}; }}
"""
    return paper + _wording_css(settings.language)


def refs_css(lang: str) -> str:
    """For a part of a manual laid out in parts: the page of a link's target printed from
    its data-page attribute (builder.manual.parts tells it), not target-counter(), which
    finds no target in another document. After the target-counter() rules, one more
    specific per language (the same words as _wording_css)."""
    rules = [".toc li a[data-page]:not(.toc-url)::after { "
             'content: leader(". ") attr(data-page); }\n']  # fmt: skip
    for on, selector in [(lang, ""), *((other, f":lang({other})") for other in WORDS)]:
        before, after = words(on)["see_page"].split("{n}")
        rules.append(f'a.internal[data-page]{selector}::after {{ content: "{before}" '
                     f'attr(data-page) "{after}"; }}\n')  # fmt: skip
    return "".join(rules)


def _wording_css(lang: str) -> str:
    """The words CSS prints, in the language of the element: a space of a manual of several
    has its own (`:lang()` takes the nearest lang attribute); others take the manual's."""
    rules = []
    for on, selector in [(lang, ""), *((other, f":lang({other})") for other in WORDS)]:
        w = words(on)
        before, after = w["see_page"].split("{n}")
        rules.append(
            f"a.internal{selector}::after {{\n"
            f'  content: "{before}" target-counter(attr(href), page) "{after}"; }}\n'
            f"figure.captioned{selector} > figcaption::before {{\n"
            f'  content: "{w["figure"]}\\00a0" counter(figure) " — "; }}\n'
        )
    return "".join(rules)
