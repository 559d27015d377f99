"""No traceback on bad input: each mistake is one line saying what to do, with its exit code."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from clirun import cli
from conftest import one_error, project, space

from builder import commands
from builder.config import PDF_VARIANTS
from builder.diagnostics import Diagnostics
from builder.errors import InputError, UsageError, one_line, printable
from builder.output import build_lock, clean_leftovers

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b[2J"  # "clear the screen", were it printed raw


# -- 1. [manual] pdf_variant ---------------------------------------------------------------


def test_hard_coded_pdf_variants_are_weasyprints() -> None:
    """config.py lists them so that reading settings never imports WeasyPrint."""
    from weasyprint.pdf import VARIANTS  # type: ignore[import-untyped]

    assert sorted(PDF_VARIANTS) == sorted(VARIANTS)
    assert len(set(PDF_VARIANTS)) == len(PDF_VARIANTS)


@pytest.mark.parametrize("command", [["check"], ["build", "--manual", "--out", "out"]])
def test_unknown_pdf_variant_is_one_line(tmp_path: Path, command: list[str]) -> None:
    folder = project(tmp_path, '[manual]\npdf_variant = "bogus"\n')
    code, _, err = cli(command, folder)
    assert code == 1
    line = one_error(err)
    assert f"{folder / 'guideprint.toml'}:2: unknown PDF variant 'bogus'" in line
    assert "pdf/ua-1" in line
    assert not (folder / "out" / "manual.pdf").exists()


def test_pdf_variant_typo_suggests_the_closest(tmp_path: Path) -> None:
    folder = project(tmp_path, '[manual]\npdf_variant = "pdf/ua1"\n')
    code, _, err = cli(["check"], folder)
    assert code == 1
    assert "did you mean 'pdf/ua-1'?" in one_error(err)


@pytest.mark.parametrize("variant", ["", "pdf/a-3b"])
def test_known_or_empty_pdf_variant_is_accepted(tmp_path: Path, variant: str) -> None:
    folder = project(tmp_path, f'[manual]\npdf_variant = "{variant}"\n')
    code, _, err = cli(["check"], folder)
    assert code == 0, err
    assert "error" not in err


# -- 2. the welcome CSV: a huge cell; an extension pattern that backtracks ----------------


def test_cell_over_the_csv_field_limit_is_one_line(tmp_path: Path) -> None:
    from builder.config import Settings
    from builder.welcome import read_people

    csv = tmp_path / "users.csv"
    cell = "x" * 140_000  # csv.field_size_limit() is 131072
    csv.write_text(f'name;email;extension\nA;a@example.fr;201\nB;b@example.fr;"{cell}"\n')
    with pytest.raises(InputError) as raised:
        read_people(csv, Settings(), ["vpn"], Diagnostics())
    assert (raised.value.file, raised.value.line) == (str(csv), 3)
    assert "field larger than field limit" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unclosed_quote_points_at_the_line_it_opens(tmp_path: Path) -> None:
    from builder.config import Settings
    from builder.welcome import read_people

    csv = tmp_path / "users.csv"
    rows = "".join(f"P{n};p{n}@example.fr;{n}\n" for n in range(300, 20_000))
    csv.write_text(f'name;email;extension\nA;a@example.fr;"201\n{rows}')
    with pytest.raises(InputError) as raised:
        read_people(csv, Settings(), ["vpn"], Diagnostics())
    assert raised.value.line == 2
    assert "quote" in str(raised.value.hint)


def test_nested_repeat_in_extension_pattern_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path, '[welcome]\nextension_pattern = "^(\\\\d+)+$"\n')
    code, _, err = cli(["check"], folder)
    assert code == 1
    line = one_error(err)
    assert ":2: 'welcome.extension_pattern' repeats a group that itself repeats" in line


@pytest.mark.parametrize("pattern", [r"^\d{3}$", r"^(\d{3})+$", r"^\d{2,6}$", r"^(\d+)?$"])
def test_plain_extension_patterns_are_accepted(tmp_path: Path, pattern: str) -> None:
    escaped = pattern.replace("\\", "\\\\")
    folder = project(tmp_path, f'[welcome]\nextension_pattern = "{escaped}"\n')
    code, _, err = cli(["check"], folder)
    assert code == 0, err
    assert "error" not in err


ROW_CHECK = """
import json, sys
from pathlib import Path
from builder.config import Settings, WelcomeSettings
from builder.diagnostics import Diagnostics
from builder.welcome import read_people

