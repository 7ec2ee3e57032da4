"""deploy/observability/: the Prometheus config, SLO rules and Grafana dashboard against the real promtool
and against the metrics our processes really export; the cluster's targets file.

promtool is Debian's, from its `prometheus` package (2.42; `make sysdeps` installs it; deploy/local/tools.py
finds it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from deploy.local import tools
from deploy.observability import targets
from tests.processes import in_ci

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
RULES = OBSERVABILITY / "rules"
RULE_FILES = [RULES / "slo.yml", RULES / "alerts.yml"]
DASHBOARD = OBSERVABILITY / "grafana" / "dukaan.json"
RUNBOOK = REPO / "docs" / "observability-slos.md"
TARGETS_PY = OBSERVABILITY / "targets.py"

# Series Prometheus makes itself, not our processes: `up` per target, `ALERTS` per alert.
MADE_BY_PROMETHEUS = {"up", "ALERTS"}
# Values the dashboard's variables take in the checks below (Grafana substitutes them).
DASHBOARD_VARIABLES = {"$__rate_interval": "1m", "$region": ".*", "$instance": ".*"}


@pytest.fixture(scope="session")
def promtool() -> Path:
    try:
        return tools.binary("promtool")
    except tools.Unavailable as error:
        if in_ci():
            pytest.fail(f"CI must check the Prometheus rules, but {error}")
        pytest.skip(str(error))


def run_promtool(promtool: Path, *arguments: str, cwd: Path = OBSERVABILITY) -> str:
    result = subprocess.run([str(promtool), *arguments], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert result.returncode == 0, f"promtool {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def rules() -> list[dict]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def alerts() -> list[dict]:
    return [rule for rule in rules() if "alert" in rule]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def dashboard_exprs() -> list[str]:
    exprs = [target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])]
    for name, value in DASHBOARD_VARIABLES.items():
        exprs = [expr.replace(name, value) for expr in exprs]
    return exprs


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads (label values and durations left out)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_ranges = re.sub(r"\[[^\]]*\]", "[]", without_strings)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", without_ranges))
    return {word for word in words if word.startswith(("dukaan_", "slo:")) or word in MADE_BY_PROMETHEUS}


def exposed_names(text: str) -> set[str]:
    """Every series name a scrape of this exposition text can hold, even of families with no sample yet."""
    suffixes = {
        "counter": ["_total"],
        "histogram": ["_bucket", "_count", "_sum"],
        "summary": ["_count", "_sum"],
    }
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in suffixes.get(family.type, [""]))
    return names


@pytest.fixture(scope="module")
def exported(django_db_setup, django_db_blocker) -> set[str]:
    """What Prometheus scrapes from a web process after a buyer loaded a page, plus the storefront
    service's own counters (its workers add them to the same registry)."""
    from django.db.backends.signals import connection_created
    from django.test import Client

    from dukaan.storefront.service import StorefrontApp, StorefrontCollector

    with django_db_blocker.unblock():
        client = Client()
        client.get("/s/no-such-store/")
        scrape = client.get("/metrics")
    assert scrape.status_code == 200
    app = StorefrontApp()
    connection_created.disconnect(app._count_queries)  # its query counting is for the service only
    storefront = CollectorRegistry()
    storefront.register(StorefrontCollector(app))
    return exposed_names(scrape.content.decode()) | exposed_names(generate_latest(storefront).decode())


# --- promtool ------------------------------------------------------------------------------------------


def test_prometheus_config_and_its_rule_files_pass_promtool_check(promtool):
    output = run_promtool(promtool, "check", "config", "prometheus.yml")
    assert "SUCCESS: 2 rule files found" in output


def test_rules_pass_promtool_check_with_its_linter(promtool):
    run_promtool(promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, RULE_FILES))


def test_burn_rate_and_threshold_alerts_fire_when_they_should_and_only_then(promtool):
    output = run_promtool(promtool, "test", "rules", "slo.test.yml", cwd=RULES)
    assert "SUCCESS" in output


def test_every_dashboard_query_is_valid_promql(promtool, tmp_path):
    checked = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query:{number}", "expr": expr} for number, expr in enumerate(dashboard_exprs())
    ]}]}  # fmt: skip
    as_rules = tmp_path / "dashboard-queries.yml"
    as_rules.write_text(yaml.safe_dump(checked))
    run_promtool(promtool, "check", "rules", str(as_rules))


# --- the names used exist --------------------------------------------------------------------------------


@pytest.mark.django_db  # so that the session sets the test database up (`exported` asks it)
def test_every_metric_the_rules_read_is_exported_or_recorded(exported):
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    used = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    unknown = used - exported - recorded - MADE_BY_PROMETHEUS
    assert not unknown, f"the rules read series no process exports: {sorted(unknown)}"
    assert {"dukaan_http_requests_total", "dukaan_consumer_lag_events", "dukaan_outbox_backlog"} <= used


@pytest.mark.django_db  # so that the session sets the test database up (`exported` asks it)
def test_every_metric_the_dashboard_shows_is_exported_or_recorded(exported):
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    used = set().union(*map(metric_names, dashboard_exprs()))
    unknown = used - exported - recorded - MADE_BY_PROMETHEUS
    assert not unknown, (
        f"the dashboard reads series no process exports and no rule records: {sorted(unknown)}"
    )
    # Each area the dashboard promises has a panel reading its metric.
    assert {
        "dukaan_storefront_page_hits_total",
        "dukaan_orders_placed_total",
        "dukaan_replication_slot_retained_bytes",
        "dukaan_search_duration_seconds_bucket",
        "dukaan_login_codes_total",
        "dukaan_circuit_open",
        "slo:error_budget_remaining:ratio30d",
    } <= used


