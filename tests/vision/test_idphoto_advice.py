"""Every rule's advice, in both languages, under every specification: one rule, one number.

The text a person reads, the limit it shows and the limit the rule applies come from
the rule table; these tests walk every rule the check reads (without a specification
and under each one), write its advice in English and in Chinese, read the numbers back
out of the text and hold them against the limit :func:`rule_limits` applies, and check
that the rule really flips there.
"""

from __future__ import annotations

import re

import pytest

from webapp.vision.idphoto import RULES, RULES_BY_CODE, SPECS, evaluate, rule_limits
from webapp.vision.idphoto.rules import CAUSES, COLOUR_NAMES_ZH, TOPICS, advice, leading

CASES = [
    (spec_name, rule.code, lang)
    for spec_name in [None, *SPECS]
    for rule, _ in rule_limits(SPECS.get(spec_name or ""))
    for lang in ("en", "zh")
]
#: Latin letters allowed in Chinese text: units and file formats as Chinese readers see them.
LATIN_IN_CHINESE = {"KB", "JPG", "PNG", "WEBP", "BMP"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")

#: A figure each kind of rule could read, to fill ``{value}``: the advice shows it too.
SAMPLE = {
    "width": 0.123,
    "height": 0.047,
    "degrees": -23.4,
    "bytes": 7_654_321,
    "size": [777, 999],
    "dpi": [72, 72],
    "format": "png",
    "colour": [10, 20, 30],
    "none": 0,
    "count": 2,
}


def _numbers(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


def _written(text: str, lang: str, value: object, rule) -> list[float]:
    """The numbers of ``text`` less those that write the sample figure."""
    numbers = _numbers(text)
    for n in _sample_numbers(rule, value):
        if n in numbers:
            numbers.remove(n)
    return numbers


def _sample_numbers(rule, value) -> list[float]:
    unit = rule.unit
    if unit in ("width", "height"):
        return [round(value * 100, 2)]  # and its mm, below
    if unit == "degrees":
        return [round(abs(value), 1)]
    if unit == "bytes":
        return [round(value / 1000, 1)]
    if unit in ("size", "dpi"):
        return [float(value[0])] + ([float(value[1])] if unit == "size" else [])
    return []


@pytest.mark.parametrize(("spec_name", "code", "lang"), CASES)
def test_the_advice_shows_the_limit_the_rule_applies(spec_name, code, lang):
    spec = SPECS.get(spec_name or "")
    rule = RULES_BY_CODE[code]
    limit = dict((r.code, lim) for r, lim in rule_limits(spec))[code]
    value = SAMPLE[rule.unit]
    text = advice(rule, limit=limit, value=value, spec=spec, lang=lang)
    assert "{" not in text and "}" not in text, text
    assert text.strip() and text[-1] in ".。", text

    # The language: no Chinese in English, no English in Chinese.
    if lang == "en":
        assert not CJK.search(text), text
    else:
        latin = set(re.findall(r"[A-Za-z]+", text))
        assert latin <= LATIN_IN_CHINESE, (latin, text)

    # The numbers: exactly those of the limit (and the figure read), in the rule's unit.
    numbers = _written(text, lang, value, rule)
    if rule.unit in ("width", "height"):
        pct = round(limit * 100, 2)
        assert pct in numbers, (pct, text)
        numbers.remove(pct)
        # The percentage shown is the limit applied, to the precision shown.
        assert abs(pct / 100 - limit) <= 0.00005 + 1e-12
        if spec is not None:
            side = spec.size_mm[0 if rule.unit == "width" else 1]
            mm = round(limit * side, 1)
            sample_mm = round(value * side, 1)
            unit = " mm" if lang == "en" else "毫米"
            assert f"{mm:g}{unit}" in text and f"{sample_mm:g}{unit}" in text, text
            numbers.remove(mm)
            numbers.remove(sample_mm)
    elif rule.unit == "degrees":
        assert f"{limit:g}°" in text, text
        numbers.remove(float(limit))
    elif rule.unit == "bytes":
        assert f"{limit / 1000:g} KB" in text, text
        numbers.remove(limit / 1000)
    elif rule.unit == "size":
        sizes = [spec.size_px] + ([spec.size_px_max] if spec.size_px_max else [])
        for w, h in sizes:
            assert (f"{w} × {h} px" if lang == "en" else f"{w}×{h}像素") in text, text
            numbers.remove(w)
            numbers.remove(h)
    elif rule.unit == "dpi":
        assert str(spec.dpi) in text, text
        numbers.remove(spec.dpi)
    elif rule.unit == "format":
        assert all(f.upper() in text for f in spec.formats), text
    elif rule.unit == "colour":
        names = [c.name if lang == "en" else COLOUR_NAMES_ZH[c.name] for c in spec.backgrounds]
        assert all(name in text for name in names), text
    assert numbers == [], f"numbers the rule does not apply: {numbers} in {text!r}"


@pytest.mark.parametrize(
    ("spec_name", "code", "lang"), [c for c in CASES if RULES_BY_CODE[c[1]].op != "false"]
)
def test_the_rule_flips_at_the_limit_shown(spec_name, code, lang):
    """A figure just inside the limit passes, just outside fails: the text tells the truth."""
    spec = SPECS.get(spec_name or "")
    rule = RULES_BY_CODE[code]
    limit = dict((r.code, lim) for r, lim in rule_limits(spec))[code]
    if rule.op == "is":
        assert code in evaluate({rule.figure: limit}, spec=spec)
        return
    step = 1e-6 if isinstance(limit, float) or rule.unit in ("width", "height") else 1
    inside = {"min": limit, "max": limit, "abs_max": -limit}[rule.op]
    outside = {"min": limit - step, "max": limit + step, "abs_max": -(limit + step)}[rule.op]
    assert code not in evaluate({rule.figure: inside}, spec=spec)
    assert code in evaluate({rule.figure: outside}, spec=spec)


def test_every_rule_has_a_topic_a_unit_and_advice_in_both_languages():
    for rule in RULES:
        assert rule.topic in TOPICS, rule.code
        assert rule.unit in SAMPLE, rule.code
        assert rule.fix_en and rule.fix_zh, rule.code
        for text in (rule.fix_en, rule.fix_zh):
            assert set(re.findall(r"{(\w*)}", text)) <= {"limit", "value"}, rule.code
        assert not _numbers(rule.fix_en) and not _numbers(rule.fix_zh), (
            f"{rule.code}: numbers come from the limit, not the text"
        )


def test_a_spec_check_writes_the_files_own_figure():
    spec = SPECS["cn_id_card"]
    dpi = RULES_BY_CODE["wrong_dpi"]
    assert advice(dpi, limit=None, value=None, spec=spec, lang="en") == (
        "The file must carry a resolution of 350 dpi; this one has none. Save it again with "
        "that resolution set (most photo editors can)."
    )
    assert "这张的分辨率：未设置" in advice(dpi, limit=None, value=None, spec=spec, lang="zh")
    size = RULES_BY_CODE["wrong_size"]
    assert "this one is 600 × 800 px" in advice(
        size, limit=None, value=[600, 800], spec=spec, lang="en"
    )


def test_a_group_photo_leads_with_one_person_and_hides_what_it_causes():
    reasons = [
        "multiple_faces",
        "face_too_small",
        "face_too_right",
        "head_tilted",
        "background_cluttered",
        "wrong_dpi",
    ]
    shown, hidden = leading(reasons)
    assert shown == ["multiple_faces", "wrong_dpi"]
    assert set(hidden) == set(reasons) - set(shown)
    assert set(hidden.values()) == {"multiple_faces"}


def test_a_turned_head_explains_a_covered_nose_and_comes_first():
    shown, hidden = leading(["head_tilted", "head_turned", "nose_occluded", "too_dark"])
    assert shown == ["head_turned", "head_tilted", "too_dark"]
    assert hidden == {"nose_occluded": "head_turned"}


def test_the_order_is_person_face_framing_light_background_file():
    order = ["wrong_size", "background_cluttered", "too_dark", "face_too_low", "eyes_closed"]
    assert leading(order)[0] == list(reversed(order))
    assert leading(["made-up reason", "too_dark"])[0] == ["too_dark", "made-up reason"]
    for cause, caused in CAUSES.items():
        assert cause in RULES_BY_CODE and caused <= set(RULES_BY_CODE), cause


def test_each_rules_reading_speaks_of_its_own_default_limit():
    """The notes on how the check service's thresholds read carry no number of their own."""
    for rule in RULES:
        reading = rule.reading.replace("ISO/IEC 19794-5", "")
        numbers = set(_numbers(reading))
        allowed = {float(rule.limit)} if isinstance(rule.limit, (int, float)) else set()
        assert numbers <= allowed, (rule.code, rule.reading)


@pytest.mark.parametrize("spec_name", [None, *SPECS])
def test_the_bands_drawn_are_the_limits_applied(spec_name):
    """The overlay's allowed bands come from the same limits as the rules and their words."""
    from webapp.vision.idphoto.drawing import BAND_RULES, _bands

    spec = SPECS.get(spec_name or "")
    limits = {rule.code: limit for rule, limit in rule_limits(spec)}
    bands = _bands(spec, 600, 800)
    for name, (low, high, side) in BAND_RULES.items():
        if low not in limits:
            assert name not in bands, name
            continue
        scale = 600 if side == "width" else 800
        assert bands[name] == (round(limits[low] * scale, 1), round(limits[high] * scale, 1))
    assert "face_centre" in bands and ("eye_line" in bands) == (spec is None or bool(spec.eye_line))
