# ruff: noqa: RUF001 -- Cyrillic, Arabic and CJK text on purpose
"""A space in Portuguese, Italian, Dutch, Polish, Russian, Japanese, Chinese, Korean or
Arabic prints guideprint's own words in its language (they were English: a Japanese manual
whose contents page said "Contents" and whose references said "see p."), dates its cover
the way that language writes a date, and is told by its README's script or words when it
has no settings.
"""

from __future__ import annotations

import calendar
import re
import subprocess
from pathlib import Path

import pytest
from clirun import cli
from conftest import write_files

from builder import fonts
from builder.glyphs import missing
from builder.i18n import WORDS

NEW = ("pt", "it", "nl", "pl", "ru", "ja", "zh", "zh-Hant", "ko", "ar")
# The embedded names of the set's fonts (as tests/test_spaces_print.py names them).
OURS = re.compile(
    r"GP-(Sans|Mono)(-Bold)?(-Italic)?|Noto-Color-Emoji|Noto-Sans-CJK-(JP|KR|SC|TC|HK)(-Bold)?"
    r"|Noto-Sans-("
    + "|".join(f.split()[-1] for f in (*fonts.SCRIPT_FONTS, *fonts.SYMBOL_FONTS))
    + r")(-Bold)?"
)
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # pdftotext's, for RTL


# -- the wording tables --------------------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_every_language_has_every_word_of_english_and_no_other(lang: str) -> None:
    table = WORDS[lang]
    assert sorted(set(WORDS["en"]) - set(table)) == [], "missing"
    assert sorted(set(table) - set(WORDS["en"])) == [], "not in English"
    assert all(value.strip() for value in table.values())
    assert table["see_page"].count("{n}") == 1  # where the page's number goes (manual CSS)
    assert "{name}" in table["pack_title"]
    assert table["api"] == "API"
    assert table["qr_play_store"].startswith("Google Play")
    assert table["qr_app_store"].startswith("App Store")
    # No character the CSS strings of the manual would break on.
    assert not [v for v in table.values() if '"' in v or "\\" in v]


# Words a language may write as English does, and the few one of them shares with it.
SAME = {"of", "api", "colon", "qr_play_store", "qr_app_store"}
SHARED = {"nl": {"hint_success", "card_logo"}, "it": {"card_logo"},
          "pl": {"card_logo", "card_login"}}  # fmt: skip


@pytest.mark.parametrize("lang", NEW)
def test_the_new_languages_write_their_own_words(lang: str) -> None:
    """A word left as English's is a word not written (Tip, Logo, Login: Dutch's and
    Polish's own too)."""
    left = {k for k, v in WORDS[lang].items() if v == WORDS["en"][k]}
    assert left - SAME == SHARED.get(lang, set())
    assert {"api", "qr_play_store", "qr_app_store"} <= left


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_every_word_has_a_glyph_in_the_font_set(lang: str) -> None:
    """No box on paper: the set draws every character of the words (the check on pages does
    not see the words the layouts and the CSS print)."""
    assert missing("".join(WORDS[lang].values())) == []


@pytest.mark.parametrize(
    ("lang", "contents", "see", "warning", "colon"),
    [
        ("ja", "目次", "（p.\u00a04 参照）", "注意", "："),
        ("zh", "目录", "（参见第\u00a04\u00a0页）", "注意", "："),
        ("zh-Hant", "目錄", "（參見第\u00a04\u00a0頁）", "注意", "："),
        ("ko", "목차", "\u00a0(4페이지 참조)", "주의", ":"),
        ("ru", "Содержание", "\u00a0(см.\u00a0с.\u00a04)", "Внимание", ":"),
        ("ar", "المحتويات", "\u00a0(انظر الصفحة\u00a04)", "تحذير", ":"),
        ("pl", "Spis treści", "\u00a0(zob.\u00a0s.\u00a04)", "Ostrzeżenie", ":"),
    ],
)
def test_cjk_colons_are_full_width_and_references_read_in_the_language(
    lang: str, contents: str, see: str, warning: str, colon: str
) -> None:
    w = WORDS[lang]
    assert (w["contents"], w["see_page"].format(n=4), w["hint_warning"]) == (contents, see,
                                                                             warning)  # fmt: skip
    assert w["colon"] == colon
    assert w["card_qr"].endswith(colon)
    assert w["card_help_short"].endswith(colon)


