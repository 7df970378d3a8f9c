"""What the bot says about itself."""


def introduction(commands: list[str]) -> str:
    listed = ", ".join(f"`{c}`" for c in commands)
    return (
        "Hi! I'm fulfillbot. I keep track of questions until they get a :white_check_mark:, run standups, "
        f"post status alerts and page people during incidents. Try {listed} (each with `help`)."
    )
