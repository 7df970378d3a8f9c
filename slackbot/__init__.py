"""fulfillbot: a self-hosted Slack chatops bot for a Fulfillment engineering department."""
