"""Project settings (guideprint.toml) -> frozen dataclasses; unknown keys are errors."""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from builder import SETTINGS_FILE as SETTINGS_FILE
from builder.errors import ConfigError, GuideError
from builder.gate import Gate, current
from builder.i18n import WORDS, table

CARD_SIZES = ("A5", "A6", "A7", "credit-card")
PAPER_SIZES = ("A4", "A5")
PAGE_BREAKS = ("chapter", "page", "none")
# weasyprint.pdf.VARIANTS of WeasyPrint 70.0, written out: settings are read without importing
# WeasyPrint (`check` never loads it); tests/test_bad_input.py keeps the two lists equal.
PDF_VARIANTS = (
    "pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u", "pdf/a-1a",
    "pdf/a-2a", "pdf/a-3a", "pdf/a-4e", "pdf/a-4f", "pdf/ua-1", "pdf/ua-2", "pdf/x-1a",
    "pdf/x-3", "pdf/x-4", "pdf/x-5g", "debug",
)  # fmt: skip


# Every settings class has a docstring of its own: without one, @dataclass writes one at import
# with inspect.signature (1.1 ms of a no-op build's start over the 11 classes it loads).
@dataclass(frozen=True)
class Urls:
    """[urls]: the addresses printed on cards and turned into QR codes."""

    webclient: str = ""
    """The 3CX web client, printed and turned into a QR code on cards."""
    play_store: str = ""
    """The app's Google Play page (QR on the smartphone card when set)."""
    app_store: str = ""
    """The app's Apple App Store page (QR on the smartphone card when set)."""
    vpn_portal: str = ""
    """The VPN portal or the FortiClient download page."""


@dataclass(frozen=True)
class Helpdesk:
    """[helpdesk]: who to call, printed on the cards and in the manual."""

    name: str = ""
    """Who to call: "Service informatique"."""
    email: str = ""
    phone: str = ""
    extension: str = ""
    """The help desk's internal extension."""


@dataclass(frozen=True)
class ManualSettings:
    """[manual]: the manual's paper, chapters and table of contents."""

    paper: str = "A4"
    """A4 or A5."""
    page_breaks: str = "chapter"
    """Where a new page starts: "chapter" (each top-level group or page of SUMMARY.md, the
    pages inside it follow on), "page" (every page of the space) or "none" (continuous)."""
    chapters_on_right: bool = False
    """Start every new page of page_breaks on a right-hand page (double-sided printing)."""
    toc_depth: int | str = "auto"
    """Heading levels inside pages shown in the table of contents (0 to 4); "auto": 2, fewer
    (and then fewer page levels) when the contents would be a large part of the manual."""
    pdf_variant: str = "pdf/ua-1"
    """WeasyPrint PDF variant; "" for a plain PDF."""


@dataclass(frozen=True)
class CardSettings:
    """[cards]: a card's size and orientation when its file names none."""

    size: str = "A6"
    """Default card size: A5, A6, A7 or credit-card."""
    orientation: str = "portrait"
    """Default orientation: portrait or landscape."""
    edition: str = ""
    """Printed in every card's footer ("édition 2027-01"); "": the month of SOURCE_DATE_EPOCH,
    else of the newest of the card's inputs (its file and what it includes)."""


@dataclass(frozen=True)
class WelcomeSettings:
    """[welcome]: the welcome emails and packs."""

    sender: str = ""
    """From: address of the welcome emails."""
    subject: str = "Bienvenue : votre téléphonie 3CX"
    extension_pattern: str = r"^\d{3}$"
    """Regular expression every extension must match."""
    default_devices: tuple[str, ...] = ()
    """Cards given to a person whose CSV row names none (empty: every card)."""


SMTP_SECURITY = ("starttls", "ssl", "none")
SMTP_AUTH = ("password", "xoauth2")


