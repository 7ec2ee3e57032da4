"""`dukaan cluster up|down|status|route`: the whole topology on this machine (deploy/local/cluster.py)."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the real topology on this machine: up, down, status, route (see deploy/local/cluster.py)."
    local_command = "cluster"  # `python -m deploy.local cluster`

    # deploy.local parses its own arguments and prints its own help. The deploy package lives in the
    # repository, not in the venv: the repository goes on PYTHONPATH, so relative paths such as
    # --data keep meaning what they mean in the caller's directory.
    def run_from_argv(self, argv):
        path = os.pathsep.join(filter(None, [str(settings.BASE_DIR), os.environ.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "deploy.local", self.local_command, *argv[2:]]
        os.execve(sys.executable, command, {**os.environ, "PYTHONPATH": path})
