"""The newcomers' CSV -> checked Person objects; bad rows reported with their row number."""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import slugify as slug_library

from builder.config import Settings, did_you_mean
from builder.diagnostics import Diagnostics
from builder.errors import ConfigError, InputError
from builder.gate import current

REQUIRED = ("name", "email", "extension")
# Header spellings HR sends, compared after _key(): lower case, no accents, letters only
# ("N° de poste" -> "ndeposte"). `welcome --help` lists the usual ones (builder/cli.py).
# fmt: off
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "nomcomplet", "fullname", "nomprenom", "prenomnom", "nometprenom"),
    "first_name": ("prenom", "firstname", "givenname"),
    "email": (
        "email", "mail", "courriel", "adresseemail", "adressemail", "adressecourriel",
        "adresseelectronique", "emailprofessionnel", "mailprofessionnel",
    ),
    "extension": (
        "extension", "ext", "poste", "numerodeposte", "numeroposte", "noposte", "ndeposte",
        "nposte", "nodeposte", "numposte",
    ),
    "devices": ("devices", "device", "appareils", "appareil", "cartes", "cards"),
    "department": ("department", "dept", "service", "departement"),
}
# fmt: on
# How a did-you-mean shows the spellings whose letters _key() changed.
SHOWN = {
    "prenom": "Prénom",
    "ndeposte": "N° de poste",
    "numerodeposte": "Numéro de poste",
    "departement": "Département",
    "adresseelectronique": "Adresse électronique",
    "adresseemail": "Adresse e-mail",
    "nomprenom": "Nom prénom",
}  # fmt: skip
SEPARATORS = (";", ",", "\t")  # ";" first: French Excel's choice wins a tie
DEVICE_SPLIT = re.compile(r"[\s,;|]+")
# Longer than any phone number (E.164: 15 digits) with room for a prefix. Checked before the
# pattern: Python's re can backtrack for minutes on a long value (^(\d|\d\d)+$ on 40 digits).
MAX_EXTENSION = 20
# Deliberately plain: catches the typos a spreadsheet holds, not every RFC 5322 form.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class Person:
    """One newcomer, as checked: names are data and kept exactly as typed (NFC)."""

    name: str
    email: str
    extension: str
    devices: tuple[str, ...]
    department: str = ""
    row: int = 0
    """Spreadsheet row (header = 1), for messages."""
    first_name: str = ""
    """The Prénom / first_name column as typed ("" when the CSV has none)."""

    @property
    def greeting(self) -> str:
        """The name to greet: the first-name column, else the first word of the name
        ("DUPONT Jean" -> "Jean": a surname first in capitals, as HR exports write it)."""
        if self.first_name:
            return self.first_name
        words = self.name.split()
        caps = 0
        while caps < len(words) and words[caps].isupper():
            caps += 1
        if caps < len(words) and any(len(w) > 2 for w in words[:caps]):  # "JJ Dupont": initials
            return words[caps]
        return words[0] if words else self.name

    @property
    def slug(self) -> str:
        """ASCII file-name form of the name."""
        return slugify(self.name)

    @property
    def folder(self) -> str:
        """Folder name under out/welcome/: <extension>-<slug>."""
        return f"{slugify(self.extension, 20) or 'x'}-{self.slug}"


@dataclass(frozen=True)
class Roster:
    """The people whose rows passed, and how many rows were rejected."""

    source: Path
    people: tuple[Person, ...]
    rejected: int


