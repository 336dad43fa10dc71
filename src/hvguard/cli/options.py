"""Options shared by commands: where the cluster state comes from, and how the report goes out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hvguard.reports.render import FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, listed in the order --help shows them."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def output_options(formats: tuple[str, ...], noun: str) -> Callable[[F], F]:
    """-o/--format and --output for a command's document (a report, a plan, a paths answer)."""
    return options(
        click.option("-o", "--format", "fmt", type=click.Choice(formats), default="table", show_default=True,
                     help=f"{noun.capitalize()} format."),
        click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
                     help=f"Write the {noun} to FILE (atomically) instead of stdout."),
    )


# --bundle / --kubeconfig / --context / --snapshot: exactly one source per run.
source_options = options(
    click.option("--bundle", type=click.Path(path_type=Path), help="Harvester support bundle (.zip or extracted folder)."),
    click.option("--kubeconfig", type=click.Path(path_type=Path), help="Kubeconfig of a live cluster (read-only access)."),
    click.option("--context", help="Kubeconfig context to use (default: the current context)."),
    click.option("--snapshot", type=click.Path(path_type=Path), help="Snapshot saved by `hvguard snapshot`."),
)
report_options = output_options(FORMATS, "report")


def fail_on_option(func: F) -> F:
    return click.option(
        "--fail-on", type=click.Choice(("block", "warn", "never")), default="block", show_default=True,
        help="Exit 1 when the verdict reaches this level (verdict 'incomplete' counts as block).",
    )(func)


def logs_option(func: F) -> F:
    return click.option(
        "--logs/--no-logs", "scan_logs", default=True, show_default=True,
        help="Also scan the Longhorn logs and events for known storage warnings (bundle: its logs; live: the last 24 h).",
    )(func)
