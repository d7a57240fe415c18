import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_when_database_is_up(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]
