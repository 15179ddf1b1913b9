from __future__ import annotations

import pytest

from ..api.conftest import credential  # noqa: F401  (a real API credential)


@pytest.fixture(autouse=True)
def _isolated(isolated: None) -> None:
    """Media in a temporary folder, queues on the test Redis (see tests/conftest.py)."""
