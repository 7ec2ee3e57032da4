"""`dukaan demo failover`: lose a region under load, live (deploy/local/demo.py)."""

from dukaan.infra.management.commands import cluster


class Command(cluster.Command):
    help = "Live demos on the local cluster: failover (see deploy/local/demo.py)."
    local_command = "demo"
