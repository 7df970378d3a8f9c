"""What a group's message shows of a tool's text and links: inert, and links only as http(s) URLs
behind the bot's own labels."""

from handlers.alerts import messages
from handlers.alerts.models import Alert, AlertGroup


def test_a_tools_text_mentions_nobody_and_cannot_disguise_a_link() -> None:
    alert = Alert(
        labels={"alertname": "<!channel> CPU"},
        summary="<!here> see <https://evil.example|https://trusted.example> & <@U0ADMIN01>",
        links={
            "generator": "javascript:alert(1)",
            "runbook": "https://runbooks.example.com/x|y>",
            "dashboard": "https://ok.example/d?a=1&b=2",
        },
    )
    line = messages.alert_line(alert)
    assert line == (
        "• &lt;!here&gt; see &lt;https://evil.example|https://trusted.example&gt; &amp; &lt;@U0ADMIN01&gt; "
        "(<https://ok.example/d?a=1&amp;b=2|dashboard>)"
    )
    group = AlertGroup(id=1, labels={"alertname": "<!channel> CPU", "service": "*bold*"}, service="*bold*")
    assert messages.title(group) == "&lt;!channel&gt; CPU · *bold*"
