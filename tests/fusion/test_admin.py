"""The admin: templates saved with their faces found once, previews, inline templates."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from webapp.fusion.models import FusionProject, FusionTemplate

from ..conftest import DATA, image_bytes
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/fusion/fusiontemplate/add/"


def _template_fields(project: FusionProject, photo, **extra):
    return {
        "project": project.pk,
        "model_id": "m1",
        "name": "A template",
        "photo": photo,
        "replace_faces": "all",
        "shape_degree": 80,
        "features_degree": 90,
        "is_active": "on",
        **extra,
    }


@pytest.fixture
def project() -> FusionProject:
    return FusionProject.objects.create(project_id="p1", name="Project one")


def test_it_adds_a_template_with_its_faces(admin_client, project):
    with open(DATA / "faces" / "astronaut.png", "rb") as photo:
        response = admin_client.post(ADD_URL, _template_fields(project, photo))
    assert response.status_code == 302, response.content.decode()[:2000]
    template = FusionTemplate.objects.get()
    assert (template.face_count, template.replaced, template.shape_degree) == (1, [0], 80)


def test_it_refuses_a_template_without_a_face(admin_client, project, tmp_path):
    grey = tmp_path / "grey.png"
    grey.write_bytes(image_bytes((300, 300), "grey"))
    with open(grey, "rb") as photo:
        response = admin_client.post(ADD_URL, _template_fields(project, photo))
    assert response.status_code == 200
    assert (
        "No face was found in this photo, so it cannot be a template (code -8"
        in response.content.decode()
    )
    assert not FusionTemplate.objects.exists()
    assert not (tmp_path / "media" / "fusion").exists() or not any(
        (tmp_path / "media" / "fusion").rglob("*.jpg")
    )


def test_the_change_page_numbers_the_faces_found(admin_client, project):
    template = make_fusion_template(
        project=project, photo="two_people.jpg", model_id="two", replace_faces="1"
    )
    html = admin_client.get(f"/admin/fusion/fusiontemplate/{template.pk}/change/").content.decode()
    assert html.count("<rect ") == 2
    assert ">0</text>" in html and ">1</text>" in html
    assert html.count('stroke="#3ddc84"') == 1, "only face 1 is marked as replaced"
    assert "/fusion/p1/two/thumbnail.jpg" in html


def test_staff_see_the_thumbnail_of_an_inactive_template(admin_client, project):
    make_fusion_template(project=project, model_id="hidden", is_active=False)
    assert admin_client.get("/fusion/p1/hidden/thumbnail.jpg").status_code == 200
    assert Client().get("/fusion/p1/hidden/thumbnail.jpg").status_code == 404


def test_a_project_takes_templates_inline(admin_client):
    with open(DATA / "faces" / "obama.jpg", "rb") as photo:
        response = admin_client.post(
            "/admin/fusion/fusionproject/add/",
            {
                "project_id": "summer",
                "name": "Summer",
                "is_active": "on",
                "ai_mark": "on",
                "result_link_minutes": 30,
                "templates-TOTAL_FORMS": 1,
                "templates-INITIAL_FORMS": 0,
                "templates-MIN_NUM_FORMS": 0,
                "templates-MAX_NUM_FORMS": 1000,
                "templates-0-model_id": "obama",
                "templates-0-name": "Obama",
                "templates-0-photo": photo,
                "templates-0-replace_faces": "all",
                "templates-0-shape_degree": 100,
                "templates-0-features_degree": 100,
                "templates-0-is_active": "on",
            },
        )
    assert response.status_code == 302
    template = FusionTemplate.objects.get()
    assert template.project.project_id == "summer" and template.face_count == 1


def test_deleting_a_project_deletes_its_template_files(admin_client, project):
    template = make_fusion_template(project=project)
    paths = [template.image.path, template.thumbnail.path]
    response = admin_client.post(
        f"/admin/fusion/fusionproject/{project.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not FusionTemplate.objects.exists()
    assert not any(os.path.exists(path) for path in paths)


def test_the_lists_work(admin_client, project):
    make_fusion_template(project=project)
    assert admin_client.get("/admin/fusion/fusiontemplate/?q=astro").status_code == 200
    assert admin_client.get("/admin/fusion/fusionproject/").status_code == 200
    assert admin_client.get(f"/admin/fusion/fusionproject/{project.pk}/change/").status_code == 200
