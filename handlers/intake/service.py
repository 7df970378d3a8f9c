"""Intake requests: stored with the effect that files them, when the form is submitted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.intake import messages
from handlers.intake.models import IntakeRequest
from slackbot.effects import Effect
from slackbot.work import Work


@dataclass(frozen=True)
class FileIssue(Effect):
    """File the request's issue from its stored answers."""

    KIND: ClassVar[str] = "intake.file"
    request: int


LISTED = 10


def answers_of(values: dict[str, Any]) -> dict[str, Any]:
    """The form's answers by block ID, as the modal's state carries them."""

    def read(block_id: str) -> Any:
        block = values.get(block_id)
        state = block.get("value") if isinstance(block, dict) else None
        if not isinstance(state, dict):
            return None
        if "selected_option" in state:
            option = state["selected_option"]
            return option.get("value") if isinstance(option, dict) else None
        if "selected_user" in state:
            return state["selected_user"]
        value = state.get("value")
        return value.strip() if isinstance(value, str) else value

    return {key: read(key) for key in ("title", *(f.block_id for f in messages.FIELDS), "urgency", "pm")}


def problems(answers: dict[str, Any]) -> dict[str, str]:
    errors = {key: "This is needed." for key, value in answers.items() if not str(value or "").strip()}
    if answers.get("urgency") and answers["urgency"] not in messages.URGENCIES:
        errors["urgency"] = "Pick one of the options."
    return errors


def submit(work: Work, user_id: str, answers: dict[str, Any]) -> IntakeRequest:
    request = IntakeRequest(user_id=user_id, submitted_at=work.now, answers=answers, last_error="")
    work.session.add(request)
    work.session.flush()
    work.slack.post(user_id, messages.filing(str(answers["title"])), ref=request.acknowledgement)
    work.out.add_effect(FileIssue(request.id), lane=f"intake:{request.id}", wait_for=request.acknowledgement)
    return request


def mine(session: Session, user_id: str) -> list[IntakeRequest]:
    return list(
        session.scalars(
            select(IntakeRequest)
            .where(IntakeRequest.user_id == user_id)
            .order_by(IntakeRequest.submitted_at.desc())
            .limit(LISTED)
        )
    )
