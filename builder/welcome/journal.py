"""The send journal, .guideprint/envois.sqlite beside guideprint.toml: one row per message
handed to the server. Not in out/: `make clean`, `rm -rf out` and the starter .gitignore
treat what lies there as made again, and a journal made again sends every message again.
The folder ignores itself in git (its own .gitignore, `*`): it holds newcomers' addresses.

A row is written, and committed, as "sending" before the SMTP transaction starts, and turned
into "sent" (with the server's answer) only once the server accepted the message, or
"failed" once it is known not to have it. A run that dies between the two (a crash, Ctrl-C,
the connection lost during DATA) leaves "sending": shown as *unknown*, never as sent or not
sent, and never sent again on its own (the person may have it; `--resend` decides).

SQLite (the standard library's sqlite3) because each change is one transaction that is
either on disk whole or not at all, whatever stops the process; a JSON file rewritten per
message would be 50 rewrites and one torn write away from forgetting what was sent.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from builder.errors import OutputError
from builder.gate import current

JOURNAL = "envois.sqlite"  # its name in a welcome folder (the library's journal_path)
STATE = ".guideprint"  # a project's own state, beside its guideprint.toml (never in git)
IGNORE_ALL = (
    "# guideprint's state: who was sent what, with their addresses.\n"
    "# Never commit it; never delete it either: without it every newcomer is mailed again.\n*\n"
)
VERSION = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,          -- the address it was sent to, lower case
    person TEXT NOT NULL,             -- the newcomer's address, lower case (a test: theirs too)
    name TEXT NOT NULL,
    digest TEXT NOT NULL,             -- sha256 of what they see (builder.welcome.mail.digest)
    message_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    test INTEGER NOT NULL DEFAULT 0,  -- 1: a --test-to message, not the newcomer's
    started TEXT NOT NULL,            -- UTC, ISO 8601
    finished TEXT,
    answer TEXT NOT NULL DEFAULT ''   -- the server's answer, or why it is not known
)""",
    "CREATE INDEX IF NOT EXISTS messages_person ON messages (person, test, id)",
)


@dataclass(frozen=True)
class Entry:
    """One message as the journal holds it."""

    id: int
    recipient: str
    person: str
    name: str
    digest: str
    message_id: str
    state: str
    test: bool
    started: str
    finished: str | None
    answer: str

    @property
    def shown(self) -> str:
        """sent, failed, or unknown (a "sending" left by a run that stopped)."""
        return "unknown" if self.state == "sending" else self.state

    @property
    def when(self) -> str:
        """When it ended (else started), local time, to the minute."""
        return local_time(self.finished or self.started)


