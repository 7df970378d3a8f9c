"""A bot on a loopback HTTP port, wired to the Slack simulator, with a clock the caller moves."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from slackbot.app import Bot, build_bot
from slackbot.capability import Capability, installed
from slackbot.clock import FakeClock
from slackbot.config import Config, Settings
from slackbot.ratelimit import SlackLimits
from slackbot.testing.driver import SlackDriver
from slackbot.testing.slack_sim import SlackSimulator
from slackbot.web import HttpServer, WebApp, make_http_server

SIGNING_SECRET = "simulated-signing-secret"
FAST_SLACK = SlackLimits(scale=1000.0)  # the harness paces like Slack, but a thousand times faster


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    tz: str


TEAM = (
    Person("U0JAMES01", "james", "Europe/Madrid"),
    Person("U0VITALY1", "vitaly", "Europe/Berlin"),
    Person("U0ALICE01", "alice", "Australia/Sydney"),
    Person("U0BOB0001", "bob", "America/Los_Angeles"),
    Person("U0ADMIN01", "admin", "UTC"),
)
UX_CHANNEL = "s_fulfillment_ux"
HOOK_EVENTS = {  # GitLab's X-Gitlab-Event of each object_kind
    "pipeline": "Pipeline Hook",
    "build": "Job Hook",
    "merge_request": "Merge Request Hook",
    "issue": "Issue Hook",
}
ASKER = Person("U0ASKER01", "sam", "America/New_York")


MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest_scopes() -> list[str] | None:
    """The bot scopes ``manifest.yml`` asks for: what the simulated token is granted, so a method
    the manifest forgot a scope for fails in tests as in Slack. None when there is no manifest."""
    if not MANIFEST.exists():
        return None
    found = re.search(r"^    bot:\n((?:      - .+\n)+)", MANIFEST.read_text(), re.MULTILINE)
    return [line.strip()[2:] for line in found[1].splitlines()] if found else None


def standard_workspace(sim: SlackSimulator, config: Config) -> None:
    """The department's workspace: its people, one asker from another team, the five channels and
    the UX channel (``[reviews] ux_channel``)."""
    for person in (*TEAM, ASKER):
        sim.add_user(person.id, person.name, tz=person.tz)
    members = [p.id for p in (*TEAM, ASKER)]
    for key in ("questions", "announcements", "engineering", "daily", "status"):
        sim.add_channel(config.channel_ref(key), members=members)
    sim.add_channel(UX_CHANNEL, members=members)
    sim.add_usergroup("fulfillment-engineering", [p.id for p in TEAM[:4]])


class Harness:
    def __init__(
        self,
        database_url: str,
        config: Config | None = None,
        start: datetime = datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        capabilities: Sequence[Capability] | None = None,
        limits: SlackLimits = FAST_SLACK,
        background: bool = False,
        groups: Mapping[str, list[str]] | None = None,
        **settings: Any,
    ):
        """``background``: run the deliverer's own loop (and pace in real time) instead of draining the
        outbox after each step; for tests of rate limits and outages, which wait in real time.
        ``groups``: user groups (handle: members) the workspace has besides the standard one."""
        self.config = config or Config()
        self.capabilities = list(capabilities) if capabilities is not None else installed()
        self.limits = limits
        self.background = background
        self.clock = FakeClock(start)
        self.sim = SlackSimulator(clock=self.clock, scopes=manifest_scopes())
        standard_workspace(self.sim, self.config)
        for handle, members in (groups or {}).items():
            self.sim.add_usergroup(handle, members)
        self.database_url = database_url
        self.extra_settings = settings
        self._server: HttpServer | None = None
        self._bot: Bot | None = None
        self._driver: SlackDriver | None = None

    @property
    def bot(self) -> Bot:
        assert self._bot is not None, "use the harness as a context manager"
        return self._bot

    @property
    def driver(self) -> SlackDriver:
        assert self._driver is not None, "use the harness as a context manager"
        return self._driver

    def settings(self) -> Settings:
        return dataclasses.replace(
            Settings(
                bot_token=self.sim.token,
                signing_secret=SIGNING_SECRET,
                slack_api_url=self.sim.api_url,
                database_url=self.database_url,
            ),
            **self.extra_settings,
        )

    def __enter__(self) -> Harness:
        self.sim.start()
        self._boot()
        return self

    def _boot(self) -> None:
        self._bot = build_bot(
            self.settings(),
            self.config,
            self.capabilities,
            clock=self.clock,
            scheduler_holder="harness",
            limits=self.limits,
        )
        self._bot.ctx.scheduler.lease.acquire()
        if self.background:
            self._bot.ctx.outbox.start()
        self._server = make_http_server(WebApp(self._bot), "127.0.0.1", 0)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="bot-http"
        ).start()
        self._driver = SlackDriver(
            self.sim, f"http://127.0.0.1:{self._server.server_port}", SIGNING_SECRET, self.settle
        )

    def _halt(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._bot is not None:
            self._bot.shutdown()
            self._bot = None

    def restart(self) -> None:
        """Stop the bot as a process would stop, then start a new one on the same database."""
        self._halt()
        self._boot()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def settle(self) -> None:
        """Wait until what the bot was told is processed and, unless ``background``, what is due is sent."""
        if self.background:
            self.bot.ctx.executor.wait_idle()
            self.bot.ctx.inbox.wait_idle()
            self.bot.ctx.scheduler.wait_background()
        else:
            self.bot.settle()

    def gitlab_hook(self, body: dict[str, Any]) -> int:
        """Deliver a GitLab webhook body as GitLab does (its event header, the secret token), wait
        until it is processed, and give the HTTP status of the answer."""
        kind = str(body.get("object_kind", ""))
        answer = requests.post(
            self.url + "/gitlab/webhook",
            json=body,
            headers={
                "X-Gitlab-Token": self.settings().gitlab_webhook_secret,
                "X-Gitlab-Event": HOOK_EVENTS.get(kind, ""),
            },
            timeout=10,
        )
        self.settle()
        return answer.status_code

    def tick(self) -> bool:
        did_work = self.bot.ctx.scheduler.tick()
        self.settle()
        return did_work

    def advance(self, delta: timedelta) -> None:
        """Move time forward and run the scheduler once, as the next tick after that time would."""
        self.clock.advance(delta)
        self.tick()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._halt()
        self.sim.stop()
