"""What standups look like in Slack: the prompt, the modal, the posted answers, the summary."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from handlers.standups.config import StandupsSection
from handlers.standups.models import StandupEntry
from handlers.standups.schedule import Participation, is_working_day
from slackbot.home import Blocks, section
from slackbot.mrkdwn import escape, truncate

WRITE_ACTION = "standup_write"
ANSWER_LENGTH = 3000
MODAL_CALLBACK = "standup_submit"
BLOCKED_BLOCK = "blocked"
BLOCKED_VALUE = "blocked"


def day_title(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def write_button(day: date) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": f"standup_{day.isoformat()}",
        "elements": [
            {
                "type": "button",
                "action_id": WRITE_ACTION,
                "value": day.isoformat(),
                "style": "primary",
                "text": {"type": "plain_text", "text": "Write standup"},
            }
        ],
    }


def prompt(day: date, reminder: bool = False) -> tuple[str, list[dict[str, Any]]]:
    text = (
        f"Reminder: your standup for {day_title(day)} is still open."
        if reminder
        else f"Good morning! Time for your standup for {day_title(day)}."
    )
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, write_button(day)]


def modal(day: date, questions: list[str], current: StandupEntry | None) -> dict[str, Any]:
    answers = list(current.answers) if current is not None else []
    blocks: list[dict[str, Any]] = []
    for index, question in enumerate(questions):
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": "answer",
            "multiline": True,
            "max_length": ANSWER_LENGTH,
        }
        if index < len(answers) and answers[index]:
            element["initial_value"] = answers[index]
        blocks.append(
            {
                "type": "input",
                "block_id": f"q{index}",
                "optional": True,
                "label": {"type": "plain_text", "text": question[:2000]},
                "element": element,
            }
        )
    option = {"text": {"type": "plain_text", "text": "I'm blocked"}, "value": BLOCKED_VALUE}
    checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": "marker", "options": [option]}
    if current is not None and current.blocked:
        checkbox["initial_options"] = [option]
    blocks.append(
        {
            "type": "input",
            "block_id": BLOCKED_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Blocked?"},
            "element": checkbox,
        }
    )
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": json.dumps({"day": day.isoformat()}),
        "title": {"type": "plain_text", "text": "Standup"},
        "submit": {"type": "plain_text", "text": "Post"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def posted_answers(user_id: str, questions: list[str], answers: list[str], blocked: bool) -> str:
    """The person's answers, as they typed them (a modal's text is raw: it is escaped here)."""
    lines = [f"*<@{user_id}>*" + ("  :no_entry: *blocked*" if blocked else "")]
    for question, answer in zip(questions, answers, strict=False):
        if answer.strip():
            lines.append(f"*{escape(question)}*\n{escape(answer.strip())}")
    return "\n".join(lines)


def parent(day: date) -> str:
    return f":sunrise: Standup for {day_title(day)}. Answers go in this thread."


def blocker_text(questions: list[str], entry: StandupEntry) -> str:
    """What to quote for a blocked person: the last question's answer, which asks about blockers."""
    answers = list(entry.answers)
    detail = answers[len(questions) - 1].strip() if len(answers) >= len(questions) else ""
    return escape(detail) if detail else "(no details given)"


NAMES_SHOWN = 30
BLOCKERS_SHOWN = 20
BLOCKER_TEXT = 500


def names_of(user_ids: list[str], names: dict[str, str]) -> str:
    """People by name, not mentioned (a summary pings nobody), at most ``NAMES_SHOWN`` of them."""
    if not user_ids:
        return "nobody"
    shown = ", ".join(names.get(u, u) for u in user_ids[:NAMES_SHOWN])
    more = len(user_ids) - NAMES_SHOWN
    return shown + (f" and {more:,} more" if more > 0 else "")


def summary(
    day: date,
    answered: list[str],
    away: list[str],
    missed: list[str],
    blockers: list[tuple[str, str]],
    names: dict[str, str],
) -> str:
    """The day's summary. It mentions nobody: people are named, so 5,000 answers ping no one."""
    lines = [
        f":clipboard: *Standup summary for {day_title(day)}*",
        f"Answered ({len(answered):,}): {names_of(answered, names)}",
        f"Away ({len(away):,}): {names_of(away, names)}",
        f"Missed ({len(missed):,}): {names_of(missed, names)}",
    ]
    if blockers:
        lines.append(f":no_entry: *Blockers ({len(blockers):,})*")
        for user_id, text in blockers[:BLOCKERS_SHOWN]:
            quoted = "\n".join(f"> {line}" for line in truncate(text, BLOCKER_TEXT).splitlines() or [""])
            lines.append(f"{quoted}\n— {names.get(user_id, user_id)}")
        if len(blockers) > BLOCKERS_SHOWN:
            lines.append(f"_and {len(blockers) - BLOCKERS_SHOWN:,} more blockers: their answers are in this thread._")
    return "\n".join(lines)


STATS_SHOWN = 50


def stats(weeks: int, rows: list[Participation]) -> str:
    """Per person, the most regular first; at most ``STATS_SHOWN`` people, then how many more."""
    if not rows:
        return "Nobody takes part in standups yet."
    lines = [f"*Standup participation, last {weeks} week{'s' if weeks != 1 else ''}*"]
    ordered = sorted(rows, key=lambda r: (-(r.rate or 0), r.user_id))
    for row in ordered[:STATS_SHOWN]:
        rate = "n/a" if row.rate is None else f"{row.rate:.0%}"
        lines.append(
            f"• <@{row.user_id}>: {rate} ({row.answered} answered, {row.missed} missed, {row.away} away); "
            f"streak {row.streak}"
        )
    if len(ordered) > STATS_SHOWN:
        counted = [r.rate for r in ordered if r.rate is not None]
        overall = f"{sum(counted) / len(counted):.0%}" if counted else "n/a"
        lines.append(
            f"_and {len(ordered) - STATS_SHOWN:,} more people; {overall} participation across all {len(ordered):,}_"
        )
    return "\n".join(lines)


def home_section(today: date | None, entry: StandupEntry | None, settings: StandupsSection) -> Blocks:
    """Today's standup on the App Home; ``today`` is None for someone not in the standup."""
    if today is None:
        return section("Today's standup", [], "You are not in the daily standup.")
    if entry is not None and entry.answered_at is not None:
        state = "Answered. You can still edit it."
    elif entry is not None and entry.skipped_at is not None:
        state = "Skipped today."
    elif not is_working_day(today, settings):
        state = "No standup today."
    else:
        state = "Not answered yet."
    return [*section(f"Today's standup ({day_title(today)})", [state], ""), write_button(today)]
