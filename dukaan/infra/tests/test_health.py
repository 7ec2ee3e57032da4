"""The health probes: /healthz while the process lives, /readyz only when the database can serve."""

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse


def test_healthz_answers_ok_without_touching_the_database(client):
    # No database marker: pytest-django fails the test if the liveness probe queries the database.
    response = client.get(reverse("infra:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_answers_and_every_migration_is_applied(client):
    response = client.get(reverse("infra:readyz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_does_not_answer(client):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused by a test")

    with connection.execute_wrapper(refuse):
        response = client.get(reverse("infra:readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "did not answer SELECT 1" in body["problem"]
    # The driver's own words stay in the server log, out of a public answer.
    assert "refused by a test" not in body["problem"]


@pytest.mark.django_db(transaction=True)
def test_readyz_is_unavailable_and_names_the_migrations_not_yet_applied(client):
    call_command("migrate", "catalog", "zero", verbosity=0)
    try:
        response = client.get(reverse("infra:readyz"))
    finally:
        call_command("migrate", verbosity=0)

    assert response.status_code == 503
    body = response.json()
    assert "dukaan migrate" in body["problem"]
    assert "catalog.0001_initial" in body["unapplied_migrations"]
    assert client.get(reverse("infra:readyz")).status_code == 200


def test_probes_refuse_writes(client):
    assert client.post(reverse("infra:healthz")).status_code == 405
