"""The JSON writer: indented structure, flat records on one line, strict numbers."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaesong_geo.errors import DataError
from kaesong_geo.render import json_text

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(_VALUES)
def test_json_text_parses_back_to_the_data(value: object) -> None:
    text = json_text(value)
    assert text.endswith("\n")
    assert json.loads(text) == value


@given(st.dictionaries(st.text(max_size=5), _VALUES, max_size=4))
def test_only_records_without_containers_share_a_line(value: dict[str, object]) -> None:
    for line in json_text({"rows": [value, value]}).splitlines():
        parsed = line.strip().rstrip(",")
        if parsed.startswith("{") and parsed.endswith("}"):  # a record on one line
            assert not any(isinstance(v, dict | list) for v in json.loads(parsed).values())


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_number_is_named_by_its_path(bad: float) -> None:
    data = {"epochs": [{"area_m2": 1.0}, {"footprints": [{"area_m2": bad}]}]}
    with pytest.raises(
        DataError, match=r"non-finite number .* at epochs\[1\]\.footprints\[0\]\.area_m2"
    ):
        json_text(data)


def test_a_report_of_many_footprints_reads_one_footprint_per_line() -> None:
    rows = [{"name": f"b{k}", "area_m2": 100.0 + k, "imagery": None} for k in range(1000)]
    lines = json_text({"epochs": [{"epoch": "2009-09", "footprints": rows}]}).splitlines()
    assert len(lines) == 1000 + 9
    assert lines[5].strip() == '{"name": "b0", "area_m2": 100.0, "imagery": null},'
