"""``hvguard logs``: what the Longhorn logs and events say happened to the VM images.

Everything heavier than click is imported inside the command, so ``hvguard --help`` stays instant.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import click

from hvguard.cli.common import emit
from hvguard.cli.exit_codes import ExitCode

# The same as hvguard.reports.logs.FORMATS (a test keeps them equal); importing that here would load
# the analysis on every `hvguard --help`.
FORMATS = ("table", "json", "markdown")
_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")


class Duration(NamedTuple):
    text: str
    delta: timedelta


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``7d``, ``1h30m``, ``90s``: whole units, largest first, more than zero."""
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or not match:
        raise ValueError(f"{text!r} is not a duration; expected e.g. 30m, 2h, 7d or 1h30m")
    delta = timedelta(**{unit: int(match[key] or 0) for key, unit in
                         (("d", "days"), ("h", "hours"), ("m", "minutes"), ("s", "seconds"))})
    if delta < timedelta(seconds=1):
        raise ValueError(f"{text!r} is not a duration of at least one second")
    return delta


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Duration | None:
    if value is None:
        return None
    try:
        return Duration(value, parse_duration(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option("--bundle", type=click.Path(path_type=Path), help="Harvester support bundle (.zip or extracted folder).")
@click.option("--kubeconfig", type=click.Path(path_type=Path), help="Kubeconfig of a live cluster (read-only access).")
@click.option("--context", help="Kubeconfig context to use (default: the current context).")
@click.option("--since", metavar="DURATION", callback=_since,
              help="Only lines and events of the last DURATION (30m, 2h, 7d, 1h30m); for a bundle, counted back "
                   "from when it was made.")
@click.option("--tail", type=click.IntRange(min=1), metavar="LINES",
              help="Live only: read at most the last LINES lines of each container log.")
@click.option("-o", "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output format.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the document to FILE (atomically) instead of stdout.")
def logs(bundle: Path | None, kubeconfig: Path | None, context: str | None, since: Duration | None,
         tail: int | None, fmt: str, output: Path | None) -> int:
    """The story of the VM images in the Longhorn logs and events, oldest first.

    Reads the longhorn-manager and backing-image-manager logs of longhorn-system (a support bundle's
    logs/, or the pods' logs through the API, including the run before a restart) and the Events, and
    matches them against hvguard's known signatures, each checked in the upstream source. A
    harvester#7958 upgrade shows as: the v1.6.x -> v1.7.0 migration, the API server's unknown-field
    warnings for the pruned BackingImage fields, files deleted disk by disk, images Longhorn cannot
    rebuild, and replicas left waiting. Each signature that matched is a finding log/<signature>
    with when, how often, where, the images, disks and nodes named, and what to do.

    Logs are streamed and never held whole. A log that cannot be read, or is cut off part way, is
    listed and does not stop the run.

    \b
    Exit codes:
      0  the document was written (whatever it found)
      2  bad input: two sources, a bad --since, --tail with a bundle, an unreadable bundle
      3  the cluster cannot be reached or rejects the credentials (or no kubeconfig is found)
    """
    from hvguard.logs.findings import scan_findings
    from hvguard.reports import logs as document

    if bundle and (kubeconfig or context):
        raise click.UsageError("give only one source, not --bundle and --kubeconfig/--context")
    if bundle and tail:
        raise click.UsageError("--tail applies to a live cluster only; a bundle holds what it holds")
    delta = since.delta if since else None
    if bundle:
        from hvguard.logs.bundle_logs import read_bundle

        scan = read_bundle(bundle, delta)
    else:
        from hvguard.kube.client import connect
        from hvguard.logs.live_logs import read_live

        kube = connect(kubeconfig, context)
        try:
            scan = read_live(kube, delta, tail, context)
        finally:
            kube.close()
    doc = document.build(scan, scan_findings(scan), since=since.text if since else None, tail=tail)
    emit(doc, fmt, output, document.render)
    return ExitCode.OK
