# ruff: noqa: RUF001 -- the wording of Cyrillic, Arabic and CJK languages on purpose
"""Fixed wording printed in outputs, by the space's language; the language a text is written
in, told by its script or its commonest short words (builder.content.language says why)."""

from __future__ import annotations

import re
from collections.abc import Mapping

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "contents": "Sommaire",
        # After a link to a page of the manual (manual.page_css), {n} its page's number.
        "see_page": "\u00a0(voir p.\u00a0{n})",
        "page": "page",
        "of": "/",
        "figure": "Figure",
        "hint_info": "Information",
        "hint_success": "Bon à savoir",
        "hint_warning": "Attention",
        "hint_danger": "Danger",
        "missing_image": "Image manquante",
        "remote_image": "Image distante non incluse",
        "file": "Fichier joint",
        "embed": "Contenu en ligne",
        "step": "Étape",
        "api": "API",
        "built_on": "Version du",
        "unknown_block": "Bloc non reconnu",
        "guide": "Guide utilisateur",
        # Quick cards (layouts/cards/card.html.j2): the footer, a person's box, alt texts.
        "card_help": "Besoin d\u2019aide\u202f?",
        "card_help_short": "Aide\u00a0:",
        "card_dial": "poste",
        "card_edition": "édition",
        "card_person": "Votre poste",
        "card_extension": "Extension",
        "card_login": "Identifiant",
        "colon": "\u00a0:",
        "card_qr": "QR code\u00a0:",
        "card_logo": "Logo",
        "card_drawing": "Schéma",
        # QR code labels of the [urls] settings.
        "qr_webclient": "Client web",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Télécharger FortiClient",
        # Office sheets (builder/sheets/job.py): how to print them, in the top margin.
        "sheet_duplex": "Imprimez en recto verso, retournement sur le bord long, à l\u2019échelle"
        " 100\u202f% (taille réelle, sans «\u00a0ajuster à la page\u00a0»).",
        "sheet_simplex": "Imprimez en recto seul, à l\u2019échelle 100\u202f% (taille réelle, sans"
        " «\u00a0ajuster à la page\u00a0»).",
        "sheet_cut": "Découpez le long des traits de coupe, aux coins de chaque carte.",
        "sheet_note": "Comment imprimer les planches",
        "pack_title": "fiches de {name}",  # a welcome pack: the person's quick cards
    },
    "en": {
        "contents": "Contents",
        "see_page": "\u00a0(see p.\u00a0{n})",
        "page": "page",
        "of": "/",
        "figure": "Figure",
        "hint_info": "Note",
        "hint_success": "Tip",
        "hint_warning": "Warning",
        "hint_danger": "Danger",
        "missing_image": "Missing image",
        "remote_image": "Remote image not included",
        "file": "Attached file",
        "embed": "Online content",
        "step": "Step",
        "api": "API",
        "built_on": "Version of",
        "unknown_block": "Unknown block",
        "guide": "User guide",
        "card_help": "Need help?",
        "card_help_short": "Help:",
        "card_dial": "ext.",
        "card_edition": "edition",
        "card_person": "Your phone",
        "card_extension": "Extension",
        "card_login": "Login",
        "colon": ":",
        "card_qr": "QR code:",
        "card_logo": "Logo",
        "card_drawing": "Drawing",
        "qr_webclient": "Web client",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Download FortiClient",
        "sheet_duplex": "Print double-sided, flip on the long edge, at 100% scale (actual size,"
        " not \u201cfit to page\u201d).",
        "sheet_simplex": "Print single-sided at 100% scale (actual size, not"
        " \u201cfit to page\u201d).",
        "sheet_cut": "Cut along the cut marks at the corners of each card.",
        "sheet_note": "How to print the sheets",
        "pack_title": "quick cards for {name}",
    },
    "es": {
        "contents": "Índice",
        "see_page": "\u00a0(véase p.\u00a0{n})",
        "page": "página",
        "of": "/",
        "figure": "Figura",
        "hint_info": "Nota",
        "hint_success": "Consejo",
        "hint_warning": "Atención",
        "hint_danger": "Peligro",
        "missing_image": "Imagen no disponible",
        "remote_image": "Imagen remota no incluida",
        "file": "Archivo adjunto",
        "embed": "Contenido en línea",
        "step": "Paso",
        "api": "API",
        "built_on": "Versión del",
        "unknown_block": "Bloque no reconocido",
        "guide": "Guía del usuario",
        "card_help": "¿Necesita ayuda?",
        "card_help_short": "Ayuda:",
        "card_dial": "ext.",
        "card_edition": "edición",
        "card_person": "Su teléfono",
        "card_extension": "Extensión",
        "card_login": "Usuario",
        "colon": ":",
        "card_qr": "Código QR:",
        "card_logo": "Logotipo",
        "card_drawing": "Dibujo",
        "qr_webclient": "Cliente web",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Descargar FortiClient",
        "sheet_duplex": "Imprima a doble cara, volteando por el borde largo, al 100 % (tamaño"
        " real, no \u00abajustar a la página\u00bb).",
        "sheet_simplex": "Imprima a una cara al 100 % (tamaño real, no \u00abajustar a la"
        " página\u00bb).",
        "sheet_cut": "Corte por las marcas de corte en las esquinas de cada tarjeta.",
        "sheet_note": "Cómo imprimir las hojas",
        "pack_title": "tarjetas rápidas de {name}",
    },
    "de": {
        "contents": "Inhalt",
        "see_page": "\u00a0(siehe S.\u00a0{n})",
        "page": "Seite",
        "of": "/",
        "figure": "Abbildung",
        "hint_info": "Hinweis",
        "hint_success": "Tipp",
        "hint_warning": "Achtung",
        "hint_danger": "Gefahr",
        "missing_image": "Bild fehlt",
        "remote_image": "Externes Bild nicht eingebunden",
        "file": "Angehängte Datei",
        "embed": "Online-Inhalt",
        "step": "Schritt",
        "api": "API",
        "built_on": "Stand:",
        "unknown_block": "Unbekannter Block",
        "guide": "Benutzerhandbuch",
        "card_help": "Hilfe nötig?",
        "card_help_short": "Hilfe:",
        "card_dial": "Durchwahl",
        "card_edition": "Ausgabe",
        "card_person": "Ihr Telefon",
        "card_extension": "Durchwahl",
        "card_login": "Anmeldung",
        "colon": ":",
        "card_qr": "QR-Code:",
        "card_logo": "Logo",
        "card_drawing": "Zeichnung",
        "qr_webclient": "Web-Client",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "FortiClient herunterladen",
        "sheet_duplex": "Beidseitig drucken, an der langen Kante wenden, in 100 %"
        " (Originalgröße, nicht \u201eAn Seite anpassen\u201c).",
        "sheet_simplex": "Einseitig drucken in 100 % (Originalgröße, nicht \u201eAn Seite"
        " anpassen\u201c).",
        "sheet_cut": "An den Schnittmarken an den Ecken jeder Karte schneiden.",
        "sheet_note": "So drucken Sie die Bögen",
        "pack_title": "Kurzanleitungen für {name}",
    },
    # The languages below: written as their vendors' quick references write them (Microsoft's
    # and Google's localised manuals for the hint labels: note, tip, warning, danger).
    # Portuguese is Brazil's (most GitBook spaces in Portuguese are): "você", "arquivo".
    "pt": {
        "contents": "Sumário",
        "see_page": "\u00a0(ver p.\u00a0{n})",
        "page": "página",
        "of": "/",
        "figure": "Figura",
        "hint_info": "Nota",
        "hint_success": "Dica",
        "hint_warning": "Atenção",
        "hint_danger": "Perigo",
        "missing_image": "Imagem ausente",
        "remote_image": "Imagem remota não incluída",
        "file": "Arquivo anexo",
        "embed": "Conteúdo online",
        "step": "Passo",
        "api": "API",
        "built_on": "Versão de",
        "unknown_block": "Bloco não reconhecido",
        "guide": "Guia do usuário",
        "card_help": "Precisa de ajuda?",
        "card_help_short": "Ajuda:",
        "card_dial": "ramal",
        "card_edition": "edição",
        "card_person": "Seu telefone",
        "card_extension": "Ramal",
        "card_login": "Usuário",
        "colon": ":",
        "card_qr": "Código QR:",
        "card_logo": "Logotipo",
        "card_drawing": "Esquema",
        "qr_webclient": "Cliente web",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Baixar o FortiClient",
        "sheet_duplex": "Imprima frente e verso, virando pela borda longa, em escala de 100%"
        " (tamanho real, sem \u201cajustar à página\u201d).",
        "sheet_simplex": "Imprima só a frente, em escala de 100% (tamanho real, sem"
        " \u201cajustar à página\u201d).",
        "sheet_cut": "Corte ao longo das marcas de corte, nos cantos de cada cartão.",
        "sheet_note": "Como imprimir as folhas",
        "pack_title": "cartões rápidos de {name}",
    },
    "it": {
        "contents": "Indice",
        "see_page": "\u00a0(vedi p.\u00a0{n})",
        "page": "pagina",
        "of": "/",
        "figure": "Figura",
        "hint_info": "Nota",
        "hint_success": "Suggerimento",
        "hint_warning": "Attenzione",
        "hint_danger": "Pericolo",
        "missing_image": "Immagine mancante",
        "remote_image": "Immagine remota non inclusa",
        "file": "File allegato",
        "embed": "Contenuto online",
        "step": "Passaggio",
        "api": "API",
        # "Versione del" would need "dell'8", "dell'11": a label reads right before any day.
        "built_on": "Versione:",
        "unknown_block": "Blocco non riconosciuto",
        "guide": "Guida utente",
        "card_help": "Serve aiuto?",
        "card_help_short": "Aiuto:",
        "card_dial": "int.",
        "card_edition": "edizione",
        "card_person": "Il tuo telefono",
        "card_extension": "Interno",
        "card_login": "Nome utente",
        "colon": ":",
        "card_qr": "Codice QR:",
        "card_logo": "Logo",
        "card_drawing": "Schema",
        "qr_webclient": "Client web",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Scarica FortiClient",
        "sheet_duplex": "Stampa fronte/retro, capovolgendo sul lato lungo, in scala al 100%"
        " (dimensioni effettive, non \u00abadatta alla pagina\u00bb).",
        "sheet_simplex": "Stampa solo fronte, in scala al 100% (dimensioni effettive, non"
        " \u00abadatta alla pagina\u00bb).",
        "sheet_cut": "Taglia lungo i segni di taglio, agli angoli di ogni scheda.",
        "sheet_note": "Come stampare i fogli",
        "pack_title": "schede rapide di {name}",
    },
    "nl": {
        "contents": "Inhoud",
        "see_page": "\u00a0(zie blz.\u00a0{n})",
        "page": "pagina",
        "of": "/",
        "figure": "Afbeelding",
        "hint_info": "Opmerking",
        "hint_success": "Tip",
        "hint_warning": "Waarschuwing",
        "hint_danger": "Gevaar",
        "missing_image": "Afbeelding ontbreekt",
        "remote_image": "Externe afbeelding niet opgenomen",
        "file": "Bijgevoegd bestand",
        "embed": "Online inhoud",
        "step": "Stap",
        "api": "API",
        "built_on": "Versie van",
        "unknown_block": "Onbekend blok",
        "guide": "Gebruikershandleiding",
        "card_help": "Hulp nodig?",
        "card_help_short": "Hulp:",
        "card_dial": "toestel",
        "card_edition": "editie",
        "card_person": "Uw telefoon",
        "card_extension": "Toestelnummer",
        "card_login": "Gebruikersnaam",
        "colon": ":",
        "card_qr": "QR-code:",
        "card_logo": "Logo",
        "card_drawing": "Schema",
        "qr_webclient": "Webclient",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "FortiClient downloaden",
        "sheet_duplex": "Dubbelzijdig afdrukken, omslaan langs de lange zijde, op schaal 100%"
        " (werkelijke grootte, niet \u201caanpassen aan pagina\u201d).",
        "sheet_simplex": "Enkelzijdig afdrukken op schaal 100% (werkelijke grootte, niet"
        " \u201caanpassen aan pagina\u201d).",
        "sheet_cut": "Snijd langs de snijtekens op de hoeken van elke kaart.",
        "sheet_note": "Zo drukt u de vellen af",
        "pack_title": "snelkaarten voor {name}",
    },
    "pl": {
        "contents": "Spis treści",
        "see_page": "\u00a0(zob.\u00a0s.\u00a0{n})",
        "page": "strona",
        "of": "/",
        "figure": "Rysunek",
        "hint_info": "Uwaga",
        "hint_success": "Porada",
        "hint_warning": "Ostrzeżenie",
        "hint_danger": "Niebezpieczeństwo",
        "missing_image": "Brak obrazu",
        "remote_image": "Obraz zdalny nie został dołączony",
        "file": "Załączony plik",
        "embed": "Treść online",
        "step": "Krok",
        "api": "API",
        "built_on": "Wersja z",
        "unknown_block": "Nieznany blok",
        "guide": "Podręcznik użytkownika",
        "card_help": "Potrzebna pomoc?",
        "card_help_short": "Pomoc:",
        "card_dial": "wew.",
        "card_edition": "wydanie",
        "card_person": "Twój telefon",
        "card_extension": "Numer wewnętrzny",
        "card_login": "Login",
        "colon": ":",
        "card_qr": "Kod QR:",
        "card_logo": "Logo",
        "card_drawing": "Schemat",
        "qr_webclient": "Klient webowy",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Pobierz FortiClient",
        "sheet_duplex": "Drukuj dwustronnie, z odwracaniem wzdłuż dłuższej krawędzi, w skali"
        " 100% (rzeczywisty rozmiar, bez \u201edopasuj do strony\u201d).",
        "sheet_simplex": "Drukuj jednostronnie w skali 100% (rzeczywisty rozmiar, bez"
        " \u201edopasuj do strony\u201d).",
        "sheet_cut": "Przytnij wzdłuż znaczników cięcia w narożnikach każdej karty.",
        "sheet_note": "Jak drukować arkusze",
        "pack_title": "karty skrócone: {name}",  # "dla" would decline the name
    },
    "ru": {
        "contents": "Содержание",
        "see_page": "\u00a0(см.\u00a0с.\u00a0{n})",
        "page": "стр.",
        "of": "/",
        "figure": "Рисунок",
        "hint_info": "Примечание",
        "hint_success": "Совет",
        "hint_warning": "Внимание",
        "hint_danger": "Опасно",
        "missing_image": "Изображение отсутствует",
        "remote_image": "Внешнее изображение не включено",
        "file": "Вложенный файл",
        "embed": "Онлайн-контент",
        "step": "Шаг",
        "api": "API",
        "built_on": "Версия от",
        "unknown_block": "Неизвестный блок",
        "guide": "Руководство пользователя",
        "card_help": "Нужна помощь?",
        "card_help_short": "Помощь:",
        "card_dial": "доб.",
        "card_edition": "редакция",
        "card_person": "Ваш телефон",
        "card_extension": "Добавочный",
        "card_login": "Логин",
        "colon": ":",
        "card_qr": "QR-код:",
        "card_logo": "Логотип",
        "card_drawing": "Схема",
        "qr_webclient": "Веб-клиент",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Скачать FortiClient",
        "sheet_duplex": "Печать двусторонняя, переворот по длинному краю, масштаб 100\u00a0%"
        " (фактический размер, не \u00abПо размеру страницы\u00bb).",
        "sheet_simplex": "Печать односторонняя, масштаб 100\u00a0% (фактический размер, не"
        " \u00abПо размеру страницы\u00bb).",
        "sheet_cut": "Разрежьте по меткам обреза в углах каждой карточки.",
        "sheet_note": "Как печатать листы",
        "pack_title": "памятки: {name}",  # "для" would decline the name
    },
    # Japanese, Chinese (Simplified) and Korean: the reference after the page's number, in
    # full-width brackets for Japanese and Chinese (no space before them).
    "ja": {
        "contents": "目次",
        "see_page": "（p.\u00a0{n} 参照）",
        "page": "ページ",
        "of": "/",
        "figure": "図",
        "hint_info": "メモ",
        "hint_success": "ヒント",
        "hint_warning": "注意",
        "hint_danger": "警告",
        "missing_image": "画像がありません",
        "remote_image": "外部の画像は含まれていません",
        "file": "添付ファイル",
        "embed": "オンライン コンテンツ",
        "step": "手順",
        "api": "API",
        "built_on": "発行日",
        "unknown_block": "不明なブロック",
        "guide": "ユーザー ガイド",
        "card_help": "お問い合わせ",
        "card_help_short": "問い合わせ：",
        "card_dial": "内線",
        "card_edition": "発行",
        "card_person": "ご利用の電話",
        "card_extension": "内線番号",
        "card_login": "ログイン ID",
        "colon": "：",
        "card_qr": "QR コード：",
        "card_logo": "ロゴ",
        "card_drawing": "図",
        "qr_webclient": "Web クライアント",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "FortiClient をダウンロード",
        "sheet_duplex": "両面印刷（長辺とじ）、倍率 100%（実際のサイズ。「ページに合わせる」は"
        "使わない）で印刷してください。",
        "sheet_simplex": "片面印刷、倍率 100%（実際のサイズ。「ページに合わせる」は使わない）で"
        "印刷してください。",
        "sheet_cut": "各カードの四隅にあるトンボに沿って裁断してください。",
        "sheet_note": "シートの印刷方法",
        "pack_title": "{name} さんのクイック カード",
    },
    "zh": {
        "contents": "目录",
        "see_page": "（参见第\u00a0{n}\u00a0页）",
        "page": "页码",
        "of": "/",
        "figure": "图",
        "hint_info": "说明",
        "hint_success": "提示",
        "hint_warning": "注意",
        "hint_danger": "警告",
        "missing_image": "图片缺失",
        "remote_image": "未包含远程图片",
        "file": "附件",
        "embed": "在线内容",
        "step": "步骤",
        "api": "API",
        "built_on": "发布日期",
        "unknown_block": "无法识别的块",
        "guide": "用户指南",
        "card_help": "需要帮助？",
        "card_help_short": "帮助：",
        "card_dial": "分机",
        "card_edition": "版本",
        "card_person": "您的电话",
        "card_extension": "分机号",
        "card_login": "登录名",
        "colon": "：",
        "card_qr": "二维码：",
        "card_logo": "标志",
        "card_drawing": "示意图",
        "qr_webclient": "网页客户端",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "下载 FortiClient",
        "sheet_duplex": "请双面打印，沿长边翻转，按 100% 比例打印（实际大小，不要选择"
        "\u201c适合页面\u201d）。",
        "sheet_simplex": "请单面打印，按 100% 比例打印（实际大小，不要选择\u201c适合页面\u201d）。",
        "sheet_cut": "沿每张卡片四角的裁切标记裁切。",
        "sheet_note": "打印说明",
        "pack_title": "{name} 的快速参考卡",
    },
    # Traditional characters, as written in Taiwan (a page told Traditional by detect, or
    # language = "zh-Hant"); the zh table is Simplified, as written in mainland China.
    "zh-Hant": {
        "contents": "目錄",
        "see_page": "（參見第\u00a0{n}\u00a0頁）",
        "page": "頁碼",
        "of": "/",
        "figure": "圖",
        "hint_info": "說明",
        "hint_success": "提示",
        "hint_warning": "注意",
        "hint_danger": "警告",
        "missing_image": "圖片遺失",
        "remote_image": "未包含遠端圖片",
        "file": "附件",
        "embed": "線上內容",
        "step": "步驟",
        "api": "API",
        "built_on": "發布日期",
        "unknown_block": "無法辨識的區塊",
        "guide": "使用者指南",
        "card_help": "需要協助？",
        "card_help_short": "協助：",
        "card_dial": "分機",
        "card_edition": "版本",
        "card_person": "您的電話",
        "card_extension": "分機號碼",
        "card_login": "登入名稱",
        "colon": "：",
        "card_qr": "QR 碼：",
        "card_logo": "標誌",
        "card_drawing": "示意圖",
        "qr_webclient": "網頁用戶端",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "下載 FortiClient",
        "sheet_duplex": "請雙面列印，沿長邊翻轉，以 100% 比例列印（實際大小，不要選擇"
        "「符合頁面大小」）。",
        "sheet_simplex": "請單面列印，以 100% 比例列印（實際大小，不要選擇「符合頁面大小」）。",
        "sheet_cut": "沿每張卡片四角的裁切標記裁切。",
        "sheet_note": "列印說明",
        "pack_title": "{name} 的快速參考卡",
    },
    "ko": {
        "contents": "목차",
        "see_page": "\u00a0({n}페이지 참조)",
        "page": "페이지",
        "of": "/",
        "figure": "그림",
        "hint_info": "참고",
        "hint_success": "팁",
        "hint_warning": "주의",
        "hint_danger": "경고",
        "missing_image": "이미지 없음",
        "remote_image": "원격 이미지는 포함되지 않음",
        "file": "첨부 파일",
        "embed": "온라인 콘텐츠",
        "step": "단계",
        "api": "API",
        "built_on": "발행일",
        "unknown_block": "알 수 없는 블록",
        "guide": "사용자 가이드",
        "card_help": "도움이 필요하세요?",
        "card_help_short": "도움말:",
        "card_dial": "내선",
        "card_edition": "버전",
        "card_person": "내 전화",
        "card_extension": "내선 번호",
        "card_login": "로그인 ID",
        "colon": ":",
        "card_qr": "QR 코드:",
        "card_logo": "로고",
        "card_drawing": "그림",
        "qr_webclient": "웹 클라이언트",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "FortiClient 다운로드",
        "sheet_duplex": "양면으로, 긴 가장자리로 넘기기, 100% 배율로 인쇄하십시오(실제 크기,"
        " \u2018페이지에 맞춤\u2019 사용 안 함).",
        "sheet_simplex": "단면으로, 100% 배율로 인쇄하십시오(실제 크기, \u2018페이지에 맞춤\u2019"
        " 사용 안 함).",
        "sheet_cut": "각 카드 모서리의 재단선을 따라 자르십시오.",
        "sheet_note": "시트 인쇄 방법",
        "pack_title": "{name} 님의 빠른 참조 카드",
    },
    # Arabic: right to left (direction, below); digits are Western ones, as
    # the page numbers and the spaces' own text print them.
    "ar": {
        "contents": "المحتويات",
        "see_page": "\u00a0(انظر الصفحة\u00a0{n})",
        "page": "صفحة",
        "of": "/",
        "figure": "الشكل",
        "hint_info": "ملاحظة",
        "hint_success": "تلميح",
        "hint_warning": "تحذير",
        "hint_danger": "خطر",
        "missing_image": "صورة مفقودة",
        "remote_image": "صورة خارجية غير مضمّنة",
        "file": "ملف مرفق",
        "embed": "محتوى عبر الإنترنت",
        "step": "الخطوة",
        "api": "API",
        "built_on": "الإصدار بتاريخ",
        "unknown_block": "كتلة غير معروفة",
        "guide": "دليل المستخدم",
        "card_help": "هل تحتاج إلى مساعدة؟",
        "card_help_short": "المساعدة:",
        "card_dial": "تحويلة",
        "card_edition": "إصدار",
        "card_person": "هاتفك",
        "card_extension": "رقم التحويلة",
        "card_login": "اسم المستخدم",
        "colon": ":",
        "card_qr": "رمز QR:",
        "card_logo": "الشعار",
        "card_drawing": "رسم توضيحي",
        "qr_webclient": "عميل الويب",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "تنزيل FortiClient",
        "sheet_duplex": "اطبع على الوجهين مع القلب على الحافة الطويلة، بمقياس 100% (الحجم"
        " الفعلي، وليس \u00abملاءمة للصفحة\u00bb).",
        "sheet_simplex": "اطبع على وجه واحد بمقياس 100% (الحجم الفعلي، وليس \u00abملاءمة"
        " للصفحة\u00bb).",
        "sheet_cut": "قُصّ على طول علامات القص عند زوايا كل بطاقة.",
        "sheet_note": "طريقة طباعة الأوراق",
        "pack_title": "بطاقات مرجعية سريعة لـ {name}",
    },
}


