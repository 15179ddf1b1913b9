"""The ID-photo check page and its part of the result page, with a real worker."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

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


def fixes(html: str) -> list[str]:
    """The codes of the things to fix the report leads with, in order."""
    if 'id="reasons"' not in html:
        return []
    return re.findall(r'<li class="fix" data-code="([^"]+)"', html.split('id="reasons"')[1])


def report(html: str) -> str:
    """The report's own part of a result page (not the API's JSON shown below it)."""
    part = html.split('class="idcheck"')[1].split("<!-- the ID check's report ends -->")[0]
    return re.sub(r"<[^>]*>", " ", part)


CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


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
    assert "Ready to use: this photo meets every rule checked." in html
    assert "合格" not in report(html), "one language at a time"
    assert fixes(html) == [] and rows(html, "failed") == set()
    assert {"face_too_small", "eyes_closed", "background_cluttered"} <= rows(html, "")
    assert "wrong_dpi" not in html, "spec-only rules are not read without a spec"
    assert '<image href="/r/' in html and "photo.jpg" in html
    for layer in ("background", "bands", "face", "eyes", "head", "pose", "shoulders"):
        assert f'data-group="{layer}"' in html, layer
    # One layer shown at first (the face's), the others a tick away.
    assert re.findall(r'data-toggle="(\w+)" checked', html) == ["face"]
    assert len(re.findall(r'class="grp layer-\w+ hidden"', html)) == 6
    assert 'class="mask" fill-rule="evenodd"' in html, "the background is a clean outline"
    assert '<details class="figures-fold"' in html
    assert (
        " bad" not in re.sub(r"<style.*?</style>", "", html).split("<svg", 1)[1].split("</svg>")[0]
    )


def test_it_explains_a_failing_photo_in_english_and_chinese(client, checked):
    job = checked("hv1-small.jpg")
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'class="verdict fail"' in html and "Not accepted yet: fix this and try again." in html
    assert fixes(html) == ["face_too_small"]
    fix = unescape(html.split('id="reasons"')[1].split("</ol>")[0])
    assert "The face is too small" in fix
    width = job.result["data"]["detect_result"]["face_x_occupy"]
    assert (
        "your face (ear to ear) must be at least 51% of the photo's width; "
        f"here it is {round(width * 100, 1):g}%." in fix
    )
    assert 'data-kind="size"' in fix, "a wrong and a right example"
    assert rows(html, "failed") == {"face_too_small"}
    assert "face_too_large" in rows(html, "")
    assert 'class="grp layer-face bad"' in html
    assert 'lang="en" data-lang="en"' in html and "脸" not in report(html)

    chinese = Client(**CHINESE)
    chinese.cookies = client.cookies
    zh = chinese.get(job.get_absolute_url()).content.decode()
    fix = zh.split('id="reasons"')[1].split("</ol>")[0]
    assert "脸部太小" in fix and "至少应为51%（以照片宽度计）" in fix
    assert 'lang="zh-Hans" data-lang="zh"' in zh
    assert not re.search(r"\b(?:face|must|width|Figure|Allowed)\b", report(zh)), "no English"


def test_the_language_follows_the_browser_and_the_cookie(client, checked):
    job = checked("hv2-left.jpg")
    url = job.get_absolute_url()
    assert 'data-lang="en"' in client.get(url).content.decode()
    chinese = Client(**CHINESE)
    chinese.cookies = client.cookies
    assert 'data-lang="zh"' in chinese.get(url).content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert 'data-lang="zh"' in client.get(url).content.decode()


def test_a_group_photo_asks_for_one_person(client, checked):
    job = checked("real-two-faces.jpg")
    assert len(job.result["data"]["reasons"]) > 3, "the API keeps every reason"
    html = client.get(job.get_absolute_url()).content.decode()
    assert fixes(html) == ["multiple_faces"]
    assert "Use a photo of one person only" in html and 'data-kind="one_person"' in html
    assert 'id="more-reasons"' not in html
    hidden = len(job.details["reasons"]) - 1
    assert f"{hidden} more findings may only follow from the above" in html


def test_a_turned_head_is_the_first_reason_with_its_degrees(client, checked):
    job = checked("real-walter-glasses.jpg", spec="us_passport")
    # The nose of a head turned 40 degrees is seen (its far side in shade is still the
    # nose's own colour), so nothing covers it; the turned head is the reason shown.
    assert "head_turned" in job.details["reasons"]
    html = unescape(client.get(job.get_absolute_url()).content.decode())
    shown = fixes(html)
    assert shown[0] == "head_turned" and "nose_occluded" not in shown
    assert len(shown) == 3
    assert "Something covers the nose" not in html.split('id="figures-fold"')[0]
    yaw = abs(job.result["data"]["detect_result"]["head_pose"]["yaw_angle"])
    assert f"your head is turned {round(yaw, 1):g}° to the side; at most 10° is allowed" in html
    more = re.findall(r'<li data-code="([^"]+)"', html.split('id="more-reasons"')[1])
    assert "nose_occluded" not in more and "glasses" in shown + more


def test_a_spec_draws_its_bands_and_reads_its_rules(client, checked):
    job = checked("spec-cn_id_card-72dpi.jpg", spec="cn_id_card")
    assert job.params == {"spec": "cn_id_card"}
    html = client.get(job.get_absolute_url()).content.decode()
    assert "Checked against: China resident identity card." in html
    assert rows(html, "failed") == {"wrong_dpi"} and fixes(html) == ["wrong_dpi"]
    assert "wrong_size" in rows(html, "") and "358 × 441 px" in html
    assert "The file must carry a resolution of 350 dpi; this one has 72 dpi." in html
    chinese = Client(**CHINESE)
    chinese.cookies = client.cookies
    zh = chinese.get(job.get_absolute_url()).content.decode()
    assert "检测标准：居民身份证" in zh and "照片分辨率(DPI)不符合要求" in zh
    assert "照片文件的分辨率应为每英寸350像素，这张的分辨率：每英寸72像素。" in zh
    for band in ("head_top", "eye_line", "face_width", "face_centre"):
        assert f'data-band="{band}"' in html, band


def test_a_file_without_a_resolution_is_told_so_in_words(client, run_worker):
    """A spec asking for a dpi and a file carrying none: the rule has its words and its row."""
    with Image.open(SET / "spec-cn_id_card-ok.jpg") as photo:
        buffer = io.BytesIO()
        photo.save(buffer, "JPEG", quality=95)  # no dpi written
    upload = SimpleUploadedFile("no-dpi.jpg", buffer.getvalue())
    client.post("/idphoto/upload", {"photo": upload, "spec": "cn_id_card"})
    assert run_worker()
    job = Job.objects.get()
    assert "dpi" not in job.result["data"]["detect_result"]
    assert job.result["data"]["reasons"] == ["照片分辨率(DPI)不符合要求"]  # the API's words
    html = unescape(client.get(job.get_absolute_url()).content.decode())
    assert fixes(html) == ["wrong_dpi"]
    assert "The file must carry a resolution of 350 dpi; this one has none." in html
    assert rows(html, "failed") == {"wrong_dpi"}
    assert ">wrong_dpi<" not in html
    chinese = Client(**CHINESE)
    chinese.cookies = client.cookies
    zh = chinese.get(job.get_absolute_url()).content.decode()
    assert "照片文件的分辨率应为每英寸350像素，这张的分辨率：未设置。" in zh


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
    client.post(f"/r/{job.id}/share")
    job.refresh_from_db()
    page = Client().get(f"/s/{job.share_key}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "The face is too small" in html and 'class="verdict fail"' in html
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
    assert "No face was found in the image." in html and "code 205" in html
    assert "Use a photo where your face is clearly visible" in html
    assert 'class="verdict fail"' in html and "<svg" not in html
    chinese = Client(**CHINESE)
    chinese.cookies = client.cookies
    zh = chinese.get(job.get_absolute_url()).content.decode()
    assert "图片中找不到人脸" in zh and "请使用脸部清晰可见" in zh and "错误码 205" in zh


def test_it_scales_a_photo_over_2500_pixels_a_side(client):
    big = SimpleUploadedFile("big.png", image_bytes((2600, 100)))
    response = client.post("/idphoto/upload", {"photo": big, "spec": ""})
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.params == {"spec": None, "scaled_from": [2600, 100]}
    with job.photo.file.open("rb") as f:
        assert Image.open(f).size == (2500, 96)


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
    assert fixes(html) == ["face_too_small"] and "The face is too small" in html
    assert 'data-group="head"' in html and "data-band=" not in html
