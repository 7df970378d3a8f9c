"""How fast open questions are listed with 100,000 tracked questions.

Run by hand: ``.venv/bin/python -m bench.bench_open_questions [DATABASE_URL]`` (default: a
temporary SQLite file; a PostgreSQL URL gets a throwaway schema). Prints the median and worst of
repeated runs of the query behind ``/fulfillment questions`` (count and first page), of
``/fulfillment stats 4``, and of the whole slash command end to end (signed request in, ephemeral
answer at the simulated Slack).
"""

from __future__ import annotations

import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.data import questions, timed
from handlers.questions import service
from handlers.questions.models import Question
from slackbot.testing.databases import scratch_schema
from slackbot.testing.harness import TEAM, Harness

TOTAL = 100_000
OPEN_EVERY = 20  # 5,000 open questions
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RUNS = 30


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{folder}/bench.db"
        if url.startswith("postgres"):
            url = stack.enter_context(scratch_schema(url, "bench"))
        with Harness(url, start=NOW) as harness:
            db = harness.bot.ctx.db
            started = time.perf_counter()
            with db.transaction() as session:
                session.execute(insert(Question), questions(TOTAL, OPEN_EVERY, NOW))
            print(f"{db.engine.dialect.name}: inserted {TOTAL:,} questions in {time.perf_counter() - started:.1f} s")

            def first_page() -> None:
                with db.transaction() as session:
                    found, total = service.open_questions(session, 20)
                    assert total == TOTAL // OPEN_EVERY and len(found) == 20

            def stats() -> None:
                with db.transaction() as session:
                    service.weekly_stats(session, NOW, 4, ZoneInfo("UTC"))

            def command() -> None:
                harness.driver.command(TEAM[0].id, "/fulfillment", "questions", channel="s_fulfillment")

            timed("open questions: count + first page of 20 (query)", first_page, RUNS)
            timed("weekly stats, 4 weeks (query + computation)", stats, RUNS)
            timed("/fulfillment questions end to end (HTTP in, answer out)", command, RUNS)
            assert "*5000 open questions*" in harness.sim.ephemerals_for(TEAM[0].id)[-1]["text"]


if __name__ == "__main__":
    main()
