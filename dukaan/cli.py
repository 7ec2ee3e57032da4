"""The `dukaan` console command: Django's management commands under one short name.

`dukaan up` serves everything on the embedded defaults; `dukaan seed` loads stores;
every other Django command (migrate, createsuperuser, shell, …) works as well.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dukaan", *sys.argv[1:]])


if __name__ == "__main__":
    main()
