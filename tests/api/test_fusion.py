"""`POST /fuseapi/face`: Tencent's face-fusion API, with a real worker."""

from __future__ import annotations

import base64
import io
import json
import time

import pytest
from django.test import Client
from PIL import Image

from webapp.api.models import ApiClient
from webapp.fusion.models import FusionProject, FusionTemplate
from webapp.pages import links
from webapp.photos.models import Job
from webapp.wire.signature import sign

from ..conftest import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def body_for(cred, image: bytes | None = None, **fields) -> dict:
    body = {
        "appid": cred["appid"],
        "uin": "100001",
        "project_id": "demo",
        "model_id": "astronaut",
        "img_data": base64.b64encode(image or b"").decode(),
        "rsp_img_type": "url",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def post(cred, body, *, headers=None, client=None, content_type="application/json"):
    headers = (
        {"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])}
        if headers is None
        else headers
    )
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return (client or Client()).post(
        "/fuseapi/face", data, content_type=content_type, headers=headers
    )


def answer(response, ret: int, status: int) -> dict:
    body = response.json()
    assert (body["ret"], response.status_code) == (ret, status), body
    return body


# --- answers -------------------------------------------------------------------------


def test_it_answers_with_a_link_that_works_without_credentials(
    credential, template, obama, with_worker
):
    response = with_worker(lambda: post(credential, body_for(credential, obama)))
    body = answer(response, 0, 200)
    assert set(body) == {"ret", "img_url"}
    assert body["img_url"].startswith("http://testserver/fusion/result/") and body[
        "img_url"
    ].endswith(".jpg")
    image = Client().get(body["img_url"].removeprefix("http://testserver"))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (512, 512)
    job = Job.objects.get()
    assert job.source == Job.Source.API and not job.photo.file, "the API keeps no copy of the photo"


def test_the_link_stops_working_after_the_projects_minutes(
    credential, template, obama, with_worker, monkeypatch
):
    template.project.result_link_minutes = 5
    template.project.save()
    url = answer(with_worker(lambda: post(credential, body_for(credential, obama))), 0, 200)[
        "img_url"
    ]
    path = url.removeprefix("http://testserver")
    start = time.time()
    monkeypatch.setattr(links, "now", lambda: start + 4 * 60)
    assert Client().get(path).status_code == 200
    monkeypatch.setattr(links, "now", lambda: start + 5 * 60 + 1)
    response = Client().get(path)
    assert response.status_code == 404
    assert b"This link does not work" in response.content


def test_a_forged_or_altered_link_does_not_work(credential, template, obama, with_worker):
    url = answer(with_worker(lambda: post(credential, body_for(credential, obama))), 0, 200)[
        "img_url"
    ]
    token = url.rsplit("/", 1)[1].removesuffix(".jpg")
    payload, _, signature = token.partition(":")
    assert Client().get(f"/fusion/result/{payload}:{signature[::-1]}.jpg").status_code == 404
    assert Client().get("/fusion/result/nothing.jpg").status_code == 404


def test_links_use_site_url_when_it_is_set(credential, template, obama, with_worker, settings):
    settings.SITE_URL = "https://faces.example.com/"
    url = answer(with_worker(lambda: post(credential, body_for(credential, obama))), 0, 200)[
        "img_url"
    ]
    assert url.startswith("https://faces.example.com/fusion/result/")


def test_it_answers_with_the_image_itself_and_keeps_nothing(
    credential, template, obama, with_worker
):
    response = with_worker(
        lambda: post(credential, body_for(credential, obama, rsp_img_type="base64"))
    )
    body = answer(response, 0, 200)
    image = Image.open(io.BytesIO(base64.b64decode(body["img_url"], validate=True)))
    assert (image.format, image.size) == ("JPEG", (512, 512))
    job = Job.objects.get()
    assert not job.result_image and not job.photo.file


def test_it_takes_the_degrees_of_tencents_later_api(credential, template, obama, with_worker):
    body = body_for(credential, obama, fuse_profile_degree=20, fuse_face_degree=0)
    answer(with_worker(lambda: post(credential, body)), 0, 200)
    assert Job.objects.get().params | {"template": 0} == {
        "template": 0,
        "project_id": "demo",
        "model_id": "astronaut",
        "shape": 20,
        "features": 0,
        "mark": True,
    }


def test_no_face_is_ret_1000(credential, template, with_worker):
    response = with_worker(
        lambda: post(credential, body_for(credential, image_bytes((300, 300), "grey", "JPEG")))
    )
    body = answer(response, 1000, 200)
    assert body["img_url"] == ""
    assert (
        body["msg"]
        == "No face was found in the photo. Upload a photo that shows your face clearly."
    )


# --- errors --------------------------------------------------------------------------


def test_it_needs_the_authorization_header(credential, template, obama):
    answer(post(credential, body_for(credential, obama), headers={}), -20001, 401)


def test_it_refuses_a_header_it_cannot_parse(credential, template, obama):
    answer(
        post(credential, body_for(credential, obama), headers={"Authorization": "not base64!"}),
        -20002,
        401,
    )


def test_it_refuses_a_wrong_signature(credential, template, obama):
    header = sign(credential["appid"], credential["secret_id"], "another secret")
    answer(
        post(credential, body_for(credential, obama), headers={"Authorization": header}),
        -20003,
        401,
    )


def test_it_refuses_an_expired_signature(credential, template, obama):
    header = sign(
        credential["appid"],
        credential["secret_id"],
        credential["secret_key"],
        now=int(time.time()) - 7200,
        expires_in=3600,
    )
    answer(
        post(credential, body_for(credential, obama), headers={"Authorization": header}), -7, 401
    )


def test_it_refuses_an_appid_that_is_not_the_signatures(credential, template, obama):
    answer(post(credential, body_for(credential, obama, appid="1234")), -1, 403)


def test_it_limits_the_rate(credential, template):
    ApiClient.objects.update(rate_limit_per_minute=1)
    answer(post(credential, body_for(credential, b"x", project_id="nope")), -1000, 400)
    answer(post(credential, body_for(credential, b"x", project_id="nope")), -2011, 429)


def test_it_refuses_other_content_types(credential, template, obama):
    answer(
        post(credential, "appid=1", content_type="application/x-www-form-urlencoded"), -2100, 400
    )


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", b"\xff\xfe"])
def test_it_refuses_a_body_that_is_not_a_json_object(credential, data):
    answer(post(credential, data), -1009, 400)


@pytest.mark.parametrize(
    "field", ["appid", "uin", "project_id", "model_id", "img_data", "rsp_img_type"]
)
def test_every_field_of_tencents_request_is_required(credential, template, obama, field):
    body = answer(post(credential, body_for(credential, obama, **{field: None})), -6, 400)
    assert body["msg"] == f"The field '{field}' is required."


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rsp_img_type": "file"}, "The field 'rsp_img_type' is invalid: use url or base64."),
        (
            {"img_data": "data:image/jpeg;base64,/9j/4AAQ"},
            "The field 'img_data' is invalid: send the base64 data alone, "
            "without a 'data:...;base64,' header.",
        ),
        (
            {"img_data": "*** not base64 ***"},
            "The field 'img_data' is invalid: it is not base64 data.",
        ),
        (
            {"project_id": "nope"},
            "The field 'project_id' is invalid: no active project has this id.",
        ),
        (
            {"model_id": "nope"},
            "The field 'model_id' is invalid: project demo has no active template with this id.",
        ),
        (
            {"fuse_face_degree": 101},
            "The field 'fuse_face_degree' is invalid: "
            "ensure this value is less than or equal to 100.",
        ),
    ],
)
def test_it_refuses_invalid_fields(credential, template, obama, fields, message):
    body = answer(post(credential, body_for(credential, obama, **fields)), -1000, 400)
    assert body["msg"] == message