def words(lang: str) -> dict[str, str]:
    """The wording for a language (its region's or script's, else its own: "pt-BR" is pt,
    "zh-TW" Traditional Chinese), English for any other."""
    return WORDS[table(lang, WORDS) or "en"]


# Chinese tags that mean Traditional characters: a script's, or a region writing them.
HANT = frozenset({"zh-hant", "zh-tw", "zh-hk", "zh-mo"})


def table(lang: str, tables: Mapping[str, object]) -> str | None:
    """The key of tables for lang: itself (in any case, "_" for "-"), zh-Hant for a Chinese
    tag of Traditional characters ("zh-TW", "zh-Hant-HK"), else its language alone ("pt" for
    "pt-BR"); None when tables has none of them."""
    tag = lang.strip().replace("_", "-").casefold()
    keys = {key.casefold(): key for key in tables}
    if tag in keys:
        return keys[tag]
    parts = tag.split("-")
    if parts[0] == "zh" and ("hant" in parts[1:] or "-".join(parts[:2]) in HANT):
        return keys.get("zh-hant", keys.get("zh"))
    return keys.get(parts[0])


# The commonest short words of the languages told apart by their words (builder.content
# .language for a page, builder.project.guess_language for a space).
FUNCTION_WORDS = {
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "sie", "den", "auf", "für",
           "ein", "eine", "dem", "wird", "werden", "sich", "auch", "von", "oder", "kann"},
    "es": {"el", "los", "las", "del", "por", "para", "una", "con", "como", "más", "está",
           "pero", "este", "esta", "puede", "también", "sus", "y"},
    "pt": {"os", "dos", "das", "não", "uma", "para", "com", "em", "ao", "você", "são", "pode",
           "também", "seu", "sua", "mais", "como", "está"},
    "it": {"il", "della", "delle", "che", "di", "per", "non", "sono", "gli", "nel", "alla",
           "anche", "questo", "può", "essere", "come", "più"},
    "nl": {"het", "een", "van", "niet", "met", "voor", "zijn", "op", "dat", "wordt", "worden",
           "kunt", "ook", "deze", "naar", "bij"},
    "pl": {"się", "nie", "jest", "do", "że", "jak", "dla", "lub", "oraz", "przez", "może",
           "są", "aby", "po", "ten", "jeśli", "w", "z"},
    "fr": {"le", "la", "les", "des", "est", "vous", "pour", "une", "et", "dans", "pas", "sur",
           "avec", "qui"},
    "en": {"the", "and", "is", "you", "for", "to", "of", "with", "your", "this", "that", "are",
           "can", "be"},
}  # fmt: skip


