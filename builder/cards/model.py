"""Card files (content/cards/NAME.md) -> checked Card objects; no rendering, no WeasyPrint."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.cards.keymap import (
    DRAWING_TYPES,
    KEYMAP,
    Callout,
    Drawing,
    parse_callouts,
    read_drawing,
)
from builder.config import CARD_SIZES, Settings, Urls, _line_of, did_you_mean
from builder.content.frontmatter import split_front_matter
from builder.errors import ConfigError, ContentError
from builder.gate import ReadRefused, current
from builder.i18n import words
from builder.images import check_image
from builder.layouts import Layouts
from builder.project import card_names as card_names  # there: a no-op build never loads this
from builder.resources import bundled

CARDS_DIR = "cards"  # inside the space
ICON_DIR = Path("assets") / "icons"
BUILTIN_ICONS = bundled("assets") / "icons"  # guideprint's own icons (checkout or wheel)

# Short side x long side, in millimetres (ISO 216 and ISO/IEC 7810 ID-1).
SIZES_MM: dict[str, tuple[float, float]] = {
    "A5": (148.0, 210.0),
    "A6": (105.0, 148.0),
    "A7": (74.0, 105.0),
    "credit-card": (54.0, 85.6),
}
assert set(SIZES_MM) == set(CARD_SIZES)
MIN_BODY_PT = 8.0  # print rules: body text never smaller
MIN_KEY_PT = 11.0  # key names and numbers to dial never smaller
MAX_BODY_PT = 11.0  # a short card does not grow past this

BACK = re.compile(r"^[ \t]*<!--[ \t]*back[ \t]*-->[ \t]*$", re.MULTILINE)
QR_SLOT = re.compile(r"^[ \t]*<!--[ \t]*qr[ \t]*-->[ \t]*$", re.MULTILINE)
ICON_REF = re.compile(r"!\[([^\]\n]*)\]\(icon:([^)\s]*)\)")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SECRET_QUERY = re.compile(r"pass|pwd|token|secret|key|auth|prov", re.IGNORECASE)
URL_PRINTED_MAX = 48  # longer URLs are not printed under their code unless asked
KEYS = ("title", "device", "size", "orientation", "accent", "icon", "qr", "min_size", "layout",
        "logo", "footer", "drawing", "callouts")  # fmt: skip
QR_KEYS = ("label", "url", "show_url")


@dataclass(frozen=True)
class QrCode:
    label: str
    url: str
    show_url: bool = True  # print the URL under the code (no: store pages nobody types)


@dataclass(frozen=True)
class Side:
    """One side's Markdown and the line of the card file it starts on."""

    markdown: str
    first_line: int


@dataclass(frozen=True)
class Card:
    name: str  # file stem: out/cards/NAME.pdf, `--card NAME`
    path: Path  # the card file (absolute)
    space: Path  # the GitBook space the card's includes and images are read from
    project: Path  # layouts/ and assets/ are searched here first
    title: str
    device: str
    size: str  # a key of SIZES_MM
    orientation: str  # portrait or landscape
    accent: str  # #rrggbb
    icon: Path | None  # the device icon (SVG)
    qr: tuple[QrCode, ...]
    min_size: float  # smallest body size the fit may use, in points
    layout: str  # template/stylesheet variant in layouts/cards/
    front: Side
    back: Side | None
    settings: Settings
    logo: Path | None = None  # the settings' logo, unless the card says `logo: false`
    footer: bool = True  # False: no help desk lines (the edition stays)
    drawing: Drawing | None = None  # layout: keymap
    callouts: tuple[Callout, ...] = ()
    edition: str = ""  # set once the card's includes are read (builder.cards.edition)

    @property
    def size_mm(self) -> tuple[float, float]:
        """Trim width and height in millimetres, orientation applied."""
        short, long = SIZES_MM[self.size]
        return (long, short) if self.orientation == "landscape" else (short, long)


def project_of(folder: Path, settings: Settings) -> Path:
    """The project a cards folder belongs to: where guideprint.toml is, else above the space."""
    return Path(settings.path).parent if settings.path else folder.resolve().parent.parent


