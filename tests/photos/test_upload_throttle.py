"""The pages limit what one visitor, and one address, may have waiting."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.photos.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client: Client, content: bytes, **extra):
    photo = SimpleUploadedFile("photo.png", content)
    return client.post("/upload", {"photo": photo, "mode": 0, "kind": "face_shape"}, **extra)


def test_a_visitor_may_have_a_few_photos_waiting(face_photo, settings, run_worker):
    settings.PAGE_JOBS_PER_SESSION = 2
    visitor = Client()
    assert [upload(visitor, face_photo).status_code for _ in range(2)] == [302, 302]

    refused = upload(visitor, face_photo)
    assert refused.status_code == 429
    assert (
        "You already have as many photos waiting as a visitor may (2). "
        "When one of them is done, upload this one again."
        in html.unescape(refused.content.decode())
    )
    assert Job.objects.count() == 2

    run_worker()
    assert upload(visitor, face_photo).status_code == 302


def test_an_address_may_have_more_but_not_many(face_photo, settings):
    settings.PAGE_JOBS_PER_ADDRESS = 2
    for _ in range(2):
        assert upload(Client(), face_photo).status_code == 302  # a new session each time

    refused = upload(Client(), face_photo)
    assert refused.status_code == 429
    assert "Your network already has as many photos waiting as it may (2)." in html.unescape(
        refused.content.decode()
    )
    assert upload(Client(), face_photo, REMOTE_ADDR="192.0.2.7").status_code == 302
    # The address is not stored, only a keyed hash of it.
    assert {len(job.address_key) for job in Job.objects.all()} == {64}
    assert not Job.objects.filter(address_key__contains="127.0.0.1").exists()


def test_behind_the_proxy_the_address_is_the_one_it_forwards(face_photo, settings):
    settings.PAGE_JOBS_PER_ADDRESS = 1
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    first = upload(Client(), face_photo, HTTP_X_FORWARDED_FOR="198.51.100.1")
    other = upload(Client(), face_photo, HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.2")
    same = upload(Client(), face_photo, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert (first.status_code, other.status_code, same.status_code) == (302, 302, 429)


def test_the_id_photo_page_has_the_same_limit(face_photo, settings):
    settings.PAGE_JOBS_PER_SESSION = 1
    visitor = Client()
    first = visitor.post("/idphoto/upload", {"photo": SimpleUploadedFile("a.png", face_photo)})
    again = visitor.post("/idphoto/upload", {"photo": SimpleUploadedFile("a.png", face_photo)})
    assert (first.status_code, again.status_code) == (302, 429)
    assert "as many photos waiting as a visitor may (1)" in html.unescape(again.content.decode())
