"""The admin's jobs: readable results and timings, lists that fit, "View on site", the queue."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from webapp.photos.models import Job

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, content: bytes, name: str = "photo.png") -> Job:
    response = client.post(
        "/upload", {"photo": SimpleUploadedFile(name, content), "mode": 0, "kind": "face_shape"}
    )
    return Job.objects.get(pk=response["Location"].split("/")[2])


@pytest.fixture
def done(client, run_worker) -> Job:
    job = upload(client, (DATA / "faces" / "astronaut.png").read_bytes())
    run_worker()
    job.refresh_from_db()
    return job


def test_the_job_page_shows_the_result_as_json_and_the_timings(admin_client, done):
    page = html.unescape(admin_client.get(f"/admin/photos/job/{done.id}/change/").content.decode())
    assert '"face_shape": [' in page  # indented JSON, not Python's notation
    assert "{'" not in page and "OrderedDict" not in page
    for step in ("queue", "decode", "engine", "clean", "overlay", "run in all"):
        assert f'<th scope="row">{step}</th>' in page, step
    assert f'href="/r/{done.id}/"' in page  # View on site


def test_a_failed_job_keeps_its_timings(client, run_worker):
    job = upload(client, image_bytes((320, 240), "skyblue"))
    job.timings = {"decode": 3.5}
    job.fail("internal")
    job.refresh_from_db()
    assert job.timings == {"decode": 3.5}


def test_view_on_site_leads_staff_to_the_job_page(admin_client, done):
    page = admin_client.get(f"/r/{done.id}/")
    assert page.status_code == 200
    assert b"svg" in page.content and b"deleted or expired" not in page.content


def test_the_list_is_short_and_tells_outcomes(admin_client, done, client, run_worker):
    nothing = upload(client, image_bytes((320, 240), "skyblue"))
    run_worker()
    page = admin_client.get("/admin/photos/job/").content.decode()
    assert str(done.id)[:8] in page and f">{done.id}<" not in page
    assert ">Done</strong>" in page and ">No result</strong>" in page
    assert str(nothing.id)[:8] in page


def test_the_queue_dashboard_counts_finished_jobs(done):
    import django_rq
    from rq.registry import FinishedJobRegistry

    queue = django_rq.get_queue("default")
    assert FinishedJobRegistry(queue=queue).count == 1


def test_the_template_add_form_shows_no_figures_before_saving(admin_client):
    page = admin_client.get("/admin/fusion/fusiontemplate/add/").content.decode()
    assert "Faces found" not in page and "Width" not in page


def test_the_jobs_list_fits_a_laptop_screen(live_server, client, run_worker, done):
    from django.contrib.auth import get_user_model

    from ..browser import run_in_browser

    get_user_model().objects.create_superuser("boss", "boss@example.org", "a long password")
    upload(client, image_bytes((320, 240), "skyblue"))
    run_worker()

    def visit(browser):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(live_server.url + "/admin/login/?next=/admin/photos/job/")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "a long password")
        page.click("input[type=submit]")
        page.wait_for_selector("#result_list")
        return page.evaluate("document.documentElement.scrollWidth"), page.locator(
            "#result_list tbody tr"
        ).count()

    # The admin is Django's own: axe checks this project's pages, not it.
    (width, rows), _checks = run_in_browser(visit, axe=False)
    assert rows == 2
    assert width <= 1280
