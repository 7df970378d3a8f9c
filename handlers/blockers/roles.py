"""The role blockers registers: the members of ``[blockers] usergroup`` (who may open and lift
production blockers, and press `Block` on a deploy train)."""

GROUP_ROLE = "blockers.group"
