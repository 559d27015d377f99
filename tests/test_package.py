"""guideprint as a package: the wheel carries what it needs, `init` starts a project that
builds, the portable parts (fonts through fontconfig, the lock through filelock); and, slow,
the proof in a clean place: the wheel installed in a fresh venv, `init`, `build`, PDFs read."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pypdf
import pytest
from clirun import cli

import builder
from builder import fonts, init, layouts
from builder.errors import RenderError
from builder.layouts import BUILTIN
from builder.resources import bundled

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
MAPPED = {"layouts": "builder.layouts", "assets": "builder.assets"}  # repository -> wheel
A6_PT = (297.638, 419.528)


def data_files(folder: Path) -> list[str]:
    """Every file under folder, relative to it, caches left out."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def folder_of(package: str) -> Path:
    """The repository folder a package of the wheel is made from."""
    for top, mapped in MAPPED.items():
        if package == mapped or package.startswith(f"{mapped}."):
            return ROOT / top / package.removeprefix(mapped).replace(".", "/").lstrip("/")
    return ROOT / package.replace(".", "/")


def packages_on_disk() -> set[str]:
    """The packages the wheel must list: builder's folders, and layouts/ and assets/ mapped."""
    found = {"builder"}
    for folder in (ROOT / "builder").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__":
            found.add(".".join(folder.relative_to(ROOT).parts))
    for top, package in MAPPED.items():
        found.add(package)
        for folder in (ROOT / top).rglob("*"):
            if folder.is_dir():
                found.add(".".join((package, *folder.relative_to(ROOT / top).parts)))
    return found


# -- the package's description ----------------------------------------------------------------


def test_every_folder_is_a_listed_package() -> None:
    listed = set(SETUPTOOLS["packages"])
    missing = sorted(packages_on_disk() - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert not sorted(listed - packages_on_disk()), "listed, but no such folder"
    assert SETUPTOOLS["package-dir"] == {v: k for k, v in MAPPED.items()}
    data = SETUPTOOLS["package-data"]
    without = [p for p in listed if not (folder_of(p) / "__init__.py").is_file() and p not in data]
    assert not without, f"add to [tool.setuptools.package-data]: {without}"


def test_the_version_is_in_one_place() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert SETUPTOOLS["dynamic"]["version"] == {"attr": "builder.__version__"}
    tree = ast.parse((ROOT / "builder" / "__init__.py").read_text(encoding="utf-8"))
    literal = [n.value for n in tree.body if isinstance(n, ast.Assign)
               and any(getattr(t, "id", "") == "__version__" for t in n.targets)]  # fmt: skip
    assert [ast.literal_eval(v) for v in literal] == [builder.__version__]  # setuptools reads it
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(builder.__version__)}\b", changelog, re.MULTILINE)


def test_metadata_fit_for_an_index() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"  # an SPDX expression: no License :: classifier with it
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert all((ROOT / f).is_file() for f in project["license-files"])
    assert project["scripts"] == {"guideprint": "builder.cli:run"}
    assert {"Homepage", "Source", "Issues"} <= set(project["urls"])
    assert any(r.startswith("filelock==") for r in project["dependencies"])


def test_bundled_folders_are_the_repository_s_in_a_checkout() -> None:
    assert bundled("layouts") == BUILTIN == ROOT / "layouts"
    assert bundled("assets") == ROOT / "assets"
    assert bundled("starter") == ROOT / "builder" / "starter"  # inside the package: both ways


def test_a_copied_builder_without_its_layouts_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layouts, "BUILTIN", tmp_path / "gone")
    with pytest.raises(RenderError, match="guideprint's own layouts are missing") as caught:
        layouts.Layouts(tmp_path)
    assert "reinstall guideprint" in str(caught.value)


