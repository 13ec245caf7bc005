"""``ipr db``: where the store lives."""

from __future__ import annotations

import typer

from .common import new_app, state

app = new_app("Information about the store file.", epilog="Example: ipr db path")


@app.command("path")
def path() -> None:
    """Print the path of the store file (it may not exist yet).

    Example: ipr db path
    """
    from ..store import resolve_path

    typer.echo(str(resolve_path(state().db)))
