"""The exception tree. No third-party types leak through it.

    HvguardError            a known failure the CLI reports as one line (+ hint)
    ├── InputError          bad user input: missing path, corrupt bundle, bad version   → exit 2
    ├── SnapshotError       a snapshot that fails its checksums or schema version       → exit 2
    ├── KnowledgeError      the shipped knowledge is inconsistent (a bug in our data)   → exit 2
    ├── ClusterAccessError  the API server is unreachable or refuses our credentials    → exit 3
    └── ApplyStopped        an --apply run stopped before finishing (journal kept)      → exit 4

Partial reads (a 403 on one resource, a file missing from a bundle) are *not* exceptions:
sources record them in the state's coverage so the verdict can say what is unknown.
"""

from __future__ import annotations


class HvguardError(Exception):
    """A failure with a one-line message and an optional hint for the operator."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(HvguardError):
    """The input given to hvguard cannot be used."""


class SnapshotError(InputError):
    """A snapshot archive is corrupt, tampered with, or of an unknown schema version."""


class KnowledgeError(HvguardError):
    """The shipped knowledge data does not load or validate."""


class ClusterAccessError(HvguardError):
    """The cluster cannot be reached or rejects the credentials."""


class ApplyStopped(HvguardError):
    """An --apply run stopped: the cluster did not end up as the plan said; nothing further was changed."""
