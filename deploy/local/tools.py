"""Real Go tools (kustomize, promtool, prometheus), each built once with `go install` and cached outside
the repository.

    python -m deploy.local tools path TOOL             # builds it if needed, prints the binary's path
    python -m deploy.local tools run TOOL ARGS…        # run kustomize build deploy/k8s/overlays/staging

Each tool is the module in TOOLS at its pinned version, built from source through the Go module proxy
with the machine's `go` into ${XDG_CACHE_HOME:-~/.cache}/dukaan/<tool>-<version>/ (as root:
/var/cache/dukaan/, like deploy/local/elasticsearch_node.py). A lock file makes two callers at once build it
once. Standard library only.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# tool (the binary's name) -> (Go package that `go install` builds, module version)
TOOLS = {
    "kustomize": ("sigs.k8s.io/kustomize/kustomize/v5", "v5.8.2"),
    # Prometheus 3's Go module versions are v0.3MM.P for release 3.MM.P.
    "promtool": ("github.com/prometheus/prometheus/cmd/promtool", "v0.316.0"),
    "prometheus": ("github.com/prometheus/prometheus/cmd/prometheus", "v0.316.0"),
}
BUILD_TIMEOUT_S = 1800  # prometheus and promtool take about 10 minutes each on 2 cores with empty caches


class Unavailable(Exception):
    """The tool cannot be had on this machine; the message says why and what to install."""


def cache_dir(tool: str) -> Path:
    version = TOOLS[tool][1]
    if os.geteuid() == 0:
        return Path("/var/cache/dukaan") / f"{tool}-{version}"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dukaan" / f"{tool}-{version}"


def binary(tool: str, log=None) -> Path:
    """The tool's executable, built first when it is not in the cache yet."""
    package, version = TOOLS[tool]
    folder = cache_dir(tool)
    executable = folder / tool
    if executable.is_file():
        return executable
    go = shutil.which("go")
    if go is None:
        raise Unavailable(
            f"{tool} {version} is built from source and needs Go 1.22 or newer on PATH "
            "(https://go.dev/dl/ or `apt-get install golang`)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if executable.is_file():  # another process built it while we waited
            return executable
        with tempfile.TemporaryDirectory(dir=folder) as gobin:
            started = time.monotonic()
            if log:
                log(f"building {tool} {version} with `go install` (once; a few minutes)…")
            result = subprocess.run(
                [go, "install", f"{package}@{version}"],
                env={**os.environ, "GOBIN": gobin, "CGO_ENABLED": "0"},
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_S,
            )
            if result.returncode != 0:
                raise Unavailable(f"`go install {package}@{version}` failed:\n{result.stderr[-2000:]}")
            os.replace(Path(gobin) / tool, executable)
            (folder / "build-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")
    return executable


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"path", "run"} or argv[1] not in TOOLS:
        print("\n".join(__doc__.strip().splitlines()[3:5]), file=sys.stderr)
        print(f"TOOL is one of: {', '.join(TOOLS)}", file=sys.stderr)
        return 2
    command, tool, arguments = argv[0], argv[1], argv[2:]
    try:
        executable = binary(tool, log=lambda line: print(line, file=sys.stderr))
    except Unavailable as error:
        print(error, file=sys.stderr)
        return 1
    if command == "path":
        print(executable)
        return 0
    return subprocess.run([str(executable), *arguments]).returncode