@dataclass(frozen=True)
class SmtpSettings:
    """[smtp]: the mail server the welcome emails go through."""

    host: str = ""
    """The mail server ("smtp.office365.com"); --smtp-host overrides it."""
    port: int = 0
    """0: the port of the security chosen (starttls 587, ssl 465, none 25)."""
    security: str = "starttls"
    """starttls, ssl (SMTPS, port 465) or none (a local relay only: no login sent)."""
    username: str = ""
    """The login; empty: no authentication. The password is never in this file."""
    sender: str = ""
    """The envelope sender (MAIL FROM); default: the From: address (welcome.sender)."""
    auth: str = "password"
    """password (LOGIN/PLAIN) or xoauth2 (an OAuth2 access token: Microsoft 365, Gmail)."""
    token_command: tuple[str, ...] = ()
    """For xoauth2: a command printing the access token, e.g. ["az", "account", ...]."""
    cafile: str = ""
    """A PEM file of the CA that signed the server's certificate (a private CA)."""
    timeout: int = 30
    """Seconds to wait for the server at each step."""


@dataclass(frozen=True)
class Settings:
    """guideprint.toml: every key with its default; unknown keys are errors."""

    title: str = ""
    """Document title; default: the space README's first heading."""
    description: str = ""
    """Subtitle on the cover and PDF subject; default: the README's description."""
    organisation: str = ""
    """Shown on the cover, as PDF author and in card footers."""
    logo: str = ""
    """Path of the logo (SVG or PNG), relative to the project."""
    language: str = "fr"
    """fr, en, es or de: fixed wording, hyphenation and typography."""
    brand_colour: str = "#1f5fa8"
    """Accent colour (#rrggbb)."""
    keywords: tuple[str, ...] = ()
    """PDF keywords."""
    urls: Urls = field(default_factory=Urls)
    helpdesk: Helpdesk = field(default_factory=Helpdesk)
    manual: ManualSettings = field(default_factory=ManualSettings)
    cards: CardSettings = field(default_factory=CardSettings)
    welcome: WelcomeSettings = field(default_factory=WelcomeSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    path: str = ""
    """Where the settings came from (set by the loader, not a key)."""


T = TypeVar("T")
# Keys someone will try, and must not: a secret in a file that goes into Git.
_SECRETS = ("smtp.password", "smtp.token")
_SECRET_HINT = (
    "secrets never go in guideprint.toml: use GUIDEPRINT_SMTP_PASSWORD (or _TOKEN), "
    "the system keyring, or the prompt"
)


def load_settings(project: Path, gate: Gate | None = None) -> Settings:
    """Read guideprint.toml from the project root; defaults when absent."""
    gate = gate or current()
    path = project / SETTINGS_FILE
    kind = gate.kind(path)
    if kind == "refused":
        raise ConfigError(
            f"{SETTINGS_FILE} refused: it is a link leading outside the project",
            file=path,
            hint="replace the link with the file itself",
        )
    if kind != "file":
        return Settings()
    try:
        text = gate.read_text(path)
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8 text", file=path, hint="save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))  # Python 3.11 has no exc.lineno
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        raise ConfigError(f"invalid TOML: {exc}", file=path, line=line) from exc
    settings = _build(Settings, data, path, "")
    _validate(settings, path)
    return _replace_path(settings, str(path))


def _replace_path(settings: Settings, path: str) -> Settings:
    from dataclasses import replace

    return replace(settings, path=path)


def _build(cls: type[T], data: dict[str, Any], path: Path, prefix: str) -> T:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.name != "path"}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(
                f"unknown key '{prefix}{key}'",
                file=path,
                line=_line_of(path, key),
                hint=_SECRET_HINT if f"{prefix}{key}" in _SECRETS else did_you_mean(key, known),
            )
        kind = hints[key]
        if is_dataclass(kind):
            if not isinstance(value, dict):
                raise ConfigError(f"'{prefix}{key}' must be a table [{key}]", file=path)
            kwargs[key] = _build(kind, value, path, f"{prefix}{key}.")  # type: ignore[arg-type]
        else:
            kwargs[key] = _coerce(value, kind, f"{prefix}{key}", path)
    return cls(**kwargs)


