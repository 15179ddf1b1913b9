"""Object storage: every file the app keeps is a private object in an S3-compatible bucket.

The bucket is moto's standalone S3 server on loopback, spoken to over HTTP by
the same S3 backend the app uses for AWS, MinIO, Ceph or R2.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from moto.server import ThreadedMotoServer

from webapp.api.models import ApiClient
from webapp.core.storage import S3_BACKEND, media_storage
from webapp.fusion.models import FusionProject, FusionTemplate
from webapp.photos import jobs
from webapp.photos.models import Job, Photo
from webapp.wire.signature import sign

from ..conftest import DATA
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db(transaction=True)

PREFIX = "likeness"
KEYS = {"access_key_id": "test-key", "secret_access_key": "test-secret", "region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class Bucket:
    """A fresh bucket the site stores its files in, and a client to look inside it."""

    def __init__(self, endpoint: str) -> None:
        self.name = f"likeness-{secrets.token_hex(6)}"
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=KEYS["access_key_id"],
            aws_secret_access_key=KEYS["secret_access_key"],
            region_name=KEYS["region"],
        )
        self.client.create_bucket(Bucket=self.name)

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=f"{PREFIX}/{name}")["Body"].read()

    def is_private(self, name: str) -> bool:
        grants = self.client.get_object_acl(Bucket=self.name, Key=f"{PREFIX}/{name}")["Grants"]
        return all("URI" not in grant["Grantee"] for grant in grants)


@pytest.fixture
def bucket(isolated: None, settings: Any, s3_endpoint: str) -> Bucket:
    """The site's storage set to a new bucket, as STORAGE_URL and its companions would."""
    bucket = Bucket(s3_endpoint)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage(f"s3://{bucket.name}/{PREFIX}/", endpoint_url=s3_endpoint, **KEYS),
    }
    return bucket


@pytest.fixture
def no_local_files(settings: Any) -> Iterator[None]:
    """Nothing is written to the local media folder while the bucket is the storage."""
    yield
    root = settings.MEDIA_ROOT
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


@pytest.fixture
def done_job(bucket: Bucket, client: Client, face_photo: bytes, run_worker) -> Job:
    response = client.post(
        "/upload",
        {"photo": SimpleUploadedFile("me.png", face_photo), "mode": 0, "kind": "face_shape"},
    )
    job = Job.objects.get()
    assert response.status_code == 302
    assert bucket.keys() == [f"{PREFIX}/{job.photo.file.name}"], "the upload is an object"
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error_message
    return job


def test_the_setting_chooses_the_s3_backend(bucket):
    assert default_storage.__class__.__module__ + ".S3Storage" == S3_BACKEND
    assert default_storage.bucket_name == bucket.name
    assert default_storage.location == PREFIX
    assert default_storage.file_overwrite is False
    assert default_storage.querystring_auth is True
    assert default_storage.default_acl is None


def test_a_page_upload_is_stored_and_streamed_from_the_bucket(
    bucket, client, done_job, no_local_files
):
    photo, overlay = done_job.photo.file.name, done_job.overlay.name
    assert photo.startswith("photos/") and overlay.startswith("results/")
    assert bucket.keys() == sorted([f"{PREFIX}/{photo}", f"{PREFIX}/{overlay}"]), (
        "the upload was replaced by the clean photo"
    )
    assert bucket.is_private(photo) and bucket.is_private(overlay)
    page = client.get(f"/r/{done_job.id}/")
    assert page.status_code == 200 and page.content.decode().count("<circle") == 88
    for path, name, content_type in (
        ("photo.jpg", photo, "image/jpeg"),
        ("overlay.png", overlay, "image/png"),
    ):
        response = client.get(f"/r/{done_job.id}/{path}")
        assert response.status_code == 200 and response["Content-Type"] == content_type
        assert b"".join(response.streaming_content) == bucket.read(name)
    assert Client().get(f"/r/{done_job.id}/photo.jpg").status_code == 404, "owners only"
    client.post(f"/r/{done_job.id}/share")
    done_job.refresh_from_db()
    shared = Client().get(f"/s/{done_job.share_key}/photo.jpg")
    assert b"".join(shared.streaming_content) == bucket.read(photo)


