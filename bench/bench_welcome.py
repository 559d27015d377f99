"""Time the welcome packs for N people (default 200): wall time and peak memory.

    .venv/bin/python bench/bench_welcome.py [--people 200] [--jobs N]
        [--renderer module:factory [--renderer-arg ARG ...]]

The renderer factory is called as factory(diag, *renderer_args) in every worker; the
default is a stand-in drawing simple A6 cards with WeasyPrint (one tagged PDF per person)
and a 40-page manual. Run twice with different --people: peak RSS should not grow with the
count. The same packs are then asked for again, nothing changed ("re-run"): every one is
found up to date in out/welcome/'s ledger, none made.
"""

from __future__ import annotations

import argparse
import html
import importlib
import os
import random
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import weasyprint  # type: ignore[import-untyped]  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]  # noqa: E402

from builder.config import load_settings  # noqa: E402
from builder.diagnostics import Diagnostics  # noqa: E402
from builder.gate import Gate, Seen, install  # noqa: E402
from builder.welcome import Person, RendererFactory, run_welcome  # noqa: E402

if TYPE_CHECKING:
    from builder.welcome.pack import PackMeta

CARDS = ("yealink", "smartphone", "vpn", "webclient", "desktop")
FIRST = ("Zoé", "Jean", "Marie-Christine", "Loïc", "Anaïs", "Seán", "Paul", "Chloé", "Émile")
LAST = ("O'Brien", "Dupont", "Lefèvre", "de La Rochefoucauld", "Nguyễn", "Müller", "Martin")
CARD_CSS = "@page { size: 105mm 148mm; margin: 6mm } h1 { font-size: 16pt } p { font-size: 9pt }"


class StubRenderer:
    """Stand-in for the real renderer: one A6 page per card, a text-only manual."""

    def __init__(self, work: Path) -> None:
        self.work = work
        # One font configuration per process, as builder.pdf.Renderer does: a new one per
        # document costs ~0.25 MB that is never given back, and is slower.
        self.fonts = FontConfiguration()
        self.css = weasyprint.CSS(string=CARD_CSS, font_config=self.fonts)

    def pack_for(self, person: Person, target: Path, meta: PackMeta) -> None:
        """One small card per device, with the person's name and extension, one tagged PDF."""
        who = f"{html.escape(person.name)} — poste {html.escape(person.extension)}"
        documents = []
        for card in person.devices:
            body = f"<title>{card}</title><h1>{card}</h1><p>{who}</p>" + "<p>Texte.</p>" * 12
            document = weasyprint.HTML(string=f'<html lang="{meta.lang}">{body}')
            documents.append(document.render(stylesheets=[self.css], font_config=self.fonts))
        merged = documents[0].copy([page for doc in documents for page in doc.pages])
        merged.metadata.title, merged.metadata.lang = meta.title, meta.lang
        merged.write_pdf(target, pdf_variant="pdf/ua-1")

    def inputs_of(self, person: Person) -> dict[str, Seen]:
        """Nothing read once for many."""
        return {}

    def manual_pdf(self) -> Path:
        """A 40-page manual with an outline, rendered once."""
        target = self.work / "manual.pdf"
        para = "<p>" + "La téléphonie 3CX au quotidien. " * 60 + "</p>"
        pages = "".join(
            f'<h1 style="break-before: page">Chapitre {n}</h1>{para}<h2>Détail</h2>{para}'
            for n in range(1, 41)
        )
        weasyprint.HTML(string=f"<title>Guide</title>{pages}").write_pdf(target)
        return target


def stub_factory(diag: Diagnostics, work: str) -> StubRenderer:
    """Top-level, hence picklable."""
    return StubRenderer(Path(work))


def write_csv(path: Path, count: int) -> None:
    """A CSV as French Excel writes it: cp1252, ';'."""
    pick = random.Random(6)
    lines = ["Nom;Courriel;Poste;Appareils;Service"]
    for n in range(count):
        name = f"{pick.choice(FIRST)} {pick.choice(LAST)} {n}"
        devices = " ".join(pick.sample(CARDS, pick.randint(1, 3)))
        lines.append(f"{name};user{n}@groupehautier.fr;{n:04d};{devices};Ventes")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace"))


