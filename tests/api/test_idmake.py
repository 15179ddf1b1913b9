"""`POST /idphoto/make`: an ID photo made in one call, with a real worker and engine."""

from __future__ import annotations

import base64
import io
import json

import pytest
from django.test import Client
from PIL import Image

from webapp.photos.models import Job
from webapp.vision.idphoto import SPECS, check_id_photo
from webapp.wire.idphoto import reason_codes

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/idphoto/make"
INPUTS = DATA / "idmake-inputs"


def keys(cred: dict[str, str]) -> dict[str, str]:
    return {"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def photo(name: str = "half-body-1.webp") -> bytes:
    return (INPUTS / name).read_bytes()


def post(fields: dict, headers: dict[str, str]):
    return Client().post(URL, json.dumps(fields), content_type="application/json", headers=headers)


def test_it_makes_a_photo_its_sheet_and_its_check_in_one_call(credential, with_worker):
    fields = {"base64": b64(photo()), "spec": "cn_passport", "layout": "6inch"}
    response = with_worker(lambda: post(fields, keys(credential)))
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert list(body) == ["code", "msg", "taskNo", "data"]
    assert (body["code"], body["msg"]) == (200, "成功")
    data = body["data"]
    assert list(data) == ["ready", "photo", "sheet", "fixed", "retake", "check"]
    # The photo: the document's exact pixels, its dpi written in the file.
    made = base64.b64decode(data["photo"]["base64"])
    picture = Image.open(io.BytesIO(made))
    spec = SPECS["cn_passport"]
    assert picture.format == "JPEG" and picture.size == spec.size_px
    assert round(picture.info["dpi"][0]) == data["photo"]["dpi"] == (spec.dpi or 300)
    assert data["photo"]["size_kb"] == round(len(made) / 1024, 1)
    assert data["photo"]["kb_met"] is True
    low, high = spec.file_size
    assert low <= len(made) <= high, "the document's own file-size range"
    # The check is the made file's, as /idphoto/check answers it.
    assert list(data["check"]) == ["pass", "reasons", "detect_result"]
    again = check_id_photo(made, spec="cn_passport")
    assert data["check"]["pass"] is again.passed and data["ready"] is again.passed
    assert data["check"]["detect_result"]["size_pix"] == list(spec.size_px)
    assert "cropped" in data["fixed"] and "background" in data["fixed"]
    assert isinstance(data["retake"], list)
    # The sheet: 6-inch paper at 300 dpi, as many copies as fit.
    sheet = Image.open(io.BytesIO(base64.b64decode(data["sheet"]["base64"])))
    assert sheet.size == (1200, 1800) and data["sheet"]["paper_mm"] == [101.6, 152.4]
    assert data["sheet"]["copies"] == data["sheet"]["rows"] * data["sheet"]["columns"] >= 4
    # The job kept neither file, nor the upload.
    job = Job.objects.get()
    assert (job.kind, job.source) == (Job.Kind.ID_MAKE, Job.Source.API)
    assert not job.result_image and not job.second_image and not job.photo.file
    assert job.result["data"]["photo"]["base64"] == "", "never the image inside the body"


def test_it_takes_a_background_a_kb_range_and_a_form(credential, with_worker):
    def call():
        return Client().post(
            URL,
            {
                "base64": b64(photo("half-body-3.jpg")),
                "spec": "cn_id_card",
                "background": "blue",
                "kb": "15-40",
                "render": "updown",
            },
            headers=keys(credential),
        )

    data = with_worker(call).json()["data"]
    made = base64.b64decode(data["photo"]["base64"])
    assert 15 * 1024 <= len(made) <= 40 * 1024 and data["photo"]["kb_met"]
    assert data["sheet"] is None
    top_left = Image.open(io.BytesIO(made)).convert("RGB").getpixel((3, 3))
    assert abs(top_left[2] - 219) < 25 and top_left[0] < 120, top_left  # ID-photo blue on top
    # The ID card accepts only white: the check of the made photo says so.
    assert "wrong_background_colour" in reason_codes(data["check"]["reasons"])
    assert data["ready"] is False


def test_it_makes_a_custom_size(credential, with_worker):
    fields = {
        "base64": b64(photo()),
        "size_mm": "35x45",
        "dpi": 300,
        "head_height": "0.6-0.75",
        "background": "#ffffff",
    }
    data = with_worker(lambda: post(fields, keys(credential))).json()["data"]
    made = Image.open(io.BytesIO(base64.b64decode(data["photo"]["base64"])))
    assert made.size == (413, 531)
    assert data["check"]["detect_result"]["size_pix"] == [413, 531]


def test_a_photo_without_a_face_is_the_check_services_no_face(credential, with_worker):
    fields = {"base64": b64(image_bytes((400, 500), "white", "JPEG"))}
    response = with_worker(lambda: post(fields, keys(credential)))
    body = response.json()
    assert body["code"] == 205 and body["data"] is None
    assert body["msg"].startswith("图片中找不到人脸")


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"spec": "moon_visa"}, 207, "moon_visa"),
        ({"background": "tartan"}, 400, "'background'"),
        ({"kb": "30-10"}, 400, "'kb'"),
        ({"kb": "lots"}, 400, "'kb'"),
        ({"layout": "a3"}, 400, "'layout'"),
        ({"render": "sideways"}, 400, "'render'"),
        ({"size_mm": "35x45"}, 400, "head_height"),
        ({"size_mm": "35 by 45"}, 400, "'size_mm'"),
        ({"size_mm": "35x45", "head_height": "0.6-0.75", "spec": "cn_passport"}, 400, "either"),
        ({"width_mm": "35"}, 400, "'height_mm'"),
        ({"size_mm": "35x45", "head_height": "0.9-0.2"}, 400, "head_height"),
    ],
)
def test_bad_fields_are_answered_before_any_job(credential, fields, code, words):
    body = post({"base64": b64(photo()), **fields}, keys(credential)).json()
    assert body["code"] == code, body
    assert words in body["msg"]
    assert not Job.objects.exists()


