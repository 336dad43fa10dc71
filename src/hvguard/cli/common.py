"""Glue every command shares: resolve the source, run the analysis, write the report, gate the exit."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import click

from hvguard.cli.boundary import hold_until_exit
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
    """The one ClusterState for this run, from whichever source the user named (held until the process exits)."""
    state = _load_state(bundle, kubeconfig, context, snapshot)
    hold_until_exit(state)
    return state


def _load_state(
    bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None
) -> ClusterState:
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
    # No --bundle/--snapshot: a live cluster, found like kubectl finds it. Its types arrive as their LISTs
    # end, so the analysis can start before the biggest are in.
    from hvguard.kube.client import connect
    from hvguard.sources.live import start_live

    kube = connect(kubeconfig, context)
    try:
        return start_live(kube, context=context, when_read=kube.close)
    except BaseException:
        kube.close()
        raise


Renderer = Callable[[dict[str, Any], str, TextIO], None]


LIVE_LOG_WINDOW_HOURS = 24


def load_log_groups(
    bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None, enabled: bool
) -> tuple[Any, ...]:
    """Known log signatures matched in the source's Longhorn logs; a snapshot holds no logs."""
    if not enabled or snapshot:
        return ()
    if bundle:
        from hvguard.logs.bundle_logs import read_bundle

        return read_bundle(bundle).groups
    from datetime import timedelta

    from hvguard.kube.client import connect
    from hvguard.logs.live_logs import read_live

    kube = connect(kubeconfig, context)
    try:
        return read_live(kube, timedelta(hours=LIVE_LOG_WINDOW_HOURS), context=context).groups
    finally:
        kube.close()


def load_state_and_logs(
    bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None, scan_logs: bool
) -> tuple[ClusterState, Callable[[], tuple[Any, ...]]]:
    """``load_state``, and ``load_log_groups`` as a callable that returns its groups.

    From a live cluster the log scan runs in a thread of its own, beside the LISTs, and the callable waits
    for it: its requests (a log per Longhorn container) mostly wait on the API server, and the
    analysis only needs the groups once its graph is built.
    """
    state = load_state(bundle, kubeconfig, context, snapshot)  # first: it connects, and fails fast
    if not scan_logs or bundle or snapshot:
        groups = load_log_groups(bundle, kubeconfig, context, snapshot, scan_logs)
        return state, lambda: groups
    from concurrent.futures import ThreadPoolExecutor

    scanning = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hvguard-logs")
    scan = scanning.submit(load_log_groups, bundle, kubeconfig, context, snapshot, scan_logs)
    scanning.shutdown(wait=False)
    return state, scan.result


def emit(document: dict[str, Any], fmt: str, output: Path | None, renderer: Renderer | None = None) -> None:
    """Render a document to stdout, or atomically to ``output`` (never a half-written file)."""
    if renderer is None:
        from hvguard.reports.render import render

        renderer = render
    if output:
        from hvguard.atomic import atomic_write

        with atomic_write(output) as handle:
            renderer(document, fmt, cast(TextIO, handle))
        click.echo(f"written to {output}", err=True)
    else:
        renderer(document, fmt, sys.stdout)


def gate(verdict: str, fail_on: str) -> ExitCode:
    return ExitCode.FINDINGS if verdict in _GATES[fail_on] else ExitCode.OK
