"""``fulfillbot demo``: a scripted tour of the bot against the local Slack simulator.

No Slack account and no network: the bot runs on a loopback port, on a temporary SQLite
database, and every message, edit, ephemeral and modal in the simulated workspace is printed as
it happens. The scenes are in ``slackbot.demo.scenes``.
"""

from __future__ import annotations

import logging
import tempfile
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from slackbot.capability import config_sections, installed
from slackbot.config import Config, parse_config
from slackbot.demo.scenes import DEMO_ALERTS_TOKEN, DEMO_WEBHOOK_SECRET, INTAKE_PROJECT, RETRO_PROJECT, SCENES
from slackbot.durations import format_duration
from slackbot.testing.endpoint import FlippableEndpoint
from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.harness import Harness
from slackbot.testing.slack_sim import SlackSimulator

DEMO_START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Madrid


class ConversationPrinter:
    """Prints what happens in the simulated workspace, in the team's timezone."""

    def __init__(self, sim: SlackSimulator, out: TextIO, timezone: str, charts: Path):
        self.sim = sim
        self.out = out
        self.zone = ZoneInfo(timezone)
        self.charts = charts

    def __call__(self, kind: str, item: dict[str, Any]) -> None:
        when = self.sim.clock.now().astimezone(self.zone).strftime("%a %H:%M")
        line = self._describe(kind, item)
        if line:
            print(f"[{when}] {line}", file=self.out, flush=True)

    def _where(self, channel_id: str) -> str:
        channel = self.sim.channels.get(channel_id)
        if channel is None:
            return channel_id
        if channel.is_im:
            return f"DM with {self._who(next(iter(channel.members - {self.sim.bot_user_id})))}"
        if channel.is_mpim:
            return "group DM"
        return f"#{channel.name}"

    def _who(self, user_id: str) -> str:
        return "fulfillbot" if user_id == self.sim.bot_user_id else self.sim.users.get(user_id, {}).get("name", user_id)

    def _describe(self, kind: str, item: dict[str, Any]) -> str:
        if kind == "message":
            thread = "  ↳ " if item.get("thread_ts") and item["thread_ts"] != item["ts"] else ""
            return f"{self._where(item['channel'])} {thread}{self._who(item['user'])}: {item['text']}"
        if kind == "update":
            return f"{self._where(item['channel'])} (message updated) {item['text']}"
        if kind == "ephemeral":
            return f"{self._where(item['channel'])} (only {self._who(item['user'])} sees) {item['text']}"
        if kind == "view" and item.get("type") == "modal":
            return f"(modal for {self._who(item['user'])}) {item.get('title', {}).get('text', '')}"
        if kind == "file":
            path = self.charts / f"{len(list(self.charts.iterdir())) + 1:02d}-{item['name']}"
            path.write_bytes(item["data"])
            return f"{self._where(item['channel'])} fulfillbot shares the chart {item['title']!r}: {path}"
        if kind in ("reaction_added", "reaction_removed"):
            verb = "reacts with" if kind == "reaction_added" else "removes"
            return f"{self._where(item['channel'])} {self._who(item['user'])} {verb} :{item['name']}:"
        return ""


class Tour:
    def __init__(self, harness: Harness, out: TextIO, endpoint: FlippableEndpoint, gitlab: FakeGitLab):
        self.harness = harness
        self.out = out
        self.endpoint = endpoint
        self.gitlab = gitlab
        self.driver = harness.driver
        self.sim = harness.sim

    def scene(self, title: str) -> None:
        print(f"\n=== {title} ===", file=self.out, flush=True)

    def narrate(self, text: str) -> None:
        print(f"    ({text})", file=self.out, flush=True)

    def wait(self, delta: timedelta) -> None:
        """Let time pass: the clock moves and the scheduler ticks, as in production."""
        self.narrate(f"{format_duration(delta)} later")
        self.harness.advance(delta)


