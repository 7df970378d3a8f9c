"""Bad input never gets a 5xx, a bad signature always gets a 401, and nothing rejected has an effect.

First each cause found by the hostile run of 10,000 requests, with its repro; then a hypothesis
fuzz over the same ground: mutated signed and unsigned events, commands, interactions, GitLab hooks,
headers, methods and paths. Every answer must come within Slack's 3 s, no log line may carry a
traceback, and the bot must still answer afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slackbot.testing.gitlab_payloads import pipeline_hook
from slackbot.testing.harness import SIGNING_SECRET, TEAM, Harness

JAMES = TEAM[0].id
HOOK_SECRET = "hook-secret"
DEADLINE = 3.0
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def bot(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One bot for every case (the fuzz sends thousands): on SQLite, the strictest about text."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'bot.db'}"
    with Harness(url, gitlab_webhook_secret=HOOK_SECRET) as harness:
        yield harness


@pytest.fixture
def quiet_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog
    assert_no_tracebacks(caplog)


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, and no request that failed unexpectedly. (A signed event about a channel that
    does not exist may still log an error when Slack refuses the answer: only Slack can sign.)"""
    noisy = [
        r
        for r in caplog.records
        if r.exc_info or "Traceback" in r.getMessage() or (r.name == "slackbot.web" and r.levelno >= logging.ERROR)
    ]
    assert noisy == [], [f"{r.name}: {r.getMessage()}" for r in noisy]


def effects(bot: Harness) -> tuple[int, int, int]:
    """Rows a request could have left behind: inbox items, outbox effects, tracked questions."""
    with bot.bot.ctx.db.reading() as session:
        return tuple(  # type: ignore[return-value]
            int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("inbox", "outbox", "questions")
        )


