"""The importer: mojibake repair, one page per section, assets, and the curated content/ space."""

# French test data: the typographic apostrophe is meant.

from __future__ import annotations

import re
import shutil
from pathlib import Path

import ftfy
import pytest
from conftest import require_shared

from builder.diagnostics import Diagnostics
from builder.errors import ContentError, GuideError, InputError, OutputError
from builder.importer import ImportReport, import_source, read_repaired

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_ef52011781e9dbab.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "importer"
CONTENT = ROOT / "content"
MOJIBAKE = ("Ã", "â€", "Â", "ğŸ")
PARTY = "Vous êtes désormais connecté à notre réseau depuis l'extérieur ! 🥳🥳"
SEED_PAGES = [
    "README.md",
    "depuis-un-telephone-fixe.md",
    "depuis-un-pc-avec-le-navigateur.md",
    "depuis-un-pc-avec-l-application-3cx.md",
    "depuis-un-smartphone.md",
]
IMG = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"|!\[[^\]]*\]\((?:<([^>]+)>|([^)\s]+))')

needs_seed = pytest.mark.usefixtures("seed_present")


@pytest.fixture
def seed_present() -> None:
    """The tests of the real seed fail, not skip, when ../shared is not beside the clone."""
    require_shared(SEED)


def _import(src: Path, dest: Path, **kwargs: bool) -> tuple[ImportReport, Diagnostics]:
    diag = Diagnostics()
    return import_source(src, dest, diag, **kwargs), diag


def _pages(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in folder.rglob("*.md")}


@pytest.fixture(scope="module")
def seed_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportReport, Diagnostics]:
    require_shared(SEED)
    dest = tmp_path_factory.mktemp("seed") / "space"
    report, diag = _import(SEED, dest)
    return dest, report, diag


# --- the seed -------------------------------------------------------------------------------


def test_seed_pages_have_no_mojibake_and_intact_french(seed_import: tuple) -> None:
    dest, _, _ = seed_import
    pages = _pages(dest)
    for name, text in pages.items():
        assert not [m for m in MOJIBAKE if m in text], name
    assert PARTY in pages["depuis-un-smartphone.md"]
    assert (
        "d’expliquer le fonctionnement de la solution de\n  téléphonie 3CX." in pages["README.md"]
    )
    # ftfy options that would alter GitBook markup stay off: ’ kept, &#x20; kept
    assert "l’écran" in pages["depuis-un-telephone-fixe.md"]
    assert pages["depuis-un-telephone-fixe.md"].count("&#x20;") == 2


@needs_seed
def test_repair_is_exactly_ftfy_fix_text_without_the_markup_altering_fixes() -> None:
    seed = SEED.read_text("utf-8")
    expected = ftfy.fix_text(seed, unescape_html=False, uncurl_quotes=False)
    lines = read_repaired(SEED, ImportReport(SEED, SEED), Diagnostics())
    assert "\n".join(line.text for line in lines) == expected


def test_seed_is_split_one_page_per_section_in_order(seed_import: tuple) -> None:
    dest, report, _ = seed_import
    assert report.pages == SEED_PAGES
    summary = (dest / "SUMMARY.md").read_text("utf-8")
    links = re.findall(r"^\* \[(.+)\]\((.+)\)$", summary, re.MULTILINE)
    assert [path for _, path in links] == SEED_PAGES
    assert links[0][0] == "3CX"
    assert links[1][0] == "Depuis un téléphone fixe"
    assert sorted(_pages(dest)) == sorted([*SEED_PAGES, "SUMMARY.md"])


def test_seed_headings_are_promoted(seed_import: tuple) -> None:
    dest, _, _ = seed_import
    web = (dest / "depuis-un-pc-avec-le-navigateur.md").read_text("utf-8")
    assert web.startswith("# Depuis un PC avec le navigateur\n\n## Accès\n")
    assert "## Choix de l'appareil" in web
    assert not re.search(r"^###", web, re.MULTILINE)
    readme = (dest / "README.md").read_text("utf-8")
    assert readme.startswith("---\ndescription: >-\n")
    assert "\n---\n\n# 3CX\n\nCe document" in readme
    assert "Depuis un téléphone fixe" not in readme


