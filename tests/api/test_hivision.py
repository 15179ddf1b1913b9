"""HivisionIDPhotos' endpoints, drop-in: fields, defaults, answers, failures, credentials."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from webapp.core.models import SiteSettings
from webapp.photos.models import Job

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

INPUTS = DATA / "idmake-inputs"
PERSON = (INPUTS / "half-body-3.jpg").read_bytes()


def keys(cred: dict[str, str]) -> dict[str, str]:
    return {"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]}


def upload(data: bytes = PERSON, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def decode(uri: str) -> Image.Image:
    """An image of an answer: Hivision sends data URIs."""
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.partition(",")[2])))


def png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def transparent_person() -> bytes:
    """An RGBA photo: a grey disc (the person) on a transparent background."""
    rgba = np.zeros((300, 240, 4), np.uint8)
    yy, xx = np.mgrid[:300, :240]
    inside = (yy - 150) ** 2 + (xx - 120) ** 2 < 80**2
    rgba[inside] = (90, 80, 70, 255)
    return png(rgba)


# --- The endpoints that need the face graphs (a job in the worker) ------------------


def test_idphoto_answers_standard_and_hd_transparent_pngs_with_the_defaults(
    credential, with_worker
):
    response = with_worker(
        lambda: Client().post("/idphoto", {"input_image": upload()}, headers=keys(credential))
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "image_base64_standard", "image_base64_hd"]
    assert body["status"] is True
    standard, hd = decode(body["image_base64_standard"]), decode(body["image_base64_hd"])
    assert standard.mode == "RGBA" and standard.size == (295, 413)  # width, height defaults
    assert round(standard.info["dpi"][0]) == 300
    assert hd.mode == "RGBA" and hd.size[0] >= 295
    alpha = np.asarray(standard)[:, :, 3]
    assert alpha[0, 0] == 0 and alpha[300, 147] == 255, "transparent around, opaque person"
    job = Job.objects.get()
    assert job.kind == Job.Kind.ID_MAKE and job.params["op"] == "hivision_idphoto"
    assert job.params["head_measure_ratio"] == 0.2 and job.params["top_distance_max"] == 0.12
    assert not job.result_image and not job.second_image and not job.photo.file


def test_idphoto_takes_base64_json_its_size_dpi_and_hd_off(credential, with_worker):
    fields = {
        "input_image_base64": "data:image/jpeg;base64," + base64.b64encode(PERSON).decode(),
        "height": 531,
        "width": 413,
        "dpi": 600,
        "hd": False,
        "face_detect_model": "retinaface-resnet50",
        "human_matting_model": "birefnet-v1-lite",
    }
    response = with_worker(
        lambda: Client().post(
            "/idphoto",
            json.dumps(fields),
            content_type="application/json",
            headers=keys(credential),
        )
    )
    body = response.json()
    assert list(body) == ["status", "image_base64_standard"]
    standard = decode(body["image_base64_standard"])
    assert standard.size == (413, 531) and round(standard.info["dpi"][0]) == 600


def test_idphoto_without_a_face_is_status_false(credential, with_worker):
    blank = upload(image_bytes((300, 400), "white", "JPEG"))
    response = with_worker(
        lambda: Client().post("/idphoto", {"input_image": blank}, headers=keys(credential))
    )
    assert response.status_code == 200 and response.json() == {"status": False}


def test_idphoto_crop_keeps_the_photos_own_background(credential, with_worker):
    response = with_worker(
        lambda: Client().post(
            "/idphoto_crop",
            {"input_image": upload(), "height": "413", "width": "295", "hd": "false"},
            headers=keys(credential),
        )
    )
    body = response.json()
    assert list(body) == ["status", "image_base64_standard"]
    standard = np.asarray(decode(body["image_base64_standard"]))
    assert standard.shape == (413, 295, 4)
    # Opaque from the photo's top down (the frame's top margin reaches past the photo,
    # which stays transparent, as Hivision pads it).
    opaque = standard[:, :, 3] == 255
    first = int(np.argmax(opaque.all(axis=1)))
    assert opaque[first:].all() and not opaque[:first].any() and first < 413 // 4
    # The photo's light grey backdrop beside the head, not a white one put in.
    corner = standard[first : first + 20, :20, :3].reshape(-1, 3).mean(axis=0)
    backdrop = np.asarray(Image.open(io.BytesIO(PERSON)).convert("RGB"))[:20, :20].reshape(-1, 3)
    assert np.abs(corner - backdrop.mean(axis=0)).max() < 12 and corner.max() < 250


def test_human_matting_answers_the_person_on_transparency(credential, with_worker):
    response = with_worker(
        lambda: Client().post("/human_matting", {"input_image": upload()}, headers=keys(credential))
    )
    body = response.json()
    assert list(body) == ["status", "image_base64"]
    matted = decode(body["image_base64"])
    original = Image.open(io.BytesIO(PERSON))
    assert matted.mode == "RGBA" and matted.size == original.size
    alpha = np.asarray(matted)[:, :, 3]
    assert alpha[2, 2] == 0 and alpha[-2, original.size[0] // 2] == 255


# --- Pure image operations (in the web process) ------------------------------------


def test_add_background_puts_the_transparent_photo_on_a_colour(credential):
    response = Client().post(
        "/add_background",
        {"input_image": upload(transparent_person(), "p.png"), "color": "438edb"},
        headers=keys(credential),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    image = decode(body["image_base64"]).convert("RGB")
    assert image.getpixel((2, 2)) == (67, 142, 219) and image.getpixel((120, 150)) == (90, 80, 70)
    assert round(decode(body["image_base64"]).info["dpi"][0]) == 300


def test_add_background_renders_a_gradient_and_meets_a_kb(credential):
    response = Client().post(
        "/add_background",
        {
            "input_image": upload(transparent_person(), "p.png"),
            "color": "#ff0000",
            "render": 1,
            "kb": 5,
        },
        headers=keys(credential),
    )
    data = base64.b64decode(response.json()["image_base64"].partition(",")[2])
    assert data[:2] == b"\xff\xd8" and len(data) <= 5 * 1024, "a JPEG of at most 5 KB"
    image = Image.open(io.BytesIO(data)).convert("RGB")
    top, bottom = image.getpixel((2, 2)), image.getpixel((2, 297))
    assert top[0] > 200 and top[1] < 60 and bottom[1] > top[1] + 100, (top, bottom)


def test_add_background_refuses_a_photo_without_transparency(credential):
    response = Client().post(
        "/add_background", {"input_image": upload(), "color": "ffffff"}, headers=keys(credential)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] is False and "transparency" in body["error"]


def test_generate_layout_photos_makes_a_six_inch_sheet(credential):
    photo = png(np.full((413, 295, 3), 120, np.uint8))
    response = Client().post(
        "/generate_layout_photos",
        {"input_image_base64": base64.b64encode(photo).decode(), "height": 413, "width": 295},
        headers=keys(credential),
    )
    sheet = decode(response.json()["image_base64"])
    assert sheet.size in ((1200, 1800), (1800, 1200)) and round(sheet.info["dpi"][0]) == 300
    grey = (np.asarray(sheet.convert("RGB"))[:, :, 0] == 120).sum()
    assert grey >= 8 * 413 * 295 * 0.95, "at least eight 1-inch copies on 6-inch paper"


def test_watermark_writes_the_text_across(credential):
    photo = png(np.full((400, 300, 3), 255, np.uint8))
    response = Client().post(
        "/watermark?size=30&opacity=0.8",
        {"input_image": upload(photo, "w.png"), "text": "SAMPLE"},
        headers=keys(credential),
    )
    marked = np.asarray(decode(response.json()["image_base64"]).convert("RGB"))
    assert (marked < 200).any(axis=2).mean() > 0.02


def test_set_kb_answers_a_jpeg_of_at_most_the_kb(credential):
    response = Client().post(
        "/set_kb", {"input_image": upload(), "kb": "20"}, headers=keys(credential)
    )
    data = base64.b64decode(response.json()["image_base64"].partition(",")[2])
    assert data[:2] == b"\xff\xd8" and len(data) <= 20 * 1024
    assert Image.open(io.BytesIO(data)).size == Image.open(io.BytesIO(PERSON)).size


# --- Failures, in Hivision's answer -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fields", "status", "words"),
    [
        ("/idphoto", {}, 400, "input_image"),
        ("/idphoto", {"input_image_base64": "%%%"}, 400, "input_image_base64"),
        ("/idphoto", {"input_image": "photo", "height": "tall"}, 400, "height"),
        ("/idphoto", {"input_image": "photo", "hd": "maybe"}, 400, "hd"),
        ("/idphoto", {"input_image": "photo", "top_distance_min": "0.3"}, 400, "top_distance_min"),
        ("/add_background", {"input_image": "photo", "render": "5"}, 400, "render"),
        ("/add_background", {"input_image": "photo", "color": "tartan"}, 400, "color"),
        ("/watermark", {"input_image": "photo", "text": ""}, 400, "text"),
        ("/set_kb", {"input_image": "photo", "kb": "-3"}, 400, "kb"),
        ("/set_kb", {"input_image": "notes"}, 400, "image"),
    ],
)
def test_bad_inputs_get_hivisions_failure_answer(credential, path, fields, status, words):
    files = {"photo": upload(), "notes": upload(b"just text", "notes.jpg")}
    if fields.get("input_image") in files:
        fields = {**fields, "input_image": files[fields["input_image"]]}
    response = Client().post(path, fields, headers=keys(credential))
    assert response.status_code == status
    body = response.json()
    assert body["status"] is False and words in body["error"], body
    assert not Job.objects.exists()


def test_other_methods_and_bodies_get_hivisions_failure_answer(credential):
    response = Client().get("/idphoto")
    assert response.status_code == 405 and response.json()["status"] is False
    odd = Client().post("/set_kb", "x", content_type="text/plain", headers=keys(credential))
    assert odd.status_code == 400 and odd.json()["status"] is False


def test_credentials_are_needed_until_the_admin_opens_the_endpoints(settings):
    photo = png(np.full((100, 80, 3), 200, np.uint8))
    closed = Client().post("/set_kb", {"input_image": upload(photo, "a.png")})
    assert closed.status_code == 401 and closed.json()["status"] is False
    site = SiteSettings.load()
    site.hivision_open, site.hivision_rate_per_minute = True, 2
    site.save()
    answers = [
        Client(REMOTE_ADDR="203.0.113.7").post("/set_kb", {"input_image": upload(photo, "a.png")})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].json()["status"] is True
    assert answers[2].json() == {"status": False, "error": answers[2].json()["error"]}
    assert "2 a minute" in answers[2].json()["error"]
    other = Client(REMOTE_ADDR="203.0.113.8").post(
        "/set_kb", {"input_image": upload(photo, "a.png")}
    )
    assert other.status_code == 200, "the limit is per address"


def test_the_answers_match_the_served_description(credential, with_worker):
    """Each answer's body against webapp/api/openapi.json's schema for its path and status."""
    import jsonschema

    description = json.loads(Client().get("/api/openapi.json").content)

    def check(path: str, response) -> None:
        answer = description["paths"][path]["post"]["responses"][str(response.status_code)]
        schema = answer["content"]["application/json"]["schema"]
        jsonschema.validate(response.json(), {**schema, "components": description["components"]})

    photo = png(np.full((413, 295, 3), 120, np.uint8))
    check(
        "/set_kb",
        Client().post("/set_kb", {"input_image": upload(photo, "a.png")}, headers=keys(credential)),
    )
    check("/set_kb", Client().post("/set_kb", {"kb": "x"}, headers=keys(credential)))
    check("/watermark", Client().post("/watermark", {"input_image": upload(photo, "a.png")}))
    check(
        "/generate_layout_photos",
        Client().post(
            "/generate_layout_photos",
            {"input_image": upload(photo, "a.png")},
            headers=keys(credential),
        ),
    )
    blank = upload(image_bytes((300, 400), "white", "JPEG"))
    check(
        "/human_matting",
        with_worker(
            lambda: Client().post("/idphoto", {"input_image": blank}, headers=keys(credential))
        ),
    )
    made = with_worker(
        lambda: Client().post(
            "/idphoto/make",
            json.dumps({"base64": base64.b64encode(PERSON).decode(), "layout": "5inch"}),
            content_type="application/json",
            headers=keys(credential),
        )
    )
    check("/idphoto/make", made)
    check(
        "/idphoto/make",
        Client().post(
            "/idphoto/make",
            json.dumps({"base64": "x", "kb": "?"}),
            content_type="application/json",
            headers=keys(credential),
        ),
    )


def test_an_operator_opens_the_endpoints_in_the_admin(admin_client):
    photo = png(np.full((100, 80, 3), 200, np.uint8))
    assert Client().post("/set_kb", {"input_image": upload(photo, "a.png")}).status_code == 401
    site = SiteSettings.load()
    page = admin_client.get(f"/admin/core/sitesettings/{site.pk}/change/").content.decode()
    assert "Open HivisionIDPhotos" in page and 'name="hivision_open"' in page
    assert 'name="hivision_rate_per_minute"' in page
    changed = admin_client.post(
        f"/admin/core/sitesettings/{site.pk}/change/",
        {"retention_hours": 24, "hivision_open": "on", "hivision_rate_per_minute": 5},
    )
    assert changed.status_code == 302
    opened = Client().post("/set_kb", {"input_image": upload(photo, "a.png")})
    assert opened.status_code == 200 and opened.json()["status"] is True


def test_generate_layout_photos_refuses_a_photo_it_would_stretch(credential):
    square = png(np.full((300, 300, 3), 120, np.uint8))
    response = Client().post(
        "/generate_layout_photos",
        {"input_image": upload(square, "s.png"), "height": 413, "width": 295},
        headers=keys(credential),
    )
    body = response.json()
    assert response.status_code == 400 and body["status"] is False
    assert "stretched" in body["error"]
