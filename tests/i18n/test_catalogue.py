"""The Chinese catalogue: complete, compiled as committed, and covering every marked string."""

from __future__ import annotations

import gettext

import pytest
from django.utils import translation

from webapp.core import messages
from webapp.wire import fusion as fusion_wire
from webapp.wire.codes import ERRORS

from .catalogue import (
    BILINGUAL_ELSEWHERE,
    CODE,
    MO,
    PO,
    ROOT,
    TEMPLATES,
    code_strings,
    read_po,
    template_strings,
    untranslated_words,
)


def test_every_entry_of_the_catalogue_is_translated():
    entries = read_po()
    assert len(entries) > 150
    empty = [k for k, v in entries.items() if not (v if isinstance(v, str) else all(v.values()))]
    assert empty == []


def test_the_committed_mo_is_the_po_compiled():
    # A fresh machine has no gettext tools: the .mo is committed, and must say what the .po says.
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    assert compiled.info()["language"] == "zh_Hans"
    catalog = compiled._catalog  # every (msgid) and (msgid, n) the .mo holds
    expected = {}
    for key, value in read_po().items():
        if isinstance(key, tuple):
            for n, text in value.items():
                expected[(key[0], n)] = text
        else:
            expected[key] = value
    held = {k: v for k, v in catalog.items() if k != ""}
    assert held == expected


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_every_string_a_template_marks_is_in_the_catalogue(path):
    entries = read_po()
    missing = sorted(map(str, template_strings(path) - entries.keys()))
    assert missing == [], f"run `manage.py makemessages -l zh_Hans` and translate: {missing}"


def test_every_string_the_code_marks_is_in_the_catalogue():
    entries = read_po()
    missing = {
        str(path.relative_to(ROOT)): sorted(map(str, code_strings(path) - entries.keys()))
        for path in CODE
    }
    assert {k: v for k, v in missing.items() if v} == {}


@pytest.mark.parametrize(
    "path",
    [p for p in TEMPLATES if str(p.relative_to(ROOT / "templates")) not in BILINGUAL_ELSEWHERE],
    ids=lambda p: str(p.relative_to(ROOT / "templates")),
)
def test_no_template_shows_english_outside_its_translate_tags(path):
    assert untranslated_words(path) == []


def test_the_walk_finds_english_outside_translate_tags(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<p title="Zoom in">{% translate "Share" %} Copy link</p>'
        "{% blocktranslate %}Kept {{ x }}{% endblocktranslate %} <b>Likeness</b>"
    )
    assert untranslated_words(page) == ["Zoom", "in", "Copy", "link"]
    assert template_strings(page) == {"Share", "Kept %(x)s"}


def test_the_pages_say_what_the_apis_say_in_english():
    # One wording: where a failure has a name in the wire vocabulary, the page's English is it.
    shared = messages.MESSAGES.keys() & ERRORS.keys()
    assert len(shared) >= 15
    with translation.override("en"):
        for code in shared:
            assert str(messages.MESSAGES[code]) == ERRORS[code].message, code


def test_the_po_is_where_the_settings_look():
    from django.conf import settings

    assert PO.parent.parent.parent in [p.resolve() for p in map(type(PO), settings.LOCALE_PATHS)]


def test_a_fusion_without_a_result_is_said_in_the_pages_words():
    with translation.override("en"):
        for name, message in messages.FUSION_MESSAGES.items():
            wire_message = fusion_wire.ERRORS[name].message
            assert str(message) == wire_message.split(" {")[0].replace(" ({model_id})", ""), name
        assert messages.fusion_failure("no_such") == str(messages.FUSION_OTHER)
    with translation.override("zh-hans"):
        assert messages.fusion_failure("template_no_face") == "模板里没有可替换的人脸。"
