"""axe-core, the accessibility engine the browser tests run in Chromium (tests/browser/test_themes.py):
fetched once from the npm registry into ${XDG_CACHE_HOME:-~/.cache}/dukaan/ (outside the repository),
checked against the SHA-512 pinned here (the registry's `dist.integrity` for this version), and read
from the tarball. `python tools/axe_core.py` fetches it ahead of a test run.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
SCRIPT = "package/axe.min.js"
TIMEOUT_S = 60.0


class AxeUnavailable(Exception):
    """axe-core could not be fetched or did not match its pinned hash; the message says why."""


def cache_path() -> Path:
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "dukaan" / f"axe-core-{VERSION}.tgz"


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def tarball() -> bytes:
    """The pinned tarball's bytes: from the cache when it matches, else downloaded and cached."""
    path = cache_path()
    if path.is_file() and _integrity(data := path.read_bytes()) == INTEGRITY:
        return data
    try:
        with urllib.request.urlopen(URL, timeout=TIMEOUT_S) as response:
            data = response.read()
    except (OSError, urllib.error.URLError) as error:
        raise AxeUnavailable(
            f"could not download {URL}: {error}. Is registry.npmjs.org reachable?"
        ) from error
    if _integrity(data) != INTEGRITY:
        raise AxeUnavailable(f"{URL} does not match the SHA-512 pinned in tools/axe_core.py")
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".partial")
    staging.write_bytes(data)
    staging.replace(path)
    return data


def axe_source() -> str:
    """axe.min.js, the script that defines `axe` in a page."""
    with tarfile.open(fileobj=io.BytesIO(tarball()), mode="r:gz") as archive:
        member = archive.extractfile(SCRIPT)
        if member is None:
            raise AxeUnavailable(f"{SCRIPT} is not in axe-core {VERSION}'s tarball")
        return member.read().decode()


if __name__ == "__main__":
    print(f"axe-core {VERSION}: {len(axe_source()):,} characters, cached at {cache_path()}", file=sys.stderr)
