"""Real services for the tests and benches: a throwaway Redis (`python -m deploy.local redis`) and the
storefront service (`dukaan storefront`) as processes of their own, fixtures and plain helpers alike.
Conftests that want the fixtures import them by name (pyproject's `pythonpath` puts the repository on
sys.path, so `tests.processes` and `deploy.local` import from anywhere).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.core.cache import caches

from deploy.local import cluster, throwaway
from tests.waiting import wait_until


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


REPO = Path(__file__).resolve().parents[1]


def deploy_local(*args: str, timeout: float) -> subprocess.CompletedProcess:
    """`python -m deploy.local ARGS…` as a process of its own, as a person runs it: its output captured."""
    return subprocess.run(
        throwaway.command(*args),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=throwaway.REPO,
    )


class ThrowawayServer:
    """A server a test started with `python -m deploy.local COMMAND start`: frozen, thawed and stopped
    (by its PID file) the same way whatever it is."""

    command: ClassVar[str]
    pid: int
    dir: str

    def stop(self) -> None:
        deploy_local(self.command, "stop", "--dir", self.dir, timeout=30)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted, nothing is answered. A hung server."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def thaw_and_stop(self) -> None:
        """After a test that may have frozen it (or stopped it already)."""
        try:
            self.resume()
        except ProcessLookupError:
            pass
        self.stop()


@dataclass
class ThrowawayRedis(ThrowawayServer):
    """One redis-server started by `python -m deploy.local redis`."""

    command: ClassVar[str] = "redis"
    url: str
    pid: int
    dir: str


def start_redis() -> ThrowawayRedis:
    if not shutil.which("redis-server"):
        why = "redis-server is not installed (apt-get install -y redis-server; `make test` installs it)"
        if in_ci():
            pytest.fail(f"CI must run the catalog cache's Redis tests, but {why}")
        pytest.skip(why)
    result = deploy_local("redis", "start", "--json", timeout=60)
    if result.returncode != 0:
        pytest.fail(f"python -m deploy.local redis start failed:\n{result.stderr}")
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
    server.thaw_and_stop()


# --- The storefront service (`dukaan storefront`) -------------------------------------------------

STOREFRONT_READY_SECONDS = 30


def database_url() -> str:
    """DATABASE_URL for another process to use the database this test process uses (the test one)."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if user else ""
    return f"postgres://{credentials}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class StorefrontProcess:
    """One `dukaan storefront` started by start_storefront(), stopped by its PID."""

    url: str
    process: subprocess.Popen
    log: Path

    def stats(self) -> dict:
        """The counters of the worker that answers (exact with one worker)."""
        with urlopen(f"{self.url}/-/storefront", timeout=5) as response:
            return json.loads(response.read())

    def stats_of_every_worker(self, workers: int, timeout: float = 30.0) -> dict[int, dict]:
        """Each worker's counters, by its pid. A new connection reaches any worker, and one still
        starting reaches none, so ask until every one has answered."""
        answered: dict[int, dict] = {}

        def every_one_answered() -> bool:
            stats = self.stats()
            answered[stats["pid"]] = stats
            return len(answered) >= workers

        wait_until(
            every_one_answered, what=f"all {workers} workers to answer", timeout=timeout, ignoring=(OSError,)
        )
        return answered

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        """SIGTERM (uvicorn stops its workers, which flush their view counts), then SIGKILL."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: its workers too
                self.process.wait(timeout=5)


def start_storefront(log_dir: Path, *, cache_url: str, workers: int = 1, env: dict | None = None):
    """`dukaan storefront` on a free port against this process's database; waits until each worker answers."""
    port = find_free_port()
    log = log_dir / f"storefront-{port}.log"
    command = [str(Path(sys.executable).with_name("dukaan")), "storefront", "--port", str(port)]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CACHE_URL": cache_url,
        "SEARCH_URL": settings.SEARCH_URL,  # the test's own index
        **(env or {}),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = StorefrontProcess(f"http://127.0.0.1:{port}", process, log)
    wait_while_running(
        process,
        log,
        server.stats,
        what="`dukaan storefront`",
        timeout=STOREFRONT_READY_SECONDS,
        ignoring=(OSError,),
    )
    try:
        server.stats_of_every_worker(workers, timeout=STOREFRONT_READY_SECONDS)
    except AssertionError as error:
        server.stop()
        pytest.fail(f"`dukaan storefront`: {error}:\n{server.log_tail()}")
    return server