def test_the_store_page_and_checkout_routes_in_the_rules_are_our_url_patterns():
    from django.urls import resolve

    assert resolve("/s/demo/").route == "s/<slug:slug>/"
    assert resolve("/s/demo/search").route.startswith("s/")
    assert resolve("/s/demo/checkout/").route == "s/<slug:slug>/checkout/"
    assert resolve("/api/v1/stores/demo/orders").route == "api/v1/stores/<slug>/orders"
    text = (RULES / "slo.yml").read_text()
    assert 'route=~"s/<slug:slug>/checkout/|api/v1/stores/<slug>/orders"' in text


# --- alerts a person can act on ------------------------------------------------------------------------


def test_every_alert_has_a_severity_what_to_do_and_a_runbook_section_that_exists():
    headings = re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), flags=re.MULTILINE)
    anchors = {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings}
    for alert in alerts():
        name = alert["alert"]
        assert alert["labels"]["severity"] in {"page", "ticket"}, name
        annotations = alert["annotations"]
        assert annotations["summary"] and "dukaan " in annotations["description"], name
        path, _, anchor = annotations["runbook"].partition("#")
        assert path == "docs/observability-slos.md" and anchor in anchors, f"{name}: no section #{anchor}"


def test_each_slo_pages_fast_and_tickets_slow():
    by_name = {alert["alert"]: alert for alert in alerts()}
    for slo in ("StorefrontAvailability", "StorefrontLatency", "Checkout"):
        assert by_name[f"{slo}BudgetBurn"]["labels"]["severity"] == "page"
        assert by_name[f"{slo}BudgetBurnSlow"]["labels"]["severity"] == "ticket"
        assert (
            "14.4 *" in by_name[f"{slo}BudgetBurn"]["expr"] and "6 *" in by_name[f"{slo}BudgetBurn"]["expr"]
        )


# --- the Grafana dashboard -------------------------------------------------------------------------------


def test_the_dashboard_is_a_grafana_dashboard_on_a_prometheus_variable():
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 39
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert (
        variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    )
    assert {"region", "instance"} <= variables.keys()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(number, int) for number in ids)
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"] and all(target["expr"] and target["refId"] for target in panel["targets"])
        assert all(target["datasource"]["uid"] == "${datasource}" for target in panel["targets"])


def test_dashboard_panels_fit_the_24_column_grid_without_overlapping():
    taken = {}
    for panel in dashboard()["panels"]:
        box = panel["gridPos"]
        assert box["x"] >= 0 and box["w"] > 0 and box["x"] + box["w"] <= 24, panel["title"]
        for column in range(box["x"], box["x"] + box["w"]):
            for row in range(box["y"], box["y"] + box["h"]):
                assert (column, row) not in taken, f"{panel['title']} overlaps {taken[(column, row)]}"
                taken[(column, row)] = panel["title"]


def test_the_dashboard_has_the_rows_on_call_needs():
    rows = [panel["title"] for panel in dashboard()["panels"] if panel["type"] == "row"]
    assert rows == [
        "Storefront",
        "Checkout",
        "Events",
        "Database",
        "Search",
        "Login codes",
        "Breakers",
        "SLOs",
    ]


# --- targets.py: cluster.json → file_sd ----------------------------------------------------------------

CLUSTER_JSON = {
    "ports": {
        "nginx": 60149,
        "web-1": 33627,
        "web-2": 41157,
        "storefront": 51355,
        "worker-cache": 49205,
        "worker-search": 58195,
        "regions/r2/storefront": 53051,
        "regions/r2/projector": 33497,
    },
    "regions": 2,
    "web_ports": [33627, 41157],
}


def test_targets_are_every_process_of_ours_with_job_instance_and_region(tmp_path):
    source = tmp_path / "cluster.json"
    source.write_text(json.dumps(CLUSTER_JSON))
    out = tmp_path / "targets" / "cluster.json"
    targets.write_targets(source, out)
    # nginx is left out: it passes /metrics on to one web process, which is scraped itself.
    assert json.loads(out.read_text()) == [
        {
            "targets": ["127.0.0.1:53051"],
            "labels": {"job": "storefront", "instance": "r2-storefront", "region": "r2"},
        },
        {
            "targets": ["127.0.0.1:51355"],
            "labels": {"job": "storefront", "instance": "storefront", "region": "r1"},
        },
        {"targets": ["127.0.0.1:33627"], "labels": {"job": "web", "instance": "web-1", "region": "r1"}},
        {"targets": ["127.0.0.1:41157"], "labels": {"job": "web", "instance": "web-2", "region": "r1"}},
        {
            "targets": ["127.0.0.1:33497"],
            "labels": {"job": "worker-cache", "instance": "r2-projector", "region": "r2"},
        },
        {
            "targets": ["127.0.0.1:49205"],
            "labels": {"job": "worker-cache", "instance": "worker-cache", "region": "r1"},
        },
        {
            "targets": ["127.0.0.1:58195"],
            "labels": {"job": "worker-search", "instance": "worker-search", "region": "r1"},
        },
    ]


def test_the_targets_cli_says_what_to_do_without_a_cluster(tmp_path):
    result = subprocess.run(
        [sys.executable, str(TARGETS_PY), str(tmp_path / "cluster.json"), str(tmp_path / "targets.json")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "dukaan cluster up" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "targets.json").exists()
