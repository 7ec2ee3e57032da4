"""The real kustomize, built once with `go install` and cached outside the repository.

    python deploy/local/kustomize.py path                # builds it if needed, prints the binary's path
    python deploy/local/kustomize.py build deploy/k8s/overlays/staging

The binary is sigs.k8s.io/kustomize/kustomize/v5 at VERSION, built from source through the Go module
proxy with the machine's `go` into ${XDG_CACHE_HOME:-~/.cache}/dukaan/kustomize-<VERSION>/ (as root:
/var/cache/dukaan/, like deploy/local/elasticsearch.py). A lock file makes two callers at once build
it once. Standard library only.
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

VERSION = "v5.8.2"
MODULE = "sigs.k8s.io/kustomize/kustomize/v5"
BUILD_TIMEOUT_S = 900


class Unavailable(Exception):
    """kustomize cannot be had on this machine; the message says why and what to install."""


def cache_dir() -> Path:
    if os.geteuid() == 0:
        return Path("/var/cache/dukaan") / f"kustomize-{VERSION}"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dukaan" / f"kustomize-{VERSION}"


def binary(log=None) -> Path:
    """The kustomize executable, built first when it is not in the cache yet."""
    folder = cache_dir()
    executable = folder / "kustomize"
    if executable.is_file():
        return executable
    go = shutil.which("go")
    if go is None:
        raise Unavailable(
            f"kustomize {VERSION} is built from source and needs Go 1.22 or newer on PATH "
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
                log(f"building kustomize {VERSION} with `go install` (once; a few minutes)…")
            result = subprocess.run(
                [go, "install", f"{MODULE}@{VERSION}"],
                env={**os.environ, "GOBIN": gobin, "CGO_ENABLED": "0"},
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_S,
            )
            if result.returncode != 0:
                raise Unavailable(f"`go install {MODULE}@{VERSION}` failed:\n{result.stderr[-2000:]}")
            os.replace(Path(gobin) / "kustomize", executable)
            (folder / "build-seconds.txt").write_text(f"{time.monotonic() - started:.1f}\n")
    return executable


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"path", "build"}:
        print("\n".join(__doc__.strip().splitlines()[2:4]), file=sys.stderr)
        return 2
    try:
        executable = binary(log=lambda line: print(line, file=sys.stderr))
    except Unavailable as error:
        print(error, file=sys.stderr)
        return 1
    if argv[0] == "path":
        print(executable)
        return 0
    return subprocess.run([str(executable), *argv]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
