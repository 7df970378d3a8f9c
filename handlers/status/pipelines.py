"""GitLab pipelines: from a Pipeline Hook payload or python-gitlab objects to one ``PipelineEvent``,
and what to list of its jobs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slackbot.payload import whole
from slackbot.webhooks import WebhookRejected

FINISHED = ("failed", "success")
MAX_JOBS_LISTED = 10
MAX_DURATION = 10 * 365 * 24 * 3600  # seconds; GitLab's pipeline timeout is at most a month


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    stage: str
    status: str
    allow_failure: bool


@dataclass(frozen=True)
class PipelineEvent:
    project: str
    project_url: str
    pipeline_id: int
    ref: str
    sha: str
    status: str
    source: str
    url: str
    duration_s: int | None
    jobs: tuple[Job, ...]
    commit_title: str
    commit_url: str
    author: str


def failed_jobs(jobs: Iterable[Job]) -> list[Job]:
    """Jobs that failed and count: not allowed to fail, and not retried into a later success."""
    latest: dict[tuple[str, str], Job] = {}
    for job in sorted(jobs, key=lambda j: j.id):
        latest[(job.stage, job.name)] = job
    return [j for j in latest.values() if j.status == "failed" and not j.allow_failure]


def from_webhook(payload: Mapping[str, Any]) -> PipelineEvent:
    """The Pipeline Hook as GitLab documents it; anything else is rejected (400)."""
    try:
        attributes = payload["object_attributes"]
        project = payload["project"]
        commit = payload.get("commit") or {}
        jobs = tuple(
            Job(
                id=whole(b["id"]),
                name=str(b["name"]),
                stage=str(b.get("stage", "")),
                status=str(b["status"]),
                allow_failure=bool(b.get("allow_failure")),
            )
            for b in payload.get("builds") or []
        )
        return PipelineEvent(
            project=str(project["path_with_namespace"]),
            project_url=str(project.get("web_url", "")),
            pipeline_id=whole(attributes["id"]),
            ref=str(attributes["ref"]),
            sha=str(attributes.get("sha") or ""),
            status=str(attributes["status"]),
            source=str(attributes.get("source", "")),
            url=str(attributes.get("url") or f"{project.get('web_url', '')}/-/pipelines/{attributes['id']}"),
            duration_s=None if attributes.get("duration") is None else whole(attributes["duration"], high=MAX_DURATION),
            jobs=jobs,
            commit_title=str(commit.get("title") or str(commit.get("message", "")).split("\n")[0]),
            commit_url=str(commit.get("url", "")),
            author=str((commit.get("author") or {}).get("name") or (payload.get("user") or {}).get("name", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise WebhookRejected(f"not a pipeline event: {exc!r}") from None


def from_api(project: Any, pipeline: Any, jobs: Iterable[Any], commit: Any) -> PipelineEvent:
    """The same event built from python-gitlab objects, for the poller."""
    return PipelineEvent(
        project=str(project.path_with_namespace),
        project_url=str(project.web_url),
        pipeline_id=int(pipeline.id),
        ref=str(pipeline.ref),
        sha=str(getattr(pipeline, "sha", "") or ""),
        status=str(pipeline.status),
        source=str(getattr(pipeline, "source", "")),
        url=str(pipeline.web_url),
        duration_s=getattr(pipeline, "duration", None),
        jobs=tuple(
            Job(int(j.id), str(j.name), str(j.stage), str(j.status), bool(getattr(j, "allow_failure", False)))
            for j in jobs
        ),
        commit_title=str(commit.title),
        commit_url=str(getattr(commit, "web_url", "")),
        author=str(commit.author_name),
    )
