"""The fakes answer the real client libraries as the real services do."""

from collections.abc import Iterator
from datetime import UTC, datetime

import gitlab
import pytest
import requests

from slackbot.testing.fake_gitlab import FakeGitLab
from slackbot.testing.fake_pagerduty import FakePagerDuty


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    server = FakeGitLab().start()
    server.add_project("gitlab-org/fulfillment-meta")
    yield server
    server.stop()


def test_python_gitlab_reads_templates_and_writes_issues(fake_gitlab: FakeGitLab) -> None:
    fake_gitlab.add_issue_template("gitlab-org/fulfillment-meta", "intake", "## Problem\n\n## Impact\n")
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token=fake_gitlab.token)
    project = client.projects.get("gitlab-org/fulfillment-meta")
    template = project.issue_templates.get("intake")
    assert template.content.startswith("## Problem")
    issue = project.issues.create({"title": "Blocker", "description": "why", "labels": ["production::blocker"]})
    assert issue.iid == 1
    assert issue.web_url.endswith("/gitlab-org/fulfillment-meta/-/issues/1")
    issue.state_event = "close"
    issue.save()
    assert fake_gitlab.issues["gitlab-org/fulfillment-meta"][0]["state"] == "closed"
    assert fake_gitlab.issues["gitlab-org/fulfillment-meta"][0]["labels"] == ["production::blocker"]


def test_fake_gitlab_runs_quick_actions_in_a_new_issues_description_as_gitlab_does(fake_gitlab: FakeGitLab) -> None:
    """GitLab runs quick actions found in descriptions created through the API (and removes their
    lines); a line that only looks like one (escaped, indented, in a code block) is text."""
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token=fake_gitlab.token)
    project = client.projects.get("gitlab-org/fulfillment-meta")
    description = (
        'Checkout is broken\n/unlabel ~production::blocker\n/confidential\n/assign @vitaly\n/label ~"needs review"\n'
        "\\/close\n```\n/close\n```\n/cc @pm and @all\n/unknown command"
    )
    project.issues.create({"title": "Blocker", "description": description, "labels": ["production::blocker"]})
    [issue] = fake_gitlab.issues["gitlab-org/fulfillment-meta"]
    assert issue["labels"] == ["needs review"] and issue["confidential"] is True
    assert issue["assignees"] == [{"username": "vitaly"}] and issue["state"] == "opened"
    assert issue["description"] == "Checkout is broken\n\\/close\n```\n/close\n```\n/unknown command"
    assert issue["mentions"] == ["pm", "all"]


def test_python_gitlab_reads_pipelines_jobs_and_notes(fake_gitlab: FakeGitLab) -> None:
    path = "gitlab-org/fulfillment-meta"
    pipeline = fake_gitlab.add_pipeline(
        path, status="failed", jobs=[{"name": "rspec", "status": "failed", "stage": "test"}]
    )
    issue = fake_gitlab.add_issue(path, "Work", assignee_usernames=["jameslopez"])
    fake_gitlab.add_note(path, issue["iid"], "jameslopez", "update", datetime(2026, 11, 20, tzinfo=UTC))
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token=fake_gitlab.token)
    project = client.projects.get(path)
    [listed] = project.pipelines.list(ref="main", get_all=False)
    assert listed.id == pipeline["id"] and listed.status == "failed"
    assert [j.name for j in project.pipelines.get(pipeline["id"]).jobs.list(get_all=False)] == ["rspec"]
    [mine] = client.issues.list(assignee_username="jameslopez", state="opened", get_all=False)
    assert mine.title == "Work"
    assert [n.body for n in project.issues.get(issue["iid"]).notes.list(get_all=False)] == ["update"]


def test_fake_gitlab_rejects_a_wrong_token(fake_gitlab: FakeGitLab) -> None:
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token="wrong")
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError):
        client.projects.get("gitlab-org/fulfillment-meta")


