"""Reading whole spaces: layout, SUMMARY.md, pages, and the real lawnchair-docs corpus."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import require_shared

from builder.content.model import NavItem, Space
from builder.content.space import Layout, find_spaces, read_space
from builder.diagnostics import Diagnostics
from builder.errors import ContentError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "lawnchair-docs"
GOLDEN = Path(__file__).parent / "fixtures" / "spaces" / "golden"
MakeSpace = Callable[[dict[str, str | bytes]], Path]


def read(root: Path, diag: Diagnostics, **kwargs: object) -> list[Space]:
    return [read_space(layout, diag, lang="en") for layout in find_spaces(root, **kwargs)]  # type: ignore[arg-type]


def messages(diag: Diagnostics) -> list[str]:
    return [f"{d.level}: {d}" for d in diag.items]


def walk(items: list[NavItem]) -> list[NavItem]:
    return [x for item in items for x in (item, *walk(item.children))]


def dangling_links(space: Space) -> list[str]:
    """Internal links of a space whose target id is in none of its pages."""
    ids = {p.anchor for p in space.pages}
    ids |= {i for p in space.pages for i in re.findall(r'id="([^"]+)"', p.html)}
    return [
        f"{p.path}: #{h}"
        for p in space.pages
        for h in re.findall(r'href="#([^"]+)"', p.html)
        if h not in ids
    ]


# -- the real corpus -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Space], Diagnostics]:
    require_shared(CORPUS)
    diag = Diagnostics()
    return [read_space(layout, diag, lang="en") for layout in find_spaces(CORPUS)], diag


def test_corpus_spaces_pages_and_groups(corpus: tuple[list[Space], Diagnostics]) -> None:
    spaces, _ = corpus
    assert [(s.name, s.title, len(s.pages)) for s in spaces] == [
        ("community", "Roadmap and future features", 11),
        ("developers", "Before you start", 12),
        ("help", "What is Lawnchair?", 17),
    ]
    assert [[g.title for g in s.nav if g.group] for s in spaces] == [
        ["About Lawnchair", "Get involved", "Meta"],
        ["Introduction", "Architecture", "Concepts", "How-Tos", "Standards", "Lawnicons"],
        ["Getting started", "Core features", "Integrations", "Troubleshooting"],
    ]
    help_space = spaces[2]
    setup = next(i for i in walk(help_space.nav) if i.title == "Setup Lawnchair")
    assert [c.title for c in setup.children] == ["Verify your installation"]
    externals = [i.url for i in walk(help_space.nav) if i.url]
    assert externals == [
        "https://app.gitbook.com/s/acjqViWIhLF2iJAW72GW/",
        "https://app.gitbook.com/s/6t9zDE3woL9vF6pobrxs/get-involved",
    ]
    titles = [p.title for p in help_space.pages]
    assert titles[:4] == [
        "What is Lawnchair?",
        "Choose a version",
        "Setup Lawnchair",
        "Verify your installation",
    ]


def test_corpus_reads_without_unsupported_constructs(
    corpus: tuple[list[Space], Diagnostics],
) -> None:
    spaces, diag = corpus
    # The only thing this corpus asks that a print build refuses: one remote image.
    assert [(d.file, d.line, d.message.split(":")[0]) for d in diag.items] == [
        ("developers/standards/development-workflow.md", 23, "remote image not fetched")
    ]
    for space in spaces:
        assert dangling_links(space) == []
        for page in space.pages:
            html = re.sub(r"<code[^>]*>.*?</code>", "", page.html, flags=re.S)
            assert "{%" not in html, page.path
            assert "data-gp-" not in page.html
            assert "gp-line" not in page.html


def test_corpus_blocks_rendered(corpus: tuple[list[Space], Diagnostics]) -> None:
    spaces, _ = corpus
    html = "\n".join(p.html for s in spaces for p in s.pages)
    for needle in ('class="hint hint-', 'class="stepper"', 'class="tab-title"',
                   'class="embed"', 'class="include"', 'class="details"'):  # fmt: skip
        assert needle in html, needle


# -- layout ----------------------------------------------------------------------------------


def test_single_space_with_gitbook_yaml(make_space: MakeSpace, diag: Diagnostics) -> None:
    root = make_space(
        {
            ".gitbook.yaml": "root: ./docs/\nstructure:\n  readme: ./welcome.md\n"
            "  summary: toc/summary.md\n",
            "docs/welcome.md": "# Welcome\n\nHello.",
            "docs/toc/summary.md": "# Summary\n\n* [Welcome](../welcome.md)\n",
            "docs/guide.md": "# Guide",
        }
    )
    (layout,) = find_spaces(root)
    assert layout == Layout((root / "docs").resolve(), "welcome.md", "toc/summary.md", "docs/")
    space = read_space(layout, diag)
    assert space.title == "Welcome"
    assert not diag.errors


def test_a_key_gitbook_does_not_read_is_said_with_its_line(make_space: MakeSpace,
                                                           diag: Diagnostics) -> None:  # fmt: skip
    """A misspelt key, or one holding an invisible character pasted from a web page, left
    the space's README and SUMMARY the default ones without a word."""
    root = make_space(
        {
            ".gitbook.yaml": "root\u200b: ./docs/\nstrucutre:\n  readme: intro.md\n"
            "structure:\n  sumary: toc.md\nredirects:\n  old: README.md\n",
            "README.md": "# R\n",
            "SUMMARY.md": "* [R](README.md)\n",
        }
    )
    (layout,) = find_spaces(root)
    read_space(layout, diag)
    said = [(d.line, d.message, d.hint) for d in diag.items if "unknown key" in d.message]
    assert said == [
        (1, "unknown key 'root<U+200B>' in .gitbook.yaml, ignored",
         "the key holds an invisible character (U+200B): type it again"),
        (2, "unknown key 'strucutre' in .gitbook.yaml, ignored", "did you mean 'structure'?"),
        (5, "unknown key 'structure.sumary' in .gitbook.yaml, ignored",
         "did you mean 'structure.summary'?"),
    ]  # fmt: skip
    assert all(str(d.file).endswith(".gitbook.yaml") for d in diag.items if d.line)
    assert not diag.errors


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("root: [unclosed\n", "invalid .gitbook.yaml"),
        ("root: ../../\n", "root points outside the repository"),
        ("structure:\n  summary: ../../etc/passwd\n", "points outside the space"),
        ("- a list\n", "expected 'root:' and 'structure:'"),
        ("structure: text\n", "expected 'root:' and 'structure:'"),
    ],
)
def test_bad_gitbook_yaml(make_space: MakeSpace, config: str, message: str) -> None:
    root = make_space({".gitbook.yaml": config, "README.md": "# R"})
    with pytest.raises(ContentError, match=re.escape(message)) as err:
        find_spaces(root)
    assert err.value.file is not None
    assert err.value.file.endswith(".gitbook.yaml")


