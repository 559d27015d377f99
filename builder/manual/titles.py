"""Titles: the manual's, and each space's as a part of a manual of several."""

from __future__ import annotations

import os
import re
from pathlib import Path

from builder.config import Settings
from builder.content.inline import title_text
from builder.content.model import Space
from builder.diagnostics import Diagnostics

# ruff: noqa: RUF001 -- Cyrillic words on purpose
# First headings that say nothing of the document: a cover titled so is no title at all.
GENERIC_TITLES = frozenset({
    "introduction", "intro", "welcome", "bienvenue", "readme", "home", "accueil", "overview",
    "index", "start", "getting started", "présentation", "presentation", "sommaire", "about",
    "à propos", "contents", "table of contents", "docs", "documentation",
    # The README's own file name as its heading ("# README.md"), and the same words in the
    # languages of real spaces: a Chinese guide's README is "首页" (home), a Russian's "Введение".
    "readme md", "首页", "主页", "简介", "介绍", "概述", "目录", "引言", "首頁", "簡介", "介紹",
    "はじめに", "概要", "目次", "ホーム", "소개", "개요", "목차", "홈", "введение", "главная",
    "о проекте", "содержание", "обзор", "вступ", "головна", "einleitung", "einführung",
    "übersicht", "willkommen", "startseite", "inhalt", "introducción", "bienvenido",
    "bienvenidos", "inicio", "índice", "introdução", "bem vindo", "bem-vindo", "início",
    "introduzione", "benvenuto", "indice", "inleiding", "welkom",
})  # fmt: skip
# Folders that hold a space rather than name it: the name is one level up.
HOLDER_FOLDERS = frozenset({"docs", "doc", "content", "contents", "src", "gitbook", "documentation",
                            "book", "site", "pages", "en", "fr", "source"})  # fmt: skip


def manual_title(
    settings: Settings, space: Space, diag: Diagnostics | None = None, *, repo: Path | None = None
) -> str:
    """The settings' title; else the README's first heading unless it says nothing
    ("Introduction", "Welcome", an emoji alone…); else the repository's folder name.

    repo: the repository of several spaces, whose first README heads only the first of them.
    """
    if settings.title:
        return settings.title
    heading = title_text(space.title, settings.language) if space.title and not repo else ""
    if heading and not _generic(heading):
        return heading
    folder = repo or space.root
    for _ in range(2):
        if folder.name.casefold() not in HOLDER_FOLDERS or folder.parent == folder:
            break
        folder = folder.parent
    title = folder.name.replace("-", " ").replace("_", " ").strip()
    title = title[:1].upper() + title[1:]
    said = f"the README's first heading, '{heading}', names no document" if heading else "no README"
    if repo:
        said = "a repository of several spaces"
    if diag is not None:
        readme = next((p.shown for p in space.pages if p.path.lower().endswith("readme.md")), None)
        readme = None if repo else readme  # the first space's, which titles only that space
        diag.warn(
            f'the title is the folder\'s name, "{title}": {said}',
            file=readme,
            hint='set title = "…" in guideprint.toml',
        )
    return title


# A space's folder named after its language ("en/", "fr/") says which space it is this way.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "es": "Español",
                  "it": "Italiano", "pt": "Português", "nl": "Nederlands", "ja": "日本語",
                  "ko": "한국어", "zh": "中文", "zh-cn": "简体中文", "zh-tw": "繁體中文",
                  "zh-hant": "繁體中文", "zh-hans": "简体中文"}  # fmt: skip


def part_title(space: Space) -> str:
    """The title of a space in a manual of several: its own settings' title; else its
    folder's name, which is the space's name on GitBook's site ("help", "developers"); for a
    folder that names no space ("docs", "en"), the README's first heading unless generic,
    else the language's name.

    The README's heading comes after the folder: it is the title of the space's first page,
    printed just below (a part "Before you start" holding a page "Before you start").
    """
    if space.label:
        return space.label
    name = space.name
    if name.casefold() not in HOLDER_FOLDERS and _language_key(name) not in LANGUAGE_NAMES:
        title = name.replace("-", " ").replace("_", " ").strip()
        return title[:1].upper() + title[1:]
    heading = title_text(space.title, space.lang or "en") if space.title else ""
    if heading and not _generic(heading):
        return heading
    return LANGUAGE_NAMES.get(_language_key(name), name.capitalize())


def repository(spaces: list[Space]) -> Path:
    """The folder holding every space of a repository of several."""
    return Path(os.path.commonpath([space.root for space in spaces]))


def _generic(heading: str) -> bool:
    words = re.sub(r"[^\w\s'’-]", " ", heading).strip(" -'’").casefold()
    return not re.search(r"\w", words) or " ".join(words.split()) in GENERIC_TITLES


def _language_key(folder: str) -> str:
    """A folder's name as LANGUAGE_NAMES has it: "zh_TW" and "zh-tw" are one language."""
    return folder.casefold().replace("_", "-")
