"""The bench suite's collector: every bench records its figures here; the session writes them down.

A pytest plugin (bench/conftest.py loads it). A bench asks for the `record` fixture and records each
headline figure with its unit, and each comparison as a ratio of two figures of the same run:

    record("edge_rps", 9876, unit="req/s")
    record("nginx_rps", 14000, unit="req/s")
    record.ratio("edge_vs_nginx", "edge_rps", "nginx_rps")
    record.target("orders_per_second", 251.0, unit="orders/s", target=250, higher_is_better=True,
                  before=18.7, before_note="make bench of 2026-12-06 at 2bd1d46")

The bench's name is its file's (bench/test_storefront_bench.py: `storefront`). At the end of the
session the figures are merged into results.json under bench → pass (the database the session ran
on: `sqlite` or `postgresql`), so the two passes of `make bench`, and a later run of a few benches,
replace only what they measured. Then README.md (a table of every figure, the machine) and
ratios.png are written again from the whole of results.json.

Two settings, read here only, from the environment (`make bench BENCH=… QUICK=1` sets them):
BENCH, a comma-separated list of bench names to run (default all); BENCH_QUICK=1, shorter loads,
with the results in test-artifacts/bench/quick/ so the documented ones stay.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from dukaan.infra.progress import command_progress

REPO = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SELECTED = sorted({name.strip() for name in os.environ.get("BENCH", "").split(",") if name.strip()})
OUT = REPO / ("test-artifacts/bench/quick" if QUICK else "docs/benchmarks")
RESULTS = OUT / "results.json"
SUMMARY = OUT / "README.md"
RATIOS_PLOT = OUT / "ratios.png"
console = Console(width=None if sys.stdout.isatty() else 120)  # not 80 columns in a log: the tables are wide


def progress_bar(*, transient: bool = False) -> Progress:
    """The benches' progress: what is being done, how far, for how long."""
    return command_progress(console=console, transient=transient)


def output(name: str) -> Path:
    """Where a bench writes a file of its own (a plot): docs/benchmarks/, or the quick folder."""
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT / name


def bench_name(path: Path) -> str:
    """test_storefront_bench.py → storefront; test_event_pipeline.py → event_pipeline."""
    return path.stem.removeprefix("test_").removesuffix("_bench")


# --- Recording ------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """The figures of this session: bench → name → {value, unit, note}; and the files each wrote."""

    figures: dict[str, dict[str, dict]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)

    def add(self, bench: str, name: str, value: float, *, unit: str, note: str = "") -> None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"{bench}.{name}: a figure is a number, not {value!r}")
        entry = {"value": float(f"{value:.6g}") if isinstance(value, float) else value, "unit": unit}
        self.figures.setdefault(bench, {})[name] = entry | ({"note": note} if note else {})

    def ratio(self, bench: str, name: str, numerator: str, denominator: str, *, note: str = "") -> float:
        """numerator / denominator, both recorded by this bench in this run."""
        recorded = self.figures.get(bench, {})
        missing = [figure for figure in (numerator, denominator) if figure not in recorded]
        if missing:
            raise KeyError(f"{bench}: record {', '.join(missing)} before the ratio {name}")
        top, bottom = recorded[numerator]["value"], recorded[denominator]["value"]
        value = top / bottom if bottom else float("nan")
        self.add(bench, name, value, unit="×", note=note or f"{numerator} / {denominator}")
        self.figures[bench][name]["of"] = [numerator, denominator]
        return value


class Record:
    """The `record` fixture: Recorder.add and Recorder.ratio for one bench."""

    def __init__(self, recorder: Recorder, bench: str) -> None:
        self.recorder, self.bench = recorder, bench

    def __call__(self, name: str, value: float, *, unit: str, note: str = "") -> None:
        self.recorder.add(self.bench, name, value, unit=unit, note=note)

    def ratio(self, name: str, numerator: str, denominator: str, *, note: str = "") -> float:
        return self.recorder.ratio(self.bench, name, numerator, denominator, note=note)

    def target(
        self,
        name: str,
        value: float,
        *,
        unit: str,
        target: float,
        higher_is_better: bool,
        before: float,
        before_note: str,
        note: str = "",
        cpu_ceiling: float | None = None,
    ) -> bool:
        """A headline figure with its target and the figure before the work that moved it.

        Records `name`, `name_target`, `name_before` (`before_note` says where that figure comes from:
        measured in this run, e.g. with batching off, or the dated make bench it was read from) and
        `name_vs_before`, prints one line (figure, target, met or not, × before), returns whether met.
        `cpu_ceiling`, for a rate: the rate this machine's cores allow at the CPU per unit the run
        measured (`bench.measure.CpuUse.record`), recorded as `name_cpu_ceiling`: the reason a rate
        target above it cannot be met here.
        """
        self(name, value, unit=unit, note=note)
        self(f"{name}_target", target, unit=unit, note="at least" if higher_is_better else "at most")
        self(f"{name}_before", before, unit=unit, note=before_note)
        if cpu_ceiling is not None:
            self(
                f"{name}_cpu_ceiling",
                cpu_ceiling,
                unit=unit,
                note="the cores' limit at the CPU per unit measured",
            )
        times = self.ratio(f"{name}_vs_before", name, f"{name}_before")
        met = value >= target if higher_is_better else value <= target
        console.print(
            f"[bold]{self.bench}.{name}[/]: {value:,.4g} {unit}, target {'≥' if higher_is_better else '≤'} "
            f"{target:,.4g} {unit}: {'[green]met[/]' if met else '[red]not met[/]'}; "
            f"{times:.3g}× the {before:,.4g} {unit} before ({before_note})"
        )
        return met

    def attach(self, name: str) -> None:
        """A file of this bench beside results.json (a plot, a page) for the summary to link;
        <bench>.png and <bench>.md are linked without it."""
        self.recorder.files.setdefault(self.bench, []).append(name)


