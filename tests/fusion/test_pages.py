"""The gallery, a template's upload form, and the fusion result page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.fusion.models import FusionProject
from webapp.photos.models import Job

from ..conftest import DATA, image_bytes
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db(transaction=True)


def upload(
    client: Client,
    content: bytes,
    name: str = "me.jpg",
    *,
    shape=40,
    features=90,
    url="/fusion/demo/astronaut/fuse",
):
    return client.post(
        url, {"photo": SimpleUploadedFile(name, content), "shape": shape, "features": features}
    )


@pytest.fixture
def obama() -> bytes:
    return (DATA / "faces" / "obama.jpg").read_bytes()


@pytest.fixture
def fused_job(client, template, obama, run_worker) -> Job:
    response = upload(client, obama)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/r/{job.id}/"
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    return job


def test_gallery_groups_the_active_templates_by_project(client, template):
    spring = FusionProject.objects.create(project_id="spring", name="Spring")
    make_fusion_template(project=spring, model_id="obama", name="Obama portrait", photo="obama.jpg")
    make_fusion_template(project=spring, model_id="off", name="Switched off", is_active=False)
    closed = FusionProject.objects.create(
        project_id="closed", name="Closed project", is_active=False
    )
    make_fusion_template(project=closed, model_id="x", name="In a closed project")
    html = client.get("/fusion/").content.decode()
    assert (
        html.index(">Demo</h2>")
        < html.index("Astronaut")
        < html.index(">Spring</h2>")
        < html.index("Obama portrait")
    )
    assert "/fusion/demo/astronaut/thumbnail.jpg" in html
    assert (
        "Switched off" not in html
        and "In a closed project" not in html
        and "Closed project" not in html
    )
    assert 'href="/fusion/"' in html, "the nav links to the gallery"


def test_gallery_without_templates_says_how_to_add_them(client):
    assert "manage.py fusion add-template" in client.get("/fusion/").content.decode()


def test_template_page_prefills_the_degrees(client, template):
    template.shape_degree, template.features_degree = 70, 35
    template.save()
    html = client.get("/fusion/demo/astronaut/").content.decode()
    assert 'type="range"' in html
    assert 'name="shape" value="70"' in html and 'name="features" value="35"' in html
    assert client.get("/fusion/demo/astronaut/photo.jpg")["Content-Type"] == "image/jpeg"


def test_inactive_templates_are_not_found(client, template):
    template.is_active = False
    template.save()
    for suffix in ("", "photo.jpg", "thumbnail.jpg"):
        response = client.get(f"/fusion/demo/astronaut/{suffix}")
        assert response.status_code == 404, suffix
    assert b"This link does not work" in client.get("/fusion/demo/astronaut/").content
    assert upload(client, b"x").status_code == 404


def test_it_works(client, fused_job):
    assert fused_job.params["shape"] == 40 and fused_job.params["features"] == 90
    html = client.get(f"/r/{fused_job.id}/").content.decode()
    assert f'src="/r/{fused_job.id}/result-image"' in html
    assert 'src="/fusion/demo/astronaut/photo.jpg"' in html, "the template, for before and after"
    assert 'type="range" id="compare"' in html
    assert "Download the image" in html and "AI-generated" in html
    assert "Make a share link" in html  # private until shared
    image = client.get(f"/r/{fused_job.id}/result-image")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_it_checks_ownership(fused_job):
    stranger = Client()
    assert stranger.get(f"/r/{fused_job.id}/").status_code == 404
    assert stranger.get(f"/r/{fused_job.id}/result-image").status_code == 404


def test_the_share_link_shows_the_fused_image(client, fused_job):
    client.post(f"/r/{fused_job.id}/share")
    fused_job.refresh_from_db()
    stranger = Client()
    html = stranger.get(f"/s/{fused_job.share_key}/").content.decode()
    assert f'src="/s/{fused_job.share_key}/result-image"' in html
    assert "Delete photo" not in html
    # Written for the person who opens it: no "your face", a way to the templates.
    assert "Your face" not in html and "A face fused into the template" in html
    assert "private to you" not in html and "Try face fusion with your own photo" in html
    assert f'content="http://testserver/s/{fused_job.share_key}/preview.jpg"' in html
    assert stranger.get(f"/s/{fused_job.share_key}/result-image").status_code == 200


def test_no_face_is_said_plainly(client, template, run_worker):
    upload(client, image_bytes((300, 300), "grey", "JPEG"))
    run_worker()
    job = Job.objects.get()
    html = client.get(f"/r/{job.id}/").content.decode()
    assert "No face was found in your photo." in html
    assert "result-image" not in html


def test_a_bad_upload_is_refused_on_the_template_page(client, template):
    response = upload(client, b"not an image at all" * 10)
    assert response.status_code == 400
    assert "The file is not an image." in response.content.decode()
    response = upload(client, (DATA / "faces" / "obama.jpg").read_bytes(), shape=101)
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert not Job.objects.exists()


def test_the_upload_is_protected_against_csrf(template, obama):
    client = Client(enforce_csrf_checks=True)
    assert upload(client, obama).status_code == 403
