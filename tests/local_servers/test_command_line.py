"""`python -m deploy.local COMMAND`, the one command line of deploy/local, as a person runs it."""

import subprocess
import sys

import pytest

from deploy.local import throwaway
from deploy.local.__main__ import COMMANDS
from tests.processes import deploy_local

# The commands that must run with any python3, before the venv exists (docs/kafka.md, docs/replication.md).
STANDARD_LIBRARY_ONLY = ["postgres", "with-postgres", "redis", "varnish", "nginx", "kafka", "sms-gateway"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_prints_its_own_help(command):
    result = deploy_local(command, "--help", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")


@pytest.mark.parametrize("command", STANDARD_LIBRARY_ONLY)
def test_the_server_commands_run_on_python_without_the_venv(command):
    # The interpreter the venv was made from: none of the venv's packages.
    outside = subprocess.run(
        [sys._base_executable, "-m", "deploy.local", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=throwaway.REPO,
    )
    assert outside.returncode == 0, outside.stderr


def test_an_unknown_command_is_refused_with_the_list_of_commands():
    result = deploy_local("postgress", "start", timeout=60)
    assert result.returncode == 2
    assert "invalid choice: 'postgress'" in result.stderr and "'postgres'" in result.stderr


@pytest.mark.parametrize("option", ["--web", "--storefront-workers"])
def test_cluster_up_refuses_fewer_than_one_process_before_starting_anything(option, tmp_path):
    result = deploy_local("cluster", "--data", str(tmp_path / "cluster"), "up", option, "0", timeout=60)
    assert result.returncode == 2
    assert f"{option} must be at least 1" in result.stderr
    assert not (tmp_path / "cluster").exists()
