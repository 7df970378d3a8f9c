"""GitLab webhook bodies as GitLab documents them, for tests and the demo."""

from __future__ import annotations

from typing import Any


def pipeline_hook(
    project: str,
    pipeline_id: int,
    status: str,
    ref: str = "main",
    source: str = "push",
    builds: list[dict[str, Any]] | None = None,
    web_root: str = "https://gitlab.example.com/",
    sha: str = "bcbb5ec396a2c0f828686f14fac9b80b780504f2",
) -> dict[str, Any]:
    """A Pipeline Hook body (``X-Gitlab-Event: Pipeline Hook``)."""
    project_url = f"{web_root}{project}"
    return {
        "object_kind": "pipeline",
        "object_attributes": {
            "id": pipeline_id,
            "iid": pipeline_id % 1000,
            "ref": ref,
            "tag": False,
            "sha": sha,
            "status": status,
            "detailed_status": status,
            "source": source,
            "stages": sorted({b.get("stage", "test") for b in builds or []}),
            "created_at": "2026-11-23 08:00:00 UTC",
            "finished_at": "2026-11-23 08:12:30 UTC",
            "duration": 750,
            "url": f"{project_url}/-/pipelines/{pipeline_id}",
        },
        "user": {"id": 1, "name": "Administrator", "username": "root"},
        "project": {
            "id": 278964,
            "name": project.rsplit("/", 1)[-1],
            "path_with_namespace": project,
            "web_url": project_url,
        },
        "commit": {
            "id": sha,
            "message": "Fix the invoice rounding\n\nLonger description",
            "title": "Fix the invoice rounding",
            "url": f"{project_url}/-/commit/{sha[:8]}",
            "author": {"name": "Jane Doe", "email": "jane@example.com"},
        },
        "builds": builds or [],
    }


def job_hook(
    project: str,
    pipeline_id: int,
    job_id: int,
    name: str,
    status: str,
    stage: str = "deploy",
    ref: str = "staging",
    at: str = "2026-11-23T12:02:00.000Z",
    web_root: str = "https://gitlab.example.com/",
) -> dict[str, Any]:
    """A Job Hook body (``X-Gitlab-Event: Job Hook``), as GitLab's "Job events" documents it."""
    sha = "bcbb5ec396a2c0f828686f14fac9b80b780504f2"
    finished = status in ("success", "failed", "canceled", "skipped")
    started = finished or status == "running"
    return {
        "object_kind": "build",
        "type": "build",
        "ref": ref,
        "tag": False,
        "before_sha": "0000000000000000000000000000000000000000",
        "sha": sha,
        "retries_count": 0,
        "build_id": job_id,
        "build_name": name,
        "build_stage": stage,
        "build_status": status,
        "build_created_at": at,
        "build_started_at": at if started else None,
        "build_finished_at": at if finished else None,
        "build_duration": 61.5 if finished else None,
        "build_queued_duration": 1.2,
        "build_allow_failure": False,
        "build_failure_reason": "script_failure" if status == "failed" else "unknown_failure",
        "pipeline_id": pipeline_id,
        "runner": None,
        "project_id": 278964,
        "project_name": project.replace("/", " / "),
        "user": {"id": 1, "name": "Jane Doe", "username": "jdoe", "email": "[REDACTED]"},
        "commit": {
            "id": pipeline_id,
            "name": None,
            "sha": sha,
            "message": "Fix the invoice rounding\n\nLonger description",
            "author_name": "Jane Doe",
            "author_email": "jane@example.com",
            "author_url": "mailto:jane@example.com",
            "status": status,
            "duration": None,
            "started_at": at,
            "finished_at": None,
        },
        "repository": {
            "name": project.rsplit("/", 1)[-1],
            "url": f"git@gitlab.example.com:{project}.git",
            "homepage": f"{web_root}{project}",
            "git_http_url": f"{web_root}{project}.git",
            "git_ssh_url": f"git@gitlab.example.com:{project}.git",
            "visibility_level": 20,
        },
        "project": {
            "id": 278964,
            "name": project.rsplit("/", 1)[-1],
            "path_with_namespace": project,
            "web_url": f"{web_root}{project}",
        },
        "environment": None,
    }


def _project(project: str, web_root: str) -> dict[str, Any]:
    return {
        "id": 278964,
        "name": project.rsplit("/", 1)[-1],
        "description": "",
        "web_url": f"{web_root}{project}",
        "avatar_url": None,
        "git_ssh_url": f"git@gitlab.example.com:{project}.git",
        "git_http_url": f"{web_root}{project}.git",
        "namespace": project.split("/", 1)[0],
        "visibility_level": 20,
        "path_with_namespace": project,
        "default_branch": "main",
        "homepage": f"{web_root}{project}",
    }


def _user(username: str) -> dict[str, Any]:
    return {"id": 1, "name": username.title(), "username": username, "avatar_url": "", "email": "[REDACTED]"}


def merge_request_hook(
    project: str,
    iid: int,
    action: str,
    state: str = "opened",
    user: str = "jdoe",
    title: str = "Fix the invoice rounding",
    web_root: str = "https://gitlab.example.com/",
) -> dict[str, Any]:
    """A Merge Request Hook body (``X-Gitlab-Event: Merge Request Hook``), as GitLab's "Merge request
    events" documents it: ``action`` is open, close, reopen, update, approval, approved, unapproval,
    unapproved or merge; ``user`` is who did it."""
    url = f"{web_root}{project}/-/merge_requests/{iid}"
    attributes = {
        "id": 90000 + iid,
        "iid": iid,
        "target_branch": "main",
        "source_branch": "fix-invoice-rounding",
        "source_project_id": 278964,
        "target_project_id": 278964,
        "author_id": 51,
        "title": title,
        "description": "",
        "created_at": "2026-11-23 08:00:00 UTC",
        "updated_at": "2026-11-23 09:00:00 UTC",
        "state": state,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable",
        "draft": False,
        "url": url,
        "action": action,
    }
    return {**_issuable("merge_request", project, user, web_root, attributes), "reviewers": []}


def issue_hook(
    project: str,
    iid: int,
    action: str,
    state: str = "opened",
    title: str = "Follow-up",
    user: str = "jdoe",
    web_root: str = "https://gitlab.example.com/",
) -> dict[str, Any]:
    """An Issue Hook body (``X-Gitlab-Event: Issue Hook``), as GitLab's "Issue events" documents it:
    ``action`` is open, close, reopen or update."""
    attributes = {
        "id": 80000 + iid,
        "iid": iid,
        "title": title,
        "description": "",
        "state": state,
        "action": action,
        "confidential": False,
        "created_at": "2026-11-23 08:00:00 UTC",
        "updated_at": "2026-11-23 09:00:00 UTC",
        "closed_at": "2026-11-23 09:00:00 UTC" if state == "closed" else None,
        "url": f"{web_root}{project}/-/issues/{iid}",
        "type": "Issue",
    }
    return _issuable("issue", project, user, web_root, attributes)


def _issuable(kind: str, project: str, user: str, web_root: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """What GitLab's issue and merge request events share around their ``object_attributes``."""
    return {
        "object_kind": kind,
        "event_type": kind,
        "user": _user(user),
        "project": _project(project, web_root),
        "object_attributes": attributes,
        "labels": [],
        "changes": {},
        "repository": {"name": project.rsplit("/", 1)[-1], "url": f"git@gitlab.example.com:{project}.git"},
        "assignees": [],
    }
