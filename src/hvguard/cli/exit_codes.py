"""Every exit code hvguard returns, in one place (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on (verdict "incomplete" counts as block)
    USAGE = 2  # bad flags or bad input: missing path, corrupt bundle, unknown version
    CLUSTER = 3  # the API server is unreachable or rejects the credentials
    APPLY_STOPPED = 4  # an --apply run stopped before finishing; its journal records what was done
    INTERNAL = 70  # a bug in hvguard (rerun with --debug for the traceback)
    INTERRUPTED = 130  # Ctrl-C
