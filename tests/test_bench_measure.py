"""bench.measure.CpuUse: the CPU a bench's processes spend is what the benches give as the reason a rate
cannot go higher on this machine, so it must count a busy child and not count an idle one."""

import subprocess
import sys
import time

from bench.measure import CpuUse

# Waits for the file `go`, spins 0.4 s of CPU, then writes `done` and sleeps.
SPIN = """import os, sys, time
go, done = sys.argv[1:]
while not os.path.exists(go): time.sleep(0.01)
end = time.process_time() + 0.4
while time.process_time() < end: pass
open(done, "w").close()
time.sleep(60)"""


def test_a_busy_server_is_charged_its_cpu_and_a_sleeping_one_nothing(tmp_path):
    go, done = tmp_path / "go", tmp_path / "done"
    # the spinning process is a grandchild: a server's forked workers count as the server's
    arguments = [SPIN, str(go), str(done)]
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', *{arguments!r}])"
    busy = subprocess.Popen([sys.executable, "-c", parent])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)
        use = CpuUse({"busy": busy.pid, "idle": idle.pid}, own="bench").start()
        go.touch()
        deadline = time.monotonic() + 30
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        use.stop()
    finally:
        busy.kill(), idle.kill()
    assert use.seconds["busy"] >= 0.35
    assert use.seconds["idle"] < 0.05
    assert use.seconds["bench"] < 0.35
    figures = {}
    ceiling = use.record(lambda name, value, **_: figures.__setitem__(name, value), per=10, unit="order")
    assert figures["cpu_ms_per_order_busy"] >= 35
    assert figures["cpu_ms_per_order"] >= figures["cpu_ms_per_order_busy"]
    assert ceiling == figures["cpu_ceiling_per_second"] > 0
    assert 0 < figures["cpu_busy_share"] <= 1


def test_by_kind_sums_each_kind_of_process_and_the_rest_as_other():
    use = CpuUse({})
    use.seconds = {"r1_storefront": 1.0, "r2_storefront": 0.5, "postgres pgbouncer": 0.25, "s3": 0.125}

    assert use.by_kind(("storefront", "postgres")).seconds == {
        "storefront": 1.5,
        "postgres": 0.25,
        "other": 0.125,
    }
