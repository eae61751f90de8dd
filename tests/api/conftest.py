"""What the API tests share."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api() -> APIClient:
    """An anonymous API client."""
    return APIClient()
