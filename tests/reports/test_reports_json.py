"""``-o json``: the document itself, so scripts see exactly what the model built."""

from __future__ import annotations

import json


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


def test_output_is_ascii_so_any_locale_can_write_it(handmade_report, rendered) -> None:
    handmade_report["findings"][0]["remediation"] = "Longhorn UI → Backing Image → Clean Up"
    out = rendered(handmade_report, "json")
    assert out.isascii()
    assert json.loads(out)["findings"][0]["remediation"] == "Longhorn UI → Backing Image → Clean Up"


def test_empty_report(empty_report, rendered, validate) -> None:
    assert validate(json.loads(rendered(empty_report, "json"))) == empty_report
