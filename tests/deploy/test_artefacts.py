"""The deploy artefacts (Dockerfile, compose.yaml, Kubernetes manifests) agree with the code and with
the tools that will read them: every setting they pass is one the app reads, every command exists with
those options, probes hit real URLs, manifests pass Kubernetes' own schemas, overlays build with the
real kustomize, and compose.yaml passes the Compose Specification's schema.

No Docker engine runs here, so nothing is built or started: these checks are what stands in for that.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import importlib.util
import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from django.core.management import get_commands, load_command_class
from django.urls import Resolver404, resolve

from deploy.local import cluster, tools
from dukaan.events.consumers import registered_groups
from dukaan.infra.management.commands.web import WSGI_APP
from dukaan.storefront.domains import DOMAIN_URLCONF
from tests.processes import in_ci

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
K8S_BASE = DEPLOY / "k8s" / "base"
OVERLAYS = {
    "staging": DEPLOY / "k8s" / "overlays" / "staging",
    "production": DEPLOY / "k8s" / "overlays" / "production",
}
NGINX_TEMPLATE = DEPLOY / "nginx" / "cluster.conf.template"
VCL = DEPLOY / "varnish" / "default.vcl"
DEBEZIUM_CONNECTOR = DEPLOY / "kafka" / "debezium-outbox.json"
APP_IMAGE_K8S = "dukaan"  # the name kustomize's `images:` rewrites
# dclint ships the Compose Specification's JSON schema (compose-spec/compose-spec, kept current).
COMPOSE_SCHEMA_PACKAGE = "dclint@3.1.0"

# Variables that images other than ours read, per image (without its tag). Anything else set on a
# third-party container is a typo or a setting meant for the app.
THIRD_PARTY_ENV = {
    "python": {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"},
    "postgres": {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGPASSWORD"},
    "edoburu/pgbouncer": {
        "DB_HOST",
        "DB_PORT",
        "DB_USER",
        "DB_PASSWORD",
        "DB_NAME",
        "AUTH_TYPE",
        "POOL_MODE",
        "MAX_CLIENT_CONN",
        "DEFAULT_POOL_SIZE",
    },
    "apache/kafka": {"CLUSTER_ID", "KAFKA_*"},
    "quay.io/debezium/connect": {
        "BOOTSTRAP_SERVERS",
        "GROUP_ID",
        "CONFIG_STORAGE_TOPIC",
        "OFFSET_STORAGE_TOPIC",
        "STATUS_STORAGE_TOPIC",
        "CONNECT_*",
    },
    "docker.elastic.co/elasticsearch/elasticsearch": {
        "discovery.type",
        "xpack.security.enabled",
        "cluster.routing.allocation.disk.threshold_enabled",
        "ES_JAVA_OPTS",
    },
    "quay.io/minio/minio": {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
    "redis": set(),
    "varnish": set(),
    # The official image fills /etc/nginx/templates/*.template from the environment.
    "nginx": set(re.findall(r"\$\{(\w+)\}", NGINX_TEMPLATE.read_text())),
}


# --- what the code knows ------------------------------------------------------------------------


@cache
def settings_env_names() -> frozenset[str]:
    """Every variable dukaan/config/settings.py reads, from its source."""
    tree = ast.parse((REPO / "dukaan" / "config" / "settings.py").read_text())
    names = set()

    def is_environ(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            reads = (isinstance(func, ast.Attribute) and func.attr == "get" and is_environ(func.value)) or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "env"
                and func.attr != "parser_for"
            )
            if reads:
                names.add(node.args[0].value)
        elif (
            isinstance(node, ast.Subscript)
            and is_environ(node.value)
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            if any(is_environ(comparator) for comparator in node.comparators):
                names.add(node.left.value)
    return frozenset(names)


def test_settings_names_are_found():
    # The parser above must see the reads we know about, or every check below passes vacuously.
    assert {"DATABASE_URL", "DUKAAN_DEBUG", "DUKAAN_ALLOWED_HOSTS", "STORAGE_URL"} <= settings_env_names()


def image_name(image: str) -> str:
    """`quay.io/minio/minio:RELEASE…` → `quay.io/minio/minio` (a colon before the last slash is a port)."""
    repository, _, tag = image.rpartition(":")
    return repository if repository and "/" not in tag else image


def unknown_env(names, image: str | None) -> set[str]:
    """The names neither dukaan (image None) nor that third-party image reads."""
    if image is None:
        return set(names) - settings_env_names()
    allowed = THIRD_PARTY_ENV.get(image_name(image))
    assert allowed is not None, f"{image}: say in THIRD_PARTY_ENV which variables it reads"
    return {name for name in names if not any(fnmatch.fnmatchcase(name, pattern) for pattern in allowed)}


# --- reading the artefacts ------------------------------------------------------------------------


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def app_services() -> dict[str, dict]:
    return {name: service for name, service in compose()["services"].items() if "build" in service}


def env_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return environment


@cache
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages = []
    for instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, arguments))
    return stages


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def dockerfile_env() -> dict[str, str]:
    env = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(arguments))
    return env


def k8s_documents(folder: Path) -> list[dict]:
    return [
        document
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def containers_of(documents) -> list[dict]:
    containers = []
    for document in documents:
        if document["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            spec = document["spec"]["template"]["spec"]
            containers += spec.get("initContainers", []) + spec["containers"]
    return containers


def env_file(path: Path) -> dict[str, str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def config_map_literals(kustomization: Path) -> dict[str, str]:
    """The ConfigMap entries a kustomization generates (env files and literals)."""
    entries = {}
    for generator in yaml.safe_load(kustomization.read_text()).get("configMapGenerator", []):
        for name in generator.get("envs", []):
            entries.update(env_file(kustomization.parent / name))
        entries.update(literal.split("=", 1) for literal in generator.get("literals", []))
    return entries


def dukaan_commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every `dukaan …` the artefacts run."""
    found = []
    for name, service in compose()["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command and command[0] == "dukaan":
            found.append((f"compose.yaml service {name}", command))
    for container in containers_of(k8s_documents(K8S_BASE)):
        argv = container.get("command", []) + container.get("args", [])
        if argv and argv[0] == "dukaan":
            found.append((f"k8s container {container['name']}", argv))
    for instruction, arguments in dockerfile_instructions():
        if instruction == "RUN":
            for part in re.split(r"&&|;", arguments):
                argv = shlex.split(part)
                if argv and argv[0] == "dukaan":
                    found.append(("Dockerfile RUN", argv))
    return found


# --- 1. settings --------------------------------------------------------------------------------


def test_every_variable_set_for_the_app_is_one_it_reads():
    problems = {}
    for name, service in compose()["services"].items():
        image = service["image"]
        unknown = unknown_env(env_of(service), None if name in app_services() else image)
        if unknown:
            problems[f"compose.yaml service {name} ({image})"] = sorted(unknown)
    unknown = unknown_env(dockerfile_env(), None) - THIRD_PARTY_ENV["python"]
    if unknown:
        problems["Dockerfile ENV"] = sorted(unknown)
    for path in [
        K8S_BASE / "kustomization.yaml",
        *(folder / "kustomization.yaml" for folder in OVERLAYS.values()),
    ]:
        unknown = set(config_map_literals(path)) - settings_env_names()
        if unknown:
            problems[f"ConfigMap from {path.relative_to(REPO)}"] = sorted(unknown)
    for container in containers_of(k8s_documents(K8S_BASE)):
        names = set()
        for variable in container.get("env", []):
            names.add(variable["name"])
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                names.add(reference["key"])
        unknown = unknown_env(names, None if container["image"] == APP_IMAGE_K8S else container["image"])
        if unknown:
            problems[f"k8s container {container['name']}"] = sorted(unknown)
    assert not problems, f"set but not read by dukaan/config/settings.py (or not the image's): {problems}"


def test_secrets_come_from_one_secret_and_the_config_map():
    for container in containers_of(k8s_documents(K8S_BASE)):
        if container["image"] != APP_IMAGE_K8S:
            continue
        assert [source["configMapRef"]["name"] for source in container["envFrom"]] == ["dukaan-config"]
        for variable in container.get("env", []):
            assert "value" not in variable, f"{container['name']}: {variable['name']} belongs in config.env"
            reference = variable["valueFrom"]["secretKeyRef"]
            assert reference["name"] == "dukaan-secrets"
            assert reference["key"] == variable["name"], "the Secret's keys are the settings' names"


def test_probe_hosts_are_allowed_hosts():
    # Django answers 400 to a Host it does not allow: the kubelet's probes send Host: localhost and the
    # edge's health probe the storefront Service's name.
    probe_hosts = {"storefront"}
    for container in containers_of(k8s_documents(K8S_BASE)):
        for probe in ("readinessProbe", "livenessProbe"):
            for header in container.get(probe, {}).get("httpGet", {}).get("httpHeaders", []):
                if header["name"].lower() == "host":
                    probe_hosts.add(header["value"])
    assert "localhost" in probe_hosts
    for path in [
        K8S_BASE / "kustomization.yaml",
        *(folder / "kustomization.yaml" for folder in OVERLAYS.values()),
    ]:
        allowed = config_map_literals(path).get("DUKAAN_ALLOWED_HOSTS")
        if allowed is not None:
            assert probe_hosts <= set(allowed.split(",")), path
    compose_allowed = set(env_of(app_services()["web"])["DUKAAN_ALLOWED_HOSTS"].split(","))
    assert {"127.0.0.1", "storefront-lb"} <= compose_allowed  # HEALTHCHECKs and Varnish's probe


# --- 2. commands -----------------------------------------------------------------------------------


def test_every_dukaan_command_exists_and_takes_those_options():
    commands = get_commands()
    found = dukaan_commands()
    assert len(found) >= 10
    for where, argv in found:
        name = argv[1].replace("-", "_")  # dukaan/cli.py's rule
        assert name in commands, f"{where}: `{shlex.join(argv)}` names no management command"
        parser = load_command_class(commands[name], name).create_parser("dukaan", name)
        parser.parse_args(argv[2:])  # raises CommandError on an unknown option or a bad value


def test_one_worker_per_registered_consumer_group():
    groups = set(registered_groups())
    assert groups, "no consumer groups registered"
    for source in ("compose.yaml", "k8s"):
        workers = [
            argv[argv.index("--group") + 1]
            for where, argv in dukaan_commands()
            if where.startswith(source) and argv[1] == "worker"
        ]
        assert sorted(workers) == sorted(groups), f"{source}: workers {workers}, groups {sorted(groups)}"


def test_the_web_server_serves_the_wsgi_application():
    command = exec_form(dict(dockerfile_stages()[-1])["CMD"])
    assert command[:2] == ["dukaan", "web"] and command[command.index("--host") + 1] == "0.0.0.0"
    module, attribute = WSGI_APP.split(":")
    assert importlib.util.find_spec(module) is not None
    assert callable(getattr(importlib.import_module(module), attribute))


# --- 3. probes -------------------------------------------------------------------------------------


def probe_paths() -> list[tuple[str, str]]:
    paths = []
    for container in containers_of(k8s_documents(K8S_BASE)):
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if "httpGet" in container.get(probe, {}):
                paths.append((f"k8s {container['name']} {probe}", container[probe]["httpGet"]["path"]))
    healthchecks = [("Dockerfile HEALTHCHECK", dict(dockerfile_stages()[-1])["HEALTHCHECK"])]
    healthchecks += [
        (f"compose.yaml {name}", " ".join(service["healthcheck"].get("test", [])))
        for name, service in app_services().items()
        if "test" in service.get("healthcheck", {})
    ]
    for where, text in healthchecks:
        for url in re.findall(r"http://[^'\" ]+", text):
            paths.append((where, urlsplit(url).path))
    paths += [
        ("deploy/varnish/default.vcl probe", path)
        for path in re.findall(r'\.url = "([^"]+)"', VCL.read_text())
    ]
    return paths


def test_probe_paths_exist_in_the_url_conf():
    paths = probe_paths()
    assert {path for _, path in paths} >= {"/healthz", "/readyz"}
    for where, path in paths:
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"{where} probes {path}, which no URL pattern answers")


