"""Production settings as an operator deploys them: `manage.py check --deploy` finds nothing to warn
about, plain http is redirected to https except for the probes, and staging on plain http still works."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.test import Client

PRODUCTION = {
    "DUKAAN_ENV": "production",
    "DUKAAN_ALLOWED_HOSTS": "shop.example.com",
    "DUKAAN_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
    "DUKAAN_SITE_URL": "https://shop.example.com",
    "DATABASE_URL": "postgres://dukaan:secret@10.0.0.5:5432/dukaan",  # never connected to by the check
    "CACHE_URL": "redis://10.0.0.6:6379/0",
    "STORAGE_URL": "s3://dukaan-media",
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example.com/send",
    "DUKAAN_TRUSTED_PROXIES": "10.0.0.0/8",
    "DJANGO_SETTINGS_MODULE": "dukaan.config.settings",
}


def run(tmp_path, code: list[str], **environment: str) -> subprocess.CompletedProcess:
    """A fresh Python with only `environment` set (nothing inherited from this run)."""
    env = {"PATH": os.environ["PATH"], "DUKAAN_VAR_DIR": str(tmp_path), **environment}
    return subprocess.run([sys.executable, *code], env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_finds_nothing_to_warn_about_in_a_complete_production_setup(tmp_path):
    result = run(
        tmp_path,
        ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        DUKAAN_SECRET_KEY=secrets.token_urlsafe(50),
        **PRODUCTION,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert result.stderr == ""


def test_check_deploy_still_catches_what_is_left_insecure(tmp_path):
    result = run(
        tmp_path,
        ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        DUKAAN_SECRET_KEY=secrets.token_urlsafe(50),
        DUKAAN_HSTS_INCLUDE_SUBDOMAINS="false",
        **PRODUCTION,
    )

    assert result.returncode != 0
    assert "security.W005" in result.stderr


SHOW = """
import json
import dukaan.config.settings as s
print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD]))
"""


@pytest.mark.parametrize(
    "environment, expected",
    [
        ({"DUKAAN_ENV": "production"}, [True, True, True]),
        (
            {
                "DUKAAN_ENV": "staging",
                "DUKAAN_ALLOWED_HOSTS": "127.0.0.1",
                "DUKAAN_TRUSTED_PROXIES": "127.0.0.1",
            },
            [False, False, False],
        ),
        ({}, [False, False, False]),
    ],
)
def test_https_redirect_and_hsts_reach_are_production_only(tmp_path, environment, expected):
    if environment.get("DUKAAN_ENV") == "production":
        environment = {**PRODUCTION, **environment}
    environment["DUKAAN_SECRET_KEY"] = secrets.token_urlsafe(50)
    result = run(tmp_path, ["-c", SHOW], **environment)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


@pytest.mark.django_db
def test_production_redirects_plain_http_to_https_but_answers_the_probes(settings):
    settings.SECURE_SSL_REDIRECT = True  # as DUKAAN_ENV=production sets it
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()  # builds its middleware, which reads these settings, on its first request

    redirected = client.get("/login/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/login/"
    assert client.get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert client.get(probe).status_code != 301, probe
