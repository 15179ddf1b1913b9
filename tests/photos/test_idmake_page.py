"""The ID-photo maker's page and its part of the result page, with a real worker."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from webapp.photos.models import Job
from webapp.vision.idphoto import SPECS

from ..conftest import DATA

pytestmark = pytest.mark.django_db(transaction=True)

INPUTS = DATA / "idmake-inputs"


def make(client, name: str = "half-body-1.webp", **fields):
    photo = SimpleUploadedFile(name, (INPUTS / name).read_bytes())
    data = {"photo": photo, "spec": "cn_passport", "background": "", "paper": "6inch", **fields}
    return client.post("/idphoto/new", data)


@pytest.fixture
def made(client, run_worker):
    """Upload a photo to the maker, run the worker, return the finished job."""

    def run(**fields) -> Job:
        response = make(client, **fields)
        assert response.status_code == 302, response.content[:2000]
        assert run_worker()
        job = Job.objects.get(pk=response["Location"].split("/")[2])
        assert job.status == Job.Status.DONE, job.error_message
        return job

    return run


def test_the_page_offers_the_camera_and_readable_documents(client):
    html = client.get("/idphoto/").content.decode()
    assert 'action="/idphoto/new"' in html
    # The widget's "Take a photo" opens the front camera; choosing from the gallery stays possible.
    assert re.search(r'<div class="dropzone" data-upload data-capture="user" data-guide>', html)
    for spec in SPECS.values():
        assert f'<option value="{spec.name}" data-backgrounds=' in html
        assert f">{spec.title_en}</option>" in html  # the page's language
        assert f'data-search="{spec.title} {spec.title_en} {spec.name}"' in html
        assert f">{spec.name}<" not in html, "never a raw key shown"
    assert 'href="/idphoto/check/"' in html, "the check alone is a click away"
    assert 'type="radio" name="background"' in html


def test_a_made_photo_shows_the_photo_the_sheet_and_its_check(client, made):
    job = made()
    assert job.kind == Job.Kind.ID_MAKE and job.params["op"] == "make"
    assert job.result_image and job.second_image, "the photo and the sheet are kept for the page"
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'id="made-verdict"' in html
    ready = job.result["data"]["ready"]
    assert ("Ready to use" in html) is ready and ("Not ready yet" in html) is not ready
    assert f'src="/r/{job.id}/result-image"' in html
    assert f'href="/r/{job.id}/sheet.jpg"' in html
    assert f'href="/r/{job.id}/sheet.pdf"' in html
    assert "What we fixed" in html
    # A photo that passes is not a fault to retake: what is listed would improve the next.
    advice = job.result["data"]["retake"]
    heading = "For a better photo next time" if ready and advice else "What you need to retake"
    assert heading in html
    assert "The photo was cropped" in html
    assert "copies on 6-inch (4R) photo paper (101.6 × 152.4 mm)" in html
    assert 'id="verdict"' in html, "the check's own part, of the made photo"
    photo = client.get(f"/r/{job.id}/result-image")
    assert photo["Content-Type"] == "image/jpeg"
    assert (
        Image.open(photo.streaming_content and _bytes(photo)).size == SPECS["cn_passport"].size_px
    )


def _bytes(response):
    import io

    return io.BytesIO(b"".join(response.streaming_content))


def test_the_sheet_downloads_as_jpeg_and_as_a_pdf_of_the_papers_size(client, made):
    job = made(paper="a4")
    sheet = Image.open(_bytes(client.get(f"/r/{job.id}/sheet.jpg")))
    info = job.result["data"]["sheet"]
    # A4 at 300 dpi, turned when that fits more copies.
    assert sheet.size == ((3508, 2480) if info["rotated"] else (2480, 3508))
    assert round(sheet.info["dpi"][0]) == 300
    pdf = client.get(f"/r/{job.id}/sheet.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.content)
    points = sorted(float(v) for v in box.groups())
    assert abs(points[0] - 595.28) < 0.5 and abs(points[1] - 841.89) < 0.5  # A4 in points


def test_the_share_link_shows_the_sheet_and_nobody_else_sees_the_owners(client, made):
    job = made()
    assert Client().get(f"/s/{job.share_key}/").status_code == 404  # not shared until asked
    client.post(f"/r/{job.id}/share")
    shared = Client().get(f"/s/{job.share_key}/")
    assert shared.status_code == 200 and f"/s/{job.share_key}/sheet.pdf" in shared.content.decode()
    assert Client().get(f"/s/{job.share_key}/sheet.pdf").status_code == 200
    assert Client().get(f"/r/{job.id}/sheet.jpg").status_code == 404
    client.post(f"/r/{job.id}/delete")
    assert not Job.objects.filter(pk=job.id).exists()
    assert Client().get(f"/s/{job.share_key}/sheet.jpg").status_code == 404


def test_without_a_sheet_there_is_nothing_to_download(client, made):
    job = made(paper="")
    assert not job.second_image and job.result["data"]["sheet"] is None
    html = client.get(job.get_absolute_url()).content.decode()
    assert "sheet.pdf" not in html
    assert client.get(f"/r/{job.id}/sheet.pdf").status_code == 404


def test_a_colour_the_document_does_not_accept_is_refused(client):
    response = make(client, spec="cn_passport", background="blue")
    assert response.status_code == 400
    assert "This document accepts only: White." in response.content.decode()
    assert not Job.objects.exists()


def test_a_chosen_colour_is_used_and_the_recent_list_names_the_document(client, made):
    job = made(spec="cn_id_card", background="white", paper="")
    assert job.params["background"] == "#ffffff"
    html = client.get("/idphoto/").content.decode()
    item = re.search(rf'<a class="item" href="/r/{job.id}/">.*?</a>', html, re.S)
    assert item and SPECS["cn_id_card"].title_en in item.group(0)


def test_a_photo_that_cannot_be_made_says_why(client, run_worker):
    response = make(client, name="half-body-1.webp")
    assert response.status_code == 302
    two = SimpleUploadedFile("two.jpg", (DATA / "faces" / "two_people.jpg").read_bytes())
    response = client.post("/idphoto/new", {"photo": two, "spec": "cn_passport", "paper": ""})
    run_worker()
    job = Job.objects.get(pk=response["Location"].split("/")[2])
    html = client.get(job.get_absolute_url()).content.decode()
    assert job.result["code"] == 210
    assert "The image is not suitable for an ID photo." in html
    assert "Make another ID photo" in html


def test_hair_too_tall_for_the_document_is_told_as_what_to_retake(client, run_worker):
    # This hair only just fits under a Chinese ID card's top edge with the face at its size:
    # the photo is framed again to the check's own reading and passes, and the page says
    # what would make the next photo better; never "no new photo is needed" beside it.
    photo = SimpleUploadedFile(
        "curly.jpg", (DATA / "idmake" / "bgmatting__0001_img.jpg").read_bytes()
    )
    response = client.post(
        "/idphoto/new", {"photo": photo, "spec": "cn_id_card", "background": "", "paper": "6inch"}
    )
    assert response.status_code == 302 and run_worker()
    job = Job.objects.get(pk=response["Location"].split("/")[2])
    data = job.result["data"]
    assert "hair_too_high" in data["retake"]
    html = client.get(job.get_absolute_url()).content.decode()
    heading = "For a better photo next time" if data["ready"] else "What you need to retake"
    assert heading in html and "Tie or smooth your hair down" in html
    assert "no new photo is needed" not in html
    zh = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "请把头发扎起或压平" in zh
