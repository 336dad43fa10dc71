"""Running ``hvguard paths`` in-process the way ``hvguard.cli.app.main`` does, and its JSON Schema.

The command is invoked directly (it may not be registered on the ``hvguard`` group yet), inside
``CliRunner``'s stdio isolation and through the real error boundary, so exit codes and error
lines are the ones a user sees.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from support import validated

from hvguard.cli import boundary
from hvguard.cli.paths_cmd import paths

PathsDoc = dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def doc(self) -> PathsDoc:
        return json.loads(self.out)


def invoke(*args: str) -> Outcome:
    with CliRunner().isolation() as (out, err, _):
        code = boundary.run(
            lambda: paths.main(list(args), prog_name="hvguard paths", standalone_mode=False), debug=False
        )
        sys.stdout.flush()
        sys.stderr.flush()
    return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture(scope="session")
def run_paths() -> Callable[..., Outcome]:
    return invoke


@pytest.fixture(scope="session")
def json_doc(validate: Callable[[PathsDoc], PathsDoc]) -> Callable[[str, str], tuple[int, PathsDoc]]:
    """``paths --from A --to B -o json``: the exit code and the document, validated against the schema."""

    def run(source: str, target: str) -> tuple[int, PathsDoc]:
        outcome = invoke("--from", source, "--to", target, "-o", "json")
        assert outcome.err == "", outcome.err
        return outcome.code, validate(outcome.doc())

    return run


@pytest.fixture(scope="session")
def validate() -> Callable[[PathsDoc], PathsDoc]:
    return validated("paths-v1.json")
