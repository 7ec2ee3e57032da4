"""Run a throwaway S3-compatible server (s3proxy) on 127.0.0.1 for tests and local runs.

    .venv/bin/python -m deploy.local s3 start [--dir DIR] [--bucket NAME] [--json]   # prints STORAGE_URL
    .venv/bin/python -m deploy.local s3 status --dir DIR
    .venv/bin/python -m deploy.local s3 stop --dir DIR

`start` first makes sure s3proxy's self-contained jar is at hand: it downloads it from Maven Central once
into ${XDG_CACHE_HOME:-~/.cache}/dukaan/s3proxy/ and checks it against the SHA-512 published beside it.
Then it runs it with the machine's Java 17+ on a free port of 127.0.0.1, with jclouds' `filesystem`
backend under DIR/data (DIR is a new temporary directory unless given) and the fixed local credentials
ACCESS_KEY_ID / SECRET_ACCESS_KEY. Once the server answers it creates the bucket (default
`dukaan-media`) and prints `s3://<bucket>?endpoint=http://127.0.0.1:<port>`, so
`STORAGE_URL=$(.venv/bin/python -m deploy.local s3 start)` works with S3_ACCESS_KEY_ID and
S3_SECRET_ACCESS_KEY set to those credentials (--json prints them too). DIR also holds s3proxy.pid,
s3proxy.log, s3proxy.properties and state.json. `stop` ends exactly the process in DIR's PID file
(SIGTERM, then SIGKILL) after checking it is still that server, and deletes DIR if `start` created it;
a DIR given to `start` keeps its data, and a later `start --dir DIR` serves the same objects again.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from deploy.local import throwaway
from deploy.local.downloads import cached_download
from deploy.local.throwaway import Refused

VERSION = "4.1.0"
JAR_NAME = f"s3proxy-{VERSION}-jar-with-dependencies.jar"
DOWNLOAD_URL = f"https://repo1.maven.org/maven2/org/gaul/s3proxy/{VERSION}/{JAR_NAME}"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dukaan" / "s3proxy"
READY_TIMEOUT_S = 60.0
HEAP = "256m"
DEFAULT_BUCKET = "dukaan-media"
# Throwaway credentials for a server that only listens on loopback; printed in its state on purpose.
ACCESS_KEY_ID = "dukaan-local"
SECRET_ACCESS_KEY = "dukaan-local-secret"
# S3's own rule for bucket names, minus the dotted forms (they break virtual-host addressing).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")

console = Console(stderr=True)


# --- The jar: downloaded and checked once ------------------------------------------------------------


def jar() -> Path:
    """The s3proxy jar in the cache, fetched first if it is missing or does not match Maven Central."""
    return cached_download(DOWNLOAD_URL, CACHE / JAR_NAME, f"s3proxy {VERSION} (~55 MB)")


# --- The server --------------------------------------------------------------------------------------


def endpoint(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def answers(port: int, timeout: float = 0.5) -> bool:
    """Does it speak HTTP? Unsigned requests are refused with 403, which is an answer too."""
    try:
        with urllib.request.urlopen(endpoint(port), timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, urllib.error.URLError):
        return False


def client(port: int):
    return boto3.client(
        "s3",
        endpoint_url=endpoint(port),
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name="us-east-1",
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )


def create_bucket(port: int, bucket: str) -> None:
    try:
        client(port).create_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise Refused(f"s3proxy refused to create the bucket {bucket!r}: {error}") from error
    except BotoCoreError as error:
        raise Refused(f"could not create the bucket {bucket!r}: {error}") from error


class S3ProxyDir(throwaway.ServerDir):
    name = "s3proxy"
    label = "an s3proxy"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.data = self.path / "data"
        self.properties = self.path / "s3proxy.properties"

    def is_ours(self, command: str) -> bool:
        return "java" in command and f"--properties {self.properties}" in command

    def answers(self, port: int) -> bool:
        return answers(port)

    def write_properties(self, port: int) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        lines = {
            "s3proxy.endpoint": endpoint(port),
            "s3proxy.authorization": "aws-v2-or-v4",
            "s3proxy.identity": ACCESS_KEY_ID,
            "s3proxy.credential": SECRET_ACCESS_KEY,
            "jclouds.provider": "filesystem",
            "jclouds.filesystem.basedir": str(self.data),
        }
        self.properties.write_text("".join(f"{name}={value}\n" for name, value in lines.items()))


def start(path: Path | None, bucket: str = DEFAULT_BUCKET) -> dict:
    if not BUCKET_NAME.fullmatch(bucket):
        raise Refused(
            f"{bucket!r} is not a bucket name: use 3 to 63 lowercase letters, digits and hyphens, "
            "such as dukaan-media"
        )
    java = throwaway.java_17(f"s3proxy {VERSION}", "openjdk-17-jre-headless")
    server_jar = jar()
    folder, created = S3ProxyDir.claim(path)

    def arguments(port: int) -> list[str]:
        folder.write_properties(port)
        return [java, f"-Xmx{HEAP}", "-jar", str(server_jar), "--properties", str(folder.properties)]

    def state(port: int) -> dict:
        return {
            "url": f"s3://{bucket}?endpoint={endpoint(port)}",
            "endpoint": endpoint(port),
            "bucket": bucket,
            "access_key_id": ACCESS_KEY_ID,
            "secret_access_key": SECRET_ACCESS_KEY,
            "version": VERSION,
        }

    began = time.monotonic()
    with console.status(f"starting s3proxy {VERSION}"):
        recorded = throwaway.launch(
            folder,
            created=created,
            arguments=arguments,
            state=state,
            ready_timeout=READY_TIMEOUT_S,
            output_to_log=True,
        )
        try:
            create_bucket(recorded["port"], bucket)
        except Refused:
            throwaway.stop(folder)
            raise
    recorded["startup_seconds"] = round(time.monotonic() - began, 1)
    folder.write_state(recorded)
    return recorded


def main(argv: list[str]) -> int:
    return throwaway.command_line(
        argv,
        "s3",
        __doc__,
        S3ProxyDir,
        lambda options: start(options.dir, options.bucket),
        add_start_arguments=lambda parser: parser.add_argument(
            "--bucket", default=DEFAULT_BUCKET, help=f"the bucket to create (default {DEFAULT_BUCKET})"
        ),
    )
