"""What other capabilities may use of cadence: the placeholders a ``[[cadence]]`` text may hold.
Nothing else of ``handlers.cadence`` is imported from outside it.

- The question it asks (``ctx.providers``): ``PLACEHOLDERS``, what each placeholder of an
  announcement stands for when it is posted (retrospectives answers ``{retrospective}``, the link of
  the current retrospective issue).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from slackbot.providers import Key

__all__ = ["PLACEHOLDERS", "Placeholders"]

Placeholders = Callable[[Session], dict[str, str]]
PLACEHOLDERS: Key[Placeholders] = Key("cadence.placeholders")
