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
) -> dict[str, Any]:
    """A Pipeline Hook body (``X-Gitlab-Event: Pipeline Hook``)."""
    project_url = f"{web_root}{project}"
    sha = "bcbb5ec396a2c0f828686f14fac9b80b780504f2"
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
