"""What the benchmarks share: a long history of tracked questions, and how a step is timed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta


def timed(what: str, action: Callable[[], object], runs: int) -> None:
    """Run ``action`` ``runs`` times and print the median and the worst, in milliseconds."""
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    print(f"{what:<58} median {statistics.median(durations):8.2f} ms   max {max(durations):8.2f} ms")


def questions(total: int, open_every: int, now: datetime) -> list[dict[str, object]]:
    """``total`` questions over the two years before ``now``, one in ``open_every`` still open. Two in
    three have replies; the open ones have had their nudge or their reminder, so none is due."""
    start = now - timedelta(days=730)
    step = (now - timedelta(hours=1) - start) / total
    rows = []
    for i in range(total):
        created = start + i * step
        is_open = i % open_every == 0
        replied = i % 3 != 0
        rows.append(
            {
                "channel_id": "C00000001",
                "ts": f"{created.timestamp():.6f}",
                "asker_id": f"U{i % 400:08d}",
                "preview": f"Question number {i} about subscriptions and licenses",
                "permalink": f"https://example.slack.com/archives/C00000001/p{i}",
                "created_at": created,
                "first_reply_at": created + timedelta(minutes=20 + i % 90) if replied else None,
                "first_reply_by": "U0JAMES01" if replied else None,
                "closed_at": None if is_open else created + timedelta(hours=2 + i % 30),
                "closed_by": None if is_open else "U0ASKER01",
                "nudged_at": created + timedelta(hours=2) if is_open and not replied else None,
                "asker_reminded_at": created + timedelta(days=1) if is_open and replied else None,
            }
        )
    return rows
