"""Shared by commands that change the cluster (protect, recover): print the plan, confirm, apply."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hvguard.cli.common import emit
from hvguard.cli.exit_codes import ExitCode
from hvguard.cli.options import options, output_options
from hvguard.reports.plan import FORMATS as PLAN_FORMATS

if TYPE_CHECKING:
    from hvguard.actions.plan import Plan

apply_options = options(
    click.option("--apply", "apply_", is_flag=True, help="Perform the plan (live clusters only). Without it nothing is written."),
    click.option("--yes", is_flag=True, help="Do not ask for confirmation before applying."),
    click.option("--journal", type=click.Path(path_type=Path, dir_okay=False),
                 help="Journal of applied changes (default: ./hvguard-<command>-journal.jsonl); a rerun skips finished steps."),
    click.option("--step-timeout", type=float, default=900.0, show_default=True,
                 help="Seconds to wait for one step (e.g. a backup) to finish."),
)
# Plans have their own formats (no junit).
plan_output_options = output_options(PLAN_FORMATS, "plan")


def plan_then_apply(
    plan: Plan, *, fmt: str, output: Path | None, apply_: bool, yes: bool, journal: Path | None,
    step_timeout: float, kubeconfig: Path | None, context: str | None, live: bool,
    local_actions: Mapping[str, Any] | None = None, checks: Mapping[str, Any] | None = None,
) -> int:
    """Always print the plan first; apply only with --apply, on a live cluster, after confirmation."""
    from hvguard.reports import plan as plan_report

    emit(plan.as_dict(), fmt, output, plan_report.render)
    if not apply_:
        return ExitCode.OK
    if not live:
        raise click.UsageError("--apply needs a live cluster (--kubeconfig/--context); bundles and snapshots are plan-only")
    if not plan.to_apply:
        click.echo("nothing to apply", err=True)
        return ExitCode.OK
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("refusing to apply without --yes when no terminal can confirm")
        click.confirm(f"Apply {len(plan.to_apply)} step(s) to the cluster?", abort=True, err=True)

    from hvguard.actions.executor import Executor
    from hvguard.actions.journal import Journal
    from hvguard.kube.client import connect
    from hvguard.kube.writer import KubeWriter

    journal_path = journal or Path(f"hvguard-{plan.command}-journal.jsonl")
    kube = connect(kubeconfig, context, deadline=step_timeout * max(1, len(plan.to_apply)))
    try:
        executor = Executor(KubeWriter(kube), Journal(journal_path), step_timeout=step_timeout,
                            progress=lambda line: click.echo(line, err=True), local_actions=local_actions,
                            checks=checks)
        outcome = executor.run(plan)
    finally:
        kube.close()
    click.echo(f"done: {len(outcome.applied)} step(s) changed the cluster ({outcome.writes} write(s)), "
               f"{len(outcome.unchanged)} already done; journal: {journal_path}", err=True)
    return ExitCode.OK
