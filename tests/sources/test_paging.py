"""The live source's paging: the next page's token read from the head of a body, and what a wrong read costs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hvguard.sources.live import _pages, peek_continue


def _body(token: str | None, items: list[Any], metadata_first: bool = True) -> bytes:
    metadata = {"resourceVersion": "42", **({"continue": token} if token else {})}
    doc = {"kind": "ReplicaList", "metadata": metadata, "items": items} if metadata_first \
        else {"kind": "ReplicaList", "items": items, "metadata": metadata}
    return json.dumps(doc).encode()


def test_the_token_is_read_from_the_list_metadata_only() -> None:
    assert peek_continue(_body("eyJydiI6NDJ9", [])) == "eyJydiI6NDJ9"
    assert peek_continue(_body(None, [{"spec": {"continue": "not-a-token"}}])) is None
    assert peek_continue(_body("late", [{"x": 1}], metadata_first=False)) is None  # after the items: not trusted
    assert peek_continue(b'{"metadata":{"continue":"a\\"b"},"items":[]}') is None  # escaped: leave it to the decoder
    assert peek_continue(b"not json at all") is None


class _Server:
    """Pages of a LIST keyed by continue token; ``wrong_peek`` makes the bodies put a decoy token first."""

    def __init__(self, pages: int, wrong_peek: bool = False) -> None:
        self.pages, self.wrong_peek, self.asked = pages, wrong_peek, []

    def get_bytes(self, path: str, query: dict[str, Any]) -> bytes:
        token = query.get("continue")
        self.asked.append(token)
        index = int(token[1:]) if token and token.startswith("p") else 0
        nxt = f"p{index + 1}" if index + 1 < self.pages else None
        body = _body(nxt, [{"n": index}])
        if self.wrong_peek and nxt:  # a decoy the head-read takes for the token; the decoded metadata disagrees
            body = body.replace(b'{"kind"', b'{"decoy": {"continue": "zz"}, "kind"', 1)
        return body


def _read(server: _Server) -> list[int]:
    with ThreadPoolExecutor(2) as prefetch:
        return [item["n"] for page in _pages(server, "/apis/x", 1, prefetch) for item in page["items"]]  # type: ignore[arg-type]


def test_every_page_is_read_once_when_the_head_holds_the_token() -> None:
    server = _Server(4)
    assert _read(server) == [0, 1, 2, 3]
    assert server.asked == [None, "p1", "p2", "p3"]


def test_a_wrong_head_read_costs_a_request_never_a_page() -> None:
    server = _Server(3, wrong_peek=True)
    assert _read(server) == [0, 1, 2]
    assert [token for token in server.asked if token != "zz"] == [None, "p1", "p2"]
