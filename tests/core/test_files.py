"""The app's files are private to its user, and pages carry the site's security headers."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run(code: str, data_dir: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("DB_PATH", "DATABASE_URL")}
    environ.update(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="webapp.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_new_data_dir_and_database_are_private(tmp_path):
    data = tmp_path / "var"
    _run(
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0)",
        data,
    )
    assert _mode(data) == 0o700
    database = sorted(data.glob("db.sqlite3*"))
    assert database and all(_mode(path) == 0o600 for path in database), database
    assert _mode(data / "secret_key") == 0o600


def test_an_existing_data_dir_and_database_are_made_private(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    (data / "db.sqlite3").touch(mode=0o644)
    data.chmod(0o755)
    (data / "db.sqlite3").chmod(0o644)
    _run("import django; django.setup()", data)
    assert _mode(data) == 0o700
    assert _mode(data / "db.sqlite3") == 0o600


@pytest.mark.parametrize(("behind_https", "seconds"), [("True", 365 * 24 * 3600), ("False", 0)])
def test_hsts_is_on_behind_an_https_proxy(tmp_path, behind_https, seconds):
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_PROXY_SSL_HEADER]))"
    )
    hsts, subdomains, proxy = json.loads(_run(code, tmp_path, BEHIND_HTTPS_PROXY=behind_https))
    assert (hsts, subdomains) == (seconds, False)
    assert bool(proxy) == (behind_https == "True")


@pytest.mark.django_db
def test_pages_send_hsts_over_https_behind_the_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 365 * 24 * 3600
    response = Client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert response["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/idphoto/", "/fusion/", "/no-such-page"])
def test_pages_carry_the_content_security_policy(path):
    policy = Client().get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'none'"
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])


@pytest.mark.django_db
def test_the_admin_is_left_without_it(admin_client):
    assert "Content-Security-Policy" not in admin_client.get("/admin/")
