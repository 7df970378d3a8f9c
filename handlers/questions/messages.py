"""What the bot says about questions: plain functions from data to Slack mrkdwn."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from handlers.questions.models import Question
from slackbot.durations import format_duration
from slackbot.home import Blocks, section

if TYPE_CHECKING:
    from handlers.questions.service import WeekStats


def nudge(mention: str, waited: timedelta) -> str:
    who = f"{mention} " if mention else ""
    return (
        f"{who}This question has had no reply for {format_duration(waited)}. "
        "Could someone take a look? (Asker: once it is answered, react with :white_check_mark:.)"
    )


def asker_reminder(question: Question) -> str:
    return (
        f"Your question in <#{question.channel_id}> has replies (<{question.permalink}|open it>):\n"
        f"> {question.preview}\n"
        "If it's answered, please react to it with :white_check_mark: so the team knows they do not "
        "need to look at it any longer."
    )


def open_line(question: Question, now: datetime) -> str:
    return (
        f"• {question.preview} (<{question.permalink}|open>) by <@{question.asker_id}>, "
        f"{format_duration(now - question.created_at)} ago"
        + ("" if question.first_reply_at is None else ", has replies")
    )


def open_list(questions: list[Question], total: int, page: int, per_page: int, now: datetime) -> str:
    if total == 0:
        return "No open questions: everything asked has a :white_check_mark:."
    pages = (total + per_page - 1) // per_page
    if not questions:
        return f"There are only {pages} page(s) of open questions."
    lines = [f"*{total} open question{'s' if total != 1 else ''}*, oldest first (page {page} of {pages}):"]
    lines += [open_line(q, now) for q in questions]
    if page < pages:
        lines.append(f"More: `/fulfillment questions {page + 1}`")
    return "\n".join(lines)


def _pair(median: timedelta | None, p90: timedelta | None) -> str:
    if median is None or p90 is None:
        return "n/a"
    return f"median {format_duration(median)}, p90 {format_duration(p90)}"


def week_line(week: WeekStats) -> str:
    return (
        f"*Week of {week.week_start:%-d %b %Y}*: {week.asked} asked, {week.closed} closed, "
        f"{week.still_open} still open. First reply: {_pair(week.first_reply_median, week.first_reply_p90)}. "
        f"To :white_check_mark:: {_pair(week.closed_median, week.closed_p90)}."
    )


def stats(weeks: list[WeekStats]) -> str:
    return "\n".join(["*Questions per week asked* (newest first)", *map(week_line, weeks)])


def digest(week: WeekStats, oldest: list[Question], total_open: int, now: datetime) -> str:
    lines = [f":bar_chart: *Weekly questions digest*\n{week_line(week)}"]
    if oldest:
        lines.append(f"*Oldest of the {total_open} open question{'s' if total_open != 1 else ''}:*")
        lines += [open_line(q, now) for q in oldest]
    else:
        lines.append("No open questions. :tada:")
    return "\n".join(lines)


def home_section(mine: list[Question], now: datetime) -> Blocks:
    lines = [f"• {q.preview} (<{q.permalink}|open>, {format_duration(now - q.created_at)} ago)" for q in mine]
    return section("Your open questions", lines, "None: everything you asked has a ✅.")
