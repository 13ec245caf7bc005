"""Options that several commands share, defined once: ``--format`` and ``--output``
(:func:`output_options`), and the recordation fields of ``add`` and ``update``
(:func:`grouped_options`).

A command declares where a shared option goes in its signature with a placeholder
(``fmt: str = FORMAT``, ``output: Optional[str] = OUTPUT``); the decorator puts the
real Typer option there, so the options keep their order in ``--help``.
"""

from __future__ import annotations

import functools
import inspect
import os
from typing import Any, Callable, Optional

import typer


class _Slot:
    """Where a shared option goes in a command's signature."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name} option>"


FORMAT: Any = _Slot("--format")
OUTPUT: Any = _Slot("--output")

OUTPUT_HELP = "Write here (atomically) instead of stdout."


def formats_help(formats: tuple[str, ...]) -> str:
    """``table, json, jsonl or csv.``"""
    return (", ".join(formats[:-1]) + " or " + formats[-1] if len(formats) > 1 else formats[0]) + "."


def output_options(
    formats: tuple[str, ...],
    *,
    default: Optional[str] = None,
    help: Optional[str] = None,
    env: Optional[str] = None,
    output: bool = False,
    output_help: str = OUTPUT_HELP,
) -> Callable:
    """``--format/-f`` (one of ``formats``, checked here, once, with one message) and,
    with ``output``, ``--output/-o PATH``.

    ``default``: the format without ``--format`` (the first of ``formats`` unless
    given); ``env``: an environment variable that sets another default (checked like
    the option).  The command receives the format in lower case.
    """
    chosen = default or formats[0]

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        options = {"fmt": typer.Option(None if env else chosen, "--format", "-f", help=help or formats_help(formats))}
        types: dict[str, Any] = {"fmt": Optional[str] if env else str}
        if output:
            options["output"] = typer.Option(None, "--output", "-o", help=output_help)
            types["output"] = Optional[str]
        params = []
        for param in signature.parameters.values():
            if param.name in options:
                param = param.replace(default=options.pop(param.name), annotation=types[param.name])
            params.append(param)
        params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=types[name])
                   for name, info in options.items()]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.get("fmt")
            if value is None and env:
                value = os.environ.get(env) or chosen
            kwargs["fmt"] = choose_format(value if value is not None else chosen, formats)
            return command(*args, **kwargs)

        return _with_parameters(run, signature, params)

    return decorate


def _with_parameters(run: Callable, signature: inspect.Signature, params: list) -> Callable:
    """``run`` showing Typer the parameters ``params`` (its signature and annotations)."""
    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not inspect.Parameter.empty}
    return run


def choose_format(value: str, allowed: tuple[str, ...]) -> str:
    """``value`` in lower case when it is one of ``allowed``; else a usage error (exit 2)."""
    from ..writers import check_format

    return check_format(value, allowed)


def grouped_options(name: str, options: dict[str, Any]) -> Callable:
    """Put the Typer options ``options`` (parameter name → ``typer.Option``, all
    ``Optional[str]``) in place of the command's parameter ``name``, which receives the
    ones given as a dict: commands that take the same options (``recordation add`` and
    ``update``) define them once."""

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        params = []
        for param in signature.parameters.values():
            if param.name == name:
                params += [inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=info,
                                             annotation=Optional[str]) for key, info in options.items()]
            else:
                params.append(param)

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            given = {key: kwargs.pop(key) for key in options if key in kwargs}
            kwargs[name] = {key: value for key, value in given.items() if value is not None}
            return command(*args, **kwargs)

        return _with_parameters(run, signature, params)

    return decorate
