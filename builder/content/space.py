"""Find the spaces of a repository, read SUMMARY.md, load and render every page."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from builder.content.encoding import check_mojibake
from builder.content.frontmatter import split_front_matter
from builder.content.inline import title_text
from builder.content.model import NavItem, Page, Space, flatten, page_anchor
from builder.content.summary import SummaryEntry, parse_summary
from builder.content.yamlsafe import load_yaml
from builder.diagnostics import Collected, Diagnostic, Diagnostics
from builder.errors import ContentError, GuideError
from builder.gate import ReadRefused, current

H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Layout:
    """Where a space's files are, per .gitbook.yaml."""

    root: Path
    readme: str = "README.md"
    summary: str = "SUMMARY.md"
    prefix: str = ""  # the root relative to the folder given (e.g. "help/"), for messages
    # The space's folder (holding .gitbook.yaml and its own guideprint.toml); None: the root.
    folder: Path | None = field(default=None, compare=False)
    # What .gitbook.yaml writes that GitBook does not read (a misspelt key): (message, line,
    # hint) each, said as warnings by read_space.
    notes: tuple[tuple[str, int | None, str], ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        """The space's name: its folder's (GitBook's site names a space by its folder)."""
        return (self.folder or self.root).name


def find_spaces(repo: Path, name: str | None = None) -> list[Layout]:
    """The spaces of a repository: itself, its .gitbook.yaml root, or one folder per space."""
    repo = repo.resolve()
    if not repo.is_dir():
        raise ContentError("no such folder", file=repo, hint="give --source a GitBook space")
    own = _layout(repo)
    has_summary = (own.root / own.summary).is_file()
    if has_summary or ((own.root / own.readme).is_file() and not _subspaces(repo)):
        spaces = [own]
    else:
        spaces = [_layout(d) for d in _subspaces(repo)]
    if not spaces:
        raise ContentError(
            "no GitBook space here (no SUMMARY.md or README.md)",
            file=repo,
            hint="point --source at a space folder",
        )
    spaces = [replace(s, prefix=_prefix(s.root, repo)) for s in spaces]
    if name is not None:
        chosen = [s for s in spaces if s.name == name or s.root.name == name]
        if not chosen:
            names = ", ".join(s.name for s in spaces)
            raise ContentError(f"no space named '{name}'", file=repo, hint=f"spaces: {names}")
        return chosen
    return spaces


def _prefix(root: Path, repo: Path) -> str:
    rel = root.relative_to(repo).as_posix() if root.is_relative_to(repo) else ""
    return "" if rel in ("", ".") else rel + "/"


def _subspaces(repo: Path) -> list[Path]:
    order = _site_order(repo)
    found = sorted(
        d
        for d in repo.iterdir()
        if d.is_dir()
        and not d.name.startswith(".")
        and ((d / "SUMMARY.md").is_file() or (d / ".gitbook.yaml").is_file())
    )
    return sorted(found, key=lambda d: order.index(d.name) if d.name in order else len(order))


def _site_order(repo: Path) -> list[str]:
    """Space order from a docs.yaml site configuration, when there is one."""
    config = repo / "docs.yaml"
    if current().kind(config) not in ("file", "refused"):  # a refused one is reported
        return []
    text = _gated_text(config, errors="replace")
    try:
        dirs = list(_directories(load_yaml(text, what="docs.yaml")))
    except yaml.YAMLError:
        dirs = re.findall(r"directory:\s*['\"]?([^\s'\",}]+)", text)
    return [Path(d).name for d in dirs]


def _directories(data: object) -> Iterator[str]:
    """Every `directory:` value of a site configuration, in order."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "directory" and isinstance(value, str):
                yield value
            else:
                yield from _directories(value)
    elif isinstance(data, list):
        for item in data:
            yield from _directories(item)


def _layout(folder: Path) -> Layout:
    config = folder / ".gitbook.yaml"
    if current().kind(config) not in ("file", "refused"):  # a refused one is reported
        return Layout(folder, readme=_any_case(folder, "README.md"),
                      summary=_any_case(folder, "SUMMARY.md"), folder=folder)  # fmt: skip
    text = _gated_text(config, errors="strict")
    try:
        data = load_yaml(text, what=".gitbook.yaml") or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ContentError(
            f"invalid .gitbook.yaml: {getattr(exc, 'problem', None) or exc}",
            file=config,
            line=line + 1 if line is not None else None,
        ) from exc
    structure = data.get("structure") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(structure or {}, dict):
        raise ContentError("invalid .gitbook.yaml: expected 'root:' and 'structure:'", file=config)
    root = (folder / str(data.get("root") or "./")).resolve()
    if not root.is_relative_to(folder.resolve()):
        raise ContentError("root points outside the repository", file=config)
    given = structure or {}
    readme = _inside(str(given.get("readme") or _any_case(root, "README.md")), root, config)
    summary = _inside(str(given.get("summary") or _any_case(root, "SUMMARY.md")), root, config)
    notes = _unknown_keys(data, text)
    return Layout(root, readme=readme, summary=summary, folder=folder, notes=notes)


# The keys of .gitbook.yaml GitBook reads (../GITBOOK.md), at the top and under structure:.
GITBOOK_KEYS = ("root", "structure", "redirects")
STRUCTURE_KEYS = ("readme", "summary")
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _unknown_keys(data: dict[Any, Any], text: str) -> tuple[tuple[str, int | None, str], ...]:
    """A warning for each key of .gitbook.yaml that GitBook does not read, with its line: a
    misspelt "strucutre:" or a "root\u200b:" pasted from a web page left the space's README
    and SUMMARY the default ones without a word."""
    from builder.config import did_you_mean

    structure = data.get("structure")
    found: list[tuple[str, tuple[str, ...], str]] = [
        (str(k), GITBOOK_KEYS, "") for k in data if str(k) not in GITBOOK_KEYS
    ]
    if isinstance(structure, dict):
        found += [(str(k), STRUCTURE_KEYS, "structure.") for k in structure
                  if str(k) not in STRUCTURE_KEYS]  # fmt: skip
    notes = []
    for key, known, under in found:
        at = re.search(rf"^[ \t]*['\"]?{re.escape(key)}['\"]?[ \t]*:", text, re.M)
        line = text.count("\n", 0, at.start()) + 1 if at else None
        hidden = INVISIBLE.findall(key)
        shown = INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", key)
        plain = INVISIBLE.sub("", key).lower()
        if hidden:
            hint = f"the key holds an invisible character (U+{ord(hidden[0]):04X}): type it again"
        else:  # the closest key GitBook reads, else all of them
            hint = did_you_mean(under + plain, [under + k for k in known])
        notes.append((f"unknown key '{under}{shown}' in .gitbook.yaml, ignored", line, hint))
    return tuple(notes)


def _any_case(root: Path, name: str) -> str:
    """name, or the one file of root that is name in other capitals: legacy GitBook books
    have a `Summary.md` (their table of contents was read as no SUMMARY.md at all)."""
    if current().kind(root / name) == "file":
        return name
    others = [
        p.name for p in current().walk(root, recursive=False) if p.name.lower() == name.lower()
    ]
    return others[0] if len(others) == 1 else name


def _gated_text(path: Path, *, errors: str) -> str:
    """A configuration file of the repository, read through the gate."""
    try:
        return current().read_text(path, what="configuration", errors=errors)
    except ReadRefused as exc:
        raise ReadRefused(exc.message, file=path, hint=exc.hint) from exc
    except UnicodeDecodeError as exc:
        raise ContentError("not UTF-8 text", file=path, hint="save it as UTF-8") from exc


def _inside(path: str, root: Path, config: Path) -> str:
    """A structure path, normalised ('./x.md' -> 'x.md'), refused if it leaves the root."""
    norm = posixpath.normpath(path.strip().lstrip("/"))
    if norm.startswith("../") or norm == ".." or not (root / norm).resolve().is_relative_to(root):
        raise ContentError(f"structure path '{path}' points outside the space", file=config)
    return norm


@dataclass
class _Loaded:
    path: str
    source: Path
    front: dict[str, Any]
    body: str
    first_line: int
    title: str


def read_space(
    layout: Layout,
    diag: Diagnostics,
    *,
    lang: str = "fr",
    allow_remote: bool = False,
    render: bool = True,
    shares: Shares | None = None,
) -> Space:
    """Load the space's pages in SUMMARY order and render each to HTML.

    Messages name files from the folder given to find_spaces ("help/setup.md" in a
    repository of several spaces), so that they can be opened from there. shares: how the
    pages are rendered, a run of them at a time (builder.workers.shared: on two cores); each
    page's rendering depends on its own text and the space's titles only.
    """
    if layout.prefix:
        return _read_prefixed(layout, diag, lang=lang, allow_remote=allow_remote, render=render,
                              shares=shares)  # fmt: skip
    for message, line, hint in layout.notes:
        diag.warn(message, file=(layout.folder or layout.root) / ".gitbook.yaml", line=line,
                  hint=hint)  # fmt: skip
    root = layout.root
    entries = _entries(layout, diag)
    loaded: dict[str, _Loaded] = {}
    for entry in flatten(entries):
        if entry.path and entry.path not in loaded:
            page = _load(root, entry, diag)
            if page is not None:
                loaded[entry.path] = page
    titles = {p.path: title_text(p.title, lang) for p in loaded.values()}
    remote: list[tuple[str, int | None, str]] = []

    def run(items: list[tuple[str, _Loaded]]) -> Rendered:
        found = Collected()  # said once, when taken over below
        far: list[tuple[str, int | None, str]] = []
        done = [(path, _render(item, layout, found, lang, titles, allow_remote, render, far))
                for path, item in items]  # fmt: skip
        return done, found.items, far

    pages: dict[str, Page] = {}
    for done, said, far in (shares or _alone)(run, list(loaded.items())):
        pages.update(done)
        diag.extend(Diagnostics(said))
        remote += far
    _report_remote(remote, diag)
    nav = [_nav(e, pages) for e in entries]
    readme = pages.get(layout.readme)
    cover = readme.front.get("cover") if readme else None
    return Space(
        root=root,
        name=layout.name,
        title=readme.title if readme else layout.name,
        description=str(readme.front.get("description", "")).strip() if readme else "",
        cover=str(cover) if cover else None,
        nav=nav,
        pages=list(pages.values()),
        lang=lang,
    )


# A run of pages rendered: each page, what was said of them, the remote images they name.
Rendered = tuple[list[tuple[str, Page]], list[Diagnostic], list[tuple[str, int | None, str]]]
# How runs of pages are rendered: work on the pages, in one run or more, the results in order.
Shares = Callable[[Callable[[list[Any]], Rendered], list[Any]], list[Rendered]]


def _alone(work: Callable[[list[Any]], Rendered], items: list[Any]) -> list[Rendered]:
    return [work(items)]


def space_settings(layout: Layout, lang: str, diag: Diagnostics) -> tuple[str, str]:
    """A space of a repository of several: its language and title from a guideprint.toml of
    its folder; without one, its language told by its text (its own READMEs), lang if that
    is no clearer than lang's, and no title."""
    from builder.config import Settings, load_settings
    from builder.project import guess_language

    folder = layout.folder or layout.root
    own = load_settings(folder)
    if not own.path:
        return guess_language(folder, current(), default=lang), ""
    ignored = [
        name
        for name in ("description", "organisation", "logo", "brand_colour", "keywords", "manual")
        if getattr(own, name) != getattr(Settings(), name)
    ]
    if ignored:
        diag.warn(
            f"{', '.join(ignored)}: only title and language are a space's own",
            file=layout.prefix + "guideprint.toml" if layout.prefix else own.path,
            hint="set the others in the project's guideprint.toml",
        )
    if "language" not in _keys(own.path):  # not set there: guessed, as without the file
        return guess_language(folder, current(), default=lang), own.title
    return own.language, own.title


def _keys(path: Path | str) -> set[str]:
    """The top-level keys a settings file writes (read again, through the gate)."""
    import tomllib

    try:
        return set(tomllib.loads(current().read_text(Path(path))))
    except (OSError, ValueError, GuideError):
        return set()


def _read_prefixed(layout: Layout, diag: Diagnostics, **options: Any) -> Space:
    """Read a space whose messages must name files from the folder given, not its root."""
    local = Collected()  # kept, to be reported under the names the repository gives
    space = read_space(replace(layout, prefix=""), local, **options)
    for page in space.pages:  # what later stages say of a page names it the same way
        page.prefix = layout.prefix
    for d in local.items:
        file = d.file if d.file is None or Path(d.file).is_absolute() else layout.prefix + d.file
        report = diag.error if d.level == "error" else diag.warn
        report(d.message, file=file, line=d.line, hint=d.hint)
    return space


def _entries(layout: Layout, diag: Diagnostics) -> list[SummaryEntry]:
    summary = layout.root / layout.summary
    if current().kind(summary) in ("file", "refused"):  # a refused one is reported
        return parse_summary(summary, layout.root, diag)
    diag.warn("no SUMMARY.md: README first, then every page by path", file=layout.root)
    files = sorted(
        p.relative_to(layout.root).as_posix()
        for p in current().walk(layout.root, ".md")
        if not any(part.startswith(".") for part in p.relative_to(layout.root).parts)
    )
    first = [layout.readme] if layout.readme in files else []
    rest = [f for f in files if f not in first and f != layout.summary]
    return [SummaryEntry(title="", path=f, line=0) for f in first + rest]


def _load(root: Path, entry: SummaryEntry, diag: Diagnostics) -> _Loaded | None:
    assert entry.path is not None
    source = root / entry.path
    try:
        text = current().read_text(source, what="page")
    except ReadRefused as exc:
        diag.warn(exc.message, file=entry.path, hint=exc.hint)
        return None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        diag.error(
            f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
            file=entry.path,
            line=line,
            hint="run 'guideprint import' on it to repair the encoding",
        )
        return None
    except OSError as exc:
        diag.error(f"cannot read: {exc.strerror}", file=entry.path)
        return None
    front, body, first = split_front_matter(text, file=entry.path, diag=diag)
    check_mojibake(body, entry.path, first, diag)
    title, body = _take_title(body, entry.title or Path(entry.path).stem)
    return _Loaded(entry.path, source, front, body, first, title)


def _take_title(body: str, fallback: str) -> tuple[str, str]:
    """The page's H1 is its title; blank its line so line numbers stay right."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        m = H1.match(line)
        if m:
            lines[i] = ""
            title = re.sub(r"\s*<a [^>]*>\s*</a>", "", m.group(1)).strip()
            return title, "\n".join(lines)
        break
    return fallback, body


def _render(
    item: _Loaded,
    layout: Layout,
    diag: Diagnostics,
    lang: str,
    titles: dict[str, str],
    allow_remote: bool,
    render: bool,
    remote: list[tuple[str, int | None, str]] | None = None,
) -> Page:
    from builder.content.language import detect
    from builder.content.render import render_markdown

    own = detect(f"{item.title}\n{item.body}", prefer=lang)
    lang = own or lang
    html, headings, images = "", [], {}
    if render:
        rendered = render_markdown(
            item.body,
            source=item.source,
            root=layout.root,
            diag=diag,
            first_line=item.first_line,
            lang=lang,
            anchor=page_anchor(item.path),
            titles=titles,
            allow_remote=allow_remote,
            page_vars=vars_ if isinstance(vars_ := item.front.get("vars"), dict) else None,
            remote=remote,
        )
        html, headings, images = rendered.html, rendered.headings, rendered.images
    return Page(
        path=item.path,
        source=item.source,
        title=item.title,
        description=str(item.front.get("description", "") or "").strip(),
        front=item.front,
        html=html,
        headings=headings,
        anchor=page_anchor(item.path),
        hidden=str(item.front.get("hidden", "")).strip().lower() == "true",
        images=images,
        lang=own or "",
    )


def _report_remote(remote: list[tuple[str, int | None, str]], diag: Diagnostics) -> None:
    """The remote images left out, in one line: where the first is, how many in all."""
    if not remote:
        return
    file, line, url = remote[0]
    pages = len({f for f, _, _ in remote})
    more = f", and {len(remote) - 1} more on {pages} page(s)" if len(remote) > 1 else ""
    diag.warn(
        f"remote image not fetched: {url}{more}",
        file=file,
        line=line,
        hint="pass --allow-remote to include them (or download them into .gitbook/assets)",
    )


def _nav(entry: SummaryEntry, pages: dict[str, Page]) -> NavItem:
    page = pages.get(entry.path) if entry.path else None
    return NavItem(
        title=entry.title or (page.title if page else ""),
        page=page,
        url=entry.url,
        children=[_nav(c, pages) for c in entry.children],
        group=entry.group,
        anchor=page.anchor if page else "",
    )
