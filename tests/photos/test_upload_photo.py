from __future__ import annotations

import html
import io
import os
import struct
import zlib

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from webapp.pages.previews import small_jpeg
from webapp.photos.models import Job, Photo
from webapp.vision import load_image

from ..conftest import DATA, image_bytes


def upload(
    client, content: bytes, name: str = "photo.png", mode: int = 0, kind: str = "face_shape"
):
    return client.post(
        "/upload", {"photo": SimpleUploadedFile(name, content), "mode": mode, "kind": kind}
    )


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny compressed row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.django_db
def test_it_stores_the_photo_and_enqueues_one_job(
    client, face_photo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, face_photo)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/r/{job.id}/"
    assert len(callbacks) == 1
    assert job.status == Job.Status.QUEUED
    assert job.params == {"mode": 0}
    # The stored name is random, nothing of "photo.png" is kept.
    assert "photo" not in os.path.basename(job.photo.file.name)
    assert len(os.path.basename(job.photo.file.name)) >= 32


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_job_and_shows_the_points(client, face_photo, run_worker):
    upload(client, face_photo)
    job = Job.objects.get()
    page = client.get(job.get_absolute_url())
    assert b"waiting for a worker" in page.content

    assert run_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error_message
    assert job.result["code"] == 0
    faces = job.result["data"]["face_shape"]
    assert len(faces) == 1
    assert {g: len(p) for g, p in faces[0].items()} == {
        "face_profile": 21,
        "left_eye": 8,
        "right_eye": 8,
        "left_eyebrow": 8,
        "right_eyebrow": 8,
        "mouth": 22,
        "nose": 13,
    }
    page = client.get(job.get_absolute_url()).content.decode()
    assert page.count("<circle") == 88
    assert 'data-toggle="mouth"' in page
    assert job.get_share_url() not in page and "Make a share link" in page  # shared on demand


@pytest.mark.django_db(transaction=True)
def test_it_strips_metadata_and_applies_orientation(client, run_worker):
    # A landscape JPEG with GPS data and "rotate 90" in its EXIF.
    image = Image.open(DATA / "faces" / "astronaut.png").convert("RGB").rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 8  # orientation: rotate 90 CW to view
    exif[0x010F] = "SecretCam"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert b"SecretCam" in buffer.getvalue()

    upload(client, buffer.getvalue(), name="holiday.jpg")
    run_worker()

    job = Job.objects.get()
    stored = job.photo.file.open("rb").read()
    assert b"SecretCam" not in stored
    served = b"".join(client.get(f"/r/{job.id}/photo.jpg").streaming_content)
    assert served == stored
    with Image.open(io.BytesIO(served)) as img:
        # Not re-encoded: only the orientation is kept, so that it is shown upright.
        assert dict(img.getexif()) == {0x0112: 8}
    np.testing.assert_array_equal(load_image(stored), load_image(buffer.getvalue()))
    assert (job.photo.width, job.photo.height) == (512, 512)
    assert len(job.faces) == 1
    # The thumbnail of the recent list is upright too.
    thumb = Image.open(io.BytesIO(small_jpeg(job.photo.file, 64))).convert("L")
    upright = Image.fromarray(load_image(stored)).convert("L").resize(thumb.size)
    assert np.abs(np.asarray(thumb, float) - np.asarray(upright, float)).mean() < 12


@pytest.mark.django_db(transaction=True)
def test_an_upright_jpeg_keeps_its_pixels_without_its_metadata(client, run_worker):
    # A phone JPEG needing no turn: its metadata is cut out, its pixels are not re-encoded.
    image = Image.open(DATA / "faces" / "obama.jpg").convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif, comment=b"SecretNote")
    uploaded = buffer.getvalue()

    upload(client, uploaded, name="phone.jpg")
    run_worker()

    job = Job.objects.get()
    assert job.status == Job.Status.DONE
    stored = job.photo.file.open("rb").read()
    assert b"SecretCam" not in stored and b"SecretNote" not in stored
    with Image.open(io.BytesIO(stored)) as img, Image.open(io.BytesIO(uploaded)) as original:
        assert not img.getexif()
        assert np.array_equal(np.asarray(img), np.asarray(original))
    # The same compressed data: only the metadata's bytes are gone.
    assert len(uploaded) - len(stored) < 1000
    assert (job.photo.width, job.photo.height) == image.size and job.photo.cleaned


