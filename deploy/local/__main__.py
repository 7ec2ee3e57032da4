"""`python -m deploy.local COMMAND …`: the one command line of deploy/local, run from the repository.

Each command is a module of this package with a `main(argv)` that parses the rest of the line; it is
imported only when asked for, so the standard-library ones run without the venv.
"""

import argparse
import importlib
import sys

# command -> (module, what it does)
COMMANDS = {
    "postgres": ("postgres", "a PostgreSQL primary, streaming replicas and PgBouncer"),
    "with-postgres": ("with_postgres", "run one command against a throwaway PostgreSQL"),
    "redis": ("redis_server", "a throwaway Redis"),
    "varnish": ("varnish", "a throwaway Varnish in front of a storefront"),
    "nginx": ("nginx", "a throwaway nginx serving a directory"),
    "s3": ("s3", "a throwaway S3 server (s3proxy); needs the venv"),
    "elasticsearch": ("elasticsearch_node", "a throwaway Elasticsearch node; needs the venv"),
    "kafka": ("kafka", "Kafka, Kafka Connect and Debezium"),
    "sms-gateway": ("sms_gateway", "a stand-in SMS provider"),
    "tools": ("tools", "promtool, prometheus (Debian) and kustomize (go install)"),
    "cluster": ("cluster", "the whole topology (`dukaan cluster`); needs the venv"),
    "demo": ("demo", "live demos on the cluster (`dukaan demo`); needs the venv"),
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_module, text) in COMMANDS.items():
        # Each module parses its own arguments (and its own --help).
        commands.add_parser(name, help=text, add_help=False)
    command = parser.parse_args(argv[:1]).command
    try:
        module = importlib.import_module(f"deploy.local.{COMMANDS[command][0]}")
    except ModuleNotFoundError as error:
        parser.exit(
            2,
            f"{parser.prog} {command}: {error}; run it with the venv's python after `make install`:"
            f" .venv/bin/python -m deploy.local {command} …\n",
        )
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