def test_seed_report_counts_repairs(seed_import: tuple) -> None:
    _, report, _ = seed_import
    counts = report.repair_counts()
    assert len(report.repairs) == 63
    assert counts["encode sloppy-windows-1254 + decode utf-8"] == 1  # the 🥳 line
    assert {r.line for r in report.repairs if "1254" in r.fixes[0]} == {189}
    assert "repaired 63 lines" in report.summary()


def test_seed_report_lists_missing_and_remote_assets(seed_import: tuple) -> None:
    dest, report, diag = seed_import
    missing = [a.ref for a in report.missing]
    assert len(missing) == 14
    assert missing[0] == "../.gitbook/assets/image (2).png"
    assert report.missing[0].line == 39
    assert "../.gitbook/assets/Capture d&#x27;Ã©cran 2024-08-02 155147.png" not in missing
    assert "../.gitbook/assets/Capture d&#x27;écran 2024-08-02 155147.png" in missing
    assert len(diag.warnings) == 14
    assert [a.ref.split("/")[2] for a in report.remote] == [
        "www.auranext.com",
        "images.sftcdn.net",
        "i.imgur.com",
    ]
    assert report.assets == []
    # references point at the new space's assets folder, the file name as written
    fixe = (dest / "depuis-un-telephone-fixe.md").read_text("utf-8")
    assert '<img src=".gitbook/assets/image (2).png" alt="" data-size="line">' in fixe
    phone = (dest / "depuis-un-smartphone.md").read_text("utf-8")
    assert 'src=".gitbook/assets/Capture d&#x27;écran 2024-08-02 155147.png"' in phone


# --- a small raw page with assets next to it --------------------------------------------------


def test_raw_page_assets_are_collected_and_references_rewritten(tmp_path: Path) -> None:
    report, _ = _import(FIXTURES / "raw" / "page.md", tmp_path / "out")
    out = tmp_path / "out"
    assert report.pages == ["README.md", "premier-appel.md", "depannage.md"]
    assert report.assets == [".gitbook/assets/diagram (1).png", ".gitbook/assets/pic.png"]
    assert (out / ".gitbook/assets/diagram (1).png").is_file()
    first = (out / "premier-appel.md").read_text("utf-8")
    assert '<img src=".gitbook/assets/pic.png" alt="" data-size="line"> pour décrocher.' in first
    assert "## Détails\n\n![](<.gitbook/assets/diagram (1).png>)" in first
    assert "```bash\n## pas un titre\n```" in first  # a fence is not split at its "##"
    last = (out / "depannage.md").read_text("utf-8")
    assert last.startswith("# Dépannage\n")
    assert "**C’est terminé ! 🥳**" in last
    readme = (out / "README.md").read_text("utf-8")
    assert "description: Guide d’essai pour l’importeur\ncover: .gitbook/assets/pic.png\n" in readme
    assert [a.ref for a in report.missing] == ["../.gitbook/assets/absent (9).png"]
    assert [a.ref for a in report.remote] == ["https://example.com/remote.png"]


def test_nothing_outside_the_source_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    (tmp_path / "src").mkdir()
    page = tmp_path / "src" / "page.md"
    page.write_text('# T\n\n<img src="../secret.png" alt="">\n', encoding="utf-8")
    report, _ = _import(page, tmp_path / "out")
    assert [a.ref for a in report.missing] == ["../secret.png"]
    assert not (tmp_path / "out" / ".gitbook").exists()


def test_space_folder_is_repaired_in_place_layout(tmp_path: Path) -> None:
    report, diag = _import(FIXTURES / "space", tmp_path / "out")
    out = tmp_path / "out"
    assert report.pages == ["README.md", "guide/cle.md"]
    assert (out / "SUMMARY.md").read_text("utf-8").endswith("* [Clé](guide/cle.md)\n")
    assert (
        (out / "guide/cle.md")
        .read_text("utf-8")
        .startswith('# Clé\n\n<img src="../.gitbook/assets/key.png" alt="">')
    )
    assert report.assets == [".gitbook/assets/key.png"]
    assert [a.ref for a in report.missing] == ["../.gitbook/assets/gone.png"]
    assert "Bienvenue à tous." in (out / "README.md").read_text("utf-8")
    assert len(diag.warnings) == 1


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error", "line"),
    [
        ("does-not-exist.md", InputError, None),
        ("latin1.md", InputError, 4),
        ("unclosed.md", ContentError, 1),
    ],
)
def test_bad_input_raises_a_guide_error_and_writes_nothing(
    tmp_path: Path, name: str, error: type[GuideError], line: int | None
) -> None:
    with pytest.raises(error) as info:
        _import(FIXTURES / name, tmp_path / "out")
    assert info.value.line == line
    assert info.value.file is not None
    assert name in info.value.file
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_non_empty_destination_needs_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not empty") as info:
        _import(FIXTURES / "raw" / "page.md", tmp_path)
    assert isinstance(info.value, GuideError)
    assert info.value.hint is not None
    assert "--force" in info.value.hint
    report, _ = _import(FIXTURES / "raw" / "page.md", tmp_path, force=True)
    assert (tmp_path / "README.md").is_file()
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine"
    assert report.pages[0] == "README.md"


