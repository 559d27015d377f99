"""Bounded work on hostile input: YAML alias bombs, servers that dribble, pixel bombs in
data: URLs, Markdown nested past the parser's limit, and pages of several megabytes.

Nothing here asserts a wall time. Work that was quadratic runs in a subprocess whose
timeout is only a guard: at these sizes the old code takes minutes, the new a fraction
of a second.
"""

from __future__ import annotations

import base64
import contextlib
import io
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from builder import fetcher as fetcher_mod
from builder.content.frontmatter import split_front_matter
from builder.content.render import render_markdown
from builder.content.space import find_spaces
from builder.content.variables import space_variables
from builder.content.yamlsafe import MAX_DEPTH, YAMLRefused, load_yaml
from builder.diagnostics import Diagnostics
from builder.errors import ContentError
from builder.fetcher import Refused, SandboxFetcher

ROOT = Path(__file__).resolve().parent.parent
# Nine anchors, each a list of nine aliases of the one before: 9^9 strings once expanded.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
ALIASES = "YAML aliases (&name / *name) are not allowed"


def bounded(code: str, timeout: float = 60) -> str:
    """Run Python code in a fresh interpreter; its stdout. The timeout is only a guard."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- YAML ----------------------------------------------------------------------------------


def test_bomb_is_small_and_explosive() -> None:
    assert len(BOMB) < 400
    assert BOMB.count("*") == 72


def test_loader_refuses_aliases_with_their_line() -> None:
    with pytest.raises(YAMLRefused) as caught:
        load_yaml("title: T\nbase: &b x\nother: *b\n")
    assert caught.value.problem == f"{ALIASES} in front matter"
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line == 1  # 0-based: the anchor on line 2
    assert isinstance(caught.value, yaml.YAMLError)


def test_loader_refuses_merge_keys_and_deep_nesting() -> None:
    with pytest.raises(YAMLRefused, match="aliases"):
        load_yaml("a: &a {x: 1}\nb:\n  <<: *a\n")
    with pytest.raises(YAMLRefused, match=f"deeper than {MAX_DEPTH}"):
        load_yaml("[" * 5000)  # PyYAML's own composer dies of RecursionError here


def test_loader_reads_ordinary_yaml() -> None:
    text = "title: T\ndescription: 'a: b'\nvars:\n  n: 1\n  l: [1, {x: y}]\n"
    assert load_yaml(text) == {
        "title": "T",
        "description": "a: b",
        "vars": {"n": 1, "l": [1, {"x": "y"}]},
    }
    assert load_yaml("") is None
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml("x: !!python/object/apply:os.system [echo]")


def test_front_matter_bomb_is_an_error_at_its_line() -> None:
    diag = Diagnostics()
    front, body, first = split_front_matter(f"---\n{BOMB}---\n# Title\n", file="page.md", diag=diag)
    # Errors first: a failing comparison with the bomb would print 9^9 strings.
    (error,) = diag.errors
    assert error.file == "page.md"
    assert error.line == 2  # the first anchor
    assert f"{ALIASES} in front matter" in error.message
    assert front == {}
    assert body == "# Title\n"
    assert first == 12


def test_card_front_matter_bomb_raises() -> None:
    """Cards read their front matter strictly: the bomb is a ContentError with its line."""
    with pytest.raises(ContentError, match="aliases") as caught:
        split_front_matter(f"---\ntitle: T\n{BOMB}---\n", file="cards/a.md", strict=True)
    assert caught.value.line == 3


def test_vars_bomb_is_a_warning_at_its_line(tmp_path: Path) -> None:
    (tmp_path / ".gitbook").mkdir()
    (tmp_path / ".gitbook" / "vars.yaml").write_text("ok: 1\n" + BOMB, encoding="utf-8")
    diag = Diagnostics()
    variables = space_variables(tmp_path, diag)
    (warning,) = diag.warnings  # first: a failing comparison with the bomb would print it
    assert warning.file == ".gitbook/vars.yaml"
    assert warning.line == 2
    assert f"{ALIASES} in .gitbook/vars.yaml" in warning.message
    assert variables == {}


def test_gitbook_yaml_bomb_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / ".gitbook.yaml").write_text("root: ./\n" + BOMB, encoding="utf-8")
    with pytest.raises(ContentError, match="aliases") as caught:
        find_spaces(tmp_path)
    assert caught.value.line == 2


def test_docs_yaml_bomb_is_not_walked(tmp_path: Path) -> None:
    """The site configuration's directories are walked: the old loader handed it 9^9."""
    (tmp_path / "docs.yaml").write_text(f"{BOMB}spaces:\n  - directory: one\n")
    out = bounded(
        f"""
        from pathlib import Path
        from builder.content.space import _site_order
        print(_site_order(Path({str(tmp_path)!r})))
        """,
        timeout=30,
    )
    assert out.strip() == "['one']"  # read as text, as any YAML that does not load


