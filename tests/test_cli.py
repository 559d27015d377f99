"""The command line: exit codes (0 ok, 1 errors, 2 usage), one line per error and never a
traceback, --strict in check and build, check without WeasyPrint, settings mistakes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import cli
from conftest import one_error, project, require_shared, space

from builder import fonts

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "lawnchair-docs"
CARDS = ["desktop", "smartphone", "vpn", "webclient", "yealink"]


# -- cards and usage -----------------------------------------------------------------------


def usage_error(err: str) -> str:
    """The last line of err, after the command's usage: `guideprint CMD: error: ...`."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("usage: guideprint "), err
    assert ": error: " in lines[-1], err
    return lines[-1]


def test_unknown_card_lists_the_names(tmp_path: Path) -> None:
    code, _, err = cli(["build", "--card", "nope", "--out", str(tmp_path / "out")], ROOT)
    assert code == 2  # a usage error, as argparse's own
    line = usage_error(err)
    assert "unknown card 'nope'" in line
    for name in CARDS:
        assert name in line
    assert not (tmp_path / "out").exists()


def test_unknown_card_suggests_the_closest(tmp_path: Path) -> None:
    code, _, err = cli(["build", "--card", "yealnk", "--out", str(tmp_path / "out")], ROOT)
    assert code == 2
    assert "did you mean 'yealink'?" in usage_error(err)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frob"],
        ["build", "--bogus"],
        ["build", "--copies", "abc"],
        ["check", "--out", "x"],
        ["import", "page.md"],
        ["welcome"],
        ["check", "extra"],
    ],
    ids=["nothing", "unknown-command", "unknown-option", "not-a-number", "check-has-no-out",
         "import-without-to", "welcome-without-csv", "extra-argument"],
)  # fmt: skip
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    code, _, err = cli(args, tmp_path)
    assert code == 2
    assert "usage: guideprint" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["--copies", "-1", "--card", "vpn"], ["--copies", "2"]])
def test_copies_misuse_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    space(tmp_path / "s")
    (tmp_path / "s" / "cards").mkdir()
    (tmp_path / "s" / "cards" / "vpn.md").write_text("---\ntitle: VPN\n---\nTexte.\n")
    code, _, err = cli(["build", *args, "--source", "s", "--out", "out"], tmp_path)
    assert code == 2, err


def test_help_lists_every_command_though_a_command_is_parsed_alone(tmp_path: Path) -> None:
    """Only the subcommand argv names is built to parse it; --help and a mistake see all."""
    from builder.cli import COMMANDS

    code, out, _ = cli(["--help"], tmp_path)
    assert code == 0
    assert all(re.search(rf"^    {name} ", out, re.MULTILINE) for name in COMMANDS), out
    code, out, _ = cli(["build", "--help"], tmp_path)
    assert code == 0
    assert "--manual" in out
    code, _, err = cli(["buidl"], tmp_path)
    assert code == 2
    assert all(f"'{name}'" in err for name in COMMANDS), err


def test_version(tmp_path: Path) -> None:
    code, out, _ = cli(["--version"], tmp_path)
    assert code == 0
    assert out.startswith("guideprint ")


# -- --strict in check and build -----------------------------------------------------------

WARNED = "![loin](http://127.0.0.1:9/image.png)"


def test_check_warns_and_passes_without_strict(tmp_path: Path) -> None:
    space(tmp_path / "s", WARNED)
    code, _, err = cli(["check", "--source", "s"], tmp_path)
    assert code == 0, err
    assert "warning: README.md:3: remote image not fetched" in err
    assert "0 error(s), 1 warning(s): README.md (0 error(s), 1 warning(s))" in err


def test_check_strict_makes_warnings_fatal(tmp_path: Path) -> None:
    space(tmp_path / "s", WARNED)
    code, _, err = cli(["check", "--strict", "--source", "s"], tmp_path)
    assert code == 1
    assert "error: warnings are fatal with --strict" in err
    assert "Traceback" not in err


def test_check_clean_space(tmp_path: Path) -> None:
    space(tmp_path / "s")
    code, out, err = cli(["check", "--strict", "--source", "s"], tmp_path)
    assert (code, err) == (0, "")
    assert "ok: no problems found" in out


def test_build_warns_and_writes_without_strict(tmp_path: Path) -> None:
    space(tmp_path / "s", WARNED)
    code, _, err = cli(["build", "--manual", "--source", "s", "--out", "out"], tmp_path)
    assert code == 0, err
    assert "remote image not fetched" in err
    assert (tmp_path / "out" / "manual.pdf").is_file()


def test_build_strict_makes_warnings_fatal(tmp_path: Path) -> None:
    space(tmp_path / "s", WARNED)
    code, _, err = cli(["build", "--manual", "--strict", "--source", "s", "--out", "out"],
                       tmp_path)  # fmt: skip
    assert code == 1
    assert "remote image not fetched" in err
    assert "with --strict" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "manual.pdf").exists()


# -- the command itself: exit codes and output survive its quick exit ---------------------