def slugify(text: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by '-' ("Bœuf O'Brien" -> "boeuf-o-brien")."""
    # python-slugify transliterates (text-unidecode): œ -> oe, ß -> ss, 李 -> li, where
    # dropping what NFKD cannot split made "Bœuf" into "buf".
    slug = slug_library.slugify(text)
    if len(slug) > limit:
        cut = slug.rfind("-", 0, limit + 1)
        slug = slug[: cut if cut > limit // 2 else limit].rstrip("-")
    return slug or "personne"


def read_people(
    path: Path, settings: Settings, known_cards: Sequence[str], diag: Diagnostics
) -> Roster:
    """Read and check the CSV; bad rows become diag errors, a bad header an InputError."""
    defaults = _default_devices(settings, known_cards)
    records = _records(path)
    header_row, columns = _header(records, path)
    for cell, close in _unrecognised(records[header_row - 1], columns):
        diag.warn(
            f"column '{cell}' not recognised: it is ignored",
            file=path,
            line=header_row,
            hint=f"did you mean '{close}'?",
        )
    checker = _RowChecker(path, settings, known_cards, defaults, diag)
    people: list[Person] = []
    for row, record in enumerate(records[header_row:], header_row + 1):
        if not any(cell.strip() for cell in record):
            continue  # Excel leaves ";;;;" lines at the end
        person = checker.check(row, _cells(record, columns))
        if person is not None:
            people.append(person)
    return Roster(path, tuple(people), checker.rejected)


def decode(data: bytes, path: Path) -> str:
    """Decode what spreadsheets write: UTF-8 (with or without BOM), UTF-16, else cp1252."""
    if data.startswith(b"PK\x03\x04"):
        raise InputError("this is an Excel workbook, not CSV", file=path, hint="save as CSV UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            "neither UTF-8 nor Windows-1252 text", file=path, hint="save it as CSV UTF-8"
        ) from exc


def _records(path: Path) -> list[list[str]]:
    try:
        text = decode(current().read_bytes(path, what="CSV"), path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    separator = max(SEPARATORS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[list[str]] = []
    start = 1  # the line the record being read starts on: where an unclosed quote is
    try:
        for row in reader:
            rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:  # a cell over csv.field_size_limit() (131072 characters)...
        raise InputError(
            f"not readable as CSV: {exc}",
            file=path,
            line=start,
            hint='a quote (") left open makes the rest of the file one cell: check its quotes',
        ) from exc
    return [[unicodedata.normalize("NFC", cell) for cell in row] for row in rows]


def _key(header: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_text.lower())


def _header(records: list[list[str]], path: Path) -> tuple[int, dict[str, int]]:
    """Find the header row (first non-empty) and map each field to its column index."""
    row = next((i for i, r in enumerate(records, 1) if any(c.strip() for c in r)), 0)
    if not row:
        raise InputError(
            "empty file", file=path, hint="expected a header row: name;email;extension"
        )
    header = records[row - 1]
    lookup = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        field = lookup.get(_key(cell))
        if field is None:
            continue  # HR sheets carry other columns (manager, start date...): not ours
        if field in columns:
            first = header[columns[field]].strip()
            raise InputError(
                f"two columns for '{field}': '{first}' and '{cell.strip()}'", file=path, line=row
            )
        columns[field] = index
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        found = ", ".join(repr(c.strip()) for c in header if c.strip()) or "nothing"
        close = "; ".join(f"'{c}': did you mean '{m}'?" for c, m in _unrecognised(header, columns))
        usual = f"header must name name/nom, email/courriel, extension/poste; found {found}"
        raise InputError(
            f"missing column {', '.join(repr(m) for m in missing)}",
            file=path,
            line=row,
            hint=close or usual,
        )
    return row, columns


def _unrecognised(header: list[str], columns: dict[str, int]) -> list[tuple[str, str]]:
    """Header cells that are no column of ours but look like one ("Couriel"), with the
    spelling they are close to. Columns far from every alias (manager, start date) are HR's."""
    taken = set(columns.values())
    spellings = [alias for f, aliases in ALIASES.items() if f not in columns for alias in aliases]
    close = []
    for index, cell in enumerate(header):
        key = _key(cell)
        if index in taken or len(key) < 3:
            continue
        found = difflib.get_close_matches(key, spellings, n=1, cutoff=0.8)
        if found:
            close.append((cell.strip(), SHOWN.get(found[0], found[0])))
    return close


def _shown(text: str, limit: int = 60) -> str:
    """A cell fit to name a row in a message: one line, not too long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}..."


def _cells(record: list[str], columns: dict[str, int]) -> dict[str, str]:
    return {f: record[i].strip() if i < len(record) else "" for f, i in columns.items()}


def _default_devices(settings: Settings, known: Sequence[str]) -> tuple[str, ...]:
    for name in settings.welcome.default_devices:
        if name not in known:
            raise ConfigError(
                f"unknown card '{name}' in 'welcome.default_devices'",
                file=settings.path or None,
                hint=did_you_mean(name, tuple(known)),
            )
    return settings.welcome.default_devices or tuple(known)


class _RowChecker:
    """Check rows one by one, remembering extensions and emails already seen."""

    def __init__(
        self,
        path: Path,
        settings: Settings,
        known: Sequence[str],
        defaults: tuple[str, ...],
        diag: Diagnostics,
    ) -> None:
        self.path = path
        self.pattern = re.compile(settings.welcome.extension_pattern)
        self.known = {name.lower(): name for name in known}
        self.defaults = defaults
        self.diag = diag
        self.extensions: dict[str, int] = {}
        self.emails: dict[str, int] = {}
        self.rejected = 0

    def check(self, row: int, cells: dict[str, str]) -> Person | None:
        """Return the row's Person, or None after reporting every problem it has."""
        first = cells.get("first_name", "")
        name = " ".join(filter(None, (first, cells["name"])))
        devices, problems = self._devices(cells.get("devices", ""))
        problems += self._name(name) + self._email(row, cells["email"])
        problems += self._extension(row, cells["extension"])
        # Whose row it is, as well as where: "users.csv:5: Jean Sans-Courriel: missing email".
        who = _shown(name) or _shown(cells["email"]) or "(no name)"
        for message, hint in problems:
            self.diag.error(f"{who}: {message}", file=self.path, line=row, hint=hint)
        if problems:
            self.rejected += 1
            return None
        department = cells.get("department", "")
        return Person(name, cells["email"], cells["extension"], devices, department, row, first)

    def _name(self, name: str) -> list[tuple[str, str | None]]:
        if not name:
            return [("missing name", "fill in the name column")]
        if any(unicodedata.category(c) == "Cc" for c in name):
            return [(f"name {name!r} contains a line break or a control character", None)]
        return []

    def _email(self, row: int, email: str) -> list[tuple[str, str | None]]:
        if not email:
            return [("missing email", "fill in the email column")]
        if not EMAIL.fullmatch(email):
            return [(f"malformed email '{email}'", "expected like prenom.nom@example.fr")]
        first = self.emails.setdefault(email.lower(), row)
        if first != row:
            return [(f"duplicate email '{email}'", f"already on row {first}")]
        return []

    def _extension(self, row: int, extension: str) -> list[tuple[str, str | None]]:
        if not extension:
            return [("missing extension", "fill in the extension column")]
        if len(extension) > MAX_EXTENSION:
            shown = f"{extension[:MAX_EXTENSION]}..."
            return [(f"extension '{shown}' is too long", f"at most {MAX_EXTENSION} characters")]
        if not self.pattern.fullmatch(extension):
            hint = f"welcome.extension_pattern is {self.pattern.pattern}"
            return [(f"extension '{extension}' does not match the expected form", hint)]
        first = self.extensions.setdefault(slugify(extension, 20), row)
        if first != row:
            return [(f"duplicate extension '{extension}'", f"already on row {first}")]
        return []

    def _devices(self, cell: str) -> tuple[tuple[str, ...], list[tuple[str, str | None]]]:
        names: list[str] = []
        problems: list[tuple[str, str | None]] = []
        for word in filter(None, DEVICE_SPLIT.split(cell)):
            card = self.known.get(word.lower())
            if card is None:
                hint = did_you_mean(word.lower(), tuple(self.known.values()))
                problems.append((f"unknown device '{word}'", hint))
            elif card not in names:
                names.append(card)
        return tuple(names) or self.defaults, problems
