"""Hostile and broken requests: every API answers them in its own format, never with HTML."""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from webapp.photos.models import Job, Photo
from webapp.wire.signature import SignatureError, parse, sign

pytestmark = pytest.mark.django_db(transaction=True)

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def keys(cred: dict[str, str]) -> dict[str, str]:
    return {"X-Api-Key": cred["secret_id"], "X-Api-Secret": cred["secret_key"]}


def signed(cred: dict[str, str], *, e: str, t: str) -> str:
    """An Authorization header signed with the credential's key, whatever `e` and `t` hold."""
    plain = f"a={cred['appid']}&b=&k={cred['secret_id']}&e={e}&t={t}&r=7&u=0&f=".encode()
    digest = hmac.new(cred["secret_key"].encode(), plain, hashlib.sha1).digest()
    return base64.b64encode(digest + plain).decode()


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()


# --- JSON nested too deep -------------------------------------------------------------
def test_json_nested_100000_deep_is_invalid_json_for_face_shape():
    response = Client().post("/face/shape", DEEP_JSON, content_type="application/json")
    assert response.status_code == 400
    assert _json(response)["code"] == -1009


def test_json_nested_100000_deep_is_invalid_json_for_fusion_before_auth():
    response = Client().post("/fuseapi/face", DEEP_JSON, content_type="application/json")
    assert response.status_code == 400
    assert _json(response) == {
        "ret": -1009,
        "img_url": "",
        "msg": "The request body is not valid JSON.",
    }


@pytest.mark.parametrize(
    "body",
    [DEEP_JSON, b'{"spec": ' + b"[" * 35 + b'"x"' + b"]" * 35 + b"}"],
    ids=["100000-deep", "35-deep"],
)
def test_json_nested_too_deep_is_refused_by_the_idphoto_api_after_auth(credential, body):
    response = Client().post(
        "/idphoto/check", body, content_type="application/json", headers=keys(credential)
    )
    assert response.status_code == 400
    body = _json(response)
    assert body["code"] == 400
    assert body["msg"] == "参数错误: the body nests more than 32 levels deep"


# --- Signatures whose times are not plain numbers --------------------------------------
@pytest.mark.parametrize(
    ("e", "t"),
    [("١٢٣", "1700000000"), ("²", "1700000000"), ("9" * 5000, "1700000000"), ("1", "7" * 4301)],
    ids=["arabic-indic-digits", "superscript-two", "5000-digits", "4301-digits"],
)
def test_a_signed_time_that_is_not_a_unix_time_is_auth_malformed(credential, e, t):
    header = signed(credential, e=e, t=t)
    with pytest.raises(SignatureError, match="is not a unix time"):
        parse(header)
    response = Client().post(
        "/face/shape", {"appid": credential["appid"]}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert _json(response)["code"] == -20002
    assert "is not a unix time" in response.json()["message"]


def test_a_plain_signature_still_parses():
    claims = parse(sign("1", "AKID", "secret", now=1700000000, expires_in=60))
    assert (claims.signed_at, claims.expires_at) == (1700000000, 1700000060)


# --- Bodies Django cannot read -------------------------------------------------------
FORM_APIS = {
    "face-shape": ("/face/shape", lambda c: {}, lambda r: r["code"] == -2100),
    "dense": (
        "/facepp/v1/face/thousandlandmark",
        lambda c: {},
        lambda r: r["error_message"].startswith("BAD_ARGUMENTS: "),
    ),
    "idphoto": (
        "/idphoto/check",
        keys,
        lambda r: r["code"] == 400 and r["msg"].startswith("参数错误: The request cannot be read"),
    ),
}


@pytest.mark.parametrize("api", FORM_APIS)
def test_too_many_form_fields_is_a_bad_request(credential, api):
    path, headers, expected = FORM_APIS[api]
    body = "&".join(f"f{i}=1" for i in range(1500))
    response = Client().post(
        path, body, content_type="application/x-www-form-urlencoded", headers=headers(credential)
    )
    assert response.status_code == 400
    assert expected(_json(response))


@pytest.mark.parametrize("api", FORM_APIS)
@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 300,
    ],
    ids=["no-boundary", "empty-boundary", "boundary-too-long"],
)
def test_a_broken_multipart_boundary_is_a_bad_request(credential, api, content_type):
    path, headers, expected = FORM_APIS[api]
    response = Client().generic(
        "POST", path, b"--x\r\n", content_type=content_type, headers=headers(credential)
    )
    assert response.status_code == 400
    assert expected(_json(response))


