"""The block splitter: `{% tag %}` lines -> a tree with attributes and source lines."""

from __future__ import annotations

import pytest

from builder.content.blocks import Block, Text, parse_attrs, parse_blocks
from builder.diagnostics import Diagnostics


def parse(text: str, diag: Diagnostics, first_line: int = 1) -> Block:
    return parse_blocks(text, file="page.md", diag=diag, first_line=first_line)


def shape(block: Block) -> list[object]:
    """The tree as nested lists: block names with their children, text as its lines."""
    out: list[object] = []
    for child in block.children:
        if isinstance(child, Text):
            out.append([line for line in child.lines if line.strip()])
        else:
            out.append((child.name, shape(child)))
    return out


@pytest.mark.parametrize(
    ("raw", "attrs", "arg"),
    [
        ('style="info"', {"style": "info"}, ""),
        ('method="post" path="/x" baseUrl="https://a"', {"method": "post", "path": "/x",
                                                          "baseUrl": "https://a"}, ""),
        ("required=true httpCode=200", {"required": "true", "httpCode": "200"}, ""),
        ("title='single'", {"title": "single"}, ""),
        ('"../includes/x.md"', {}, "../includes/x.md"),
        ('title="a = b" icon="x"', {"title": "a = b", "icon": "x"}, ""),
        ('title=""', {"title": ""}, ""),
    ],
)  # fmt: skip
def test_attributes_in_any_order_and_quoting(raw: str, attrs: dict[str, str], arg: str) -> None:
    assert parse_attrs(raw) == (attrs, arg)


def test_nested_blocks_with_their_lines(diag: Diagnostics) -> None:
    tree = parse(
        'Intro\n{% tabs %}\n{% tab title="A" %}\n{% hint style="info" %}\nx\n'
        "{% endhint %}\n{% endtab %}\n{% endtabs %}\nOutro",
        diag,
        first_line=10,
    )
    assert shape(tree) == [["Intro"], ("tabs", [("tab", [("hint", [["x"]])])]), ["Outro"]]
    tabs = tree.children[1]
    assert isinstance(tabs, Block)
    tab = tabs.children[0]
    assert isinstance(tab, Block)
    assert (tabs.line, tab.line, tab.attrs) == (11, 12, {"title": "A"})
    assert not diag.items


def test_self_closing_and_optional_end_tags(diag: Diagnostics) -> None:
    tree = parse(
        '{% include "a.md" %}\n{% page-ref page="b.md" %}\n{% embed url="https://x" %}\n'
        '{% embed url="https://y" %}\nCaption\n{% endembed %}\n{% file src="f.pdf" %}\ntext',
        diag,
    )
    assert shape(tree) == [
        ("include", []),
        ("page-ref", []),
        ("embed", []),
        ("embed", [["Caption"]]),
        ("file", []),
        ["text"],
    ]
    assert not diag.items


def test_several_tags_on_one_line(diag: Diagnostics) -> None:
    tree = parse('{% code-tabs %}{% code-tabs-item title="a" %}\nx\n'
                 "{% endcode-tabs-item %}{% endcode-tabs %}", diag)  # fmt: skip
    assert shape(tree) == [("code-tabs", [("code-tabs-item", [["x"]])])]


def test_tags_in_code_are_text(diag: Diagnostics) -> None:
    text = 'Use `{% hint %}`.\n```\n{% hint style="info" %}\n```\n~~~\n{% endhint %}\n~~~'
    assert shape(parse(text, diag)) == [text.split("\n")]
    assert not diag.items


def test_indented_tag_keeps_its_indentation(diag: Diagnostics) -> None:
    tree = parse("1. Step\n\n   {% hint %}\n   Body\n   {% endhint %}\n2. Next", diag)
    hint = tree.children[1]
    assert isinstance(hint, Block)
    assert (hint.name, hint.indent) == ("hint", "   ")


def test_if_else_markers(diag: Diagnostics) -> None:
    tree = parse("{% if a.b %}\nyes\n{% else %}\nno\n{% endif %}", diag)
    assert shape(tree) == [("if", [["yes"], ("else", []), ["no"]])]
    block = tree.children[0]
    assert isinstance(block, Block)
    assert block.raw == "a.b"


def test_unknown_tags_are_text_with_one_warning(diag: Diagnostics) -> None:
    tree = parse("a\n{% frob x=1 %}\nb\n{% endfrob %}", diag)
    assert shape(tree) == [["a", "{% frob x=1 %}", "b", "{% endfrob %}"]]
    assert [str(d) for d in diag.items] == [
        "page.md:2: unknown GitBook block {% frob %} kept as text"
    ]


def test_unclosed_block_is_closed_at_the_end(diag: Diagnostics) -> None:
    tree = parse("{% stepper %}\n{% step %}\nOne", diag)
    stepper = tree.children[0]
    assert isinstance(stepper, Block)
    assert shape(tree) == [("stepper", [("step", [["One"]])])]
    assert not stepper.closed
    assert [d.line for d in diag.items] == [1, 2]
    assert all("never closed" in d.message for d in diag.items)


def test_mismatched_end_closes_the_inner_block_with_a_warning(diag: Diagnostics) -> None:
    tree = parse("{% hint %}\n{% tab %}\nx\n{% endhint %}\ny", diag)
    assert shape(tree) == [("hint", [("tab", [["x"]])]), ["y"]]
    assert [str(d) for d in diag.items] == [
        "page.md:2: {% tab %} is not closed before {% endhint %} (line 4) (add {% endtab %})"
    ]


def test_stray_end_tag(diag: Diagnostics) -> None:
    tree = parse("x\n{% endtabs %}", diag)
    assert shape(tree) == [["x"]]
    assert [d.line for d in diag.items] == [2]
    assert "closes nothing" in diag.items[0].message


def test_tags_in_html_comments_are_text(diag: Diagnostics) -> None:
    text = (
        "<!-- {% api-method-request %} -->\n<!-- {% hint %}\nold\n{% endhint %} -->\n"
        "{% hint %}\nkept\n{% endhint %}"
    )
    tree = parse(text, diag)
    assert shape(tree) == [text.split("\n")[:4], ("hint", [["kept"]])]
    assert not diag.items


def test_escaped_attribute_values(diag: Diagnostics) -> None:
    assert parse_attrs(r'name="init\_view" host="/read?d=\[x\]" path="C:\Users"') == (
        {"name": "init_view", "host": "/read?d=[x]", "path": "C:\\Users"},
        "",
    )