def signed(body: bytes) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes, whatever they hold."""
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest}


def slack(bot: Harness, body: bytes, content_type: str, sign: bool = True, **headers: str) -> requests.Response:
    all_headers = {"Content-Type": content_type, **(signed(body) if sign else {}), **headers}
    response = requests.post(bot.url + "/slack/events", data=body, headers=all_headers, timeout=DEADLINE)
    bot.settle()
    return response


def hook(bot: Harness, body: bytes | str, token: str = HOOK_SECRET) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    response = requests.post(
        bot.url + "/gitlab/webhook", data=data, headers={"X-Gitlab-Token": token}, timeout=DEADLINE
    )
    bot.settle()
    return response


def raw_request(bot: Harness, head: str, body: bytes = b"") -> int:
    """A request written by hand, for headers no HTTP client sends; the status answered."""
    port = int(bot.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as conn:
        conn.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
        answer = conn.recv(200).decode("latin-1")
    return int(answer.split()[1])


def event(inner: Any, **envelope: Any) -> bytes:
    body = {"type": "event_callback", "event_id": f"Ev{time.monotonic_ns()}", "team_id": "T0SIMTEAM", "event": inner}
    return json.dumps({**body, **envelope}).encode()


def interaction(payload: Any) -> bytes:
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)}).encode()


# ----- the causes, one by one -------------------------------------------------------------------------

DEEP = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
BODIES_REFUSED_BEFORE_PARSING = {
    "not UTF-8": (b'{"type":"event_callback","event":{"text":"\xff\xfe"}}', "application/json"),
    "invalid JSON": (b'{"type": "event_callback", ', "application/json"),
    "payload= that is not JSON": (b"payload=%7Bnot+json", FORM),
    "a root that is not an object": (b"[1]", "application/json"),
    "nesting past the recursion limit": (DEEP, "application/json"),
    "an integer of 5,000 digits": (
        b'{"type":"event_callback","event_id":"E1","x":' + b"9" * 5000 + b"}",
        "application/json",
    ),
    "NaN and Infinity": (
        b'{"type":"event_callback","event_id":"E1","event":{"type":"message","x":NaN}}',
        "application/json",
    ),
    "a form that is neither a command nor an interaction": (b"hello=world", FORM),
}


@pytest.mark.parametrize("case", sorted(BODIES_REFUSED_BEFORE_PARSING))
def test_malformed_bodies_are_400_signed_and_401_unsigned(bot: Harness, quiet_log: Any, case: str) -> None:
    body, content_type = BODIES_REFUSED_BEFORE_PARSING[case]
    before = effects(bot)
    assert slack(bot, body, content_type, sign=False).status_code == 401
    assert slack(bot, body, content_type).status_code == 400
    assert effects(bot) == before


def test_a_signed_envelope_with_fields_of_the_wrong_type_is_400(bot: Harness, quiet_log: Any) -> None:
    before = effects(bot)
    for body in (
        b'{"type":"event_callback","event":0}',
        b'{"type":"event_callback","event_id":7,"event":{"type":"message"}}',
        b'{"type":"event_callback","event_id":"E2","event":{"type":["message"]}}',
    ):
        assert slack(bot, body, "application/json").status_code == 400
    assert effects(bot) == before


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "1 2", "0x10"])
def test_an_unusable_content_length_is_400_and_answered(bot: Harness, quiet_log: Any, length: str) -> None:
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}"
    assert raw_request(bot, head, b"{}") == 400


@pytest.mark.parametrize("length", [str(10**9), str(2**63 + 1)])
def test_an_oversized_body_is_413_without_reading_it(bot: Harness, quiet_log: Any, length: str) -> None:
    """The server refuses a declared size over 1 MiB before a thread or the signature check sees it."""
    for path in ("/slack/events", "/gitlab/webhook"):
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}"
        assert raw_request(bot, head) == 413


@pytest.mark.parametrize(
    "stamp, signature",
    [
        (b"", b"v0=00"),
        (b"not-a-number", b"v0=00"),
        ("１２３".encode(), b"v0=00"),
        ("²".encode("latin-1"), b"v0=00"),  # a digit to str.isdigit, not to int()
        (None, "v0=é".encode("latin-1")),
        (None, "v0=é".encode()),
        (None, b""),
    ],
)
def test_a_malformed_signature_header_is_401(
    bot: Harness, quiet_log: Any, stamp: bytes | None, signature: bytes
) -> None:
    body = urlencode({"command": "/fulfillment", "text": "help", "user_id": JAMES}).encode()
    headers = {
        "Content-Type": FORM.encode(),
        "X-Slack-Request-Timestamp": str(int(time.time())).encode() if stamp is None else stamp,
        "X-Slack-Signature": signature,
    }
    response = requests.post(bot.url + "/slack/events", data=body, headers=headers, timeout=DEADLINE)
    assert response.status_code == 401


def test_gitlab_hooks_with_deep_nesting_or_numbers_out_of_range_are_400(bot: Harness, quiet_log: Any) -> None:
    valid = json.dumps(pipeline_hook("group/app", 901, "failed"))
    before = effects(bot)
    assert hook(bot, DEEP).status_code == 400
    assert hook(bot, valid.replace('"id": 901', '"id": -Infinity', 1)).status_code == 400
    with_build = json.dumps(
        pipeline_hook("group/app", 902, "failed", builds=[{"id": 1, "name": "rspec", "status": "failed"}])
    )
    assert hook(bot, with_build.replace('{"id": 1,', '{"id": 1e999,')).status_code == 400
    assert hook(bot, valid.replace('"duration": 750', '"duration": "99999999999999999999"')).status_code == 400
    assert hook(bot, valid.replace('"id": 901', f'"id": {2**64}', 1)).status_code == 400
    assert effects(bot) == before
    assert hook(bot, valid).status_code == 200, "the same hook with sane numbers is taken"


def test_events_missing_what_listeners_read_are_dropped_quietly(bot: Harness, quiet_log: Any) -> None:
    questions = bot.sim.channel_id("s_fulfillment")
    for inner in (
        {"type": "reaction_added", "user": JAMES, "item": {"type": "message", "channel": questions}},
        {"type": "reaction_added", "user": JAMES, "reaction": "white_check_mark", "item": "C123"},
        {"type": "app_mention", "user": JAMES, "channel": questions, "text": "hi"},
        {"type": "message", "channel": questions, "user": JAMES, "text": 5, "ts": "1.2"},
        {"type": "message", "channel": questions, "user": JAMES, "ts": {"a": 1}},
        {"type": "message", "subtype": "message_changed", "channel": questions, "message": "gone"},
        {"type": "app_home_opened", "user": ["U1"]},
    ):
        assert slack(bot, event(inner), "application/json").status_code == 200
    with bot.bot.ctx.db.reading() as session:
        parked = session.execute(sa.text("SELECT count(*) FROM inbox WHERE state NOT IN ('done', 'dropped')"))
        assert parked.scalar_one() == 0, "nothing waits to be retried: the bad events were read as nothing"


def test_a_lone_surrogate_in_a_question_is_stored_as_a_replacement_character(bot: Harness, quiet_log: Any) -> None:
    questions = bot.sim.channel_id("s_fulfillment")
    posted = bot.sim.post(questions, JAMES, "placeholder")
    body = event({"type": "message", "channel": questions, "user": JAMES, "ts": posted["ts"], "text": "x"})
    body = body.replace(b'"text": "x"', b'"text": "Why does \\ud800 break the renewal?"')
    assert slack(bot, body, "application/json").status_code == 200
    with bot.bot.ctx.db.reading() as session:
        text = session.execute(
            sa.text("SELECT preview FROM questions WHERE ts = :ts"), {"ts": posted["ts"]}
        ).scalar_one()
    assert text == "Why does \ufffd break the renewal?"


def test_interactions_missing_what_listeners_read_are_acknowledged(bot: Harness, quiet_log: Any) -> None:
    before = effects(bot)
    for payload in (
        {"type": "message_action", "callback_id": "ask_for_help", "user": {"id": JAMES}},
        {"type": "block_actions", "user": {"id": "U0NOBODY1"}, "actions": [{"action_id": "pair_claim", "value": "1"}]},
        {
            "type": "block_actions",
            "user": {"id": JAMES},
            "actions": [{"action_id": "pair_claim", "value": "x"}],
            "response_url": "not a url",
        },
        {
            "type": "block_actions",
            "user": {"id": JAMES},
            "actions": [{"action_id": "pair_claim"}],
            "response_url": "http://[::1",
        },
        {"type": "block_actions", "actions": "none"},
        {"type": "view_submission", "view": {"callback_id": "standup_submit", "state": "x"}},
        {"type": "shortcut", "callback_id": "nothing_we_know"},
        {"type": "something_new"},
    ):
        response = slack(bot, interaction(payload), FORM)
        assert response.status_code in (200, 400), (payload, response.text)
    assert effects(bot)[2] == before[2]


def test_after_all_that_the_bot_still_answers(bot: Harness, quiet_log: Any) -> None:
    bot.driver.command(JAMES, "/fulfillment", "help", channel="s_fulfillment")
    assert bot.sim.ephemerals_for(JAMES)[-1]["text"].startswith("*/fulfillment*")


# ----- the fuzz -------------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["\ud800", "<@U0JAMES01>", "&amp;", "<!channel>", "x" * 4000, "C0000001", "1.000002"]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def base_bodies(bot: Harness) -> list[tuple[dict[str, Any], str]]:
    """Real shapes to mutate: each event kind the bot reads, a command, each interaction type."""
    questions = bot.sim.channel_id("s_fulfillment")
    events = [
        {"type": "message", "channel": questions, "user": JAMES, "text": "How?", "ts": "1764000000.000100"},
        {
            "type": "reaction_added",
            "user": JAMES,
            "reaction": "white_check_mark",
            "item": {"type": "message", "channel": questions, "ts": "1764000000.000100"},
        },
        {"type": "app_mention", "channel": questions, "user": JAMES, "text": "<@U0BOT0001> hi", "ts": "1.1"},
        {"type": "app_home_opened", "user": JAMES, "tab": "home"},
        {
            "type": "message",
            "channel": bot.sim.dm_channel(JAMES),
            "channel_type": "im",
            "user": JAMES,
            "text": "help",
            "ts": "2.2",
        },
    ]
    bodies: list[tuple[dict[str, Any], str]] = [
        ({"type": "event_callback", "event_id": "Ev1", "team_id": "T0SIMTEAM", "event": e}, "event") for e in events
    ]
    bodies.append(
        (
            {
                "command": "/fulfillment",
                "text": "help",
                "user_id": JAMES,
                "channel_id": questions,
                "response_url": bot.sim.base_url + "response/none",
                "trigger_id": "t",
            },
            "command",
        )
    )
    for payload in (
        {
            "type": "block_actions",
            "user": {"id": JAMES},
            "actions": [{"action_id": "pair_claim", "value": "1"}],
            "channel": {"id": questions},
            "container": {"message_ts": "1.1"},
            "response_url": bot.sim.base_url + "r/x",
        },
        {
            "type": "view_submission",
            "user": {"id": JAMES},
            "view": {"callback_id": "standup_submit", "private_metadata": "{}", "state": {"values": {}}},
        },
        {
            "type": "message_action",
            "callback_id": "ask_for_help",
            "user": {"id": JAMES},
            "channel": {"id": questions},
            "message": {"ts": "1.1", "text": "x"},
            "response_url": bot.sim.base_url + "r/y",
        },
    ):
        bodies.append((payload, "interaction"))
    return bodies


def mutate(value: Any, data: st.DataObject) -> Any:
    """Replace, drop or keep each field, down the structure."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, child in value.items():
            choice = data.draw(st.integers(0, 9))
            if choice == 0:
                continue
            out[key] = data.draw(JSON_VALUES) if choice == 1 else mutate(child, data)
        return out
    if isinstance(value, list):
        return [mutate(v, data) for v in value]
    return data.draw(JSON_VALUES) if data.draw(st.integers(0, 5)) == 0 else value