# -- guideprint init --------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "card"), [("fr", "exemple"), ("en", "example")])
def test_init_makes_a_project_that_builds_without_a_warning(
    tmp_path: Path, lang: str, card: str
) -> None:
    code, out, err = cli(["init", "guide", "--lang", lang], tmp_path)
    assert (code, err) == (0, ""), err
    assert "next: cd guide && guideprint build" in out
    project = tmp_path / "guide"
    assert sorted(data_files(project)) == sorted(init.STARTER[lang])
    assert (project / "content" / ".gitbook" / "assets").is_dir()
    assert {"/out/", "/.guideprint-cache/"} <= set((project / ".gitignore").read_text().split())
    settings = (project / "guideprint.toml").read_text(encoding="utf-8")
    assert f'language = "{lang}"' in settings
    assert sum(line.lstrip().startswith("#") for line in settings.splitlines()) > 10  # commented
    code, _, err = cli(["build", "--strict"], project)
    assert (code, err.count("warning")) == (0, 0), err
    assert (project / "out" / "cards" / f"{card}.pdf").is_file()
    reader = pypdf.PdfReader(project / "out" / "manual.pdf")
    assert reader.trailer["/Root"]["/Lang"] == lang


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    code, out, err = cli(["init"], tmp_path)
    assert code == 1
    assert out == ""
    assert err.startswith("error: ")
    assert "not empty" in err
    assert "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_init_force_keeps_the_files_already_there(tmp_path: Path) -> None:
    (tmp_path / "guideprint.toml").write_text('title = "Mine"\n')
    code, out, _ = cli(["init", "--force", "-q"], tmp_path)
    assert (code, out) == (0, "")
    assert (tmp_path / "guideprint.toml").read_text() == 'title = "Mine"\n'
    assert (tmp_path / "content" / "cards" / "exemple.md").is_file()
    code, out, _ = cli(["init", "--force"], tmp_path)
    assert code == 0
    assert "nothing new" in out
    assert "kept, already there: guideprint.toml" in out


def test_init_refuses_a_file_and_an_unknown_language(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    code, _, err = cli(["init", "file"], tmp_path)
    assert code == 1
    assert "not a folder" in err
    code, _, err = cli(["init", "x", "--lang", "de"], tmp_path)
    assert code == 2
    assert "invalid choice: 'de'" in err
    assert not (tmp_path / "x").exists()


# -- the portable parts -----------------------------------------------------------------------


def test_fonts_come_from_fontconfig() -> None:
    assert fonts.INSTALLED is not None, "libfontconfig could not be loaded"
    assert all(face.file in fonts.INSTALLED for face in fonts.FACES)
    assert [f.file.name for f in fonts.FACES] == [w.name for w in fonts.WANTED]


def test_a_face_is_found_by_its_file_name_debian_s_place_first(tmp_path: Path) -> None:
    regular = fonts.WANTED[0]
    elsewhere = tmp_path / "fonts" / regular.name
    (face,) = fonts.find_faces([regular], [elsewhere, tmp_path / "DejaVuSans.ttf"])
    assert face.file == elsewhere
    (face,) = fonts.find_faces([regular], [elsewhere, fonts.NOTO / regular.name])
    assert face.file == fonts.NOTO / regular.name
    (face,) = fonts.find_faces([regular], [tmp_path / "DejaVuSans.ttf"])  # never a look-alike
    assert face.file == fonts.NOTO / regular.name
    assert "fonts-noto-core" in fonts.install_hint(face)
    assert "Noto Sans font (NotoSans-Regular.ttf" in fonts.install_hint(face)


def test_without_fontconfig_the_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "INSTALLED", None)
    cli(["init", "-q"], tmp_path)
    code, _, err = cli(["build", "--manual"], tmp_path)
    assert code == 1
    assert "fontconfig not found" in err
    assert "libfontconfig1" in err


def test_nothing_linux_only_on_the_lock() -> None:
    """fcntl is filelock's business now (LockFileEx on Windows)."""
    sources = [p for p in (ROOT / "builder").rglob("*.py")]
    users = [p.name for p in sources if re.search(r"^\s*import fcntl", p.read_text(), re.M)]
    assert users == []


# -- the proof in a clean place -----------------------------------------------------------------


