"""Bolt runs listeners on this executor after the ack; tests and the demo wait for it to go idle."""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any


class TrackingExecutor(ThreadPoolExecutor):
    def __init__(self, max_workers: int = 8):
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 30) -> None:
        """Return once every listener submitted so far (and any they submitted) has finished."""
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            _, not_done = wait(pending, timeout=timeout)
            if not_done:
                raise TimeoutError(f"{len(not_done)} listener(s) still running after {timeout}s")

    def run_soon(self, fn: Callable[[], None]) -> None:
        self.submit(fn)

    def idle(self) -> bool:
        with self._lock:
            return not self._pending
