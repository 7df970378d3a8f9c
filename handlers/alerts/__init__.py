"""Alerts from the team's monitoring (Alertmanager, Grafana, Sentry, GitLab's generic format): one
message per group, updated in place; routes that open one incident per service; silences and
maintenance windows that hold alerts back."""

from handlers.alerts import jobs, listeners
from handlers.alerts.config import AlertsSection, MaintenanceSection
from slackbot.capability import Capability, Command
from slackbot.context import BotContext


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    jobs.register(ctx)


CAPABILITY = Capability(
    name="alerts",
    register=register,
    sections=(AlertsSection, MaintenanceSection),
    commands=(
        Command("/alerts", "firing alert groups and silences"),
        Command("/maintenance", "maintenance windows: no alerts or pages for a service meanwhile"),
    ),
)
