"""Code blocks: GitBook's `{% code %}` wrapper and its HTML form `<pre data-title=…>` end up
as one printed form, a <figure class="code-block"> with a title and numbered lines."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from builder.content.sanitize import add_class, replace

if TYPE_CHECKING:
    from builder.content.walking import Walker

Element = ET.Element
# After / ? & = of a URL, except inside its "://": where a long address may wrap.
URL_BREAKS = re.compile(r"(?<=[/?&=])(?<!:/)(?<!://)(?!/)")


# GitBook's escape of template syntax in code: `{% raw %}{{ x }}{% endraw %}` shows {{ x }}.
RAW_SPAN = re.compile(r"\{%-?\s*raw\s*-?%\}\n?(.*?)\n?\{%-?\s*endraw\s*-?%\}", re.S)


def unraw(el: Element) -> None:
    """Take GitBook's {% raw %} … {% endraw %} off the text of a code element (it printed
    around a template sample: "{% raw %}" as its first line of code)."""
    for node in el.iter():
        if node.text and "raw" in node.text:
            node.text = RAW_SPAN.sub(r"\1", node.text)


def on_pre(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Normalise a <pre>: title, line numbers and wrapping on its figure; its lines split."""
    unraw(el)
    _figure(w, parent, el)
    split_lines(el)


def _figure(w: Walker, parent: Element, el: Element) -> None:
    title = el.attrib.pop("data-title", None)
    numbers = el.attrib.pop("data-line-numbers", None) is not None
    wrap = el.attrib.pop("data-overflow", None) == "wrap"
    for key in [k for k in el.attrib if k.startswith("data-")]:
        del el.attrib[key]
    code = el.find("code")
    _language(el, code)
    figure = parent if "code-block" in parent.get("class", "").split() else None
    if figure is None and (title or numbers or wrap):
        figure = Element("figure", {"class": "code-block"})
        figure.tail, el.tail = el.tail, "\n"
        replace(parent, el, figure, w.at)
        figure.append(el)
    if figure is None:
        return
    if numbers:
        add_class(figure, "line-numbers")
    if wrap:
        add_class(figure, "wrap")
    if title and figure.find("figcaption") is None:
        caption = Element("figcaption", {"class": "code-title"})
        caption.text = title
        figure.insert(0, caption)
    if "line-numbers" in figure.get("class", "").split():
        number_lines(code if code is not None else el)


def split_lines(el: Element) -> None:
    """Lines of a plain code block as blocks of their own (the stylesheet marks each place
    a line wraps), and a URL's / ? & = as places a line may wrap."""
    code = el.find("code")
    target = code if code is not None and len(el) == 1 else el
    if len(target) or not target.text:  # numbered or marked up: wrapped, but not split
        return
    text = target.text.removesuffix("\n")
    target.text = None
    for line in text.split("\n"):
        span = ET.SubElement(target, "span", {"class": "code-line"})
        _fill_breakable(span, line)


def _fill_breakable(span: Element, line: str) -> None:
    """Put line in span, with a <wbr> after each / ? & = of the URLs it holds."""
    pieces = re.split(r"(https?://\S+)", line)
    span.text = pieces[0]
    last: Element | None = None
    for i, piece in enumerate(pieces[1:], 1):
        parts = URL_BREAKS.split(piece) if i % 2 else [piece]
        for j, part in enumerate(parts):
            if j:
                last = ET.SubElement(span, "wbr")
            if last is None:
                span.text = (span.text or "") + part
            else:
                last.tail = (last.tail or "") + part


def _language(pre: Element, code: Element | None) -> None:
    """GitBook's HTML form puts `language-x` on <pre> and `lang-x` on <code>: keep one."""
    lang = next((c[9:] for c in pre.get("class", "").split() if c.startswith("language-")), "")
    if code is not None:
        for c in code.get("class", "").split():
            if c.startswith("lang-"):
                lang = lang or c[5:]
        if lang:
            code.set("class", f"language-{lang}")
    if "class" in pre.attrib:
        del pre.attrib["class"]


def number_lines(code: Element) -> None:
    """Prefix every line of code with its number, as text a reader sees on paper."""
    total = "".join(code.itertext()).rstrip("\n").count("\n") + 1
    for child in code:
        _newlines_out(child)
    counter = _Counter(total)
    first = counter.mark()
    _number(code, counter)
    if first is not None:
        first.tail, code.text = code.text, None
        code.insert(0, first)


def _newlines_out(el: Element) -> None:
    """Move newlines that end an element's text after it: numbers are not bold."""
    for child in el:
        _newlines_out(child)
    last = el[-1] if len(el) else None
    text = (last.tail if last is not None else el.text) or ""
    stripped = text.rstrip("\n")
    if stripped == text:
        return
    if last is not None:
        last.tail = stripped or None
    else:
        el.text = stripped or None
    el.tail = text[len(stripped) :] + (el.tail or "")


class _Counter:
    def __init__(self, total: int) -> None:
        self.total, self.n, self.width = total, 0, len(str(total))

    def mark(self) -> Element | None:
        """The next line's number, or None past the last line."""
        self.n += 1
        if self.n > self.total:
            return None
        span = Element("span", {"class": "line-number", "aria-hidden": "true"})
        span.text = f"{self.n:>{self.width}}  "
        return span


def _number(el: Element, counter: _Counter) -> None:
    """Insert a number after every newline of el's text and of its children's tails."""
    el.text, kids = _split(el.text, counter)
    for child in list(el):
        _number(child, counter)
        child.tail, spans = _split(child.tail, counter)
        kids.extend([child, *spans])
    el[:] = kids


def _split(text: str | None, counter: _Counter) -> tuple[str | None, list[Element]]:
    """text up to its first newline (kept), then a number span for each following line."""
    if not text or "\n" not in text:
        return text, []
    head, *pieces = text.split("\n")
    head += "\n"
    spans: list[Element] = []
    for i, piece in enumerate(pieces):
        end = "\n" if i < len(pieces) - 1 else ""
        span = counter.mark()
        if span is None:
            if spans:
                spans[-1].tail = (spans[-1].tail or "") + piece + end
            else:
                head += piece + end
            continue
        span.tail = piece + end
        spans.append(span)
    return head, spans
