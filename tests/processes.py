"""Real services for the tests and benches: a throwaway Redis (deploy/local/redis.py) now, fixtures and
plain helpers alike. Conftests that want the fixtures import them by name (pyproject's `pythonpath`
puts the repository on sys.path, so `tests.processes` imports from anywhere).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.cache import caches


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


REPO = Path(__file__).resolve().parents[1]
REDIS_PY = REPO / "deploy" / "local" / "redis.py"


@dataclass
class ThrowawayRedis:
    """One redis-server started by deploy/local/redis.py, stopped by its PID file."""

    url: str
    pid: int
    dir: str

    def stop(self) -> None:
        subprocess.run(
            [sys.executable, str(REDIS_PY), "stop", "--dir", self.dir], capture_output=True, timeout=30
        )

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted, nothing is answered. A hung Redis."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)


def start_redis() -> ThrowawayRedis:
    if not shutil.which("redis-server"):
        why = "redis-server is not installed (apt-get install -y redis-server; `make test` installs it)"
        if in_ci():
            pytest.fail(f"CI must run the catalog cache's Redis tests, but {why}")
        pytest.skip(why)
    result = subprocess.run(
        [sys.executable, str(REDIS_PY), "start", "--json"], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(f"deploy/local/redis.py start failed:\n{result.stderr}")
    state = json.loads(result.stdout)
    return ThrowawayRedis(url=state["url"], pid=state["pid"], dir=state["dir"])


def redis_caches(settings, url: str) -> dict:
    """settings.CACHES as CACHE_URL=url would make it (timeouts included)."""
    return {
        **settings.CACHES,
        settings.CATALOG_CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "socket_connect_timeout": settings.CACHE_CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": settings.CACHE_SOCKET_TIMEOUT_SECONDS,
            },
        },
    }


@pytest.fixture(scope="session")
def redis_server():
    """A Redis for the whole session; skipped (or, under CI=true, failed) without redis-server."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(redis_server, settings) -> ThrowawayRedis:
    """The catalog cache on the session's Redis, emptied for this test."""
    settings.CACHES = redis_caches(settings, redis_server.url)
    caches[settings.CATALOG_CACHE_ALIAS].clear()
    return redis_server


@pytest.fixture
def own_redis(settings):
    """The catalog cache on a Redis of this test's own, which the test may stop or freeze."""
    server = start_redis()
    settings.CACHES = redis_caches(settings, server.url)
    yield server
    try:
        server.resume()
    except ProcessLookupError:
        pass
    server.stop()