def encode(body: dict[str, Any], kind: str, data: st.DataObject) -> tuple[bytes, str]:
    if kind == "event":
        raw = json.dumps(body).encode()
        content_type = "application/json"
    elif kind == "command":
        fields = {
            k: (v if isinstance(v, str) else json.dumps(v)).encode("utf-8", "surrogatepass") for k, v in body.items()
        }
        raw = urlencode(fields).encode()
        content_type = FORM
    else:
        raw, content_type = interaction(body), FORM
    damage = data.draw(st.integers(0, 7))
    if damage == 0 and raw:
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif damage == 1:
        raw = raw + data.draw(st.binary(max_size=8))
    elif damage == 2:
        content_type = data.draw(st.sampled_from(["application/json", FORM, "text/plain", "", "multipart/form-data"]))
    return raw, content_type


FUZZ = settings(
    max_examples=1200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(data=st.data())
@pytest.mark.slow
def test_fuzz_slack_requests(bot: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    base, kind = data.draw(st.sampled_from(base_bodies(bot)))
    if kind == "event":
        base = {**base, "event_id": f"Ev{time.monotonic_ns()}"}
    raw, content_type = encode(mutate(base, data), kind, data)
    signature = data.draw(st.sampled_from(["valid", "none", "wrong", "stale", "garbled"]))
    headers = {"Content-Type": content_type}
    if signature != "none":
        headers.update(signed(raw))
    if signature == "wrong":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif signature == "stale":
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()) - 3600)
    elif signature == "garbled":
        headers[data.draw(st.sampled_from(["X-Slack-Signature", "X-Slack-Request-Timestamp"]))] = data.draw(
            st.text(alphabet=st.characters(max_codepoint=255, exclude_categories=["Cc"]), max_size=20).map(str.strip)
        )
    before = effects(bot)
    response = requests.post(
        bot.url + "/slack/events", data=raw, headers={k: v for k, v in headers.items()}, timeout=DEADLINE
    )
    bot.settle()
    assert response.status_code < 500, response.text
    if signature != "valid":
        assert response.status_code == 401
        assert effects(bot) == before
    elif response.status_code >= 400:
        assert effects(bot) == before
    assert_no_tracebacks(caplog)