def run(args: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A program, its output kept; the environment without this checkout's PYTHONPATH."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of what the repository tracks for it, offline."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        (src / name).write_bytes((ROOT / name).read_bytes())
    for top in ("builder", *MAPPED):
        for rel in data_files(ROOT / top):
            target = src / top / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((ROOT / top / rel).read_bytes())
    dist = tmp_path / "dist"
    # No isolation, no index: this venv's setuptools (the test extra pins it), no network.
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                "--no-index", "-w", dist, src], tmp_path)  # fmt: skip
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    (wheel,) = dist.glob("guideprint-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv outside the repository with the wheel installed; its bin folder.

    The wheel goes in with --no-deps and no index: this machine may be offline, and pip
    cannot make wheels of what is installed. The dependencies come from this venv's
    site-packages through a .pth line, which only appends the folder to sys.path: the
    fresh venv's own site-packages (the wheel) comes first, and the .pth files of the
    folder added are not run (this checkout's editable finder stays out).
    """
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--quiet", wheel], tmp_path)  # fmt: skip
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
               tmp_path).stdout.strip()  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python.parent


@pytest.mark.slow
def test_the_wheel_works_in_a_clean_place(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        entry = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for top, package in MAPPED.items():
        for rel in data_files(ROOT / top):
            assert f"{package.replace('.', '/')}/{rel}" in names, rel
    assert all(f"builder/starter/{n}" in names for n in data_files(ROOT / "builder" / "starter"))
    assert not [n for n in names if n.startswith(("layouts/", "assets/", "tests/", "content/"))]
    assert f"Version: {builder.__version__}\n" in meta
    assert "License-Expression: MIT\n" in meta
    assert "Requires-Dist: filelock==" in meta
    assert "guideprint = builder.cli:run" in entry

    bin_ = fresh_venv(tmp_path, wheel)
    work = tmp_path / "work"
    work.mkdir()
    where = run([bin_ / "python", "-c", "import builder; print(builder.__file__)"], work)
    assert Path(where.stdout.strip()).is_relative_to(bin_.parent), "not the installed wheel"
    version = run([bin_ / "guideprint", "--version"], work).stdout
    assert version.strip() == f"guideprint {builder.__version__}"

    run([bin_ / "guideprint", "init", "x"], work)
    built = run([bin_ / "guideprint", "build", "--strict"], work / "x")
    assert "warning" not in built.stderr, built.stderr
    out = work / "x" / "out"
    card = pypdf.PdfReader(out / "cards" / "exemple.pdf")
    assert len(card.pages) == 2  # front and back, each on its one page
    for page in card.pages:
        assert [round(float(v), 3) for v in page.trimbox[2:]] == list(A6_PT)
    manual = pypdf.PdfReader(out / "manual.pdf")
    root = manual.trailer["/Root"]
    assert "/StructTreeRoot" in root  # tagged (pdf/ua-1)
    assert root["/Lang"] == "fr"
    text = "\n".join(p.extract_text() for p in manual.pages)
    assert "Premiers pas" in text
    assert (out / "print" / "cartes-bureau.pdf").is_file()


# -- the set-up that explains itself ------------------------------------------------------------


def stubs(folder: Path, programs: dict[str, str]) -> dict[str, str]:
    """A PATH of stand-in programs (shell scripts) and nothing else: an environment to run in."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in programs.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return {"PATH": str(folder), "HOME": str(folder), "LC_ALL": "C"}


OK_PYTHON = """case "$*" in
  *print*) echo 3.13.1 ;;
  *) exit 0 ;;
esac"""
NO_VENV = """case "$*" in
  *ensurepip*) exit 1 ;;
  *print*) echo 3.12 ;;
  *) exit 0 ;;
esac"""
OLD_PYTHON = "exit 1"  # 3.10: the version test fails


def make_python(tmp_path: Path, programs: dict[str, str]) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make, "make is needed: apt-get install make"
    return subprocess.run([make, "-s", "-C", str(ROOT), "python"], capture_output=True,
                          text=True, env=stubs(tmp_path / "bin", programs), timeout=60)  # fmt: skip


def test_make_takes_the_first_python_that_is_3_11_or_newer(tmp_path: Path) -> None:
    done = make_python(tmp_path, {"python3": OLD_PYTHON, "python3.13": OK_PYTHON})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "guideprint: python3.13 will do (3.13.1)"


def test_make_says_what_to_install_without_a_recent_python(tmp_path: Path) -> None:
    done = make_python(tmp_path, {"python3": OLD_PYTHON})
    assert done.returncode != 0
    assert "guideprint needs Python 3.11 or newer" in done.stderr
    assert "apt-get install python3.11 python3.11-venv" in done.stderr


def test_make_says_what_to_install_without_venv(tmp_path: Path) -> None:
    done = make_python(tmp_path, {"python3": OLD_PYTHON, "python3.12": NO_VENV})
    assert done.returncode != 0
    assert "python3.12 cannot make a venv" in done.stderr
    assert "apt-get install python3.12-venv" in done.stderr


APT_LOG = 'echo "apt-get $*" >> "$HOME/apt.log"'
MISSING = "exit 1"  # dpkg-query: no such package installed
INSTALLED = "echo 'install ok installed'"
USER = 'case "$1" in -u) echo 1000 ;; esac'
ROOT_USER = 'case "$1" in -u) echo 0 ;; esac'


def setup_system(
    tmp_path: Path, programs: dict[str, str], *args: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """scripts/setup-system.sh among stand-ins; what it printed and what apt-get was asked."""
    bash = shutil.which("bash")
    assert bash
    env = stubs(tmp_path / "bin", programs)
    done = subprocess.run([bash, str(ROOT / "scripts" / "setup-system.sh"), *args],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    log = Path(env["HOME"]) / "apt.log"
    return done, log.read_text() if log.exists() else ""


def test_setup_without_root_or_sudo_prints_the_command(tmp_path: Path) -> None:
    apt = {"id": USER, "dpkg-query": MISSING, "apt-get": APT_LOG}
    done, asked = setup_system(tmp_path, apt)
    assert done.returncode == 1
    assert "not found" not in done.stderr
    assert asked == ""
    command = re.search(r"apt-get update && (apt-get install .*)", done.stderr)
    assert command, done.stderr
    assert command.group(1).split()[4:] == [
        "fonts-noto-core", "fonts-noto-mono", "fonts-noto-color-emoji", "fonts-noto-cjk",
        "libpango-1.0-0",
        "libpangoft2-1.0-0", "libfontconfig1", "libharfbuzz-subset0",
    ]  # fmt: skip
    done, _ = setup_system(tmp_path, apt, "--test")
    assert "libharfbuzz-subset0 poppler-utils zbar-tools libzbar0 chromium qpdf\n" in done.stderr


def test_setup_installs_as_root_or_through_sudo(tmp_path: Path) -> None:
    done, asked = setup_system(
        tmp_path, {"id": ROOT_USER, "dpkg-query": MISSING, "apt-get": APT_LOG}, "--test"
    )
    assert done.returncode == 0, done.stderr
    update, install = asked.splitlines()
    assert update == "apt-get update -qq"
    assert install.startswith("apt-get install -y -qq --no-install-recommends fonts-noto-core ")
    assert install.endswith(" poppler-utils zbar-tools libzbar0 chromium qpdf")
    sudo = 'echo sudo >> "$HOME/apt.log"; exec "$@"'
    done, asked = setup_system(
        tmp_path / "u", {"id": USER, "dpkg-query": MISSING, "apt-get": APT_LOG, "sudo": sudo}
    )
    assert done.returncode == 0, done.stderr
    assert asked.splitlines()[::2] == ["sudo", "sudo"]


def test_setup_asks_for_nothing_installed_already(tmp_path: Path) -> None:
    done, asked = setup_system(
        tmp_path, {"id": USER, "dpkg-query": INSTALLED, "apt-get": APT_LOG}, "--test"
    )
    assert (done.returncode, done.stdout, done.stderr, asked) == (0, "", "", "")


def test_setup_adds_the_venv_module_python_lacks(tmp_path: Path) -> None:
    installed = """case "$*" in *-venv) exit 1 ;; *) echo 'install ok installed' ;; esac"""
    programs = {"id": USER, "dpkg-query": installed, "apt-get": APT_LOG, "python3.12": NO_VENV}
    done, _ = setup_system(tmp_path, programs, "--python", "python3.12")
    assert done.returncode == 1
    assert done.stderr.count("python3.12-venv") == 2  # missing, and in the command


def test_setup_without_apt_says_what_to_install(tmp_path: Path) -> None:
    done, _ = setup_system(tmp_path, {"id": USER}, "--test")
    assert done.returncode == 0
    assert "no apt on this machine" in done.stderr
    assert "NotoSans-{Regular,Bold,Italic,BoldItalic}.ttf" in done.stderr
    assert "poppler" in done.stderr
