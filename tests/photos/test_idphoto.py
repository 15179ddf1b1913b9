"""The ID-photo check page and its part of the result page, with a real worker."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.photos.models import Job
from webapp.vision.idphoto import SPECS

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SET = DATA / "idphoto"


def check(client, name: str, spec: str = ""):
    photo = SimpleUploadedFile(name, (SET / name).read_bytes())
    return client.post("/idphoto/upload", {"photo": photo, "spec": spec})


@pytest.fixture
def checked(client, run_worker):
    """Return a function that uploads a photo of the set, runs the worker and returns the job."""

    def run(name: str, spec: str = "") -> Job:
        response = check(client, name, spec)
        assert response.status_code == 302, response.content[:2000]
        assert run_worker()
        job = Job.objects.get(pk=response["Location"].split("/")[2])
        assert job.status == Job.Status.DONE, job.error_message
        return job

    return run


def rows(html: str, state: str) -> set[str]:
    """The rule codes of the figure table's rows with class `state` ("failed" or "")."""
    return set(re.findall(rf'<tr class="{state}" data-figure="[^"]+" data-rule="([^"]+)"', html))


def test_it_works(client):
    page = client.get("/idphoto/check/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'action="/idphoto/upload"' in html
    assert '<option value="" selected>The ID-photo check service rules' in html
    for spec in SPECS.values():
        assert f'<option value="{spec.name}">{spec.title_en} · {spec.title}</option>' in html
    assert 'href="/idphoto/"' in html  # the nav link (the maker, a click from the check)


def test_it_shows_a_compliant_photo_as_passed(client, checked):
    job = checked("hv1-base.jpg")
    assert job.kind == Job.Kind.ID_CHECK and job.params == {"spec": None}
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'class="verdict pass"' in html
    assert "Passed: the photo meets every rule checked." in html and "合格：" in html
    assert rows(html, "failed") == set()
    assert {"face_too_small", "eyes_closed", "background_cluttered"} <= rows(html, "")
    assert "wrong_dpi" not in html, "spec-only rules are not read without a spec"
    assert '<image href="/r/' in html and "photo.jpg" in html
    for layer in ("background", "bands", "face", "eyes", "head", "pose", "shoulders"):
        assert f'data-group="{layer}"' in html, layer
    assert (
        " bad" not in re.sub(r"<style.*?</style>", "", html).split("<svg", 1)[1].split("</svg>")[0]
    )


def test_it_explains_a_failing_photo_in_english_and_chinese(client, checked):
    job = checked("hv1-small.jpg")
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'class="verdict fail"' in html and "Failed: 1 reason." in html
    reasons = html.split('id="reasons"')[1].split("</ol>")[0]
    assert '<span class="l-en" lang="en">The face is too small.</span>' in reasons
    assert '<span class="l-zh" lang="zh-Hans">脸部太小</span>' in reasons
    assert "<code>face_x_occupy</code> = 0.4" in reasons and "≥ 0.51" in reasons
    assert rows(html, "failed") == {"face_too_small"}
    assert "face_too_large" in rows(html, "")
    assert 'class="grp layer-face bad"' in html
    assert 'data-lang="en"' in html


def test_the_language_follows_the_browser_and_the_switch(client, checked):
    job = checked("hv2-left.jpg")
    url = job.get_absolute_url()
    assert 'data-lang="en"' in client.get(url).content.decode()
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    chinese.cookies = client.cookies
    assert 'data-lang="zh"' in chinese.get(url).content.decode()
    assert 'data-lang="en"' in chinese.get(url + "?lang=en").content.decode()
    assert 'data-lang="zh"' in client.get(url + "?lang=zh").content.decode()
    assert 'data-lang="en"' in client.get(url + "?lang=<b>").content.decode()


def test_a_spec_draws_its_bands_and_reads_its_rules(client, checked):
    job = checked("spec-cn_id_card-72dpi.jpg", spec="cn_id_card")
    assert job.params == {"spec": "cn_id_card"}
    html = client.get(job.get_absolute_url()).content.decode()
    assert (
        "Checked against: China resident identity card." in html and "检测标准：居民身份证" in html
    )
    assert rows(html, "failed") == {"wrong_dpi"}
    assert "wrong_size" in rows(html, "") and "358 × 441 px" in html and "350 dpi" in html
    assert '<span class="l-zh" lang="zh-Hans">照片分辨率(DPI)不符合要求</span>' in html
    for band in ("head_top", "eye_line", "face_width", "face_centre"):
        assert f'data-band="{band}"' in html, band


def test_the_page_json_is_the_apis_format(client, checked):
    job = checked("hv3-base.jpg")
    assert job.details["drawing"] and "page" not in job.result
    body = client.get(f"/r/{job.id}/result.json").json()
    assert list(body) == ["code", "msg", "taskNo", "data"]
    assert (
        '"page"' not in client.get(job.get_absolute_url()).content.decode().split('class="json"')[1]
    )


def test_a_shared_link_shows_the_report_read_only(client, checked):
    job = checked("hv1-small.jpg")
    page = Client().get(f"/s/{job.share_key}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "The face is too small." in html and 'class="verdict fail"' in html
    assert f"/s/{job.share_key}/photo.jpg" in html
    assert "Delete photo" not in html and f"/r/{job.id}" not in html


def test_an_error_code_is_shown_in_both_languages(client, run_worker):
    client.post(
        "/idphoto/upload",
        {"photo": SimpleUploadedFile("blank.jpg", image_bytes((300, 400), fmt="JPEG"))},
    )
    run_worker()
    job = Job.objects.get()
    assert job.result["code"] == 205
    html = client.get(job.get_absolute_url()).content.decode()
    assert (
        "No face was found in the image." in html
        and "图片中找不到人脸" in html
        and "(code 205)" in html
    )
    assert "<svg" not in html


def test_it_refuses_a_photo_over_2500_pixels_a_side(client):
    big = SimpleUploadedFile("big.png", image_bytes((2600, 100)))
    response = client.post("/idphoto/upload", {"photo": big, "spec": ""})
    assert response.status_code == 400
    assert (
        "This photo is 2600x100 pixels; an ID photo may be at most 2500 pixels a side."
        in response.content.decode()
    )
    assert not Job.objects.exists()


def test_it_refuses_an_unknown_spec(client):
    response = check(client, "hv1-base.jpg", spec="mars")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Job.objects.exists()


def test_it_checks_ownership(client, checked):
    job = checked("hv1-base.jpg")
    assert Client().get(job.get_absolute_url()).status_code == 404
    assert Client().get(f"/r/{job.id}/result.json").status_code == 404


def test_a_remote_answer_is_drawn_from_its_figures(client, checked, settings):
    """A remote body has no drawing: the page draws the measured lines from detect_result."""
    job = checked("hv1-small.jpg")
    job.details = {}
    job.save(update_fields=["details"])
    html = client.get(job.get_absolute_url()).content.decode()
    assert rows(html, "failed") == {"face_too_small"}  # found from the Chinese wording
    assert "The face is too small." in html
    assert 'data-group="head"' in html and "data-band=" not in html
