"""GitLab's Job Hook as GitLab documents it (``object_kind: build``), read into plain values: the
train learns of each stage's job as it is created, scheduled, run, passed or failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slackbot.payload import moment, whole
from slackbot.webhooks import WebhookRejected


@dataclass(frozen=True)
class JobEvent:
    project: str
    project_url: str
    pipeline_id: int
    job_id: int
    name: str
    status: str  # created, pending, running, success, failed, canceled, skipped, manual, scheduled
    ref: str
    sha: str
    title: str
    author: str
    at: datetime | None  # when it finished, else started, else was created


def job_from_webhook(payload: Mapping[str, Any]) -> JobEvent:
    """The Job Hook; anything else is rejected (400)."""
    try:
        project = payload["project"]
        commit = payload.get("commit") or {}
        return JobEvent(
            project=str(project["path_with_namespace"]),
            project_url=str(project.get("web_url", "")),
            pipeline_id=whole(payload["pipeline_id"]),
            job_id=whole(payload["build_id"]),
            name=str(payload["build_name"]),
            status=str(payload["build_status"]),
            ref=str(payload["ref"]),
            sha=str(payload.get("sha", "")),
            title=str(commit.get("message", "")).split("\n")[0],
            author=str(commit.get("author_name", "")),
            at=moment(payload.get("build_finished_at"))
            or moment(payload.get("build_started_at"))
            or moment(payload.get("build_created_at")),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise WebhookRejected(f"not a job event: {exc!r}") from None
