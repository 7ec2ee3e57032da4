"""One process of the cross-process stampede test: THREADS threads miss one store's snapshot at once.

    python -m dukaan.storefront.tests.stampede_process STORE_ID THREADS START_AT BUILD_SECONDS

CACHE_URL (from the environment) names the Redis every process shares. The builder sleeps
BUILD_SECONDS instead of reading a database, so the processes need none. Prints, as JSON, how many
snapshots this process built and what each thread got.
"""

import json
import os
import sys
import threading
import time


def main(store_id: int, threads: int, start_at: float, build_seconds: float) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dukaan.config.settings")
    import django

    django.setup()
    from dukaan.storefront import catalog_cache

    def slow_build(wanted: int) -> dict:
        time.sleep(build_seconds)
        return {"store": wanted, "built_by": os.getpid()}

    got: list = [None] * threads

    def buyer(index: int) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        got[index] = catalog_cache.read_through(store_id, slow_build)

    workers = [threading.Thread(target=buyer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    report = {"builds": catalog_cache.build_count(), "circuit": catalog_cache.breaker.state, "got": got}
    print(json.dumps(report))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
