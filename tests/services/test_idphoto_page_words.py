"""The ID check report's own words: every one in both languages, each in its own language."""

from __future__ import annotations

import re

from django.utils import translation

from webapp.services.idphoto import ERROR_ADVICE, LAYERS, TEXT, VALUE_WORDS, page_language
from webapp.wire.idphoto import CODES

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LATIN_IN_CHINESE = {"KB", "JPG", "PNG", "WebP", "BMP"}


def _english(text: str) -> None:
    assert not CJK.search(text), text


def _chinese(text: str) -> None:
    assert CJK.search(text), text
    words = re.sub(r"{\w+}", "", text)
    assert set(re.findall(r"[A-Za-z]+", words)) <= LATIN_IN_CHINESE, text


def test_every_word_of_the_report_is_in_both_languages():
    assert TEXT["en"].keys() == TEXT["zh"].keys()
    for key in TEXT["en"]:
        _english(TEXT["en"][key])
        _chinese(TEXT["zh"][key])
        assert re.findall(r"{\w+}", TEXT["en"][key]) == re.findall(r"{\w+}", TEXT["zh"][key]), key
    for name, (en, zh) in ERROR_ADVICE.items():
        assert name in CODES, name
        _english(en)
        _chinese(zh)
    for _, en, zh in LAYERS:
        _english(en)
        _chinese(zh)
    assert VALUE_WORDS["en"].keys() == VALUE_WORDS["zh"].keys()
    for value in VALUE_WORDS["en"]:
        _english(VALUE_WORDS["en"][value])
        _chinese(VALUE_WORDS["zh"][value])


def test_the_report_speaks_the_sites_language():
    for code, lang in (("en", "en"), ("zh-hans", "zh"), ("zh-cn", "zh"), ("fr", "en")):
        with translation.override(code):
            assert page_language() == lang, code
