"""``-o json``: the report document itself, for scripts and other tools.

Named ``json_out`` so it does not shadow the standard library's ``json``. Non-ASCII text is
escaped, so the output survives any locale and pipe.
"""

from __future__ import annotations

import json
from typing import TextIO

from hvguard.reports.render import Report


def render(report: Report, stream: TextIO) -> None:
    # One write, not json.dump's one per token: on an unbuffered stdout (PYTHONUNBUFFERED, as container
    # images often set) each of those is a system call, and a large cluster's report has a million.
    stream.write(json.dumps(report, indent=2))
    stream.write("\n")
