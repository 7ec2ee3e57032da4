"""The book's whole topology on this machine, on real engines: `dukaan cluster up|down|status|route`.

    dukaan cluster up [--web N] [--storefront-percent P] [--storefront-workers N] [--replica-delay S]
                      [--tls [--acme-ca URL]]     # Caddy in front of nginx: HTTPS for custom domains
    dukaan cluster status [--json]
    dukaan cluster route --storefront-percent P      # the strangler-fig switch, live
    dukaan cluster down [--delete]

`up` starts, each on 127.0.0.1 with its data, PID file and log under var/cluster/<component>/:
PostgreSQL primary + streaming replica + PgBouncer (postgres.py), Redis (redis_server.py), an S3 server
(s3.py), Elasticsearch (elasticsearch_node.py); then migrates, loads the demo store and indexes it; then
Kafka + Connect/Debezium (kafka.py), N `web` processes (`dukaan web`), the storefront service
(`dukaan storefront`) behind Varnish (varnish.py), one `dukaan worker --group G` per consumer group,
and nginx in front of it all (deploy/nginx/cluster.conf.template). Components already running are
kept, so `up` after a crash starts only what is missing. The app processes' settings are in
var/cluster/env (`set -a; . var/cluster/env` gives a shell the cluster's settings).

`down` stops everything it started, by PID, in the reverse order; the data stays unless --delete.
Run it through `dukaan cluster` (or `.venv/bin/python -m deploy.local cluster`): it needs rich.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from deploy.local import caddy, throwaway
from deploy.local.nginx import find_nginx
from deploy.local.throwaway import Refused, port_to_use, read_json, write_json
from deploy.observability import targets

REPO = throwaway.REPO
NGINX_TEMPLATE = REPO / "deploy" / "nginx" / "cluster.conf.template"
NGINX_MAIN = REPO / "deploy" / "nginx" / "cluster-main.conf"
DEFAULT_DATA = REPO / "var" / "cluster"
BIN = Path(sys.executable).parent
# One consumer group per process; the names are dukaan.events.consumers.registered_groups().
WORKER_GROUPS = ("cache", "search", "notifier", "analytics", "invoices")
APP_READY_TIMEOUT_S = 60.0
MAX_REGIONS = 5
# One uvicorn worker per storefront service: on this 2-core machine, shared with everything else the
# cluster runs, a second one measured no more misses a second (docs/benchmarks/longtail.md).
STOREFRONT_WORKERS = 1
OPEN_FILES = 65_536
# Three failures, not one: a single stray failure (a reused keep-alive connection the server had just
# closed) does not take a healthy process out.
PASSIVE_HEALTH = "max_fails=3 fail_timeout=5s"
# Every web process once more as a backup that is never marked failed. While every server is out, nginx
# answers 502 ("no live upstreams") without trying any; with one process dead and three stray failures
# of the survivor, that was 5 s of 502s for every buyer. The backups are tried then instead.
LAST_RESORT = "backup max_fails=0"
# A region's edge that failed is retried after this long: how soon traffic returns after a restore.
REGION_HEALTH = "max_fails=1 fail_timeout=2s"
# The app's DUKAAN_ALLOWED_HOSTS; nginx sends any other Host (a store's own domain) where /s/ goes.
PLATFORM_HOSTS = ("127.0.0.1", "localhost")

console = Console(stderr=True)


def web_servers(ports: list[int]) -> str:
    """nginx's `web` upstream servers: each web process, then each again as a last resort."""
    return "\n    ".join(
        [f"server 127.0.0.1:{port} {PASSIVE_HEALTH};" for port in ports]
        + [f"server 127.0.0.1:{port} {LAST_RESORT};" for port in ports]
    )


def platform_hosts() -> str:
    """nginx's PLATFORM_HOSTS: the platform's own host names; every other Host is a store's domain."""
    return " ".join(f"{host} platform;" for host in PLATFORM_HOSTS)


