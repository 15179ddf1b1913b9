"""Page uploads over the photo limit are refused before their body is read."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.photos.models import Job, Photo

from ..conftest import DATA
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db(transaction=True)

#: The pages that take a photo, and the form page each refusal links back to.
UPLOADS = {
    "/upload": "/",
    "/idphoto/upload": "/idphoto/",
    "/fusion/demo/astronaut/fuse": "/fusion/demo/astronaut/",
}


@pytest.fixture(autouse=True)
def _setup(isolated: None) -> None:
    make_fusion_template()


class NeverRead:
    """A request body that fails the test if anything reads it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def _text(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("path", UPLOADS)
def test_a_300_mb_upload_is_refused_from_its_content_length_unread(path):
    response = Client().generic(
        "POST",
        path,
        CONTENT_LENGTH=str(300 * 2**20),
        CONTENT_TYPE="multipart/form-data; boundary=x",
        **{"wsgi.input": NeverRead()},
    )
    assert response.status_code == 413
    text = _text(response)
    assert "The image is too large (300.0 MB); the limit is 10.0 MB." in text
    assert f'href="{UPLOADS[path]}"' in text
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize("path", UPLOADS)
def test_a_photo_over_the_limit_is_refused_while_it_is_read(path, settings):
    """Content-Length allows a form's fields beside the photo: the photo itself is bounded."""
    settings.MAX_UPLOAD_MB = 1
    photo = (DATA / "faces" / "astronaut.png").read_bytes()
    big = photo + b"\0" * (2**20 + 1000 - len(photo))
    response = Client().post(path, {"photo": SimpleUploadedFile("big.png", big), "shape": 50})
    assert response.status_code == 413
    assert "The photo is too large; the limit is 1.0 MB." in _text(response)
    assert not Job.objects.exists() and not Photo.objects.exists()


@pytest.mark.parametrize("path", UPLOADS)
def test_a_content_length_that_is_not_a_number_is_refused_with_a_page(path):
    response = Client().generic(
        "POST",
        path,
        CONTENT_LENGTH="abc",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        **{"wsgi.input": NeverRead()},
    )
    assert response.status_code == 400
    assert "its length is not a number" in _text(response)


def test_a_photo_under_the_limit_goes_through():
    photo = (DATA / "faces" / "astronaut.png").read_bytes()
    response = Client().post(
        "/upload", {"photo": SimpleUploadedFile("me.png", photo), "mode": 0, "kind": "dense"}
    )
    assert response.status_code == 302
    assert Job.objects.count() == 1


@pytest.mark.parametrize("path", UPLOADS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "&".join(f"f{i}=1" for i in range(1500))),
        ("multipart/form-data", "--x\r\n"),
    ],
    ids=["too-many-fields", "no-boundary"],
)
def test_a_form_that_cannot_be_read_is_refused_with_a_page(path, content_type, body):
    response = Client().generic("POST", path, body, content_type=content_type)
    assert response.status_code == 400
    text = _text(response)
    assert "The upload cannot be read: send the form again." in text
    assert f'href="{UPLOADS[path]}"' in text
