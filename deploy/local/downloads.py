"""What deploy/local's Java servers (elasticsearch.py, s3.py) download from Maven Central: fetched once
into a cache outside the repository, checked against the SHA-512 that Maven Central publishes beside
it, with a progress bar. Needs rich (run with .venv/bin/python)."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from deploy.local.throwaway import Refused

TIMEOUT_S = 60.0

console = Console(stderr=True)


def cached_download(url: str, path: Path, label: str) -> Path:
    """`path`, downloaded from `url` first unless it already matches the SHA-512 published for it."""
    checked = path.with_name(path.name + ".sha512")  # what it matched when it was downloaded
    if path.is_file() and checked.is_file() and checked.read_text().strip() == sha512(path):
        return path
    expected = published_sha512(url)
    if not path.is_file() or sha512(path) != expected:
        download(url, path, expected, label)
    checked.write_text(expected + "\n")
    return path


def published_sha512(url: str) -> str:
    checksum_url = f"{url}.sha512"
    try:
        with urllib.request.urlopen(checksum_url, timeout=TIMEOUT_S) as response:
            text = response.read().decode().strip()
    except (OSError, urllib.error.URLError) as error:
        raise Refused(f"could not read {checksum_url}: {error}. Is Maven Central reachable?") from error
    checksum = text.split()[0].lower() if text else ""
    if not re.fullmatch(r"[0-9a-f]{128}", checksum):
        raise Refused(f"{checksum_url} does not hold a SHA-512 checksum: {text[:200]!r}")
    return checksum


def sha512(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, path: Path, expected: str, label: str) -> None:
    """Fetch into a staging file renamed into place only once its SHA-512 matches."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".partial")
    digest = hashlib.sha512()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with (
            urllib.request.urlopen(url, timeout=TIMEOUT_S) as response,
            staging.open("wb") as out,
            Progress(*columns, console=console) as progress,
        ):
            size = int(response.headers.get("Content-Length") or 0) or None
            task = progress.add_task(f"{label} from Maven Central", total=size)
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                progress.advance(task, len(chunk))
    except (OSError, urllib.error.URLError) as error:
        staging.unlink(missing_ok=True)
        raise Refused(f"could not download {url}: {error}") from error
    if digest.hexdigest() != expected:
        staging.unlink(missing_ok=True)
        raise Refused(f"{url} does not match its published SHA-512; try again later")
    staging.replace(path)
