"""The real tools the deploy tests run: promtool and prometheus from Debian's `prometheus` package, and
kustomize (Debian has none) built once with `go install`.

    python -m deploy.local tools path TOOL        # the binary's path (kustomize: built first if needed)
    python -m deploy.local tools run TOOL ARGS…   # e.g. run kustomize build deploy/k8s/overlays/staging

kustomize is the module in GO_TOOLS at its pinned version, built from source through the Go module proxy
with the machine's `go` into ${XDG_CACHE_HOME:-~/.cache}/dukaan/<tool>-<version>/ (as root:
/var/cache/dukaan/, like deploy/local/elasticsearch_node.py). A lock file makes two callers at once
build it once. Standard library only.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# tool -> the Debian package that ships it in /usr/bin (`make sysdeps` installs it)
DEBIAN_TOOLS = {"promtool": "prometheus", "prometheus": "prometheus"}
# tool (the binary's name) -> (Go package that `go install` builds, module version)
GO_TOOLS = {"kustomize": ("sigs.k8s.io/kustomize/kustomize/v5", "v5.8.2")}
TOOLS = [*DEBIAN_TOOLS, *GO_TOOLS]
BUILD_TIMEOUT_S = 1800


class Unavailable(Exception):
    """The tool cannot be had on this machine; the message says why and what to install."""


def cache_dir(tool: str) -> Path:
    version = GO_TOOLS[tool][1]
    if os.geteuid() == 0:
        return Path("/var/cache/dukaan") / f"{tool}-{version}"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dukaan" / f"{tool}-{version}"


def binary(tool: str, log=None) -> Path:
    """The tool's executable: Debian's, or built first when it is not in the cache yet."""
    if tool in DEBIAN_TOOLS:
        found = shutil.which(tool) or shutil.which(tool, path="/usr/bin")
        if found is None:
            raise Unavailable(
                f"{tool} comes from Debian's `{DEBIAN_TOOLS[tool]}` package: install it with "
                f"`apt-get install -y {DEBIAN_TOOLS[tool]}` (as root), or run `make sysdeps`"
            )
        return Path(found)
    package, version = GO_TOOLS[tool]
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
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local tools", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("path", help="print the binary's path").add_argument("tool", choices=TOOLS)
    run = commands.add_parser("run", help="run it with ARGS")
    run.add_argument("tool", choices=TOOLS)
    run.add_argument("arguments", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    try:
        executable = binary(options.tool, log=lambda line: print(line, file=sys.stderr))
    except Unavailable as error:
        print(error, file=sys.stderr)
        return 1
    if options.command == "path":
        print(executable)
        return 0
    return subprocess.run([str(executable), *options.arguments]).returncode