def wait_while_running(
    process: subprocess.Popen, log: Path, answers, *, what: str, timeout: float, ignoring=()
):
    """wait_until(answers), failing at once if `process` exits meanwhile; a failure shows its log's end."""

    def answered():
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        return answers()

    try:
        return wait_until(answered, what=what, timeout=timeout, ignoring=ignoring)
    except AssertionError as error:
        pytest.fail(f"{error}:\n{log.read_text(errors='replace')[-3000:]}")


def healthy(port: int) -> bool:
    """Whether a dukaan process on 127.0.0.1:`port` answers /healthz with 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM to a process a test started in its own session, then SIGKILL to its group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@contextmanager
def cluster_nginx(folder: Path, web_ports: list[int], storefront_port: int | None = None) -> Iterator[int]:
    """The cluster's nginx (its configuration filled as `dukaan cluster up` fills it) in `folder`, in front
    of the web processes on `web_ports`, and of the storefront service on `storefront_port` for every
    store page (none: store pages go to the web processes too). Yields nginx's port. Without nginx: a
    skip, except under CI=true, where that is a failure."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found is None:
        why = "nginx is not installed (apt-get install -y nginx; `make test` installs it)"
        if in_ci():
            pytest.fail(f"CI must test behind the real nginx, but {why}")
        pytest.skip(why)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "temp" / name).mkdir(parents=True)
    port = find_free_port()
    values = {
        "LISTEN_PORT": f"127.0.0.1:{port}",
        "WEB_SERVERS": cluster.web_servers(web_ports),
        "REGION_UPSTREAMS": "",
        "REGION_ROUTES": "default web;",
        "STOREFRONT_SPLIT": "",
        "PLATFORM_HOSTS": cluster.platform_hosts(),
    }
    if storefront_port:  # one region, its edge the service itself, for every client
        values["REGION_UPSTREAMS"] = f"upstream region_r1 {{ server 127.0.0.1:{storefront_port}; }}"
        values["REGION_ROUTES"] = "default region_r1;"
        values["STOREFRONT_SPLIT"] = "100% service;"
    (folder / "cluster.conf").write_text(cluster.nginx_config(values))
    (folder / "nginx.conf").write_text(cluster.nginx_main(folder))
    log = folder / "nginx.log"
    process = subprocess.Popen(
        [found, "-c", str(folder / "nginx.conf"), "-p", f"{folder}/", "-e", str(log), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_while_running(process, log, lambda: _listens(port), what="nginx", timeout=30)
        yield port
    finally:
        stop_process(process)


def _listens(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- A throwaway S3 server (`python -m deploy.local s3`, s3proxy) -----------------------------------


@dataclass
class ThrowawayS3(ThrowawayServer):
    """One s3proxy started by `python -m deploy.local s3` in `dir`."""

    command: ClassVar[str] = "s3"
    url: str  # the STORAGE_URL for it
    endpoint: str
    bucket: str
    access_key_id: str
    secret_access_key: str
    pid: int
    dir: str


def start_s3(directory: Path | None = None) -> ThrowawayS3:
    """s3proxy with its bucket; in `directory` when given, which keeps its objects across restarts."""
    if not shutil.which("java"):
        why = "Java 17 is not installed (apt-get install -y openjdk-17-jre-headless; `make test` installs it)"
        if in_ci():
            pytest.fail(f"CI must run the S3 storage tests, but {why}")
        pytest.skip(why)
    where = ["--dir", str(directory)] if directory else []
    result = deploy_local("s3", "start", "--json", *where, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"python -m deploy.local s3 start failed:\n{result.stderr}")
    state = json.loads(result.stdout)
    fields = ("url", "endpoint", "bucket", "access_key_id", "secret_access_key", "pid", "dir")
    return ThrowawayS3(**{name: state[name] for name in fields})


@pytest.fixture(scope="module")
def s3_server():
    """An S3 server for one test module; skipped (or, under CI=true, failed) without Java."""
    server = start_s3()
    yield server
    server.thaw_and_stop()