@pytest.mark.parametrize(
    ("args", "code", "stream", "text"),
    [
        (["--version"], 0, "stdout", "guideprint"),
        (["build", "--nope"], 2, "stderr", "unrecognized arguments: --nope"),
        (["build", "--card", "nope"], 2, "stderr", "error: unknown card 'nope'"),
        (["list"], 0, "stdout", "yealink"),
    ],
)
def test_python_m_builder_exit_codes_and_output(
    copy: Path, args: list[str], code: int, stream: str, text: str
) -> None:
    """`python -m builder` leaves through os._exit: codes and buffered output must get out."""
    done = subprocess.run(
        [sys.executable, "-m", "builder", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == code, done.stderr
    assert text in getattr(done, stream)
    assert "Traceback" not in done.stderr


def test_a_closed_stderr_does_not_stop_the_command(copy: Path) -> None:
    """`guideprint check -v 2>&1 | head -1`: the reader leaves after the first line; the
    command goes on to its end and exits 0, not 1 with a traceback nobody sees."""
    import os

    read, write = os.pipe()
    os.close(read)  # nobody reads: every line said is an EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "builder", "check", "-v"], cwd=copy,
                              stderr=write, stdout=subprocess.DEVNULL, check=False)  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 0


# -- check: fast, no WeasyPrint, any space -------------------------------------------------


def test_check_is_the_build_without_writing(copy: Path) -> None:
    """check lays the stale outputs out (card fit, renderer warnings) but writes nothing."""
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    code, out, err = cli(["check"], copy)
    assert (code, out.strip()) == (0, "ok: no problems found"), err
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before


def test_check_another_gitbook_space() -> None:
    require_shared(CORPUS)
    code, _, err = cli(["check", "--source", "../shared/corpus/lawnchair-docs"], ROOT)
    assert code == 0, err
    assert "Traceback" not in err
    assert "error:" not in err


# -- fonts ---------------------------------------------------------------------------------


def test_missing_font_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = fonts.Face("GP Sans", tmp_path / "NotoSans-Gone.ttf", "normal", "normal",
                         "fonts-noto-core")  # fmt: skip
    monkeypatch.setattr(fonts, "FACES", (*fonts.FACES, missing))
    space(tmp_path / "s")
    code, _, err = cli(["build", "--manual", "--source", "s", "--out", "out"], tmp_path)
    assert code == 1
    line = one_error(err)
    assert "missing font" in line
    assert "NotoSans-Gone.ttf" in line
    assert "Debian package fonts-noto-core" in line
    assert not (tmp_path / "out" / "manual.pdf").exists()


# -- guideprint.toml -----------------------------------------------------------------------

TOML_ERRORS = [  # (guideprint.toml, a pattern of the one line printed)
    ('title = "Guide"\ntitel = "x"\n', r":2: unknown key 'titel' \(did you mean 'title'\?\)"),
    ('[manual]\npaper = "A4"\npapr = "A5"\n', r":3: unknown key 'manual.papr' \(did you mean"),
    ('[manuel]\npaper = "A4"\n', r"unknown key 'manuel' \(did you mean 'manual'\?\)"),
    ('title = "Guide"\nlogo = \n', r":2: invalid TOML|invalid TOML: .*line 2\b"),
    ('title = "Guide\n', r":1: invalid TOML|invalid TOML: .*line 1\b"),
    ('language = "sv"\n', r"invalid value for 'language' \(use fr, en, es, de, .* or ar\)"),
    ("[manual]\ntoc_depth = 9\n", r"invalid value for 'manual.toc_depth' \(use .auto. or 0 to 4\)"),
    ('[manual]\ntoc_depth = "2"\n', r":2: 'manual.toc_depth' must be a whole number"),
    ('manual = "A4"\n', r"'manual' must be a table \[manual\]"),
    ('brand_colour = "blue"\n', r"invalid value for 'brand_colour' \(use #rrggbb\)"),
    ('keywords = "3CX"\n', r"'keywords' must be a list of strings"),
]


@pytest.mark.parametrize(("toml", "pattern"), TOML_ERRORS, ids=[t for t, _ in TOML_ERRORS])
@pytest.mark.parametrize("command", [["check"], ["list"], ["build", "--manual", "--out", "out"]])
def test_bad_settings_one_line(tmp_path: Path, toml: str, pattern: str, command: list[str]) -> None:
    folder = project(tmp_path, toml)
    code, out, err = cli(command, folder)
    assert code == 1
    line = one_error(err)
    assert line.startswith(f"error: {folder / 'guideprint.toml'}")
    assert re.search(pattern, line), line
    assert out == ""
    assert not (folder / "out" / "manual.pdf").exists()


def test_settings_not_utf8(tmp_path: Path) -> None:
    folder = project(tmp_path, "")
    (folder / "guideprint.toml").write_bytes('title = "Téléphonie"\n'.encode("latin-1"))
    code, _, err = cli(["check"], folder)
    assert code == 1
    assert "not UTF-8" in one_error(err)


# -- every other error path: one line ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--source", "nowhere"], "no such folder"),
        (["check", "--source", "file.txt"], "no such folder"),
        (["check", "--source", "empty"], "no GitBook space here"),
        (["build", "--space", "nope", "--source", "s", "--out", "out"], "no space named 'nope'"),
        (["build", "--manual", "--source", "s", "--out", "file.txt"], "cannot write the output"),
        (["build", "--manual", "--source", "s", "--out", "file.txt/out"], "Not a directory"),
        (["import", "nowhere.md", "--to", "imported"], "no such file or folder"),
        (["welcome", "nowhere.csv", "--source", "s", "--out", "out"], "no such file"),
    ],
    ids=["missing-source", "source-is-a-file", "empty-source", "unknown-space", "out-is-a-file",
         "out-under-a-file", "import-missing", "welcome-missing-csv"],
)  # fmt: skip
def test_error_paths_print_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    space(tmp_path / "s")
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("a file, not a folder")
    code, _, err = cli(args, tmp_path)
    assert code == 1
    assert message in one_error(err)
