"""``hvguard protect``: plan (and with --apply, perform) what keeps an upgrade from destroying VM images."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hvguard.cli.apply import apply_options, plan_output_options, plan_then_apply
from hvguard.cli.common import load_state
from hvguard.cli.options import source_options

if TYPE_CHECKING:
    from hvguard.actions.plan import Step


@click.command()
@source_options
@click.option("--to", "to", metavar="VERSION", required=True, help="Target Harvester version, e.g. v1.4.0.")
@click.option("--with-vm-backups", is_flag=True,
              help="Also take Harvester backups of the VMs on images that cannot be re-fetched.")
@click.option("--snapshot-dir", type=click.Path(path_type=Path, file_okay=False, exists=True, writable=True),
              default=Path("."), show_default=True, help="Where --apply saves the pre-upgrade snapshot.")
@plan_output_options
@apply_options
def protect(bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None, to: str,
            with_vm_backups: bool, snapshot_dir: Path, fmt: str, output: Path | None, apply_: bool, yes: bool,
            journal: Path | None, step_timeout: float) -> int:
    """Protect VM images before upgrading: apply the target's CRDs safely, back up what cannot be re-fetched.

    Prints the plan; --apply performs it on a live cluster (after confirmation unless --yes). A
    rerun skips what is done; nothing is ever deleted. Bundles and snapshots give a plan only.
    """
    from hvguard.actions.protect import SNAPSHOT, plan_protect
    from hvguard.actions.protect_checks import CHECKS
    from hvguard.analysis import runner

    state = load_state(bundle, kubeconfig, context, snapshot)
    analysis = runner.run(state, target=to)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = (snapshot_dir / f"hvguard-pre-upgrade-{stamp}.zip").absolute()
    plan = plan_protect(state, analysis, snapshot_path=path, with_vm_backups=with_vm_backups)

    def take_snapshot(step: Step) -> None:
        """A fresh read: the plan's own read may be minutes old by the time --apply is confirmed."""
        from hvguard.sources.snapshot import write_snapshot

        write_snapshot(load_state(None, kubeconfig, context, None), Path(step.target.name))

    return plan_then_apply(plan, fmt=fmt, output=output, apply_=apply_, yes=yes, journal=journal,
                           step_timeout=step_timeout, kubeconfig=kubeconfig, context=context,
                           live=state.source.type == "live", local_actions={SNAPSHOT: take_snapshot}, checks=CHECKS)
