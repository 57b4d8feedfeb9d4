"""The ``lbconvert`` command line: ``convert``, ``inspect``, ``formats``, ``to-labelbox``
and ``preview``.

Exit codes: 0 success; 1 bad input or options (one line on stderr naming the
file and line); 2 usage error (argparse); 3 ``--strict`` and something was
dropped for a reason not given to ``--allow`` (nothing is written); 4 the
run wrote nothing useful (no item, or every object dropped) and
``--allow-empty`` was not given (the empty dataset is at ``OUT``); 130 interrupted.
A closed stdout (``lbconvert … | head -1``) does not fail a command.

Every error is ONE line on stderr, ``lbconvert: error: …``: line breaks inside
a message (a parser's caret diagram, a key with a newline) become `` / ``
and other control characters are escaped, so that a hostile export cannot
spread a message over lines or send terminal escapes.  Anything that is not
an :class:`~lbconvert.errors.LbConvertError` or an ``OSError`` is a bug: one
line naming the exception, the record being converted (``FILE:LINE`` or
``FILE[INDEX]``, and the data row) and asking for a bug report, exit 1.
``--debug`` prints the traceback as well.

The package: :mod:`~lbconvert.cli.arguments` declares the arguments,
:mod:`~lbconvert.cli.commands` runs the subcommands and
:mod:`~lbconvert.cli.output` holds what they print; this module builds the
parser and turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Optional, Sequence

from .. import __version__
from ..errors import LbConvertError, one_line
from ..options import cli_spelling
from .arguments import (
    CONVERT_EXAMPLES,
    FORMATS_EXAMPLES,
    INSPECT_EXAMPLES,
    HelpFormatter,
    add_common_arguments,
    add_convert_arguments,
    add_to_labelbox_parser,
)
from .arguments import parse_size as parse_size
from .commands import DASK_CONNECT_TIMEOUT as DASK_CONNECT_TIMEOUT
from .commands import run_convert, run_formats, run_inspect, run_to_labelbox
from .output import Progress as Progress
from .output import stdout_to_devnull

__all__ = ["main", "one_line", "parse_size"]

BUG_REPORT = "this is a bug in lbconvert: please report it with this line"


def build_parser() -> argparse.ArgumentParser:
    """The ``lbconvert`` parser: each subcommand's parser names its function as ``run``."""
    parser = argparse.ArgumentParser(
        prog="lbconvert",
        description="Convert Labelbox exports into training datasets, offline.",
        epilog="run `lbconvert COMMAND --help` for a command's options and examples",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lbconvert {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    inspect = commands.add_parser(
        "inspect",
        help="count what an export holds",
        formatter_class=HelpFormatter,
        description="Stream an export and count rows, labels, objects per kind and per "
        "class, media, projects and model runs.",
        epilog=INSPECT_EXAMPLES,
    )
    inspect.add_argument("export", help="export file (NDJSON, JSON array or legacy JSON; gz ok)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_common_arguments(inspect)
    inspect.set_defaults(run=run_inspect)
    convert_parser = commands.add_parser(
        "convert",
        help="write a dataset",
        formatter_class=HelpFormatter,
        description="Convert an export into a dataset at OUT; print what was written and "
        "what was dropped, and why.",
        epilog=CONVERT_EXAMPLES,
    )
    add_convert_arguments(convert_parser)
    convert_parser.set_defaults(run=run_convert)
    formats = commands.add_parser(
        "formats",
        help="list the output formats and their options",
        formatter_class=HelpFormatter,
        description="List every registered writer (built-in and from the lbconvert.writers "
        "entry points) with its description and --writer-option keys.",
        epilog=FORMATS_EXAMPLES,
    )
    formats.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error too",
    )
    formats.set_defaults(run=run_formats)
    add_to_labelbox_parser(commands).set_defaults(run=run_to_labelbox)
    from ..preview.command import add_preview_command

    add_preview_command(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        with cli_spelling():
            return int(args.run(args))
    except BrokenPipeError:  # stdout closed early: what was asked for was done
        stdout_to_devnull()
        return 0
    except KeyboardInterrupt:
        return 130
    except (LbConvertError, OSError) as exc:
        _fail(f"lbconvert: error: {_described(exc)}", debug)
        return 1
    except Exception as exc:  # the last resort: a bug, reported on one line
        _fail(_bug_line(exc), debug)
        return 1


def _described(exc: Exception) -> str:
    """``PATH: what the system said`` for a file system error (not ``[Errno 21] …``)."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        names = [exc.filename, exc.filename2] if exc.filename2 is not None else [exc.filename]
        shown = [str(n) if isinstance(n, int) else os.fsdecode(n) for n in names]  # int: an fd
        return f"{' -> '.join(shown)}: {exc.strerror}"
    return str(exc)


def _fail(message: str, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    sys.stderr.write(one_line(message) + "\n")
    sys.stderr.flush()


def _bug_line(exc: Exception) -> str:
    where = getattr(exc, "lbconvert_position", None)
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if len(text) > 300:
        text = text[:300] + "…"
    place = f" while converting {where}" if where else ""
    return f"lbconvert: internal error{place}: {text} ({BUG_REPORT}; --debug shows the traceback)"
