"""`check` is the build without writing: the same checks, the same diagnostics, no file.

Held to the same set on the bundled content and on a copy with an overfull card, a missing
image and a broken include, each named with its file and line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from clirun import cli


def problems(err: str) -> set[str]:
    """What a run reported about the content: warnings, errors and failed outputs."""
    return {
        line
        for line in err.splitlines()
        if line.startswith(("warning: ", "error: ")) or ": failed: " in line
    }


def files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if ".guideprint" not in str(p))


def same_as_build(folder: Path) -> set[str]:
    """check, then build, in two copies of folder; both report the same; check writes nothing."""
    other = folder.parent / (folder.name + "-b")
    shutil.copytree(folder, other)
    before = files(folder)
    code_check, _, checked = cli(["check"], folder)
    assert files(folder) == before  # nothing written, not even out/
    code_build, _, built = cli(["build"], other)
    assert problems(checked) == problems(built), (checked, built)
    assert code_check == code_build
    return problems(built)


def test_check_and_build_agree_on_the_bundled_content(copy: Path) -> None:
    assert same_as_build(copy) == set()


def test_check_and_build_agree_on_broken_content(copy: Path) -> None:
    content = copy / "content"
    overfull = (content / "cards" / "vpn.md").read_text(encoding="utf-8")
    steps = (f"- Étape {n} : une ligne de plus sur la carte." for n in range(90))
    overfull += "\n" + "\n".join(steps)
    (content / "cards" / "trop.md").write_text(overfull, encoding="utf-8")
    with (content / "smartphone.md").open("a", encoding="utf-8") as page:
        page.write("\n![plan](.gitbook/assets/absent.png)\n\n{% include \"nulle-part.md\" %}\n")
    found = same_as_build(copy)
    assert any(line.startswith("cards/trop.pdf: failed: ") and "fit" in line for line in found)
    assert any("smartphone.md:" in line and "absent.png" in line for line in found), found
    assert any("smartphone.md:" in line and "nulle-part.md" in line for line in found), found
