"""`python -m webapp idmake`: one JSON line per photo, the made files written."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from webapp.services.cli import main
from webapp.vision.idphoto import SPECS

from ..conftest import DATA

INPUTS = DATA / "idmake-inputs"


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_it_makes_each_photo_and_writes_its_files(tmp_path, capsys):
    photos = [str(INPUTS / "half-body-1.webp"), str(INPUTS / "half-body-3.jpg")]
    status = main(
        ["idmake", *photos, "--spec", "cn_passport", "--sheet", "6inch", "-o", str(tmp_path)]
    )
    out = lines(capsys.readouterr().out)
    assert [line["image"] for line in out] == photos
    for line in out:
        assert line["code"] == 200
        assert list(line["check"]) == ["pass", "reasons", "detect_result"]
        assert line["ready"] is line["check"]["pass"]
        made = Image.open(line["files"]["photo"])
        assert made.size == SPECS["cn_passport"].size_px
        assert Image.open(line["files"]["sheet"]).size == (1200, 1800)
        assert "base64" not in line["photo"]
    assert status == (0 if all(line["ready"] for line in out) else 1)


def test_it_takes_a_background_and_a_kb_range(tmp_path, capsys):
    main(
        [
            "idmake",
            str(INPUTS / "half-body-3.jpg"),
            "--spec",
            "cn_id_card",
            "--background",
            "#ffffff",
            "--kb",
            "10-30",
            "-o",
            str(tmp_path),
        ]
    )
    (line,) = lines(capsys.readouterr().out)
    size = (tmp_path / "half-body-3-cn_id_card.jpg").stat().st_size
    assert 10 * 1024 <= size <= 30 * 1024 and line["photo"]["kb_met"] is True
    assert "sheet" not in line["files"]


def test_a_missing_or_faceless_photo_is_its_own_line(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 400), "white").save(blank)
    status = main(["idmake", str(tmp_path / "nope.jpg"), str(blank), "-o", str(tmp_path / "o")])
    missing, faceless = lines(capsys.readouterr().out)
    assert missing["code"] == 203 and faceless["code"] == 205
    assert status == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--spec", "moon_visa"], "specification 'moon_visa'; known: cn_id_card"),
        (["--background", "tartan"], "tartan"),
        (["--kb", "30-10"], "30-10"),
    ],
)
def test_bad_options_stop_before_any_photo(tmp_path, capsys, args, words):
    status = main(["idmake", str(INPUTS / "half-body-3.jpg"), *args, "-o", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == "" and words in captured.err
