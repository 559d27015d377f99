"""Part files of a manual (builder.manual.parts) spliced into one PDF.

Each part file holds the PDF objects WeasyPrint made for one part, numbered from 1, without
the objects a PDF has once (catalogue, page tree, structure tree root, its parent tree and
Document element), and a header saying what those held. The splice numbers every part's
objects after the ones before, points their page-tree and structure parents at the shared
ones, renumbers each page's and link's key in the parent tree (/StructParents,
/StructParent), and writes the shared objects: one page tree, one structure tree whose
Document element holds every part's elements, one outline (WeasyPrint's own bookmark tree,
made from every page's bookmarks), one table of named destinations, the first part's
catalogue entries (language, viewer preferences, XMP metadata) and information.

Only the dictionaries are rewritten, never a stream's bytes; a reference is found by a
tokenizer that steps over literal strings (pydyf escapes every parenthesis in them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO

from builder.errors import RenderError
from builder.gate import current
from builder.output import atomic_path
from builder.png import deflated

TOKENS = re.compile(rb"\((?:[^\\()]|\\.)*\)|/StructParent(s?) (\d+)|(\d+) 0 R", re.S)
PER_STREAM = 4000  # objects of one object stream
FORMAT = b"guideprint-part 2\n"  # a part file's first line: then its header's size, header


def splice(files: list[Path], target: Path) -> None:
    """Splice the part files, in this order, into one PDF at target (atomically)."""
    import pydyf

    heads = [read_header(_read(f)) for f in files]
    tagged = "struct" in heads[0]
    if any(("struct" in h) != tagged for h in heads):
        raise RenderError("the parts of the manual were not all tagged: laid out again")
    numbers = iter(range(1, 1 << 31))
    catalog, pages_root, info = next(numbers), next(numbers), next(numbers)
    root, tree, document = (next(numbers), next(numbers), next(numbers)) if tagged else (0, 0, 0)
    maps, page_refs = [], []
    for k, h in enumerate(heads):
        skip = {h.get("metadata")} if k else set()  # one XMP packet: the first part's
        m = {num: next(numbers) for num, _, _ in h["objects"] if num not in skip}
        m[h["pages_root"]] = pages_root
        if tagged:
            m[h["struct"]["root"]], m[h["struct"]["document"]] = root, document
        page_refs += [m[n] for n in h["pages"]]
        maps.append(m)
    total = len(page_refs)

    # The parent tree's keys in ascending order, as a number tree's must be (a reader may
    # search it): every page's (the page's index), then every link's, after the pages.
    nums: list[bytes] = []
    links: list[bytes] = []
    kids: list[int] = []
    keys: list[tuple[int, dict[int, int]]] = []
    annot_key, offset = total, 0
    for h, m in zip(heads, maps, strict=True):
        annots: dict[int, int] = {}
        if tagged:
            s = h["struct"]
            for key, refs in s["marked"]:
                marked = b" ".join(b"%d 0 R" % m[r] for r in refs)
                nums.append(b"%d [%s]" % (offset + key, marked))
            for key, ref in s["annots"]:
                annots[key] = annot_key
                links.append(b"%d %d 0 R" % (annot_key, m[ref]))
                annot_key += 1
            kids += [m[k] for k in s["kids"]]
        keys.append((offset, annots))
        offset += len(h["pages"])
    nums += links

    dests: dict[str, tuple[int, float, float]] = {}
    marks: list[list[tuple[int, str, tuple[float, float], str]]] = [[] for _ in range(total)]
    offset = 0
    for h in heads:
        for name, page, x, y in h["dests"]:
            dests.setdefault(name, (page_refs[offset + page], x, y))
        for page, level, label, x, y, state in h["bookmarks"]:
            marks[offset + page].append((level, label, (x, y), state))
        offset += len(h["pages"])
    outline = _Numbered(numbers, [b"%d 0 R" % n for n in page_refs])
    _outline(outline, marks)

    shared: list[tuple[int, bytes]] = []
    entries = [b"/Type /Catalog", b"/Pages %d 0 R" % pages_root]
    first = _renumbering(maps[0], 0, {})
    entries += [b"/%s %s" % (k.encode(), first(v.encode("latin-1")))
                for k, v in heads[0]["catalog"].items()]  # fmt: skip
    if heads[0].get("metadata") is not None:
        entries.append(b"/Metadata %d 0 R" % maps[0][heads[0]["metadata"]])
    if tagged:
        entries.append(b"/StructTreeRoot %d 0 R" % root)
    if dests:
        flat = []
        for name in sorted(dests):
            ref, x, y = dests[name]
            flat.append(pydyf.String(name).data)
            flat.append(pydyf.Array([b"%d 0 R" % ref, "/XYZ", x, y, 0]).data)
        entries.append(b"/Names <</Dests <</Names [%s]>>>>" % b" ".join(flat))
    if outline.catalog.get("Outlines"):
        entries.append(b"/Outlines " + outline.catalog["Outlines"])
    shared.append((catalog, b"<<" + b"".join(entries) + b">>"))
    kids_bytes = b" ".join(b"%d 0 R" % n for n in page_refs)
    shared.append((pages_root, b"<</Type /Pages /Kids [%s] /Count %d>>" % (kids_bytes, total)))
    described = [b"/%s %s" % (k.encode(), v.encode("latin-1")) for k, v in heads[0]["info"].items()]
    shared.append((info, b"<<" + b"".join(described) + b">>"))
    if tagged:
        shared.append((root, b"<</Type /StructTreeRoot /ParentTree %d 0 R /K [%d 0 R] "
                             b"/ParentTreeNextKey %d>>" % (tree, document, annot_key)))  # fmt: skip
        shared.append((tree, b"<</Nums [%s]>>" % b" ".join(nums)))
        shared.append((document, b"<</Type /StructElem /S /Document /K [%s] /P %d 0 R>>"
                                 % (b" ".join(b"%d 0 R" % k for k in kids), root)))  # fmt: skip
    shared += [(obj.number, obj.data) for obj in outline.objects]

    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        writer = _Writer(out, numbers)
        for f, h, m, (offset, annots) in zip(files, heads, maps, keys, strict=True):
            data = _read(f)
            at = h["_start"]
            renumber = _renumbering(m, offset, annots)
            for num, size, body in h["objects"]:
                head = data[at : at + size]
                at += size
                if body >= 0:
                    if num in m:
                        writer.stream(m[num], renumber(head), data[at : at + body])
                    at += body
                elif num in m:
                    writer.plain(m[num], renumber(head))
            del data
        for number, data in shared:
            writer.plain(number, data)
        writer.finish(catalog, info)


def read_header(data: bytes) -> dict[str, Any]:
    """The header of a part file, written after its objects, then its size (ValueError if
    data is not a part file)."""
    if not data.startswith(FORMAT) or len(data) < len(FORMAT) + 8:
        raise ValueError("not a part file")
    size = int.from_bytes(data[-8:], "big")
    if not 0 < size <= len(data) - len(FORMAT) - 8:
        raise ValueError("not a part file")
    header = json.loads(data[-8 - size : -8])
    if not isinstance(header, dict):
        raise ValueError("not a part file")
    header["_start"] = len(FORMAT)
    return header


def _read(path: Path) -> bytes:
    data = current().read_hint(path)
    if data is None:
        raise RenderError(f"a part of the manual is missing: {path.name}")
    return data


def _renumbering(m: dict[int, int], offset: int, annots: dict[int, int]) -> Any:
    """A part's dictionary bytes with its references and parent-tree keys renumbered."""

    def one(match: re.Match[bytes]) -> bytes:
        ref = match.group(3)
        if ref is not None:
            return b"%d 0 R" % m[int(ref)]
        key = match.group(2)
        if key is None:
            return match.group(0)  # a string: as it is
        if match.group(1):
            return b"/StructParents %d" % (offset + int(key))
        return b"/StructParent %d" % annots[int(key)]

    def renumber(data: bytes) -> bytes:
        try:
            return TOKENS.sub(one, data)
        except KeyError as exc:
            raise RenderError(f"a part of the manual refers to an object it lacks: {exc}") from None

    return renumber