DEMO_CONFIG = r"""
timezone = "Europe/Madrid"

[[people]]
slack = "U0JAMES01"
gitlab = "jameslopez"
timezone = "Europe/Madrid"

[[people]]
slack = "U0VITALY1"
gitlab = "vitallium"
timezone = "Europe/Berlin"

[[people]]
slack = "U0ALICE01"
timezone = "Australia/Sydney"
standup = false

[[people]]
slack = "U0BOB0001"
timezone = "America/Los_Angeles"
standup = false

[[people]]
slack = "U0ADMIN01"
timezone = "UTC"
standup = false

[gitlab]
app_project = "APP_PROJECT"
intake_project = "INTAKE_PROJECT"
intake_template = "INTAKE_TEMPLATE"

[questions]
triage_usergroup = "fulfillment-engineering"

[[questions.autoreplies]]
keywords = ["license", "subscription", "trial", "grace period"]
reply = "For licensing, subscription, trial or grace-period requests, please fill out the internal request form."

[incidents]
declare_on_probe_alert = false
channel = true
update_every = "30m"

[deploys]
maintainers = ["U0JAMES01"]

[[alerts.routes]]
match = { severity = "critical" }
declare = true
severity = 1

[[incidents.escalation]]
oncall = "primary"
ack_timeout = "5m"

[[incidents.escalation]]
users = ["U0JAMES01"]
ack_timeout = "10m"

[[incidents.escalation]]
usergroup = "fulfillment-engineering"
ack_timeout = "10m"

[[oncall.rotations]]
name = "primary"
users = ["U0JAMES01", "U0VITALY1"]
handoff = "mon 10:00"
start = "2026-11-16"
usergroup = "fulfillment-oncall"
announce = "engineering"

[status_page]
access = "public"

[async_updates]
day = "wed"

[reviews]
maintainers = ["U0VITALY1"]
database_reviewers = ["U0JAMES01"]

[retrospectives]
project = "RETRO_PROJECT"
day = 9

[[cadence]]
cron = "0 9 9 * *"
channel = "announcements"
text = "The monthly async retrospective is open, please add your contributions: {retrospective}"

[[cadence]]
cron = "0 9 26 * *"
channel = "announcements"
text = "Preliminary issue review for the next milestone today: issues get a milestone and an estimate."

[[status.probes]]
name = "CustomersDot production"
url = "PROBE_URL"
timeout = "2s"
"""


APP_PROJECT = "gitlab-org/customers-gitlab-com"
INTAKE_TEMPLATE_NAME = "intake"


def demo_config(probe_url: str) -> Config:
    text = DEMO_CONFIG.replace("PROBE_URL", probe_url).replace("APP_PROJECT", APP_PROJECT)
    text = text.replace("INTAKE_PROJECT", INTAKE_PROJECT).replace("INTAKE_TEMPLATE", INTAKE_TEMPLATE_NAME)
    text = text.replace("RETRO_PROJECT", RETRO_PROJECT)
    raw = tomllib.loads(text)
    return parse_config(raw, config_sections(installed()))


INTAKE_TEMPLATE = """## Problem to solve

<!-- What problem do we solve? -->

## Who is asking

## Business impact

/label ~"intake"
"""


def demo_gitlab() -> FakeGitLab:
    """A local GitLab with the projects of the default config."""
    server = FakeGitLab().start()
    server.add_project(APP_PROJECT)
    server.add_project(INTAKE_PROJECT)
    server.add_issue_template(INTAKE_PROJECT, INTAKE_TEMPLATE_NAME, INTAKE_TEMPLATE)
    server.add_project(RETRO_PROJECT)
    for username in ("jameslopez", "vitallium"):
        server.add_user(username)
    return server


def run_demo(out: TextIO) -> int:
    logging.getLogger().setLevel(logging.WARNING)
    endpoint = FlippableEndpoint().start()
    gitlab = demo_gitlab()
    try:
        with (
            tempfile.TemporaryDirectory() as folder,
            Harness(
                f"sqlite:///{folder}/demo.db",
                demo_config(endpoint.url),
                DEMO_START,
                gitlab_webhook_secret=DEMO_WEBHOOK_SECRET,
                alerts_token=DEMO_ALERTS_TOKEN,
                gitlab_url=gitlab.base_url,
                gitlab_token=gitlab.token,
            ) as harness,
        ):
            print("fulfillbot demo: a simulated workspace, a temporary database, no network.", file=out)
            charts = Path(tempfile.mkdtemp(prefix="fulfillbot-demo-charts-"))
            print(f"Charts the bot posts are written to {charts}", file=out)
            print(f"The status page is served at {harness.url}/status while the tour lasts", file=out)
            harness.sim.add_usergroup("fulfillment-oncall", [])
            harness.sim.observe(ConversationPrinter(harness.sim, out, harness.config.timezone, charts))
            tour = Tour(harness, out, endpoint, gitlab)
            for scene in SCENES:
                scene(tour)
    finally:
        endpoint.stop()
        gitlab.stop()
    print("\nDemo finished.", file=out)
    return 0