def test_multi_space_order_from_docs_yaml(make_space: MakeSpace, diag: Diagnostics) -> None:
    root = make_space(
        {
            "docs.yaml": "site:\n  structure:\n    - children:\n"
            "        - content: {directory: ./zeta}\n        - content: {directory: ./alpha}\n",
            "alpha/SUMMARY.md": "* [A](README.md)\n",
            "alpha/README.md": "# Alpha",
            "zeta/SUMMARY.md": "* [Z](README.md)\n",
            "zeta/README.md": "# Zeta",
        }
    )
    assert [layout.root.name for layout in find_spaces(root)] == ["zeta", "alpha"]
    assert [s.title for s in read(root, diag, name="alpha")] == ["Alpha"]
    with pytest.raises(ContentError, match="no space named 'beta'") as err:
        find_spaces(root, "beta")
    assert err.value.hint == "spaces: zeta, alpha"


def test_not_a_space(make_space: MakeSpace) -> None:
    root = make_space({"notes.txt": "x"})
    with pytest.raises(ContentError, match="no GitBook space here"):
        find_spaces(root)
    with pytest.raises(ContentError, match="no such folder"):
        find_spaces(root / "nope")


def test_without_summary_readme_first(make_space: MakeSpace, diag: Diagnostics) -> None:
    root = make_space({"README.md": "# Home", "b.md": "# B", "a/c.md": "# C", ".x/d.md": "# D"})
    (space,) = read(root, diag)
    assert [p.path for p in space.pages] == ["README.md", "a/c.md", "b.md"]
    assert "no SUMMARY.md" in diag.items[0].message


