"""``hvguard recover``: a plan per lost backing image, and --apply to carry out the picked options.

Everything heavier than click is imported inside the command, so ``hvguard --help`` stays instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hvguard.cli.apply import apply_options, plan_output_options, plan_then_apply
from hvguard.cli.common import load_state
from hvguard.cli.options import source_options

if TYPE_CHECKING:
    from hvguard.actions.plan import Step
    from hvguard.state.cluster import ClusterState

Guard = Callable[["Step"], None]


@click.command()
@source_options
@click.option("--against", type=click.Path(path_type=Path, dir_okay=False), metavar="SNAPSHOT",
              help="Snapshot taken before the upgrade: names the disks that held each image (for readopt-orphan).")
@click.option("--readopt-orphans", is_flag=True,
              help="Pick readopt-orphan where disks are known (only after checking on the hosts that the files exist).")
@apply_options
@plan_output_options
def recover(bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None,
            against: Path | None, readopt_orphans: bool, apply_: bool, yes: bool, journal: Path | None,
            step_timeout: float, fmt: str, output: Path | None) -> int:
    """Plan (and with --apply perform) the recovery of lost VM images.

    For every backing image with no ready copy and none being re-created, lists the ways back,
    best first, each with the exact object changes and the kubectl commands to do it by hand:
    readopt-orphan (a disk may still hold the file), redownload (download images, Longhorn KB),
    restore-backup (a matching BackupBackingImage), restore-vm-backup (Harvester VM backups) and
    manual. Without --apply nothing is written. --apply (live clusters only) never deletes a
    BackingImage, VirtualMachineImage or volume; a rerun recomputes the plan and skips what is done.

    \b
    Exit codes: 0 ok, 2 usage or input error, 3 cluster unreachable, 4 --apply stopped (see the journal).
    """
    from hvguard.actions.recover import plan_recover
    from hvguard.analysis.graph import build

    state = load_state(bundle, kubeconfig, context, snapshot)
    baseline = _load_baseline(against) if against else None
    plan = plan_recover(state, build(state), baseline, readopt=readopt_orphans)
    with _unchanged_since_planning(kubeconfig, context) as guards:
        return plan_then_apply(plan, fmt=fmt, output=output, apply_=apply_, yes=yes, journal=journal,
                               step_timeout=step_timeout, kubeconfig=kubeconfig, context=context,
                               live=not (bundle or snapshot), local_actions=guards)


def _load_baseline(path: Path) -> ClusterState:
    from hvguard.sources.snapshot import load_snapshot

    return load_snapshot(path)


@contextmanager
def _unchanged_since_planning(kubeconfig: Path | None, context: str | None) -> Iterator[dict[str, Guard]]:
    """Guards run before each step that clears an image's disk map: the image is read again, and if
    Longhorn has made or started a copy since the plan was computed (minutes may pass at the prompt),
    the run stops, because clearing the map now would make Longhorn delete that copy."""
    from hvguard.actions.recover import MAP_CLEARING, recovering
    from hvguard.errors import ApplyStopped
    from hvguard.kube.client import Kube, connect
    from hvguard.kube.writer import KubeWriter, api_path
    from hvguard.state import kinds as k

    opened: list[Kube] = []

    def guard(step: Step) -> None:
        if not opened:
            opened.append(connect(kubeconfig, context))
        target = step.target
        current = KubeWriter(opened[0]).get(api_path(target.api_version, k.BACKING_IMAGES.plural, target.name,
                                                     target.namespace))
        if current is not None and recovering(current):
            raise ApplyStopped(f"{step.action} {target}: the image has a ready copy or one being made since the plan "
                               "was computed; stopped before touching it",
                               hint="rerun hvguard recover to recompute the plan from the current state")

    try:
        yield {action: guard for action in MAP_CLEARING}
    finally:
        for kube in opened:
            kube.close()
