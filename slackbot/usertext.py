"""Text people typed is data, never markup: the one way it leaves the bot, for each place it goes
(CONTRACT.md, "Text people typed").

- ``slack``: Slack-encoded text (a message, a shortcut's message, a command) made inert for mrkdwn.
  Nothing in it notifies anyone: ``<!channel>``, ``<!here>``, ``<!everyone>``, ``<!subteam^…>`` and
  ``<@U…>`` become plain ``@…`` words (Slack only turns plain words into mentions when asked to with
  ``link_names``, which the bot never does), and a link keeps its URL as its visible text, so
  ``<https://evil|https://trusted>`` shows ``https://evil``. Channel links stay: they notify nobody.
  Mentions the bot composes itself (pages, the triage group) are written by the bot, not here.
- ``gitlab``: plain text made inert for GitLab Markdown in an issue or note the bot files: no line
  starts a quick action (``/close``, ``/label``; GitLab runs them in descriptions created through
  the API) or a code fence, no HTML (``<!--`` would hide the rest), and no ``@`` mention (``@all``,
  a group, a person) notifies anyone.
- ``as_plain``: Slack-encoded text as plain text, links showing their URL (to keep, then ``raw``).
- ``raw``: text that was never Slack-encoded (a monitoring tool's alert, a modal's answer) for
  mrkdwn: escaped, so none of it is markup; ``link`` puts a tool's URL behind a label the bot wrote,
  or leaves it out if it is not a plain http(s) URL.
- ``public``: Slack-encoded text for the public status page, as plain text (the page escapes it for
  HTML): without ``names`` nobody is named, neither by mention nor by a ``@handle`` typed as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from slackbot.mrkdwn import USER_MENTION, escape, plain

_MARKUP = re.compile(r"<([^<>]*)>")
_QUICK_ACTION_OR_FENCE = re.compile(r"^(\s*)(/|```|~~~)", re.MULTILINE)
_MENTION = re.compile(r"(?<![\w.+-])@(?=[\w.-])")
_HANDLE = re.compile(r"(?<![\w.+-])@[\w.-]+")
ZERO_WIDTH_SPACE = "\u200b"
_SAFE_URL = re.compile(r"https?://[^\s<>|\"]{1,2000}")


def _inert_token(found: re.Match[str]) -> str:
    target, _, label = found.group(1).partition("|")
    if target.startswith("@"):
        return "@" + escape(label.lstrip("@") or target[1:])
    if target.startswith("!subteam^"):
        return "@" + escape(label.lstrip("@") or "group")
    if target.startswith("!date^"):
        return escape(label)
    if target.startswith("!"):
        return "@" + escape(target[1:].split("^")[0])
    if target.startswith("#"):
        return found.group(0)
    return f"<{target}>" if target else ""


def slack(slack_text: str) -> str:
    """Slack-encoded text, shown in mrkdwn without notifying anyone or disguising a link."""
    return _MARKUP.sub(_inert_token, slack_text)


def as_plain(slack_text: str) -> str:
    """Slack-encoded text (a command's) as the plain text it shows, with every link showing where it
    goes: for values compared with other plain text, and kept to be shown again through ``raw``."""
    return plain(slack(slack_text))


def raw(text: str) -> str:
    """Text never Slack-encoded, shown in mrkdwn as written: nothing in it is markup."""
    return escape(text)


def link(url: str, label: str) -> str:
    """``<url|label>`` for a tool's http(s) URL (``label`` is the bot's own words); "" for anything
    else, so a URL cannot close the link early, add a label of its own or be a ``javascript:`` one."""
    if not _SAFE_URL.fullmatch(url):
        return ""
    return f"<{url.replace('&', '&amp;')}|{label}>"


def gitlab(text: str) -> str:
    """Plain text (``mrkdwn.plain`` of what Slack sent, or a modal's answer) for GitLab Markdown."""
    text = text.replace("<", "&lt;")
    text = _QUICK_ACTION_OR_FENCE.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)


def public(slack_text: str, names: Mapping[str, str] | None) -> str:
    """Slack-encoded text as plain text for the status page, on one line. With ``names`` (the page's
    ``show_people``) a mention shows the person's name; without, nobody is named: a mention or a
    typed ``@handle`` reads "someone"."""

    def person(found: re.Match[str]) -> str:
        return "someone" if names is None else f"<@{found[1]}|{names.get(found[1], found[1])}>"

    shown = " ".join(plain(USER_MENTION.sub(person, slack_text)).split())
    return shown if names is not None else _HANDLE.sub("someone", shown)
