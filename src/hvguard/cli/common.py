"""Glue every command shares: resolve the source, run the analysis, write the report, gate the exit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hvguard.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from hvguard.state.cluster import ClusterState

_GATES = {
    "block": {"block", "incomplete"},
    "warn": {"block", "incomplete", "warn"},
    "never": set(),
}


def load_state(
    bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None
) -> ClusterState:
    """The one ClusterState for this run, from whichever source the user named."""
    chosen = [name for name, value in (("--bundle", bundle), ("--kubeconfig/--context", kubeconfig or context),
                                       ("--snapshot", snapshot)) if value]
    if len(chosen) > 1:
        raise click.UsageError(f"give only one source, not {' and '.join(chosen)}")
    if bundle:
        from hvguard.sources.bundle import load_bundle

        return load_bundle(bundle)
    if snapshot:
        from hvguard.sources.snapshot import load_snapshot

        return load_snapshot(snapshot)
    # No --bundle/--snapshot: a live cluster, found like kubectl finds it.
    from hvguard.kube.client import connect
    from hvguard.sources.live import load_live

    kube = connect(kubeconfig, context)
    try:
        return load_live(kube, context=context)
    finally:
        kube.close()


def emit(report: dict[str, Any], fmt: str, output: Path | None) -> None:
    from hvguard.reports import render

    if output:
        from hvguard.atomic import atomic_write

        with atomic_write(output) as handle:
            render.render(report, fmt, handle)
        click.echo(f"report written to {output}", err=True)
    else:
        render.render(report, fmt, sys.stdout)


def gate(verdict: str, fail_on: str) -> ExitCode:
    return ExitCode.FINDINGS if verdict in _GATES[fail_on] else ExitCode.OK
