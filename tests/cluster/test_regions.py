"""The edge regions: each buyer is served by the region its X-Client-Region names, a region lost under
load costs no request (the short `dukaan demo failover`), and every region sees a price edit."""

import json
import subprocess

import pytest
import requests

from tests.cluster.conftest import DUKAAN, REGIONS
from tests.processes import REPO

pytestmark = pytest.mark.cluster


def test_each_buyer_is_served_by_the_region_named_in_the_request(cluster):
    for number in range(1, REGIONS + 1):
        page = requests.get(cluster.url + "/s/demo/", headers={"X-Client-Region": f"r{number}"})
        assert page.status_code == 200
        assert page.headers["X-Dukaan-Region"] == f"r{number}"
    nowhere = requests.get(cluster.url + "/s/demo/", headers={"X-Client-Region": "mars"})
    assert nowhere.headers["X-Dukaan-Region"] == "r1"  # no such region: the primary's
    # Writes go to the primary region's web processes from every region.
    login = requests.get(cluster.url + "/login/", headers={"X-Client-Region": "r3"})
    assert login.headers["X-Dukaan-Upstream"] == "web"


def test_losing_a_region_under_load_fails_no_request_and_every_region_sees_each_edit(cluster):
    plot = REPO / "test-artifacts" / "failover.png"
    result = subprocess.run(
        [
            str(DUKAAN), "demo", "failover", "--data", str(cluster.data), "--regions", str(REGIONS),
            "--kill", "r2", "--rate", "200", "--before", "3", "--down", "3", "--after", "3",
            "--edits", "20", "--plot", str(plot),
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.stdout.strip(), result.stderr[-4000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"\nfailover of r2: {summary['all']['requests']} requests, {summary['all']['errors']} failed; "
        f"p99 before {summary['before']['p99_ms']} ms, during {summary['failover']['p99_ms']} ms, "
        f"after {summary['after']['p99_ms']} ms; r2 back {summary['region_back_after_restore_s']} s "
        f"after the restore began; freshness p50/p99: "
        + ", ".join(f"{r} {f['p50_ms']}/{f['p99_ms']} ms" for r, f in summary["freshness"].items())
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert summary["all"]["errors"] == 0 and summary["failover"]["requests"] > 0
    assert set(summary["freshness"]) == {f"r{number}" for number in range(1, REGIONS + 1)}
    assert all(region["edits"] == 20 for region in summary["freshness"].values())
    assert plot.stat().st_size > 10_000
    # Each projector says on its metrics port how many events it applied.
    port = cluster.config["ports"]["regions/r3/projector"]
    metrics = requests.get(f"http://127.0.0.1:{port}/metrics").text
    applied = [line for line in metrics.splitlines() if line.startswith("dukaan_events_handled_total{")]
    assert any('group="cache-r3"' in line and 'outcome="applied"' in line for line in applied), applied
