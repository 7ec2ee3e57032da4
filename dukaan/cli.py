"""The `dukaan` console command: Django's management commands under one short name.

`dukaan up` serves everything on the embedded defaults; `dukaan seed` loads stores;
every other Django command (migrate, createsuperuser, shell, …) works as well.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")  # `dukaan rebuild-cache` runs the rebuild_cache command
    execute_from_command_line(["dukaan", *args])


if __name__ == "__main__":
    main()
