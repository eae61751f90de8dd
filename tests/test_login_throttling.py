"""Guessing is stopped: after LOGIN_FAILURE_LIMIT wrong passwords for one user name from one
address, or as many API tokens that are not valid, that address is refused (429), the right
password or token included, until the lock-out ends; each failure is logged."""

import logging

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "a-long-passphrase-42"  # The `curator` fixture's.


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_wrong_passwords_lock_the_user_name_out_of_admin_from_that_address(curator, caplog):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="axes"):
        answers = [sign_in(client, "curator", f"guess-{n}").status_code for n in range(6)]
    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(answers[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}
    assert sign_in(client, "curator", PASSWORD).status_code == 429
    assert not signed_in(client)
    failures = [record for record in caplog.records if "login failure" in record.getMessage()]
    assert len(failures) >= settings.AXES_FAILURE_LIMIT
    assert 'username: "curator"' in failures[0].getMessage()
    # Another address, or the lock lifted, and the right password works.
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert sign_in(elsewhere, "curator", PASSWORD).status_code == 302
    call_command("axes_reset")
    assert sign_in(client, "curator", PASSWORD).status_code == 302
    assert signed_in(client)


def test_tokens_that_are_not_valid_lock_the_address_out_of_the_api(curator):
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.credentials(HTTP_AUTHORIZATION=f"Token not-a-token-{n}")
        assert client.get("/api/v1/initiatives/").status_code in (401, 429)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    response = client.get("/api/v1/initiatives/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert response.json()["error"]["code"] == "throttled"
    elsewhere = APIClient(REMOTE_ADDR="192.0.2.7")
    elsewhere.credentials(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"])
    assert elsewhere.get("/api/v1/initiatives/").status_code == 200
    call_command("axes_reset")
    assert client.get("/api/v1/initiatives/").status_code == 200