class _Numbered:
    """What WeasyPrint's add_outlines takes of a pydyf.PDF: numbers from the splice's."""

    def __init__(self, numbers: Any, page_references: list[bytes]) -> None:
        self.numbers = numbers
        self.page_references = page_references
        self.objects: list[Any] = []
        self.catalog: dict[str, Any] = {}

    def add_object(self, obj: Any) -> None:
        obj.number = next(self.numbers)
        self.objects.append(obj)


def _outline(pdf: _Numbered, marks: list[list[tuple[int, str, tuple[float, float], str]]]) -> None:
    """The outline of every page's bookmarks, nested as WeasyPrint nests one document's."""
    from weasyprint.document import Document
    from weasyprint.pdf.anchors import add_outlines

    pages = SimpleNamespace(pages=[SimpleNamespace(bookmarks=b, height=0) for b in marks])
    tree = Document.make_bookmark_tree(pages, 1, transform_pages=False)
    add_outlines(pdf, tree)


class _Writer:
    """A PDF written as it goes: streams at once, other objects in object streams, then a
    cross-reference stream."""

    def __init__(self, out: BinaryIO, numbers: Any) -> None:
        self.out, self.numbers = out, numbers
        self.pos = 0
        self.where: dict[int, tuple[int, int, int]] = {}
        self.batch: list[tuple[int, bytes]] = []
        self._write(b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def stream(self, number: int, head: bytes, body: bytes) -> None:
        self.where[number] = (1, self.pos, 0)
        self._write(b"%d 0 obj\n%s\nstream\n" % (number, head))
        self._write(body)
        self._write(b"\nendstream\nendobj\n")

    def plain(self, number: int, data: bytes) -> None:
        self.batch.append((number, data))
        if len(self.batch) >= PER_STREAM:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        number = next(self.numbers)
        offsets, at = [], 0
        for i, (n, data) in enumerate(self.batch):
            self.where[n] = (2, number, i)
            offsets.append(b"%d %d" % (n, at))
            at += len(data) + 1
        prefix = b" ".join(offsets) + b"\n"
        body = deflated(prefix + b"\n".join(d for _, d in self.batch), 6)
        self.stream(number, b"<</Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d>>"
                    % (len(self.batch), len(prefix), len(body)), body)  # fmt: skip
        self.batch = []

    def finish(self, root: int, info: int) -> None:
        self._flush()
        number = next(self.numbers)
        at = self.pos
        self.where[number] = (1, at, 0)
        size = number + 1
        width = max(1, (max(at, size).bit_length() + 7) // 8)
        rows = bytearray()
        for n in range(size):
            kind, a, b = self.where.get(n, (0, 0, 65535))
            rows += bytes((kind,)) + a.to_bytes(width, "big") + b.to_bytes(2, "big")
        body = deflated(rows, 6)
        self.stream(number, b"<</Type /XRef /Size %d /W [1 %d 2] /Root %d 0 R /Info %d 0 R "
                    b"/Filter /FlateDecode /Length %d>>" % (size, width, root, info, len(body)),
                    body)  # fmt: skip
        self._write(b"startxref\n%d\n%%%%EOF\n" % at)