def test_inactive_projects_and_templates_are_unknown(credential, template, obama):
    FusionTemplate.objects.update(is_active=False)
    answer(post(credential, body_for(credential, obama)), -1000, 400)
    FusionTemplate.objects.update(is_active=True)
    FusionProject.objects.update(is_active=False)
    answer(post(credential, body_for(credential, obama)), -1000, 400)


def test_a_project_can_be_kept_to_chosen_credentials(credential, template, obama):
    other = ApiClient(name="other")
    other.set_new_secret_key()
    other.save()
    template.project.allowed_clients.add(other)
    body = answer(post(credential, body_for(credential, obama)), -2103, 403)
    assert body["msg"] == "This credential may not use face fusion."


def test_a_template_without_a_face_is_ret_minus_8(credential, template, obama):
    # Saved before faces were required, or by hand: the admin and the command refuse it.
    FusionTemplate.objects.update(
        face_count=0,
        faces={**template.faces, "faces": [], "replace": [], "reasons": ["template_no_face"]},
    )
    body = answer(post(credential, body_for(credential, obama)), -8, 422)
    assert body["msg"] == "The template (astronaut) has no face to replace."


def test_it_answers_a_request_over_6_mb_before_reading_it(credential):
    response = Client().post(
        "/fuseapi/face",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(6 * 2**20 + 1),
        headers={"Authorization": "unchecked"},
    )
    body = answer(response, -3, 413)
    assert body["msg"] == "The image is too large. The request is 6.0 MB; the limit is 6 MB."


def test_a_real_body_over_6_mb_is_refused(credential, template):
    answer(post(credential, body_for(credential, b"\0" * (5 * 2**20))), -3, 413)


def test_an_image_over_the_pixel_limit_is_refused(credential, template, obama, settings):
    settings.MAX_IMAGE_PIXELS = 100_000
    body = answer(post(credential, body_for(credential, obama)), -3, 413)
    assert "pixels" in body["msg"]


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (image_bytes((64, 64), "red", "GIF"), "GIF images are not supported"),
        (b"these are not pixels" * 20, "The file is not an image."),
    ],
)
def test_it_refuses_what_is_not_a_usable_photo(credential, template, image, words):
    body = answer(post(credential, body_for(credential, image)), -1001, 400)
    assert words in body["msg"]


def test_it_says_busy_when_no_worker_answers_in_time(credential, template, obama, settings):
    settings.API_WAIT_SECONDS = 0.2
    answer(post(credential, body_for(credential, obama)), -20005, 503)


def test_a_get_is_not_allowed():
    assert Client().get("/fuseapi/face").status_code == 405
