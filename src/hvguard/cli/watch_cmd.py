"""``hvguard watch``: follow an upgrade live and raise the alarm the moment VM images start to vanish.

Everything heavier than click is imported inside the command, so ``hvguard --help`` stays instant.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hvguard.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from hvguard.watch.outputs import Output

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "": 1}
# Connections kept for log streams, one per longhorn-manager pod (one per node); more only cost a
# warning from the connection pool.
_LOG_STREAMS = 64


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """``90s``, ``30m``, ``1h30m`` or a number of seconds; always positive."""
    text = str(value).strip().lower()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 90s, 30m, 1h30m)", ctx, param)
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise click.BadParameter(f"{value!r} must be longer than zero", ctx, param)
    return seconds


@click.command()
@click.option("--kubeconfig", type=click.Path(path_type=Path), help="Kubeconfig of the cluster (read-only access).")
@click.option("--context", help="Kubeconfig context to use (default: the current context).")
@click.option("--against", type=click.Path(path_type=Path, dir_okay=False), metavar="SNAPSHOT",
              help="Snapshot taken before the upgrade (`hvguard snapshot`): compare with it continuously.")
@click.option("--webhook", metavar="URL", help="POST every alert as JSON to URL (background, with retries).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), metavar="N",
              help="Serve Prometheus metrics on port N (0: any free port, printed on stderr).")
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines on stdout: one object per alert and per phase change.")
@click.option("--until-complete", is_flag=True,
              help="Exit when the upgrade finishes: 0 if it succeeded with no critical alert, else 1.")
@click.option("--stall-after", callback=_duration, default="45m", show_default=True, metavar="DURATION",
              help="Warn when the upgrade makes no progress for this long (e.g. 90s, 30m, 1h).")
@click.option("--no-logs", is_flag=True, help="Do not follow the longhorn-manager logs (no pods/log requests).")
def watch(kubeconfig: Path | None, context: str | None, against: Path | None, webhook: str | None,
          metrics_port: int | None, as_json: bool, until_complete: bool, stall_after: float, no_logs: bool) -> int:
    """Follow an upgrade live and raise the alarm the moment VM images start to vanish.

    Watches the Harvester Upgrade, Longhorn backing images and their managers, volumes, Longhorn
    nodes and settings, the backingimages.longhorn.io CRD and the longhorn-manager pods (one WATCH
    each; no polling; lost streams resume, expired ones relist; API errors are retried, never
    fatal), and follows the log of every longhorn-manager pod (unless --no-logs). Alerts:
    watch/disk-map-emptied, watch/ready-copies-dropped, watch/migration-before-crd,
    watch/manager-crashloop, watch/upgrade-stalled, watch/volume-waiting-for-backing-image,
    watch/log-signature, watch/upgrade-finished. In harvester#7958 the first sign is the manager's
    warning that the API server pruned spec.diskFileSpecMap, then a disk map emptied while copies
    are ready, minutes before files are deleted: stop the next node from upgrading and copy the
    files named in the alert off the hosts.

    Shows a live view on a terminal, plain lines otherwise, JSON lines with --json.

    \b
    Exit codes:
      0    --until-complete: the upgrade succeeded and no critical alert fired
      1    --until-complete: critical alerts fired, or the upgrade failed
      2    bad options or an unusable --against snapshot
      130  interrupted (Ctrl-C)
    """
    from hvguard.analysis.fields import name
    from hvguard.kube.client import connect
    from hvguard.state import kinds as k
    from hvguard.watch.loop import Watcher
    from hvguard.watch.podlogs import LogFollowing
    from hvguard.watch.state import WatchState, ready_disks
    from hvguard.watch.streams import WATCHED, Streams

    if webhook and not webhook.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--webhook")
    state, snapshot_ready = WatchState(), {}
    if against is not None:
        from hvguard.sources.snapshot import load_snapshot

        baseline = load_snapshot(against)
        state = WatchState.seeded(baseline, {w.kind: w.matches for w in WATCHED})
        snapshot_ready = {name(bi): len(ready_disks(bi)) for bi in baseline.objects(k.BACKING_IMAGES)}
    kube = connect(kubeconfig, context, pool_size=len(WATCHED) + (0 if no_logs else _LOG_STREAMS) + 4,
                   deadline=math.inf)
    outputs = _outputs(kube.server, as_json, webhook, metrics_port)
    watcher = Watcher(state, outputs, watched=[w.kind for w in WATCHED], snapshot_ready=snapshot_ready,
                      stall_after=stall_after, until_complete=until_complete)
    streams = Streams(kube, logs=None if no_logs else LogFollowing())
    interrupted = True
    try:
        streams.start(watcher.put)
        clean = watcher.run()
        interrupted = False
    finally:
        streams.stop()
        for output in reversed(outputs):
            output.close(interrupted)
        kube.close()
    return ExitCode.OK if clean else ExitCode.FINDINGS


def _outputs(server: str, as_json: bool, webhook: str | None, metrics_port: int | None) -> list[Output]:
    """Metrics and webhook first (a port in use fails before the screen is taken), then the display."""
    from rich.console import Console

    from hvguard.watch.outputs import JsonLines, LiveView, Notices, TextLog
    from hvguard.watch.webhook import Webhook

    outputs: list[Output] = []
    if metrics_port is not None:
        from hvguard.watch.metrics import Metrics

        try:
            metrics = Metrics(metrics_port)
        except OSError as exc:
            raise click.BadParameter(f"cannot serve on port {metrics_port}: {exc}",
                                     param_hint="--metrics-port") from exc
        outputs.append(metrics)
        click.echo(f"hvguard watch: metrics on http://0.0.0.0:{metrics.port}/metrics", err=True)
    if webhook:
        outputs.append(Webhook(webhook))
    console = Console()
    if console.is_terminal and not as_json:
        outputs.append(LiveView(console, server))
    else:
        outputs += [JsonLines(sys.stdout) if as_json else TextLog(sys.stdout), Notices(sys.stderr)]
        click.echo(f"hvguard watch: following {server}", err=True)
    return outputs
