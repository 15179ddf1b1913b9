"""The face-fusion wire format and command line (no Django)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from webapp.vision.errors import IMAGE_ERROR_CODES
from webapp.vision.fusion import AI_STATEMENT, REASONS
from webapp.wire.fusion import (
    ERRORS,
    IMAGE_ERRORS,
    REASON_ERRORS,
    error_body,
    error_for_ret,
    error_message,
    ret_value,
    run_cli,
    success_body,
)

FACES = Path(__file__).parent.parent / "data" / "faces"

TENCENT_RETS = {
    0, 1000, -1, -3, -4, -5, -6, -7, -8,
    -1000, -1001, -1002, -1003, -1004, -1005, -1007, -1008, -1009,
    -2011, -2100, -2102, -2103,
    -20001, -20002, -20003, -20004, -20005,
}  # fmt: skip


def test_the_table_has_every_code_of_tencents_table() -> None:
    assert {e.ret for e in ERRORS.values()} == TENCENT_RETS
    assert all(name == e.name for name, e in ERRORS.items())


def test_the_table_keeps_tencents_meanings() -> None:
    assert ERRORS["no_face"].meaning == "无人脸"
    assert ERRORS["template_no_face"].meaning == "模板无人脸"
    assert ERRORS["image_too_large"].meaning == "图片尺寸太大"
    assert ERRORS["rate_limited"].meaning == "访问频率超出限制"
    assert ERRORS["backend_down"].meaning == "后端服务故障"


def test_every_engine_reason_and_image_error_has_a_code() -> None:
    assert set(REASON_ERRORS) == set(REASONS)
    assert set(IMAGE_ERRORS) == set(IMAGE_ERROR_CODES)
    assert all(name in ERRORS for name in [*REASON_ERRORS.values(), *IMAGE_ERRORS.values()])
    assert ERRORS[REASON_ERRORS["no_face"]].ret == 1000
    assert ERRORS[REASON_ERRORS["template_no_face"]].ret == -8


def test_success_body_sends_ret_as_an_integer() -> None:
    body = success_body("http://localhost/r/abc.jpg")
    assert body == {"ret": 0, "img_url": "http://localhost/r/abc.jpg"}
    assert json.dumps(body) == '{"ret": 0, "img_url": "http://localhost/r/abc.jpg"}'


def test_error_body() -> None:
    assert error_body("missing_field", field="model_id") == {
        "ret": -6,
        "img_url": "",
        "msg": "The field 'model_id' is required.",
    }


def test_error_message_shows_missing_parameters() -> None:
    assert error_message("bad_field", field="uin") == "The field 'uin' is invalid: ?."


@pytest.mark.parametrize(
    "ret, name",
    [(-2011, "rate_limited"), (-2015, "rate_limited"), (-8, "template_no_face"), (1000, "no_face")],
)
def test_error_for_ret(ret: int, name: str) -> None:
    error = error_for_ret(ret)
    assert error is not None and error.name == name


def test_error_for_an_unknown_ret() -> None:
    assert error_for_ret(-2016) is None


@pytest.mark.parametrize("body, ret", [({"ret": 0}, 0), ({"ret": "0"}, 0), ({"ret": "-8"}, -8)])
def test_ret_value_reads_both_forms(body: dict, ret: int) -> None:
    assert ret_value(body) == ret


@pytest.mark.parametrize("body", [{}, {"ret": None}, {"ret": True}, {"ret": "zero"}])
def test_ret_value_rejects_non_integers(body: dict) -> None:
    with pytest.raises(ValueError):
        ret_value(body)


def test_run_cli_writes_a_marked_jpeg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "fused.jpg"
    status = run_cli(str(FACES / "astronaut.png"), str(FACES / "obama.jpg"), 80, 100, str(out))
    assert status == 0
    assert capsys.readouterr().out == f"ret 0: {out}\n"
    with Image.open(io.BytesIO(out.read_bytes())) as im:
        assert im.format == "JPEG" and im.size == (512, 512)
        assert im.getexif()[0x010E] == AI_STATEMENT


def test_run_cli_writes_png_by_suffix(tmp_path: Path) -> None:
    out = tmp_path / "fused.png"
    assert run_cli(str(FACES / "astronaut.png"), str(FACES / "obama.jpg"), 100, 100, str(out)) == 0
    with Image.open(out) as im:
        assert im.format == "PNG" and im.text["Description"] == AI_STATEMENT


def test_run_cli_reports_no_face(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (90, 120, 150)).save(blank)
    status = run_cli(str(FACES / "astronaut.png"), str(blank), 100, 100, str(tmp_path / "o.jpg"))
    assert status == 1
    assert capsys.readouterr().err.startswith("ret 1000: No face was found in the photo.")
    assert not (tmp_path / "o.jpg").exists()


def test_run_cli_reports_a_template_without_a_face(tmp_path: Path, capsys) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (90, 120, 150)).save(blank)
    status = run_cli(str(blank), str(FACES / "obama.jpg"), 100, 100, str(tmp_path / "o.jpg"))
    assert status == 1
    assert capsys.readouterr().err == f"ret -8: The template ({blank}) has no face to replace.\n"


def test_run_cli_reports_a_file_that_is_not_an_image(tmp_path: Path, capsys) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("hello")
    status = run_cli(str(text), str(FACES / "obama.jpg"), 100, 100, str(tmp_path / "o.jpg"))
    assert status == 2
    assert (
        capsys.readouterr().err
        == "ret -1001: The image cannot be used. The file is not an image.\n"
    )


def test_run_cli_reports_a_missing_file(tmp_path: Path, capsys) -> None:
    status = run_cli(
        str(tmp_path / "none.jpg"), str(FACES / "obama.jpg"), 100, 100, str(tmp_path / "o.jpg")
    )
    assert status == 2
    missing = tmp_path / "none.jpg"
    assert capsys.readouterr().err == (
        f"ret -1001: The image cannot be used. {missing}: No such file or directory.\n"
    )


@pytest.mark.parametrize("shape, features", [(101, 0), (0, -1)])
def test_run_cli_rejects_degrees_outside_0_to_100(tmp_path: Path, capsys, shape, features) -> None:
    status = run_cli(
        str(FACES / "astronaut.png"),
        str(FACES / "obama.jpg"),
        shape,
        features,
        str(tmp_path / "o.jpg"),
    )
    assert status == 2
    assert "ret -1000: The field" in capsys.readouterr().err