def test_the_manual_css_prints_the_reference_around_the_page_number() -> None:
    from builder.manual import _wording_css

    css = _wording_css("ja")
    assert 'content: "（p.\u00a0" target-counter(attr(href), page) " 参照）"; }' in css
    assert 'a.internal:lang(ru)::after {\n  content: "\u00a0(см.\u00a0с.\u00a0" target' in css
    assert '" target-counter(attr(href), page) ")"; }' in css  # the others: after it, ")"


@pytest.mark.parametrize(
    ("tag", "table"),
    [("zh-TW", "zh-Hant"), ("zh-hant", "zh-Hant"), ("zh_Hant_HK", "zh-Hant"), ("zh-HK", "zh-Hant"),
     ("zh-CN", "zh"), ("zh-Hans", "zh"), ("pt-BR", "pt"), ("FR", "fr"), ("sv", "en")],
)  # fmt: skip
def test_a_tag_with_a_region_or_a_script_takes_its_language_s_words(tag: str, table: str) -> None:
    """A page or a setting saying "pt-BR" printed English words; "zh-TW" printed Simplified
    ones (or English)."""
    from builder.i18n import words

    assert words(tag) is WORDS[table]


@pytest.mark.parametrize(
    ("text", "lang"),
    [("本指南介绍电话的设置和使用方法。请先连接网络。", "zh"),
     ("本指南說明電話的設定與使用方法。請先連接網路。", "zh-Hant"),
     ("このガイドでは電話の設定を説明します。", "ja")],
)  # fmt: skip
def test_chinese_is_told_simplified_or_traditional_by_its_characters(text: str,
                                                                    lang: str) -> None:  # fmt: skip
    from builder.i18n import detect

    assert detect(text) == lang


def test_the_traditional_face_draws_a_traditional_chapter() -> None:
    assert fonts.cjk_of("zh-Hant") == fonts.cjk_of("zh-TW") == "Noto Sans CJK TC"
    assert fonts.cjk_of("zh-Hant-HK") == "Noto Sans CJK TC"
    assert fonts.cjk_of("zh-HK") == "Noto Sans CJK HK"
    assert fonts.cjk_of("zh-MO") == fonts.cjk_of("zh_tw") == "Noto Sans CJK TC"  # as its words
    assert fonts.cjk_of("ja-JP") == "Noto Sans CJK JP"
    assert fonts.cjk_of("zh") == fonts.CJK_DEFAULT
    assert fonts.cjk_of("fr") is None


def test_chinese_that_tells_neither_keeps_the_space_s_script() -> None:
    """A page with none of the characters Simplified and Traditional write differently is
    the space's: it was Simplified in a zh-Hant space (SC glyphs, 说明 on its hints)."""
    from builder.i18n import detect

    text = "簡介\n\n本指南適用於所有同仁。"
    assert detect(text, prefer="zh-Hant") == "zh-Hant"
    assert detect(text, prefer="zh") == detect(text) == detect(text, prefer="fr") == "zh"
    assert detect("本指南介绍电话的设置。", prefer="zh-Hant") == "zh"  # its own say first


