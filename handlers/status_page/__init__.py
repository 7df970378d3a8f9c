"""The status page: ``GET /status`` (HTML) and ``/status.json`` for the probed services (state,
uptime over 24 h, 7 and 90 days, a 90-day strip, latency) and the incidents, from the probe
history the status capability records; and the pruning of that history."""

from handlers.status_page import jobs, listeners
from handlers.status_page.config import StatusPageSection
from slackbot.capability import Capability
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    jobs.register(ctx)


CAPABILITY = Capability(name="status_page", register=register, sections=(StatusPageSection,))
