"""The pages work in a real headless Chromium under the Content-Security-Policy."""

from __future__ import annotations

import pytest

from ..conftest import DATA
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db(transaction=True)

#: Records every violation the page reports (an init script runs whatever the policy).
WATCH = (
    "window.violations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


@pytest.fixture(autouse=True)
def _setup(isolated: None) -> None:
    make_fusion_template()


def test_no_page_breaks_the_policy(live_server, with_worker, browser_session):
    def visit(browser):
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.add_init_script(WATCH)
        console = []
        page.on("console", lambda m: console.append(m.text))
        page.on("pageerror", lambda e: console.append(str(e)))
        seen = {}
        for kind, photo, point in [
            ("face_shape", "two_people.jpg", "svg.overlay circle"),
            ("dense", "obama.jpg", "svg.overlay polyline"),
        ]:
            page.goto(live_server.url + "/")
            page.set_input_files("input[type=file]", str(DATA / "faces" / photo))
            page.check(f"input[value={kind}]")
            page.click("button[type=submit]")
            page.wait_for_url("**/r/**")
            page.wait_for_selector(point, timeout=30_000)
            page.uncheck("input[data-toggle]:checked >> nth=0")  # the page's script works
            seen[kind] = page.evaluate("window.violations")
        for path in ["/fusion/", "/fusion/demo/astronaut/", "/idphoto/", "/no-such-page"]:
            page.goto(live_server.url + path)
            seen[path] = page.evaluate("window.violations")
        return seen, [text for text in console if "Content Security Policy" in text]

    seen, console = with_worker(lambda: browser_session(visit), timeout=120)
    assert all(not violations for violations in seen.values()), seen
    assert console == []