def test_a_traditional_project_prints_its_cards_pages_and_headers_in_the_tc_face(
    tmp_path: Path,
) -> None:
    """language = "zh-Hant": a page whose characters tell neither script, a page titled in
    Chinese with an English body (its running header), and a card: all in the TC face.
    They were SC (the page, the header) and JP (the card: its stylesheet named no CJK face,
    fontconfig took the collection's first)."""
    write_files(tmp_path, {
        "guideprint.toml": 'title = "電話指南"\nlanguage = "zh-Hant"\n',
        "content/SUMMARY.md": "* [簡介](README.md)\n* [安裝 Docker](docker.md)\n",
        "content/README.md": "# 簡介\n\n本指南適用於所有同仁。\n\n"
                             '{% hint style="info" %}\n詳情洽客服。\n{% endhint %}\n',
        "content/docker.md": "# 安裝 Docker\n\nInstall Docker with the package manager, then "
                             "start the service and check that it runs.\n",
        "content/cards/phone.md": "---\ntitle: 桌上電話\ndevice: 話機\n---\n\n## 通話\n\n"
                                  "1. 拿起話筒。\n2. 撥打分機號碼。\n3. 按下通話鍵。\n",
    })  # fmt: skip
    code, _, err = cli(["build", "--manual", "--card", "phone"], tmp_path)
    assert code == 0, err
    for pdf in (tmp_path / "out" / "manual.pdf", tmp_path / "out" / "cards" / "phone.pdf"):
        listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                                check=True).stdout.splitlines()[2:]  # fmt: skip
        cjk = {line.split()[0].split("+")[-1] for line in listed if "CJK" in line}
        assert cjk, pdf.name
        assert cjk <= {"Noto-Sans-CJK-TC", "Noto-Sans-CJK-TC-Bold"}, (pdf.name, cjk)
    text = subprocess.run(["pdftotext", str(tmp_path / "out" / "manual.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "說明" in text
    assert "说明" not in text


def test_japanese_written_in_kanji_alone_is_japanese() -> None:
    """A page of kanji without kana (a glossary, a table of settings) was Traditional Chinese:
    設, 電, 話 and 機 are Traditional forms that Japanese writes too. Japanese's own kanji
    say Japanese; in a Japanese space, a page with none of Chinese's own characters stays
    Japanese; Chinese pages stay Chinese there."""
    from builder.i18n import detect

    assert detect("設定変更\n\n接続確認。着信転送設定。選択画面表示。") == "ja"  # 変 続 転 択
    assert detect("設定\n\n電話機設定。", prefer="ja") == "ja"
    assert detect("設定\n\n電話機設定。") == "zh-Hant"  # nothing tells: as before
    assert detect("本指南說明電話的設定與使用方法。請先連接網路。", prefer="ja") == "zh-Hant"
    assert detect("本指南介绍电话的设置和使用方法。请先连接网络。", prefer="ja") == "zh"
    assert detect("本指南說明電話的設定與使用方法。請先連接網路。") == "zh-Hant"


def test_a_page_of_kanji_in_a_japanese_space_prints_in_the_japanese_face(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "guideprint.toml": 'title = "電話の手引き"\nlanguage = "ja"\n',
        "content/SUMMARY.md": "* [はじめに](README.md)\n* [用語集](terms.md)\n",
        "content/README.md": "# はじめに\n\nこの手引きでは電話の使い方を説明します。\n",
        "content/terms.md": "# 用語集\n\n| 用語 | 意味 |\n|---|---|\n| 内線 | 社内電話番号 |\n"
                            "| 保留 | 通話一時停止 |\n| 設定 | 電話機設定 |\n",
    })  # fmt: skip
    code, _, err = cli(["build", "--manual"], tmp_path)
    assert code == 0, err
    pdf = str(tmp_path / "out" / "manual.pdf")
    listed = subprocess.run(["pdffonts", pdf], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]  # fmt: skip
    cjk = {line.split()[0].split("+")[-1] for line in listed if "CJK" in line}
    assert cjk, listed
    assert cjk <= {"Noto-Sans-CJK-JP", "Noto-Sans-CJK-JP-Bold"}, cjk  # the glossary: TC before


def test_a_setting_of_taiwan_s_chinese_is_told_its_name(tmp_path: Path) -> None:
    write_files(tmp_path, {"guideprint.toml": 'language = "zh-TW"\n',
                           "content/SUMMARY.md": "* [A](README.md)\n",
                           "content/README.md": "# A\n"})  # fmt: skip
    code, _, err = cli(["check"], tmp_path)
    assert code == 1, err  # a settings error, with its file and line
    assert "guideprint.toml:1:" in err, err
    assert "use zh-Hant: the wording in Traditional characters" in err, err
    (tmp_path / "guideprint.toml").write_text('language = "tw"\n', encoding="utf-8")
    code, _, err = cli(["check"], tmp_path)
    assert code == 1, err
    assert "use zh-Hant: 'tw' is a country's code, not a language's" in err, err


# -- the cover's date ----------------------------------------------------------------------

DEC_1 = calendar.timegm((2026, 12, 1, 0, 0, 0))
MAR_8 = calendar.timegm((2026, 3, 8, 0, 0, 0))


@pytest.mark.parametrize(
    ("lang", "first", "eighth"),
    [
        ("ja", "2026年12月1日", "2026年3月8日"),
        ("zh", "2026年12月1日", "2026年3月8日"),
        ("zh-Hant", "2026年12月1日", "2026年3月8日"),
        ("pt-BR", "1 de dezembro de 2026", "8 de março de 2026"),  # its language's
        ("ko", "2026년 12월 1일", "2026년 3월 8일"),
        ("ru", "1 декабря 2026\u00a0г.", "8 марта 2026\u00a0г."),  # genitive
        ("pl", "1 grudnia 2026\u00a0r.", "8 marca 2026\u00a0r."),  # genitive
        ("pt", "1 de dezembro de 2026", "8 de março de 2026"),
        ("it", "1º dicembre 2026", "8 marzo 2026"),  # "il primo": the first, an ordinal
        ("nl", "1 december 2026", "8 maart 2026"),
        ("ar", "1 ديسمبر 2026", "8 مارس 2026"),
        # The four of before, unchanged.
        ("fr", "1er décembre 2026", "8 mars 2026"),
        ("en", "01 December 2026", "08 March 2026"),
        ("es", "1 de diciembre de 2026", "8 de marzo de 2026"),
        ("de", "1. Dezember 2026", "8. März 2026"),
        ("sv", "01 December 2026", "08 March 2026"),  # no table: English's
    ],
)
def test_the_cover_date_is_written_as_the_language_writes_it(
    monkeypatch: pytest.MonkeyPatch, lang: str, first: str, eighth: str
) -> None:
    from builder.manual import build_date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(DEC_1))
    assert build_date(lang) == first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(MAR_8))
    assert build_date(lang) == eighth


