"""``hvguard verify --against SNAPSHOT``: what the upgrade did, as the cluster now compared with before.

Everything heavier than click is imported inside the command, so ``hvguard --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path

import click

from hvguard.cli.boundary import hold_until_exit
from hvguard.cli.common import emit, gate, load_state_and_logs
from hvguard.cli.options import fail_on_option, logs_option, report_options, source_options


@click.command()
@click.option("--against", "against", type=click.Path(path_type=Path, dir_okay=False), required=True,
              metavar="SNAPSHOT", help="Snapshot taken before the upgrade (`hvguard snapshot`).")
@source_options
@report_options
@fail_on_option
@logs_option
def verify(against: Path, bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None,
           fmt: str, output: Path | None, fail_on: str, scan_logs: bool) -> int:
    """Compare the cluster after an upgrade with the snapshot taken before it.

    Reports, as before vs after: backing images lost (telling metadata loss from data loss, and
    where orphaned files may still lie), being fetched again, degraded, gone or with a changed
    checksum; the fingerprint of the pruned Longhorn v1.6→v1.7 migration (harvester#7958); VM images
    still shown as imported, volumes that wait and VMs that no longer run, each with the image that
    blocks it; the versions; and settings the upgrade should have restored. The preflight checks
    run on the current state too, so this is a complete post-upgrade report.

    \b
    Exit codes:
      0  nothing at or above --fail-on
      1  findings at or above --fail-on (verdict 'incomplete' counts as block)
      2  bad input, including a snapshot that fails its checksums (a wrong baseline is worse than none)
      3  the cluster is unreachable
    """
    from hvguard.analysis import runner
    from hvguard.reports import model
    from hvguard.sources.snapshot import load_snapshot

    baseline = load_snapshot(against)  # first: a refused baseline must not cost a cluster read
    state, logs = load_state_and_logs(bundle, kubeconfig, context, snapshot, scan_logs)
    report = model.build(state, runner.run(state, baseline=baseline, log_groups=logs), command="verify")
    hold_until_exit(baseline, report)  # (the state is held already)
    emit(report, fmt, output)
    return gate(report["verdict"], fail_on)