def test_it_takes_the_check_apis_credentials(credential):
    response = post({"base64": b64(photo())}, {})
    assert response.status_code == 401 and response.json()["code"] == 400
    wrong = {"X-Api-Key": credential["secret_id"], "X-Api-Secret": "nope"}
    assert post({"base64": b64(photo())}, wrong).status_code == 401
    assert Client().get(URL).status_code == 405


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_every_document_is_made_with_its_print_sheet(credential, with_worker, spec):
    # Some documents' files are not their prints' shape (a UK passport photo is 600x750
    # online, 35x45 mm printed; a Chinese visa photo 354x472, 33x48 mm): the sheet is laid
    # out from the photo cut to its printed shape, never refused or stretched.
    fields = {"base64": b64(photo()), "spec": spec, "layout": "6inch"}
    body = with_worker(lambda: post(fields, keys(credential))).json()
    assert body["code"] == 200, body["msg"]
    sheet = body["data"]["sheet"]
    assert sheet["copies"] >= 2
    page = Image.open(io.BytesIO(base64.b64decode(sheet["base64"])))
    assert page.size == (1200, 1800) or page.size == (1800, 1200), "6 x 4 inches at 300 dpi"


def test_a_custom_size_larger_than_the_paper_is_a_bad_layout(credential, with_worker):
    fields = {
        "base64": b64(photo("half-body-3.jpg")),
        "size_mm": "100x120",
        "dpi": "100",
        "head_height": "0.6-0.8",
        "layout": "5inch",
    }
    response = with_worker(lambda: post(fields, keys(credential)))
    body = response.json()
    assert response.status_code == 400 and body["code"] == 400
    assert body["msg"].startswith("参数错误: 'layout': A 100x120 mm photo does not fit")
