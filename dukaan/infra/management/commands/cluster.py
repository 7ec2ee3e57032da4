"""`dukaan cluster up|down|status|route`: the whole topology on this machine (deploy/local/cluster.py)."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

CLUSTER_SCRIPT = settings.BASE_DIR / "deploy" / "local" / "cluster.py"


class Command(BaseCommand):
    help = "Run the real topology on this machine: up, down, status, route (see deploy/local/cluster.py)."

    # The script parses its own arguments and prints its own help.
    def run_from_argv(self, argv):
        os.execv(sys.executable, [sys.executable, str(CLUSTER_SCRIPT), *argv[2:]])
