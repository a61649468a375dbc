"""gunicorn's settings for serving the archive: read by `gunicorn archive.wsgi` started in this
directory (`make serve` names it; gunicorn reads ./gunicorn.conf.py by default).

The application is loaded once in the master and the workers are forked from it, so Django,
the templates and the URLconf sit in memory pages the workers share instead of each loading
its own. Python's cycle collector would write into every object it walks, copying those shared
pages into each worker, so the objects made at start-up are frozen (`gc.freeze()`): the
collector leaves them alone, which also spares each full collection the walk over them. The
master opens neither the database nor the search index (both are opened lazily, by the
request that needs them), so no connection or searcher is shared across a fork. A code change
needs a restart of gunicorn, not only of its workers (HUP).
"""

import gc

preload_app = True


def pre_fork(server, worker):
    """In the master, before each worker is forked: the loaded application frozen."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """In a worker, once it has started: what it made at start-up frozen too."""
    gc.freeze()