def _coerce(value: Any, kind: Any, name: str, path: Path) -> Any:
    if kind == int | str:  # a number or a word ("auto"): _validate says which
        if type(value) not in (int, str):
            raise ConfigError(
                f"'{name}' must be a whole number or \"auto\"",
                file=path,
                line=_line_of(path, name),
            )
        return value
    expected = {str: "a string", bool: "true or false", int: "a whole number"}
    if kind in expected:
        if type(value) is not kind:
            raise ConfigError(
                f"'{name}' must be {expected[kind]}", file=path, line=_line_of(path, name)
            )
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"'{name}' must be a list of strings", file=path)
    return tuple(value)


def _validate(s: Settings, path: Path) -> None:
    checks = [
        (s.language in WORDS, "language", _languages(s.language)),
        (bool(re.fullmatch(r"#[0-9a-fA-F]{6}", s.brand_colour)), "brand_colour", "#rrggbb"),
        (s.manual.paper in PAPER_SIZES, "manual.paper", " or ".join(PAPER_SIZES)),
        (s.cards.size in CARD_SIZES, "cards.size", ", ".join(CARD_SIZES)),
        (
            s.cards.orientation in ("portrait", "landscape"),
            "cards.orientation",
            "portrait or landscape",
        ),
        (
            len(s.cards.edition) <= 24 and s.cards.edition.isprintable(),
            "cards.edition",
            'a short line of text, e.g. "2027-01"',
        ),
        (s.smtp.security in SMTP_SECURITY, "smtp.security", " or ".join(SMTP_SECURITY)),
        (s.smtp.auth in SMTP_AUTH, "smtp.auth", " or ".join(SMTP_AUTH)),
        (0 <= s.smtp.port <= 65535, "smtp.port", "a port from 1 to 65535 (0: by security)"),
        (1 <= s.smtp.timeout <= 600, "smtp.timeout", "1 to 600 seconds"),
    ]
    for ok, name, allowed in checks:
        if not ok:
            raise ConfigError(
                f"invalid value for '{name}'",
                file=path,
                line=_line_of(path, name),
                hint=f"use {allowed}",
            )
    _check_word(s.manual.page_breaks, PAGE_BREAKS, "manual.page_breaks", path)
    _check_toc_depth(s.manual.toc_depth, path)
    variant = s.manual.pdf_variant
    if variant and variant not in PDF_VARIANTS:
        close = did_you_mean(variant, PDF_VARIANTS)
        every = f'use one of {", ".join(PDF_VARIANTS)}, or "" for a plain PDF'
        raise ConfigError(
            f"unknown PDF variant '{variant}' in 'manual.pdf_variant'",
            file=path,
            line=_line_of(path, "manual.pdf_variant"),
            hint=close if close.startswith("did you mean") else every,
        )
    _check_extension_pattern(s.welcome.extension_pattern, path)
    for name, url in vars(s.urls).items():
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"'urls.{name}' must start with https://", file=path)


# Countries' codes written for their language's: Japan's for Japanese, China's for Chinese.
# Taiwan's and Hong Kong's for Chinese in Traditional characters.
_COUNTRIES = {"jp": "ja", "cn": "zh", "tw": "zh-Hant", "hk": "zh-Hant", "kr": "ko", "br": "pt",
              "gb": "en", "us": "en", "at": "de", "ch": "de", "be": "fr", "mx": "es", "sa": "ar",
              "eg": "ar"}  # fmt: skip


def _languages(value: str) -> str:
    """What to write instead of a language the wording has no table for (after "use")."""
    base = re.split(r"[-_]", value.strip().lower())[0]
    if table(value, WORDS) == "zh-Hant":  # "zh-TW", "zh_hant"
        return "zh-Hant: the wording in Traditional characters"
    if base == value.strip().lower() and base in WORDS:  # "EN"
        return f"{base}, in lower case"
    if base in WORDS:  # "pt-BR", "zh_CN"
        return f"{base}: one wording for every region of the language"
    if base in _COUNTRIES:
        return f"{_COUNTRIES[base]}: '{value}' is a country's code, not a language's"
    return ", ".join([*WORDS][:-1]) + f" or {[*WORDS][-1]}"


