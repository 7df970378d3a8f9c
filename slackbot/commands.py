"""Slash commands as routers of subcommands, so several capabilities can share one command.

Every command answers ``help`` and an unknown subcommand with its usage, ephemerally. A
subcommand handler takes a ``CommandCall`` and returns the reply text (or None when it answered
another way, e.g. by opening a modal). It runs before the ack and its reply is the ack's text:
what the command decides is committed before Slack hears back, or the person is told it failed.
Handlers only touch the database (and ``views.open``), so this stays well within Slack's 3 s. A
``slow`` subcommand (one that must read GitLab) is acknowledged first; its reply follows through
the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App

from slackbot.access import Access, NotAllowed, Rule

log = logging.getLogger(__name__)


class UsageError(Exception):
    """Bad input from a person: the message is shown to them, with the command's usage."""


@dataclass(frozen=True)
class CommandCall:
    command: str
    user_id: str
    channel_id: str
    text: str
    trigger_id: str
    response_url: str = ""


Handler = Callable[[CommandCall], str | None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    arguments: str
    description: str
    handler: Handler
    allowed: Rule | None = None  # who may run it (checked before the handler); None: anyone
    slow: bool = False


@dataclass
class CommandRouter:
    command: str
    summary: str
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    default: Subcommand | None = None

    def add(
        self,
        name: str,
        handler: Handler,
        description: str,
        arguments: str = "",
        allowed: Rule | None = None,
        slow: bool = False,
    ) -> None:
        """Add ``/command name ...``; the name "" is what a text that matches no subcommand runs.
        ``allowed``: the rule that says who may run it, asked before the handler runs."""
        sub = Subcommand(name, arguments, description, handler, allowed, slow)
        if name:
            self.subcommands[name] = sub
        else:
            self.default = sub

    def usage(self) -> str:
        lines = [f"*{self.command}*: {self.summary}"]
        if self.default is not None:
            lines.append(_usage_line(self.command, self.default))
        lines += [_usage_line(self.command, sub) for sub in self.subcommands.values()]
        lines.append(f"`{self.command} help`: this message")
        return "\n".join(lines)

    def route(self, text: str) -> tuple[Subcommand | None, str]:
        word, _, rest = text.strip().partition(" ")
        sub = self.subcommands.get(word.lower())
        if sub is not None:
            return sub, rest.strip()
        if self.default is not None and word.lower() != "help":
            return self.default, text.strip()
        return None, word


def _usage_line(command: str, sub: Subcommand) -> str:
    call = " ".join(p for p in (command, sub.name, sub.arguments) if p)
    return f"`{call}`: {sub.description}"


Later = Callable[[Callable[[], None]], None]
Reply = Callable[[str, str], None]


class CommandRegistry:
    """All slash commands of the bot, installed into Bolt once every capability has added to them.

    ``later`` runs work after the ack (a slow subcommand); ``reply(response_url, text)`` records its
    answer in the outbox."""

    def __init__(self, access: Access, later: Later, reply: Reply):
        self.access = access
        self.later = later
        self.reply = reply
        self.routers: dict[str, CommandRouter] = {}

    def router(self, command: str, summary: str = "") -> CommandRouter:
        router = self.routers.setdefault(command, CommandRouter(command, summary))
        if summary and not router.summary:
            router.summary = summary
        return router

    def install(self, app: App) -> None:
        for router in self.routers.values():
            app.command(router.command)(self._listener(router))

    def _listener(self, router: CommandRouter) -> Callable[..., None]:
        def handle(ack: Ack, command: dict[str, Any]) -> None:
            sub, rest = router.route(_text(command, "text"))
            if sub is None:
                unknown = f"I don't know `{rest}`. " if rest and rest.lower() != "help" else ""
                ack(text=unknown + router.usage(), response_type="ephemeral")
                return
            call = CommandCall(
                command=router.command,
                user_id=_text(command, "user_id"),
                channel_id=_text(command, "channel_id"),
                text=rest,
                trigger_id=_text(command, "trigger_id"),
                response_url=_text(command, "response_url"),
            )
            if sub.allowed is not None:
                try:
                    self.access.require(sub.allowed, call.user_id)
                except NotAllowed as refused:
                    ack(text=str(refused), response_type="ephemeral")
                    return
            if sub.slow:
                ack()
                self.later(lambda: self._answer_later(call, sub, router))
                return
            reply = answer(lambda: sub.handler(call), router.usage)
            ack(text=reply, response_type="ephemeral") if reply else ack()

        handle.__name__ = f"command_{router.command.strip('/')}"
        return handle

    def _answer_later(self, call: CommandCall, sub: Subcommand, router: CommandRouter) -> None:
        reply = answer(lambda: sub.handler(call), router.usage)
        if reply:
            try:
                self.reply(call.response_url, reply)
            except Exception:
                log.exception("could not record the answer to %s", call.command)


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    return value if isinstance(value, str) else ""


def whole_number(text: str, what: str, default: int, maximum: int) -> int:
    """A count typed by a person (weeks, a page): ``default`` when blank, a clear error when not 1..maximum."""
    text = text.strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise UsageError(f"`{text}` is not a {what}: give a whole number from 1 to {maximum}.")
    return int(text)


WEEKS_DEFAULT, WEEKS_MAX = 4, 52


def weeks(text: str) -> int:
    return whole_number(text, "number of weeks", WEEKS_DEFAULT, WEEKS_MAX)


FAILED = "Sorry, that failed on my side and nothing was changed. It has been logged; please try again in a minute."


def answer(work: Callable[[], str | None], usage: Callable[[], str]) -> str | None:
    """Run the work and say what to answer: bad input gets its message and usage, a failure a short apology."""
    try:
        return work()
    except UsageError as exc:
        return f"{exc}\n\n{usage()}"
    except NotAllowed as refused:
        return str(refused)
    except Exception:
        log.exception("command failed")
        return FAILED