def test_probes_use_the_ports_their_containers_serve():
    for container in containers_of(k8s_documents(K8S_BASE)):
        ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
        argv = container.get("command", []) + container.get("args", [])
        for probe in ("readinessProbe", "livenessProbe"):
            action = container.get(probe, {}).get("httpGet") or container.get(probe, {}).get("tcpSocket")
            if action:
                assert action["port"] in ports, f"{container['name']} {probe}: no port {action['port']}"
        if "--port" in argv:
            assert int(argv[argv.index("--port") + 1]) in ports.values(), container["name"]


# --- 4 and 5. Kubernetes: schemas and kustomize ----------------------------------------------------


def validate_strictly(documents: list[dict], where: str) -> None:
    version = kubernetes_validate.latest_version()
    for document in documents:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{document.get('kind')}/{document.get('metadata', {}).get('name')}"
            pytest.fail(
                f"{where}: {name} is not valid Kubernetes {version}: {error.message} at {list(error.path)}"
            )


def test_base_manifests_are_valid_kubernetes():
    documents = k8s_documents(K8S_BASE)
    assert {document["kind"] for document in documents} >= {
        "Deployment",
        "Job",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    validate_strictly(documents, "deploy/k8s/base")


def test_the_validator_rejects_an_unknown_field():
    deployment = next(document for document in k8s_documents(K8S_BASE) if document["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


@pytest.fixture(scope="session")
def kustomize() -> Path:
    try:
        return tools.binary("kustomize")
    except tools.Unavailable as error:
        if in_ci():
            pytest.fail(f"CI must build the Kubernetes overlays, but {error}")
        pytest.skip(str(error))


def kustomize_build(kustomize: Path, folder: Path) -> list[dict]:
    result = subprocess.run(
        [str(kustomize), "build", str(folder)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"kustomize build {folder.relative_to(REPO)} failed:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def by_kind_and_name(documents) -> dict[tuple[str, str], dict]:
    return {(document["kind"], document["metadata"]["name"]): document for document in documents}


@pytest.mark.parametrize("folder", [K8S_BASE, *OVERLAYS.values()], ids=["base", *OVERLAYS])
def test_kustomize_builds_valid_kubernetes(kustomize, folder):
    documents = kustomize_build(kustomize, folder)
    validate_strictly(documents, f"kustomize build {folder.relative_to(REPO)}")
    config_maps = [document["metadata"]["name"] for document in documents if document["kind"] == "ConfigMap"]
    # Every envFrom names the ConfigMap kustomize generated (with its hash suffix).
    for container in containers_of(documents):
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in config_maps, container["name"]


@pytest.mark.parametrize("environment", list(OVERLAYS))
def test_overlay_sets_namespace_environment_replicas_and_image(kustomize, environment):
    base = by_kind_and_name(kustomize_build(kustomize, K8S_BASE))
    built = by_kind_and_name(kustomize_build(kustomize, OVERLAYS[environment]))
    kustomization = yaml.safe_load((OVERLAYS[environment] / "kustomization.yaml").read_text())
    namespace = f"dukaan-{environment}"

    assert ("Namespace", namespace) in built
    for (kind, name), document in built.items():
        if kind != "Namespace":
            assert document["metadata"].get("namespace") == namespace, f"{kind}/{name}"
    config = next(document for (kind, _), document in built.items() if kind == "ConfigMap")
    assert config["data"]["DUKAAN_ENV"] == environment
    for wanted in kustomization["replicas"]:
        deployment = built[("Deployment", wanted["name"])]
        assert deployment["spec"]["replicas"] == wanted["count"] >= 2
        autoscaler = built[("HorizontalPodAutoscaler", wanted["name"])]
        assert autoscaler["spec"]["minReplicas"] <= wanted["count"] <= autoscaler["spec"]["maxReplicas"]
    image = kustomization["images"][0]
    app_images = {
        container["image"]
        for container in containers_of(built.values())
        if image_name(container["image"]) == image["name"]
    }
    assert app_images == {f"{image['name']}:{image['newTag']}"}, "every dukaan container runs the release"
    if environment == "production":
        base_web = base[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]["resources"]
        web = built[("Deployment", "web")]["spec"]["template"]["spec"]["containers"][0]["resources"]
        assert web != base_web


def test_workloads_run_as_non_root_with_probes_and_resources():
    for document in k8s_documents(K8S_BASE):
        if document["kind"] not in {"Deployment", "Job"}:
            continue
        pod = document["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, document["metadata"]["name"]
        for container in pod["containers"]:
            assert {"requests", "limits"} <= set(container["resources"]), container["name"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            if container.get("ports"):  # a server: the kubelet must know when it is ready and alive
                assert "readinessProbe" in container and "livenessProbe" in container, container["name"]
    for name in ("web", "storefront"):
        kinds = {
            document["kind"] for document in k8s_documents(K8S_BASE) if document["metadata"]["name"] == name
        }
        assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds, name


# --- 6. compose --------------------------------------------------------------------------------------


def test_compose_depends_on_names_services_with_known_conditions():
    services = compose()["services"]
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for dependency, how in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on {dependency}, which is no service"
            assert how["condition"] in conditions
            if how["condition"] == "service_healthy":
                healthcheck = services[dependency].get("healthcheck", {})
                assert not healthcheck.get("disable"), f"{name} waits for {dependency} to be healthy"


def test_compose_images_are_pinned():
    for name, service in compose()["services"].items():
        image = service["image"]
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest", f"{name}: {image} is not pinned to a version"


def test_app_services_share_one_image_build():
    services = app_services()
    assert {"web", "storefront", "migrate"} <= set(services)
    assert (
        len(
            {
                json.dumps([service["build"], service["image"]], sort_keys=True)
                for service in services.values()
            }
        )
        == 1
    )
    build = next(iter(services.values()))["build"]
    assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert services["web"]["deploy"]["replicas"] >= 2 and services["storefront"]["deploy"]["replicas"] >= 2
    for name, service in compose()["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command and command[0] == "dukaan":
            assert name in services, f"{name} runs dukaan but not from the dukaan image"


def test_compose_publishes_only_nginx_on_the_documented_port():
    published = {
        name: service["ports"] for name, service in compose()["services"].items() if service.get("ports")
    }
    assert published == {"nginx": ["8080:80"]}
    assert "http://localhost:8080" in (REPO / "docs" / "deploy.md").read_text()
    assert env_of(compose()["services"]["nginx"])["LISTEN_PORT"] == "80"


def test_compose_mounts_files_that_exist():
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).is_file(), f"{name} mounts {source}, which is missing"


def test_nginx_gets_every_placeholder_of_the_template():
    placeholders = set(re.findall(r"\$\{(\w+)\}", NGINX_TEMPLATE.read_text()))
    nginx = compose()["services"]["nginx"]
    assert "./nginx/cluster.conf.template:/etc/nginx/templates/default.conf.template:ro" in nginx["volumes"]
    assert set(env_of(nginx)) == placeholders


def test_templates_are_filled_completely():
    # A placeholder left in the VCL or the connector config stops Varnish or Debezium at start.
    vcl_names = set(re.findall(r"@([A-Z_]+)@", VCL.read_text().split("vcl 4.1;", 1)[1]))
    edge = next(c for c in containers_of(k8s_documents(K8S_BASE)) if c["image"].startswith("varnish:"))
    for where, script in [
        ("compose.yaml varnish", compose()["services"]["varnish"]["command"][0]),
        ("k8s edge", edge["args"][0]),
    ]:
        assert {name for name in vcl_names if f"s/@{name}@/" in script} == vcl_names, where
        assert '"127.0.0.1";' in VCL.read_text() and 's|^    "127.0.0.1";|' in script, where
    connector_names = set(re.findall(r"\{\{(\w+)\}\}", DEBEZIUM_CONNECTOR.read_text()))
    script = compose()["services"]["connect-register"]["command"][0]
    assert {name for name in connector_names if f"s/{{{{{name}}}}}/" in script} == connector_names


def test_compose_creates_the_topics_kafka_py_creates():
    tree = ast.parse((DEPLOY / "local" / "kafka.py").read_text())
    topics = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "TOPICS"
    )
    script = compose()["services"]["kafka-topics"]["command"][0]
    assert set(re.search(r"for topic in ([^;]+);", script).group(1).split()) == set(topics)


def cache_dir() -> Path:
    """Where downloads are kept, outside the repository (as deploy/local/tools.py keeps its builds)."""
    if os.geteuid() == 0:
        return Path("/var/cache/dukaan")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dukaan"


def compose_schema() -> dict:
    """The Compose Specification's JSON schema, as dclint ships it; fetched with npm once and cached."""
    schema = cache_dir() / f"compose-schema-{COMPOSE_SCHEMA_PACKAGE.replace('@', '-')}.json"
    if schema.is_file():
        return json.loads(schema.read_text())
    npm = shutil.which("npm")
    if npm is None:
        why = "npm is not installed (apt-get install -y npm): it fetches the Compose Specification's schema"
        if in_ci():
            pytest.fail(f"CI must validate compose.yaml, but {why}")
        pytest.skip(why)
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(
            [npm, "pack", COMPOSE_SCHEMA_PACKAGE, "--pack-destination", scratch, "--silent"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=scratch,
        )
        assert result.returncode == 0, f"npm pack {COMPOSE_SCHEMA_PACKAGE} failed:\n{result.stderr}"
        with tarfile.open(next(Path(scratch).glob("*.tgz"))) as archive:
            text = archive.extractfile("package/schemas/compose.schema.json").read().decode()
    schema.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text(text)
    return json.loads(text)


def test_compose_file_follows_the_compose_specification():
    validator = jsonschema.Draft7Validator(compose_schema())
    errors = [
        f"{'/'.join(map(str, error.path))}: {error.message}" for error in validator.iter_errors(compose())
    ]
    assert not errors, "\n".join(errors)
    broken = json.loads(json.dumps(compose()))
    broken["services"]["web"]["depends_on"]["migrate"]["condition"] = "service_finished"
    assert list(validator.iter_errors(broken)), "the schema must catch a bad depends_on condition"


# --- 6b. behind the proxies: client addresses and /metrics -----------------------------------------

DEPLOYED_SETTINGS = """
import json
import dukaan.config.settings as s
print(json.dumps(s.TRUSTED_PROXIES))
"""


def nginx_locations(config: str) -> dict[str, str]:
    """{location's match: its body} of an nginx config (bodies hold no nested braces here)."""
    return {match.strip(): body for match, body in re.findall(r"location\s+([^{]+)\{([^{}]*)\}", config)}


def passes_client_address(config: str) -> bool:
    """Every location that proxies appends the client to X-Forwarded-For: itself, or by inheriting it
    from the server, which nginx does only for a location that sets no proxy_set_header of its own."""
    config = config.replace("$$", "$")  # compose.yaml escapes nginx's variables
    line = "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"
    inherited = line in re.sub(r"location\s+[^{]+\{[^{}]*\}", "", config)
    proxying = [body for body in nginx_locations(config).values() if "proxy_pass" in body]
    return bool(proxying) and all(
        line in body or (inherited and "proxy_set_header" not in body) for body in proxying
    )


def deployed_settings(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], "DUKAAN_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", DEPLOYED_SETTINGS], env=clean, capture_output=True, text=True, timeout=60
    )


def test_compose_trusts_exactly_its_proxies_at_fixed_addresses(tmp_path):
    services = compose()["services"]
    proxies = {
        name: services[name]["networks"]["default"]["ipv4_address"]
        for name in ("nginx", "varnish", "storefront-lb")
    }
    trusted = env_of(services["web"])["DUKAAN_TRUSTED_PROXIES"].split(",")
    assert sorted(trusted) == sorted(proxies.values())
    for name in app_services():
        assert env_of(services[name])["DUKAAN_TRUSTED_PROXIES"] == ",".join(trusted), name
    network = compose()["networks"]["default"]["ipam"]["config"][0]
    subnet, others = ipaddress.ip_network(network["subnet"]), ipaddress.ip_network(network["ip_range"])
    for name, address in proxies.items():
        # In the network, and out of the range Docker hands to every other container (and its gateway).
        assert ipaddress.ip_address(address) in subnet and ipaddress.ip_address(address) not in others, name
        assert address != str(next(subnet.hosts())), f"{name} must not be the gateway"
    assert passes_client_address(NGINX_TEMPLATE.read_text())
    assert passes_client_address(compose()["configs"]["storefront-lb"]["content"])
    result = deployed_settings(tmp_path, {**env_of(services["web"]), "DUKAAN_ENV": "production"})
    assert "DUKAAN_TRUSTED_PROXIES" not in result.stderr


def test_kubernetes_trusts_the_pod_network_and_says_to_set_it():
    config = env_file(K8S_BASE / "config.env")
    networks = [ipaddress.ip_network(entry) for entry in config["DUKAAN_TRUSTED_PROXIES"].split(",")]
    assert networks and all(network.is_private for network in networks)
    text = (K8S_BASE / "config.env").read_text()
    assert "pod CIDR" in text, "config.env must say what to set DUKAAN_TRUSTED_PROXIES to on a real cluster"
    # The edge's PURGE allow-list is the same pod network (the cache worker purges from there).
    edge = next(c for c in containers_of(k8s_documents(K8S_BASE)) if c["image"].startswith("varnish:"))
    for network in networks:
        assert f'"{network.network_address}"/{network.prefixlen};' in edge["args"][0]


def test_the_local_cluster_trusts_its_proxies_on_loopback_and_its_settings_load(tmp_path):
    running = cluster.Cluster(tmp_path)
    running.config = {"ports": {"nginx": 8080}}
    servers = {
        "postgres": {
            "pgbouncer": {"url": "postgres://u:p@127.0.0.1:6432/d"},
            "replicas": [{"url": "postgres://u:p@127.0.0.1:5433/d"}],
        },
        "redis": {"url": "redis://127.0.0.1:6379/0"},
        "s3": {
            "url": "s3://media?endpoint=http://127.0.0.1:9000",
            "access_key_id": "k",
            "secret_access_key": "s",
        },
        "elasticsearch": {"url": "http://127.0.0.1:9200"},
        "sms gateway": {"url": "http://127.0.0.1:9999/send", "token": "t"},
    }
    env = cluster.app_env(running, servers, {"bootstrap_servers": "127.0.0.1:9092"}, "http://127.0.0.1:6081")

    assert env["DUKAAN_TRUSTED_PROXIES"] == "127.0.0.1"
    result = deployed_settings(tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["127.0.0.1"]


def test_every_shipped_edge_refuses_metrics():
    # The cluster's nginx, which compose.yaml runs too (test_nginx_gets_every_placeholder_of_the_template).
    assert nginx_locations(NGINX_TEMPLATE.read_text())["= /metrics"].split() == ["return", "404;"]
    assert resolve("/metrics").url_name == "metrics"  # the path Prometheus scrapes
    ingresses = [d for d in k8s_documents(K8S_BASE) if d["kind"] == "Ingress"]
    hosts = {rule["host"] for ingress in ingresses for rule in ingress["spec"].get("rules", [])}
    blocked = [
        ingress
        for ingress in ingresses
        if ingress["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/whitelist-source-range")
        == "127.0.0.1/32"
    ]
    assert len(blocked) == 1
    assert {rule["host"] for rule in blocked[0]["spec"]["rules"]} == hosts
    paths = [path for rule in blocked[0]["spec"]["rules"] for path in rule["http"]["paths"]]
    assert [(path["path"], path["pathType"]) for path in paths] == [("/metrics", "Exact")]
    for ingress in ingresses:
        if ingress is not blocked[0]:
            for rule in ingress["spec"].get("rules", []):
                exact = [p["path"] for p in rule["http"]["paths"] if p["pathType"] == "Exact"]
                assert "/metrics" not in exact, ingress["metadata"]["name"]


def test_every_other_host_reaches_web_where_a_domain_has_store_pages_only():
    """The stores' own domains: an Ingress with no rule sends every Host the others do not name to web,
    which serves a verified domain's store pages (no /metrics there) and 404s any other host."""
    ingresses = [d for d in k8s_documents(K8S_BASE) if d["kind"] == "Ingress"]
    catch_all = [ingress for ingress in ingresses if not ingress["spec"].get("rules")]
    assert [ingress["spec"]["defaultBackend"]["service"]["name"] for ingress in catch_all] == ["web"]
    with pytest.raises(Resolver404):
        resolve("/metrics", urlconf=DOMAIN_URLCONF)
    assert resolve("/", urlconf=DOMAIN_URLCONF).url_name == "store_home"


@pytest.mark.parametrize("environment", list(OVERLAYS))
def test_overlays_keep_metrics_refused_on_their_own_host(kustomize, environment):
    built = by_kind_and_name(kustomize_build(kustomize, OVERLAYS[environment]))
    hosts = {
        name: {rule["host"] for rule in document["spec"].get("rules", [])}
        for (kind, name), document in built.items()
        if kind == "Ingress"
    }
    assert hosts["dukaan-metrics"] == hosts["dukaan"]
    config = next(document for (kind, _), document in built.items() if kind == "ConfigMap")
    assert config["data"]["DUKAAN_TRUSTED_PROXIES"]


# --- 7. Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_with_a_slim_non_root_runtime():
    stages = dockerfile_stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    assert runtime[0][1].split()[0].startswith("python:3.11-slim")
    assert any(instruction == "COPY" and "--from=builder" in arguments for instruction, arguments in runtime)
    users = [arguments.split(":")[0] for instruction, arguments in runtime if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}
    healthcheck = dict(runtime).get("HEALTHCHECK", "")
    assert "/healthz" in healthcheck and "curl" not in healthcheck
    assert {"8000", "8001"} <= set(dict(runtime).get("EXPOSE", "").split())


def test_dockerfile_collects_static_files_without_debug():
    runtime = dockerfile_stages()[-1]
    collect = next(i for i, (instruction, arguments) in enumerate(runtime) if "collectstatic" in arguments)
    env_before = {}
    for instruction, arguments in runtime[:collect]:
        if instruction == "ENV":
            env_before.update(item.split("=", 1) for item in shlex.split(arguments))
    # Without DEBUG, collectstatic writes the hashed copies that {% static %} then links.
    assert env_before.get("DUKAAN_DEBUG") == "false"


def test_the_image_has_the_compiled_catalogues_and_the_hindi_font():
    """The wheel carries every .po (the .mo files are not in git), the image compiles them before it
    drops root, and has the font of the Hindi invoices."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    packaged = set()
    for package in {path.parent for path in (REPO / "dukaan").glob("**/__init__.py")}:
        packaged |= {found for pattern in patterns for found in package.glob(pattern) if found.is_file()}
    catalogues = set((REPO / "dukaan").glob("**/locale/*/LC_MESSAGES/django.po"))
    assert catalogues and catalogues <= packaged, sorted(map(str, catalogues - packaged))

    runtime = dockerfile_stages()[-1]
    runs = [arguments for instruction, arguments in runtime if instruction == "RUN"]
    user = next(i for i, (instruction, _) in enumerate(runtime) if instruction == "USER")
    assert any("dukaan compilemessages" in run for run in runs)
    assert all("dukaan compilemessages" not in arguments for _, arguments in runtime[user:])
    assert any("fonts-noto-core" in run for run in runs)
    assert "compilemessages" in get_commands() and get_commands()["compilemessages"] == "dukaan.infra"


def dockerignored(path: str) -> bool:
    ignored = False
    for line in (REPO / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.replace("**/", "")):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_local_state_out_and_sources_in():
    for path in (".venv", "var", ".git", "test-artifacts", "tests", "dukaan.egg-info"):
        assert dockerignored(path), path
    copied = [
        source
        for instruction, arguments in dockerfile_instructions()
        if instruction == "COPY" and "--from" not in arguments
        for source in arguments.split()[:-1]
    ]
    assert copied
    for source in copied:
        assert not dockerignored(source.rstrip("/")), (
            f"the Dockerfile copies {source}, which .dockerignore drops"
        )
