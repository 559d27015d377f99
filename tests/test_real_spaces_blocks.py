"""GitBook blocks as real spaces write them (a Chinese space's template sample printed
"{% raw %}" as its first line of code, and "{% endraw %}" as its last).

GitBook escapes template syntax in code with `{% raw %}` … `{% endraw %}`; the escape is
GitBook's, not the sample's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.content.render import render_markdown
from builder.diagnostics import Diagnostics

GOLDEN = (Path(__file__).parent / "fixtures" / "spaces" / "golden").resolve()
PAGE = """# Template

{% code title="chunks.j2" %}
```jinja
{% raw %}
{% for item in chunks %}
{{ item.title }}
{% endfor %}
{% endraw %}
```
{% endcode %}

```
{% raw %}{{ a }}{% endraw %}
```

Inline `{% raw %}{{ b }}{% endraw %}` and `{% if x %}` as written.
"""


def test_raw_escapes_are_taken_off_code() -> None:
    diag = Diagnostics()
    html = render_markdown(
        PAGE, source=GOLDEN / "guide" / "page.md", root=GOLDEN, diag=diag, lang="en"
    ).html
    assert "raw %}" not in html
    assert (
        '<code class="language-jinja"><span class="code-line">{% for item in chunks %}</span>'
        '<span class="code-line">{{ item.title }}</span>'
        '<span class="code-line">{% endfor %}</span></code>'
    ) in html
    assert '<span class="code-line">{{ a }}</span>' in html
    assert "<code>{{ b }}</code>" in html
    assert "<code>{% if x %}</code>" in html  # no raw: kept
    assert not diag.items


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        # A Chinese space: bold closing after a full-width colon, before a letter.
        ("**示例1\uff1a**将多个输入", "<strong>示例1\uff1a</strong>将多个输入"),
        ("中文**\u300c引用\u300d**中文", "中文<strong>\u300c引用\u300d</strong>中文"),
        ("**참고:**설명", "<strong>참고:</strong>설명"),  # Korean, an ASCII colon
        ("*斜体*文字", "<em>斜体</em>文字"),
        ("snake_case_名字", "snake_case_名字"),  # `_` inside a word: no emphasis
        ("中文 ** 星号 2 * 3", "中文 ** 星号 2 * 3"),  # runs between spaces
        ("a**b**c and **x:**y", "a<strong>b</strong>c and **x:**y"),  # CommonMark's, as before
    ],
)
def test_emphasis_next_to_cjk_punctuation(markdown: str, html: str) -> None:
    diag = Diagnostics()
    out = render_markdown(
        markdown, source=GOLDEN / "guide" / "page.md", root=GOLDEN, diag=diag, lang="zh"
    ).html
    assert out.strip() == f"<p>{html}</p>"


def test_raw_in_prose_is_its_text() -> None:
    page = (
        "# T\n\nProse {% raw %}{{ c }}{% endraw %} there.\n\n{% raw %}\n"
        "A template: {% for x in y %}{{ x }}{% endfor %}\n{% endraw %}\n\n"
        '{% hint style="info" %}\nStill a hint.\n{% endhint %}\n'
    )
    diag = Diagnostics()
    html = render_markdown(
        page, source=GOLDEN / "guide" / "page.md", root=GOLDEN, diag=diag, lang="en"
    ).html
    assert "<p>Prose {{ c }} there.</p>" in html
    assert "<p>A template: {% for x in y %}{{ x }}{% endfor %}</p>" in html
    assert '<aside class="hint hint-info"' in html  # blocks after it are blocks
    assert "raw" not in html
    assert not diag.items  # no "unknown GitBook block {% raw %}"
