"""Health probes: /healthz says the process is alive, /readyz that it can serve requests now.

Both answer JSON and are never cached. A load balancer or orchestrator sends traffic only to a
process whose /readyz answers 200, and restarts one whose /healthz stops answering.

A process whose primary database is down but whose read replicas answer stays in the load balancer:
/readyz answers 200 with "status": "degraded" (store pages keep serving from the replicas; writes
answer 503 with Retry-After). Without a usable replica it answers 503 as before.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dukaan.infra import db_routing

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    problem, unapplied = database_problem(DEFAULT_DB_ALIAS)
    if problem and not unapplied and db_routing.replica_aliases():
        serving = db_routing.monitor().usable()
        if serving:
            return JsonResponse(
                {"status": "degraded", "problem": problem, "reads_from": serving, "writes": "unavailable"}
            )
    if problem:
        body = {"status": "unavailable", "problem": problem}
        if unapplied:
            body["unapplied_migrations"] = unapplied
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ready"})


def database_problem(alias: str) -> tuple[str, list[str]]:
    """What keeps the database from serving, in words an operator can act on ("" when nothing)."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The driver's message can name hosts and users: log it, answer with the error's kind only.
        logger.warning("readyz: database %r did not answer SELECT 1: %s", alias, error)
        return (
            f"database {alias!r} did not answer SELECT 1 ({type(error).__name__}); "
            "check DATABASE_URL and that the database server is running",
            [],
        )
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        logger.warning("readyz: could not read applied migrations of %r: %s", alias, error)
        return f"could not read the applied migrations of database {alias!r} ({type(error).__name__})", []
    unapplied = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    if unapplied:
        problem = f"{len(unapplied)} migration(s) not applied to database {alias!r}; run `dukaan migrate`"
        return problem, unapplied
    return "", []
