"""python -m webapp fuse: a fused image written to a file, Tencent's code printed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from webapp.services.fusion import run_cli
from webapp.vision.fusion import AI_STATEMENT

FACES = Path(__file__).parent.parent / "data" / "faces"


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
