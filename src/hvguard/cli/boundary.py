"""The single place that turns exceptions into one-line messages and exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable

import click

from hvguard.cli.exit_codes import ExitCode
from hvguard.errors import ApplyStopped, ClusterAccessError, HvguardError


def run(invoke: Callable[[], int | None], *, debug: bool) -> int:
    try:
        return int(invoke() or ExitCode.OK)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE
    except click.Abort:
        click.echo("hvguard: aborted", err=True)
        return ExitCode.INTERRUPTED
    except ClusterAccessError as exc:
        _error(exc, debug)
        return ExitCode.CLUSTER
    except ApplyStopped as exc:
        _error(exc, debug)
        return ExitCode.APPLY_STOPPED
    except HvguardError as exc:
        _error(exc, debug)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        click.echo("hvguard: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing useful is left to say.
        sys.stderr.close()
        return ExitCode.OK
    except Exception as exc:  # noqa: BLE001 - last resort: never show a traceback by default
        if debug:
            traceback.print_exc()
        click.echo(f"hvguard: internal error: {type(exc).__name__}: {exc}", err=True)
        if not debug:
            click.echo("hint: rerun with --debug for the traceback, and please report it", err=True)
        return ExitCode.INTERNAL


def _error(exc: HvguardError, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    click.echo(f"hvguard: error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)


# What a command holds until the process ends (see ``hold_until_exit``); a list only once ``main`` said so.
_held: list[object] | None = None


def hold_from_now() -> None:
    """Make ``hold_until_exit`` hold: the process will end with ``exit_now``."""
    global _held
    _held = []


def hold_until_exit(*objects: object) -> None:
    """Keep ``objects`` alive until ``exit_now`` ends the process.

    A command's cluster state is its biggest object by far; freeing it object by object when the
    command returns took a quarter of a second at 80,000 objects, for a process about to end anyway.
    Only under ``main``: commands run in process (tests) hold nothing, so nothing piles up.
    """
    if _held is not None:
        _held.extend(objects)


def exit_now(code: int) -> None:
    """End the process once its output is out, without freeing objects one by one on the way.

    Everything is written and closed by now (reports and snapshots are written atomically inside
    the command). What is left is the interpreter tearing down a large cluster's millions of
    objects, which costs a tenth of a second per few hundred MB and helps nobody.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more reaches the reader
            stream.flush()
    os._exit(code)
