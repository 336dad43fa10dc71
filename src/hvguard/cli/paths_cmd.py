"""``hvguard paths``: is an upgrade path supported, and what runs and breaks on the way. Offline.

Everything heavier than click is imported inside the command, so ``hvguard --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hvguard.cli.common import emit
from hvguard.cli.exit_codes import ExitCode
from hvguard.cli.options import output_options

if TYPE_CHECKING:
    from hvguard.knowledge.versions import Version

# The same as hvguard.reports.paths.FORMATS (a test keeps them equal); importing that here would
# load the knowledge catalog on every `hvguard --help`.
FORMATS = ("table", "json", "markdown")
# "unknown" is not a failure: hvguard lacks the data, and the document says so.
_EXIT = {"supported": ExitCode.OK, "unknown": ExitCode.OK, "unsupported": ExitCode.FINDINGS}


@click.command()
@click.option("--from", "source", required=True, metavar="VERSION", help="Installed Harvester version, e.g. v1.3.2.")
@click.option("--to", "target", required=True, metavar="VERSION", help="Target Harvester version, e.g. v1.4.0.")
@output_options(FORMATS, "document")
def paths(source: str, target: str, fmt: str, output: Path | None) -> int:
    """Is an upgrade path supported, and what runs and breaks on the way (offline, no cluster).

    From hvguard's knowledge: the support matrix and, for an unsupported jump, the route of
    supported hops with their upgrade guides; bundled component changes (Longhorn, RKE2, KubeVirt,
    Rancher) per hop and end to end; the Longhorn resource migrations each hop runs, with lenient
    writes that lose data when the live CRD is stale (harvester#7958); every known issue on the
    path, worst first, and whether `hvguard preflight` can detect exposure.

    VERSION is v1.4.0 or 1.4.0; release candidates (v1.4.0-rc1) and dated dev builds
    (v1.4.0-dev-20250101) count as the release they lead up to. A version hvguard has no release
    data for is marked "known": false and the document says what can still be said; the verdict
    is unknown when the support matrix does not cover that version either.

    \b
    Exit codes:
      0  supported; or unknown (hvguard lacks the data, and says so)
      1  unsupported: a downgrade, or not in the support matrix (take the route shown)
      2  bad input: an invalid version, or a dev build with no release number (master-head)
    """
    from hvguard.reports import paths as document

    doc = document.build(_version("--from", source), _version("--to", target))
    emit(doc, fmt, output, document.render)
    return _EXIT[doc["verdict"]]


def _version(option: str, text: str) -> Version:
    """Parse one option's version, naming the option in the one-line error.

    The hint names release spellings only: dev builds parse, but no path can be placed on them.
    """
    from hvguard.knowledge.versions import UnknownVersionError, parse

    try:
        return parse(text)
    except UnknownVersionError as exc:
        hint = "expected e.g. v1.4.0, 1.4.0 or v1.4.0-rc1"
        raise UnknownVersionError(f"{option}: {exc.message}", hint=hint) from None
