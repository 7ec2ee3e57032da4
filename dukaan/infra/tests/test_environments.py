"""DUKAAN_ENV: the settings module as an operator meets it, imported in a fresh process per environment."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import GOOD_SECRET, PRODUCTION, run_fresh

SHOW_SETTINGS = """
import json
import dukaan.config.settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "allowed_hosts": s.PLATFORM_HOSTS,
    "secure_cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "proxy_ssl_header": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
    "hsts_seconds": s.SECURE_HSTS_SECONDS,
}))
"""


def load_settings(tmp_path, **environment: str) -> subprocess.CompletedProcess:
    """Import the settings module with only `environment` set (nothing inherited from this run)."""
    return run_fresh(tmp_path, SHOW_SETTINGS, **environment)


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr.split("ImproperlyConfigured: ", 1)[1]


def test_dev_is_the_default_and_loads_as_before(tmp_path):
    settings = loaded(load_settings(tmp_path))

    assert settings == {
        "debug": True,
        "allowed_hosts": ["localhost", "127.0.0.1", "[::1]"],
        "secure_cookies": [False, False],
        "proxy_ssl_header": None,
        "hsts_seconds": 0,
    }
    assert loaded(load_settings(tmp_path, DUKAAN_ENV="dev")) == settings


def test_production_with_laptop_defaults_refuses_listing_every_variable_to_set(tmp_path):
    message = refusal(load_settings(tmp_path, DUKAAN_ENV="production"))

    assert message.startswith("DUKAAN_ENV=production needs these set:")
    for variable in (
        "DUKAAN_SECRET_KEY",
        "DUKAAN_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CACHE_URL",
        "STORAGE_URL",
        "SMS_BACKEND",
    ):
        assert f"\n- {variable}: set" in message


def test_production_with_everything_set_runs_without_debug_and_with_secure_cookies(tmp_path):
    settings = loaded(load_settings(tmp_path, **PRODUCTION))

    assert settings["debug"] is False
    assert settings["allowed_hosts"] == ["shop.example.com"]
    assert settings["secure_cookies"] == [True, True]
    assert settings["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["hsts_seconds"] == 31_536_000


@pytest.mark.parametrize(
    "change, variable",
    [
        ({"DUKAAN_SECRET_KEY": "dev-only-insecure-key-change-me-in-production"}, "DUKAAN_SECRET_KEY"),
        ({"DUKAAN_SECRET_KEY": "short"}, "DUKAAN_SECRET_KEY"),
        ({"DUKAAN_DEBUG": "true"}, "DUKAAN_DEBUG"),
        ({"DATABASE_URL": "sqlite:////srv/dukaan.sqlite3"}, "DATABASE_URL"),
        ({"CACHE_URL": "locmem://"}, "CACHE_URL"),
        ({"PAYMENT_GATEWAY": "fake"}, "PAYMENT_WEBHOOK_SECRET"),
        ({"DUKAAN_SECURE_COOKIES": "false"}, "DUKAAN_SECURE_COOKIES"),
        ({"DUKAAN_HSTS_SECONDS": "0"}, "DUKAAN_HSTS_SECONDS"),
        ({"DUKAAN_SSL_REDIRECT": "false"}, "DUKAAN_SSL_REDIRECT"),
    ],
)
def test_production_refuses_each_unsafe_value_by_name(tmp_path, change, variable):
    message = refusal(load_settings(tmp_path, **{**PRODUCTION, **change}))

    assert message.count("\n- ") == 1
    assert f"\n- {variable}: " in message


def test_the_dukaan_command_lists_what_to_fix_alone_without_a_traceback(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DUKAAN_VAR_DIR": str(tmp_path),
        **PRODUCTION,
        "DUKAAN_SSL_REDIRECT": "0",
    }

    result = subprocess.run(
        [sys.executable, "-m", "dukaan.cli", "up"], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
    assert result.stderr.splitlines() == [
        "dukaan: the settings are refused.",
        "DUKAAN_ENV=production needs these set:",
        "- DUKAAN_SSL_REDIRECT: unset it; without it a page asked for over plain http is answered over "
        "plain http.",
    ]


def test_staging_needs_a_secret_key_and_hosts_but_may_run_on_the_embedded_defaults(tmp_path):
    message = refusal(load_settings(tmp_path, DUKAAN_ENV="staging"))
    assert "DUKAAN_SECRET_KEY" in message and "DUKAAN_ALLOWED_HOSTS" in message
    assert "DATABASE_URL" not in message and "CACHE_URL" not in message

    staging = {
        "DUKAAN_ENV": "staging",
        "DUKAAN_SECRET_KEY": GOOD_SECRET,
        "DUKAAN_ALLOWED_HOSTS": "staging.test",
        "DUKAAN_TRUSTED_PROXIES": "127.0.0.1",
    }
    settings = loaded(load_settings(tmp_path, **staging))
    assert settings["debug"] is False
    assert settings["secure_cookies"] == [True, True]
    assert settings["hsts_seconds"] == 0  # a staging host must be able to go back to plain http


def test_a_staging_run_on_plain_http_can_turn_secure_cookies_off(tmp_path):
    staging = {
        "DUKAAN_ENV": "staging",
        "DUKAAN_SECRET_KEY": GOOD_SECRET,
        "DUKAAN_ALLOWED_HOSTS": "localhost",
        "DUKAAN_TRUSTED_PROXIES": "127.0.0.1",
    }

    settings = loaded(load_settings(tmp_path, **staging, DUKAAN_SECURE_COOKIES="false"))

    assert settings["secure_cookies"] == [False, False]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_deployed_behind_a_load_balancer_without_trusted_proxies_is_refused(tmp_path, environment):
    deployed = {**PRODUCTION, "DUKAAN_ENV": environment}
    del deployed["DUKAAN_TRUSTED_PROXIES"]

    message = refusal(load_settings(tmp_path, **deployed))

    assert message.count("\n- ") == 1
    assert "\n- DUKAAN_TRUSTED_PROXIES: set the addresses of the proxies in front" in message
    assert "DUKAAN_BEHIND_TLS_PROXY=false" in message
    # No proxy in front, said so: nothing to trust, and every client is counted by its own address.
    alone = loaded(load_settings(tmp_path, **deployed, DUKAAN_BEHIND_TLS_PROXY="false"))
    assert alone["proxy_ssl_header"] is None


def test_an_unknown_environment_is_refused_naming_the_known_ones(tmp_path):
    message = refusal(load_settings(tmp_path, DUKAAN_ENV="prod"))

    assert message.strip() == "DUKAAN_ENV must be one of dev, test, staging, production, not 'prod'."


def test_replica_settings_that_could_lose_a_write_are_refused(tmp_path):
    short_window = load_settings(tmp_path, DB_READ_YOUR_WRITES_SECONDS="3", DB_REPLICA_MAX_LAG_SECONDS="5")
    assert short_window.returncode != 0
    assert "DB_READ_YOUR_WRITES_SECONDS (3) must be longer than DB_REPLICA_MAX_LAG_SECONDS (5)" in (
        short_window.stderr
    )
    not_postgres = load_settings(tmp_path, DATABASE_REPLICA_URLS="sqlite:///replica.sqlite3")
    assert not_postgres.returncode != 0
    assert "DATABASE_REPLICA_URLS must list PostgreSQL replicas" in not_postgres.stderr


def test_every_bad_value_is_refused_at_once_each_naming_its_variable(tmp_path):
    message = refusal(
        load_settings(
            tmp_path,
            OTP_TTL_SECONDS="five minutes",
            DUKAAN_DEBUG="maybe",
            CACHE_URL="memcached://127.0.0.1:11211",
            DUKAAN_TRUSTED_PROXIES="10.0.0.0/8,nginx",
        )
    )

    assert message.strip().splitlines() == [
        "DUKAAN_DEBUG: Not a valid boolean, not 'maybe'.",
        "DUKAAN_TRUSTED_PROXIES: 'nginx' is not an IP address or network (e.g. 10.0.0.0/8).",
        "CACHE_URL must be redis://host:port/db, locmem:// (in-process) or dummy:// (none), "
        "not 'memcached://127.0.0.1:11211'",
        "OTP_TTL_SECONDS: Not a valid integer, not 'five minutes'.",
    ]
