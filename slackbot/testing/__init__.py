"""The local Slack workspace simulator, the driver that signs requests like Slack, fakes for GitLab
and PagerDuty, and a harness that wires them to a bot. Used by the tests and by ``fulfillbot demo``."""