# -- a space's language told by its README ------------------------------------------------

READMES = {
    "ja": "# はじめに\n\nこのガイドでは、電話の設定と使い方を説明します。",
    "zh": "# 简介\n\n本指南介绍电话的设置和使用方法。",
    "zh-Hant": "# 簡介\n\n本指南介紹電話的設定和使用方法。",
    "ko": "# 소개\n\n이 안내서는 전화를 설정하고 사용하는 방법을 설명합니다.",
    "ru": "# Введение\n\nЭто руководство описывает настройку и использование телефона.",
    "ar": "# مقدمة\n\nيشرح هذا الدليل كيفية إعداد الهاتف واستخدامه.",
    "pl": "# Wstęp\n\nTen przewodnik opisuje, jak skonfigurować telefon i jak się zalogować do "
    "systemu, oraz co zrobić, jeśli nie działa: jest to proste.",
}


@pytest.mark.parametrize("lang", sorted(READMES))
def test_a_space_is_told_by_its_readme_s_script_or_words(tmp_path: Path, lang: str) -> None:
    from builder.gate import Gate
    from builder.project import guess_language

    write_files(tmp_path, {"SUMMARY.md": "* [A](README.md)\n", "README.md": READMES[lang]})
    assert guess_language(tmp_path, Gate.of([tmp_path]), default="fr") == lang


@pytest.mark.parametrize(
    ("readme", "lang"),
    [
        # Code and links are no words: a Japanese README full of commands is Japanese.
        ("# 導入\n\n```bash\nnpm install --save the-package && npm run build\n```\n\n"
         "インストールの手順です。[the repository](https://example.com/a/b/c) を見てください。",
         "ja"),
        # A few CJK words in an English README: English, by its words.
        ("# Guide\n\nThis is the guide for you and your team; the Japanese one is 日本語.", "en"),
        # Ukrainian has no wording table: the default, not Russian.
        ("# Вступ\n\nЦей посібник пояснює, як налаштувати її телефон і їхній обліковий запис.",
         "fr"),
        ("Ce guide décrit les réglages de votre poste et des appels.", "fr"),
    ],
)  # fmt: skip
def test_a_readme_s_script_counts_only_when_it_says_the_language(
    tmp_path: Path, readme: str, lang: str
) -> None:
    from builder.gate import Gate
    from builder.project import guess_language

    write_files(tmp_path, {"README.md": readme, "docs/README.md": "# Docs\n"})
    assert guess_language(tmp_path, Gate.of([tmp_path]), default="fr") == lang


