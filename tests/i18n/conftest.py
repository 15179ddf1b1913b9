from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(isolated: None) -> None:
    """Media in a temporary folder, queues on the test Redis (see tests/conftest.py)."""
