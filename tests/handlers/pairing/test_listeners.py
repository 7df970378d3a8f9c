"""The `/pair` listeners called as module-level functions on a running bot's context: what they
answer and record, without a request through HTTP."""

from handlers.pairing import listeners, service
from slackbot.commands import CommandCall
from slackbot.interactions import Click
from slackbot.testing.harness import TEAM, Harness

ASKER, HELPER = TEAM[0].id, TEAM[1].id


def call(user: str, text: str) -> CommandCall:
    return CommandCall("/pair", user, "C0ANY", text, trigger_id="")


def click(user: str, value: str) -> Click:
    return Click(user, "pair_claim", value, "", "", "C0ANY", "1.000100")


def test_a_request_with_a_topic_is_recorded_with_its_post_and_named_in_the_answer(harness: Harness) -> None:
    ctx = harness.bot.ctx
    answer = listeners.ask(ctx, call(ASKER, "refunds in Zuora"))
    assert answer == f"Posted in <#{ctx.channel('engineering')}>. `/pair cancel` withdraws it."
    with ctx.db.reading() as session:
        [request] = service.open_requests(session)
        assert (request.requester, request.topic) == (ASKER, "refunds in Zuora")


def test_a_claim_of_a_request_that_is_gone_is_answered_and_changes_nothing(harness: Harness) -> None:
    ctx = harness.bot.ctx
    with ctx.work() as work:
        assert listeners.on_claim(ctx, work, click(HELPER, "999")) == "That request no longer exists."
        assert listeners.on_claim(ctx, work, click(HELPER, "not-a-number")) == "That request no longer exists."
    with ctx.db.reading() as session:
        assert service.open_requests(session) == []


def test_the_first_claim_by_someone_else_takes_the_request(harness: Harness) -> None:
    ctx = harness.bot.ctx
    listeners.ask(ctx, call(ASKER, "refunds in Zuora"))
    with ctx.db.reading() as session:
        [request] = service.open_requests(session)
    with ctx.work() as work:
        assert (
            listeners.on_claim(ctx, work, click(ASKER, str(request.id)))
            == "That is your own request: someone else has to claim it."
        )
        assert listeners.on_claim(ctx, work, click(HELPER, str(request.id))) is None
    with ctx.db.reading() as session:
        assert service.open_requests(session) == []
    assert listeners.cancel(ctx, call(ASKER, "cancel")) == "You have no open pair request."
