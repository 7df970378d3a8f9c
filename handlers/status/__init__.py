"""Status alerts in the status channel: health probes, TLS certificates and failed GitLab pipelines."""

from handlers.status import charts, jobs, listeners
from handlers.status.config import StatusSection
from slackbot.capability import Capability
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    jobs.register(ctx)
    ctx.charts.register(charts.NAME, charts.render)


CAPABILITY = Capability(name="status", register=register, sections=(StatusSection,))