@pytest.mark.django_db(transaction=True)
def test_it_offers_the_overlay_png_and_json(client, face_photo, run_worker):
    upload(client, face_photo)
    run_worker()
    job = Job.objects.get()

    png = client.get(f"/r/{job.id}/overlay.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert "attachment" in png["Content-Disposition"]
    with Image.open(io.BytesIO(b"".join(png.streaming_content))) as img:
        assert img.size == (512, 512)

    data = client.get(f"/r/{job.id}/result.json").json()
    assert data == job.result
    assert data["data"]["session_id"] == str(job.id)


@pytest.mark.django_db(transaction=True)
def test_it_finds_every_face_or_only_the_largest(client, two_faces_photo, run_worker):
    upload(client, two_faces_photo, name="two.jpg", mode=0)
    upload(client, two_faces_photo, name="two.jpg", mode=1)
    run_worker()
    every, largest = Job.objects.order_by("created_at")
    assert len(every.faces) == 2
    assert len(largest.faces) == 1


@pytest.mark.django_db(transaction=True)
def test_it_says_when_there_is_no_face(client, run_worker):
    upload(client, image_bytes((320, 240), "skyblue"), name="sky.png")
    run_worker()
    job = Job.objects.get()
    assert job.status == Job.Status.DONE
    assert job.result["code"] == 1000
    page = client.get(job.get_absolute_url())
    assert b"No face was found" in page.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.jpg", "The submitted file is empty."),
        (os.urandom(4096), "noise.jpg", "The file is not an image."),
        (png_header(20000, 20000), "bomb.png", "The image is too large (20000x20000)"),
        (image_bytes((1, 1)), "dot.png", "The image is too small (1x1)"),
        (image_bytes(fmt="GIF"), "still.gif", "GIF images are not supported."),
    ],
    ids=["empty", "random-bytes", "decompression-bomb", "1x1", "gif"],
)
def test_it_refuses_bad_files_with_a_clear_message(client, content, name, message):
    response = upload(client, content, name=name)
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not Job.objects.exists()
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_50_mb_file(client):
    big = b"\xff\xd8\xff\xe0" + os.urandom(50 * 2**20)
    response = upload(client, big, name="big.jpg")
    assert response.status_code == 413  # refused from its Content-Length, before it is read
    assert "The image is too large (50.0 MB); the limit is 10.0 MB." in html.unescape(
        response.content.decode()
    )
    assert not Photo.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_fails_a_truncated_jpeg_with_a_reason(client, run_worker):
    whole = (DATA / "faces" / "obama.jpg").read_bytes()
    response = upload(client, whole[: len(whole) // 2], name="cut.jpg")
    assert response.status_code == 302
    run_worker()
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert job.error_code == "damaged"
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The image is damaged or incomplete and cannot be read." in page


@pytest.mark.django_db
def test_upload_page_works(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


@pytest.mark.django_db(transaction=True)
def test_it_draws_the_dense_landmarks(client, face_photo, run_worker):
    upload(client, face_photo, kind="dense")
    run_worker()
    job = Job.objects.get()
    assert job.kind == Job.Kind.DENSE
    assert job.status == Job.Status.DONE, job.error_message
    assert job.result["face"]["landmark"]["mouth"]["upper_lip_63"]
    assert job.result["metadata"]["hairline"] in ("detected", "estimated")
    page = client.get(job.get_absolute_url()).content.decode()
    # One polyline per sequence: hairline, two contours, two brows, two eyes, three nose lines,
    # two lips.
    assert page.count("<polyline") == 12
    assert page.count('class="pupil"') == 2
    for part in ("face", "left_eyebrow", "right_eyebrow", "left_eye", "right_eye", "nose", "mouth"):
        assert f'data-toggle="{part}"' in page
    assert client.get(f"/r/{job.id}/overlay.png").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_is_said_on_a_page_and_leaves_nothing(client, monkeypatch, settings):
    """The disk fills up while the upload is stored: a page says so; no job, no photo, no file."""
    import errno

    from django.core.files.base import ContentFile

    def chunks(self, chunk_size=None):
        yield self.file.getvalue()[:1000]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ContentFile, "chunks", chunks)
    response = upload(client, (DATA / "faces" / "astronaut.png").read_bytes(), "astronaut.png")
    assert response.status_code == 503
    html = response.content.decode()
    assert "Your photo could not be stored" in html
    assert "no room left to store the photo" in html
    assert not Job.objects.exists() and not Photo.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
