"""Charts as PNG, rendered on the server with matplotlib's Agg backend (no display), and sent to a
person in a DM through Slack's upload flow (``files.getUploadURLExternal``, the upload, then
``files.completeUploadExternal``: slack-sdk's ``files_upload_v2``).

An ephemeral answer cannot carry a file, so a command answers privately in text (the chart's
plain-text fallback) and the chart follows in the asker's DM with the bot: still only theirs.
A chart is an outbox row holding its data, not its image; the image is drawn when it is sent,
by the renderer its capability registered under the chart's name.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from slack_sdk import WebClient
from sqlalchemy import func, select

from slackbot.effects import Effect, effect_of
from slackbot.models import OutboxItem
from slackbot.mrkdwn import is_user_id
from slackbot.outbox import Delivery, Effects, Priority, Refused, Sender
from slackbot.ratelimit import Call
from slackbot.slack_effects import slack_failure


@dataclass(frozen=True)
class Chart(Effect):
    """A chart drawn when it is sent, from ``data``, for ``to`` (a user's DM or a channel)."""

    KIND: ClassVar[str] = "slack.chart"
    to: str
    chart: str
    data: dict[str, Any]
    title: str
    alt: str
    fallback: str


CHARTS_PER_MINUTE = 3  # per person
WIDTH, HEIGHT, DPI = 8.0, 4.0, 100  # 800 x 400 pixels
log = logging.getLogger(__name__)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Renderer = Callable[[dict[str, Any]], "Figure"]


def figure(rows: int = 1) -> tuple[Figure, list[Any]]:
    """A figure of the standard size (without pyplot: no global state, safe in threads). matplotlib
    (and numpy) are imported here, when a chart is first drawn, not by every process at start."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, HEIGHT * (1 if rows == 1 else 0.75 * rows)), dpi=DPI)
    axes = [fig.add_subplot(rows, 1, k + 1) for k in range(rows)]
    return fig, axes


Line = tuple[str, str, str, str]  # the key in each week's data, its label, line style, colour


def overlay(axes: Any, weeks: Sequence[dict[str, Any]], lines: Sequence[Line], unit: str) -> None:
    """Weekly series drawn over a bar chart on a second y axis (weeks without a value are left
    out), and one legend for bars and lines."""
    twin = axes.twinx()
    for key, label, style, colour in lines:
        points = [(k, w[key]) for k, w in enumerate(weeks) if w[key] is not None]
        if points:
            twin.plot([p[0] for p in points], [p[1] for p in points], style, marker="o", color=colour, label=label)
    twin.set_ylabel(unit)
    twin.set_ylim(bottom=0)
    axes.set_xlabel("week starting")
    handles = axes.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    axes.legend(handles, [str(h.get_label()) for h in handles], loc="upper left", fontsize=8)


Bar = tuple[str, str, str]  # the key in each week's data, its label, colour


def weekly(
    chart: dict[str, Any], title: str, ylabel: str, bars: Sequence[Bar], lines: Sequence[Line], unit: str
) -> Figure:
    """Bars per week (``chart["weeks"]``, each with its ISO ``week``), stacked in the order given,
    with ``lines`` over them on a second axis in ``unit``."""
    weeks = chart["weeks"]
    labels = [w["week"][5:] for w in weeks]
    fig, (axes,) = figure()
    bottom = [0] * len(weeks)
    for key, label, colour in bars:
        counts = [w[key] for w in weeks]
        axes.bar(labels, counts, bottom=bottom, color=colour, label=label)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    overlay(axes, weeks, lines, unit)
    return fig


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


class Charts:
    """The renderers capabilities register, by chart name."""

    def __init__(self) -> None:
        self.renderers: dict[str, Renderer] = {}

    def register(self, name: str, render: Renderer) -> None:
        if name in self.renderers:
            raise ValueError(f"the chart {name!r} is registered twice")
        self.renderers[name] = render

    def render(self, name: str, data: dict[str, Any]) -> bytes:
        return png(self.renderers[name](data))


def send(out: Effects, to: str, name: str, data: dict[str, Any], title: str, alt: str, fallback: str) -> None:
    """Record a chart for ``to``: a user ID (their DM with the bot) or a channel ID. ``fallback`` is
    the message's text, ``alt`` the image's."""
    out.add_effect(Chart(to, name, data, title, alt, fallback), lane=f"slack:{to}", priority=Priority.NORMAL)


def answer_with_chart(out: Effects, user: str, name: str, data: dict[str, Any], title: str, alt: str, text: str) -> str:
    """A stats command's answer: ``text`` (the figures), with the chart recorded for the asker's DM;
    or, past ``CHARTS_PER_MINUTE`` for them (drawing one costs a third of a second of CPU), the
    figures alone and why."""
    since = out.now - timedelta(minutes=1)
    recent = out.session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(OutboxItem.kind == Chart.KIND, OutboxItem.lane == f"slack:{user}", OutboxItem.created_at > since)
    )
    if (recent or 0) >= CHARTS_PER_MINUTE:
        log.warning("no chart for %s: %d asked for in the last minute", user, recent)
        return f"{text}\n_No chart this time: you asked for {CHARTS_PER_MINUTE} in the last minute. Try again soon._"
    send(out, user, name, data, title, alt, text)
    return f"{text}\n_The chart is in your DM with me._"


def already_shared(client: WebClient, channel: str, filename: str) -> bool:
    """Whether an earlier attempt, cut off after Slack took it (a crash, a timeout), shared the file."""
    messages: list[dict[str, Any]] = client.conversations_history(channel=channel, limit=100).get("messages", [])
    return any(shared.get("name") == filename for message in messages for shared in message.get("files", []))


def sender(client: WebClient, charts: Charts) -> Sender:
    def deliver(delivery: Delivery) -> dict[str, Any]:
        wanted = effect_of(delivery, Chart)
        if wanted.chart not in charts.renderers:
            raise Refused(f"no chart named {wanted.chart}")
        image = charts.render(wanted.chart, wanted.data)
        to = wanted.to
        call = Call("files.completeUploadExternal", to, delivery.urgent)
        filename = f"{wanted.chart}-{delivery.id}.png"  # names its outbox row, so a retry finds it
        try:
            channel = client.conversations_open(users=to)["channel"]["id"] if is_user_id(to) else to
            if delivery.maybe_sent and already_shared(client, channel, filename):
                return {"channel": channel, "file": ""}
            uploaded = client.files_upload_v2(
                channel=channel,
                file=image,
                filename=filename,
                title=wanted.title,
                alt_txt=wanted.alt,
                initial_comment=wanted.fallback,
            )
        except Exception as exc:
            raise slack_failure(exc, call) from None
        return {"channel": channel, "file": str((uploaded.get("file") or {}).get("id", ""))}

    def calls(delivery: Delivery) -> list[Call]:
        names = ("conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal")
        return [Call(name, effect_of(delivery, Chart).to, delivery.urgent) for name in names]

    return Sender(send=deliver, calls=calls)
