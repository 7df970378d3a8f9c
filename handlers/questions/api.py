"""What other capabilities may use of questions: the lines they add to the weekly digest. Nothing
else of ``handlers.questions`` is imported from outside it.

- The question it asks (``ctx.providers``): ``DIGEST_LINES``, more lines for the Monday digest
  (incidents answers with its follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from slackbot.providers import Key

__all__ = ["DIGEST_LINES", "DigestLines"]

DigestLines = Callable[[Session, datetime], list[str]]
DIGEST_LINES: Key[DigestLines] = Key("questions.digest_lines")