def load_card(folder: Path, name: str, settings: Settings, *, project: Path | None = None) -> Card:
    """Read and check one card by name; an unknown name suggests the closest."""
    names = card_names(folder)
    if name not in names:
        hint = did_you_mean(name, names) if names else f"no card files in {folder}"
        raise ConfigError(f"unknown card '{name}'", hint=hint)
    return parse_card(folder / f"{name}.md", settings, project=project)


def parse_card(path: Path, settings: Settings, *, project: Path | None = None) -> Card:
    """Turn one card file (in the space's cards/ folder) into a Card, checking every key."""
    project = (project or project_of(path.parent, settings)).resolve()
    file = _display(path, project)
    try:
        text = current().read_text(path, what="card")
    except ReadRefused as exc:
        raise ReadRefused(exc.message, file=file, hint=exc.hint) from exc
    except UnicodeDecodeError as exc:
        raise ContentError("not UTF-8 text", file=file, hint="save it as UTF-8") from exc
    front, body, first = split_front_matter(text, file=file, strict=True)
    if not NAME.match(path.stem):
        raise ConfigError(
            f"card name '{path.stem}' must be lowercase letters, digits and -", file=file
        )
    fields = _Fields(front, text, file)
    fields.check_keys()
    sides = _split_sides(body, first, file)
    _check_qr_slot(sides, file)
    _check_icon_refs(body, first, file, project)
    return Card(
        name=path.stem,
        path=path.resolve(),
        space=path.resolve().parent.parent,
        project=project,
        title=fields.text("title", required=True),
        device=fields.text("device"),
        size=fields.choice("size", CARD_SIZES, settings.cards.size),
        orientation=fields.choice(
            "orientation", ("portrait", "landscape"), settings.cards.orientation
        ),
        accent=fields.colour("accent", settings.brand_colour),
        icon=fields.icon(project),
        qr=fields.qr(settings),
        min_size=fields.min_size(),
        layout=fields.layout(project),
        front=sides[0],
        back=sides[1],
        settings=settings,
        logo=fields.logo(settings, project),
        footer=fields.flag("footer"),
        **fields.keymap(path.parent, settings),
    )