def _check_word(value: str, choices: tuple[str, ...], name: str, path: Path) -> None:
    """A setting that is one of a few words: the closest named, else all of them."""
    if value in choices:
        return
    close = did_you_mean(value, choices)
    words = [f'"{c}"' for c in choices]
    every = "use " + ", ".join(words[:-1]) + " or " + words[-1]
    raise ConfigError(
        f"invalid value '{value}' for '{name}'",
        file=path,
        line=_line_of(path, name),
        hint=close if close.startswith("did you mean") else every,
    )


def _check_toc_depth(depth: int | str, path: Path) -> None:
    name = "manual.toc_depth"
    if (isinstance(depth, int) and 0 <= depth <= 4) or depth == "auto":
        return
    if isinstance(depth, str) and depth.strip().isdigit():  # "2": a number written as text
        raise ConfigError(
            f"'{name}' must be a whole number, not text",
            file=path,
            line=_line_of(path, name),
            hint=f"write toc_depth = {depth.strip()}, without quotes",
        )
    raise ConfigError(
        f"invalid value for '{name}'",
        file=path,
        line=_line_of(path, name),
        hint='use "auto" or 0 to 4',
    )


def _check_extension_pattern(pattern: str, path: Path) -> None:
    name = "welcome.extension_pattern"
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"'{name}' is not a valid pattern: {exc}", file=path, line=_line_of(path, name)
        ) from exc
    if _nested_repeat(pattern):
        # `^(\d+)+$` takes minutes on "1111111111111111111111111111x": Python's re backtracks
        # through every way of splitting the digits between the two repeats.
        raise ConfigError(
            f"'{name}' repeats a group that itself repeats: matching can take hours",
            file=path,
            line=_line_of(path, name),
            hint=r"repeat the digits once, e.g. ^\d{3,6}$",
        )


_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})


def _nested_repeat(pattern: str) -> bool:
    r"""True when a part of pattern of varying length is inside a repeat: `(\d+)+`, `(a*)*`."""
    try:  # re has no public parse tree; re._parser is the one re.compile uses (3.11 to 3.13)
        parser: Any = importlib.import_module("re._parser")
        tree = parser.parse(pattern)
    except Exception:  # a future Python without it: the CSV's length cap remains
        return False
    return _repeats_inside(tree, repeated=False)


def _repeats_inside(items: Any, *, repeated: bool) -> bool:
    for op, arg in items:
        if str(op) in _REPEATS:
            low, high, body = arg
            if repeated and low != high:
                return True
            if _repeats_inside(body, repeated=repeated or high > 1):
                return True
        elif any(_repeats_inside(sub, repeated=repeated) for sub in _subpatterns(arg)):
            return True
    return False


def _subpatterns(arg: Any) -> Iterator[Any]:
    """The sub-patterns inside a parse-tree argument (groups, branches, lookarounds)."""
    if hasattr(arg, "data"):
        yield arg
    elif isinstance(arg, tuple | list):
        for item in arg:
            yield from _subpatterns(item)


def did_you_mean(word: str, choices: set[str] | list[str] | tuple[str, ...]) -> str:
    """A hint naming the closest known word, or listing them all."""
    import difflib  # here: only a mistake needs it (1.3 ms of every start otherwise)

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known: " + ", ".join(sorted(choices))


def _line_of(path: Path, key: str) -> int | None:
    leaf = key.rsplit(".", 1)[-1]
    try:
        text = Gate.of([], [path]).read_text(path)  # the file load_settings let through
        for number, line in enumerate(text.splitlines(), 1):
            if re.match(rf"\s*{re.escape(leaf)}\s*=", line):
                return number
    except (OSError, GuideError):
        return None
    return None