def test_the_owners_delete_removes_the_objects(bucket, client, done_job, no_local_files):
    assert client.post(f"/r/{done_job.id}/delete").status_code == 302
    assert not Job.objects.exists() and not Photo.objects.exists()
    assert bucket.keys() == []


def test_the_retention_purge_removes_the_objects(bucket, done_job, no_local_files):
    Job.objects.filter(pk=done_job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert jobs.purge_expired() == 1
    assert not Job.objects.exists() and not Photo.objects.exists()
    assert bucket.keys() == []


def test_a_missing_object_is_a_404(bucket, client, done_job):
    bucket.client.delete_object(Bucket=bucket.name, Key=f"{PREFIX}/{done_job.overlay.name}")
    assert client.get(f"/r/{done_job.id}/overlay.png").status_code == 404


def test_an_api_call_leaves_no_object(bucket, with_worker, face_photo, no_local_files):
    api_client = ApiClient(name="partner")
    secret_key = api_client.set_new_secret_key()
    api_client.save()
    cred = api_client.credentials(secret_key)
    response = with_worker(
        lambda: Client().post(
            "/face/shape",
            {"appid": cred["appid"], "mode": 0, "image": SimpleUploadedFile("a.jpg", face_photo)},
            headers={"Authorization": sign(cred["appid"], cred["secret_id"], cred["secret_key"])},
        )
    )
    assert response.status_code == 200 and response.json()["code"] == 0
    assert Job.objects.get().status == Job.Status.DONE
    assert bucket.keys() == []


def test_a_template_saved_in_the_admin_is_stored_as_objects(bucket, admin_client, no_local_files):
    project = FusionProject.objects.create(project_id="demo", name="Demo")
    with open(DATA / "faces" / "astronaut.png", "rb") as photo:
        response = admin_client.post(
            "/admin/fusion/fusiontemplate/add/",
            {
                "project": project.pk,
                "model_id": "astronaut",
                "name": "Astronaut",
                "photo": photo,
                "replace_faces": "all",
                "shape_degree": 100,
                "features_degree": 100,
                "is_active": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = FusionTemplate.objects.get()
    image, thumbnail = template.image.name, template.thumbnail.name
    assert image.startswith("fusion/templates/") and thumbnail.startswith("fusion/thumbnails/")
    assert bucket.keys() == sorted([f"{PREFIX}/{image}", f"{PREFIX}/{thumbnail}"])
    assert bucket.is_private(image) and bucket.is_private(thumbnail)
    for path, name in (("photo.jpg", image), ("thumbnail.jpg", thumbnail)):
        response = Client().get(f"/fusion/demo/astronaut/{path}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == bucket.read(name)


def test_a_fusion_job_reads_its_template_from_the_bucket(
    bucket, client, run_worker, no_local_files
):
    template = make_fusion_template()
    template_keys = bucket.keys()
    assert len(template_keys) == 2
    response = client.post(
        "/fusion/demo/astronaut/fuse",
        {
            "photo": SimpleUploadedFile("me.jpg", (DATA / "faces" / "obama.jpg").read_bytes()),
            "shape": 40,
            "features": 90,
        },
    )
    assert response.status_code == 302
    run_worker()
    job = Job.objects.get()
    assert job.status == Job.Status.DONE, job.error_message
    assert job.result_image.name.startswith("results/")
    assert f"{PREFIX}/{job.result_image.name}" in bucket.keys()
    image = client.get(f"/r/{job.id}/result-image")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content) == bucket.read(job.result_image.name)

    job.delete_with_files()
    assert bucket.keys() == template_keys, "the job's objects are gone, the template's stay"
    template.delete_with_files()
    assert bucket.keys() == []


def test_a_bad_storage_url_is_refused():
    for url in ("s3://", "https://bucket/prefix", "bucket/prefix"):
        with pytest.raises(ImproperlyConfigured):
            media_storage(url)