def test_a_space_cannot_be_imported_into_itself(tmp_path: Path) -> None:
    space = tmp_path / "space"
    shutil.copytree(FIXTURES / "space", space)
    with pytest.raises(OutputError, match="inside the source"):
        _import(space, space / "out")


# --- the curated content/ space -------------------------------------------------------------


def _content_pages() -> dict[str, str]:
    return _pages(CONTENT)


def test_content_has_no_mojibake() -> None:
    pages = _content_pages()
    assert len(pages) >= 7
    for name, text in pages.items():
        found = [m for m in MOJIBAKE if m in text]
        assert not found, f"{name}: {found}"
    assert PARTY in pages["vpn.md"]


def test_content_summary_lists_every_page_once_in_order() -> None:
    summary = (CONTENT / "SUMMARY.md").read_text("utf-8")
    paths = re.findall(r"\]\(([^)]+)\)", summary)
    assert paths == [
        "README.md",
        "poste-fixe-yealink.md",
        "client-web.md",
        "application-pc.md",
        "smartphone.md",
        "vpn.md",
    ]
    assert sorted(paths) == sorted(
        p for p in _content_pages() if p.count("/") == 0 and p != "SUMMARY.md"
    )


def test_every_image_content_references_exists() -> None:
    checked = 0
    for name, text in _content_pages().items():
        for match in IMG.finditer(text):
            ref = next(g for g in match.groups() if g)
            if ref.startswith(("http://", "https://", "icon:")):
                continue  # remote, or a card's icon from assets/icons (the cards test those)
            assert (CONTENT / name).parent.joinpath(ref).is_file(), f"{name}: {ref}"
            checked += 1
    assert checked >= 16


def test_yealink_page_shows_the_key_icons_inline() -> None:
    text = (CONTENT / "poste-fixe-yealink.md").read_text("utf-8")
    for key in ("mute", "hold", "transfer"):
        assert re.search(
            rf'<img src="\.gitbook/assets/key-{key}\.svg" alt="[^"]+" data-size="line">', text
        )
        svg = (CONTENT / ".gitbook" / "assets" / f"key-{key}.svg").read_text("utf-8")
        assert svg.lstrip().startswith("<svg")
        assert 'viewBox="0 0 48 48"' in svg


def test_vpn_page_is_a_task_list() -> None:
    text = (CONTENT / "vpn.md").read_text("utf-8")
    assert text.startswith("# Se connecter au VPN (FortiClient)\n")
    assert len(re.findall(r"^\* \[ \] ", text, re.MULTILINE)) == 3


def test_placeholders_are_small_labelled_pngs() -> None:
    from PIL import Image

    shots = sorted((CONTENT / ".gitbook" / "assets").glob("*.png"))
    assert len(shots) >= 10
    for shot in shots:
        assert shot.stat().st_size < 40_000, shot.name
        with Image.open(shot) as im:
            assert im.size == (1200, 700)
            assert "guideprint-placeholder" in getattr(im, "text", {})


def test_a_link_out_of_the_space_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "private.md").write_text("# Secret\n", encoding="utf-8")
    space = tmp_path / "space"
    shutil.copytree(FIXTURES / "space", space)
    (space / "guide" / "leak.md").symlink_to(tmp_path / "private.md")
    report, diag = _import(space, tmp_path / "out")
    assert not (tmp_path / "out" / "guide" / "leak.md").exists()
    assert "guide/leak.md" not in report.pages
    assert any("outside the space" in d.message for d in diag.warnings)
