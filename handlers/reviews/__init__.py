"""``/review``: review requests claimed with `I'll review`, the claimer set as reviewer on the merge
request, GitLab's Merge Request Hook telling approvals, merges and closes, and one nudge."""

from handlers.reviews import jobs, listeners, senders
from handlers.reviews.config import ReviewsSection
from slackbot.capability import Capability, Command
from slackbot.context import BotContext

HOME_ORDER = 45


def register(ctx: BotContext) -> None:
    listeners.register(ctx)
    senders.register(ctx)
    jobs.register(ctx)
    ctx.home.add(HOME_ORDER, listeners.home)


CAPABILITY = Capability(
    name="reviews",
    register=register,
    sections=(ReviewsSection,),
    commands=(Command("/review", "review requests for merge requests"),),
)
