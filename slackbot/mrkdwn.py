"""Text the bot writes into Slack's mrkdwn, from three kinds of source.

- Raw text (a modal's answers, GitLab titles, an error message, the config): ``escape`` it, since
  Slack requires ``&``, ``<`` and ``>`` to be written as entities.
- Text Slack sent the bot (a message, a command): it is already escaped, and its ``<@U…>``,
  ``<#C…|name>`` and ``<https://…|label>`` are markup that must keep rendering, so it goes in as it
  is. Where it must be plain (a link's label, a plain-text field, PagerDuty, GitLab), ``plain``
  turns its markup into the text a person sees.
- Long text is cut with ``truncate``: at a word boundary, with "…", never inside a ``<…>`` or an
  ``&…;``.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

_MARKUP = re.compile(r"<([^<>]*)>")
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")  # <@U…> or <@U…|name>, as Slack writes them
_UNIT = re.compile(r"<[^<>]*>|&[a-z]+;|\s+|[^\s<&]+|[<&]")
ELLIPSIS = "…"


def is_user_id(text: str) -> bool:
    return USER_ID.fullmatch(text) is not None


def mentioned_user(token: str) -> str | None:
    """The person a command's argument names: a mention as Slack sends it, or a bare user ID."""
    token = token.strip()
    found = USER_MENTION.fullmatch(token)
    return found[1] if found else token if is_user_id(token) else None


def escape(text: str) -> str:
    """Raw text, made safe for mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def normalise(text: str) -> str:
    """Text that may or may not be escaped already (a slash command's), escaped exactly once."""
    return escape(html.unescape(text))


def _visible(token: str) -> str:
    inner = token[1:-1]
    target, _, label = inner.partition("|")
    if label:
        return "@" + label.lstrip("@") if target.startswith(("@", "!subteam")) else label
    if target.startswith("@"):
        return target
    if target.startswith("#"):
        return target
    if target.startswith("!"):
        return "@" + target[1:].split("^")[0]
    return target


def plain(slack_text: str) -> str:
    """What a person sees of Slack-encoded text, as plain text: mentions, channels and links become
    their visible text, and entities their characters."""
    return html.unescape(_MARKUP.sub(lambda m: _visible(m.group(0)), slack_text))


def label(slack_text: str, limit: int = 200) -> str:
    """Slack-encoded text as a link's label: plain, on one line, cut to ``limit``, escaped, and
    without the ``|`` that would end the label."""
    flat = " ".join(plain(slack_text).split())
    return escape(truncate(flat, limit)).replace("|", "¦")


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters; else cut before the last word that fits, with "…".
    A ``<…>`` token or an ``&…;`` entity is never split."""
    if len(text) <= limit:
        return text
    budget = limit - len(ELLIPSIS)
    kept = ""
    for unit in _UNIT.findall(text):
        if len(kept) + len(unit) > budget:
            break
        kept += unit
    kept = kept.rstrip()
    return (kept or text[:budget]) + ELLIPSIS


def capped(lines: list[str], limit: int, more: str = "_and {n} more_") -> list[str]:
    """At most ``limit`` lines, the last saying how many were left out."""
    if len(lines) <= limit:
        return lines
    return [*lines[: limit - 1], more.format(n=len(lines) - limit + 1)]


def fit(lines: list[str], limit: int, more: str = "_and {n} more_") -> str:
    """Lines joined into at most ``limit`` characters, whole lines only, the last saying how many
    were left out."""
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        reserve = len(more.format(n=len(lines))) + 1 if index < len(lines) - 1 else 0
        if size + len(line) + 1 + reserve > limit:
            kept.append(more.format(n=len(lines) - index))
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def date_token(moment: datetime, time_only: bool = False) -> str:
    """A moment as Slack's ``<!date>`` token: each reader sees it in their own timezone; clients that
    cannot render it show the UTC fallback."""
    stamp = int(moment.timestamp())
    utc = moment.astimezone(UTC)
    if time_only:
        return f"<!date^{stamp}^{{time}}|{utc:%H:%M} UTC>"
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"