# -- SUMMARY.md ------------------------------------------------------------------------------

SUMMARY = """\
# Table of contents

* [Home](README.md)

## Général <a href="#general" id="general"></a>

* [Vidéos](general/videos/README.md)
  * [Nouveauté](general/videos/nouveaute.md)
* [Label](<general/with space.md> "Navigation label")
* [Contribute](https://app.gitbook.com/s/abc/)
* ```yaml
  type: builtin:openapi
  dependencies: {spec: {ref: {kind: openapi, spec: gitbook}}}
  ```
* [After the tree](after.md)
* [Home again](README.md)
* [Gone](gone.md)
* [Out](../outside.md)
"""


@pytest.fixture
def summary_space(make_space: MakeSpace) -> Path:
    return make_space(
        {
            "SUMMARY.md": SUMMARY,
            "README.md": "---\ndescription: The home.\ncover: .gitbook/assets/c.png\n---\n# Home",
            "general/videos/README.md": "# Vidéos explicatives",
            "general/videos/nouveaute.md": "---\nhidden: true\n---\n\nNo title here.",
            "general/with space.md": '# Avec espace <a href="#x" id="x"></a>',
            "after.md": "# After",
        }
    )


def test_summary_tree(summary_space: Path, diag: Diagnostics) -> None:
    (space,) = read(summary_space, diag)
    nav = [(i.title, i.group, bool(i.page), i.url) for i in walk(space.nav)]
    assert nav == [
        ("Home", False, True, None),
        ("Général", True, False, None),
        ("Vidéos", False, True, None),
        ("Nouveauté", False, True, None),
        ("Label", False, True, None),
        ("Contribute", False, False, "https://app.gitbook.com/s/abc/"),
        ("After the tree", False, True, None),
    ]
    pages = {p.path: p for p in space.pages}
    assert pages["general/with space.md"].title == "Avec espace"
    assert pages["general/videos/nouveaute.md"].title == "Nouveauté"  # from SUMMARY
    assert pages["general/videos/nouveaute.md"].hidden
    assert (space.title, space.description, space.cover) == (
        "Home",
        "The home.",
        ".gitbook/assets/c.png",
    )


def test_summary_problems_have_their_line(summary_space: Path, diag: Diagnostics) -> None:
    read(summary_space, diag)
    assert messages(diag) == [
        "warning: SUMMARY.md:16: page listed twice: README.md (kept at its first place)",
        "warning: SUMMARY.md:17: entry 'Gone' points at a missing file: gone.md; left out "
        "(create the page or fix the path in SUMMARY.md)",
        "warning: SUMMARY.md:18: entry 'Out' points outside the space: ../outside.md; left out "
        "(keep pages inside the space)",
    ]


def test_pages_link_to_each_other(make_space: MakeSpace, diag: Diagnostics) -> None:
    root = make_space(
        {
            "SUMMARY.md": "* [A](a.md)\n* [B](sub/b.md)\n",
            "a.md": '# Page A\n\nSee [b](sub/b.md#part) and <a data-mention href="sub/b.md">b</a>.',
            "sub/b.md": "# Page B\n\n## Part\n\nBack to [A](../a.md).",
        }
    )
    (space,) = read(root, diag)
    a, b = space.pages
    assert '<a href="#p-sub-b--part" class="internal">b</a>' in a.html
    assert '<a href="#p-sub-b" class="internal">Page B</a>' in a.html
    assert '<a href="#p-a" class="internal">A</a>' in b.html
    assert [h.anchor for h in b.headings] == ["p-sub-b--part"]
    assert dangling_links(space) == []
    assert not diag.items


