"""The `dukaan` console command: Django's management commands under one short name.

`dukaan up` serves everything on the embedded defaults; `dukaan seed` loads stores;
every other Django command (migrate, createsuperuser, shell, …) works as well.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings module, which refuses unsafe values)
    except ImproperlyConfigured as error:
        # The message already says what to set; a traceback (Django's, starting at a KeyError for the
        # command it could not look up yet) would only bury it.
        sys.exit(f"dukaan: the settings are refused.\n{error}")

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")  # `dukaan rebuild-cache` runs the rebuild_cache command
    execute_from_command_line(["dukaan", *args])


if __name__ == "__main__":
    main()
