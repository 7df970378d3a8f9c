"""The Slack simulator answers the real WebClient as Slack does, method by method."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from slackbot.clock import FakeClock
from slackbot.ratelimit import Rate
from slackbot.slack_client import make_web_client
from slackbot.testing.driver import DEADLINE, SlackDriver
from slackbot.testing.slack_sim import RateLimits, SlackSimulator


@pytest.fixture
def sim() -> Iterator[SlackSimulator]:
    simulator = SlackSimulator().start()
    simulator.add_user("U0JAMES01", "james", tz="Europe/Madrid")
    simulator.add_user("U0ALICE01", "alice", tz="Australia/Sydney")
    yield simulator
    simulator.stop()


def test_messages_threads_history_and_reactions(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    channel = sim.add_channel("general", members=["U0JAMES01"], bot_member=True)
    parent = client.chat_postMessage(channel=channel, text="parent")["ts"]
    client.chat_postMessage(channel=channel, text="reply", thread_ts=parent)
    client.chat_postMessage(channel=channel, text="shown too", thread_ts=parent, reply_broadcast=True)
    assert [m["text"] for m in client.conversations_history(channel=channel)["messages"]] == ["shown too", "parent"]
    replies = client.conversations_replies(channel=channel, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply", "shown too"] and replies[0]["reply_count"] == 2
    assert client.conversations_members(channel=channel)["members"] == ["U0BOT0001", "U0JAMES01"]
    client.reactions_add(channel=channel, timestamp=parent, name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        client.reactions_add(channel=channel, timestamp=parent, name="eyes")
    client.reactions_remove(channel=channel, timestamp=parent, name="eyes")
    assert "reactions" not in sim.message(channel, parent) or sim.message(channel, parent)["reactions"] == []
    client.chat_delete(channel=channel, ts=parent)
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel=channel, ts=parent, text="gone")


def test_posting_needs_membership_and_text(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    outside = sim.add_channel("elsewhere")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        client.chat_postMessage(channel=outside, text="hi")
    client.conversations_join(channel=outside)
    with pytest.raises(SlackApiError, match="no_text"), pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel=outside)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C0NOPE000", text="hi")


def test_dms_group_dms_users_and_user_groups(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    client.chat_postMessage(channel="U0JAMES01", text="a DM")
    assert [m["text"] for m in sim.dms("U0JAMES01")] == ["a DM"]
    group = client.conversations_open(users="U0JAMES01,U0ALICE01")["channel"]["id"]
    assert group.startswith("G") and client.conversations_open(users="U0ALICE01,U0JAMES01")["channel"]["id"] == group
    members = [m["id"] for page in client.users_list(limit=2) for m in page["members"]]
    assert members == ["USLACKBOT", "U0BOT0001", "U0JAMES01", "U0ALICE01"]
    assert client.users_info(user="U0ALICE01")["user"]["tz"] == "Australia/Sydney"
    team = sim.add_usergroup("fulfillment-engineering", ["U0JAMES01"])
    assert client.usergroups_list()["usergroups"][0]["handle"] == "fulfillment-engineering"
    assert client.usergroups_users_list(usergroup=team)["users"] == ["U0JAMES01"]
    assert "users" not in client.usergroups_list()["usergroups"][0], "members only with include_users"
    assert client.usergroups_list(include_users=True)["usergroups"][0]["users"] == ["U0JAMES01"]


def test_reading_history_needs_the_scope_of_the_conversations_kind() -> None:
    """An independent emulator refused conversations.history on a group DM: the manifest lacked
    mpim:history. The simulator grants what it is given, as Slack grants what the manifest asks."""
    sim = SlackSimulator(scopes=["chat:write", "channels:history", "im:history", "mpim:write"]).start()
    try:
        for user in ("U0JAMES01", "U0ALICE01"):
            sim.add_user(user, user.lower())
        client = make_web_client(sim.token, sim.api_url)
        group = client.conversations_open(users="U0JAMES01,U0ALICE01")["channel"]["id"]
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(channel=group)
        assert refused.value.response["error"] == "missing_scope"
        direct = client.conversations_open(users="U0JAMES01")["channel"]["id"]
        assert client.conversations_history(channel=direct)["messages"] == []
    finally:
        sim.stop()


def test_views_need_a_fresh_trigger(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="made-up", view=modal)
    trigger = sim.issue_trigger("U0JAMES01")
    opened = client.views_open(trigger_id=trigger, view=modal)["view"]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id=trigger, view=modal)
    client.views_push(trigger_id=sim.issue_trigger("U0JAMES01"), view=modal)
    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view={**modal, "blocks": [{"type": "divider"}]}
    )
    assert updated["view"]["blocks"] == [{"type": "divider"}]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    too_big = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U0JAMES01", view=too_big)
    client.views_publish(user_id="U0JAMES01", view={"type": "home", "blocks": []})
    assert sim.home_views["U0JAMES01"]["type"] == "home"


def status_of(call: Callable[[], object]) -> int:
    try:
        call()
    except SlackApiError as exc:
        return int(exc.response.status_code)
    return 200


def test_rate_limits_per_method_tier_answer_429_with_retry_after(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.enforce_rate_limits()
    answers = [status_of(client.usergroups_list) for _ in range(6)]
    assert answers == [200] * 5 + [429], "Tier 2: 20 a minute, a burst of 5"
    with pytest.raises(SlackApiError) as refused:
        client.usergroups_list()
    assert int(refused.value.response.headers["Retry-After"]) >= 1
    assert status_of(lambda: client.users_info(user="U0JAMES01")) == 200, "another method has its own limit"
    sim.enforce_rate_limits(None)
    assert status_of(client.usergroups_list) == 200


def test_post_message_is_limited_per_channel_and_per_workspace(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    first = sim.add_channel("first", bot_member=True)
    second = sim.add_channel("second", bot_member=True)
    sim.enforce_rate_limits(RateLimits(workspace=Rate(1 / 60, 5)))
    in_first = [status_of(lambda: client.chat_postMessage(channel=first, text="x")) for _ in range(4)]
    assert in_first == [200, 200, 200, 429], "about one a second per channel, with a burst of three"
    in_second = [status_of(lambda: client.chat_postMessage(channel=second, text="x")) for _ in range(3)]
    assert in_second == [200, 200, 429], "the workspace's cap (5 here) counts every channel"
    assert [m for m, _ in sim.refusals] == ["chat.postMessage", "chat.postMessage"]
    assert len(sim.messages(first)) == 3 and len(sim.messages(second)) == 2, "a refused post is not posted"


def test_an_outage_answers_503_to_everything_until_it_ends(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.outage(60)
    assert status_of(client.auth_test) == 503
    assert status_of(lambda: client.chat_postMessage(channel="U0JAMES01", text="x")) == 503
    response_url = sim.issue_response_url(sim.base_url, "U0JAMES01", sim.dm_channel("U0JAMES01"))
    assert requests.post(response_url, json={"text": "x"}, timeout=5).status_code == 503
    assert sim.dms("U0JAMES01") == []
    sim.clear_faults()
    assert status_of(client.auth_test) == 200


def test_a_slow_method_takes_its_time_but_takes_effect(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url, retries=False)
    sim.slow("chat.postMessage", 0.3)
    started = time.monotonic()
    client.chat_postMessage(channel="U0JAMES01", text="late")
    assert time.monotonic() - started >= 0.3
    assert [m["text"] for m in sim.dms("U0JAMES01")] == ["late"]


def test_message_timestamps_never_repeat(sim: SlackSimulator) -> None:
    stamps = [sim.next_ts() for _ in range(10_000)]
    assert len(set(stamps)) == len(stamps) and stamps == sorted(stamps, key=float)
    assert all(len(s.split(".")[1]) == 6 for s in stamps)


def test_users_list_has_slackbot_deleted_users_and_short_pages(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    sim.add_user("U0GONE001", "gone", deleted=True)
    pages = [page["members"] for page in client.users_list(limit=3)]
    assert [len(p) for p in pages] == [2, 3], "a page shorter than the limit is not the last"
    members = {m["id"]: m for page in pages for m in page}
    assert members["U0GONE001"]["deleted"] is True and members["U0BOT0001"]["is_bot"] is True
    assert "USLACKBOT" in members


def test_block_kit_limits_are_invalid_blocks(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    channel = sim.add_channel("limits", bot_member=True)

    def refused(blocks: list[dict[str, object]]) -> str:
        with pytest.raises(SlackApiError) as caught:
            client.chat_postMessage(channel=channel, text="x", blocks=blocks)
        return str(caught.value.response["error"])

    def section(text: str, block_id: str = "") -> dict[str, object]:
        block: dict[str, object] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        return {**block, "block_id": block_id} if block_id else block

    def button(text: str, action_id: str = "a") -> dict[str, object]:
        element = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}
        return {"type": "actions", "elements": [element]}

    assert refused([section("x")] * 51) == "invalid_blocks"
    assert refused([section("x" * 3001)]) == "invalid_blocks"
    assert refused([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]) == "invalid_blocks"
    assert refused([button("x" * 76)]) == "invalid_blocks"
    assert refused([button("ok", action_id="a" * 256)]) == "invalid_blocks"
    assert refused([section("a", "same"), section("b", "same")]) == "invalid_blocks"
    options = [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "v"}]
    select = {"type": "static_select", "action_id": "s", "options": options}
    assert refused([{"type": "actions", "elements": [select]}]) == "invalid_blocks"
    client.chat_postMessage(channel=channel, text="x", blocks=[section("x" * 3000)] * 50)
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U0JAMES01", view={"type": "home", "blocks": [section("x")] * 101})
    client.views_publish(user_id="U0JAMES01", view={"type": "home", "blocks": [section("x")] * 100})
    long_title = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_open(trigger_id=sim.issue_trigger("U0JAMES01"), view=long_title)


def test_text_over_40000_characters_is_refused_by_the_api_and_cut_off_through_a_response_url(
    sim: SlackSimulator,
) -> None:
    client = make_web_client(sim.token, sim.api_url)
    with pytest.raises(SlackApiError, match="msg_too_long"):
        client.chat_postMessage(channel="U0JAMES01", text="x" * 40_001)
    client.chat_postMessage(channel="U0JAMES01", text="x" * 40_000)
    response_url = sim.issue_response_url(sim.base_url, "U0JAMES01", sim.dm_channel("U0JAMES01"))
    assert requests.post(response_url, json={"text": "y" * 50_000}, timeout=5).ok
    assert len(sim.ephemerals_for("U0JAMES01")[-1]["text"]) == 40_000


def test_a_trigger_id_works_once_within_3_seconds(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    sim.trigger_lifetime = 0.2  # Slack's is 3 s; shortened so the test does not wait for it
    late = sim.issue_trigger("U0JAMES01")
    time.sleep(0.3)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=late, view=modal)
    fresh = sim.issue_trigger("U0JAMES01")
    client.views_open(trigger_id=fresh, view=modal)
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id=fresh, view=modal)


def test_a_response_url_works_five_times_within_30_minutes() -> None:
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    sim = SlackSimulator(clock=clock).start()
    try:
        sim.add_user("U0JAMES01", "james")
        url = sim.issue_response_url(sim.base_url, "U0JAMES01", sim.dm_channel("U0JAMES01"))
        answers = [requests.post(url, json={"text": str(n)}, timeout=5).status_code for n in range(6)]
        assert answers == [200] * 5 + [404]
        later = sim.issue_response_url(sim.base_url, "U0JAMES01", sim.dm_channel("U0JAMES01"))
        clock.advance(timedelta(minutes=30, seconds=1))
        assert requests.post(later, json={"text": "late"}, timeout=5).status_code == 404
    finally:
        sim.stop()


def test_only_posting_takes_a_user_id_or_a_name_everything_else_takes_channel_ids(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    general = sim.add_channel("general", bot_member=True)
    posted = client.chat_postMessage(channel="U0JAMES01", text="a DM by user ID")
    assert posted["channel"].startswith("D")
    assert client.chat_postMessage(channel="#general", text="by name")["channel"] == general
    for call in (
        lambda: client.chat_update(channel="U0JAMES01", ts=posted["ts"], text="x"),
        lambda: client.chat_getPermalink(channel="U0JAMES01", message_ts=posted["ts"]),
        lambda: client.conversations_history(channel="U0JAMES01"),
        lambda: client.conversations_info(channel="general"),
    ):
        with pytest.raises(SlackApiError, match="channel_not_found"):
            call()
    client.chat_update(channel=posted["channel"], ts=posted["ts"], text="by the DM's ID")


def test_a_permalink_needs_a_message_and_a_private_channel_the_bot_is_in(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    secret = sim.add_channel("secret", members=["U0JAMES01"], is_private=True)
    message = sim.post(secret, "U0JAMES01", "hidden")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_getPermalink(channel=secret, message_ts=message["ts"])
    sim.channels[secret].members.add(sim.bot_user_id)
    assert client.chat_getPermalink(channel=secret, message_ts=message["ts"])["permalink"].endswith(
        message["ts"].replace(".", "")
    )
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_getPermalink(channel=secret, message_ts="1.000001")


def test_users_conversations_lists_the_bots_channels_and_info_hides_private_ones(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    mine = sim.add_channel("mine", bot_member=True)
    sim.add_channel("public-elsewhere")
    secret = sim.add_channel("secret", members=["U0JAMES01"], is_private=True)
    listed = [
        c["id"] for page in client.users_conversations(types="public_channel,private_channel") for c in page["channels"]
    ]
    assert listed == [mine]
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_info(channel=secret)
    sim.channels[secret].members.add(sim.bot_user_id)
    assert client.conversations_info(channel=secret)["channel"]["is_private"] is True


@pytest.mark.slow
def test_socket_mode_takes_the_app_token_and_speaks_slacks_protocol(sim: SlackSimulator) -> None:
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        make_web_client(sim.token, sim.api_url).apps_connections_open(app_token=sim.token)
    app = make_web_client("", sim.api_url)
    url = app.apps_connections_open(app_token=sim.app_token)["url"]
    link = sim.socket_link
    with connect(url, proxy=None) as first:
        assert json.loads(first.recv(timeout=5))["type"] == "hello"
        with connect(url, proxy=None) as reused:
            with pytest.raises(ConnectionClosed):
                reused.recv(timeout=5)
            assert reused.close_code == 1008, "a URL works once"

        answered = threading.Thread(target=lambda: _ack_next(first, {"text": "ok"}))
        answered.start()
        envelope = link.deliver("slash_commands", {"command": "/fulfillment"})
        answered.join()
        assert envelope.ack == {"text": "ok"} and envelope.ack_seconds is not None

        assert link.deliver("events_api", {"type": "event_callback"}).ack is None, "no ack within 3 s"

        link.disconnect()
        notice = json.loads(first.recv(timeout=5))
        while "envelope_id" in notice:  # the unacknowledged envelope above
            notice = json.loads(first.recv(timeout=5))
        assert notice["type"] == "disconnect" and notice["reason"] == "refresh_requested"
        pending = threading.Thread(target=lambda: link.deliver("events_api", {"type": "event_callback"}))
        pending.start()
        time.sleep(0.3)  # a real wait: the envelope must not go to the connection told to leave
        with connect(app.apps_connections_open(app_token=sim.app_token)["url"], proxy=None) as second:
            assert json.loads(second.recv(timeout=5))["type"] == "hello"
            waited = _ack_next(second, None)
            pending.join()
            assert waited["type"] == "events_api" and waited["retry_attempt"] == 0
            with pytest.raises(ConnectionClosed):
                first.recv(timeout=5)
    [late] = [e for e in link.envelopes.values() if e.envelope_id == waited["envelope_id"]]
    assert late.ack_seconds is not None and late.ack_seconds >= 0.3, "counted from when it was due"


def _ack_next(connection: ClientConnection, payload: dict[str, object] | None) -> dict[str, object]:
    envelope = json.loads(connection.recv(timeout=5))
    connection.send(json.dumps({"envelope_id": envelope["envelope_id"], **({"payload": payload} if payload else {})}))
    return dict(envelope)


@pytest.mark.slow
def test_the_driver_redelivers_an_event_only_when_answered_late_or_not_2xx(sim: SlackSimulator) -> None:
    answers = [500, "slow", 200, 200]
    seen: list[str | None] = []

    class Bot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers.get("X-Slack-Retry-Num"))
            answer = answers.pop(0)
            if answer == "slow":
                time.sleep(DEADLINE + 0.5)
                answer = 200
            self.send_response(int(answer))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        driver = SlackDriver(sim, f"http://127.0.0.1:{server.server_port}", "secret")
        assert driver.send_event({"type": "app_mention", "text": "hi"}).status_code == 200
        assert seen == [None, "1", "2"] and driver.retried == ["http_error", "http_timeout"]
        driver.send_event({"type": "app_mention", "text": "again"})
        assert seen[-1] is None and len(seen) == 4, "a timely 200 is never delivered again"
    finally:
        server.shutdown()


def test_conversations_create_keeps_slacks_name_rules_and_invite_and_archive_theirs(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    sim.add_channel("general")
    for name, error in (
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Inc-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("--", "invalid_name_punctuation"),
        ("general", "name_taken"),
    ):
        with pytest.raises(SlackApiError, match=error):
            client.conversations_create(name=name)
    room = client.conversations_create(name="inc-1-checkout")["channel"]
    assert room["id"].startswith("C") and room["is_member"], "the creator is in it"
    with pytest.raises(SlackApiError, match="name_taken"):
        client.conversations_create(name="inc-1-checkout")
    for users, error in (("U0NOBODY1", "user_not_found"), (sim.bot_user_id, "cant_invite_self")):
        with pytest.raises(SlackApiError, match=error):
            client.conversations_invite(channel=room["id"], users=users)
    client.conversations_invite(channel=room["id"], users="U0JAMES01,U0ALICE01")
    with pytest.raises(SlackApiError, match="already_in_channel"):
        client.conversations_invite(channel=room["id"], users="U0JAMES01")
    client.conversations_archive(channel=room["id"])
    for call in (
        lambda: client.conversations_archive(channel=room["id"]),
        lambda: client.chat_postMessage(channel=room["id"], text="too late"),
        lambda: client.conversations_invite(channel=room["id"], users="U0BOB0001"),
    ):
        with pytest.raises(SlackApiError, match=r"already_archived|is_archived"):
            call()
    with pytest.raises(SlackApiError, match="name_taken"):
        client.conversations_create(name="inc-1-checkout"), "archived names stay taken"


def test_usergroups_users_update_replaces_the_members_of_a_known_group(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    group = sim.add_usergroup("fulfillment-oncall", ["U0JAMES01"])
    client.usergroups_users_update(usergroup=group, users="U0ALICE01")
    assert client.usergroups_users_list(usergroup=group)["users"] == ["U0ALICE01"]
    for usergroup, users, error in (
        ("S0NOPE", "U0ALICE01", "no_such_subteam"),
        (group, "U0NOBODY1", "invalid_users"),
        (group, "", "no_users_provided"),
    ):
        with pytest.raises(SlackApiError, match=error):
            client.usergroups_users_update(usergroup=usergroup, users=users)


def test_the_upload_flow_needs_its_three_steps_and_the_declared_length(sim: SlackSimulator) -> None:
    client = make_web_client(sim.token, sim.api_url)
    image = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    dm = client.conversations_open(users="U0JAMES01")["channel"]["id"]
    client.files_upload_v2(
        channel=dm, file=image, filename="chart.png", title="Chart", alt_txt="a chart", initial_comment="the text"
    )
    [shared] = sim.files_in("U0JAMES01")
    assert (shared["mimetype"], shared["data"], shared["alt_txt"]) == ("image/png", image, "a chart")
    assert sim.dms("U0JAMES01")[-1]["text"] == "the text"
    step1 = client.files_getUploadURLExternal(filename="x.bin", length=5)
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": step1["file_id"], "title": "x"}], channel_id=dm)
    assert requests.post(step1["upload_url"], data=b"1234", timeout=5).status_code == 400, "shorter than declared"
    assert requests.post(step1["upload_url"], data=b"12345", timeout=5).status_code == 200
    client.files_completeUploadExternal(files=[{"id": step1["file_id"], "title": "x"}], channel_id=dm)
    assert sim.files_in("U0JAMES01")[-1]["mimetype"] == "application/octet-stream", "not a PNG"
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.files_getUploadURLExternal(filename="x.png", length=0)