def test_page_variables(make_space: MakeSpace, diag: Diagnostics) -> None:
    root = make_space(
        {
            "SUMMARY.md": "* [A](README.md)\n",
            ".gitbook/vars.yaml": "version: 3.1\n",
            "README.md": "---\nvars:\n  phone: '3615'\n---\n# A\n\n"
            '<code class="expression">space.vars.version</code> / '
            '<code class="expression">page.vars.phone</code>',
        }
    )
    (space,) = read(root, diag)
    assert '<span class="variable">3.1</span> / <span class="variable">3615</span>' in (
        space.pages[0].html
    )
    assert not diag.items


def test_golden_space_reads_cleanly(diag: Diagnostics) -> None:
    (space,) = read(GOLDEN, diag)
    assert [p.title for p in space.pages] == [
        "Golden space",
        "Page under test",
        "Other page",
        "Folder page",
        "Nested page",
    ]
    assert [h.anchor for h in space.pages[2].headings] == [
        "p-guide-other--section-one",
        "p-guide-other--custom",
    ]
    assert not diag.items


def test_each_space_of_a_repository_has_its_own_language_and_title(
    make_space: MakeSpace, diag: Diagnostics
) -> None:
    """A space's own guideprint.toml names its title and language; without one, its
    READMEs tell its language, and a space they say nothing of keeps the project's."""
    from builder.content.space import space_settings
    from builder.gate import Gate, activate

    english = "# Start\n\nThe guide is for you and your team, with the answers to your questions.\n"
    root = make_space({
        "fr/SUMMARY.md": "* [Accueil](README.md)\n",
        "fr/README.md": "# Bienvenue\n\nCe guide est pour vous et pour votre équipe.\n",
        "fr/guideprint.toml": 'title = "Le guide"\nlanguage = "fr"\nbrand_colour = "#000000"\n',
        "en/SUMMARY.md": "* [Start](README.md)\n",
        "en/README.md": english,
        "en/guideprint.toml": 'title = "User guide"\n',  # no language: still guessed
        "mute/SUMMARY.md": "* [Codes](README.md)\n",
        "mute/README.md": "# Codes\n\n`42`\n",
    })  # fmt: skip
    with activate(Gate.of([root], [])):
        found = {layout.name: space_settings(layout, "fr", diag) for layout in find_spaces(root)}
    assert found == {"fr": ("fr", "Le guide"), "en": ("en", "User guide"), "mute": ("fr", "")}
    assert messages(diag) == [
        "warning: fr/guideprint.toml: brand_colour: only title and language are a space's own"
        " (set the others in the project's guideprint.toml)"
    ]


def test_part_titles(make_space: MakeSpace, diag: Diagnostics) -> None:
    """A part is titled by its settings, else its folder; a folder that names no space
    ("docs", "en") by its README's heading unless generic, else its language's name."""
    from builder.manual.titles import part_title

    root = make_space({
        "user-guide/SUMMARY.md": "* [Before you start](README.md)\n",
        "user-guide/README.md": "# Before you start\n\nText.\n",
        "en/SUMMARY.md": "* [Welcome](README.md)\n",
        "en/README.md": "# Welcome\n\nText.\n",
        "docs/SUMMARY.md": "* [Acme API](README.md)\n",
        "docs/README.md": "# Acme API\n\nText.\n",
    })  # fmt: skip
    titles = {space.name: part_title(space) for space in read(root, diag)}
    assert titles == {"docs": "Acme API", "en": "English", "user-guide": "User guide"}
    space = read(root, diag, name="en")[0]
    space.label = "Handbook"
    assert part_title(space) == "Handbook"
