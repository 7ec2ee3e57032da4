"""Shared set-up for the infra tests: what a buyer types at checkout, as the storefront's tests type it,
and a fresh Python process with only the environment an operator gives it."""

import os
import subprocess
import sys

from dukaan.storefront.tests.conftest import buyer_form  # noqa: F401 (a fixture)

GOOD_SECRET = "k" * 50
PRODUCTION = {
    "DUKAAN_ENV": "production",
    "DUKAAN_SECRET_KEY": GOOD_SECRET,
    "DUKAAN_ALLOWED_HOSTS": "shop.example.com",
    "DATABASE_URL": "postgres://dukaan:secret@10.0.0.5:5432/dukaan",
    "CACHE_URL": "redis://10.0.0.6:6379/0",
    "STORAGE_URL": "file:///srv/dukaan-media",
    "SMS_BACKEND": "http",
    "DUKAAN_TRUSTED_PROXIES": "10.0.0.0/8",
}


def run_fresh(tmp_path, code: str, **environment: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh process with only `environment` set (nothing inherited from this run)."""
    env = {
        "PATH": os.environ["PATH"],
        "DUKAAN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "dukaan.config.settings",
        **environment,
    }
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
