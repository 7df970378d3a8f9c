"""Helpers shared by the capability tests."""

import threading

from slackbot.testing.harness import Harness


def race_job(harness: Harness, job_name: str, runners: int = 2) -> None:
    """Run one scheduled job in several threads at the same instant, as replicas without a lease would."""
    [job] = [j for j in harness.bot.ctx.scheduler.jobs if j.name == job_name]
    now = harness.clock.now()
    threads = [threading.Thread(target=job.run, args=(now,)) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    harness.settle()
