"""A large manual laid out in parts and spliced into one PDF (builder.manual.parts,
builder.splice; issue 17).

The promise: the PDF of a manual laid out in parts prints what the same manual laid out
whole prints, page for page (the contents' numbers, "voir p. N", "Page N sur M", the
figures' numbers), with one outline, the same named destinations and links, and a
structure tree pdfua accepts; the same bytes on one core as on two; and a rebuild that
reuses parts prints what a build from nothing prints. The bundled guide is small, so the
tests lower the sizes at which a manual is cut (each chapter that starts a page is a part).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdf
import pytest
from cardpdf import assert_tagged, printed_toc, struct_elements
from clirun import cli

from builder.manual import parts

STEPS = Path("out/.guideprint-steps")


@pytest.fixture
def in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "SPLIT_AT", 1)
    monkeypatch.setattr(parts, "PART_CHARS", 1)


@pytest.fixture
def stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The manual's stage lines (builder.manual.job.stage), to count the parts laid out."""
    target = tmp_path / "stages.txt"
    monkeypatch.setenv("GUIDEPRINT_PROFILE", str(target))
    return target


def laid_out(stages: Path) -> list[tuple[int, int]]:
    """(parts laid out, parts taken from earlier builds) of each round, since last read."""
    rounds: list[tuple[int, int]] = []
    if not stages.exists():
        return rounds
    for line in stages.read_text(encoding="utf-8").splitlines():
        name, paper = line.split()[:2]
        if name.startswith("parts-round-") and paper.startswith("A4:"):
            done, kept = paper[3:].split("/")
            rounds.append((int(done), int(kept)))
    stages.write_text("", encoding="utf-8")
    return rounds


def build(folder: Path, *args: str) -> Path:
    code, _, err = cli(["build", "--manual", *args], folder)
    assert code == 0, err
    return folder / "out" / "manual.pdf"


def text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return out.split("\f")


def read_back(pdf: Path) -> dict[str, Any]:
    """What a reader finds: outline (depth, title, page), destinations, links, structure."""
    reader = pypdf.PdfReader(pdf)

    def walk(items: list[Any], depth: int, found: list[tuple[int, str, int]]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1, found)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    outline: list[tuple[int, str, int]] = []
    walk(reader.outline, 0, outline)
    links = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            target = annot.get("/Dest") or annot["/A"].get("/URI")
            links.append((number, str(target)))
    kinds: dict[str, int] = {}
    for element in struct_elements(pdf):
        kinds[str(element["/S"])] = kinds.get(str(element["/S"]), 0) + 1
    root = reader.trailer["/Root"]
    if "/StructTreeRoot" in root:  # a number tree's keys ascend (a reader may search it)
        nums = root["/StructTreeRoot"]["/ParentTree"].get_object()["/Nums"]
        keys = [int(k) for k in nums[::2]]
        assert keys == sorted(keys), keys
    return {
        "outline": outline,
        "dests": {
            k: reader.get_destination_page_number(v) for k, v in reader.named_destinations.items()
        },
        "links": links,
        "kinds": kinds,
        "lang": root.get("/Lang"),
        "catalog": sorted(root.keys()),
        "pages": len(reader.pages),
    }


def pixels(pdf: Path, folder: Path) -> list[bytes]:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(folder / "p")], check=True)
    return [p.read_bytes() for p in sorted(folder.glob("p-*.png"))]


def whole(folder: Path) -> Path:
    """The manual of folder laid out whole, as without parts."""
    split_at = parts.SPLIT_AT
    parts.SPLIT_AT = 1 << 60
    try:
        return build(folder)
    finally:
        parts.SPLIT_AT = split_at


def twin(copy: Path, name: str) -> Path:
    """Another copy of the project beside copy."""
    other = copy.parent / f"{copy.name}-{name}"
    for item in ("content", "layouts", "assets", "guideprint.toml"):
        (shutil.copytree if (copy / item).is_dir() else shutil.copy)(copy / item, other / item)
    return other


