"""A small GitLab REST API (v4) on loopback for python-gitlab: projects, issues and notes, issue
templates, pipelines with jobs and commits. State lives in plain dicts the test can read."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from slackbot.testing.loopback import LoopbackServer, Reply


class FakeGitLab(LoopbackServer):
    def __init__(self, token: str = "glpat-simulated-token"):
        super().__init__()
        self.token = token
        self.lock = threading.Lock()
        self.projects: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, list[dict[str, Any]]] = {}
        self.notes: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.templates: dict[tuple[str, str], str] = {}
        self.pipelines: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.played: list[tuple[str, int]] = []  # (project, job id) of each job played through the API
        self.history: dict[str, list[str]] = {}  # each project's commits, oldest first (a pipeline's commit is new)
        self.merge_requests: dict[tuple[str, str], list[dict[str, Any]]] = {}  # the MRs a commit belongs to
        self.milestones: dict[str, list[dict[str, Any]]] = {}
        self.commits: dict[tuple[str, str], dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # by username
        self.mrs: dict[str, list[dict[str, Any]]] = {}  # each project's merge requests
        self.links: list[tuple[str, int, str, int]] = []  # issue links: (project, iid, target project, iid)
        self.requests: list[tuple[str, str]] = []
        self._failures: list[int] = []
        self._ids = itertools.count(1000)

    # ----- set-up -----------------------------------------------------------------------------

    def add_project(self, path: str) -> dict[str, Any]:
        project_id = next(self._ids)
        project = {
            "id": project_id,
            "path_with_namespace": path,
            "name": path.rsplit("/", 1)[-1],
            "web_url": f"{self.web_root}{path}",
        }
        self.projects[path] = project
        self.issues[path] = []
        self.pipelines[path] = []
        return project

    def add_user(self, username: str) -> dict[str, Any]:
        user = {"id": next(self._ids), "username": username, "name": username.title(), "state": "active"}
        self.users[username] = user
        return user

    def add_merge_request(self, project: str, title: str, author: str = "jdoe") -> dict[str, Any]:
        with self.lock:
            mrs = self.mrs.setdefault(project, [])
            iid = len(mrs) + 1
            mr = {
                "id": next(self._ids),
                "iid": iid,
                "project_id": self.projects[project]["id"],
                "title": title,
                "state": "opened",
                "author": {"username": author},
                "reviewers": [],
                "web_url": f"{self.projects[project]['web_url']}/-/merge_requests/{iid}",
            }
            mrs.append(mr)
            return mr

    def add_issue_template(self, project: str, name: str, content: str) -> None:
        self.templates[(project, name)] = content

    def add_issue(self, project: str, title: str, **fields: Any) -> dict[str, Any]:
        with self.lock:
            return self._create_issue(project, {"title": title, **fields})

    def add_note(
        self, project: str, iid: int, author: str, body: str, created_at: datetime, system: bool = False
    ) -> None:
        with self.lock:
            note = {"body": body, "author": {"username": author}, "created_at": _iso(created_at), "system": system}
            self.notes.setdefault((project, iid), []).append({"id": next(self._ids), **note})

    def add_pipeline(
        self,
        project: str,
        jobs: Sequence[dict[str, Any]] = (),
        commit: dict[str, Any] | None = None,
        merge_requests: Sequence[dict[str, Any]] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """A pipeline of a new commit (the project's newest), newest first in listings; ``jobs`` may
        repeat a name with ``retried: True``; ``merge_requests``: the MRs the commit belongs to."""
        with self.lock:
            pipeline_id = next(self._ids)
            sha = f"{pipeline_id:040x}"
            pipeline = {
                "id": pipeline_id,
                "iid": pipeline_id,
                "project_id": self.projects[project]["id"],
                "status": "success",
                "source": "push",
                "ref": "main",
                "sha": sha,
                "duration": 600,
                "web_url": f"{self.projects[project]['web_url']}/-/pipelines/{pipeline_id}",
                **fields,
            }
            self.pipelines[project].insert(0, pipeline)
            self.jobs[(project, pipeline_id)] = [{"id": next(self._ids), "allow_failure": False, **job} for job in jobs]
            self.commits[(project, pipeline["sha"])] = {
                "id": pipeline["sha"],
                "title": "Update the invoice rounding",
                "author_name": "Jane Doe",
                "web_url": f"{self.projects[project]['web_url']}/-/commit/{pipeline['sha']}",
                **(commit or {}),
            }
            self.history.setdefault(project, []).append(pipeline["sha"])
            self.merge_requests[(project, pipeline["sha"])] = [
                {"project_id": self.projects[project]["id"], "state": "merged", **mr} for mr in merge_requests
            ]
            return pipeline

    def fail_next(self, *statuses: int) -> None:
        self._failures.extend(statuses)

    @property
    def web_root(self) -> str:
        return "https://gitlab.simulated.local/"

    # ----- HTTP ---------------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlparse(path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self.lock:
            self.requests.append((method, url.path))
            if self._failures:
                return self._failures.pop(0), {"message": "simulated failure"}, {}
            bearer = headers.get("authorization", "") == f"Bearer {self.token}"
            if headers.get("private-token") != self.token and not bearer:
                return 401, {"message": "401 Unauthorized"}, {}
            data = _body(body, headers.get("content-type", ""))
            for pattern, verb, name in ROUTES:
                match = re.fullmatch(pattern, url.path)
                if match and verb == method:
                    try:
                        return getattr(self, name)(*[unquote(g) for g in match.groups()], query=query, data=data)
                    except KeyError:
                        return 404, {"message": "404 Not Found"}, {}
        return 404, {"message": "404 Not Found"}, {}

    def _project(self, ref: str) -> str:
        if ref in self.projects:
            return ref
        for path, project in self.projects.items():
            if str(project["id"]) == ref:
                return path
        raise KeyError(ref)

    def get_project(self, ref: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, self.projects[self._project(ref)], {}

    def get_template(self, ref: str, name: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        content = self.templates[(self._project(ref), name)]
        return 200, {"name": name, "content": content}, {}

    def _create_issue(self, project: str, data: dict[str, Any]) -> dict[str, Any]:
        iid = len(self.issues[project]) + 1
        labels = data.get("labels") or []
        description, actions = quick_actions(str(data.get("description", "")))
        issue = {
            "id": next(self._ids),
            "iid": iid,
            "project_id": self.projects[project]["id"],
            "title": data["title"],
            "description": description,
            "labels": labels.split(",") if isinstance(labels, str) else list(labels),
            "confidential": bool(data.get("confidential", False)),
            "state": "opened",
            "assignees": [{"username": u} for u in data.get("assignee_usernames", [])]
            + [{"id": u["id"], "username": u["username"]} for u in self._users_of(data.get("assignee_ids"))],
            "milestone": data.get("milestone"),
            "issue_type": data.get("issue_type", "issue"),
            "type": str(data.get("issue_type", "issue")).upper(),
            "web_url": f"{self.projects[project]['web_url']}/-/issues/{iid}",
            "references": {"short": f"#{iid}", "full": f"{project}#{iid}"},
            "created_at": _iso(datetime.now(UTC)),
        }
        for command, argument in actions:
            _run_quick_action(issue, command, argument)
        issue["quick_actions"] = actions
        issue["mentions"] = mentions(description) + [m for c, a in actions if c == "cc" for m in mentions(a)]
        self.issues[project].append(issue)
        return issue

    def _users_of(self, ids: Any) -> list[dict[str, Any]]:
        """The users of these IDs; like GitLab, an unknown ID is left out, not refused."""
        wanted = {str(i) for i in (ids if isinstance(ids, list) else str(ids or "").split(",")) if str(i)}
        return [u for u in self.users.values() if str(u["id"]) in wanted]

    def post_issue(self, ref: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        if not data.get("title"):
            return 400, {"message": {"title": ["can't be blank"]}}, {}
        if len(str(data["title"])) > TITLE_LIMIT:
            return 400, {"message": {"title": [f"is too long (maximum is {TITLE_LIMIT} characters)"]}}, {}
        if data.get("issue_type", "issue") not in ISSUE_TYPES:
            return 400, {"error": "issue_type does not have a valid value"}, {}
        given = {k: v for k, v in data.items() if k != "assignee_usernames"}  # the set-up's, not the API's
        return 201, self._create_issue(self._project(ref), given), {}

    def list_issues(self, ref: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, _filter_issues(list(self.issues[self._project(ref)]), query), {}

    def _issue(self, ref: str, iid: str) -> dict[str, Any]:
        found = next((i for i in self.issues[self._project(ref)] if str(i["iid"]) == iid), None)
        if found is None:
            raise KeyError(iid)
        return found

    def get_issue(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, self._issue(ref, iid), {}

    def put_issue(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        issue = self._issue(ref, iid)
        event = data.get("state_event")
        if event in ("close", "reopen"):
            issue["state"] = "closed" if event == "close" else "opened"
        return 200, issue, {}

    def post_note(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        """A comment; as GitLab does, quick actions in it run and are removed, and a note that was
        nothing but quick actions is not kept."""
        issue = self._issue(ref, iid)
        if not str(data.get("body", "")).strip():
            return 400, {"message": {"note": ["can't be blank"]}}, {}
        body, actions = quick_actions(str(data["body"]))
        for command, argument in actions:
            _run_quick_action(issue, command, argument)
        note = {"id": next(self._ids), "body": body, "author": {"username": "fulfillbot"}, "system": False}
        note |= {"created_at": _iso(datetime.now(UTC)), "quick_actions": actions, "mentions": mentions(body)}
        if body.strip():
            self.notes.setdefault((self._project(ref), int(iid)), []).append(note)
        return 201, note, {}

    def post_link(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        """``POST .../issues/:iid/links``: 409 for a link that exists, as GitLab answers."""
        source = self._issue(ref, iid)
        target_project = self._project(str(data.get("target_project_id", "")))
        target = self._issue(target_project, str(data.get("target_issue_iid", "")))
        link = (self._project(ref), int(iid), target_project, int(target["iid"]))
        if link in self.links or (link[2], link[3], link[0], link[1]) in self.links:
            return 409, {"message": "Issue(s) already assigned"}, {}
        self.links.append(link)
        return 201, {"source_issue": source, "target_issue": target, "link_type": "relates_to"}, {}

    def list_users(self, query: dict[str, str], data: dict[str, Any]) -> Reply:
        found = self.users.get(query.get("username", ""))
        return 200, [found] if found is not None else [], {}

    def _merge_request(self, ref: str, iid: str) -> dict[str, Any]:
        found = next((m for m in self.mrs.get(self._project(ref), []) if str(m["iid"]) == iid), None)
        if found is None:
            raise KeyError(iid)
        return found

    def get_merge_request(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, self._merge_request(ref, iid), {}

    def put_merge_request(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        mr = self._merge_request(ref, iid)
        if "reviewer_ids" in data:
            mr["reviewers"] = [{"id": u["id"], "username": u["username"]} for u in self._users_of(data["reviewer_ids"])]
        return 200, mr, {}

    def list_all_issues(self, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, _filter_issues([i for issues in self.issues.values() for i in issues], query), {}

    def list_notes(self, ref: str, iid: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, list(self.notes.get((self._project(ref), int(iid)), [])), {}

    def list_pipelines(self, ref: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        pipelines = self.pipelines[self._project(ref)]
        for key in ("ref", "status", "source"):
            if key in query:
                pipelines = [p for p in pipelines if p.get(key) == query[key]]
        return 200, pipelines[: int(query.get("per_page", 20))], {}

    def get_pipeline(self, ref: str, pipeline_id: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        found = next(p for p in self.pipelines[self._project(ref)] if str(p["id"]) == pipeline_id)
        return 200, found, {}

    def list_jobs(self, ref: str, pipeline_id: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        jobs = self.jobs[(self._project(ref), int(pipeline_id))]
        if str(query.get("include_retried", "")).lower() != "true":
            jobs = [j for j in jobs if not j.get("retried")]
        return 200, jobs, {}

    def _job(self, ref: str, job_id: str) -> dict[str, Any]:
        project = self._project(ref)
        for (owner, _pipeline), jobs in self.jobs.items():
            for job in jobs:
                if owner == project and job["id"] == int(job_id):
                    return job
        raise KeyError(job_id)

    def get_job(self, ref: str, job_id: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, self._job(ref, job_id), {}

    def play_job(self, ref: str, job_id: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        """As GitLab: only a manual or a scheduled (delayed) job can be played; it runs at once."""
        job = self._job(ref, job_id)
        if job.get("status") not in PLAYABLE:
            return 400, {"message": "400 Bad request - Unplayable Job"}, {}
        job["status"] = "pending"
        self.played.append((self._project(ref), job["id"]))
        return 200, job, {}

    def get_commit(self, ref: str, sha: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        return 200, self.commits[(self._project(ref), sha)], {}

    def add_milestone(self, project: str, title: str, due_date: str, state: str = "active") -> None:
        """A milestone of the project's group, as ``include_ancestors`` lists it."""
        with self.lock:
            self.milestones.setdefault(project, []).append(
                {"id": next(self._ids), "iid": len(self.milestones.get(project, [])) + 1, "title": title,
                 "due_date": due_date, "state": state, "group_id": 9970}
            )  # fmt: skip

    def list_milestones(self, ref: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        """Project milestones; the group's only with ``include_ancestors`` (all fakes' are the group's)."""
        found = self.milestones.get(self._project(ref), []) if query.get("include_ancestors") in TRUTHY else []
        if "state" in query:
            found = [m for m in found if m["state"] == query["state"]]
        return 200, found, {}

    def graphql(self, query: dict[str, str], data: dict[str, Any]) -> Reply:
        """GitLab's GraphQL, for the one query the bot asks: a job's ``scheduledAt`` (a CiJob by
        its global ID, in a project by its full path). Anything else is answered as GraphQL answers
        what it cannot run: 200 with ``errors``."""
        text, variables = str(data.get("query", "")), data.get("variables") or {}
        shape = re.search(r"project\(fullPath:\s*\$path\)\s*\{\s*job\(id:\s*\$id\)\s*\{\s*scheduledAt\s*\}", text)
        gid = re.fullmatch(r"gid://gitlab/Ci::Build/(\d+)", str(variables.get("id", "")))
        if shape is None or gid is None or not isinstance(variables.get("path"), str):
            return 200, {"errors": [{"message": "the fake GitLab answers only a job's scheduledAt"}]}, {}
        if variables["path"] not in self.projects:
            return 200, {"data": {"project": None}}, {}
        try:
            job = self._job(variables["path"], gid[1])
        except KeyError:
            return 200, {"data": {"project": {"job": None}}}, {}
        return 200, {"data": {"project": {"job": {"scheduledAt": job.get("scheduled_at")}}}}, {}

    def compare(self, ref: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        """As GitLab: the commits after ``from`` up to ``to``, oldest first; 404 for an unknown ref."""
        history = self.history[self._project(ref)]
        start, end = query.get("from", ""), query.get("to", "")
        if start not in history or end not in history:
            return 404, {"message": "404 Ref Not Found"}, {}
        commits = [
            self.commits[(self._project(ref), sha)]
            for sha in history[history.index(start) + 1 : history.index(end) + 1]
        ]
        return (
            200,
            {"commit": commits[-1] if commits else None, "commits": commits, "diffs": [], "compare_timeout": False},
            {},
        )

    def commit_merge_requests(self, ref: str, sha: str, query: dict[str, str], data: dict[str, Any]) -> Reply:
        project = self._project(ref)
        if (project, sha) not in self.commits:
            return 404, {"message": "404 Commit Not Found"}, {}
        return 200, self.merge_requests.get((project, sha), []), {}


PROJECT = r"/api/v4/projects/([^/]+)"
ISSUE_TYPES = {"issue", "incident", "test_case", "task"}
PLAYABLE = ("manual", "scheduled")
TRUTHY = {"1", "on", "On", "ON", "t", "true", "True", "TRUE", "T", "y", "yes", "Yes", "YES", "Y"}  # Grape's booleans
TITLE_LIMIT = 255
ROUTES = [
    (r"/api/v4/issues", "GET", "list_all_issues"),
    (r"/api/graphql", "POST", "graphql"),
    (PROJECT, "GET", "get_project"),
    (PROJECT + r"/templates/issues/([^/]+)", "GET", "get_template"),
    (PROJECT + r"/issues", "POST", "post_issue"),
    (PROJECT + r"/issues", "GET", "list_issues"),
    (PROJECT + r"/issues/(\d+)", "GET", "get_issue"),
    (PROJECT + r"/issues/(\d+)", "PUT", "put_issue"),
    (PROJECT + r"/issues/(\d+)/notes", "GET", "list_notes"),
    (PROJECT + r"/issues/(\d+)/notes", "POST", "post_note"),
    (PROJECT + r"/issues/(\d+)/links", "POST", "post_link"),
    (r"/api/v4/users", "GET", "list_users"),
    (PROJECT + r"/merge_requests/(\d+)", "GET", "get_merge_request"),
    (PROJECT + r"/merge_requests/(\d+)", "PUT", "put_merge_request"),
    (PROJECT + r"/pipelines", "GET", "list_pipelines"),
    (PROJECT + r"/pipelines/(\d+)", "GET", "get_pipeline"),
    (PROJECT + r"/pipelines/(\d+)/jobs", "GET", "list_jobs"),
    (PROJECT + r"/repository/commits/([^/]+)", "GET", "get_commit"),
    (PROJECT + r"/repository/commits/([^/]+)/merge_requests", "GET", "commit_merge_requests"),
    (PROJECT + r"/repository/compare", "GET", "compare"),
    (PROJECT + r"/milestones", "GET", "list_milestones"),
    (PROJECT + r"/jobs/(\d+)", "GET", "get_job"),
    (PROJECT + r"/jobs/(\d+)/play", "POST", "play_job"),
]


QUICK_ACTION = re.compile(r"^/([a-z_]+)(?:[ \t]+(.*))?$")
QUICK_ACTIONS = {  # the ones GitLab runs in an issue description (a line of its own, outside code blocks)
    "assign", "cc", "close", "confidential", "copy_metadata", "due", "duplicate", "estimate", "label",
    "lock", "milestone", "move", "reassign", "relabel", "relate", "remove_due_date", "reopen", "severity",
    "spend", "title", "unassign", "unlabel", "weight",
}  # fmt: skip
MENTION = re.compile(r"(?<![\w.+-])@([A-Za-z0-9_][\w.-]*)")


def quick_actions(description: str) -> tuple[str, list[tuple[str, str]]]:
    """As GitLab does for a description created through the API: each line that is a known quick
    action (at the very start of the line, outside fenced code blocks) is run and removed."""
    kept, actions, fenced = [], [], False
    for line in description.split("\n"):
        if line.startswith(("```", "~~~")):
            fenced = not fenced
        found = None if fenced else QUICK_ACTION.match(line)
        if found and found[1] in QUICK_ACTIONS:
            actions.append((found[1], (found[2] or "").strip()))
        else:
            kept.append(line)
    return "\n".join(kept), actions


def mentions(text: str) -> list[str]:
    """Who GitLab would notify for this text: ``@all``, groups and users."""
    return MENTION.findall(text)


def _run_quick_action(issue: dict[str, Any], command: str, argument: str) -> None:
    names = [word.lstrip("~@").strip('"') for word in re.findall(r'~"[^"]+"|[~@]\S+', argument)]
    if command == "close":
        issue["state"] = "closed"
    elif command == "confidential":
        issue["confidential"] = True
    elif command == "label":
        issue["labels"] += [n for n in names if n not in issue["labels"]]
    elif command == "unlabel":
        issue["labels"] = [label for label in issue["labels"] if label not in names] if names else []
    elif command == "assign":
        issue["assignees"] += [{"username": n} for n in names]


def _filter_issues(issues: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    if "state" in query and query["state"] != "all":
        issues = [i for i in issues if i["state"] == query["state"]]
    if "assignee_username" in query:
        issues = [i for i in issues if any(a["username"] == query["assignee_username"] for a in i["assignees"])]
    if query.get("milestone") == "Started":
        issues = [i for i in issues if (i.get("milestone") or {}).get("started")]
    if "labels" in query:
        wanted = set(query["labels"].split(","))
        issues = [i for i in issues if wanted <= set(i["labels"])]
    if "search" in query:
        fields = query.get("in", "title,description").split(",")
        issues = [i for i in issues if any(query["search"].lower() in str(i.get(f, "")).lower() for f in fields)]
    return issues


def _body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {}
    return {k: v[-1] for k, v in parse_qs(raw.decode()).items()}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
