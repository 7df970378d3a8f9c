"""What the bot says about itself."""


def dm_help(commands: list[str]) -> str:
    listed = ", ".join(f"`{c}`" for c in commands)
    return (
        "Hi! I don't read DMs, but here is what I can do: I track questions in the questions channel, run "
        f"standups, post status alerts and page people during incidents. Try {listed} (each with `help`), "
        "or open my *Home* tab to see what concerns you."
    )


def introduction(commands: list[str]) -> str:
    listed = ", ".join(f"`{c}`" for c in commands)
    return (
        "Hi! I'm fulfillbot. I keep track of questions until they get a :white_check_mark:, run standups, "
        f"post status alerts and page people during incidents. Try {listed} (each with `help`)."
    )
