"""The cluster suite: `dukaan cluster up` once per session in a folder of its own, then tests that
drive it from outside like a buyer, a merchant or an operator would (HTTP through nginx, Chromium,
signals to its processes). `make test-cluster` runs it; it never skips: a cluster that cannot start is
a failure.
"""

import json
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests

from dukaan.infra.sms import latest_console_message
from tests.processes import REPO, deploy_local

DUKAAN = REPO / ".venv" / "bin" / "dukaan"
DEMO_PHONE = "+919999999999"
REGIONS = 3


@dataclass
class Cluster:
    data: Path
    url: str

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(DUKAAN), "cluster", "--data", str(self.data), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def up(self) -> None:
        result = self.run("up")
        assert result.returncode == 0, f"dukaan cluster up failed:\n{result.stderr[-4000:]}"

    def state(self, component: str) -> dict:
        return json.loads((self.data / component / "state.json").read_text())

    @property
    def config(self) -> dict:
        return json.loads((self.data / "cluster.json").read_text())

    @property
    def env(self) -> dict[str, str]:
        lines = (self.data / "env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def primary(self) -> psycopg.Connection:
        return psycopg.connect(self.state("postgres")["primary"]["url"], autocommit=True)

    def postgres(self, *args: str) -> None:
        result = deploy_local("postgres", *args, "--dir", str(self.data / "postgres"), timeout=120)
        assert result.returncode == 0, result.stderr

    def login_code(self, phone: str) -> str:
        message = latest_console_message(phone, log_path=Path(self.state("sms_gateway")["messages"]))
        assert message, f"no SMS to {phone} reached the cluster's SMS gateway"
        return re.search(r"\b(\d{6})\b", message).group(1)


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    # Not pytest's tmp_path (0700): PostgreSQL and Elasticsearch run as users of their own.
    data = Path(tempfile.mkdtemp(prefix="dukaan-cluster-"))
    data.chmod(0o755)
    running = Cluster(data=data, url="")
    began = time.monotonic()
    started = running.run("up", "--regions", str(REGIONS), timeout=900)
    if started.returncode != 0:
        running.run("down", timeout=300)
        pytest.fail(f"`dukaan cluster up` failed, so the cluster suite cannot run:\n{started.stderr[-6000:]}")
    print(f"\ncluster up from nothing in {time.monotonic() - began:.1f} s")
    running.url = json.loads(started.stdout.strip().splitlines()[-1])["url"]
    try:
        yield running
    finally:
        running.run("down", "--delete", timeout=300)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def open_checkout(session, base: str, pin_code: str = "560038"):
    """The demo store's checkout page once the buyer gave a PIN code (the rest of its form shows then)."""
    pin_step = session.get(f"{base}/s/demo/checkout/")
    return session.post(
        f"{base}/s/demo/cart/pin/",
        data={"csrfmiddlewaretoken": csrf_token(pin_step.text), "pin_code": pin_code, "next": "checkout"},
    )


@pytest.fixture(scope="session")
def merchant(cluster) -> requests.Session:
    """The demo store's merchant, logged in through nginx with the code the console SMS backend wrote."""
    session = requests.Session()
    page = session.get(cluster.url + "/login/")
    answer = session.post(
        cluster.url + "/login/", data={"csrfmiddlewaretoken": csrf_token(page.text), "phone": DEMO_PHONE}
    )
    assert answer.url.endswith("/login/verify/"), answer.text[-500:]
    answer = session.post(
        answer.url,
        data={"csrfmiddlewaretoken": csrf_token(answer.text), "code": cluster.login_code(DEMO_PHONE)},
    )
    assert "/dashboard/" in answer.url, answer.text[-500:]
    return session