def load_factory(spec: str) -> RendererFactory:
    """'module:function' -> the function."""
    module, _, name = spec.partition(":")
    factory: RendererFactory = getattr(importlib.import_module(module), name)
    return factory


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its numbers."""
    args = parse(argv)
    work = args.out.resolve()
    work.mkdir(parents=True, exist_ok=True)
    csv = work / "users.csv"
    write_csv(csv, args.people)
    settings = load_settings(ROOT)
    # 4-digit extensions so 200+ people fit; the rest as the project's settings say.
    settings = replace(settings, welcome=replace(settings.welcome, extension_pattern=r"\d{4}"))
    factory: Any = load_factory(args.renderer) if args.renderer else stub_factory
    renderer_args = args.renderer_arg if args.renderer else [str(work)]
    diag = Diagnostics()
    peaks: dict[int, float] = {}
    # An open gate made active, as the welcome command makes its own: the renderer then does
    # not install the project's, which would refuse this scratch CSV (the bench times the
    # packs; what may be read is tests/test_gate.py's business).
    install(Gate())
    start = time.perf_counter()
    manual = factory(diag, *renderer_args).manual_pdf()
    manual_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = run_welcome(
        csv,
        settings,
        known_cards=CARDS,
        out=work / "out",
        factory=factory,
        factory_args=renderer_args,
        diag=diag,
        jobs=args.jobs,
        progress=lambda done, total: sample(peaks, done, total),
        manual=manual,
    )
    seconds = time.perf_counter() - start
    sys.stdout.write(f"manual     {manual_seconds:.1f} s, rendered once\n")
    report(seconds, result, diag, peaks)
    if args.no_rerun:
        return 0
    # The same run again, nothing changed: every pack is found up to date (its ledger).
    start = time.perf_counter()
    again = run_welcome(csv, settings, known_cards=CARDS, out=work / "out", factory=factory,
                        factory_args=renderer_args, diag=Diagnostics(), jobs=args.jobs,
                        manual=manual)  # fmt: skip
    made = sum(o.rendered for o in again.packs)
    sys.stdout.write(f"re-run     {time.perf_counter() - start:.2f} s, {made} pack(s) made\n")
    return 0


def sample(peaks: dict[int, float], done: int, total: int) -> None:
    """Record the workers' peak memory now and then (VmHWM only grows), and their CPU time
    (a figure a loaded machine changes less than the wall time)."""
    if done % 10 == 0 or done == total:
        peaks.update(worker_peaks())
        for pid in peaks:
            CPU[pid] = max(CPU.get(pid, 0.0), _cpu(pid))


CPU: dict[int, float] = {}  # worker pid -> CPU seconds (user + system) when last sampled


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=None, help="default: every core")
    parser.add_argument("--renderer", help="module:factory, called as factory(diag, *args)")
    parser.add_argument("--renderer-arg", action="append", default=[])
    parser.add_argument("--no-rerun", action="store_true", help="skip the run again")
    parser.add_argument("--out", type=Path, default=ROOT / "scratch" / "welcome" / "bench")
    return parser.parse_args(argv)


def worker_peaks() -> dict[int, float]:
    """Peak RSS (VmHWM, MB) of every descendant process, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    peaks = {}
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor and ancestor != os.getpid():
            ancestor = parents.get(ancestor)
        if ancestor:
            peaks[pid] = _hwm(pid)
    return peaks


def _hwm(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), "0")
    return int(kb) / 1024


def report(seconds: float, result: Any, diag: Diagnostics, peaks: dict[int, float]) -> None:
    """Print time, sizes and peak memory (this process and the largest worker)."""
    packs = result.packs
    sizes = [p.size for p in packs] or [0]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The workers are the fork server's children, not ours: RUSAGE_CHILDREN misses them.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    workers = f"largest worker {max([*peaks.values(), children]):.0f} MB" if peaks else "in-process"
    lines = [
        f"packs      {len(packs)} built, {result.failed} failed, {len(diag.warnings)} warnings",
        f"packs time {seconds:.1f} s, {1000 * seconds / max(len(packs), 1):.0f} ms per person",
        f"pack size  mean {sum(sizes) / len(sizes) / 1e6:.2f} MB, max {max(sizes) / 1e6:.2f} MB",
        f"peak RSS   parent {own:.0f} MB, {workers} ({len(peaks)} processes sampled)",
        f"cpu        workers {sum(CPU.values()):.1f} s,"
        f" {1000 * sum(CPU.values()) / max(len(packs), 1):.0f} ms per person",
    ]
    lines += [f"error      {d}" for d in diag.errors[:3]]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