class _Fields:
    """Typed access to a card's front matter; every mistake names its line."""

    def __init__(self, data: dict[str, Any], text: str, file: str) -> None:
        self.data = data
        self.file = file
        self.lines = _key_lines(text)

    def error(self, key: str, message: str, hint: str | None = None) -> ConfigError:
        return ConfigError(message, file=self.file, line=self.lines.get(key), hint=hint)

    def check_keys(self) -> None:
        for key in self.data:
            if key not in KEYS:
                hint = did_you_mean(str(key), KEYS)
                if key == "back":
                    hint = "write the back after a '<!-- back -->' line in the body"
                raise self.error(str(key), f"unknown key '{key}'", hint)

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(key, f"'{key}' must be text")
        if required and not value.strip():
            raise ConfigError(
                f"missing '{key}'",
                file=self.file,
                line=1,
                hint=f"add '{key}: ...' to the front matter",
            )
        return value.strip()

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in allowed:
            hint = did_you_mean(str(value), allowed)
            raise self.error(key, f"invalid {key} '{value}'", hint)
        return str(value)

    def colour(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise self.error(key, f"invalid {key} '{value}'", "use #rrggbb, quoted")
        return value.lower()

    def icon(self, project: Path) -> Path | None:
        name = self.text("icon")
        if not name:
            return None
        found = find_icon(name, project)
        if found is None:
            raise self.error("icon", *_unknown_icon(name, project))
        return found

    def min_size(self) -> float:
        value = self.data.get("min_size", MIN_BODY_PT)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error("min_size", "'min_size' must be a number of points")
        if not MIN_BODY_PT <= value <= MAX_BODY_PT:
            raise self.error(
                "min_size",
                f"'min_size' {value} is out of bounds",
                f"use {MIN_BODY_PT:g} to {MAX_BODY_PT:g} (points)",
            )
        return float(value)

    def layout(self, project: Path) -> str:
        name = self.text("layout") or "card"
        known = layouts(project)
        if name not in known:
            raise self.error("layout", f"unknown layout '{name}'", did_you_mean(name, known))
        return name

    def qr(self, settings: Settings) -> tuple[QrCode, ...]:
        items = self.data.get("qr") or []
        if not isinstance(items, list):
            raise self.error("qr", "'qr' must be a list", "e.g. qr: [urls.webclient]")
        codes = (self.qr_item(item, settings) for item in items)
        return tuple(code for code in codes if code is not None)

    def qr_item(self, item: object, settings: Settings) -> QrCode | None:
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise self.error("qr", "each qr entry is a settings key or {label, url}")
        for key in item:
            if key not in QR_KEYS:
                raise self.error("qr", f"unknown qr key '{key}'", did_you_mean(str(key), QR_KEYS))
        url, default_label = self.url(item["url"], settings)
        if not url:
            return None  # a store URL guideprint.toml does not give: no code for it
        check_public_url(url, self.error)
        label = item.get("label", default_label)
        if not isinstance(label, str) or not label.strip():
            raise self.error("qr", f"qr entry '{item['url']}' needs a label")
        show = item.get("show_url", len(url) <= URL_PRINTED_MAX and "?" not in url)
        if not isinstance(show, bool):
            raise self.error("qr", "'show_url' must be true or false")
        return QrCode(label.strip(), url, show)

    def url(self, ref: str, settings: Settings) -> tuple[str, str]:
        """A literal URL, or a settings key like urls.webclient; with its default label."""
        if re.match(r"https?://", ref):
            return ref, ""
        key = ref.removeprefix("urls.")
        known = tuple(vars(Urls()))
        if not ref.startswith("urls.") or key not in known:
            choices = tuple(f"urls.{k}" for k in known)
            raise self.error("qr", f"unknown qr target '{ref}'", did_you_mean(ref, choices))
        return str(getattr(settings.urls, key)), words(settings.language).get(f"qr_{key}", key)

    def flag(self, key: str, default: bool = True) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"'{key}' must be true or false")
        return value

    def logo(self, settings: Settings, project: Path) -> Path | None:
        """The settings' logo, checked; None when there is none or the card says `logo: false`."""
        if not self.flag("logo") or not settings.logo:
            return None
        path = project / settings.logo
        problem = file_problem(path)
        if problem:
            where = Path(settings.path) if settings.path else None
            raise ConfigError(
                f"logo '{settings.logo}' {problem}",
                file=where.name if where else None,
                line=_line_of(where, "logo") if where else None,
                hint="put the logo in assets/ and give its path relative to the project,"
                " or write 'logo: false' in the card's front matter",
            )
        return path

    def keymap(self, folder: Path, settings: Settings) -> dict[str, Any]:
        """`drawing` and `callouts`, which go together and with `layout: keymap` only."""
        if (self.text("layout") or "card") != KEYMAP:
            for key in ("drawing", "callouts"):
                if key in self.data:
                    raise self.error(key, f"'{key}' needs 'layout: {KEYMAP}'")
            return {}
        name = self.text("drawing")
        if not name:
            raise self.error("layout", f"layout '{KEYMAP}' needs a 'drawing' (an SVG or PNG)")
        path = folder / name
        problem = None if path.suffix.lower() in DRAWING_TYPES else "is not an SVG or PNG file"
        problem = problem or file_problem(path)
        if problem:
            hint = "give its path relative to the card file, e.g. ../.gitbook/assets/phone.svg"
            raise self.error("drawing", f"drawing '{name}' {problem}", hint)

        def error(key: str, message: str, hint: str | None = None) -> ConfigError:
            return self.error(key if key in self.data else "layout", message, hint)

        callouts = parse_callouts(self.data.get("callouts"), self.lines.get("callouts"), error)
        alt = f"{words(settings.language)['card_drawing']} {self.text('device')}".strip()
        return {"drawing": read_drawing(path, alt), "callouts": callouts}


