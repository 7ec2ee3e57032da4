"""What the benches share to measure: percentiles, stock updates written at a pace, and the CPU time
each process spends on the work (the measured reason a rate cannot go higher on this machine's cores)."""

import os
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction

from dukaan.catalog import services
from dukaan.events.models import OutboxEvent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def write_stock_updates(
    product, *, updates: int, per_second: float | None, on_commit: Callable[[str], None]
) -> tuple[float, float]:
    """`updates` adjust_stock calls, each in its own transaction, as fast as possible or `per_second`;
    on_commit(event id) runs as each commits. Returns when the writing started (time.perf_counter())
    and how many seconds it took."""
    started = time.perf_counter()
    for number in range(updates):
        if per_second:
            time.sleep(max(0.0, started + number / per_second - time.perf_counter()))
        with transaction.atomic():
            services.adjust_stock(product=product, delta=-1)
            event_id = str(OutboxEvent.objects.order_by("-created_at").values_list("id", flat=True)[0])
            transaction.on_commit(lambda key=event_id: on_commit(key))
    return started, time.perf_counter() - started


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                pass
    return found


def postgres_pid() -> int:
    """The postmaster of the database Django is connected to (a PostgreSQL on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        directory = cursor.fetchone()[0]
    return int(Path(directory, "postmaster.pid").read_text().split()[0])


def cpu_ticks(pid: int) -> int:
    """User + system clock ticks of one process, all its threads; 0 once it has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)


def machine_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of every core since boot, from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values[:8]) - idle, sum(values[:8])


class CpuUse:
    """CPU seconds each named process (with its children) spends between start() and stop().

    `groups` maps a name to a root pid: a server and the processes it forks (PostgreSQL's backends,
    granian's workers). `own` names this process alone, without its children (a bench's load-generating
    threads). A process that exits inside the window loses its time: measure long-lived servers.
    """

    def __init__(self, groups: dict[str, int], *, own: str | None = None) -> None:
        self.groups, self.own = groups, own
        self.seconds: dict[str, float] = {}
        self.busy_share = 0.0

    def _ticks(self) -> dict[str, dict[int, int]]:
        ticks = {
            name: {pid: cpu_ticks(pid) for pid in process_tree(root)} for name, root in self.groups.items()
        }
        if self.own:
            ticks[self.own] = {os.getpid(): cpu_ticks(os.getpid())}
        return ticks

    def start(self) -> "CpuUse":
        self._start, self._machine = self._ticks(), machine_ticks()
        return self

    def stop(self) -> "CpuUse":
        per_second = os.sysconf("SC_CLK_TCK")
        for name, now in self._ticks().items():
            before = self._start[name]
            self.seconds[name] = sum(ticks - before.get(pid, 0) for pid, ticks in now.items()) / per_second
        busy, everything = (now - then for now, then in zip(machine_ticks(), self._machine, strict=True))
        self.busy_share = busy / everything if everything else 0.0
        return self

    def by_kind(self, kinds: tuple[str, ...]) -> "CpuUse":
        """The seconds summed by kind of process: each name goes to the first of `kinds` it contains
        ("r1_storefront", "r2_storefront": "storefront"), the rest to "other". For a cluster of thirty
        processes, a figure per kind instead of one per process."""
        summed: dict[str, float] = {}
        for name, spent in self.seconds.items():
            kind = next((kind for kind in kinds if kind in name), "other")
            summed[kind] = summed.get(kind, 0.0) + spent
        self.seconds = summed
        return self

    def per_unit(self, per: int) -> tuple[dict[str, float], float, float]:
        """CPU ms per unit of each process, of all of them, and the units a second the cores allow."""
        each = {name: 1000 * seconds / max(per, 1) for name, seconds in self.seconds.items()}
        total_ms = sum(each.values())
        return each, total_ms, (os.cpu_count() * 1000 / total_ms if total_ms else 0.0)

    def record(self, record, *, per: int, unit: str, prefix: str = "") -> float:
        """Records CPU ms per `unit` for each process and in all, the share of the machine's cores that
        was busy, and the rate the cores would allow if these processes had them to themselves
        (cores × 1,000 / CPU ms per unit). Returns that rate. `prefix` names the phase or engine when a
        bench measures several (`cold_pages_cpu_ms_per_request`)."""
        each, total_ms, ceiling = self.per_unit(per)
        start = f"{prefix}_" if prefix else ""
        for name, ms in each.items():
            record(f"{start}cpu_ms_per_{unit}_{name}", ms, unit="ms", note=f"CPU of {name}")
        record(f"{start}cpu_ms_per_{unit}", total_ms, unit="ms", note="CPU of all the processes above")
        cores = os.cpu_count()
        record(
            f"{start}cpu_busy_share", self.busy_share, unit="share", note=f"of {cores} cores, whole machine"
        )
        record(
            f"{start}cpu_ceiling_per_second",
            ceiling,
            unit=f"{unit}/s",
            note="cores × 1,000 / CPU ms per unit",
        )
        return ceiling

    def summary(self, *, per: int, unit: str) -> str:
        """One line to print: CPU ms per `unit` of each process and in all, and the rate the cores allow."""
        each, total_ms, ceiling = self.per_unit(per)
        processes = ", ".join(f"{name} {ms:.3f}" for name, ms in each.items())
        return (
            f"CPU ms per {unit}: {processes}; all {total_ms:.3f} → at most {ceiling:,.0f} {unit}s/s on "
            f"{os.cpu_count()} cores (machine busy {self.busy_share:.0%} of the window)"
        )