def test_fake_pagerduty_validates_events_v2() -> None:
    server = FakePagerDuty().start()
    try:
        trigger = {
            "routing_key": server.routing_key,
            "event_action": "trigger",
            "dedup_key": "incident-1",
            "payload": {"summary": "CustomersDot down", "source": "fulfillbot", "severity": "critical"},
        }
        accepted = requests.post(server.events_url, json=trigger, timeout=10)
        assert accepted.status_code == 202
        assert accepted.json()["dedup_key"] == "incident-1"
        bad = requests.post(server.events_url, json={"routing_key": "x", "event_action": "acknowledge"}, timeout=10)
        assert bad.status_code == 400
        assert bad.json()["errors"] == [
            "'routing_key' is invalid",
            "'dedup_key' is required for acknowledge and resolve",
        ]
        server.fail_next(429)
        assert requests.post(server.events_url, json=trigger, timeout=10).status_code == 429
        assert server.events == [trigger]
    finally:
        server.stop()


def test_fake_gitlab_sets_reviewers_as_gitlab_does(fake_gitlab: FakeGitLab) -> None:
    """``reviewer_ids`` replaces the reviewers; an ID of nobody is left out, not refused; an MR that
    does not exist is 404."""
    project_path = "gitlab-org/fulfillment-meta"
    vitaly = fake_gitlab.add_user("vitaly")
    fake_gitlab.add_merge_request(project_path, "Fix rounding")
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token=fake_gitlab.token)
    assert [u.id for u in client.users.list(username="vitaly")] == [vitaly["id"]]
    assert client.users.list(username="nobody") == []
    mr = client.projects.get(project_path, lazy=True).mergerequests.get(1)
    mr.reviewer_ids = [vitaly["id"], 999999]
    mr.save()
    assert fake_gitlab.mrs[project_path][0]["reviewers"] == [{"id": vitaly["id"], "username": "vitaly"}]
    with pytest.raises(gitlab.exceptions.GitlabGetError):
        client.projects.get(project_path, lazy=True).mergerequests.get(2)


def test_fake_gitlab_runs_quick_actions_in_notes_and_refuses_a_link_twice(fake_gitlab: FakeGitLab) -> None:
    project_path = "gitlab-org/fulfillment-meta"
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token=fake_gitlab.token)
    project = client.projects.get(project_path)
    first = project.issues.create({"title": "Incident"})
    second = project.issues.create({"title": "Follow-up"})
    first.notes.create({"body": "a good point\n/close"})
    assert fake_gitlab.issues[project_path][0]["state"] == "closed"
    assert fake_gitlab.notes[(project_path, 1)][0]["body"] == "a good point"
    with pytest.raises(gitlab.exceptions.GitlabCreateError):
        first.notes.create({"body": " "})
    second.links.create({"target_project_id": project.id, "target_issue_iid": 1})
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as twice:
        second.links.create({"target_project_id": project.id, "target_issue_iid": 1})
    assert twice.value.response_code == 409
    assert fake_gitlab.links == [(project_path, 2, project_path, 1)]


def test_fake_gitlab_assigns_by_id_as_the_api_does(fake_gitlab: FakeGitLab) -> None:
    """``POST /issues`` takes ``assignee_ids``; ``assignee_usernames`` is no parameter of it (only the
    fake's own set-up uses that name), so it assigns nobody."""
    vitaly = fake_gitlab.add_user("vitaly")
    client = gitlab.Gitlab(fake_gitlab.base_url.rstrip("/"), private_token=fake_gitlab.token)
    project = client.projects.get("gitlab-org/fulfillment-meta")
    project.issues.create({"title": "by name", "assignee_usernames": ["vitaly"]})
    project.issues.create({"title": "by id", "assignee_ids": [vitaly["id"]]})
    by_name, by_id = fake_gitlab.issues["gitlab-org/fulfillment-meta"]
    assert by_name["assignees"] == [] and by_id["assignees"] == [{"id": vitaly["id"], "username": "vitaly"}]
