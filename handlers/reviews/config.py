"""``[reviews]``: where review requests go, who counts as a maintainer and a database reviewer, and
when an unclaimed or unfinished request is nudged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from slackbot.config import Config, Duration, Problem, SlackUser, channel_problem


@dataclass(frozen=True)
class ReviewsSection:
    KEY: ClassVar[str] = "reviews"
    NAMED_CHANNELS: ClassVar[tuple[str, ...]] = ("ux_channel",)  # a name, looked up at start

    channel: str = "engineering"
    ux_channel: str = "s_fulfillment_ux"
    maintainers: list[SlackUser] = field(default_factory=list)
    maintainers_usergroup: str = ""
    database_reviewers: list[SlackUser] = field(default_factory=list)
    nudge_after: Duration = timedelta(days=1)

    def problems(self, _config: Config) -> Iterator[Problem]:
        if problem := channel_problem(self.channel):
            yield "channel", problem
        if self.nudge_after <= timedelta(0):
            yield "nudge_after", "must be longer than 0s"
