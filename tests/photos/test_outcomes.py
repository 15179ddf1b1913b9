"""Results say what happened: outcomes, sharing on demand, pages for the stranger, previews."""

from __future__ import annotations

import html
import io
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from webapp.photos.models import Job

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, content: bytes, name: str = "photo.png", kind: str = "face_shape") -> Job:
    response = client.post(
        "/upload", {"photo": SimpleUploadedFile(name, content), "mode": 0, "kind": kind}
    )
    assert response.status_code == 302, response.content[:2000]
    return Job.objects.get(pk=response["Location"].split("/")[2])


def finished(job: Job, run_worker) -> Job:
    run_worker()
    job.refresh_from_db()
    return job


def text(response) -> str:
    return html.unescape(response.content.decode())


def badge(page: str) -> str:
    start = page.index('id="job-status"')
    return page[page.index(">", start) + 1 : page.index("</span>", start)]


def test_a_photo_without_a_face_is_not_shown_as_a_success(client, run_worker):
    job = finished(upload(client, image_bytes((320, 240), "skyblue")), run_worker)
    assert job.status == Job.Status.DONE and job.outcome == "nothing"
    page = text(client.get(job.get_absolute_url()))
    assert badge(page) == "No result"
    assert "status-nothing" in page and "status-done" not in page
    assert "No face was found" in page
    # Nothing to share, download or show off: only another try, and deleting.
    assert "Make a share link" not in page and "share-url" not in page
    assert "Download JSON" not in page
    assert "Try another photo" in page and "Delete photo and result" in page
    assert client.post(f"/r/{job.id}/share").status_code == 302
    job.refresh_from_db()
    assert not job.sharing
    Job.objects.filter(pk=job.pk).update(sharing=True)  # even forced, the link is refused
    assert Client().get(f"/s/{job.share_key}/").status_code == 404


def test_a_failed_job_says_failed(client, run_worker):
    job = upload(client, (DATA / "faces" / "astronaut.png").read_bytes())
    job.fail("internal")
    page = text(client.get(job.get_absolute_url()))
    assert badge(page) == "Failed"
    assert "status-failed" in page and "There is no result to share" in page


def test_a_result_is_private_until_its_owner_shares_it(client, run_worker):
    job = finished(upload(client, (DATA / "faces" / "astronaut.png").read_bytes()), run_worker)
    assert job.outcome == "done" and not job.sharing
    page = text(client.get(job.get_absolute_url()))
    assert badge(page) == "Done"
    assert "share-url" not in page and "Make a share link" in page
    assert Client().get(f"/s/{job.share_key}/").status_code == 404

    response = client.post(f"/r/{job.id}/share", follow=True)
    page = text(response)
    assert "Sharing is on" in page  # the confirmation
    job.refresh_from_db()
    assert f"/s/{job.share_key}/" in page and "Stop sharing" in page
    assert Client().get(f"/s/{job.share_key}/").status_code == 200

    old = job.share_key
    page = text(client.post(f"/r/{job.id}/unshare", follow=True))
    assert "Sharing stopped" in page and "Make a share link" in page
    assert Client().get(f"/s/{old}/").status_code == 404
    assert Client().get(f"/s/{old}/photo.jpg").status_code == 404
    # Sharing again makes a new link: the stopped one never comes back.
    client.post(f"/r/{job.id}/share")
    job.refresh_from_db()
    assert job.share_key != old and Client().get(f"/s/{job.share_key}/").status_code == 200
    assert "New link made" in text(client.post(f"/r/{job.id}/revoke", follow=True))
    assert "are deleted" in text(client.post(f"/r/{job.id}/delete", follow=True))


