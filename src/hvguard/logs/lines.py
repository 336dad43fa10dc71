"""Bytes that arrive in chunks, cut into blocks of whole lines of bounded length.

A container log comes as a stream (a bundle member, an HTTP body). A line can span chunks, and a
"line" of binary junk can run for megabytes without a newline. Matching works on blocks of whole
lines, so a pattern never sees half a line. Memory stays at about one chunk plus one line, whatever
comes in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_LINE = 32 * 1024
# Appended to a line cut at MAX_LINE, so a sample shows it was cut.
TRUNCATION_MARK = "…".encode()


@dataclass(slots=True)
class LineStats:
    """What a stream held: bytes read, lines seen, lines cut at the length limit."""

    bytes: int = 0
    lines: int = 0
    truncated: int = 0


def line_blocks(chunks: Iterable[bytes], stats: LineStats, max_line: int = MAX_LINE) -> Iterator[bytes]:
    """Blocks of whole lines, each ending in a newline, counted into ``stats``.

    A line longer than ``max_line`` keeps its first ``max_line`` bytes plus ``TRUNCATION_MARK``, and
    the rest is skipped as it arrives, never buffered. A last line without a newline gets one.
    """
    pending = b""  # the start of a line whose end has not arrived yet, at most max_line bytes
    skipping = False  # inside an over-long line whose head was already yielded
    for chunk in chunks:
        stats.bytes += len(chunk)
        if skipping:
            end = chunk.find(b"\n")
            if end < 0:
                continue
            chunk, skipping = chunk[end + 1:], False
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n") + 1
        block, pending = data[:cut], data[cut:]
        if block:
            yield _bounded(block, stats, max_line)
        if len(pending) > max_line:
            stats.lines += 1
            stats.truncated += 1
            yield pending[:max_line] + TRUNCATION_MARK + b"\n"
            pending, skipping = b"", True
    if pending:
        stats.lines += 1
        yield pending + b"\n"


def _bounded(block: bytes, stats: LineStats, max_line: int) -> bytes:
    """The block with every line longer than ``max_line`` cut (the common case returns it untouched)."""
    count = block.count(b"\n")
    stats.lines += count
    if len(block) - count <= max_line:  # no line can be longer than the whole block
        return block
    lines = block.split(b"\n")
    if max(map(len, lines)) <= max_line:
        return block
    cut = [line[:max_line] + TRUNCATION_MARK if len(line) > max_line else line for line in lines]
    stats.truncated += sum(1 for line in lines if len(line) > max_line)
    return b"\n".join(cut)
