"""``-o json``: the document itself, so scripts see exactly what the model built."""

from __future__ import annotations

import io
import json

from hvguard.reports import render


def test_round_trips_and_validates(pipeline_report, rendered, validate) -> None:
    out = rendered(pipeline_report, "json")
    parsed = validate(json.loads(out))
    assert parsed == pipeline_report


def test_keeps_model_key_order_indent_and_final_newline(sample_report, rendered) -> None:
    out = rendered(sample_report, "json")
    parsed = json.loads(out)
    assert list(parsed) == list(sample_report)
    assert list(parsed["findings"][0]) == list(sample_report["findings"][0])
    assert out.splitlines()[1] == '  "schema": "hvguard.report/v1",'
    assert out.endswith("}\n") and not out.endswith("\n\n")


def test_utf8_reaches_a_stream_whatever_its_text_encoding(handmade_report) -> None:
    """A pipe opened in the C/POSIX locale is ASCII text: the report goes to its byte buffer as UTF-8."""
    handmade_report["findings"][0]["remediation"] = "Longhorn UI → Backing Image → Clean Up"
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    stream.write("before\n")  # text written before the report stays before it
    render.render(handmade_report, "json", stream)
    before, _, document = raw.getvalue().decode("utf-8").partition("\n")
    assert before == "before"
    parsed = json.loads(document)
    assert parsed["findings"][0]["remediation"] == "Longhorn UI → Backing Image → Clean Up"


def test_text_only_streams_get_the_same_document(handmade_report, rendered) -> None:
    handmade_report["findings"][0]["remediation"] = "Longhorn UI → Backing Image → Clean Up"
    assert json.loads(rendered(handmade_report, "json")) == json.loads(json.dumps(handmade_report))


def test_empty_report(empty_report, rendered, validate) -> None:
    assert validate(json.loads(rendered(empty_report, "json"))) == empty_report
