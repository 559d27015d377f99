"""OpenAPI blocks printed from their spec: an OpenAPI 3 YAML and a Swagger 2 JSON spec of the
space tests/fixtures/openapi, with `$ref`s to themselves (recursive), to another file, allOf
and oneOf, enums and required fields; the broken cases are warnings with their page line.

The reader is tested directly (fast); one module-scoped build reads the PDF back.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from clirun import cli
from pypdf import PdfReader

from builder.config import Settings
from builder.content import openapi
from builder.content.render import render_markdown
from builder.diagnostics import Diagnostics
from builder.gate import Gate, activate, current
from builder.manual import PAPER

SPACE = (Path(__file__).parent / "fixtures" / "openapi").resolve()
ASSETS = SPACE / ".gitbook" / "assets"
MM = 72 / 25.4

# Per spec: the page, the operations' headings and anchors, and what the PDF must print.
SPECS = {
    "openapi3": (
        "pets.md",
        {"GET /pets/{petId}": "p-pets--get-pets-petid", "POST /pets": "p-pets--post-pets",
         "PUT /pets/{petId}": "p-pets--put-pets-petid"},
        ["Find a pet by its id", "Add a cat or a dog", "Replace a pet",  # summaries
         "petId", "X-Request-Id", "fields",  # parameters (path level merged with operation)
         "200", "404", "201", "204", "default",  # status codes
         "No pet has that id.",  # a response of another file (common.yaml)
         "email", "address", "country", "ISO 3166-1 alpha-2 code.",  # its nested schemas
         "huntingSkill", "packSize", "Cat", "Dog",  # oneOf of allOfs
         "available, pending, sold", "↻ Pet", "array of Pet", "integer (int64)",
         "https://api.example.com/v1/pets/{petId}"],
    ),
    "swagger2": (
        "users.md",
        {"POST /login": "p-users--post-login", "GET /users/{userId}": "p-users--get-users-userid"},
        ["Log a user in", "Read a user", "credentials for a session token",
         "locale", "userId", "expand",  # parameters ($ref to #/parameters too)
         "200", "401", "Wrong login or password",  # responses ($ref to #/responses)
         "login", "password string (password)", "remember",  # the body parameter's schema
         "token", "manager", "↻ User", "admin, agent, guest", "city",
         "https://legacy.example.com/api/login"],
    ),
}  # fmt: skip
# The broken blocks: each a warning at its line, and the block printed as method and path.
BROKEN = [
    "broken.md:3: OpenAPI spec not found: .gitbook/assets/missing.yaml",
    "broken.md:7: OpenAPI: no path '/nowhere' in .gitbook/assets/petstore.yaml "
    "(paths there: /pets/{petId}, /pets, /pets/broken;",
    "broken.md:10: OpenAPI: no DELETE operation for /pets in .gitbook/assets/petstore.yaml "
    "(methods there: POST;",
    "broken.md:13: OpenAPI: .gitbook/assets/bad.yaml:5: invalid YAML: expected ',' or ']'",
    "broken.md:16: OpenAPI: .gitbook/assets/petstore.yaml: $ref '#/components/schemas/"
    "DoesNotExist' (response 200) leads nowhere (fix the $ref in the spec)",
    "broken.md:19: OpenAPI spec https://petstore3.swagger.io/api/v3/openapi.json is remote: "
    "not read, its link is printed",
    "broken.md:23: OpenAPI spec '../../outside.yaml' refused: it points outside the space",
    "broken.md:4: link to a missing file: .gitbook/assets/missing.yaml",  # the body's link
]


def render(page: str, lang: str = "en") -> tuple[str, list[str], list[str]]:
    """A fixture page's body as HTML, its headings' anchors and its warnings."""
    diag = Diagnostics()
    text = (SPACE / page).read_text(encoding="utf-8").split("\n", 1)[1]
    done = render_markdown(text, source=SPACE / page, root=SPACE, diag=diag, first_line=2,
                           lang=lang)  # fmt: skip
    return done.html, [h.anchor for h in done.headings], [str(d) for d in diag.items]


# -- the reader ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS)
def test_operations_print_from_their_spec(spec: str) -> None:
    page, anchors, _ = SPECS[spec]
    html, found, warnings = render(page)
    assert not warnings
    for title, anchor in anchors.items():
        method, path = title.split(" ", 1)
        assert f'id="{anchor}"><span class="api-method api-method-{method.lower()}">' \
               f"{method}</span> <code class=\"api-path\">{path}</code>" in html  # fmt: skip
        assert anchor in found  # a heading of the page: in the TOC and the bookmarks


def test_the_heading_sits_one_level_under_the_page_s_heading() -> None:
    html, _, _ = render("pets.md")  # under "## Pets"
    assert html.count('<h3 class="api-title"') == 3
    html, _, _ = render("users.md")  # under no heading but the page's title
    assert html.count('<h2 class="api-title"') == 2


def test_descriptions_are_markdown_and_the_schema_an_outline() -> None:
    html, _, _ = render("pets.md")
    assert "Returns <strong>one</strong> pet" in html
    assert '<a href="https://example.com/docs/relatives" class="external">relatives</a>' in html
    assert ('<code class="api-field">name</code> <span class="api-type">string</span> '
            '<span class="api-required">required</span>') in html  # fmt: skip
    assert ('<code class="api-field">parent</code> <span class="api-type">object</span> '
            '<span class="api-note">↻ Pet</span>') in html  # fmt: skip
    assert '<span class="api-type">integer | null (int32)</span>' in html  # nullable
    # the operation-level header wins over the path-level one of the same name and place
    get = html.split('id="p-pets--post-pets"')[0]
    assert "Operation-level header wins" in get
    assert "Echoed back in the response." not in get


def test_french_labels() -> None:
    html, _, _ = render("users.md", lang="fr")
    assert "Corps de la requête" in html
    assert '<span class="api-required">obligatoire</span>' in html
    assert "Valeurs\u00a0: <code>fr</code>" in html


def test_broken_blocks_warn_at_their_line_and_print_method_and_path() -> None:
    html, anchors, warnings = render("broken.md")
    for expected in BROKEN:
        assert any(expected in w for w in warnings), (expected, warnings)
    assert len(warnings) == len(BROKEN), warnings
    assert "Traceback" not in "".join(warnings)
    assert anchors == ["p-broken--post-login", "p-broken--get-nowhere", "p-broken--delete-pets",
                       "p-broken--get-x", "p-broken--get-pets-broken", "p-broken--post-pet",
                       "p-broken--get-x-1"]  # fmt: skip
    assert 'href="https://petstore3.swagger.io/api/v3/openapi.json"' in html  # the link
    assert '<code class="api-spec">.gitbook/assets/bad.yaml</code>' in html
    assert "unresolved $ref #/components/schemas/DoesNotExist" in html  # the rest printed


def test_the_spec_and_the_files_it_refers_to_are_read_through_the_gate() -> None:
    with activate(Gate.of([SPACE])):
        render("pets.md")  # parsed now
        with current().recording() as seen:
            render("pets.md")  # parsed before: read (and recorded) all the same
    assert {"petstore.yaml", "common.yaml"} <= {Path(k).name for k in seen}


def _spec(tmp_path: Path, text: str, name: str = "spec.yaml") -> openapi.Spec:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    root = tmp_path.resolve()
    return openapi.Spec(path, name, lambda p: p.resolve().is_relative_to(root),
                        lambda p: p.name)  # fmt: skip


def test_yaml_anchors_are_refused_with_their_line(tmp_path: Path) -> None:
    with pytest.raises(openapi.SpecError) as caught:
        _spec(tmp_path, "openapi: 3.0.0\nbase: &b {type: string}\nother: *b\n")
    assert caught.value.message.startswith("spec.yaml:2: invalid YAML: YAML aliases")


SELF = """openapi: 3.1.0
paths:
  /x:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "%s"}