def local(name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m deploy.local <name> …` in a process of its own (its progress output stays its own).
    A component's folder under var/cluster is named as its command, with _ for - (sms_gateway)."""
    command = throwaway.command(name.replace("_", "-"), *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def script(name: str, *args: str, timeout: float = 300) -> str:
    """Run `python -m deploy.local <name> …`; its stdout, or Refused with what it said."""
    result = local(name, *args, timeout=timeout)
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-12:]
        raise Refused(f"{name} {args[0]} failed:\n" + "\n".join(said))
    return result.stdout


def dukaan(env: dict[str, str], *args: str, timeout: float = 600) -> None:
    result = subprocess.run(
        [str(BIN / "dukaan"), *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO
    )
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-12:]
        raise Refused(f"`dukaan {' '.join(args)}` failed:\n" + "\n".join(said))


def http_ok(port: int, path: str = "/healthz", timeout: float = 1.0) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class AppDir(throwaway.ServerDir):
    """One process of ours (web, storefront, a worker, nginx) with a port we chose."""

    name = "process"

    def is_ours(self, command: str) -> bool:
        # nginx's title names its folder (-p DIR/), which need not say "dukaan" (--data /tmp/x).
        return any(mark in command for mark in (str(REPO), str(self.path), "dukaan", "granian", "uvicorn"))


class Cluster:
    def __init__(self, data: Path) -> None:
        self.data = data.resolve()
        self.config_file = self.data / "cluster.json"
        self.config = read_json(self.config_file)

    # --- the servers deploy/local/ runs ------------------------------------------------------------

    def folder(self, name: str) -> Path:
        return self.data / name

    def start_postgres(self, replica_delay: float, replicas: int) -> dict:
        """The primary, `replicas` replicas (one per region) and PgBouncer; starts only what is down."""
        folder = self.folder("postgres")
        state = read_json(folder / "state.json")
        if len(state.get("replicas", [])) >= replicas and _status_ok("postgres", "--dir", str(folder)):
            return state
        return json.loads(
            script(
                "postgres", "start", "--dir", str(folder), "--replicas", str(replicas),
                "--apply-delay", str(replica_delay), "--json",
            )
        )  # fmt: skip

    def start_server(self, name: str, *extra: str, where: str | None = None) -> dict:
        """redis, s3, elasticsearch, varnish, sms_gateway: the throwaway.py servers, in folder `where`
        (default: the command's name); kept when already running."""
        folder = self.folder(where or name)
        if (folder / "state.json").exists() and _status_ok(name, "--dir", str(folder)):
            return read_json(folder / "state.json")
        folder.mkdir(parents=True, exist_ok=True)
        return json.loads(script(name, "start", "--dir", str(folder), *extra, "--json"))

    def start_edge(self, where: str, storefront_port: int) -> dict:
        """A Varnish in front of the storefront on `storefront_port`."""
        backend = f"127.0.0.1:{storefront_port}"
        if read_json(self.folder(where) / "state.json").get("backend", backend) != backend:
            script("varnish", "stop", "--dir", str(self.folder(where)))  # it still points at an old port
        return self.start_server("varnish", "--backend", backend, where=where)

    def start_kafka(self, pg_url: str) -> dict:
        folder = self.folder("kafka")
        if not _status_ok("kafka", "--data", str(folder), "--json"):
            script("kafka", "start", "--data", str(folder), "--pg-url", pg_url, timeout=400)
        return read_json(folder / "state.json")

    # --- our own processes ---------------------------------------------------------------------------

    def port_for(self, name: str) -> int:
        """The port `name` had last time, if it is still free: addresses stay put across restarts."""
        ports = self.config.setdefault("ports", {})
        port = ports.get(name)
        ours = AppDir(self.folder(name))
        still_ours = ours.running_pid() is not None and ours.read_state().get("port") == port
        if not still_ours:
            port = port_to_use(port)
        ports[name] = port
        self.save()
        return port

    def start_process(self, name: str, command: list[str], env: dict[str, str], port: int | None) -> dict:
        folder = AppDir(self.folder(name))
        folder.path.mkdir(parents=True, exist_ok=True)
        pid = folder.running_pid()
        # A process is kept only if it runs with the same command and settings (a restarted
        # server may have moved, and then its clients must start again with its new address).
        fingerprint = hashlib.sha256(json.dumps([command, sorted(env.items())]).encode()).hexdigest()
        if pid is not None and folder.read_state().get("fingerprint") == fingerprint:
            return folder.read_state()
        if pid is not None:
            stop_group(pid)
        with open(os.devnull, "rb") as devnull, open(folder.log, "ab") as log:
            process = subprocess.Popen(
                command, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                start_new_session=True,
            )  # fmt: skip
        folder.pid_file.write_text(f"{process.pid}\n")
        state = {"pid": process.pid, "port": port, "command": command, "fingerprint": fingerprint}
        folder.write_state(state)
        deadline = time.monotonic() + APP_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise Refused(f"{name} stopped at start. Its log ({folder.log}) says:\n{folder.log_tail()}")
            if port is None or http_ok(port):
                return state
            time.sleep(0.1)
        raise Refused(
            f"{name} did not answer on port {port} within {APP_READY_TIMEOUT_S:.0f} s:\n{folder.log_tail()}"
        )

    def write_nginx_config(
        self, port: int, web_ports: list[int], edges: dict[str, int], percent: float
    ) -> bool:
        """Write nginx's configuration; True if it changed."""
        folder = self.folder("nginx")
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / "temp" / name).mkdir(parents=True, exist_ok=True)
        share = f"{percent:g}% service;" if percent > 0 else ""
        servers = web_servers(web_ports)
        values = {
            "LISTEN_PORT": f"127.0.0.1:{port}",
            "WEB_SERVERS": servers,
            "REGION_UPSTREAMS": region_upstreams(edges, self.storefront_ports(edges)),
            "REGION_ROUTES": " ".join(f"{region} region_{region};" for region in edges)
            + " default region_r1;",
            "STOREFRONT_SPLIT": share,
            "PLATFORM_HOSTS": platform_hosts(),
        }
        changed = False
        for name, wanted in (("cluster.conf", nginx_config(values)), ("nginx.conf", nginx_main(folder))):
            if not (folder / name).exists() or (folder / name).read_text() != wanted:
                (folder / name).write_text(wanted)
                changed = True
        return changed

    def storefront_ports(self, regions) -> dict[str, int]:
        """Each region's storefront service (r1's is `storefront`, rN's `regions/rN/storefront`)."""
        ports = self.config["ports"]
        return {
            region: ports["storefront" if region == "r1" else f"regions/{region}/storefront"]
            for region in regions
        }

    def save(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        write_json(self.config_file, self.config)


def nginx_config(values: dict[str, str]) -> str:
    """cluster.conf.template filled like the nginx image's envsubst: ${NAME} of the names given, nothing
    else ($host stays)."""
    return re.sub(r"\$\{(\w+)\}", lambda found: values[found.group(1)], NGINX_TEMPLATE.read_text())


def nginx_main(folder: Path) -> str:
    """cluster-main.conf for an nginx whose state (PID, logs, temp files, cluster.conf) is in `folder`."""
    user = "user root;" if os.geteuid() == 0 else ""
    return NGINX_MAIN.read_text().replace("@USER@", user).replace("@DIR@", str(folder))


def region_upstreams(edges: dict[str, int], storefronts: dict[str, int]) -> str:
    """One upstream per region: its own edge; as backups its own storefront service (when only its
    Varnish is down, buyers are served without the edge cache) and every other region's edge (when the
    whole region is down). nginx shares a region's load among whichever backups answer."""
    blocks = []
    for region, port in edges.items():
        backups = f" server 127.0.0.1:{storefronts[region]} {REGION_HEALTH} backup;" + "".join(
            f" server 127.0.0.1:{other} {REGION_HEALTH} backup;"
            for name, other in edges.items()
            if name != region
        )
        blocks.append(
            f"upstream region_{region} {{ server 127.0.0.1:{port} {REGION_HEALTH};{backups} "
            # Idle connections to Varnish are dropped before its own 5 s idle timeout would.
            "keepalive 256; keepalive_timeout 4s; }"
        )
    return "\n".join(blocks)


def app_env(cluster: Cluster, servers: dict[str, dict], kafka: dict, edge: str) -> dict:
    """The settings of every app process; `servers` = the states of postgres, redis, s3, elasticsearch
    and the SMS gateway."""
    pg, redis, s3, search, sms = (
        servers[name] for name in ("postgres", "redis", "s3", "elasticsearch", "sms gateway")
    )
    secret_file = cluster.data / "secret-key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    site = f"http://127.0.0.1:{cluster.config['ports']['nginx']}"
    return {
        "DUKAAN_ENV": "staging",
        "DUKAAN_DEBUG": "false",
        "DUKAAN_SECRET_KEY": secret_file.read_text().strip(),
        "DUKAAN_ALLOWED_HOSTS": ",".join(PLATFORM_HOSTS),
        # Every proxy here (nginx, each region's Varnish) reaches the app from 127.0.0.1 and appends
        # the address it saw to X-Forwarded-For: per-client limits count the client, not the proxy.
        "DUKAAN_TRUSTED_PROXIES": "127.0.0.1",
        "DUKAAN_SECURE_COOKIES": "false",  # plain http on loopback
        "DUKAAN_SITE_URL": site,
        "DUKAAN_VAR_DIR": str(cluster.data / "app"),
        "DATABASE_URL": pg["pgbouncer"]["url"],
        # Region r1 (the primary's) reads its own replica; regions/rN/ the Nth.
        "DATABASE_REPLICA_URLS": pg["replicas"][0]["url"],
        "DUKAAN_REGION": "r1",
        "CATALOG_PREWARM": "true",
        "CACHE_URL": redis["url"],
        "STORAGE_URL": s3["url"],
        "S3_ACCESS_KEY_ID": s3["access_key_id"],
        "S3_SECRET_ACCESS_KEY": s3["secret_access_key"],
        "SEARCH_URL": search["url"],
        "EVENT_BUS_URL": f"kafka://{kafka['bootstrap_servers']}",
        "EDGE_PURGE_URL": edge,
        # The stand-in provider (deploy/local/sms_gateway.py) behind the real HTTP adapter.
        "SMS_BACKEND": "http",
        "SMS_HTTP_URL": sms["url"],
        "SMS_HTTP_TOKEN": sms["token"],
    }


def allow_many_connections() -> None:
    """Every server started from here inherits this process's open-file limit; the default 1,024 would
    cap each Varnish (and its storefront) at about a thousand connections, far below a flash crowd."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def up(options: argparse.Namespace) -> int:
    allow_many_connections()
    cluster = Cluster(options.data)
    cluster.data.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    timings: dict[str, float] = {}

    def timed(label: str, work):
        begin = time.monotonic()
        with console.status(f"starting {label}…"):
            value = work()
        timings[label] = time.monotonic() - begin
        console.print(f"[green]✓[/green] {label} [dim]({timings[label]:.1f} s)[/dim]")
        return value

    nginx_port = cluster.port_for("nginx")
    regions = options.regions or cluster.config.get("regions", 1)
    cluster.config["regions"] = regions
    workers = options.storefront_workers or cluster.config.get("storefront_workers", STOREFRONT_WORKERS)
    cluster.config["storefront_workers"] = workers
    cluster.save()
    console.print(f"dukaan cluster: bringing the topology up under {cluster.data}")
    with ThreadPoolExecutor(max_workers=4) as pool:
        # The databases and engines have nothing to wait for: start them side by side.
        futures = {
            "postgres": pool.submit(cluster.start_postgres, options.replica_delay, regions),
            "redis": pool.submit(cluster.start_server, "redis"),
            "s3": pool.submit(cluster.start_server, "s3"),
            "elasticsearch": pool.submit(cluster.start_server, "elasticsearch"),
            "sms gateway": pool.submit(cluster.start_server, "sms_gateway"),
        }
        states = {}
        for label, future in futures.items():
            states[label] = timed(label, future.result)
    pg = states["postgres"]
    base_env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    direct = {
        **base_env,
        "DATABASE_URL": pg["primary"]["url"],
        "DUKAAN_VAR_DIR": str(cluster.data / "app"),
        "SEARCH_URL": states["elasticsearch"]["url"],
        "STORAGE_URL": states["s3"]["url"],
        "S3_ACCESS_KEY_ID": states["s3"]["access_key_id"],
        "S3_SECRET_ACCESS_KEY": states["s3"]["secret_access_key"],
        "DUKAAN_SITE_URL": f"http://127.0.0.1:{nginx_port}",
    }

    # Debezium reads the outbox table, so the schema must exist before Connect registers it.
    def migrate_and_seed() -> None:
        dukaan(direct, "migrate", "--noinput")
        dukaan(direct, "seed", "--demo")

    timed("migrations + demo store", migrate_and_seed)
    kafka = timed("kafka + debezium", lambda: cluster.start_kafka(pg["primary"]["url"]))
    storefront_port = cluster.port_for("storefront")
    varnish = timed("varnish", lambda: cluster.start_edge("varnish", storefront_port))
    env = app_env(cluster, states, kafka, varnish["url"])
    (cluster.data / "env").write_text("".join(f"{name}={value}\n" for name, value in sorted(env.items())))
    env = {**base_env, **env}

    def static_files_and_index() -> None:
        dukaan(env, "collectstatic", "--noinput")
        dukaan(env, "reindex")

    timed("static files + search index", static_files_and_index)
    web_ports = [cluster.port_for(f"web-{number}") for number in range(1, options.web + 1)]
    for number, port in enumerate(web_ports, start=1):
        command = [str(BIN / "dukaan"), "web", "--port", str(port)]
        timed(
            f"web-{number} :{port}",
            lambda n=number, c=command, p=port: cluster.start_process(f"web-{n}", c, env, p),
        )
    for stale in sorted(cluster.data.glob("web-*")):
        if stale.name not in {f"web-{number}" for number in range(1, options.web + 1)}:
            _stop_process(stale)  # `up --web 2` after `up --web 3`
    command = [str(BIN / "dukaan"), "storefront", "--port", str(storefront_port), "--workers", str(workers)]
    timed(
        f"storefront :{storefront_port}",
        lambda: cluster.start_process("storefront", command, env, storefront_port),
    )
    for group in WORKER_GROUPS:
        port = cluster.port_for(f"worker-{group}")
        command = [str(BIN / "dukaan"), "worker", "--group", group, "--metrics-port", str(port)]
        timed(
            f"worker {group} :{port}",
            lambda g=group, c=command, p=port: cluster.start_process(f"worker-{g}", c, env, p),
        )
    edges = {"r1": varnish["port"]}
    for number in range(2, regions + 1):
        edges[f"r{number}"] = start_region(cluster, number, env, pg, timed, workers)
    for stale in sorted(cluster.data.glob("regions/r*")):
        if stale.name not in edges:
            stop_region(stale)  # `up --regions 2` after `up --regions 3`
    percent = options.storefront_percent
    if percent is None:
        percent = cluster.config.get("storefront_percent", 100.0)
    cluster.config["storefront_percent"] = percent
    cluster.config["web_ports"] = web_ports
    cluster.config["edges"] = edges
    cluster.save()
    changed = cluster.write_nginx_config(nginx_port, web_ports, edges, percent)
    timed(f"nginx :{nginx_port}", lambda: start_nginx(cluster, nginx_port, reload=changed))
    timed("first store page through nginx and Varnish", lambda: _wait_for_page(nginx_port, "/s/demo/"))
    if options.tls:
        timed("Caddy (HTTPS for custom domains)", lambda: start_caddy(cluster, nginx_port, options.acme_ca))
    total = time.monotonic() - started
    cluster.config["boot_seconds"] = round(total, 1)
    cluster.save()
    # What Prometheus scrapes (deploy/observability/prometheus.yml reads targets/*.json beside it).
    targets.write_targets(cluster.config_file, cluster.data / "prometheus-targets.json")
    console.print(f"\n[bold]The cluster is up in {total:.0f} s[/bold]: http://127.0.0.1:{nginx_port}/s/demo/")
    print(
        json.dumps(
            {
                "url": f"http://127.0.0.1:{nginx_port}",
                "boot_seconds": round(total, 1),
                "data": str(cluster.data),
            }
        )
    )
    return 0


def start_region(cluster: Cluster, number: int, env: dict[str, str], pg: dict, timed, workers: int) -> int:
    """Region rN (N ≥ 2) under regions/rN/: its own Redis, storefront, Varnish, and projector (the
    `cache` group with the region's cache, edge and replica: it forgets and pre-warms snapshots from
    Kafka); its own replica is the primary's Nth. Returns its edge's port."""
    region, base = f"r{number}", f"regions/r{number}"
    redis = timed(f"{region} redis", lambda: cluster.start_server("redis", where=f"{base}/redis"))
    port = cluster.port_for(f"{base}/storefront")
    edge = timed(f"{region} varnish", lambda: cluster.start_edge(f"{base}/varnish", port))
    regional = {
        **env,
        "DUKAAN_REGION": region,
        "CACHE_URL": redis["url"],
        "DATABASE_REPLICA_URLS": pg["replicas"][number - 1]["url"],
        "EDGE_PURGE_URL": edge["url"],
    }
    command = [str(BIN / "dukaan"), "storefront", "--port", str(port), "--workers", str(workers)]
    timed(
        f"{region} storefront :{port}",
        lambda: cluster.start_process(f"{base}/storefront", command, regional, port),
    )
    metrics_port = cluster.port_for(f"{base}/projector")
    command = [str(BIN / "dukaan"), "worker", "--group", "cache", "--metrics-port", str(metrics_port)]
    timed(
        f"{region} projector :{metrics_port}",
        lambda: cluster.start_process(f"{base}/projector", command, regional, metrics_port),
    )
    timed(f"{region} first store page", lambda: _wait_for_page(edge["port"], "/s/demo/"))
    return edge["port"]


def stop_region(folder: Path) -> None:
    """Stop a region's processes and servers; its replica stays (it costs only WAL), its data too."""
    for name in ("projector", "storefront"):
        _stop_process(folder / name)
    for name in ("varnish", "redis"):
        if (folder / name / "state.json").exists():
            script(name, "stop", "--dir", str(folder / name))
    console.print(f"stopped region {folder.name}")


def start_nginx(cluster: Cluster, port: int, *, reload: bool = True) -> dict:
    folder = cluster.folder("nginx")
    pid = AppDir(folder).running_pid()
    if pid is not None:
        if reload:
            os.kill(pid, signal.SIGHUP)  # nginx rereads the configuration just written, dropping nothing
        state = {**AppDir(folder).read_state(), "port": port}
        AppDir(folder).write_state(state)
        return state
    config = folder / "nginx.conf"
    command = [
        find_nginx(),
        "-c",
        str(config),
        "-p",
        f"{folder}/",
        "-e",
        str(folder / "nginx.log"),
        "-g",
        "daemon off;",
    ]
    return cluster.start_process("nginx", command, dict(os.environ), port)


def start_caddy(cluster: Cluster, nginx_port: int, acme_ca: str) -> dict:
    """Caddy in front of nginx, with on-demand TLS for the stores' verified domains (docs/domains.md)."""
    folder = cluster.folder("caddy")
    config = caddy.write_caddyfile(
        folder,
        upstream=f"127.0.0.1:{nginx_port}",
        http_port=cluster.port_for("caddy-http"),
        https_port=cluster.port_for("caddy"),
        acme_ca=acme_ca,
    )
    # No port to poll: its HTTPS port answers only names with a certificate.
    return cluster.start_process(
        "caddy", caddy.command(config), caddy.environment(folder, dict(os.environ)), None
    )


def kill_region(options: argparse.Namespace) -> int:
    """SIGKILL every process of one region, as losing its data centre would: storefront, projector,
    Varnish, Redis and its PostgreSQL replica. `dukaan cluster up` brings it back."""
    cluster = Cluster(options.data)
    region = options.region
    if region == "r1":
        raise Refused("r1 holds the primary database, Kafka and the web processes: kill another region")
    base = cluster.folder(f"regions/{region}")
    if not base.is_dir():
        raise Refused(f"there is no region {region} under {cluster.data}: `dukaan cluster up --regions N`")
    victims = {name: AppDir(base / name).running_pid() for name in ("storefront", "projector")}
    for name in ("varnish", "redis"):
        pid = read_json(base / name / "state.json").get("pid")
        victims[name] = pid if pid and throwaway.process_alive(pid) else None
    replicas = read_json(cluster.folder("postgres") / "state.json").get("replicas", [])
    number = int(region.removeprefix("r"))
    if len(replicas) >= number and throwaway.process_alive(replicas[number - 1]["pid"]):
        victims["postgres replica"] = replicas[number - 1]["pid"]
    for name, pid in victims.items():
        if pid is None:
            continue
        if name == "postgres replica":
            os.kill(pid, signal.SIGKILL)  # its backends end when they see their postmaster gone
        else:
            os.killpg(pid, signal.SIGKILL)  # each was started in a session of its own
    killed = {name: pid for name, pid in victims.items() if pid is not None}
    console.print(f"killed region {region}: " + ", ".join(f"{name} ({pid})" for name, pid in killed.items()))
    print(json.dumps({"region": region, "killed": killed}))
    return 0


def _wait_for_page(port: int, path: str) -> None:
    """Varnish sends nothing to a backend its probe has not yet seen healthy: wait for a real page."""
    deadline = time.monotonic() + APP_READY_TIMEOUT_S
    while not http_ok(port, path, timeout=5):
        if time.monotonic() > deadline:
            raise Refused(
                f"http://127.0.0.1:{port}{path} did not answer 200 within {APP_READY_TIMEOUT_S:.0f} s"
            )
        time.sleep(0.2)


def route(options: argparse.Namespace) -> int:
    cluster = Cluster(options.data)
    if "web_ports" not in cluster.config:
        raise Refused(f"no cluster under {cluster.data}: run `dukaan cluster up` first")
    percent = options.storefront_percent
    cluster.config["storefront_percent"] = percent
    cluster.save()
    cluster.write_nginx_config(
        cluster.config["ports"]["nginx"], cluster.config["web_ports"], cluster.config["edges"], percent
    )
    if AppDir(cluster.folder("nginx")).running_pid() is None:
        raise Refused("nginx is not running: `dukaan cluster up` starts it with the new share")
    start_nginx(cluster, cluster.config["ports"]["nginx"])
    console.print(f"store pages: {percent:g}% of clients to the storefront service, the rest to the monolith")
    return 0


# The order `down` stops things in: what depends on others first.
PROCESS_ORDER = (
    "caddy",
    "nginx",
    "regions/*/projector",
    "regions/*/storefront",
    "worker-*",
    "storefront",
    "web-*",
)
# (script, folder pattern)
SERVER_ORDER = (
    ("varnish", "regions/*/varnish"), ("redis", "regions/*/redis"), ("varnish", "varnish"),
    ("kafka", "kafka"), ("elasticsearch", "elasticsearch"), ("s3", "s3"), ("redis", "redis"),
    ("sms_gateway", "sms_gateway"), ("postgres", "postgres"),
)  # fmt: skip


def stop_group(pid: int) -> None:
    """Stop one of our processes and everything it started (granian's and uvicorn's workers): each runs
    in a session of its own, so its process group is exactly that. SIGTERM, then SIGKILL for leftovers."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + throwaway.STOP_TIMEOUT_S
    while time.monotonic() < deadline and throwaway.process_alive(pid):
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)  # a worker its master did not wait for
    except ProcessLookupError:
        pass


def _stop_process(folder: Path) -> bool:
    pid = AppDir(folder).running_pid()
    if pid is not None:
        stop_group(pid)
    return pid is not None


def down(options: argparse.Namespace) -> int:
    cluster = Cluster(options.data)
    if not cluster.data.is_dir():
        raise Refused(f"no cluster under {cluster.data}: nothing to stop")
    for pattern in PROCESS_ORDER:
        for folder in sorted(cluster.data.glob(pattern)):
            if _stop_process(folder):
                console.print(f"stopped {folder.relative_to(cluster.data)}")
    for name, pattern in SERVER_ORDER:
        for folder in sorted(cluster.data.glob(pattern)):
            if not (folder / "state.json").exists():
                continue
            if name == "kafka":
                script("kafka", "stop", "--data", str(folder), timeout=120)
            elif name == "postgres":
                script("postgres", "stop", "--dir", str(folder), *(["--delete"] if options.delete else []))
            else:
                script(name, "stop", "--dir", str(folder))
            console.print(f"stopped {folder.relative_to(cluster.data)}")
    if options.delete:
        shutil.rmtree(cluster.data, ignore_errors=True)
        console.print(f"deleted {cluster.data}")
    return 0


def gather_status(cluster: Cluster) -> list[dict]:
    rows = []
    pg = read_json(cluster.folder("postgres") / "state.json")
    if pg:
        report = _status_json("postgres", "--dir", str(cluster.folder("postgres")))
        for role in ("primary", "pgbouncer"):
            part = report.get(role) or pg.get(role, {})
            rows.append(_row(f"postgres {role}", part.get("pid"), part.get("port"), part.get("answers")))
        for number, replica in enumerate(report.get("replicas") or pg.get("replicas", [])):
            lag = replica.get("lag_seconds")
            health = replica.get("answers") and (f"lag {lag:.1f} s" if lag is not None else True)
            rows.append(_row(f"postgres replica {number}", replica.get("pid"), replica.get("port"), health))
    for name in ("redis", "s3", "elasticsearch", "varnish", "sms_gateway"):
        if (cluster.folder(name) / "state.json").exists():
            report = _status_json(name, "--dir", str(cluster.folder(name)))
            rows.append(_row(name, report.get("pid"), report.get("port"), report.get("answers")))
    if (cluster.folder("kafka") / "state.json").exists():
        report = _status_json("kafka", "--data", str(cluster.folder("kafka")), "--json")
        broker, connect = report.get("broker", {}), report.get("connect", {})
        rows.append(_row("kafka broker", broker.get("pid"), broker.get("port"), broker.get("health") == "up"))
        connector = report.get("connector", {}).get("state", "?")
        healthy = str(connect.get("health", "")).startswith("up") and connector == "RUNNING"
        rows.append(
            _row("kafka connect + debezium", connect.get("pid"), connect.get("port"), healthy and connector)
        )
    for pattern in ("web-*", "storefront", "worker-*", "nginx", "caddy"):
        for folder in sorted(cluster.data.glob(pattern)):
            rows.append(_process_row(folder.name, folder))
    for region in sorted(cluster.data.glob("regions/r*")):
        if region.name not in cluster.config.get("edges", {}):
            continue  # a region `up --regions N` no longer runs
        for name in ("redis", "varnish"):
            if (region / name / "state.json").exists():
                report = _status_json(name, "--dir", str(region / name))
                rows.append(
                    _row(
                        f"{region.name} {name}", report.get("pid"), report.get("port"), report.get("answers")
                    )
                )
        for name in ("storefront", "projector"):
            if (region / name).is_dir():
                rows.append(_process_row(f"{region.name} {name}", region / name))
    return rows


def _process_row(component: str, folder: Path) -> dict:
    app = AppDir(folder)
    state, pid = app.read_state(), app.running_pid()
    port = state.get("port")
    return _row(component, pid, port, pid is not None and (port is None or http_ok(port)))


def _status(name: str, *args: str) -> subprocess.CompletedProcess:
    """`<name> status …`: exit 0 when its server answers, a JSON report on stdout."""
    return local(name, "status", *args, timeout=60)


def _status_ok(name: str, *args: str) -> bool:
    return _status(name, *args).returncode == 0


def _status_json(name: str, *args: str) -> dict:
    try:
        return json.loads(_status(name, *args).stdout)
    except ValueError:
        return {}


def _row(component: str, pid, port, health) -> dict:
    healthy = bool(health)
    shown = health if isinstance(health, str) else ("up" if healthy else "DOWN")
    return {"component": component, "pid": pid, "port": port, "healthy": healthy, "health": shown}


def status(options: argparse.Namespace) -> int:
    cluster = Cluster(options.data)
    rows = gather_status(cluster)
    if not rows:
        raise Refused(f"no cluster under {cluster.data}: run `dukaan cluster up`")
    if options.json:
        print(json.dumps({"components": rows, **cluster.config}, indent=2))
    else:
        table = Table(title=f"dukaan cluster ({cluster.data})")
        for column in ("component", "pid", "port", "health"):
            table.add_column(column)
        for row in rows:
            style = "green" if row["healthy"] else "red"
            table.add_row(
                row["component"], str(row["pid"] or "-"), str(row["port"] or "-"), f"[{style}]{row['health']}"
            )
        Console().print(table)
        if "ports" in cluster.config:
            nginx = cluster.config["ports"]["nginx"]
            share = cluster.config.get("storefront_percent", 100)
            Console().print(
                f"entry: http://127.0.0.1:{nginx}/  ·  store pages to the storefront service: {share:g}%"
            )
    return 0 if all(row["healthy"] for row in rows) else 1


def percent(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a share between 0 and 100, not {text}")
    return value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dukaan cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"where it all lives (default {DEFAULT_DATA})"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start every component that is not running")
    up_parser.add_argument("--web", type=int, default=2, help="web processes behind nginx (default 2)")
    up_parser.add_argument(
        "--regions",
        type=int,
        help="edge regions, each with its own replica, Redis, storefront, Varnish (default: as before; 1)",
    )
    up_parser.add_argument(
        "--storefront-percent",
        type=percent,
        help="share of clients the storefront service answers store pages for (default: as before; 100)",
    )
    up_parser.add_argument(
        "--storefront-workers",
        type=int,
        help=f"uvicorn workers of each storefront service (default: as before; {STOREFRONT_WORKERS})",
    )
    up_parser.add_argument(
        "--replica-delay",
        type=float,
        default=0.0,
        help="recovery_min_apply_delay of the replica, seconds: simulated lag",
    )
    up_parser.add_argument(
        "--tls",
        action="store_true",
        help="Caddy in front of nginx: HTTPS for custom domains (docs/domains.md)",
    )
    up_parser.add_argument(
        "--acme-ca",
        default="",
        help="with --tls: an ACME directory URL other than Let's Encrypt (Pebble, staging)",
    )
    status_parser = commands.add_parser("status", help="each component, its PID, port and health")
    status_parser.add_argument("--json", action="store_true")
    route_parser = commands.add_parser("route", help="change the strangler-fig share live")
    route_parser.add_argument("--storefront-percent", type=percent, required=True)
    kill_parser = commands.add_parser("kill-region", help="SIGKILL every process of one region (not r1)")
    kill_parser.add_argument("region", help="r2, r3, …")
    down_parser = commands.add_parser("down", help="stop everything, keep the data")
    down_parser.add_argument("--delete", action="store_true", help="and delete var/cluster")
    options = parser.parse_args(argv)
    if options.command == "up" and options.web < 1:
        parser.error("--web must be at least 1")
    if options.command == "up" and options.storefront_workers is not None and options.storefront_workers < 1:
        parser.error("--storefront-workers must be at least 1")
    if options.command == "up" and options.regions is not None and not 1 <= options.regions <= MAX_REGIONS:
        parser.error(f"--regions must be between 1 and {MAX_REGIONS}")
    run = {"up": up, "down": down, "status": status, "route": route, "kill-region": kill_region}
    return throwaway.exit_code(
        lambda: run[options.command](options),
        lambda message: console.print(f"[red]dukaan cluster: {message}[/red]"),
        "interrupted: `dukaan cluster down` stops what was started",
    )
