"""python -m webapp idcheck: one ID-photo check service body per photo."""

from __future__ import annotations

import io
import json
from pathlib import Path

from webapp.services.idphoto import check_body, run_cli

SET = Path(__file__).resolve().parents[1] / "data" / "idphoto"


def test_a_checked_photo_has_the_services_body():
    body = check_body((SET / "hv1-sidelight.jpg").read_bytes(), task_no="090009626222013261395536")
    assert set(body) == {"code", "msg", "taskNo", "data"}
    assert (body["code"], body["msg"], body["taskNo"]) == (200, "成功", "090009626222013261395536")
    assert set(body["data"]) == {"pass", "reasons", "detect_result"}
    assert body["data"]["pass"] is False
    assert "光照不均匀" in body["data"]["reasons"]  # the service's words
    assert body["data"]["detect_result"]["size_pix"] == [600, 800]
    json.dumps(body, ensure_ascii=False)


def test_a_compliant_photo_passes_with_no_reasons():
    body = check_body((SET / "hv3-base.jpg").read_bytes())
    assert body["code"] == 200 and body["data"]["pass"] is True and body["data"]["reasons"] == []


def test_errors_have_their_codes():
    assert check_body(b"hello")["code"] == 209
    assert check_body((SET / "hv3-base.jpg").read_bytes(), spec="nope")["code"] == 207
    blank = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (300, 400), "white").save(blank, "JPEG")
    body = check_body(blank.getvalue())
    assert (body["code"], body["msg"], body["data"]) == (205, "图片中找不到人脸", None)


def test_run_cli_prints_one_body_per_photo(tmp_path):
    out = io.StringIO()
    missing = tmp_path / "missing.jpg"
    code = run_cli([str(SET / "hv3-base.jpg"), str(missing)], None, out=out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["code"] == 200 and first["data"]["pass"] is True
    assert second["code"] == 203
    assert code == 1


def test_run_cli_exits_0_when_every_photo_passes():
    out = io.StringIO()
    assert run_cli([str(SET / "spec-us_passport-ok.jpg")], "us_passport", out=out) == 0
    assert json.loads(out.getvalue())["data"]["pass"] is True
