"""What every command shares: the error boundary, the store, consoles, options."""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

try:  # Typer >= 0.22 carries its own copy of Click
    from typer._click import exceptions as click_exceptions
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older Typer on plain Click
    from click import exceptions as click_exceptions
    from click import get_current_context

from ..errors import IprError, OutputError, ValidationError


@dataclass
class State:
    db: str | None = None
    debug: bool = False


def state() -> State:
    ctx = get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = State(debug=debug_env())
    return root.obj


def debug_env() -> bool:
    return os.environ.get("IPR_DEBUG", "").strip() not in ("", "0", "false", "no")


def err_console():
    from ..writers import MessageConsole

    return MessageConsole(stderr=True, highlight=False, soft_wrap=True)


def print_error(exc: IprError) -> None:
    """The one place user-facing errors are printed: ``Error: …`` plus a hint, on stderr.

    Markup in the text is escaped and control characters are made visible (the
    console does that for every message), so a header or a file name cannot move the
    cursor, set the clipboard or type into the shell.
    """
    from rich.markup import escape

    console = err_console()
    console.print(f"[bold red]Error:[/] {escape(sentence(exc.message))}")
    if isinstance(exc, ValidationError):
        for problem in exc.problems:
            console.print(f"  - {escape(problem)}")
    if exc.hint:
        console.print(f"[dim]{escape(sentence(exc.hint))}[/]")


def sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop.

    A message that begins with a path or a file name (``data/nosuch.csv: …``) keeps it
    as typed: ``Data/nosuch.csv`` names another file.
    """
    text = text.strip()
    if not text:
        return text
    first = text.split(None, 1)[0].rstrip(":,;")
    if first.isalpha() and not os.path.exists(first):
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?:)'\"" else text + "."


class IprGroup(TyperGroup):
    """A Typer group that maps ipr's errors to the SPEC's exit codes, once, for every command."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[override]
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click_exceptions.ClickException as exc:
            _escape_click_message(exc)
            raise

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            result = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()  # here, so that a full disk is reported, not lost at exit
            return result
        except typer.Exit:
            raise
        except (typer.Abort, click_exceptions.ClickException) as exc:
            if isinstance(exc, click_exceptions.ClickException):
                _escape_click_message(exc)
            raise
        except KeyboardInterrupt:
            err_console().print("Interrupted; nothing was half-written.")
            raise typer.Exit(130) from None
        except IprError as exc:
            if isinstance(exc, OutputError):
                silence_stdout()  # what is still buffered cannot be written either
            print_error(exc)
            if _debug(ctx):
                traceback.print_exc(file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            # The reader of our output went away (`ipr ... | head`): not an error.
            silence_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:  # a bug: say so, trace only on request
            from rich.markup import escape

            err_console().print(
                f"[bold red]Internal error:[/] {type(exc).__name__}: {escape(str(exc))}. This is a bug in ipr; "
                "run again with --debug (or IPR_DEBUG=1) for the traceback and report it.",
                markup=True,
                highlight=False,
            )
            if _debug(ctx):
                traceback.print_exc(file=sys.stderr)
            raise typer.Exit(4) from None


def _escape_click_message(exc: Exception) -> None:
    """Click's own messages (an unknown option, a bad value) quote what was typed."""
    from ..display import printable

    message = getattr(exc, "message", None)
    if isinstance(message, str):
        exc.message = printable(message, keep_newlines=True)  # type: ignore[attr-defined]


def silence_stdout() -> None:
    """Point standard output at /dev/null: the reader is gone (closed pipe) or the disk
    is full, and the interpreter's last flush must not fail again with a traceback."""
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _debug(ctx: typer.Context) -> bool:
    root = ctx.find_root()
    return bool(root.obj and root.obj.debug) or debug_env()


def new_app(help: str, *, add_completion: bool = False, **kwargs: Any) -> typer.Typer:
    return typer.Typer(
        help=help,
        cls=IprGroup,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        add_completion=add_completion,
        context_settings={"help_option_names": ["-h", "--help"]},
        **kwargs,
    )


def open_store(*, create: bool = False):
    """Open the store chosen by --db / IPR_DB / the default; read commands never create it."""
    from ..store import Store, adopt_legacy_store, resolve_path

    if not state().db and not os.environ.get("IPR_DB"):
        notice = adopt_legacy_store()
        if notice:
            err_console().print(notice, markup=False, highlight=False)
    return Store.open(resolve_path(state().db), create=create)


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


# Metavars people read in --help (Typer would show Python types: <str>, <list[str]>).
_METAVARS = {
    "format": "FORMAT", "output": "PATH", "fail-on": "VERDICT", "encoding": "ENCODING", "status": "STATUS",
    "holder": "NAME", "recordation": "ID", "run": "RUN", "verdict": "VERDICT", "importer": "IMPORTER",
    "origin": "CC", "jurisdiction": "CODE", "hit": "HIT", "until": "DATE", "since": "DATE",
    "valid-from": "DATE", "valid-until": "DATE", "currency": "CCY", "min-unit-value": "AMOUNT",
    "header-row": "N", "hs": "CODE",
}


def readable_metavars(app: typer.Typer) -> None:
    """Give every option and argument of ``app`` (and its groups) a plain metavar."""
    import inspect

    from typer.models import ArgumentInfo, OptionInfo

    for info in app.registered_commands:
        if info.cls is None or info.cls is TyperCommand:
            info.cls = IprCommand
        _fix_callback(info.callback, inspect, ArgumentInfo, OptionInfo)
    if app.registered_callback is not None:
        _fix_callback(app.registered_callback.callback, inspect, ArgumentInfo, OptionInfo)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            readable_metavars(group.typer_instance)


def _fix_callback(callback, inspect, ArgumentInfo, OptionInfo) -> None:
    if callback is None:
        return
    for name, param in inspect.signature(callback).parameters.items():
        info = param.default
        if not isinstance(info, (ArgumentInfo, OptionInfo)) or info.metavar:
            continue
        annotation = str(param.annotation)
        if "bool" in annotation:
            continue
        if isinstance(info, ArgumentInfo):
            label = name.upper().rstrip("S") if "List" in annotation else name.upper()
            info.metavar = label
            continue
        longs = [d for d in info.param_decls if d.startswith("--")]
        key = longs[0][2:] if longs else name
        info.metavar = _METAVARS.get(key) or ("N" if "int" in annotation else "TEXT")


def _argument_name(param) -> str:
    name = param.metavar or (param.name or "").upper()
    return name + "..." if param.nargs != 1 else name


class IprCommand(TyperCommand):
    """Arguments shown as ``FILE...`` in usage and help, not ``{files}...`` or ``<list[str]>``."""

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: typer.Context, formatter: Any) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((_argument_name(param), record[1]))
            else:
                opts.append(record)
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)


BOM_HELP = "Begin CSV with a UTF-8 byte order mark, so spreadsheets read it as UTF-8 (default: on for a file, off for stdout)."


def write_bom(out, fmt: str, bom: bool | None, output: str | None) -> None:
    """Start CSV output with a UTF-8 BOM: by default when it goes to a file (a
    spreadsheet opens it), not on standard output (a pipe or another program reads it)."""
    if fmt == "csv" and (bom if bom is not None else output not in (None, "-")):
        out.write("\ufeff")