# -- remote: one deadline for the whole response --------------------------------------------


@contextlib.contextmanager
def header_drip(interval: float, header: bytes) -> Iterator[int]:
    """A server on 127.0.0.1 that sends header one byte at a time, then a body of ten bytes;
    it stops when the client goes away, or the test ends."""
    stop = threading.Event()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)

    def drip() -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                conn.recv(4096)
                for byte in header:  # bounded: the whole header, then the body
                    if stop.wait(interval):
                        return
                    conn.sendall(bytes([byte]))
                conn.sendall(b"x" * 10)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(10)
        server.close()


def test_headers_sent_byte_by_byte_meet_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each byte restarts a socket timeout: the old fetcher waited as long as the server
    went on (10 s here, then it took the cut header for a whole one and an empty image)."""
    monkeypatch.setattr(fetcher_mod, "REMOTE_TIMEOUT", 0.5)
    header = b"HTTP/1.0 200 OK\r\nX-Slow: " + b"a" * 100
    diag = Diagnostics()
    fetcher = SandboxFetcher([tmp_path], diag, allow_remote=True)
    fetcher.source = "pages/page.md"
    with header_drip(0.1, header) as port, pytest.raises(Refused):
        fetcher.fetch(f"http://127.0.0.1:{port}/slow.png")
    (warning,) = diag.warnings
    assert warning.file == "pages/page.md"
    assert "remote resource took more than 0.5 s" in warning.message


def test_watchdog_leaves_fast_answers_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetcher_mod, "REMOTE_TIMEOUT", 0.5)
    header = b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\nContent-Length: 10\r\n\r\n"
    diag = Diagnostics()
    fetcher = SandboxFetcher([tmp_path], diag, allow_remote=True)
    with header_drip(0, header) as port:
        response = fetcher.fetch(f"http://127.0.0.1:{port}/ok.css")
    assert response.read() == b"x" * 10
    assert response.content_type == "text/css"
    assert not diag.items
    assert fetcher._watchdog is None


# -- data: URLs under the pixel limit ----------------------------------------------------------


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_data_url_pixel_bomb_is_refused(tmp_path: Path) -> None:
    diag = Diagnostics()
    fetcher = SandboxFetcher([tmp_path], diag)
    fetcher.source = "pages/page.md"
    url = "data:image/png;base64," + base64.b64encode(bomb_png(20_000, 20_000)).decode()
    with pytest.raises(Refused):
        fetcher.fetch(url)
    (warning,) = diag.warnings
    assert warning.file == "pages/page.md"
    assert "decompression bomb" in warning.message


def test_data_url_small_image_is_served(tmp_path: Path) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (3, 2), (1, 2, 3)).save(buf, "PNG")
    diag = Diagnostics()
    fetcher = SandboxFetcher([tmp_path], diag)
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    response = fetcher.fetch(url)
    assert response.read() == buf.getvalue()
    assert response.content_type == "image/png"
    assert not diag.items


# -- Markdown nested past the parser's limit ---------------------------------------------------


def render(tmp_path: Path, text: str, first_line: int = 1) -> tuple[str, Diagnostics]:
    diag = Diagnostics()
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    html = render_markdown(text, source=page, root=tmp_path, diag=diag, first_line=first_line)
    return html.html, diag


def test_deep_list_keeps_the_rest_of_the_page(tmp_path: Path) -> None:
    deep = "".join("  " * i + f"- level {i}\n" for i in range(12))
    html, diag = render(tmp_path, f"Intro.\n\n{deep}\nAfter the list.\n\n## Next\n\nEnd.\n", 3)
    for i in range(12):
        assert f"level {i}" in html  # the deepest items flattened, not dropped
    assert "After the list." in html
    assert "End." in html
    assert "Next</h2>" in html
    (warning,) = diag.warnings
    assert warning.file == "page.md"
    assert warning.line == 3 + 2 + 9  # first line, intro, the 10th item: where it was cut
    assert "nested deeper than 20 levels; flattened" in warning.message


def test_deep_quote_keeps_the_rest_of_the_page(tmp_path: Path) -> None:
    html, diag = render(tmp_path, "> " * 30 + "deep\n\nAfter.\n")
    assert "deep" in html
    assert "After." in html
    assert diag.warnings[0].line == 1


def test_shallow_nesting_is_not_reported(tmp_path: Path) -> None:
    text = "".join("  " * i + f"- level {i}\n" for i in range(9)) + "\nAfter.\n"
    html, diag = render(tmp_path, text)
    assert "level 8" in html
    assert "After." in html
    assert not diag.items


# -- pages of several megabytes -----------------------------------------------------------


def test_line_of_does_not_rescan_the_page() -> None:
    """Every link and image asked for its line by scanning the page from its top."""
    out = bounded(
        """
        from pathlib import Path
        from builder.content.context import Context
        from builder.content.html import Walker
        from builder.diagnostics import Diagnostics

        root = Path("/nonexistent").resolve()
        source = root / "page.md"
        text = "word\\n" * 300_000 + "![x](img.png)\\n"
        ctx = Context(root=root, source=source, diag=Diagnostics(), sources={source: (text, 1)})
        walker = Walker(ctx)
        walker.lines[source] = 299_990
        lines = {walker.line_of(source, "img.png") for _ in range(3_000)}
        print(lines)
        """
    )
    assert out.strip() == "{300001}"


def test_walk_of_a_long_page_is_one_pass() -> None:
    """Blocks by the thousand at the top level: removing each line marker, and checking each
    element still there after its handler, copied all of them (20,000: 11 s; here, hours)."""
    out = bounded(
        """
        from pathlib import Path
        import xml.etree.ElementTree as ET
        from builder.content.context import Context
        from builder.content.html import Walker
        from builder.content.markdown import LINE_COMMENT
        from builder.diagnostics import Diagnostics

        root = Path("/nonexistent").resolve()
        ctx = Context(root=root, source=root / "page.md", diag=Diagnostics())
        body = ET.Element("body")
        for n in range(100_000):
            marker = ET.Comment(f"{LINE_COMMENT}{n + 1}")
            marker.tail = "\\n"
            body.append(marker)
            ET.SubElement(body, "p" if n % 10 == 0 else "hr").tail = "\\n"
            if n % 10_000 == 0:
                ET.SubElement(body, "script").text = "x"  # removed, with a warning
        Walker(ctx).walk(body, ctx.source)
        tags = {el.tag for el in body}
        print(len(body), sorted(tags), [d.line for d in ctx.diag.warnings][:3])
        """
    )
    assert out.split("\n")[0] == "100000 ['hr', 'p'] [1, 10001, 20001]"


def test_many_blocks_are_put_back_in_one_pass() -> None:
    """Each block's placeholder was searched for, then replaced, in the page's whole HTML."""
    out = bounded(
        """
        from builder.content import handlers
        from builder.content.blocks import Block, Text
        from builder.content.context import Context
        from builder.diagnostics import Diagnostics
        from pathlib import Path

        # The Markdown engine as the identity: only the handling of the blocks is measured.
        handlers.to_html = lambda text, **kw: text
        root = Path("/nonexistent").resolve()
        ctx = Context(root=root, source=root / "page.md", diag=Diagnostics())
        page = Block("root", {}, 1)
        for n in range(30_000):
            page.children.append(Text(["x" * 200], 2 * n + 1))
            hint = Block("hint", {"style": "info"}, 2 * n + 2)
            hint.children.append(Text([f"hint {n}"], 2 * n + 2))
            page.children.append(hint)
        html = handlers.children(page, ctx)
        print(html.count('<aside class="hint'), "hint 29999" in html, "gp-block" in html)
        """
    )
    assert out.split() == ["30000", "True", "False"]


def test_tinyhtml5_builds_each_pattern_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """tinyhtml5 (2.1.0) cached its patterns under the wrong key: one build per call."""
    import re

    import tinyhtml5
    from tinyhtml5 import inputstream

    import builder.content.html  # noqa: F401 -- patches the cache

    compiled: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(re, name)

        @staticmethod
        def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
            compiled.append(pattern)
            return re.compile(pattern, flags)

    monkeypatch.setattr(inputstream, "re", Counting())
    monkeypatch.setattr(
        inputstream, "characters_until_regex", type(inputstream.characters_until_regex)()
    )
    page = "".join(f'<p data-a-1-b-2="{n}" class="c">text {n}</p>' for n in range(2_000))
    tinyhtml5.parse(io.StringIO(f"<html><body>{page}</body></html>"))
    assert len(compiled) < 20
