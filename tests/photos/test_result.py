from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.photos.models import Job, Photo


@pytest.fixture
def done_job(client, face_photo, run_worker) -> Job:
    client.post(
        "/upload",
        {"photo": SimpleUploadedFile("me.png", face_photo), "mode": 0, "kind": "face_shape"},
    )
    run_worker()
    job = Job.objects.get()
    assert job.status == Job.Status.DONE
    return job


@pytest.fixture
def shared_job(client, done_job) -> Job:
    """The done job, shared by its owner."""
    assert client.post(f"/r/{done_job.id}/share").status_code == 302
    done_job.refresh_from_db()
    assert done_job.sharing
    return done_job


pytestmark = pytest.mark.django_db(transaction=True)


def test_it_checks_ownership(done_job):
    stranger = Client()
    for suffix in ("", "status", "photo.jpg", "overlay.png", "result.json"):
        response = stranger.get(f"/r/{done_job.id}/{suffix}")
        assert response.status_code == 404, suffix
    assert stranger.post(f"/r/{done_job.id}/delete").status_code == 404
    assert Job.objects.filter(pk=done_job.pk).exists()


def test_it_reports_status_as_json(client, done_job):
    data = client.get(f"/r/{done_job.id}/status").json()
    assert data == {
        "id": str(done_job.id),
        "status": "done",
        "error_code": "",
        "error_message": "",
        "finished": True,
        "outcome": "done",
    }


def test_share_link_opens_a_read_only_copy(shared_job):
    done_job = shared_job
    assert len(done_job.share_key) >= 43  # 256 bits, URL-safe
    stranger = Client()
    page = stranger.get(f"/s/{done_job.share_key}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<circle") == 88
    assert "Delete photo" not in html
    assert f"/r/{done_job.id}" not in html
    assert stranger.get(f"/s/{done_job.share_key}/photo.jpg").status_code == 200
    assert stranger.get(f"/s/{done_job.share_key}/overlay.png").status_code == 200
    assert stranger.get(f"/s/{done_job.share_key}/result.json").json() == done_job.result


def test_unknown_share_link_gets_a_friendly_404(client):
    response = client.get("/s/not-a-real-token/")
    assert response.status_code == 404
    assert b"This link does not work" in response.content


def test_owner_can_revoke_the_share_link(client, shared_job):
    done_job = shared_job
    old = done_job.share_key
    response = client.post(f"/r/{done_job.id}/revoke")
    assert response.status_code == 302
    assert client.get(f"/s/{old}/").status_code == 404
    done_job.refresh_from_db()
    assert client.get(f"/s/{done_job.share_key}/").status_code == 200


def test_owner_can_delete_the_result_and_its_files(client, shared_job):
    done_job = shared_job
    photo_path = done_job.photo.file.path
    overlay_path = done_job.overlay.path
    response = client.post(f"/r/{done_job.id}/delete")
    assert response.status_code == 302
    assert not Job.objects.exists()
    assert not Photo.objects.exists()
    import os

    assert not os.path.exists(photo_path)
    assert not os.path.exists(overlay_path)
    assert client.get(f"/s/{done_job.share_key}/").status_code == 404


def test_index_lists_only_my_results(client, done_job):
    assert str(done_job.id) in client.get("/").content.decode()
    assert str(done_job.id) not in Client().get("/").content.decode()


def test_a_face_shape_result_offers_each_faces_68_points(client, done_job):
    html = client.get(f"/r/{done_job.id}/").content.decode()
    assert f"/r/{done_job.id}/face-0.pts" in html
    response = client.get(f"/r/{done_job.id}/face-0.pts")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    lines = response.content.decode().splitlines()
    assert lines[:3] == ["version: 1", "n_points: 68", "{"] and len(lines) == 72
    assert client.get(f"/r/{done_job.id}/face-1.pts").status_code == 404  # one face
    assert Client().get(f"/r/{done_job.id}/face-0.pts").status_code == 404  # not the owner
    client.post(f"/r/{done_job.id}/share")
    shared = Client().get(f"/s/{done_job.share_key}/face-0.pts")
    assert shared.status_code == 200 and shared.content == response.content
