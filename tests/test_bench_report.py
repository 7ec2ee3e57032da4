"""The bench collector (bench/report.py): two passes merge, ratios come from the same run, the summary
shows every figure. It measures nothing itself, so it runs in `make test`."""

import json

import pytest

from bench import report

MACHINE = {"cpu": "Test CPU", "cores": 2, "commit": "abc1234"}


@pytest.fixture
def out(tmp_path, monkeypatch):
    for name, path in (
        ("OUT", tmp_path),
        ("RESULTS", tmp_path / "results.json"),
        ("SUMMARY", tmp_path / "README.md"),
        ("RATIOS_PLOT", tmp_path / "ratios.png"),
    ):
        monkeypatch.setattr(report, name, path)
    return tmp_path


def session(database: str, **figures: float) -> dict:
    """One session's recording of the `storefront` bench, merged into what results.json holds."""
    recorder = report.Recorder()
    record = report.Record(recorder, "storefront")
    for name, value in figures.items():
        record(name, value, unit="req/s")
    record.ratio("edge_vs_nginx", "edge_rps", "nginx_rps")
    results = report.merge(report.read_results(), recorder, database, MACHINE)
    report.write_results(results)
    report.plot_ratios(results)
    report.write_summary(results)
    return results


def test_the_postgresql_pass_adds_to_the_sqlite_pass_and_a_rerun_replaces_only_its_own(out):
    session("sqlite", edge_rps=6000, nginx_rps=12000)
    session("postgresql", edge_rps=5000, nginx_rps=10000)
    session("sqlite", edge_rps=9000, nginx_rps=12000)

    benches = json.loads((out / "results.json").read_text())["benches"]
    assert benches["storefront"]["postgresql"]["figures"]["edge_vs_nginx"]["value"] == 0.5
    assert benches["storefront"]["sqlite"]["figures"]["edge_vs_nginx"]["value"] == 0.75
    assert benches["storefront"]["sqlite"]["figures"]["edge_rps"] == {"value": 9000, "unit": "req/s"}


def test_the_summary_has_the_machine_and_each_figure_by_pass(out):
    session("sqlite", edge_rps=9000, nginx_rps=12000)
    session("postgresql", edge_rps=5000, nginx_rps=10000)

    summary = (out / "README.md").read_text()
    assert "| cpu | Test CPU |" in summary
    assert "| figure | unit | postgresql | sqlite | note |" in summary
    assert "| **edge_vs_nginx** | × | 0.5 | 0.75 | edge_rps / nginx_rps |" in summary
    assert "| edge_rps | req/s | 5,000 | 9,000 |  |" in summary
    assert "![every ratio](ratios.png)" in summary and (out / "ratios.png").stat().st_size > 0


def test_a_ratio_needs_both_figures_of_the_same_run():
    record = report.Record(report.Recorder(), "storefront")
    record("edge_rps", 6000, unit="req/s")
    with pytest.raises(KeyError, match="record nginx_rps before the ratio edge_vs_nginx"):
        record.ratio("edge_vs_nginx", "edge_rps", "nginx_rps")


def test_a_target_figure_is_listed_with_its_target_and_the_figure_before(out):
    recorder = report.Recorder()
    record = report.Record(recorder, "checkout")
    assert not record.target(
        "orders_per_second", 180, unit="orders/s", target=250, higher_is_better=True,
        before=18, before_note="make bench of 2026-12-06", cpu_ceiling=95.5,
    )  # fmt: skip
    assert record.target(
        "checkout_p99_ms",
        200,
        unit="ms",
        target=250,
        higher_is_better=False,
        before=2000,
        before_note="same run",
    )
    report.write_summary(report.merge(report.read_results(), recorder, "postgresql", MACHINE))

    summary = (out / "README.md").read_text()
    assert (
        "| checkout | orders_per_second | postgresql | 180 orders/s | ≥ 250 | **no** "
        "| 18 (make bench of 2026-12-06) | 10.00 | 95.50 |" in summary
    )
    assert (
        "| checkout | checkout_p99_ms | postgresql | 200 ms | ≤ 250 | yes | 2,000 (same run) | 0.1 | – |"
        in summary
    )