_recorder = Recorder()


@pytest.fixture
def record(request) -> Record:
    return Record(_recorder, bench_name(request.path))


def pytest_collection_modifyitems(config, items) -> None:
    """BENCH=storefront,search: only those benches' tests; an unknown name stops the run."""
    if not SELECTED:
        return
    known = {bench_name(item.path) for item in items if item.get_closest_marker("bench")}
    unknown = [name for name in SELECTED if name not in known]
    if known and unknown:
        raise pytest.UsageError(
            f"BENCH={','.join(SELECTED)}: there is no bench named {', '.join(unknown)}. "
            f"The benches: {', '.join(sorted(known))}."
        )
    keep = [item for item in items if bench_name(item.path) in SELECTED]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


def pytest_sessionfinish(session) -> None:
    if not _recorder.figures:
        return
    results = merge(read_results(), _recorder, database_pass(), describe_machine())
    write_results(results)
    plot_ratios(results)
    write_summary(results)
    print(f"\nbench figures: {RESULTS.relative_to(REPO)}, summary: {SUMMARY.relative_to(REPO)}")


# --- Results --------------------------------------------------------------------------------------


def database_pass() -> str:
    from django.db import connection

    return connection.vendor


def read_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {"benches": {}}


def merge(results: dict, recorder: Recorder, database: str, machine: dict) -> dict:
    """This session's figures replace the same benches' of the same pass; the rest stays."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for bench, recorded in recorder.figures.items():
        results["benches"].setdefault(bench, {})[database] = {
            "measured_at": now,
            "commit": machine["commit"],
            "quick": QUICK,
            "figures": recorded,
            "files": recorder.files.get(bench, []),
        }
    results["benches"] = dict(sorted(results["benches"].items()))
    return {"updated_at": now, "machine": machine, "benches": results["benches"]}


def write_results(results: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def first_line(command: list[str]) -> str:
    """The first line a version command prints (some print to stderr), or why there is none."""
    if not shutil.which(command[0]):
        return "not installed"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def postgres_version() -> str:
    from deploy.local import postgres

    try:
        return first_line([str(postgres.find_bindir() / "postgres"), "--version"])
    except postgres.Refused:
        return "not installed"


def read_key(path: str, key: str) -> str:
    found = re.search(rf"^{key}\s*[:=]\s*\"?([^\"\n]+)", Path(path).read_text(), re.MULTILINE)
    return found[1].strip() if found else "unknown"


def describe_machine() -> dict:
    memory_kb = int(read_key("/proc/meminfo", "MemTotal").split()[0])
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True)
    # The benches' own output folder does not count: an earlier pass of the same run wrote there.
    changed = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", ".", f":(exclude){OUT.relative_to(REPO)}"],
        capture_output=True,
    )
    return {
        "cpu": read_key("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20, 1),
        "os": f"{read_key('/etc/os-release', 'PRETTY_NAME')}, Linux {platform.release()}",
        "python": platform.python_version(),
        "postgresql": postgres_version(),
        "pgbouncer": first_line(["pgbouncer", "--version"]),
        "redis": first_line(["redis-server", "--version"]),
        "nginx": first_line(["nginx", "-v"]),
        "varnish": first_line(["varnishd", "-V"]),
        "wrk": first_line(["wrk", "--version"]),
        "commit": commit.stdout.decode().strip() + ("+changes" if changed.stdout.strip() else ""),
    }


# --- Summary: README.md and ratios.png -----------------------------------------------------------


def number(value: float) -> str:
    if value != value:  # NaN: a ratio over 0
        return "n/a"
    if isinstance(value, int) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def passes_of(results: dict) -> list[str]:
    return sorted({database for by_pass in results["benches"].values() for database in by_pass})


def write_summary(results: dict) -> None:
    machine, databases = results["machine"], passes_of(results)
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/report.py) from [results.json](results.json); do not edit by hand.",
        f"Last run {results['updated_at']}" + (" — quick mode (`QUICK=1`): shorter loads." if QUICK else "."),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine.items()),
        "",
        "Each bench's figures by pass: the database the suite ran on (benches that bring their own "
        "servers, like the cluster or the checkout bench's PostgreSQL + PgBouncer, say so in their notes). "
        "A ratio (×) compares two figures measured in the same run.",
    ]
    lines += target_table(results)
    if RATIOS_PLOT.exists():
        lines += ["", f"![every ratio]({RATIOS_PLOT.name})"]
    for bench, by_pass in results["benches"].items():
        lines += ["", f"## {bench}", ""]
        attached = [name for found in by_pass.values() for name in found.get("files", [])]
        files = dict.fromkeys([f"{bench}.md", f"{bench}.png", *attached])
        links = [f"[{name}]({name})" for name in files if (OUT / name).exists()]
        if links:
            lines += ["See " + ", ".join(links) + ".", ""]
        ran = [database for database in databases if database in by_pass]
        measured = "; ".join(
            f"{database}: {by_pass[database]['measured_at']} at {by_pass[database]['commit']}"
            + (" (quick)" if by_pass[database]["quick"] else "")
            for database in ran
        )
        lines += [f"Measured {measured}.", ""]
        lines += [
            "| figure | unit | " + " | ".join(ran) + " | note |",
            "|---|---|" + "---:|" * len(ran) + "---|",
        ]
        names = list(dict.fromkeys(name for database in ran for name in by_pass[database]["figures"]))
        for name in names:
            entries = [by_pass[database]["figures"].get(name) for database in ran]
            unit = next(entry["unit"] for entry in entries if entry)
            note = next((entry.get("note", "") for entry in entries if entry and entry.get("note")), "")
            cells = [number(entry["value"]) if entry else "" for entry in entries]
            label = f"**{name}**" if unit == "×" else name
            lines.append(f"| {label} | {unit} | " + " | ".join(cells) + f" | {note} |")
    SUMMARY.write_text("\n".join(lines) + "\n")


def target_table(results: dict) -> list[str]:
    """Every figure recorded with `record.target`: its value against the target and the figure before."""
    rows = []
    for bench, by_pass in results["benches"].items():
        for database, found in by_pass.items():
            figures = found["figures"]
            for name, entry in figures.items():
                target, before = figures.get(f"{name}_target"), figures.get(f"{name}_before")
                times = figures.get(f"{name}_vs_before")
                if target is None or before is None or times is None:
                    continue
                at_least = target.get("note") == "at least"
                met = entry["value"] >= target["value"] if at_least else entry["value"] <= target["value"]
                cells = [
                    bench,
                    name,
                    database,
                    f"{number(entry['value'])} {entry['unit']}",
                    f"{'≥' if at_least else '≤'} {number(target['value'])}",
                    "yes" if met else "**no**",
                    f"{number(before['value'])} ({before.get('note', '')})",
                    number(times["value"]),
                    number(ceiling["value"]) if (ceiling := figures.get(f"{name}_cpu_ceiling")) else "–",
                ]
                rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return []
    return [
        "",
        "## Targets",
        "",
        "Issue 23's tables, each target's measured reason, the long tail's phases: [targets.md](targets.md).",
        "",
        "The last column, for a rate: what this machine's cores allow at the CPU per unit the same run",
        "measured (all the bench's processes, `bench.measure.CpuUse`); a target above it cannot be met here.",
        "",
        "| bench | figure | pass | measured | target | met | before | × before | cores allow |",
        "|---|---|---|---:|---:|---|---|---:|---:|",
        *rows,
    ]


def plot_ratios(results: dict) -> None:
    """One horizontal bar per ratio and pass: every comparison of the suite at a glance."""
    from matplotlib.figure import Figure

    databases = passes_of(results)
    rows = [
        (f"{bench}: {name}", database, entry["value"])
        for bench, by_pass in results["benches"].items()
        for database in databases
        for name, entry in by_pass.get(database, {}).get("figures", {}).items()
        if entry["unit"] == "×" and entry["value"] == entry["value"]
    ]
    if not rows:
        return
    labels = list(dict.fromkeys(label for label, _, _ in rows))
    height = 0.8 / len(databases)
    figure = Figure(figsize=(10, 1.5 + 0.35 * len(labels) * len(databases)), layout="constrained")
    axes = figure.subplots()
    for column, database in enumerate(databases):
        found = {label: value for label, db, value in rows if db == database}
        at = [labels.index(label) + column * height for label in found]
        bars = axes.barh(at, list(found.values()), height=height, color=f"C{column}", label=database)
        axes.bar_label(bars, labels=[f"{value:.3g}×" for value in found.values()], fontsize=7, padding=2)
    axes.set_yticks([index + height * (len(databases) - 1) / 2 for index in range(len(labels))], labels)
    axes.invert_yaxis()
    axes.axvline(1, color="black", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_xlabel("ratio (log scale; 1× = equal)")
    axes.set_title(f"Every ratio of the bench suite, each from one run ({results['updated_at'][:10]})")
    axes.legend(fontsize=8)
    figure.savefig(RATIOS_PLOT, dpi=100)