def file_problem(path: Path) -> str | None:
    """Why path is no usable image ("not found", "is a folder"...), or None."""
    kind = current().kind(path)
    problem = {"refused": "leads outside the project", "missing": "not found",
               "dir": "is a folder"}.get(kind)  # fmt: skip
    return problem or check_image(path)


def check_public_url(url: str, error: Any) -> None:
    """Refuse a URL that carries credentials: a personal provisioning code is never printed."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    secret = (
        parts.username is not None
        or "provisioning" in parts.path.lower()
        or any(SECRET_QUERY.search(name) for name in query)
    )
    if secret:
        raise error(
            "qr",
            "qr target looks like it carries credentials; it is never printed",
            "the personal provisioning QR code stays in the web client",
        )


def _split_sides(body: str, first: int, file: str) -> tuple[Side, Side | None]:
    marks = list(BACK.finditer(body))
    if len(marks) > 1:
        line = first + body.count("\n", 0, marks[1].start())
        raise ConfigError("a card has one '<!-- back -->' line at most", file=file, line=line)
    if not marks:
        return Side(body, first), None
    mark = marks[0]
    # The back's text starts with the rest of the separator line: its first line is that one.
    back = Side(body[mark.end() :], first + body.count("\n", 0, mark.end()))
    return Side(body[: mark.start()], first), back


def _check_qr_slot(sides: tuple[Side, Side | None], file: str) -> None:
    front, back = sides
    for side, most in ((front, 1), (back, 0)):
        marks = list(QR_SLOT.finditer(side.markdown)) if side else []
        if side and len(marks) > most:
            line = side.first_line + side.markdown.count("\n", 0, marks[most].start())
            where = "on the front" if most else "on the back: the codes print on the front"
            raise ConfigError(f"one '<!-- qr -->' line at most, {where}", file=file, line=line)


def _check_icon_refs(body: str, first: int, file: str, project: Path) -> None:
    for m in ICON_REF.finditer(body):
        if find_icon(m.group(2), project) is None:
            line = first + body.count("\n", 0, m.start())
            message, hint = _unknown_icon(m.group(2), project)
            raise ConfigError(message, file=file, line=line, hint=hint)


def _unknown_icon(name: str, project: Path) -> tuple[str, str]:
    """Why no icon is called name (its file leads outside the project?), and a hint."""
    for folder in icon_dirs(project):
        path = folder / f"{name}.svg"
        if current().kind(path) == "refused":
            where = path.relative_to(project) if path.is_relative_to(project) else path
            return f"icon '{name}' refused: {where} leads outside the project", (
                "replace the link with the SVG file itself"
            )
    return f"unknown icon '{name}'", did_you_mean(name, icons(project))


def _key_lines(text: str) -> dict[str, int]:
    """Line numbers of the top-level keys of the front matter."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n")[1:], 2):
        if line.strip() in ("---", "..."):
            break
        m = re.match(r"([^\s:#][^:]*?)\s*:", line)
        if m:
            lines.setdefault(m.group(1).strip("\"'"), number)
    return lines


def icon_dirs(project: Path) -> list[Path]:
    """Where icons are looked for: the project's assets/icons/, then guideprint's own."""
    return [d for d in (project / ICON_DIR, BUILTIN_ICONS) if current().is_dir(d)]


def icons(project: Path) -> list[str]:
    """The names of the icons a card may use."""
    gate = current()
    found = [p for d in icon_dirs(project) for p in gate.walk(d, ".svg", recursive=False)]
    return sorted({p.stem for p in found if gate.allows(p)})  # a link leading out is no icon


def find_icon(name: str, project: Path) -> Path | None:
    """The SVG file of an icon, project first."""
    if not NAME.match(name):
        return None
    for folder in icon_dirs(project):
        if current().is_file(folder / f"{name}.svg"):
            return folder / f"{name}.svg"
    return None


def layouts(project: Path) -> list[str]:
    """Card layout variants: a template or a stylesheet in layouts/cards/."""
    files = Layouts(project).files("cards")
    return sorted({p.name.split(".")[0] for p in files if p.suffix in (".j2", ".css")})


def _display(path: Path, project: Path) -> str:
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)
