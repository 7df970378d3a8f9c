"""Read by gunicorn from the working directory: each worker builds its bot (and scheduler) at start,
not on its first request, so scheduled work runs even before any traffic arrives."""


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    worker.wsgi.load()
