"""Slack's rate limits, kept in advance: token buckets per Web API method tier, and for
``chat.postMessage`` one per channel plus one for the workspace.

Slack applies its limits per method, per app, per workspace. Only the scheduler-lease holder
delivers (see ``slackbot.outbox``), so one process sees all the bot's calls and can pace them in
memory. When Slack answers 429 anyway, only what it refused waits its ``Retry-After``: that method,
or for ``chat.postMessage`` that channel; bulk posts elsewhere pause too, because the refusal may
be the workspace-wide cap, and the headroom kept for pages must stay free.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PER_MINUTE = 1 / 60

# Tier of each Web API method the bot calls (Slack's method reference); unknown methods count as Tier 3.
METHOD_TIERS = {
    "apps.connections.open": 1,
    "conversations.archive": 2,
    "conversations.create": 2,
    "conversations.list": 2,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "usergroups.users.update": 2,
    "users.list": 2,
    "chat.delete": 3,
    "chat.update": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.invite": 3,
    "conversations.join": 3,
    "conversations.open": 3,
    "conversations.replies": 3,
    "reactions.add": 3,
    "auth.test": 4,
    "chat.getPermalink": 4,
    "chat.postEphemeral": 4,
    "conversations.members": 4,
    "files.completeUploadExternal": 4,
    "files.getUploadURLExternal": 4,
    "users.conversations": 3,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}
POST_MESSAGE = "chat.postMessage"


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: float


# Slack's published minimums: Tier 1 to 4 per minute (with a small burst), and 1 message a second
# per channel (short bursts allowed); its workspace-wide cap on posts is "several hundred a minute".
TIER_RATES = (Rate(1 * PER_MINUTE, 2), Rate(20 * PER_MINUTE, 5), Rate(50 * PER_MINUTE, 10), Rate(100 * PER_MINUTE, 20))
PER_CHANNEL = Rate(1.0, 3)
SLACK_WORKSPACE = Rate(300 * PER_MINUTE, 30)
BOT_WORKSPACE = Rate(240 * PER_MINUTE, 30)  # the bot keeps below Slack's cap


@dataclass(frozen=True)
class SlackLimits:
    """What the bot allows itself. ``scale`` multiplies every rate (tests run Slack faster)."""

    tiers: tuple[Rate, Rate, Rate, Rate] = TIER_RATES
    per_channel: Rate = PER_CHANNEL
    workspace: Rate = BOT_WORKSPACE
    urgent_reserve: float = 10  # workspace tokens only pages and alerts may use
    scale: float = 1.0

    def rate(self, rate: Rate) -> Rate:
        return Rate(rate.per_second * self.scale, rate.burst)


class Bucket:
    def __init__(self, rate: Rate, now: float):
        self.rate = rate
        self.tokens = rate.burst
        self.stamp = now
        self.blocked_until = 0.0

    def refill(self, now: float) -> None:
        self.tokens = min(self.rate.burst, self.tokens + (now - self.stamp) * self.rate.per_second)
        self.stamp = now

    def available(self, now: float, keep: float = 0) -> bool:
        self.refill(now)
        return now >= self.blocked_until and self.tokens >= 1 + keep

    def ready_at(self, now: float, keep: float = 0) -> float:
        """When ``available`` will next be true."""
        missing = max(0.0, 1 + keep - self.tokens)
        return max(self.blocked_until, now + missing / self.rate.per_second if missing else now)


@dataclass(frozen=True)
class Call:
    """What pacing needs to know of a Slack call: its method, its channel, and whether it is urgent."""

    method: str
    channel: str = ""
    urgent: bool = False


class Pacer:
    def __init__(self, limits: SlackLimits | None = None, clock: Callable[[], float] = time.monotonic):
        self.limits = limits or SlackLimits()
        self.clock = clock
        self._buckets: dict[str, Bucket] = {}
        self._bulk_paused_until = 0.0
        self._lock = threading.Lock()

    def _bucket(self, key: str, rate: Rate, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.limits.rate(rate), now)
        return bucket

    def _needs(self, call: Call, now: float) -> list[tuple[Bucket, float]]:
        if call.method == POST_MESSAGE:
            keep = 0 if call.urgent else self.limits.urgent_reserve
            return [
                (self._bucket(f"channel:{call.channel}", self.limits.per_channel, now), 0),
                (self._bucket("workspace", self.limits.workspace, now), keep),
            ]
        tier = METHOD_TIERS.get(call.method, 3)
        return [(self._bucket(f"method:{call.method}", self.limits.tiers[tier - 1], now), 0)]

    def take(self, calls: Sequence[Call]) -> bool:
        """Spend one token for each call, all or none; False (and nothing spent) when any must wait."""
        with self._lock:
            now = self.clock()
            if any(not c.urgent and c.method == POST_MESSAGE and now < self._bulk_paused_until for c in calls):
                return False
            needs = [need for call in calls for need in self._needs(call, now)]
            if not all(bucket.available(now, keep) for bucket, keep in needs):
                return False
            for bucket, _ in needs:
                bucket.tokens -= 1
            return True

    def ready_in(self, calls: Sequence[Call]) -> float:
        """Seconds until ``take`` could succeed for these calls."""
        with self._lock:
            now = self.clock()
            ready = [bucket.ready_at(now, keep) for call in calls for bucket, keep in self._needs(call, now)]
            if any(not c.urgent and c.method == POST_MESSAGE for c in calls):
                ready.append(self._bulk_paused_until)
            return max(0.0, max(ready, default=now) - now)

    def refused(self, call: Call, retry_after: float) -> None:
        """Slack answered 429: what it refused waits ``retry_after`` seconds."""
        with self._lock:
            now = self.clock()
            until = now + max(retry_after, 1.0)
            if call.method == POST_MESSAGE:
                self._bucket(f"channel:{call.channel}", self.limits.per_channel, now).blocked_until = until
                self._bulk_paused_until = max(self._bulk_paused_until, until)
            else:
                tier = METHOD_TIERS.get(call.method, 3)
                self._bucket(f"method:{call.method}", self.limits.tiers[tier - 1], now).blocked_until = until