def test_a_manual_in_parts_prints_what_the_whole_manual_prints(copy: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               stages: Path) -> None:  # fmt: skip
    shutil.copy(whole(copy), tmp_path / "whole.pdf")
    assert not laid_out(stages)
    monkeypatch.setattr(parts, "SPLIT_AT", 1)
    monkeypatch.setattr(parts, "PART_CHARS", 1)
    spliced = build(copy, "--force")
    rounds = laid_out(stages)
    assert rounds
    assert rounds[0][0] == 7  # the cover and contents, then each chapter
    assert text(spliced) == text(tmp_path / "whole.pdf")
    assert read_back(spliced) == read_back(tmp_path / "whole.pdf")
    assert pixels(spliced, tmp_path / "a") == pixels(tmp_path / "whole.pdf", tmp_path / "b")
    assert_tagged(spliced, "fr")
    check = subprocess.run(["qpdf", "--check", str(spliced)], capture_output=True, text=True)
    assert check.returncode == 0, check
    assert "No syntax or stream encoding errors" in check.stdout, check


def test_the_same_pdf_on_one_core_as_on_two(copy: Path, in_parts: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from builder import machine

    assert machine.cores() >= 2  # this test needs two: it says so, never skips
    two = build(copy).read_bytes()
    monkeypatch.setattr(machine, "cores", lambda: 1)
    one = build(copy, "--force").read_bytes()
    assert one == two


def test_the_same_pdf_from_the_project_in_another_folder(copy: Path, in_parts: None) -> None:
    """A picture's name in the PDF was the hash of its absolute path: the same project moved
    (or cloned elsewhere) made other bytes (builder.weasy._image_id)."""
    first = build(copy).read_bytes()
    assert b"/Subtype /Image" in first or b"/Subtype/Image" in first
    assert build(twin(copy, "ailleurs/un-peu-plus-loin")).read_bytes() == first


def test_one_chapter_edited_is_one_part_laid_out(copy: Path, in_parts: None,
                                                 stages: Path) -> None:  # fmt: skip
    build(copy)
    laid_out(stages)
    page = copy / "content" / "poste-fixe-yealink.md"
    more = page.read_text(encoding="utf-8").replace("\n\n", "\n\nUne phrase de plus.\n\n", 1)
    page.write_text(more, encoding="utf-8")
    edited = build(copy)
    assert laid_out(stages) == [(1, 6)]
    fresh = twin(copy, "fresh")
    assert text(edited) == text(whole(fresh))  # laid out from nothing, whole


def test_an_edit_that_pushes_pages_renumbers_every_later_page(copy: Path, in_parts: None,
                                                              stages: Path) -> None:  # fmt: skip
    build(copy)
    before = read_back(copy / "out" / "manual.pdf")["pages"]
    page = copy / "content" / "README.md"
    long = "\n\n".join(["Un paragraphe qui pousse les pages suivantes, encore et encore."] * 60)
    page.write_text(page.read_text(encoding="utf-8") + "\n\n" + long + "\n", encoding="utf-8")
    edited = build(copy)
    assert read_back(edited)["pages"] > before
    from_nothing = whole(twin(copy, "fresh"))
    assert text(edited) == text(from_nothing)
    assert read_back(edited) == read_back(from_nothing)


def test_a_part_file_damaged_or_planted_is_laid_out_again(copy: Path, in_parts: None,
                                                          stages: Path) -> None:  # fmt: skip
    right = text(build(copy))
    folder = copy / STEPS / "parts-manual"
    files = sorted(folder.glob("*.pdfpart"))
    assert len(files) == 7
    # One damaged in place, its seal kept; another replaced by a copy of a third, sealed
    # as the copy (what a folder unpacked from elsewhere gives).
    damaged = bytearray(files[0].read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    files[0].write_bytes(bytes(damaged))
    shutil.copy(files[2], files[1])
    copied = files[2].read_bytes()
    shutil.copy(files[2].with_name(files[2].name + ".sha256"),
                files[1].with_name(files[1].name + ".sha256"))  # fmt: skip
    again = build(copy)  # a no-op build: the manual is up to date, no part file read
    assert text(again) == right
    page = copy / "content" / "application-pc.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nFin.\n", encoding="utf-8")
    laid_out(stages)
    edited = build(copy)
    assert sum(done for done, _ in laid_out(stages)) >= 2  # at least the two bad ones
    for bad, was in ((files[0], bytes(damaged)), (files[1], copied)):
        assert not bad.exists() or bad.read_bytes() != was
    assert text(edited) == text(whole(twin(copy, "fresh")))


def test_a_string_that_looks_like_a_reference_is_left_as_it_is(copy: Path, in_parts: None) -> None:
    """The splice renumbers "N 0 R" in the parts' dictionaries, never inside a string: an
    image's alternative text that says "3 0 R" (its Figure's /Alt) stays so."""
    page = copy / "content" / "application-pc.md"
    image = "application-utilisateur.png"
    page.write_text(page.read_text(encoding="utf-8")
                    + f"\n![Schéma 3 0 R (voir 12 0 R)](.gitbook/assets/{image})\n",
                    encoding="utf-8")  # fmt: skip
    pdf = build(copy)
    alts = [str(e.get("/Alt", "")) for e in struct_elements(pdf) if e["/S"] == "/Figure"]
    assert "Schéma 3 0 R (voir 12 0 R)" in alts


def test_the_booklet_in_parts_is_the_booklet_whole(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli(["build"], copy)
    assert code == 0, err
    a5 = copy / STEPS / "manuel-a5.pdf"
    whole = text(a5)
    monkeypatch.setattr(parts, "SPLIT_AT", 1)
    monkeypatch.setattr(parts, "PART_CHARS", 1)
    code, _, err = cli(["build", "--force"], copy)
    assert code == 0, err
    assert (copy / STEPS / "parts-manuel-a5").is_dir()
    assert text(a5) == whole
    assert "/StructTreeRoot" not in pypdf.PdfReader(a5).trailer["/Root"]  # a step: untagged


def test_a_full_disk_while_splicing_keeps_the_previous_manual(copy: Path, in_parts: None,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:  # fmt: skip
    import errno

    from builder import splice

    before = build(copy).read_bytes()
    written = []

    def full(self: object, data: bytes) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(data)

    monkeypatch.setattr(splice._Writer, "_write", full)
    code, _, err = cli(["build", "--manual", "--force"], copy)
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert any("No space left on device" in line for line in lines), err
    assert "Traceback" not in err
    assert (copy / "out" / "manual.pdf").read_bytes() == before
    assert not [p for p in (copy / "out").rglob("*.part")]


def test_a_manual_on_a5_and_the_booklet_keep_their_parts_apart(copy: Path, in_parts: None) -> None:
    """Both on A5, made at once by two processes: each its own parts and hints (one cleaned
    the other's files away while it wrote them)."""
    settings = copy / "guideprint.toml"
    on_a5 = settings.read_text(encoding="utf-8").replace('paper = "A4"', 'paper = "A5"')
    settings.write_text(on_a5, encoding="utf-8")
    page = copy / "content" / "vpn.md"
    for edit in ("", "\nFin.\n"):
        page.write_text(page.read_text(encoding="utf-8") + edit, encoding="utf-8")
        code, _, err = cli(["build"], copy)
        assert code == 0, err
        assert "Traceback" not in err
    assert (copy / STEPS / "parts-manual").is_dir()
    assert (copy / STEPS / "parts-manuel-a5").is_dir()
    assert text(copy / "out" / "manual.pdf") == text(whole(twin(copy, "fresh")))


def test_a_project_with_its_own_manual_stylesheet_is_laid_out_whole(
    copy: Path, in_parts: None, stages: Path
) -> None:
    """Its rules may carry across a cut (its own counters, :first, target-counter()): not cut."""
    css = copy / "layouts" / "manual" / "manual.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh2 { counter-increment: h2; }\n",
                   encoding="utf-8")  # fmt: skip
    build(copy)
    assert laid_out(stages) == []
    assert not (copy / STEPS / "parts-manual").exists()


def test_parts_that_never_agree_are_laid_out_whole(
    copy: Path, in_parts: None, stages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of rounds (one here: a cold build's first only learns the pages), the manual is
    laid out whole, and prints what a whole build prints."""
    monkeypatch.setattr(parts, "ROUNDS", 1)
    pdf = build(copy)
    lines = stages.read_text(encoding="utf-8").split("\n")
    assert any(line.startswith("parts-round-1 A4:7/0") for line in lines), lines
    assert any(line.startswith("layout A4") for line in lines), lines
    assert text(pdf) == text(whole(twin(copy, "fresh")))


# --- parts cut inside a group, where the layout found a chapter starting a page ----------


@pytest.fixture
def grouped(copy: Path) -> Path:
    """The copy with a space of one group of 14 pages that follow on (page_breaks =
    "chapter"): two in three open with a tall captioned screenshot, so most of those start a
    page by themselves; each links to two others ("voir p. N")."""
    from PIL import Image

    content = copy / "content"
    shutil.rmtree(content)
    (content / ".gitbook" / "assets").mkdir(parents=True)
    Image.new("RGB", (900, 1000), (40, 90, 160)).save(content / ".gitbook" / "assets" / "ecran.png")
    names = [f"p{n:02d}.md" for n in range(1, 15)]
    summary = ["# Table of contents", "", "* [Accueil](README.md)", "", "## Le guide", ""]
    summary += [f"* [Page {n}]({name})" for n, name in enumerate(names, 1)]
    (content / "SUMMARY.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    (content / "README.md").write_text("# Accueil\n\nLe guide du poste.\n", encoding="utf-8")
    for n, name in enumerate(names, 1):
        words = " ".join(["Le poste sonne, la ligne clignote, on décroche."] * (3 + n % 4))
        others = [names[(n + 4) % 14], names[(n + 9) % 14]]
        links = " ".join(f"Voir [la page]({o})." for o in others)
        figure = (f'<figure><img src=".gitbook/assets/ecran.png" alt="Écran {n}">'
                  f"<figcaption><p>L'écran {n}</p></figcaption></figure>")  # fmt: skip
        body = [f"# Page {n}", "", figure if n % 3 else "", "", words, "", links, "", words]
        (content / name).write_text("\n".join(body) + "\n", encoding="utf-8")
    return copy


def part_hints(folder: Path) -> dict[str, Any]:
    import json

    found: dict[str, Any] = json.loads((folder / STEPS / "parts-manual.json").read_text())
    return found


def test_a_group_is_cut_where_its_chapters_start_a_page_and_prints_as_whole(
    grouped: Path, tmp_path: Path, in_parts: None, stages: Path
) -> None:
    reference = tmp_path / "whole.pdf"
    shutil.copy(whole(twin(grouped, "whole")), reference)
    # From nothing: the draft (the cover, the README, then the group) finds where chapters
    # start a page, and the parts laid out then are cut there too.
    cold = build(grouped)
    rounds = laid_out(stages)
    assert rounds[0] == (3, 0), rounds
    assert len(rounds) == 2, rounds
    cut = len(part_hints(grouped)["order"])
    assert cut >= 6, part_hints(grouped)
    assert text(cold) == text(reference)
    assert read_back(cold) == read_back(reference)
    assert pixels(cold, tmp_path / "a") == pixels(reference, tmp_path / "b")
    assert_tagged(cold, "fr")
    check = subprocess.run(["qpdf", "--check", str(cold)], capture_output=True, text=True)
    assert "No syntax or stream encoding errors" in check.stdout, check
    # Forced, the hints cut it at once: one round, the same bytes (the same cuts).
    first = cold.read_bytes()
    again = build(grouped, "--force")
    assert laid_out(stages) == [(cut, 0)]
    assert again.read_bytes() == first


def test_a_cut_where_no_page_starts_any_more_is_joined_never_printed_wrong(
    grouped: Path, tmp_path: Path, in_parts: None, stages: Path
) -> None:
    """The hints say where chapters started a page; an edit (or a planted hint) that makes
    it untrue costs a round, never a page that differs from the manual laid out whole."""
    import json

    build(grouped)
    hints = grouped / STEPS / "parts-manual.json"
    planted = part_hints(grouped)
    planted["tops"] = sorted({*planted["tops"], *(f"p-p{n:02d}" for n in range(1, 15))})
    hints.write_text(json.dumps(planted), encoding="utf-8")
    page = grouped / "content" / "p03.md"  # pushes every later page break
    page.write_text(page.read_text(encoding="utf-8") + "\n\nUne ligne de plus.\n" * 3,
                    encoding="utf-8")  # fmt: skip
    laid_out(stages)
    edited = build(grouped)
    rounds = laid_out(stages)
    # Cut at every chapter, as planted: 16 parts; those whose next chapter starts no page
    # were joined to it and laid out again.
    assert len(rounds) >= 2, rounds
    assert len(part_hints(grouped)["order"]) < 16, rounds
    reference = whole(twin(grouped, "fresh"))
    assert text(edited) == text(reference)
    assert read_back(edited) == read_back(reference)
    assert pixels(edited, tmp_path / "a") == pixels(reference, tmp_path / "b")
    assert set(part_hints(grouped)["tops"]) < set(planted["tops"])  # only the true ones


def test_a_page_s_own_article_of_class_chapter_is_no_place_to_cut(
    grouped: Path, tmp_path: Path, in_parts: None
) -> None:
    """A page's raw HTML may hold an <article class="chapter"> (kept by the cleaner): it is
    inside its chapter's article, no chapter of the manual, and never where a part starts
    (it printed the rest of its page twice; with "new-page", it lost its structure)."""
    for name, extra in (("p04.md", ""), ("p09.md", " new-page")):
        page = grouped / "content" / name
        page.write_text(page.read_text(encoding="utf-8")
                        + f'\n<article class="chapter{extra}">\n<p>Encadré brut.</p>\n</article>\n'
                        "\nSuite de la page, après l’encadré.\n", encoding="utf-8")  # fmt: skip
    reference = tmp_path / "whole.pdf"
    shutil.copy(whole(twin(grouped, "whole")), reference)
    spliced = build(grouped)
    assert text(spliced) == text(reference)
    assert sum(page.count("après l’encadré") for page in text(spliced)) == 2
    assert read_back(spliced) == read_back(reference)
    assert pixels(spliced, tmp_path / "a") == pixels(reference, tmp_path / "b")


# --- a lookahead cut inside its chapter ------------------------------------------------------


def chapter(*children: str) -> str:
    """A part's body from a chapter on, as the template writes it (then a next chapter)."""
    opened = '\n<article class="chapter level-1" lang="fr">'
    return opened + "".join(children) + '</article>\n<article class="chapter level-1">x</article>'


@pytest.mark.parametrize(
    ("children", "kept"),
    [
        # Cut after the first of the chapter's own elements that ends LOOK_CUT in, whole.
        (['<h1 class="chapter-title" id="a">T</h1>', f"<p>{'w' * 60}</p>", "<p>b</p>"], 2),
        # Not after a heading: it stays with what follows it.
        ([f"<h1>{'T' * 60}</h1>", "<h2>s</h2>", "<p>b</p>", "<p>c</p>"], 3),
        # An element's own elements are no place to cut; a table ends whole.
        (["<h1>T</h1>", f"<table><tr><td>{'w' * 60}</td><td>2</td></tr></table>", "<p>c</p>"], 2),
        # A comment is skipped, a quoted ">" is no tag's end; an inline element (an image,
        # a span) is no block of its own: not after it.
        (["<h1>T</h1><!-- <p> -->", f'<img alt="a > b" src="{"i" * 60}.png">', "<p>c</p>"], 3),
        (["<h1>T</h1>", f"<span>{'w' * 60}</span>", "<p>c</p>", "<p>d</p>"], 3),
        (["<h1>T</h1>", f'<p class="{"w" * 60}">b</p>', "<hr>", "<p>d</p>"], 2),
        ([f"<h1>{'T' * 60}</h1>", "<hr>", "<p>d</p>"], 2),
        (["<h1>T</h1>", f"<p>{'w' * 60}<br/>x</p>", "<p>c</p>"], 2),
        (["<h1>T</h1>", f'<p><svg><path d="{"M0 0" * 15}"/></svg></p>', "<p>c</p>"], 2),
    ],
)
def test_a_lookahead_ends_after_whole_elements_of_its_chapter(
    children: list[str], kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parts, "LOOK_CUT", 50)
    body = chapter(*children)
    end = parts._look_end(body, 0, len(body))
    assert body[:end] == '\n<article class="chapter level-1" lang="fr">' + "".join(children[:kept])


@pytest.mark.parametrize(
    "children",
    [
        ["<h1>T</h1>", f"<div><p>{'w' * 60}</div></p>", "<p>c</p>"],  # misnested
        ["<h1>T</h1>", f"<ul><li>{'w' * 60}<li>b</ul>", "<p>c</p>"],  # an end tag implied
        ["<h1>T</h1>", "<script>if (a < b) {}</script>", f"<p>{'w' * 60}</p>", "<p>c</p>"],
        ["<h1>T</h1>", "<div/>", f"<p>{'w' * 60}</p>", "<p>c</p>"],  # an open <div>, parsed
        ["<h1>T</h1>", "<![CDATA[ x ]]>", f"<p>{'w' * 60}</p>", "<p>c</p>"],
        ["<h1>T</h1>", "<svg><div/></svg>", f"<p>{'w' * 60}</p>", "<p>c</p>"],  # HTML again
        ["<h1>T</h1>", "<!-->", "<div>", f"<p>{'w' * 60}</p><!-- --></div>", "<p>c</p>"],
        ["<h1>T</h1>", "<!-- a --!>", "<div>", f"<p>{'w' * 60}</p><!-- --></div>", "<p>c</p>"],
        [f"<h1>{'T' * 60}</h1>"],  # the chapter ends first (after a heading): whole
    ],
)
def test_a_lookahead_is_not_cut_where_its_html_is_not_plainly_nested(
    children: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parts, "LOOK_CUT", 50)
    body = chapter(*children)
    assert parts._look_end(body, 0, len(body) - 10) == len(body) - 10


def test_lookaheads_cut_to_their_chapter_s_first_element_print_as_whole(
    grouped: Path, tmp_path: Path, in_parts: None, stages: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Each lookahead cut as short as it may be (after the first element of its chapter that
    is no heading: a tall captioned screenshot, or a paragraph) still finds where that
    chapter starts a page, and the manual prints what it prints laid out whole."""
    monkeypatch.setattr(parts, "LOOK_CUT", 1)
    said = tmp_path / "cuts.txt"  # the manual is laid out in a forked process
    look_end = parts._look_end

    def spy(body: str, begin: int, limit: int) -> int:
        end = look_end(body, begin, limit)
        with said.open("a", encoding="utf-8") as f:
            f.write("cut\n" if end < limit else "whole\n")
        return end

    monkeypatch.setattr(parts, "_look_end", spy)
    reference = tmp_path / "whole.pdf"
    shutil.copy(whole(twin(grouped, "whole")), reference)
    cold = build(grouped)
    assert len(part_hints(grouped)["order"]) >= 6, part_hints(grouped)
    cut = said.read_text(encoding="utf-8").split()
    assert cut, "no lookahead"
    assert set(cut) == {"cut"}, cut  # every lookahead ended inside its chapter
    assert len(laid_out(stages)) == 2  # the draft, then the parts: no cut was wrong
    assert text(cold) == text(reference)
    assert read_back(cold) == read_back(reference)
    assert pixels(cold, tmp_path / "a") == pixels(reference, tmp_path / "b")
    # An edit that pushes every later page: the parts whose chapter no longer starts a page
    # are joined, as with whole chapters looked ahead.
    page = grouped / "content" / "p03.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n\nUne ligne de plus.\n" * 3,
                    encoding="utf-8")  # fmt: skip
    edited = build(grouped)
    fresh = whole(twin(grouped, "fresh"))
    assert text(edited) == text(fresh)
    assert pixels(edited, tmp_path / "c") == pixels(fresh, tmp_path / "d")


CHAPTER_STARTS = {
    # A run of inline images (an HTML block of <img> lines): one block of lines, which
    # orphans and widows keep together when cut short (the reviewer's case).
    "images": "".join(
        f'<img src="{{svg}}" width="100" height="40" alt="capture {i} {"x" * 120}">\n'
        for i in range(12)
    )
    + "".join(f"<p>{'Suite du texte. ' * 12}</p>" for _ in range(4)),
    "paragraphs": "".join(f"<p>{'Le poste sonne, on décroche. ' * 9}</p>" for _ in range(8)),
    "hint": '<div class="hint hint-info"><p class="hint-label">Info</p><p>'
    + "Une note. " * 40
    + "</p></div><pre><code>"
    + "ligne de code\n" * 12
    + "</code></pre>"
    + "".join(f"<p>{'Suite du texte. ' * 12}</p>" for _ in range(4)),
}


@pytest.mark.parametrize("start", sorted(CHAPTER_STARTS))
def test_a_lookahead_cut_places_the_chapter_title_where_the_whole_chapter_does(
    start: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chapter after a part, laid out after pages filled to every height (a spacer,
    1 mm at a time), cut as short as _look_end may (after its first block) and whole: its
    title starts the same page."""
    import weasyprint

    monkeypatch.setattr(parts, "LOOK_CUT", 1)

    svg = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='100' "
           "height='40'%3E%3Crect width='100' height='40' fill='%23888'/%3E%3C/svg%3E")  # fmt: skip
    chapter_ = ('\n<article class="chapter level-1" lang="fr">\n  <h1 class="chapter-title" '
                'id="t">Titre</h1>\n' + CHAPTER_STARTS[start].replace("{svg}", svg)
                + "</article>")  # fmt: skip
    after = '\n<article class="chapter level-1" lang="fr"><h1 id="u">Suite</h1><p>x</p></article>'
    body = chapter_ + after
    cut = parts._look_end(body, 0, len(body))
    assert cut < len(chapter_), "not cut inside the chapter"
    from weasyprint.text.fonts import FontConfiguration

    from builder.fonts import font_face_css

    fonts = FontConfiguration()  # the set's faces, as the manual is laid out with
    css = [weasyprint.CSS(string=font_face_css(), font_config=fonts),
           weasyprint.CSS(filename="layouts/manual/manual.css", font_config=fonts),
           weasyprint.CSS(string="@page { size: 80mm 120mm; margin: 10mm }")]  # fmt: skip

    def title_page(look: str, spacer: int) -> int:
        html = ('<!DOCTYPE html><html lang="fr"><body class="manual"><article class="chapter '
                f'level-1 new-page"><h1 id="p">Avant</h1><div style="height: {spacer}mm">'
                f"</div></article>{look}</body></html>")  # fmt: skip
        document = weasyprint.HTML(string=html).render(stylesheets=css, font_config=fonts)
        return next(n for n, page in enumerate(document.pages) if "t" in page.anchors)

    differ = [mm for mm in range(40, 101) if title_page(body, mm) != title_page(body[:cut], mm)]
    assert differ == []


def toc_errors(pdf: Path) -> tuple[int, list[tuple[str, int, int]]]:
    """The contents' entries whose printed page is not their bookmark's: (checked, wrong)."""
    reader = pypdf.PdfReader(pdf)
    outline: dict[str, list[int]] = {}
    for _, title, page in read_back(pdf)["outline"]:
        outline.setdefault(title, []).append(page + 1)
    printed = printed_toc([page.extract_text() for page in reader.pages[1:4]])
    unique = {t: n for t, n in printed.items() if len(outline.get(t, [])) == 1}
    wrong = [(t, n, outline[t][0]) for t, n in unique.items() if outline[t][0] != n]
    return len(unique), wrong


def test_a_manual_whose_page_numbers_did_not_settle_is_laid_out_again(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint lays pages out again until none is marked changed, and a long manual laid
    out whole may stop with references printed from an earlier round (builder.weasy._stale).
    Here it stops after its first round, its contents printed before any heading was laid
    out: the manual is laid out again from where they landed, and prints them right."""
    from builder import weasy
    from builder.manual import job

    real = weasy._layout_document

    def one_round(html: Any, root: Any, context: Any, max_loops: int = 8) -> Any:
        return real(html, root, context, 1)

    monkeypatch.setattr(weasy, "_layout_document", one_round)
    pdf = build(copy)
    checked, wrong = toc_errors(pdf)
    assert checked >= 10
    assert wrong == []
    # Not laid out again, it would print them wrong: the build says so and writes nothing.
    monkeypatch.setattr(job, "SETTLE", 0)
    (copy / STEPS / "targets-A4.json").unlink()  # no guess from the last build
    code, _, err = cli(["build", "--manual", "--force"], copy)
    assert code == 1
    assert "print a page other than their target's after 1 layouts" in err, err


def test_a_retry_whose_guess_fails_is_laid_out_once_more_without_one(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first layout stops too soon (its contents printed before the headings); the
    retry from where they landed fails in WeasyPrint (a guess it cannot take); the manual is
    laid out a third time without a guess, as the first attempt's fallback, and prints its
    contents right (builder.manual.job._drawn)."""
    from builder import weasy

    real = weasy._layout_document
    log = copy / "layouts.log"  # the manual is laid out in a forked worker: counted in a file

    def layout(html: Any, root: Any, context: Any, max_loops: int = 8) -> Any:
        with log.open("a", encoding="utf-8") as f:
            f.write("x")
        calls = len(log.read_text(encoding="utf-8"))
        if calls == 1:
            return real(html, root, context, 1)
        if calls == 2:
            raise RuntimeError("a guess WeasyPrint could not take")
        return real(html, root, context, max_loops)

    build(copy)  # a first build: its hints are what a rebuild guesses from
    (copy / STEPS / "targets-A4.json").unlink()  # none: the first layout is not guessed
    monkeypatch.setattr(weasy, "_layout_document", layout)
    pdf = build(copy, "--force")
    assert log.read_text(encoding="utf-8") == "xxx"
    checked, wrong = toc_errors(pdf)
    assert checked >= 10
    assert wrong == []


def test_only_a_link_s_page_number_is_counted_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """builder.weasy._stale counts a link whose content ends with its target's page: laid out
    once only (its contents printed before the headings), the two such links are counted;
    the link printing another number after the page (a project's own CSS) is not."""
    import weasyprint

    from builder import weasy

    html = (
        "<style>.toc a::after { content: ' ' target-counter(attr(href), page); }"
        " .own::after { content: ' p. ' target-counter(attr(href), page) ' (2 de 9)'; }"
        "h1 { break-before: page; }</style>"
        '<p class="toc"><a href="#a">A</a> <a href="#b">B</a></p>'
        '<p><a class="own" href="#b">B</a></p><h1 id="a">A</h1><h1 id="b">B</h1>'
    )
    real = weasy._layout_document
    for loops, stale in ((8, 0), (1, 2)):
        monkeypatch.setattr(weasy, "_layout_document",
                            lambda h, r, c, max_loops=8, n=loops: real(h, r, c, n))  # fmt: skip
        with weasy.page_hints({}) as landed:
            weasyprint.HTML(string=html).render()
        assert landed["stale"] == stale, (loops, landed)
