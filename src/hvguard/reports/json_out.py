"""``-o json``: the report document itself, for scripts and other tools.

Named ``json_out`` so it does not shadow the standard library's ``json``. Non-ASCII text is
escaped, so the output survives any locale and pipe.
"""

from __future__ import annotations

import itertools
import json
from typing import TextIO

from hvguard.reports.render import Report

_BATCH = 4096  # encoder chunks per write


def render(report: Report, stream: TextIO) -> None:
    # What json.dump(report, stream, indent=2) writes, in writes of some 50 kB instead of one per token:
    # on an unbuffered stdout (PYTHONUNBUFFERED, as container images often set) each write is a system
    # call, and a large cluster's report has a million tokens. Batches, not one string, keep memory flat.
    chunks = json.JSONEncoder(indent=2).iterencode(report)
    while batch := list(itertools.islice(chunks, _BATCH)):
        stream.write("".join(batch))
    stream.write("\n")