settings = Settings(welcome=WelcomeSettings(extension_pattern=sys.argv[2]))
diag = Diagnostics()
roster = read_people(Path(sys.argv[1]), settings, ["vpn"], diag)
print(json.dumps([[p.extension for p in roster.people], [str(d) for d in diag.errors]]))
"""


@pytest.mark.parametrize("pattern", [r"^(\d+)+$", r"^(\d|\d\d)+$"])
def test_long_extension_is_reported_not_matched_for_minutes(tmp_path: Path, pattern: str) -> None:
    """Even past the settings check (the second pattern passes it), a row cannot hang the run:
    before this, re.fullmatch took minutes on such a value."""
    csv = tmp_path / "users.csv"
    long = "1" * 40 + "x"
    csv.write_text(f"name;email;extension\nA;a@example.fr;201\nB;b@example.fr;{long}\n")
    done = subprocess.run(
        [sys.executable, "-c", ROW_CHECK, str(csv), pattern],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,  # the guard: minutes before
        check=True,
    )
    people, errors = json.loads(done.stdout)
    assert people == ["201"]
    assert len(errors) == 1
    assert f"{csv}:3: B: extension '{'1' * 20}...' is too long" in errors[0]


# -- 3. import --to a folder that cannot be written ------------------------------------------


def raw_page(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "raw.md"
    page.write_text("# Guide\n\nIntro.\n\n## Poste\n\nTexte.\n", encoding="utf-8")
    return page


def test_import_to_a_folder_under_a_file(tmp_path: Path) -> None:
    """Tests run as root, where chmod stops nothing: a regular file stands in the way."""
    raw_page(tmp_path / "raw")
    (tmp_path / "somefile").write_text("not a folder")
    code, _, err = cli(["import", "raw/raw.md", "--to", "somefile/out"], tmp_path)
    assert code == 1
    line = one_error(err)
    assert "somefile/out" in line
    assert "Not a directory" in line
    assert "choose another --to" in line


def test_import_to_a_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EACCES as a non-root user gets it from a chmod 0o555 folder, when mkstemp opens."""
    raw_page(tmp_path / "raw")
    dest = tmp_path / "locked"
    dest.mkdir()
    real_open = os.open

    def refuse(path: str | bytes | os.PathLike[str], flags: int, *args: int, **kw: int) -> int:
        if os.fsdecode(path).startswith(str(dest)):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", refuse)
    code, _, err = cli(["import", "raw/raw.md", "--to", "locked"], tmp_path)
    monkeypatch.undo()
    assert code == 1
    line = one_error(err)
    assert f"error: {dest}: cannot write into this folder: Permission denied" in line
    assert "choose another --to" in line
    assert list(dest.iterdir()) == []


# -- 4. usage errors: exit 2 -----------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_welcome_jobs_must_be_positive(tmp_path: Path, jobs: str) -> None:
    code, _, err = cli(["welcome", "users.csv", "--jobs", jobs], tmp_path)
    assert code == 2
    assert "argument --jobs: expected a whole number of at least 1" in err


def test_usage_error_exits_2_with_the_command_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unknown(*_: object) -> int:
        raise UsageError("unknown card 'vnp'", hint="did you mean 'vpn'?")

    monkeypatch.setattr(commands, "run", unknown)
    code, out, err = cli(["build", "--card", "vnp"], tmp_path)
    assert (code, out) == (2, "")
    *usage, message = err.strip().splitlines()  # as argparse prints it
    assert usage[0].startswith("usage: guideprint build ")
    assert message == "guideprint build: error: unknown card 'vnp' (did you mean 'vpn'?)"


def test_unknown_card_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli(["build", "--card", "yealnk", "--out", str(tmp_path / "out")], ROOT)
    assert code == 2
    *usage, message = err.strip().splitlines()
    assert usage[0].startswith("usage: guideprint build ")
    assert message.startswith("guideprint build: error: unknown card 'yealnk'")
    assert "did you mean 'yealink'?" in message
    assert "known: desktop, smartphone, vpn, webclient, yealink" in message
    assert not (tmp_path / "out").exists()


# -- 5. a cache that cannot be written is named, not --out ---------------------------------


def image_space(folder: Path) -> Path:
    from PIL import Image

    space(folder, "![photo](photo.png)")
    Image.new("RGBA", (20, 20), (200, 30, 30, 255)).save(folder / "photo.png")  # to convert
    return folder


