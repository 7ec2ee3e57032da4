"""Prometheus's scrape targets for a `dukaan cluster`: its cluster.json turned into a file_sd targets file.

    python deploy/observability/targets.py var/cluster/cluster.json deploy/observability/targets/cluster.json

Every process of ours that serves /metrics becomes one target with the labels `job` (web, storefront,
worker-<group>), `instance` (the component's name in `dukaan cluster status`) and `region` (r1 for the
main region, rN for an edge region). nginx is left out: it answers /metrics with 404, since Prometheus
scrapes every process directly. Prometheus rereads the file when it changes, so writing it again
after `dukaan cluster up` moves a process is enough. Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

MAIN_REGION = "r1"
_EDGE_PROCESS = re.compile(r"regions/(?P<region>r\d+)/(?P<process>storefront|projector)")


def _labels(component: str) -> dict[str, str] | None:
    """Labels of one component of cluster.json's `ports`, or None when it serves no /metrics of ours."""
    if re.fullmatch(r"web-\d+", component):
        return {"job": "web", "instance": component, "region": MAIN_REGION}
    if component == "storefront":
        return {"job": "storefront", "instance": component, "region": MAIN_REGION}
    if component.startswith("worker-"):
        return {"job": component, "instance": component, "region": MAIN_REGION}
    edge = _EDGE_PROCESS.fullmatch(component)
    if edge:
        region, process = edge["region"], edge["process"]
        job = "storefront" if process == "storefront" else "worker-cache"  # a projector is the cache group
        return {"job": job, "instance": f"{region}-{process}", "region": region}
    return None


def file_sd_targets(cluster: dict) -> list[dict]:
    """cluster.json's content → Prometheus file_sd entries, one per process, sorted by job and instance."""
    entries = []
    for component, port in cluster.get("ports", {}).items():
        labels = _labels(component)
        if labels is not None:
            entries.append({"targets": [f"127.0.0.1:{port}"], "labels": labels})
    return sorted(entries, key=lambda entry: (entry["labels"]["job"], entry["labels"]["instance"]))


def write_targets(cluster_json: Path, out: Path) -> list[dict]:
    """Write the targets of the cluster described by `cluster_json` to `out`, atomically (Prometheus
    watches the file and must never read half of it)."""
    try:
        cluster = json.loads(Path(cluster_json).read_text())
    except FileNotFoundError:
        raise SystemExit(f"no {cluster_json}: start the cluster first (`dukaan cluster up`)") from None
    except ValueError as error:
        raise SystemExit(f"{cluster_json} is not JSON ({error}): run `dukaan cluster up` again") from None
    entries = file_sd_targets(cluster)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=out.parent, suffix=".tmp", delete=False) as handle:
        json.dump(entries, handle, indent=2)
        handle.write("\n")
    os.replace(handle.name, out)
    return entries


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    entries = write_targets(Path(argv[0]), Path(argv[1]))
    print(f"{len(entries)} targets written to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