@pytest.mark.parametrize("api", FORM_APIS)
@pytest.mark.parametrize("length", ["abc", "-5", "²"])
def test_a_content_length_that_is_not_a_number_is_a_bad_request(credential, api, length):
    path, headers, expected = FORM_APIS[api]
    response = Client().generic(
        "POST",
        path,
        b"a=1",
        content_type="application/x-www-form-urlencoded",
        headers=headers(credential),
        CONTENT_LENGTH=length,
    )
    assert response.status_code == 400
    assert expected(_json(response))


class DroppedConnection:
    """A request body whose client went away before sending what Content-Length said."""

    def read(self, size: int = -1) -> bytes:
        raise OSError("the connection was reset")

    readline = read


@pytest.mark.parametrize("api", FORM_APIS)
@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]
)
def test_a_body_that_ends_early_is_a_bad_request(credential, api, content_type):
    path, headers, expected = FORM_APIS[api]
    response = _dropped(path, content_type, headers(credential))
    assert response.status_code == 400
    assert expected(_json(response))


def test_a_json_body_that_ends_early_is_a_bad_request():
    response = _dropped("/fuseapi/face", "application/json", {})
    assert response.status_code == 400
    assert _json(response) == {
        "ret": -2100,
        "img_url": "",
        "msg": "Bad HTTP header: the body ended before its Content-Length.",
    }


def _dropped(path: str, content_type: str, headers: dict[str, str]):
    return Client().generic(
        "POST",
        path,
        headers=headers,
        CONTENT_LENGTH="5000",
        CONTENT_TYPE=content_type,
        **{"wsgi.input": DroppedConnection()},
    )


def test_an_image_over_the_limit_is_refused_while_it_is_read(settings):
    """Content-Length leaves room for the form around the image: the image itself is bounded."""
    settings.MAX_UPLOAD_MB = 1
    image = ContentFile(b"\xff\xd8\xff" + b"\0" * (2**20 + 1000), name="big.jpg")
    response = Client().post("/face/shape", {"appid": "1", "image": image})
    assert response.status_code == 413
    assert _json(response) == {
        "code": -3,
        "message": "The photo is too large; the limit is 1.0 MB.",
        "data": {"session_id": ""},
    }


def test_a_body_that_is_not_utf8_is_invalid_json(credential):
    response = Client().post(
        "/idphoto/check", b"\xff\xfe{}", content_type="application/json", headers=keys(credential)
    )
    assert response.status_code == 400
    assert _json(response)["msg"] == "参数错误: the body is not valid JSON"


def test_a_form_that_is_not_utf8_is_read(credential):
    response = Client().post(
        "/idphoto/check",
        b"spec=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
        headers=keys(credential),
    )
    assert response.status_code == 400
    assert _json(response)["code"] == 207  # an unknown specification, not a crash


# --- A full disk -------------------------------------------------------------------
@pytest.fixture
def full_disk(monkeypatch):
    """The disk fills up while a stored file is written (its first chunk gets through)."""

    def chunks(self, chunk_size=None):
        yield self.file.getvalue()[:1000]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ContentFile, "chunks", chunks)


def test_a_full_disk_is_answered_readably_and_leaves_no_file(
    credential, face_photo, full_disk, settings
):
    response = Client().post(
        "/idphoto/check",
        {"base64": base64.b64encode(face_photo).decode()},
        content_type="application/json",
        headers=keys(credential),
    )
    assert response.status_code == 503
    body = _json(response)
    assert body["code"] == 500
    assert "no room left to store the photo" in body["msg"]
    assert not Job.objects.exists() and not Photo.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_full_disk_is_answered_in_each_format(credential, face_photo, full_disk):
    from .test_face_shape import auth

    response = Client().post(
        "/face/shape",
        {"appid": credential["appid"], "image": ContentFile(face_photo, name="a.png")},
        headers={"Authorization": auth(credential)},
    )
    assert response.status_code == 503
    assert _json(response)["message"] == (
        "The server has no room left to store the photo; try again later."
    )
