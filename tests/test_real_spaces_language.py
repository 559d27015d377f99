# ruff: noqa: RUF001 -- Cyrillic and Greek text on purpose
"""A page in Cyrillic or Greek is hyphenated in its own language (found on a real Russian
space: its pages were tagged English, the settings' language, so no Russian word was ever
hyphenated, and the PDF said they were English).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clirun import cli

from builder.content.language import detect

GERMAN = (
    "Die Software speichert die Daten der Fabrik und zeigt sie in einer Tabelle an. Mit "
    "dem Filter kann der Benutzer die Werte ändern, die auf der Seite nicht angezeigt "
    "werden; die Einstellungen werden für jeden Benutzer von der Datenbank geladen und "
    "sind auch im Menü zu finden."
)
# Long words, so that lines end inside one; the same text with no hyphenation has none.
RUSSIAN = " ".join(["Высокопроизводительные электроэнергетические преобразования."] * 40)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Что нужно учитывать при работе с базами данных: объём, индексы", "ru"),
        ("Що потрібно враховувати під час роботи з базою: її обсяг", "uk"),
        ("Шта треба узети у обзир при раду са базом, љубазно", "sr"),
        ("Καλημέρα, αυτός είναι ο οδηγός χρήσης", "el"),
        ("Plain English text, with a Москва or two.", None),
        # Latin-script pages, by their short words (a German legacy book was hyphenated
        # with English patterns): sure ones only, and never fr or en (the settings' own).
        (GERMAN, "de"),
        (
            "El sistema guarda los datos de la cuenta y los envía por correo a los usuarios "
            "para que puedan ver el estado de la cuenta con una sola consulta, como se ve en "
            "las pantallas del menú; también se puede cambiar el idioma de la página.",
            "es",
        ),
        (
            "O sistema não guarda os dados dos usuários em uma pasta para você; são enviados "
            "com uma cópia ao administrador, que pode também ver os dados da sua conta.",
            "pt",
        ),
        (
            "Il sistema salva i dati della pagina e non li invia per posta: gli utenti sono "
            "avvisati anche nel menu della pagina, che può essere aperto come una finestra.",
            "it",
        ),
        (
            "Het systeem slaat de gegevens van een gebruiker op en stuurt ze niet met de post: "
            "voor deze pagina wordt een venster geopend, dat ook bij het menu te vinden is.",
            "nl",
        ),
        (
            "Le système enregistre les données de la page et les envoie pour que vous puissiez "
            "voir le compte, avec une seule requête dans le menu et sur la page.",
            None,
        ),
        (
            "The system stores the data of the page and sends it to you, so that you can see "
            "your account with one query, and this is what the menu is for.",
            None,
        ),
    ],
)
def test_cyrillic_and_greek_pages_say_their_language(text: str, lang: str | None) -> None:
    assert detect(text) == lang


def test_a_russian_page_is_hyphenated_in_russian(tmp_path: Path) -> None:
    space = tmp_path / "space"
    space.mkdir()
    (space / "SUMMARY.md").write_text("* [Home](README.md)\n* [Текст](text.md)\n")
    (space / "README.md").write_text("# Guide\n\nAn English first page.\n")
    (space / "text.md").write_text(f"# Текст\n\n{RUSSIAN}\n", encoding="utf-8")
    (tmp_path / "guideprint.toml").write_text('language = "en"\n')
    code, _, err = cli(["build", "--source", "space", "--manual", "--out", "out"], tmp_path)
    assert code == 0, err
    text = subprocess_text(tmp_path / "out" / "manual.pdf")
    russian = [line for line in text.splitlines() if re.search("[а-я]", line)]
    assert len(russian) > 5
    assert any(re.search("[а-я][-\u2010]$", line) for line in russian), russian[:8]


def subprocess_text(pdf: Path) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("README.md", "Team lead docs"),  # a Russian space's README: its file name
        ("首页", "Team lead docs"),  # a Chinese guide's: "home"
        ("Введение", "Team lead docs"),
        ("Uber Go 语言编码规范", "Uber Go 语言编码规范"),  # a title: kept
    ],
)
def test_a_readme_heading_that_names_nothing_in_any_language(
    tmp_path: Path, heading: str, title: str
) -> None:
    from builder.config import Settings
    from builder.content.model import Space
    from builder.diagnostics import Diagnostics
    from builder.manual.titles import manual_title

    space = Space(tmp_path / "team_lead_docs", "", heading, "", None, [], [])
    assert manual_title(Settings(), space, Diagnostics()) == title


@pytest.mark.parametrize(
    ("readme", "default", "lang"),
    [
        ("Dieses Handbuch beschreibt die Bedienung des Programms und der Daten, die Sie "
         "für die Arbeit mit dem System brauchen.", "en", "de"),  # German: not French
        ("Dieses Handbuch beschreibt die Bedienung des Programms.", "fr", "fr"),  # the default
        ("Ce guide décrit les réglages de votre poste et des appels.", "en", "fr"),
        ("This guide shows you the settings of your phone and the calls.", "fr", "en"),
        ("Bienvenue dans le guide.", "en", "fr"),  # short, still said
    ],
)  # fmt: skip
def test_a_space_s_wording_language_is_the_one_its_words_say(
    tmp_path: Path, readme: str, default: str, lang: str
) -> None:
    from builder.gate import Gate
    from builder.project import guess_language

    (tmp_path / "README.md").write_text(f"# Titre\n\n{readme}\n", encoding="utf-8")
    assert guess_language(tmp_path, Gate.of([tmp_path]), default=default) == lang


@pytest.mark.parametrize(
    ("readme", "contents", "dated", "see"),
    [
        ("Esta guía explica cómo usar el sistema y los datos para los equipos de la empresa. "
         "Puede leer también la página [Acceso](acceso.md).", "Índice", " de diciembre de ",
         "véase p."),
        ("Dieses Handbuch beschreibt die Bedienung des Programms und der Daten, die Sie für die "
         "Arbeit mit dem System brauchen. Siehe auch [Zugang](acceso.md).", "Inhalt",
         ". Dezember ", "siehe S."),
    ],
    ids=["es", "de"],
)  # fmt: skip
def test_a_spanish_or_german_space_gets_its_own_wording(
    tmp_path: Path, readme: str, contents: str, dated: str, see: str
) -> None:
    """A Spanish or German space without settings: the manual's words are its language's
    (they were English), the date too."""
    import os
    import subprocess

    space = tmp_path / "space"
    space.mkdir()
    (space / "SUMMARY.md").write_text("# T\n\n* [Guía](README.md)\n* [Acceso](acceso.md)\n")
    (space / "README.md").write_text(f"# Guía\n\n{readme}\n", encoding="utf-8")
    (space / "acceso.md").write_text("# Acceso\n\nTexto.\n", encoding="utf-8")
    env = {"SOURCE_DATE_EPOCH": "1764547200"}  # 2025-12-01
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        work = tmp_path / "work"  # the space is not under it: its language is guessed
        work.mkdir()
        code, _, err = cli(["build", "--manual", "--source", str(space)], work)
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(work / "out" / "manual.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert contents in text
    assert dated in text
    assert "Contents" not in text
    assert see in text, text