# -- the language of a text, by its script (builder.content.language tells a page's, builder
# .project.guess_language a space's: here, below both) -------------------------------------

# Each script with the language it is taken for, in the order they are told apart: kana
# make Han text Japanese, Hangul makes it Korean.
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
OTHERS = (
    ("ar", re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")),
    ("he", re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")),
    ("hi", re.compile("[\u0900-\u097f]")),
    ("th", re.compile("[\u0e00-\u0e7f]")),
)
GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
CYRILLIC = re.compile("[\u0400-\u04ff]")
# Letters of one Cyrillic language and not of Russian (and Russian's own, which they lack).
CYRILLIC_OWN = (
    ("uk", re.compile("[іїєґІЇЄҐ]")),
    ("sr", re.compile("[ђјљњћџЂЈЉЊЋЏ]")),
)
RUSSIAN_OWN = re.compile("[ыэъёЫЭЪЁ]")
# Any letter of the scripts above: a page with none is told by its words alone (detect).
SCRIPTS = re.compile(
    "|".join(p.pattern for p in (HANGUL, KANA, HAN, *(p for _, p in OTHERS), GREEK, CYRILLIC))
)
# Latin-script languages told by their commonest short words (FUNCTION_WORDS, as
# guess_language tells fr from en): a German, Spanish, Portuguese, Italian, Dutch or Polish page
# of an English or French space was hyphenated with the settings' patterns (or none).
WORD = re.compile(r"[^\W\d_]+")
RTL = frozenset({"ar", "he", "fa", "ur"})
SHARE = 0.3  # of a page's letters, for its script to be the page's
SAMPLE = 20_000  # characters read: the start of a page tells its language as well as all of it
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`|\]\([^)]*\)|<[^>]*>|https?://\S+", re.S)


def detect(text: str, prefer: str = "") -> str | None:
    """The language of text when its script tells it, else None (the settings' language).
    prefer: that language, which a Chinese text that is neither more Simplified nor more
    Traditional keeps (a page of a zh-Hant space: its own characters told nothing)."""
    text = CODE.sub(" ", text[:SAMPLE])
    letters = sum(map(str.isalpha, text))
    if letters < 4:
        return None
    if SCRIPTS.search(text) is None:  # no letter of the scripts below: each count is 0
        return _latin(text)
    least = SHARE * letters
    hangul, kana, han = (len(p.findall(text)) for p in (HANGUL, KANA, HAN))
    if hangul >= least:
        return "ko"
    if kana and kana + han >= least:
        return "ja"
    if han >= least:
        return _japanese_kanji(text, prefer) or _chinese(text, prefer)
    for lang, pattern in OTHERS:
        if len(pattern.findall(text)) >= least:
            return lang
    if len(CYRILLIC.findall(text)) >= least:
        russian = len(RUSSIAN_OWN.findall(text))
        own = [(len(p.findall(text)), lang) for lang, p in CYRILLIC_OWN]
        count, lang = max(own)
        return lang if count > russian else "ru"
    if len(GREEK.findall(text)) >= least:
        return "el"
    return _latin(text)


# Common characters of technical Chinese written one way in Simplified and another in
# Traditional (each of the pair used by one script only): 这/這, 们/們, 设/設, 网/網, ...
SIMPLIFIED = (
    "这们个来说为时会还对与从点开关页体应设装电话机号码线网发请务员过进选项单击连态"
    "图书门见长东车问题实现间让认记读写语档录输显钮键户络数据库统节复删储转换软载动"
    "断级类样种没无经给边将产业专区华买卖价钱银环层导启闭览视频声讯细测试执运营报处"
)
TRADITIONAL = (
    "這們個來說為時會還對與從點開關頁體應設裝電話機號碼線網發請務員過進選項單擊連態"
    "圖書門見長東車問題實現間讓認記讀寫語檔錄輸顯鈕鍵戶絡數據庫統節複刪儲轉換軟載動"
    "斷級類樣種沒無經給邊將產業專區華買賣價錢銀環層導啟閉覽視頻聲訊細測試執運營報處"
)

# Counted in one pass over a page each: 1.9 ms for 20,000 characters (str.count per character: 3.1).
SIMPLIFIED_ONLY = re.compile(f"[{SIMPLIFIED}]")
TRADITIONAL_ONLY = re.compile(f"[{TRADITIONAL}]")


# Kanji only Japanese writes (its shinjitai: 説 where Chinese writes 說 or 说, 変 for 變 or
# 变), and the characters of SIMPLIFIED and TRADITIONAL that Japanese writes too (設, 電, 話
# and 機 of Traditional, 号, 会 and 体 of Simplified): a text of kanji without kana was
# taken for Traditional Chinese by them.
JAPANESE_ONLY = re.compile("[説実単録転価営処読覧図気検険済続変択拡様関発権帰広応覚伝歩経総対戻]")
JAPANESE_TOO = (
    "来会点体号将数没断与装写区声机"
    "時開頁設電話機線網請務員過進選項連態書門見長東車問題現間認記語輸鍵絡庫統節複換軟載動"
    "級類種無給業華買銀環層導閉視頻細測試執運報個為還儲訊"
)
CHINESE_ONLY = re.compile(
    "[" + "".join(sorted({c for c in SIMPLIFIED + TRADITIONAL if c not in JAPANESE_TOO})) + "]"
)


def _japanese_kanji(text: str, prefer: str) -> str | None:
    """Japanese, "ja", for Han text without kana that is Japanese (more of its own kanji
    than of the characters only Chinese writes, CHINESE_ONLY; or, in a Japanese space,
    prefer, none of those); None otherwise: _chinese tells which Chinese."""
    japanese = len(JAPANESE_ONLY.findall(text))
    chinese = len(CHINESE_ONLY.findall(text))
    if japanese > chinese:
        return "ja"
    if chinese == 0 and table(prefer, WORDS) == "ja":
        return "ja"
    return None


def _chinese(text: str, prefer: str) -> str:
    """zh-Hant for Chinese written in Traditional characters (more of its own than of
    Simplified's, among the common ones that differ), zh for more of Simplified's; as
    prefer says (zh-Hant, else zh) when neither has more."""
    traditional = len(TRADITIONAL_ONLY.findall(text))
    simplified = len(SIMPLIFIED_ONLY.findall(text))
    if traditional == simplified:
        return "zh-Hant" if table(prefer, WORDS) == "zh-Hant" else "zh"
    return "zh-Hant" if traditional > simplified else "zh"


def _latin(text: str) -> str | None:
    """de, es, pt, it, nl or pl when the page's short words clearly say so; None for French and
    English (the settings' languages, told by the project) and when unsure."""
    from collections import Counter

    words = WORD.findall(text.lower())
    counts = Counter(words)
    hits = sorted(((sum(counts[w] for w in said), lang) for lang, said in FUNCTION_WORDS.items()),
                  reverse=True)  # fmt: skip
    (best, lang), (second, _) = hits[0], hits[1]
    sure = best >= 10 and best >= 1.5 * second and best >= 0.04 * len(words)
    return lang if sure and lang not in ("fr", "en") else None


def direction(lang: str) -> str:
    """The writing direction of a language: "rtl" or "ltr"."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"
