"""A capability is one package in ``handlers/``: it names its config sections and slash commands,
and ``register(ctx)`` adds its models' behaviour, listeners, jobs, senders and App Home section.

The composition root (``handlers.capabilities``, found through the ``fulfillbot`` entry point)
lists them; the plumbing here never imports ``handlers``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from slackbot.config import CHANNEL_KEYS, looks_like_channel_id

if TYPE_CHECKING:
    from slackbot.config import Config
    from slackbot.context import BotContext

ENTRY_POINT_GROUP = "fulfillbot"
ENTRY_POINT_NAME = "capabilities"


@dataclass(frozen=True)
class Command:
    name: str  # "/incident"
    summary: str


@dataclass(frozen=True)
class Capability:
    name: str
    register: Callable[[BotContext], None]
    sections: tuple[type, ...] = ()
    commands: tuple[Command, ...] = ()
    events: tuple[str, ...] = ()  # the Slack events it subscribes to, as the manifest names them


def installed() -> list[Capability]:
    """The capabilities of the installed bot, from the composition root its entry point names."""
    found = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == ENTRY_POINT_NAME]
    if not found:
        raise RuntimeError(f"no '{ENTRY_POINT_GROUP}' entry point named '{ENTRY_POINT_NAME}': is fulfillbot installed?")
    load: Callable[[], Sequence[Capability]] = found[0].load()
    return list(load())


def config_sections(capabilities: Sequence[Capability]) -> list[type]:
    return [section for capability in capabilities for section in capability.sections]


def named_channels(config: Config, capabilities: Sequence[Capability]) -> dict[str, str]:
    """The channels capability sections name by name rather than by a ``[channels]`` key or an ID
    (a section lists its channel keys in ``NAMED_CHANNELS``): looked up at start, by their key path
    (``reviews.ux_channel``)."""
    found: dict[str, str] = {}
    for kind in config_sections(capabilities):
        section: Any = config.section(kind)
        for name in getattr(kind, "NAMED_CHANNELS", ()):
            ref = str(getattr(section, name)).lstrip("#")
            if ref and ref not in CHANNEL_KEYS and not looks_like_channel_id(ref):
                found[f"{kind.KEY}.{name}"] = ref  # type: ignore[attr-defined]
    return found
