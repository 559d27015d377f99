"""A realistic large GitBook space for the bench (issue 17), generated from a seed.

    .venv/bin/python bench/large.py [--seed 17] [--dest DIR]      # make it (or reuse it)
    .venv/bin/python bench/large.py profile PROJECT SOURCE        # per-stage profile, in-process

About 300 pages in 25 chapters (a chapter page with its pages nested under it in SUMMARY.md),
with what real spaces have: full-HD screenshots (RGBA with real transparency, RGBA that is
opaque, RGB PNG, palette PNG, some JPEG, a few GIF), tables of 5-20 rows, code blocks, hints,
nested lists, figures with captions, cross-page links (printed "voir p. N"). The screenshots
are drawn with Pillow like a UI (window, sidebar, panels, buttons, real anti-aliased text),
so they compress like screenshots do, not like flat colour.

Everything comes from the seed: the same seed gives the same bytes. The space is made once
per seed into a scratch folder (a `.complete` marker holds the parameters); a rerun reuses it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRATCH = Path(os.environ.get("GUIDEPRINT_BENCH_SCRATCH", "/work/scratch/large"))
VERSION = 2  # part of the marker: bump when the generator's pages change
IMAGES_VERSION = 1  # the same for its images (kept apart: they take a minute or two)
FONT_DIR = Path("/usr/share/fonts/truetype/noto")

WORDS = (
    "le la les un une des du de et ou pour avec sans dans sur sous par entre vers chez "
    "utilisateur compte poste appel transfert statut réglage paramètre onglet fenêtre menu "
    "bouton liste groupe extension numéro contact annuaire message messagerie vocale "
    "réunion salle agenda serveur connexion réseau accès mot passe identifiant profil "
    "application navigateur téléphone casque micro haut-parleur sonnerie renvoi absence "
    "file attente standard accueil service équipe site bureau télétravail mobile client "
    "ouvrir fermer choisir cliquer saisir valider enregistrer supprimer modifier afficher "
    "rechercher trouver appeler répondre raccrocher transférer mettre attente reprendre "
    "activer désactiver vérifier redémarrer installer mettre jour télécharger importer "
    "exporter partager imprimer envoyer recevoir lire écrire configurer sélectionner "
    "rapide simple nouveau ancien premier dernier principal secondaire automatique manuel "
    "interne externe personnel professionnel disponible occupé absent prioritaire"
).split()
UI_WORDS = (
    "Fichier Édition Affichage Outils Aide Accueil Contacts Appels Messages Réunions "
    "Paramètres Statut Profil Déconnexion Rechercher Filtrer Trier Exporter Importer "
    "Enregistrer Annuler Valider Supprimer Ajouter Modifier Groupes Favoris Historique "
    "Messagerie Transfert Renvoi Absence Disponible Occupé Général Sécurité Réseau Audio "
    "Vidéo Notifications Intégrations Utilisateurs Extensions Files Standard Rapports"
).split()
LANGS = ("bash", "json", "yaml", "python", "powershell", "ini")


@dataclass(frozen=True)
class Spec:
    """What the space is made of; the marker records it, so a change makes it again."""

    seed: int = 17
    chapters: int = 25
    pages: int = 300  # the chapter pages included
    images: int = 450
    version: int = VERSION


# --- images ------------------------------------------------------------------------------
# kinds and their share: (kind, format, mode on disk, weight)
KINDS = (
    ("rgba", "PNG", "RGBA", 20),  # a window with rounded corners and a shadow: real alpha
    ("rgba-opaque", "PNG", "RGBA", 25),  # a screenshot tool's RGBA with alpha all 255
    ("rgb", "PNG", "RGB", 30),
    ("palette", "PNG", "P", 10),  # pngquant / TinyPNG-style
    ("jpeg", "JPEG", "RGB", 12),
    ("gif", "GIF", "P", 3),
)


def image_plan(spec: Spec) -> list[tuple[str, str, tuple[int, int]]]:
    """(file name, kind, size) of every image, from the seed."""
    rng = random.Random(spec.seed * 7919)
    plan = []
    kinds = [k for k, _, _, _ in KINDS]
    weights = [w for _, _, _, w in KINDS]
    for n in range(spec.images):
        kind = rng.choices(kinds, weights)[0]
        roll = rng.random()
        if kind == "gif":
            size = (800, 500)
        elif roll < 0.08:
            size = (1080, 2340)  # a phone screenshot
        elif roll < 0.18:
            size = (1366, 768)
        elif roll < 0.24:
            size = (2560, 1440)
        else:
            size = (1920, 1080)
        ext = {"PNG": "png", "JPEG": "jpg", "GIF": "gif"}[
            next(f for k, f, _, _ in KINDS if k == kind)
        ]
        plan.append((f"screen-{n:03d}-{kind}.{ext}", kind, size))
    return plan


def _fonts(size: int) -> Any:
    from PIL import ImageFont

    path = FONT_DIR / "NotoSans-Regular.ttf"
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def draw_screenshot(seed: int, kind: str, size: tuple[int, int]) -> Any:
    """A UI-like picture: title bar, sidebar, toolbar, panels of text, buttons, avatars."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    w, h = size
    accent = rng.choice([(31, 95, 168), (0, 120, 90), (200, 70, 40), (110, 60, 160)])
    im = Image.new("RGB", size, (rng.randint(236, 248),) * 3)
    d = ImageDraw.Draw(im)
    small, body, title = _fonts(max(12, w // 130)), _fonts(max(14, w // 110)), _fonts(w // 60)
    bar = max(36, h // 24)
    d.rectangle((0, 0, w, bar), fill=tuple(max(0, c - 20) for c in accent))
    d.text((16, bar // 4), " ".join(rng.sample(UI_WORDS, 5)), font=body, fill="white")
    side = rng.randint(w // 8, w // 5) if w > h else 0
    if side:
        d.rectangle((0, bar, side, h), fill=(rng.randint(40, 60),) * 3)
        y = bar + 20
        for word in rng.sample(UI_WORDS, min(len(UI_WORDS), (h - bar) // 44)):
            if rng.random() < 0.12:
                d.rectangle((0, y - 6, side, y + 30), fill=accent)
            d.ellipse((16, y + 4, 32, y + 20), outline="white")
            d.text((44, y), word, font=body, fill=(230, 230, 230))
            y += 44
    x0, y0 = side + 24, bar + 24
    d.rectangle((x0, y0, w - 24, y0 + 48), fill="white", outline=(210, 210, 210))
    d.text((x0 + 12, y0 + 10), _text(rng, 4), font=body, fill=(90, 90, 90))
    y = y0 + 72
    while y < h - 120:
        cols = rng.choice([1, 2, 2, 3])
        panel_h = rng.randint(160, 420)
        pw = (w - 24 - x0 - 24 * (cols - 1)) // cols
        for c in range(cols):
            px = x0 + c * (pw + 24)
            d.rounded_rectangle((px, y, px + pw, y + panel_h), 8, fill="white",
                                outline=(220, 220, 220))  # fmt: skip
            d.text((px + 16, y + 12), _text(rng, 3), font=title, fill=(30, 30, 30))
            ty = y + 24 + w // 60
            while ty < y + panel_h - 60:
                if rng.random() < 0.2:
                    d.ellipse((px + 16, ty, px + 48, ty + 32),
                              fill=tuple(rng.randint(60, 220) for _ in range(3)))  # fmt: skip
                    d.text((px + 60, ty + 4), _text(rng, rng.randint(2, 6)), font=small,
                           fill=(60, 60, 60))  # fmt: skip
                    ty += 44
                else:
                    line = _text(rng, rng.randint(4, max(5, pw // 60)))
                    d.text((px + 16, ty), line[: pw // 9], font=small, fill=(70, 70, 70))
                    ty += 26
            if rng.random() < 0.6:
                bx = px + pw - 160
                d.rounded_rectangle((bx, y + panel_h - 50, bx + 140, y + panel_h - 14), 6,
                                    fill=accent)  # fmt: skip
                d.text((bx + 16, y + panel_h - 44), rng.choice(UI_WORDS), font=small,
                       fill="white")  # fmt: skip
        y += panel_h + 24
    if kind == "jpeg":  # a photo-ish corner: gradients and noise, where JPEG is chosen for
        noise = Image.effect_noise((w // 3, h // 3), rng.randint(30, 60)).convert("RGB")
        im.paste(noise.filter(ImageFilter.GaussianBlur(2)), (w - w // 3 - 24, h - h // 3 - 24))
    if kind == "rgba":  # the window on a transparent desktop: rounded corners and a shadow
        canvas = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        inner = (w - 48, h - 48)
        mask = Image.new("L", inner, 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, *inner), 14, fill=255)
        shadow = Image.new("L", (w, h), 0)
        ImageDraw.Draw(shadow).rounded_rectangle((28, 32, w - 20, h - 16), 14, fill=110)
        shadow = shadow.filter(ImageFilter.GaussianBlur(10))
        canvas.putalpha(shadow)
        canvas.paste(im.resize(inner), (24, 24), mask)
        return canvas
    if kind == "rgba-opaque":
        return im.convert("RGBA")
    if kind in ("palette", "gif"):
        return im.quantize(rng.choice([16, 64, 256]) if kind == "palette" else 128)
    return im


def make_image(args: tuple[int, str, str, tuple[int, int], Path]) -> None:
    """Draw one image and save it in its format (a worker's task)."""
    seed, name, kind, size, folder = args
    im = draw_screenshot(seed, kind, size)
    target = folder / name
    if kind == "jpeg":
        im.save(target, "JPEG", quality=85)
    elif kind == "gif":
        im.save(target, "GIF")
    else:
        im.save(target, "PNG", optimize=False, compress_level=6)


# --- pages -------------------------------------------------------------------------------
def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    if rng.random() < 0.25:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    if rng.random() < 0.15:
        i = rng.randrange(len(words))
        words[i] = f"`{rng.choice(UI_WORDS).lower()}`"
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, links: list[tuple[str, str]]) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(2, 4))]
    if links and rng.random() < 0.3:
        title, target = rng.choice(links)
        sentences.append(f"Voir aussi [{title}]({target}).")
    return " ".join(sentences)


def _table(rng: random.Random) -> str:
    cols = rng.randint(3, 5)
    head = rng.sample(UI_WORDS, cols)
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * cols]
    for _ in range(rng.randint(5, 20)):
        cells = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5))) for _ in head]
        if rng.random() < 0.3:
            cells[0] = str(rng.randint(100, 999))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _code(rng: random.Random) -> str:
    lang = rng.choice(LANGS)
    lines = []
    for _ in range(rng.randint(4, 18)):
        indent = "  " * rng.randint(0, 2)
        key = rng.choice(WORDS).replace("é", "e").replace("è", "e")
        lines.append(f"{indent}{key}_{rng.randint(1, 99)}: {rng.choice(WORDS)}{rng.randint(0, 9)}")
    return f"```{lang}\n" + "\n".join(lines) + "\n```"


def _hint(rng: random.Random) -> str:
    style = rng.choice(["info", "warning", "success", "danger"])
    return f'{{% hint style="{style}" %}}\n{_sentence(rng)} {_sentence(rng)}\n{{% endhint %}}'


def _list(rng: random.Random) -> str:
    ordered = rng.random() < 0.4
    lines = []
    for n in range(rng.randint(3, 7)):
        mark = f"{n + 1}." if ordered else "*"
        lines.append(f"{mark} {_sentence(rng)}")
        if rng.random() < 0.35:
            pad = "   " if ordered else "  "
            lines += [f"{pad}* {_sentence(rng)}" for _ in range(rng.randint(1, 3))]
    return "\n".join(lines)


def _figure(name: str, rng: random.Random) -> str:
    caption = _text(rng, rng.randint(2, 6))
    return (
        f'<figure><img src=".gitbook/assets/{name}" alt="{caption}">'
        f"<figcaption><p>{caption}</p></figcaption></figure>"
    )


def page_text(rng: random.Random, title: str, figures: list[str],
              links: list[tuple[str, str]]) -> str:  # fmt: skip
    """One page: sections of paragraphs, figures, tables, code, hints, lists."""
    blocks = [f"# {title}", _paragraph(rng, links)]
    sections = rng.randint(2, 4)
    per = [figures[i::sections] for i in range(sections)]
    for s in range(sections):
        blocks.append(f"## {_text(rng, rng.randint(2, 5))}")
        for _ in range(rng.randint(1, 2)):
            blocks.append(_paragraph(rng, links))
        blocks += [_figure(name, rng) for name in per[s]]
        extra = rng.random()
        if extra < 0.25:
            blocks.append(_table(rng))
        elif extra < 0.45:
            blocks.append(_code(rng))
        elif extra < 0.65:
            blocks.append(_list(rng))
        if rng.random() < 0.3:
            blocks.append(_hint(rng))
        if rng.random() < 0.2:
            blocks.append(f"### {_text(rng, 3)}")
            blocks.append(_paragraph(rng, links))
    return "\n\n".join(blocks) + "\n"


def page_names(spec: Spec) -> list[list[str]]:
    """The file names, chapter by chapter (its first is the chapter's own page)."""
    rng = random.Random(spec.seed)
    counts = [1] * spec.chapters
    for _ in range(spec.pages - spec.chapters):
        counts[rng.randrange(spec.chapters)] += 1
    return [[f"c{c + 1:02d}-{p:02d}.md" for p in range(n)] for c, n in enumerate(counts)]


def write_pages(spec: Spec, space: Path, images: list[str]) -> int:
    """SUMMARY.md, README.md and every page; return the number of pages."""
    rng = random.Random(spec.seed + 1)
    chapters = page_names(spec)
    titles = {
        name: f"{_text(rng, rng.randint(2, 5))} ({name[:-3]})" for ch in chapters for name in ch
    }
    summary = ["# Table of contents", "", "* [Accueil](README.md)"]
    for n, names in enumerate(chapters):
        if n % 5 == 0:
            summary += ["", f"## Partie {n // 5 + 1}", ""]
        summary.append(f"* [{titles[names[0]]}]({names[0]})")
        summary += [f"  * [{titles[name]}]({name})" for name in names[1:]]
    (space / "SUMMARY.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    (space / "README.md").write_text("# Accueil\n\n" + _paragraph(rng, []) + "\n", encoding="utf-8")
    names = [name for ch in chapters for name in ch]
    queue = list(images)
    rng.shuffle(queue)
    share = len(queue) / len(names)
    for i, name in enumerate(names):
        take = queue[round(i * share) : round((i + 1) * share)]
        others = [(titles[o], o) for o in rng.sample(names, 3) if o != name]
        text = page_text(rng, titles[name], take, others)
        (space / name).write_text(text, encoding="utf-8")
    return len(names)


def make_space(spec: Spec, dest: Path | None = None, workers: int = 2) -> Path:
    """The space for spec, made into dest (default: the scratch folder of its seed) unless
    it is there already and complete; return its folder. Images and pages are cached apart:
    a change to the pages keeps the images."""
    default = Spec(spec.seed)
    space = dest or SCRATCH / f"space-{spec.seed}{'' if spec == default else f'-{spec.pages}'}"
    marker = space / ".complete"
    wanted = json.dumps(asdict(spec), sort_keys=True)
    if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return space
    assets = space / ".gitbook" / "assets"
    drawn = space / ".images"
    plan = image_plan(spec)
    pictures = json.dumps([spec.seed, spec.images, IMAGES_VERSION])
    if not (drawn.is_file() and drawn.read_text(encoding="utf-8") == pictures):
        shutil.rmtree(space, ignore_errors=True)
        assets.mkdir(parents=True)
        tasks = [(spec.seed * 100_000 + n, name, kind, size, assets)
                 for n, (name, kind, size) in enumerate(plan)]  # fmt: skip
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(make_image, tasks, chunksize=8))
        drawn.write_text(pictures, encoding="utf-8")
    for page in space.glob("*.md"):
        page.unlink()
    write_pages(spec, space, [name for name, _, _ in plan])
    marker.write_text(wanted, encoding="utf-8")
    return space


def describe(space: Path) -> dict[str, Any]:
    """What the space holds: pages, images by kind, their bytes."""
    assets = sorted((space / ".gitbook" / "assets").iterdir())
    kinds: dict[str, int] = {}
    for path in assets:
        kind = path.stem.split("-", 2)[2]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "pages": len([p for p in space.glob("*.md") if p.name != "SUMMARY.md"]),
        "images": len(assets),
        "kinds": kinds,
        "image_mb": round(sum(p.stat().st_size for p in assets) / 1e6, 1),
    }


# --- the per-stage profile (in-process, as bench/probe.py) -------------------------------
def profile(project_dir: Path, source: str, out: Path, top: int) -> dict[str, Any]:
    """Read, prepare images, lay out and write the A4 manual in this process under
    cProfile (CPU time); the CPU seconds of each stage and the top functions by own time."""
    import cProfile
    import pstats
    import time

    from builder.diagnostics import Diagnostics
    from builder.gate import activate
    from builder.manual import job
    from builder.pdf import Renderer
    from builder.project import load_project

    os.chdir(project_dir)
    project = load_project(project_dir, source=Path(source), out=out)
    diag = Diagnostics()
    prof = cProfile.Profile(time.process_time)  # CPU seconds: a loaded machine's wait aside
    with activate(project.gate):
        paper = project.settings.manual.paper
        renderer = Renderer(list(project.gate.roots or ()), diag, names_from=project.root,
                            cache_dir=project.cache / "remote")  # fmt: skip
        prof.enable()
        start, cpu = time.perf_counter(), time.process_time()
        read = job.read(project, [paper], diag, allow_remote=False)
        job.draw(project, read.value, paper, renderer, out / "manual.pdf")
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        prof.disable()
        renderer.close()
    stats = pstats.Stats(prof)
    stages = {
        "reading": ("builder/manual/job.py", "read"),
        "images": ("builder/downsample.py", "downsample_pages"),
        "layout": ("builder/pdf.py", "render"),
        "writing": ("builder/pdf.py", "write"),
    }
    found: dict[str, float] = {}
    for (file, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for stage, (want_file, want_name) in stages.items():
            if file.endswith(want_file) and name == want_name:
                found[stage] = found.get(stage, 0.0) + row[3]  # cumulative time
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    own = [
        {
            "function": f"{Path(f).name}:{line}:{name}",
            "own_s": round(r[2], 3),
            "cum_s": round(r[3], 3),
            "calls": r[1],
        }
        for (f, line, name), r in rows
    ]
    return {"wall_s": wall, "cpu_s": cpu, "stages_cpu_s": found, "top": own}


def main(argv: list[str] | None = None) -> int:
    """Make the space (or profile a build of it) and print what it is, as JSON."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["profile"]:
        p = argparse.ArgumentParser(prog="large.py profile")
        p.add_argument("project", type=Path)
        p.add_argument("source")
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--top", type=int, default=25)
        a = p.parse_args(argv[1:])
        result = profile(a.project.resolve(), a.source, a.out.resolve(), a.top)
    else:
        p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        p.add_argument("--seed", type=int, default=17)
        p.add_argument("--dest", type=Path)
        p.add_argument("--chapters", type=int, default=25)
        p.add_argument("--pages", type=int, default=300)
        p.add_argument("--images", type=int, default=450)
        a = p.parse_args(argv)
        spec = Spec(a.seed, a.chapters, a.pages, a.images)
        space = make_space(spec, a.dest)
        result = {"space": str(space), **describe(space)}
    sys.stdout.write(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