# -- a manual built end to end -------------------------------------------------------------

SPACES = {
    "ja": (
        "# はじめに\n\nこのガイドでは電話の設定を説明します。詳しくは[接続](setup.md)へ。\n\n"
        '{% hint style="warning" %}\n設定を変更する前に、必ず保存してください。\n{% endhint %}\n',
        "# 接続\n\nネットワークに接続して、アプリを起動します。\n",
    ),
    "ru": (
        "# Введение\n\nЭто руководство описывает настройку телефона. Подробнее: "
        "[Подключение](setup.md).\n\n"
        '{% hint style="warning" %}\nСохраните настройки перед изменением.\n{% endhint %}\n',
        "# Подключение\n\nПодключитесь к сети и запустите приложение.\n",
    ),
    "zh-Hant": (
        "# 簡介\n\n本指南說明電話的設定與使用方法。詳細內容請見[連線](setup.md)。\n\n"
        '{% hint style="warning" %}\n變更設定之前，請務必先儲存。\n{% endhint %}\n',
        "# 連線\n\n連接網路，然後啟動應用程式。\n",
    ),
    "ar": (
        "# مقدمة\n\nيشرح هذا الدليل إعداد الهاتف واستخدامه. التفاصيل في [الشبكة](setup.md).\n\n"
        '{% hint style="warning" %}\nاحفظ الإعدادات قبل تغييرها.\n{% endhint %}\n',
        "# الشبكة\n\nاتصل بالشبكة ثم شغّل التطبيق.\n",
    ),
}
# What the PDF says in each: the contents' title, the hint's label (printed in capitals),
# the reference to page 4 and the cover's date; the face of the language's own script.
PRINTED = {
    "ja": ("目次", "注意", "（p. 4 参照）", "2026年12月1日", "Noto-Sans-CJK-JP"),
    "zh-Hant": ("目錄", "注意", "（參見第 4 頁）", "2026年12月1日", "Noto-Sans-CJK-TC"),
    "ru": ("Содержание", "ВНИМАНИЕ", "(см. с. 4)", "1 декабря 2026 г.", "GP-Sans"),
    "ar": ("المحتويات", "تحذير", "(انظر الصفحة 4)", "1 ديسمبر 2026", "Noto-Sans-Arabic"),
}


@pytest.fixture(scope="module", params=sorted(SPACES))
def manual(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, str]:
    """A two-page space built as a manual: ja and ru without settings (their language
    guessed from the README), ar with `language = "ar"` in the project's settings."""
    lang: str = request.param
    root = tmp_path_factory.mktemp(lang)
    readme, setup = SPACES[lang]
    files = {"SUMMARY.md": "# T\n\n* [A](README.md)\n* [B](setup.md)\n", "README.md": readme,
             "setup.md": setup}  # fmt: skip
    monkey = pytest.MonkeyPatch()
    monkey.setenv("SOURCE_DATE_EPOCH", str(DEC_1))
    try:
        if lang == "ar":
            write_files(root, {f"content/{k}": v for k, v in files.items()})
            write_files(root, {"guideprint.toml": 'title = "دليل الهاتف"\nlanguage = "ar"\n'})
            code, out, err = cli(["build", "--manual"], root)
        else:
            write_files(root / "space", files)
            (root / "work").mkdir()  # the space is not under it: its language is guessed
            code, out, err = cli(["build", "--manual", "--source", str(root / "space")],
                                 root / "work")  # fmt: skip
            root = root / "work"
    finally:
        monkey.undo()
    assert code == 0, err
    return lang, root / "out" / "manual.pdf", out + err


