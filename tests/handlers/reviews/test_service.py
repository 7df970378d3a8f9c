"""What a review request still needs, by the handbook's rules, and the Merge Request Hook read."""

import pytest

from handlers.reviews.events import merge_request_from_webhook
from handlers.reviews.models import ReviewClaim
from handlers.reviews.service import missing
from slackbot.testing.gitlab_payloads import merge_request_hook
from slackbot.webhooks import WebhookRejected


def claim(maintainer: bool = False, database: bool = False) -> ReviewClaim:
    return ReviewClaim(user="U1", maintainer=maintainer, database=database)


@pytest.mark.parametrize(
    ("kind", "claims", "needs"),
    [
        ("", [], ["a maintainer", "a reviewer"]),
        ("", [claim()], ["a maintainer"]),
        ("", [claim(maintainer=True)], ["a second reviewer"]),
        ("", [claim(), claim(maintainer=True)], []),
        ("", [claim(), claim()], ["a maintainer"]),
        ("trivial", [], ["a reviewer"]),
        ("trivial", [claim()], []),
        ("maintainer", [claim()], ["a maintainer"]),
        ("database", [], ["a database reviewer", "a maintainer"]),
        ("database", [claim(database=True, maintainer=True)], ["a second reviewer"]),
        ("ux", [], ["a reviewer"]),
    ],
)
def test_what_a_request_still_needs(kind: str, claims: list[ReviewClaim], needs: list[str]) -> None:
    assert missing(kind, claims) == needs


def test_the_merge_request_hook_is_read_and_anything_else_refused() -> None:
    event = merge_request_from_webhook(merge_request_hook("group/app", 7, "approval", user="vitaly"))
    assert (event.project, event.iid, event.action, event.state, event.user) == (
        "group/app",
        7,
        "approval",
        "opened",
        "vitaly",
    )
    broken = merge_request_hook("group/app", 7, "merge")
    del broken["object_attributes"]["iid"]
    with pytest.raises(WebhookRejected):
        merge_request_from_webhook(broken)