def test_the_share_page_is_written_for_the_person_who_opens_it(client, run_worker):
    job = finished(upload(client, (DATA / "faces" / "astronaut.png").read_bytes()), run_worker)
    client.post(f"/r/{job.id}/share")
    job.refresh_from_db()
    stranger = Client()
    page = text(stranger.get(f"/s/{job.share_key}/"))
    assert "Someone shared this result with you" in page
    assert "private to you" not in page
    assert "Find the points of your own photo" in page
    assert "Make a share link" not in page and "Delete photo" not in page
    assert '<meta property="og:title" content="A shared result: 88 face-shape points">' in page
    image_url = f"http://testserver/s/{job.share_key}/preview.jpg"
    assert f'<meta property="og:image" content="{image_url}">' in page
    preview = stranger.get(f"/s/{job.share_key}/preview.jpg")
    assert preview["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(preview.content)) as im:
        assert im.format == "JPEG" and max(im.size) <= 800
        assert not im.info.get("exif")
    # The owner's page has no link-preview tags.
    assert "og:image" not in text(client.get(job.get_absolute_url()))


def test_lists_tell_results_apart(client, run_worker):
    done = finished(upload(client, (DATA / "faces" / "astronaut.png").read_bytes()), run_worker)
    nothing = finished(upload(client, image_bytes((320, 240), "skyblue")), run_worker)
    page = text(client.get("/"))
    for job in (done, nothing):
        assert f"/r/{job.id}/thumbnail.jpg" in page
    assert "No result" in page and "Done" in page
    assert "0 minutes ago" not in page and "just now" in page
    thumb = client.get(f"/r/{done.id}/thumbnail.jpg")
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert max(im.size) == 160
    assert Client().get(f"/r/{done.id}/thumbnail.jpg").status_code == 404


def test_the_status_answers_when_the_job_finishes(client, run_worker):
    job = upload(client, (DATA / "faces" / "astronaut.png").read_bytes())
    answer: dict = {}

    def wait() -> None:
        from django.db import connection

        started = time.monotonic()
        answer["data"] = client.get(f"/r/{job.id}/status?wait=1").json()
        answer["ended"] = time.monotonic()
        answer["waited"] = answer["ended"] - started
        connection.close()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the status answered before the job was done"
    run_worker()
    worker_done = time.monotonic()
    thread.join(30)
    assert answer["data"]["finished"] and answer["data"]["outcome"] == "done"
    assert answer["ended"] - worker_done < 0.5  # told at once, not at a next poll
    assert Client().get(f"/r/{job.id}/status?wait=1").status_code == 404


def test_staff_see_any_result_from_the_admin(client, run_worker):
    job = finished(upload(client, (DATA / "faces" / "astronaut.png").read_bytes()), run_worker)
    staff = Client()
    staff.force_login(
        get_user_model().objects.create_user("admin", is_staff=True, is_superuser=True)
    )
    page = text(staff.get(job.get_absolute_url()))
    assert "as staff" in page and "Make a share link" not in page
    assert staff.get(f"/r/{job.id}/photo.jpg").status_code == 200
    assert staff.post(f"/r/{job.id}/delete").status_code == 404  # read only


@pytest.mark.parametrize(("fmt", "name"), [("PNG", "photo.jpg"), ("WEBP", "photo.jpg")])
def test_the_format_comes_from_the_content_not_the_name(client, run_worker, fmt, name):
    with Image.open(DATA / "faces" / "astronaut.png") as im:
        buffer = io.BytesIO()
        im.convert("RGB").save(buffer, fmt)
    job = finished(upload(client, buffer.getvalue(), name=name), run_worker)
    assert job.outcome == "done", job.error_message


def test_a_big_photo_is_scaled_on_the_id_page_not_refused(client, run_worker):
    with Image.open(DATA / "idphoto" / "hv1-base.jpg") as im:
        big = im.resize((im.width * 6000 // im.height, 6000))
        buffer = io.BytesIO()
        big.save(buffer, "JPEG", quality=90, dpi=(1200, 1200))
    response = client.post(
        "/idphoto/upload", {"photo": SimpleUploadedFile("big.jpg", buffer.getvalue())}
    )
    assert response.status_code == 302, text(response)[:3000]
    job = finished(Job.objects.get(), run_worker)
    assert job.outcome in ("passed", "not_passed"), job.result
    assert max(job.photo.width, job.photo.height) == 2500
    assert job.params["scaled_from"] == [big.width, 6000]


def test_scaling_keeps_the_print_size_and_the_format():
    from webapp.vision import probe_image, scale_down

    with Image.open(DATA / "idphoto" / "hv1-base.jpg") as im:
        big = im.resize((im.width * 3, im.height * 3))
    for fmt in ("JPEG", "PNG", "WEBP"):
        buffer = io.BytesIO()
        big.save(buffer, fmt, dpi=(900, 900))
        small = scale_down(buffer.getvalue(), 1000)
        info = probe_image(small)
        assert info.format == fmt and max(info.width, info.height) == 1000
        if fmt != "WEBP":  # WebP files carry no dpi
            with Image.open(io.BytesIO(small)) as out:
                expected = round(900 * 1000 / max(big.size))  # the same print size
                assert [round(d) for d in out.info["dpi"]] == [expected, expected]
    assert scale_down(buffer.getvalue(), 5000) == buffer.getvalue()  # small enough: unchanged


def test_the_upload_widget_is_answered_with_the_results_address(client):
    photo = SimpleUploadedFile("me.png", (DATA / "faces" / "astronaut.png").read_bytes())
    response = client.post(
        "/upload", {"photo": photo, "mode": 0, "kind": "face_shape"}, headers={"X-Upload": "widget"}
    )
    assert response.status_code == 201
    assert response.json() == {"location": Job.objects.get().get_absolute_url()}
    refused = client.post(
        "/upload",
        {"photo": SimpleUploadedFile("a.png", b"no"), "mode": 0, "kind": "face_shape"},
        headers={"X-Upload": "widget"},
    )
    assert refused.status_code == 400 and b"<form" in refused.content  # the form, to show