components:
  schemas:
    Deep:
      type: object
      properties: {next: {type: object, properties: {next: {type: object, properties:
        {next: {type: object, properties: {next: {type: object, properties: {next:
        {type: object, properties: {next: {type: object, properties:
        {leaf: {type: string}}}}}}}}}}}}}}
    Loop: {$ref: "#/components/schemas/Loop"}
"""


def test_a_deep_schema_is_cut_and_a_ref_to_itself_does_not_loop(tmp_path: Path) -> None:
    deep = _spec(tmp_path, SELF % "#/components/schemas/Deep").operation("/x", "get")
    field = deep.responses[0].bodies[0].schema
    depth = 0
    while field is not None and field.children:
        field, depth = field.children[0], depth + 1
    assert field is not None
    assert (depth, field.note) == (openapi.MAX_DEPTH, "…")
    loop = _spec(tmp_path, SELF % "#/components/schemas/Loop", "loop.yaml").operation("/x", "get")
    schema = loop.responses[0].bodies[0].schema
    assert schema is not None
    assert schema.note == "↻ Loop"


def test_remote_and_outside_refs_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "space").mkdir()
    (tmp_path / "secret.yaml").write_text("Secret: {type: string}\n", encoding="utf-8")
    text = SELF.replace('{$ref: "%s"}', '{type: object, properties: {a: {$ref: "%s"}}}')
    cases = [
        ("https://example.com/s.yaml#/S", "leads to a remote file, not read"),
        ("../secret.yaml#/Secret", "refused: secret.yaml lies outside the space"),
    ]
    for ref, why in cases:
        spec = _spec(tmp_path / "space", text % ref)
        with activate(Gate.of([tmp_path / "space"])):
            op = spec.operation("/x", "get")
        assert len(op.problems) == 1, op.problems
        assert why in op.problems[0][0], op.problems


# -- the manual ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(SPACE, project / "space")
    code, out, err = cli(["build", "--source", "space", "--manual", "--out", "out"], project)
    assert code == 0, err
    return project, out + err


@pytest.fixture(scope="module")
def reader(build: tuple[Path, str]) -> PdfReader:
    return PdfReader(build[0] / "out" / "manual.pdf")


def _text(reader: PdfReader) -> str:
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))


@pytest.mark.parametrize("spec", SPECS)
def test_the_pdf_prints_the_operation(reader: PdfReader, spec: str) -> None:
    _, anchors, words = SPECS[spec]
    text = _text(reader)
    for word in [*anchors, *words]:
        assert word.replace(" ", "") in text.replace(" ", ""), word
    destinations = reader.named_destinations
    for title, anchor in anchors.items():
        assert anchor in destinations, anchor  # GitBook's anchor: a link target on paper
        page = reader.get_destination_page_number(destinations[anchor])
        assert title.replace(" ", "") in reader.pages[page].extract_text().replace(" ", "")


def test_the_bookmarks_list_the_operations(reader: PdfReader) -> None:
    titles: list[str] = []

    def walk(items: list) -> None:  # type: ignore[type-arg]
        for item in items:
            walk(item) if isinstance(item, list) else titles.append(item.title)

    walk(reader.outline)
    assert {"GET /pets/{petId}", "POST /login", "GET /users/{userId}"} <= set(titles)


def test_the_build_warns_for_each_broken_block(build: tuple[Path, str]) -> None:
    said = [line for line in build[1].splitlines() if line.startswith("warning: ")]
    for expected in BROKEN:
        assert any(expected in line for line in said), (expected, said)
    assert "Traceback" not in build[1]


def test_no_glyph_leaves_the_text_block(build: tuple[Path, str]) -> None:
    """The long property name, the long description token: wrapped inside the margins."""
    _, _, _, inner, outer = PAPER[Settings().manual.paper]
    margin = min(float(inner[:-2]), float(outer[:-2])) * MM
    pdf = pdfium.PdfDocument(build[0] / "out" / "manual.pdf")
    outside = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            width, height = page.get_size()
            text = page.get_textpage()
            for i in range(text.count_chars()):
                left, bottom, right, top = text.get_charbox(i)
                if not text.get_text_range(i, 1).strip() or right <= left:
                    continue
                if left < margin - 1 or right > width - margin + 1 or bottom < 0 or top > height:
                    outside.append((number + 1, text.get_text_range(i, 1), round(left)))
    finally:
        pdf.close()
    assert not outside, outside[:10]


def test_editing_a_spec_makes_the_manual_stale(tmp_path: Path) -> None:
    project = tmp_path
    shutil.copytree(SPACE, project / "space")
    args = ["build", "--source", "space", "--manual", "--out", "out"]
    assert cli(args, project)[0] == 0
    code, out, err = cli(args, project)
    assert code == 0
    assert "0 written, 1 up to date" in out + err, out + err
    edits = [("petstore.yaml", "Replace a pet", "Swap a pet for another"),
             ("common.yaml", "No pet has that id.", "That pet is gone.")]  # fmt: skip
    for name, old, new in edits:
        spec = project / "space" / ".gitbook" / "assets" / name
        spec.write_text(spec.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        code, out, err = cli(args, project)
        assert code == 0
        assert "1 written" in out + err, out + err
        text = _text(PdfReader(project / "out" / "manual.pdf"))
        assert new in text
        assert old not in text


HOSTILE = [
    {"paths": {"/x": {"get": {"parameters": "str", "responses": [1, 2], "requestBody": 5}}}},
    {"paths": {"/x": {"get": {
        "parameters": [1, None, {"$ref": 5}, {"name": 3, "in": None, "schema": "s"}],
        "requestBody": {"content": {"a/b": {"schema": {"properties": [1], "items": [1],
                                                       "enum": 3, "required": 5, "type": 7}}}},
        "responses": {"200": {"content": {"x": {"schema": {"$ref": ""}}}}, "201": {"$ref": "#"},
                      "204": {"content": {"x": {"schema": {"allOf": [1, {"$ref": "#/paths"}],
                                                           "oneOf": "x"}}}}}}}},
     "components": {"schemas": {
         "A": {"type": "array", "items": {"$ref": "#/components/schemas/B"}},
         "B": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}}}},
    {"paths": {"/x": {"get": {"responses": {"200": {"content": {"a": {
        "schema": json.loads('{"type":"array","items":' * 300 + "{}" + "}" * 300)}}}}}}}},
]  # fmt: skip


@pytest.mark.parametrize("doc", HOSTILE)
def test_a_malformed_spec_prints_what_it_can(tmp_path: Path, doc: dict[str, object]) -> None:
    op = _spec(tmp_path, json.dumps(doc), "spec.json").operation("/x", "get")
    assert op.method == "get"  # no exception: every odd value is skipped or printed as text


def test_json_nested_too_deep_is_an_error_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(openapi.SpecError, match="nested too deep"):
        _spec(tmp_path, "[" * 100_000 + "]" * 100_000, "deep.json")


def test_a_path_whose_ref_leads_nowhere_is_a_spec_error(tmp_path: Path) -> None:
    spec = _spec(tmp_path, json.dumps({"paths": {"/ref": {"$ref": "missing.yaml#/paths/~1x"}}}),
                 "spec.json")  # fmt: skip
    with pytest.raises(openapi.SpecError, match=r"\$ref 'missing.yaml#/paths/~1x' of path /ref"):
        spec.operation("/ref", "get")
    import pickle

    broken = pickle.loads(pickle.dumps(openapi.BrokenRef("#/a", "leads nowhere")))
    assert (broken.ref, broken.why) == ("#/a", "leads nowhere")  # a worker's error arrives


def test_path_keys_that_are_not_text_and_a_folder_as_spec(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "paths:\n  1: {get: {}}\n")
    with pytest.raises(openapi.SpecError, match="paths there: 1"):
        spec.operation("/nowhere", "get")
    (tmp_path / "specs").mkdir()
    with pytest.raises(openapi.SpecError, match="is a folder"):
        openapi.read(tmp_path / "specs", "specs")
