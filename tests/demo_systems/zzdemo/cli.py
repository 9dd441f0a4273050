"""``paperzoo zzdemo``: the demo's one command."""

import typer

app = typer.Typer(help="Demo system.", no_args_is_help=True)


@app.command()
def double(x: float) -> None:
    """Print 2x."""
    print(2 * x)


@app.command()
def version() -> None:
    """Print the demo's version."""
    print("0")