def local_time(stamp: str) -> str:
    """A stored UTC time as the reader's local time."""
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Journal:
    """The journal of one output folder; every write is its own committed transaction."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create) the journal at path; None: an empty one in memory (--status
        before anything was sent writes no file)."""
        self.path = path
        try:
            if path is None:
                self.db = sqlite3.connect(":memory:", isolation_level=None)
            else:
                # sqlite3 opens the file itself: the gate checks where it is first, and a
                # link in its place is never followed (it would write the journal elsewhere).
                current().check(path, what="send journal")
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_symlink():
                    path.unlink()
                self.db = sqlite3.connect(path, isolation_level=None, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the send journal: {exc}", file=path) from exc
        try:
            self._prepare()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise OutputError(
                f"the send journal is unreadable: {exc}",
                file=path,
                hint="it records what was sent: move it aside only if sending all again is ok",
            ) from exc

    def _prepare(self) -> None:
        self.db.execute("PRAGMA synchronous = FULL")  # committed = on disk, power cut included
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise OutputError(
                f"the send journal is of a newer guideprint (version {version})",
                file=self.path,
                hint="send with that guideprint",
            )
        with self._transaction():
            for statement in SCHEMA:  # not executescript: it would COMMIT first
                self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {VERSION}")

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (every change is committed already)."""
        self.db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    # -- reading ----------------------------------------------------------------------------

    def entries(self, *, test: bool | None = None) -> list[Entry]:
        """Every row, oldest first (test: only tests, or only real ones)."""
        query = "SELECT * FROM messages"
        args: tuple[int, ...] = ()
        if test is not None:
            query += " WHERE test = ?"
            args = (int(test),)
        return [_entry(row) for row in self.db.execute(query + " ORDER BY id", args)]

    def last(self, person: str) -> Entry | None:
        """The newcomer's latest real message (tests are not theirs)."""
        row = self.db.execute(
            "SELECT * FROM messages WHERE person = ? AND test = 0 ORDER BY id DESC LIMIT 1",
            (person.lower(),),
        ).fetchone()
        return _entry(row) if row is not None else None

    def delivered(self, person: str) -> Entry | None:
        """The newcomer's latest message the server accepted, if any."""
        row = self.db.execute(
            "SELECT * FROM messages WHERE person = ? AND test = 0 AND state = 'sent' "
            "ORDER BY id DESC LIMIT 1",
            (person.lower(),),
        ).fetchone()
        return _entry(row) if row is not None else None

    # -- writing ----------------------------------------------------------------------------

    def sending(
        self,
        *,
        recipient: str,
        person: str,
        name: str,
        digest: str,
        message_id: str,
        test: bool = False,
    ) -> int:
        """Record, durably, that the message is about to be handed over; its row id."""
        with self._transaction():
            cursor = self.db.execute(
                "INSERT INTO messages (recipient, person, name, digest, message_id, state, "
                "test, started) VALUES (?, ?, ?, ?, ?, 'sending', ?, ?)",
                (recipient.lower(), person.lower(), name, digest, message_id, int(test), _now()),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def sent(self, row: int, answer: str) -> None:
        """The server accepted the message: answer is what it said."""
        self._finish(row, "sent", answer)

    def failed(self, row: int, why: str) -> None:
        """The server does not have the message (refused, or never handed over)."""
        self._finish(row, "failed", why)

    def unknown(self, row: int, why: str) -> None:
        """Whether the server has it is not known: the row stays "sending", with why."""
        with self._transaction():
            self.db.execute("UPDATE messages SET answer = ? WHERE id = ?", (why, row))

    def _finish(self, row: int, state: str, answer: str) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE messages SET state = ?, answer = ?, finished = ? "
                "WHERE id = ? AND state = 'sending'",
                (state, answer, _now(), row),
            )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back when the block fails."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _entry(row: tuple[object, ...]) -> Entry:
    (id_, recipient, person, name, digest, message_id, state, test, started, finished,
     answer) = row  # fmt: skip
    return Entry(
        int(str(id_)),
        str(recipient),
        str(person),
        str(name),
        str(digest),
        str(message_id),
        str(state),
        bool(test),
        str(started),
        None if finished is None else str(finished),
        str(answer),
    )


def journal_path(welcome_dir: Path) -> Path:
    """Where the journal of a welcome folder lives when it is kept with it (library use)."""
    return welcome_dir / JOURNAL


def project_journal(root: Path, welcome_dir: Path, *, create: bool = False) -> Path:
    """A project's send journal, .guideprint/envois.sqlite beside its guideprint.toml: out of
    the output folder that `make clean` removes. The folder is made (create, or to move an
    old journal there) with a .gitignore of its own. A journal an earlier version kept in
    welcome_dir (out/welcome/) is moved there first when the project has none yet: what was
    sent stays sent."""
    folder = root / STATE
    path = folder / JOURNAL
    old = journal_path(welcome_dir)
    move = not path.exists() and not path.is_symlink() and old.is_file() and not old.is_symlink()
    if create or move:
        _state_folder(folder)
    if move:
        import shutil

        try:  # the side files first: a hot -journal must never be left behind its database
            for side in ("-journal", "-wal", "-shm"):
                if Path(f"{old}{side}").is_file():
                    shutil.move(f"{old}{side}", f"{path}{side}")
            shutil.move(old, path)
        except OSError as exc:
            raise OutputError(f"cannot move the send journal here: {exc}", file=path,
                              hint=f"move {old} to {path} by hand") from exc  # fmt: skip
    return path


def _state_folder(folder: Path) -> None:
    """.guideprint/, made with a .gitignore that ignores everything in it; a link there
    (which would put the journal elsewhere) is refused."""
    if folder.is_symlink():
        raise OutputError(
            f"{folder.name}/ refused: it is a link",
            file=folder,
            hint="make it a folder (guideprint keeps its send journal there)",
        )
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists() and not ignore.is_symlink():
            ignore.write_text(IGNORE_ALL, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot make the folder of the send journal: {exc}", file=folder,
                          hint="check the project folder's permissions") from exc  # fmt: skip