@FUZZ
@given(data=st.data())
@pytest.mark.slow
def test_fuzz_gitlab_hooks(bot: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    builds = [{"id": 5, "stage": "test", "name": "rspec", "status": "failed", "allow_failure": False}]
    body = mutate(pipeline_hook("group/app", data.draw(st.integers(1, 10**6)), "failed", builds=builds), data)
    raw = json.dumps(body)
    if data.draw(st.booleans()):
        number = data.draw(st.sampled_from(["-Infinity", "NaN", "1e999", "9" * 30, "-1", "0.5"]))
        raw = raw.replace('"id": 5', f'"id": {number}')
    token = data.draw(st.sampled_from([HOOK_SECRET, "", "wrong", "é"]))
    before = effects(bot)
    response = requests.post(
        bot.url + "/gitlab/webhook",
        data=raw.encode(),
        headers={"X-Gitlab-Token": token.encode().decode("latin-1")},
        timeout=DEADLINE,
    )
    bot.settle()
    assert response.status_code < 500, response.text
    if token != HOOK_SECRET:
        assert response.status_code == 401
    if response.status_code >= 400:
        assert effects(bot) == before
    assert_no_tracebacks(caplog)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    path=st.one_of(
        st.sampled_from(["/slack/events", "/gitlab/webhook", "/healthz", "/metrics", "/", "/slack/events/"]),
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30).map(lambda p: "/" + p),
    ),
    body=st.binary(max_size=64),
)
@pytest.mark.slow
def test_fuzz_methods_and_paths(
    bot: Harness, caplog: pytest.LogCaptureFixture, method: str, path: str, body: bytes
) -> None:
    caplog.clear()
    response = requests.request(method, bot.url + path, data=body, timeout=DEADLINE)
    assert response.status_code < 500 or (path == "/healthz" and response.status_code == 503)
    assert_no_tracebacks(caplog)


