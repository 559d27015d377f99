"""A raw GitBook page or space -> clean pages: mojibake repaired, one page per section, assets.

Everything is read and checked first; nothing is written until the whole import is known to work.
Nothing outside the source (a space folder, or the folder holding a raw page) is ever read: every
read goes through a gate (builder.gate) whose roots are the source and the destination.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import ftfy
from ftfy.badness import is_bad

from builder.content.model import slugify
from builder.diagnostics import Diagnostics
from builder.errors import ContentError, InputError, OutputError
from builder.gate import Gate, ReadRefused, activate, current

# The defaults would uncurl typographic apostrophes and unescape `&#x20;` on some lines only:
# both alter GitBook markup, so only encoding repairs (and their harmless companions) run.
FTFY_CONFIG = ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False)
ASSETS_DIR = ".gitbook/assets"
MOJIBAKE_MARKERS = ("Ã", "â€", "Â", "ğŸ")

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_ATTR = re.compile(r'(?P<pre>\b(?:src|srcset|href)=")(?P<ref>[^"]+)"')
_MD_LINK = re.compile(r'(?P<pre>!?\[[^\]]*\]\()(?:<(?P<a>[^>]+)>|(?P<b>[^)\s]+))(?:\s+"[^"]*")?\)')
_COVER = re.compile(r"^(?P<pre>cover(?:Dark)?:[ \t]*)(?P<ref>[^\s#]+)[ \t]*$")
_ANCHOR = re.compile(r"<a\b[^>]*>\s*</a>")
_TAG = re.compile(r"<[^>]+>")
_SPACE_CONFIG = (".gitbook.yaml", ".gitbook/vars.yaml", ".gitbook/tags.yaml")


@dataclass(frozen=True)
class Repair:
    """One source line that ftfy changed, and how."""

    file: str
    line: int
    fixes: tuple[str, ...]  # ftfy steps, e.g. ("encode sloppy-windows-1252", "decode utf-8")


@dataclass(frozen=True)
class AssetRef:
    """An image or file a page points at."""

    file: str  # the source file, for file:line messages
    line: int
    ref: str  # as written in the page

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.ref}"


@dataclass
class ImportReport:
    """What an import wrote, repaired, copied and could not find."""

    source: Path
    dest: Path
    pages: list[str] = field(default_factory=list)  # written, relative to dest, reading order
    repairs: list[Repair] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)  # copied, relative to dest
    missing: list[AssetRef] = field(default_factory=list)
    remote: list[AssetRef] = field(default_factory=list)

    def repair_counts(self) -> Counter[str]:
        """Number of repaired lines per kind of repair."""
        return Counter(" + ".join(r.fixes) for r in self.repairs)

    def summary(self) -> list[str]:
        """Lines for the CLI to print after an import."""
        out = [f"wrote {len(self.pages)} pages to {self.dest}: {', '.join(self.pages)}"]
        out.append(f"repaired {len(self.repairs)} lines")
        out += [f"  {n} x {kind}" for kind, n in self.repair_counts().most_common()]
        out.append(f"copied {len(self.assets)} assets")
        out += [f"missing asset: {ref}" for ref in self.missing]
        out += [f"remote asset (not fetched): {ref}" for ref in self.remote]
        return out


@dataclass(frozen=True)
class Line:
    no: int  # line number in the source file
    text: str


@dataclass
class Draft:
    """A file to write: a page (path relative to dest) with its lines and where they came from."""

    path: str
    title: str
    lines: list[Line]
    source: Path


@dataclass
class _Plan:
    drafts: list[Draft] = field(default_factory=list)
    copies: dict[str, Path] = field(default_factory=dict)  # dest-relative path -> source file


def import_source(src: Path, dest: Path, diag: Diagnostics, *, force: bool = False) -> ImportReport:
    """Import a raw GitBook page (split per section) or a space folder into dest."""
    src, dest = src.absolute(), dest.absolute()
    if not src.exists():
        raise InputError("no such file or folder", file=src, hint="give a GitBook page or space")
    space = src.is_dir()
    root = src if space else src.parent
    try:
        _check_dest(dest, root, space=space, force=force)
    except OSError as exc:  # a destination that cannot even be listed
        raise _unwritable(dest, exc) from exc
    report = ImportReport(source=src, dest=dest)
    # The folder and the page named on the command line are read where they lead (as any
    # file named there); what they point at is read only inside that folder.
    real = Path(os.path.realpath(src))
    gate = Gate.of([Path(os.path.realpath(root)), dest], [] if space else [real])
    with activate(gate):
        plan = _plan_space(src, report, diag) if space else _plan_page(src, report, diag)
        _collect_assets(plan, root, single=not space, report=report, diag=diag)
        _write(plan, dest)
    report.pages = [
        d.path
        for d in plan.drafts
        if d.path.endswith(".md") and d.title and not d.path.startswith(".gitbook/")
    ]
    report.assets = sorted(plan.copies)
    return report


def _check_dest(dest: Path, root: Path, *, space: bool, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise OutputError("destination is a file", file=dest, hint="give a folder")
    # A space is read recursively: its own output inside it would be read back next time.
    if dest == root or (space and dest.is_relative_to(root)):
        raise OutputError(
            "destination is inside the source", file=dest, hint="import into another folder"
        )
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise OutputError(
            "destination is not empty", file=dest, hint="choose an empty folder or use --force"
        )


# --- reading and repairing ------------------------------------------------------------------


def read_repaired(path: Path, report: ImportReport, diag: Diagnostics) -> list[Line]:
    """Read a UTF-8 file and repair its mojibake line by line, recording each repair."""
    try:
        raw = current().read_bytes(path, what="page")
    except ReadRefused as exc:
        raise InputError(exc.message, file=path, hint=exc.hint) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            "not UTF-8 text", file=path, line=line, hint="save the file as UTF-8 and retry"
        ) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[Line] = []
    for no, line_text in enumerate(text.split("\n"), 1):
        lines += _repair_line(path, no, line_text, report, diag)
    return lines


def _repair_line(
    path: Path, no: int, text: str, report: ImportReport, diag: Diagnostics
) -> list[Line]:
    # Same segments and settings as ftfy.fix_text(text, unescape_html=False, uncurl_quotes=False),
    # which fixes text line by line too; done here per line to say what was fixed where.
    fixed, steps = ftfy.fix_and_explain(text + "\n", FTFY_CONFIG)
    fixed = fixed.removesuffix("\n")
    if fixed != text:
        fixes = tuple(f"{step.action} {step.parameter}" for step in steps or [])
        report.repairs.append(Repair(str(path), no, fixes))
    if is_bad(fixed) or "\ufffd" in fixed:
        diag.warn("text still looks garbled after repair", file=path, line=no, hint="fix by hand")
    return [Line(no, part) for part in fixed.split("\n")]


def _front_matter_end(lines: list[Line], path: Path) -> int:
    """Index just past the closing '---' of the front matter (0 if there is none)."""
    if not lines or lines[0].text.strip() != "---":
        return 0
    for i, line in enumerate(lines[1:], 1):
        if line.text.strip() in ("---", "..."):
            return i + 1
    raise ContentError("front matter is not closed", file=path, line=1, hint="add a line '---'")


def _headings(lines: list[Line]) -> Iterator[tuple[int, int, str]]:
    """(index, level, title) of each heading outside code fences."""
    fence = ""
    for i, line in enumerate(lines):
        opening = _FENCE.match(line.text)
        if opening:
            mark = opening.group(1)
            fence = "" if fence == mark else (fence or mark)
            continue
        match = None if fence else _HEADING.match(line.text)
        if match:
            yield i, len(match.group(1)), match.group(2)


def plain_title(title: str) -> str:
    """Heading text without anchors, tags, emphasis or Markdown escapes."""
    text = _TAG.sub("", _ANCHOR.sub("", title))
    text = re.sub(r"\\(.)", r"\1", text.replace("**", "").replace("__", ""))
    return html.unescape(text).replace("\u00a0", " ").strip()


# --- one raw page -> README + one page per top-level section --------------------------------


def _plan_page(src: Path, report: ImportReport, diag: Diagnostics) -> _Plan:
    lines = read_repaired(src, report, diag)
    start = _front_matter_end(lines, src)
    front, body = lines[:start], lines[start:]
    title, body = _take_title(body, default=src.stem)
    heads = list(_headings(body))
    level = min((n for _, n, _ in heads), default=0)
    cuts = [i for i, n, _ in heads if n == level]
    gap = [Line(0, "")] if front else []
    readme = Draft("README.md", title, [*front, *gap, Line(0, f"# {title}"), Line(0, "")], src)
    readme.lines += body[: cuts[0]] if cuts else body
    plan = _Plan([readme])
    taken = {"readme", "summary"}
    for k, cut in enumerate(cuts):
        end = cuts[k + 1] if k + 1 < len(cuts) else len(body)
        plan.drafts.append(_section(body[cut:end], level, src, taken))
    for draft in plan.drafts:
        draft.lines = _tidy(draft.lines)
    plan.drafts.append(_summary(plan.drafts, src))
    return plan


def _take_title(body: list[Line], default: str) -> tuple[str, list[Line]]:
    """The page title (a leading "# Title") and the body after it."""
    first = next(_headings(body), None)
    if first is None or first[1] != 1 or any(t.text.strip() for t in body[: first[0]]):
        return default, body
    return plain_title(first[2]), body[first[0] + 1 :]


def _section(lines: list[Line], level: int, src: Path, taken: set[str]) -> Draft:
    title = plain_title(_HEADING.match(lines[0].text).group(2))  # type: ignore[union-attr]
    slug = base = slugify(title)
    n = 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    out = [Line(lines[0].no, f"# {title}"), Line(0, "")]
    deeper = {i: n for i, n, _ in _headings(lines) if i > 0}
    for i, line in enumerate(lines[1:], 1):
        if i in deeper:
            # promote so the section's own level becomes the page title level (#)
            new_level = max(1, deeper[i] - level + 1)
            line = Line(line.no, "#" * new_level + line.text[deeper[i] :])
        out.append(line)
    return Draft(f"{slug}.md", title, out, src)


def _tidy(lines: list[Line]) -> list[Line]:
    """Drop leading/trailing blank lines and collapse runs of blank lines (outside fences)."""
    out: list[Line] = []
    fence = False
    for line in lines:
        if _FENCE.match(line.text):
            fence = not fence
        blank = not line.text.strip()
        if blank and not fence and (not out or not out[-1].text.strip()):
            continue
        out.append(Line(line.no, "" if blank and not fence else line.text.rstrip(" \t")))
    while out and not out[-1].text.strip():
        out.pop()
    return out


def _summary(drafts: list[Draft], src: Path) -> Draft:
    items = [f"* [{_link_text(d.title)}]({d.path})" for d in drafts]
    lines = [Line(0, t) for t in ["# Table of contents", "", *items]]
    return Draft("SUMMARY.md", "", lines, src)


def _link_text(title: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", title)


# --- a space folder -> the same space, repaired ---------------------------------------------


def _plan_space(src: Path, report: ImportReport, diag: Diagnostics) -> _Plan:
    plan = _Plan()
    files = sorted(_space_files(src, diag), key=lambda p: (p.name != "README.md", str(p)))
    if not any(p.suffix == ".md" for p in files):
        raise InputError("no Markdown page in this folder", file=src, hint="give a GitBook space")
    for path in files:
        rel = path.relative_to(src).as_posix()
        lines = read_repaired(path, report, diag)
        is_page = path.suffix == ".md" and not rel.endswith("SUMMARY.md")
        title = _page_title(lines, path) if is_page else ""
        plan.drafts.append(Draft(rel, title, lines, path))
    if not current().is_file(src / "SUMMARY.md"):
        pages = [d for d in plan.drafts if d.title and not d.path.startswith(".gitbook/")]
        plan.drafts.append(_summary(pages, src))
    return plan


def _space_files(src: Path, diag: Diagnostics) -> Iterator[Path]:
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        hidden = [part for part in rel.parts[:-1] if part.startswith(".")]
        if not path.is_file() or (hidden and hidden != [".gitbook"]):
            continue
        if not current().allows(path):
            diag.warn("refused: a link leading outside the space, not imported", file=path)
            continue
        if path.suffix == ".md" and ASSETS_DIR not in rel.as_posix():
            yield path
        elif rel.as_posix() in _SPACE_CONFIG:
            yield path


def _page_title(lines: list[Line], path: Path) -> str:
    body = lines[_front_matter_end(lines, path) :]
    return next((plain_title(t) for _, n, t in _headings(body) if n == 1), "Untitled")


# --- assets ---------------------------------------------------------------------------------


def _collect_assets(
    plan: _Plan, root: Path, *, single: bool, report: ImportReport, diag: Diagnostics
) -> None:
    for draft in plan.drafts:
        if not draft.path.endswith(".md") or draft.path.endswith("SUMMARY.md"):
            continue
        page_dir = PurePosixPath(draft.path).parent
        front_end = _front_matter_end(draft.lines, draft.source)
        fence = False
        for i, line in enumerate(draft.lines):
            if _FENCE.match(line.text):
                fence = not fence
            if fence:
                continue  # an <img> shown in a code sample is not an asset
            ctx = _RefContext(plan, root, draft, page_dir, single, report, diag, line.no)
            text = _COVER.sub(ctx.cover, line.text) if i < front_end else line.text
            text = _MD_LINK.sub(ctx.md_link, _ATTR.sub(ctx.attr, text))
            draft.lines[i] = Line(line.no, text)


@dataclass
class _RefContext:
    plan: _Plan
    root: Path
    draft: Draft
    page_dir: PurePosixPath
    single: bool
    report: ImportReport
    diag: Diagnostics
    line: int

    def attr(self, m: re.Match[str]) -> str:
        ref = m.group("ref")
        if m.group("pre").startswith("href") and ASSETS_DIR not in ref:
            return m.group(0)
        return f'{m.group("pre")}{self.rewrite(ref)}"'

    def cover(self, m: re.Match[str]) -> str:
        return f"{m.group('pre')}{self.rewrite(m.group('ref'))}"

    def md_link(self, m: re.Match[str]) -> str:
        group = "a" if m.group("a") else "b"
        ref = m.group(group)
        if not m.group("pre").startswith("!") and ASSETS_DIR not in ref:
            return m.group(0)
        new = self.rewrite(ref)
        if group == "b" and re.search(r"[\s()]", new):
            new = f"<{new}>"  # a bare destination cannot hold spaces or parentheses
        start, end = m.start(group) - m.start(), m.end(group) - m.start()
        return m.group(0)[:start] + new + m.group(0)[end:]

    def rewrite(self, ref: str) -> str:
        """Record the asset and return the reference the written page should use."""
        where = AssetRef(str(self.draft.source), self.line, ref)
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", ref, re.IGNORECASE):
            if ref.startswith(("http:", "https:", "//")):
                self.report.remote.append(where)
            return ref
        # entities first: the '#' of "d&#x27;écran" is not a fragment
        name = unquote(re.split(r"[?#]", html.unescape(ref))[0])
        found, target = self.locate(name)
        if found is None:
            self.report.missing.append(where)
            self.diag.warn(
                f"asset '{ref}' refused: it leads outside the folder imported"
                if self.leads_out(name)
                else f"missing asset '{ref}'",
                file=self.draft.source,
                line=self.line,
                hint=f"put the file in {ASSETS_DIR}/ of the imported space",
            )
            if not self.single:
                return ref  # a space keeps its own layout (one .gitbook/ per space)
        else:
            self.plan.copies[target] = found
            if not self.single and target == self._in_place(name):
                return ref
        written = ref.rsplit("/", 1)[-1]
        base = written if unquote(html.unescape(written)) == PurePosixPath(target).name else None
        return _relative(target, self.page_dir, base)

    def leads_out(self, name: str) -> bool:
        """Does a file that locate passed over lead outside root (a link, or ../)?"""
        return any(current().kind(path) == "refused" or not _inside(path, self.root)
                   for path, _ in self._candidates(name))  # fmt: skip

    def _in_place(self, name: str) -> str:
        return os.path.normpath(self.page_dir / name).replace(os.sep, "/")

    def locate(self, name: str) -> tuple[Path | None, str]:
        """The source file (inside root only) and its dest-relative path."""
        for path, target in self._candidates(name):
            if _inside(path, self.root) and current().is_file(path):
                return path, target
        return None, f"{ASSETS_DIR}/{PurePosixPath(name).name}"

    def _candidates(self, name: str) -> list[tuple[Path, str]]:
        """Where the file called name may be, with its dest-relative path, in order."""
        base = PurePosixPath(name).name
        candidates: list[tuple[Path, str]] = []
        in_place = self._in_place(name)
        if not self.single:
            candidates.append((self.root / in_place, in_place))
        else:
            candidates.append((self.root / self.page_dir / name, f"{ASSETS_DIR}/{base}"))
        candidates.append((self.root / ASSETS_DIR / base, f"{ASSETS_DIR}/{base}"))
        if self.single:
            candidates.append((self.root / base, f"{ASSETS_DIR}/{base}"))
        return candidates


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def _relative(target: str, page_dir: PurePosixPath, base: str | None) -> str:
    rel = os.path.relpath(target, page_dir.as_posix() or ".").replace(os.sep, "/")
    if base is None:
        return html.escape(rel, quote=True)
    return rel.rsplit("/", 1)[0] + "/" + base if "/" in rel else base


# --- writing --------------------------------------------------------------------------------


def _write(plan: _Plan, dest: Path) -> None:
    _mkdir(dest)
    for draft in plan.drafts:
        text = "\n".join(line.text for line in draft.lines).rstrip("\n") + "\n"
        _atomic(dest / draft.path, text.encode("utf-8"))
    for rel, source in sorted(plan.copies.items()):
        try:
            data = current().read_bytes(source, what="asset")
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=source) from exc
        _atomic(dest / rel, data)


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # read-only, a file in the way (EEXIST, ENOTDIR), disk full...
        raise _unwritable(folder, exc) from exc


def _unwritable(folder: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write into this folder: {exc.strerror or exc}",
        file=folder,
        hint="choose another --to",
    )


def _atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file next to path, then move it into place."""
    _mkdir(path.parent)
    try:
        _replace(path, data)
    except OSError as exc:
        raise _unwritable(path.parent, exc) from exc


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes private files; these are ordinary content
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
