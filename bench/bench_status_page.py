"""How fast the status page answers with 90 days of history: 10 probes checked once a minute
(1,296,000 checks, 1 in 500 failed).

Run by hand: ``.venv/bin/python -m bench.bench_status_page [DATABASE_URL]`` (default: a temporary
SQLite file; a PostgreSQL URL gets a throwaway schema). Prints the median and worst of repeated
``GET /status.json`` and ``GET /status`` over HTTP, and, as the baseline in the same run, the days'
tallies counted in Python from every row (what the page would cost without them).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import Integer, cast, func, insert, select, text

from bench.data import timed
from handlers.status.config import Probe, StatusSection
from handlers.status.models import ProbeCheck, ProbeDay
from handlers.status.service import HOUR
from handlers.status_page.config import StatusPageSection
from slackbot.config import Config
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import Harness

PROBES = 10
DAYS = 90
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RUNS = 15
BATCH = 50_000


def checks() -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    start = NOW - timedelta(days=DAYS)
    for minute in range(DAYS * 24 * 60):
        at = start + timedelta(minutes=minute)
        for probe in range(PROBES):
            batch.append(
                {
                    "probe": f"probe {probe}",
                    "at": at,
                    "day": at.date(),
                    "hour": int(at.timestamp()) // HOUR,
                    "ok": (minute + probe) % 500 != 0,
                    "latency_ms": 80 + (minute * 7 + probe) % 120,
                }
            )
            if len(batch) == BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def main() -> None:
    probes = [
        Probe(name=f"probe {n}", url=f"http://127.0.0.1:9/{n}", interval=timedelta(days=365)) for n in range(PROBES)
    ]
    config = Config.of(StatusSection(probes=probes), StatusPageSection(access="public"))
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        with Harness(url, config, start=NOW) as harness:
            db = harness.bot.ctx.db
            started, total = time.perf_counter(), 0
            for batch in checks():
                with db.transaction() as session:
                    session.execute(insert(ProbeCheck), batch)
                total += len(batch)
            with db.transaction() as session:  # the days' tallies, as the probe job keeps them
                tallies = select(ProbeCheck.probe, ProbeCheck.day, func.count(), func.sum(cast(ProbeCheck.ok, Integer)))
                session.execute(
                    insert(ProbeDay).from_select(
                        ["probe", "day", "checks", "passed"], tallies.group_by(ProbeCheck.probe, ProbeCheck.day)
                    )
                )
            if db.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("ANALYZE probe_checks"))
                    connection.execute(text("ANALYZE probe_days"))
            print(f"{db.engine.dialect.name}: inserted {total:,} checks in {time.perf_counter() - started:.1f} s")

            def page_json() -> None:
                document = requests.get(harness.url + "/status.json", timeout=60).json()
                assert len(document["probes"]) == PROBES and len(document["probes"][0]["days"]) == 90

            def page_html() -> None:
                assert requests.get(harness.url + "/status", timeout=60).status_code == 200

            def in_python() -> None:
                per_day: dict[tuple[str, object], list[int]] = defaultdict(lambda: [0, 0])
                with db.reading() as session:
                    for probe, day, ok in session.execute(select(ProbeCheck.probe, ProbeCheck.day, ProbeCheck.ok)):
                        tally = per_day[(probe, day)]
                        tally[0] += 1
                        tally[1] += int(ok)
                assert len(per_day) >= PROBES * DAYS

            timed("GET /status.json (days tallied in the database)", page_json, RUNS)
            timed("GET /status (HTML)", page_html, RUNS)
            timed("baseline: every row read and tallied in Python", in_python, RUNS)


if __name__ == "__main__":
    main()
