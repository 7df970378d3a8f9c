from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from slackbot.db import Database, RemoteCallInTransaction
from slackbot.metrics import Metrics
from slackbot.outbox import Delivery, DeliveryError, Gone, NeedsOperator, RateLimited, Refused, TryAgain
from slackbot.ratelimit import Call
from slackbot.slack_client import make_web_client
from slackbot.slack_effects import post_once, slack_failure
from slackbot.testing.slack_sim import SlackSimulator


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    simulator = SlackSimulator().start()
    simulator.add_user("U0JAMES01", "james", tz="Europe/Madrid")
    yield simulator
    simulator.stop()


def test_base_url_comes_from_settings(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url.rstrip("/"))
    assert client.base_url == sim.api_url
    assert client.auth_test()["user_id"] == sim.bot_user_id


def test_the_outbox_client_never_retries_or_sleeps_inside_a_call(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.rate_limit("users.info", times=1, retry_after=30)
    with pytest.raises(SlackApiError) as refused:
        client.users_info(user="U0JAMES01")
    assert refused.value.response.status_code == 429 and refused.value.response.headers["Retry-After"] == "30"
    sim.fail("auth.test", times=1, status=503)
    with pytest.raises(SlackApiError):
        client.auth_test()
    assert len(sim.calls_to("users.info")) == 1 and len(sim.calls_to("auth.test")) == 1


def test_a_refused_connection_is_retried_once_by_the_request_client() -> None:
    client = make_web_client("xoxb-x", "http://127.0.0.1:9/api/")
    assert [type(h).__name__ for h in client.retry_handlers] == ["ConnectionErrorRetryHandler"]
    assert make_web_client("xoxb-x", "http://127.0.0.1:9/api/", retries=False).retry_handlers == []


def test_no_slack_call_inside_a_write_transaction(sim: SlackSimulator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    client = make_web_client(sim.token, sim.api_url)
    with pytest.raises(RemoteCallInTransaction, match=r"Slack auth\.test"), database.transaction():
        client.auth_test()
    with database.reading():
        assert client.auth_test()["ok"], "reading is fine"
    assert len(sim.calls_to("auth.test")) == 1
    database.dispose()


def test_api_errors_are_raised_and_counted(sim: SlackSimulator) -> None:
    metrics = Metrics()
    client = make_web_client(sim.token, sim.api_url, metrics)
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user="U0NOBODY1")
    assert caught.value.response["error"] == "user_not_found"
    assert metrics.slack_api_errors.labels("users.info", "user_not_found")._value.get() == 1


def test_the_simulator_answers_unknown_methods_as_slack_does(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.api_call("nonsense.method")
    assert caught.value.response["error"] == "unknown_method"


def test_the_simulator_rejects_a_wrong_token(sim: SlackSimulator) -> None:
    client = make_web_client("xoxb-wrong", sim.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    assert caught.value.response["error"] == "invalid_auth"


def test_what_a_failed_call_means_is_a_kind_of_error(sim: SlackSimulator) -> None:
    """Typed delivery errors: each of Slack's answers becomes the error whose kind decides the row's
    fate (retried, waited out, parked for an operator, dropped, dropped as gone)."""
    client = make_web_client(sim.token, sim.api_url, retries=False)
    call = Call("chat.postMessage", "C0NOWHERE", False)

    def failure_of(method: str, **params: object) -> DeliveryError:
        try:
            client.api_call(method, json=params)
        except Exception as exc:
            return slack_failure(exc, call)
        raise AssertionError("the call did not fail")

    sim.rate_limit("chat.postMessage", retry_after=7)
    limited = failure_of("chat.postMessage", channel="C0NOWHERE", text="x")
    assert isinstance(limited, RateLimited) and limited.retry_after == 7 and limited.refused == call
    sim.fail("chat.postMessage", status=503)
    assert isinstance(failure_of("chat.postMessage", channel="C0NOWHERE", text="x"), TryAgain)
    assert isinstance(failure_of("chat.postMessage", channel="C0NOWHERE", text="x"), NeedsOperator)  # not found
    general = sim.add_channel("general", bot_member=True)
    assert isinstance(failure_of("chat.postMessage", channel=general, text=""), Refused)  # no_text: dropped
    for kind, (retried, parked) in {
        RateLimited: (True, False),
        NeedsOperator: (False, True),
        Gone: (False, False),
    }.items():
        assert (kind.retryable, kind.park) == (retried, parked)


def test_a_look_before_reposting_that_slack_refuses_names_its_own_method() -> None:
    """Against an emulator, reading a group DM back was refused with missing_scope, and the parked row
    said chat.postMessage had failed; it names conversations.history, for the operator to fix."""
    sim = SlackSimulator(scopes=["chat:write", "mpim:write"]).start()
    try:
        for user in ("U0JAMES01", "U0ALICE01"):
            sim.add_user(user, user.lower())
        client = make_web_client(sim.token, sim.api_url, retries=False)
        group = client.conversations_open(users="U0JAMES01,U0ALICE01")["channel"]["id"]
        delivery = Delivery(7, "slack", {}, f"slack:{group}", 2, None, 1, maybe_sent=True)
        with pytest.raises(NeedsOperator) as parked:
            post_once(client, delivery, {"channel": group, "text": "hello"})
        assert str(parked.value) == "conversations.history: missing_scope"
        assert sim.messages(group) == [], "not posted blind either"
    finally:
        sim.stop()
