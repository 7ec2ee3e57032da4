"""`dukaan demo failover`: lose a region under load, live (deploy/local/demo.py)."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_SCRIPT = settings.BASE_DIR / "deploy" / "local" / "demo.py"


class Command(BaseCommand):
    help = "Live demos on the local cluster: failover (see deploy/local/demo.py)."

    # The script parses its own arguments and prints its own help.
    def run_from_argv(self, argv):
        os.execv(sys.executable, [sys.executable, str(DEMO_SCRIPT), *argv[2:]])
