"""Streamed bytes become whole, bounded lines wherever the chunks happen to split them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hvguard.logs.lines import TRUNCATION_MARK, LineStats, line_blocks


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i:i + size] for i in range(0, len(data), size))


def lines_of(data: bytes, size: int, max_line: int = 16) -> tuple[list[bytes], LineStats]:
    stats = LineStats()
    blocks = list(line_blocks(chunked(data, size), stats, max_line))
    assert all(block.endswith(b"\n") for block in blocks)
    return b"".join(blocks).split(b"\n")[:-1], stats


TEXT = b"alpha\nbeta\n\ngamma delta\nlast without newline"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11, 64])
def test_chunk_boundaries_never_split_a_line(size: int) -> None:
    lines, stats = lines_of(TEXT, size)
    assert lines == [b"alpha", b"beta", b"", b"gamma delta", b"last without new" + TRUNCATION_MARK]
    assert (stats.lines, stats.truncated, stats.bytes) == (5, 1, len(TEXT))


@pytest.mark.parametrize("size", [1, 4, 9, 40, 4096])
def test_an_over_long_line_keeps_its_head_and_skips_the_rest_as_it_arrives(size: int) -> None:
    data = b"short\n" + b"x" * 100 + b"TAIL\nafter\n" + b"y" * 17 + b"\n"
    lines, stats = lines_of(data, size)
    assert lines == [b"short", b"x" * 16 + TRUNCATION_MARK, b"after", b"y" * 16 + TRUNCATION_MARK]
    assert (stats.lines, stats.truncated) == (4, 2)


def test_a_line_exactly_at_the_limit_is_kept_whole() -> None:
    lines, stats = lines_of(b"z" * 16 + b"\n" + b"w" * 16, 5)
    assert lines == [b"z" * 16, b"w" * 16]
    assert stats.truncated == 0


def test_binary_junk_without_newlines_is_bounded() -> None:
    junk = bytes(range(256)).replace(b"\n", b"") * 4000  # ~1 MB, no newline at all
    stats = LineStats()
    blocks = list(line_blocks(chunked(junk + b"\nok\n", 65536), stats, 1024))
    assert max(map(len, blocks)) <= 1024 + len(TRUNCATION_MARK) + 3
    assert b"".join(blocks).split(b"\n")[1] == b"ok"
    assert stats.truncated == 1


def test_empty_input_yields_nothing() -> None:
    assert lines_of(b"", 4) == ([], LineStats())