def test_unwritable_image_cache_is_named(tmp_path: Path) -> None:
    image_space(tmp_path / "s")
    (tmp_path / ".guideprint-cache").write_text("a file where the cache folder goes")
    code, _, err = cli(["build", "--manual", "--source", "s", "--out", "out"], tmp_path)
    assert code == 1
    assert "Traceback" not in err
    assert "cache (.guideprint-cache) cannot be written; fix or delete it" in err
    assert "--out" not in err


def test_unwritable_remote_cache_is_named(tmp_path: Path) -> None:
    from builder.fetcher import SandboxFetcher

    cache = tmp_path / ".guideprint-cache"
    cache.write_text("a file where the cache folder goes")
    diag = Diagnostics()
    fetcher = SandboxFetcher([tmp_path], diag, allow_remote=True, cache_dir=cache / "remote")
    fetcher._store(cache / "remote" / "0123abcd", b"\x89PNG", "image/png")
    [warning] = diag.warnings
    assert ".guideprint-cache" in str(warning)
    assert "--out" not in str(warning)


# -- 6. control characters from names and content are shown, not obeyed -------------------


def test_printable_escapes_controls() -> None:
    assert printable(f"a{ESC}b\nc\td\x85e\u202ef\x7f") == "a\\x1b[2Jb\\nc\\td\\x85e\\u202ef\\x7f"
    assert printable("Zoé — “guide”") == "Zoé — “guide”"
    assert one_line("bad\n", f"{ESC}.md", 3, "fix\x07") == "\\x1b[2J.md:3: bad\\n (fix\\x07)"


def test_escape_in_a_page_name_and_title_never_reaches_the_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "SUMMARY.md").write_text(
        f"# Table of contents\n\n* [Guide](README.md)\n* [Bad](<{ESC}.md>)\n"
    )
    (folder / "README.md").write_text("# Guide\n\nBonjour.\n")
    (folder / f"{ESC}.md").write_text(f"# {ESC}Bad\n\n![loin](http://127.0.0.1:9/x.png)\n")
    code, out, err = cli(["check", "--source", "s"], tmp_path)
    assert code == 0, err
    assert "\x1b" not in out + err
    assert "warning: \\x1b[2J.md:3: remote image not fetched" in err
    assert "\\x1b[2J.md (0 error(s), 1 warning(s))" in err
    code, out, err = cli(["list", "--source", "s"], tmp_path)
    assert code == 0, err
    assert "\x1b" not in out + err
    assert "  \\x1b[2J.md  \\x1b[2JBad" in out


# -- 7. temporary files of a killed build are removed by the next one ---------------------


def leftover(folder: Path, name: str, *, age: float = 60) -> Path:
    """A temporary file as atomic_path names it, as old as a killed build's."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    os.close(fd)
    os.utime(path, (time.time() - age, time.time() - age))
    return Path(path)


def kept_files(out: Path) -> list[Path]:
    for name in ("notes.part", ".vpn.pdf.part", "vpn.pdf.abcdefgh.part"):
        (out / "cards").mkdir(parents=True, exist_ok=True)
        (out / "cards" / name).write_text("not ours")
    return [out / "cards" / n for n in ("notes.part", ".vpn.pdf.part", "vpn.pdf.abcdefgh.part")]


def test_the_lock_removes_leftovers_and_only_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    old = [leftover(out / "cards", "vpn.pdf"), leftover(out / "print" / "imprimeur", "x.pdf")]
    kept = kept_files(out)
    with build_lock(out):
        assert not any(p.exists() for p in old)
        assert all(p.exists() for p in kept)


def test_a_leftover_newer_than_the_lock_is_kept(tmp_path: Path) -> None:
    young = leftover(tmp_path, "manual.pdf", age=0)
    old = leftover(tmp_path, "manual.pdf")
    assert clean_leftovers(tmp_path, before=time.time() - 30) == [old]
    assert young.exists()


def test_a_build_removes_a_killed_builds_leftovers(tmp_path: Path) -> None:
    space(tmp_path / "s")
    old = leftover(tmp_path / "out" / "cards", "vpn.pdf")
    kept = kept_files(tmp_path / "out")
    code, _, err = cli(["build", "--manual", "--source", "s", "--out", "out"], tmp_path)
    assert code == 0, err
    assert not old.exists()
    assert all(p.exists() for p in kept)
    assert (tmp_path / "out" / "manual.pdf").is_file()
