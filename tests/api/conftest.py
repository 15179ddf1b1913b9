from __future__ import annotations

import pytest

from webapp.api.models import ApiClient

from ..conftest import DATA
from ..factories import make_fusion_template


@pytest.fixture(autouse=True)
def _isolated(isolated: None) -> None:
    """Media in a temporary folder, queues on the test Redis (see tests/conftest.py)."""


@pytest.fixture
def credential() -> dict[str, str]:
    """A new API credential: appid, secret_id and secret_key."""
    client = ApiClient(name="partner")
    secret_key = client.set_new_secret_key()
    client.save()
    return client.credentials(secret_key)


@pytest.fixture
def template():
    return make_fusion_template()


@pytest.fixture
def obama() -> bytes:
    return (DATA / "faces" / "obama.jpg").read_bytes()