def test_a_signed_body_that_is_not_utf8_is_400_not_503(bot: Harness, quiet_log: Any) -> None:
    """json.loads alone takes UTF-16 and UTF-32 bodies, which then could not be stored: a 503 that
    Slack and GitLab would deliver again forever."""
    event = {"type": "event_callback", "event_id": "Ev0UTF16", "event": {"type": "app_mention", "text": "hi"}}
    before = effects(bot)
    for encoding in ("utf-16", "utf-32", "utf-16-le"):
        body = json.dumps(event).encode(encoding)
        assert slack(bot, body, "application/json").status_code == 400
        assert hook(bot, body).status_code == 400
    assert slack(bot, b'{"type": "event_callback", "x": "\xff"}', "application/json").status_code == 400
    assert effects(bot) == before


@pytest.mark.parametrize("response_urls", ["not a list", [1, "x"], [{"response_url": 7}], [{}, {}]])
def test_a_form_submission_with_malformed_response_urls_is_400(
    bot: Harness, quiet_log: Any, response_urls: Any
) -> None:
    view = {"id": "V0HOSTILE", "type": "modal", "callback_id": "standup_submit", "state": {"values": {}}}
    payload = {"type": "view_submission", "user": {"id": "U0JAMES01"}, "view": view, "response_urls": response_urls}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    before = effects(bot)
    assert slack(bot, body, "application/x-www-form-urlencoded").status_code == 400
    assert effects(bot) == before