def test_the_manual_prints_its_words_in_the_space_s_language(
    manual: tuple[str, Path, str],
) -> None:
    lang, pdf, log = manual
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    text = " ".join(BIDI_MARKS.sub("", raw).split())  # no-break spaces, line ends: spaces
    contents, hint, see, date, _ = PRINTED[lang]
    assert contents in text
    assert hint in text
    if lang == "ar":  # pdftotext gives the Arabic line's parts in its own order
        assert "(انظر الصفحة" in text
        assert re.search(r"\(انظر الصفحة \.?\)?4", text), text
    else:
        assert see in text, text
    assert date.replace(" ", "") in text.replace(" ", "")  # pdftotext: "1ديسمبر"
    for english in ("Contents", "see p.", "Warning", "WARNING", "Version of", "December"):
        assert english not in text, english
    assert "no font of the set has" not in log  # builder.glyphs: boxes on paper


def test_the_manual_uses_only_the_set_s_fonts_and_its_script_s_face(
    manual: tuple[str, Path, str],
) -> None:
    lang, pdf, _ = manual
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]  # fmt: skip
    names = {line.split()[0].split("+")[-1] for line in listed}
    assert names
    assert all(OURS.fullmatch(n) for n in names), names
    assert PRINTED[lang][4] in names, names
    if lang == "ja":  # the Japanese face draws its Han characters, not the Chinese one
        assert not [n for n in names if "CJK-SC" in n or "CJK-KR" in n], names
    if lang == "zh-Hant":  # Traditional characters drawn as Taiwan writes them, not as China
        assert not [n for n in names if "CJK-SC" in n or "CJK-JP" in n], names


def test_an_arabic_manual_lays_its_contents_and_date_out_right_to_left(
    manual: tuple[str, Path, str],
) -> None:
    """The contents' title and the cover's date start at the right margin, the page numbers
    of the contents are at the left (they were laid out left to right: the title at the left,
    as in English, which the other languages keep)."""
    lang, pdf, _ = manual
    contents, date = PRINTED[lang][0], PRINTED[lang][3].split()[-1].rstrip("年日")
    toc, cover = _words(pdf, 2), _words(pdf, 1)
    title = [x for w, x in toc if w in (contents, contents[::-1])]  # Arabic: as drawn
    numbers = [x for w, x in toc if w in ("3", "4")]
    year = [x for w, x in cover if date in w]
    assert title, toc
    assert numbers, toc
    assert year, cover
    middle = float(re.findall(r'width="([\d.]+)"', _bbox(pdf, 1))[0]) / 2
    if lang == "ar":
        assert title[0] > middle > max(numbers)
        assert min(year) > middle
    else:
        assert title[0] < middle < min(numbers)
        assert min(year) < middle


def _bbox(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def _words(pdf: Path, page: int) -> list[tuple[str, float]]:
    """(word, left x) of each word of a page, from pdftotext's boxes."""
    found = re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', _bbox(pdf, page))
    return [(BIDI_MARKS.sub("", w), float(x)) for x, w in found]


def test_a_callout_s_thick_border_and_icon_are_where_its_lines_start(
    manual: tuple[str, Path, str], tmp_path: Path
) -> None:
    """The warning callout's solid thick border and icon (its dark gold) on the right in
    Arabic, on the left in Japanese and Russian (they were on the left in Arabic too)."""
    from PIL import Image

    lang, pdf, _ = manual
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "3", "-l", "3", str(pdf),
                    str(tmp_path / "p")], check=True)  # fmt: skip
    image = Image.open(next(tmp_path.glob("p-*.png"))).convert("RGB")
    gold = [x for x in range(image.width) for y in range(image.height)
            if _near(image.getpixel((x, y)), (184, 134, 11))]  # fmt: skip
    assert gold, "no callout on page 3"
    middle = (min(gold) + max(gold)) / 2
    mean = sum(gold) / len(gold)
    assert (mean > middle) if lang == "ar" else (mean < middle), (lang, mean, middle)


def _near(rgb: tuple[int, ...], to: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(rgb, to, strict=True))
