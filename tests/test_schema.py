"""The shipped JSON Schema: real ``growth --format json`` output passes it, its field set is
pinned (the README promises that fields are never removed), and it can fail."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from shapely.geometry import box

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.measure import geodesic_area_m2
from kaesong_geo.render import render_report
from kaesong_geo.report import SCHEMA_VERSION, growth_report
from kaesong_geo.schema import SCHEMA_FILES, json_schema

from .common import BOWTIE, LAT0, LON0, add_imagery, feature, write_geojson
from .conftest import REPO, run_process
from .test_events import add_epochs

PROMISE = "Fields are only added within a schema version, never renamed or removed."

# ---------------------------------------------------------------- the pinned field set

_ALIGNED = ("value", "method", "verified", "reason", "observations", "events")
_OBSERVATION = ("period", "as_of", "reference_date", "value", "status", "source", "weight")
_EVENT = ("date", "event", "effect", "status", "source", "note")

#: Every property of schema version 1, by the path of the object holding it ("[]": an array's
#: items, "*": the values of a map keyed by data, such as the footprint classes).
PINNED_FIELDS: dict[str, tuple[str, ...]] = {
    "": (
        "schema_version", "tool", "site", "data_dir", "epochs", "intervals", "correlation",
        "provenance", "events", "notes", "warnings",
    ),
    "tool": ("name", "version"),
    "site": (
        "name", "lon", "lat", "utm_epsg", "utm_zone", "short_name", "radius_km",
        "reference_source", "site_file", "documented_areas",
    ),
    "site.documented_areas[]": ("label", "area_m2", "source"),
    "epochs[]": (
        "epoch", "date", "date_precision", "area_m2", "area_km2", "area_ha", "area_utm_m2",
        "utm_diff_pct", "utm_scale_pct", "perimeter_m", "perimeter_utm_m", "area_uncertainty_m2",
        "reference_area_m2", "class_area_m2", "n_polygons", "n_holes", "polsby_popper",
        "convex_hull_ratio", "growth_m2", "growth_pct", "annual_rate_pct", "firms", "workers",
        "production_usd_per_year", "workers_per_ha", "firms_per_km2",
        "production_usd_per_ha_year", "aligned", "flags", "footprints", "imagery",
    ),
    "epochs[].class_area_m2": ("*",),
    "epochs[].aligned": ("firms", "workers", "production_usd"),
    **{f"epochs[].aligned.{k}": _ALIGNED for k in ("firms", "workers", "production_usd")},
    **{
        f"epochs[].aligned.{k}.observations[]": _OBSERVATION
        for k in ("firms", "workers", "production_usd")
    },
    **{f"epochs[].aligned.{k}.events[]": _EVENT for k in ("firms", "workers", "production_usd")},
    "epochs[].flags": ("estimated", "methods", "uncertainty_m", "counts_verified"),
    "epochs[].footprints[]": (
        "name", "class", "method", "estimated", "uncertainty_m", "area_uncertainty_pct",
        "reference_area_m2", "area_m2", "source", "note", "file", "feature", "imagery",
    ),
    "epochs[].imagery[]": (
        "date", "provider", "redistributable", "file", "source", "id", "resolution_m",
        "uncertainty_m", "note",
    ),
    "intervals[]": (
        "start", "end", "kind", "days", "start_area_m2", "end_area_m2", "growth_m2",
        "growth_pct", "annual_rate_pct", "added_m2", "lost_m2", "added_by_type_m2", "patches",
        "elasticity_workers", "elasticity_firms",
    ),
    "intervals[].added_by_type_m2": ("infill", "extension", "leapfrog"),
    "intervals[].patches[]": ("area_m2", "lei", "type"),
    "correlation": ("n", "descriptive_only", "min_n_for_inference", "pairs"),
    "correlation.pairs[]": (
        "x", "y", "n", "pearson_r", "spearman_rho", "pearson_p", "spearman_p", "pearson_ci95",
    ),
    "provenance": (
        "footprint_files", "observations_file", "observation_sources", "events_file",
        "methods", "estimated_epochs",
    ),
    "events[]": _EVENT,
}  # fmt: skip


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


PINNED = {_join(parent, name) for parent, names in PINNED_FIELDS.items() for name in names}


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``node`` with a local ``$ref`` replaced by its definition (siblings kept)."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/$defs/"), ref
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**root["$defs"][ref.removeprefix("#/$defs/")], **rest}
    return node


def _objects(
    node: dict[str, Any], root: dict[str, Any], path: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema reachable from ``node`` through properties, maps and array items."""
    node = _resolve(node, root)
    if "properties" in node or "additionalProperties" in node:
        yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from _objects(sub, root, _join(path, name))
    if isinstance(node.get("additionalProperties"), dict):
        yield from _objects(node["additionalProperties"], root, _join(path, "*"))
    if isinstance(node.get("items"), dict):
        yield from _objects(node["items"], root, path + "[]")


def schema_fields(schema: dict[str, Any]) -> set[str]:
    """Every property path the schema defines."""
    fields = set()
    for path, node in _objects(schema, schema):
        fields.update(_join(path, name) for name in node.get("properties", {}))
        if isinstance(node.get("additionalProperties"), dict):
            fields.add(_join(path, "*"))
    return fields


def data_fields(data: Any, schema: dict[str, Any]) -> set[str]:
    """Every property path present in ``data`` (map keys as ``*``, as in the schema)."""
    fields: set[str] = set()

    def walk(value: Any, node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        node = _resolve(node, schema)
        props = node.get("properties", {})
        if isinstance(value, dict):
            for key, sub in value.items():
                name = key if key in props else "*"
                fields.add(_join(path, name))
                walk(sub, props.get(key, node.get("additionalProperties")), _join(path, name))
        elif isinstance(value, list):
            for item in value:
                walk(item, node.get("items"), path + "[]")

    walk(data, schema, "")
    return fields


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json_schema()


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(validator: Draft202012Validator, data: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def growth_json(cli: Any, data_dir: Path) -> dict[str, Any]:
    r = cli("growth", "--data-dir", str(data_dir), "--format", "json")
    assert r.code == 0, r.err
    data: dict[str, Any] = json.loads(r.out)
    return data


def eight_epochs(root: Path) -> Path:
    """Eight growing epochs from 2005-06 to 2012-06, all with counts: p-values and intervals."""
    for k, year in enumerate(range(2005, 2013)):
        write_geojson(
            root / "boundaries" / f"{year}-06.geojson",
            feature(box(LON0, LAT0, LON0 + 0.004 + 0.002 * k + 0.0001 * k * k, LAT0 + 0.01)),
        )
    return root


@pytest.fixture(scope="module")
def bundled_output() -> dict[str, Any]:
    """The real command, run as a process on the bundled data."""
    r = run_process("growth", "--format", "json")
    assert r.returncode == 0, r.stderr
    data: dict[str, Any] = json.loads(r.stdout)
    return data


# ---------------------------------------------------------------- the schema itself


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert SCHEMA_VERSION in SCHEMA_FILES


def test_every_object_is_closed_and_requires_every_field(schema: dict[str, Any]) -> None:
    """A new field must be added to the schema deliberately; every field is always present."""
    objects = list(_objects(schema, schema))
    assert len(objects) >= 20
    for path, node in objects:
        if "properties" not in node:  # a map keyed by data (footprint classes)
            assert isinstance(node["additionalProperties"], dict), path
            continue
        assert node.get("additionalProperties") is False, path or "(top level)"
        assert sorted(node.get("required", [])) == sorted(node["properties"]), path


def test_field_set_is_pinned(schema: dict[str, Any]) -> None:
    fields = schema_fields(schema)
    removed = sorted(PINNED - fields)
    assert not removed, (
        f"the schema no longer has {removed}. The README promises: {PROMISE!r} "
        "Keep these fields, or raise schema_version with a new schema file."
    )
    added = sorted(fields - PINNED)
    assert not added, f"new fields {added}: add them to PINNED_FIELDS in {__file__}"
    # Only ever grows within schema version 1: 174, +9 for site.toml, +2 for imagery ids.
    assert len(PINNED) == 189


def test_readme_makes_the_promise_and_names_the_schema() -> None:
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert PROMISE in readme
    assert f"src/kaesong_geo/schemas/{SCHEMA_FILES[SCHEMA_VERSION]}" in readme


# ---------------------------------------------------------------- real output passes


def test_bundled_data_passes(
    bundled_output: dict[str, Any], validator: Draft202012Validator
) -> None:
    assert errors(validator, bundled_output) == []
    assert bundled_output["correlation"]["descriptive_only"] is True
    assert bundled_output["provenance"]["events_file"] is not None


def test_epochs_in_a_shutdown_pass(
    cli: Any, data_dir: Path, validator: Draft202012Validator
) -> None:
    """2013-06 falls in the 2013 shutdown, 2016-06 after the closure: counts from events."""
    add_epochs(data_dir)
    add_imagery(data_dir, "2009-09")
    data = growth_json(cli, data_dir)
    assert errors(validator, data) == []
    by_epoch = {e["epoch"]: e for e in data["epochs"]}
    shut = by_epoch["2013-06"]["aligned"]["workers"]
    assert shut["method"] == "event" and shut["value"] == 0 and shut["events"]
    assert by_epoch["2016-06"]["aligned"]["production_usd"]["value"] is None
    assert [i["file"] for i in by_epoch["2009-09"]["imagery"]][-1] == "scene.tif"


def test_enough_epochs_for_p_values_pass(
    cli: Any, empty_data_dir: Path, validator: Draft202012Validator
) -> None:
    data = growth_json(cli, eight_epochs(empty_data_dir))
    assert errors(validator, data) == []
    corr = data["correlation"]
    assert corr["descriptive_only"] is False and corr["n"] >= 6
    for pair in corr["pairs"]:
        assert isinstance(pair["pearson_p"], float) and isinstance(pair["spearman_p"], float)
        assert len(pair["pearson_ci95"]) == 2
        assert all(isinstance(v, float) for v in pair["pearson_ci95"])


@pytest.mark.filterwarnings("default::kaesong_geo.errors.GeometryRepairedWarning")
def test_boundaries_only_pass(cli: Any, tmp_path: Path, validator: Draft202012Validator) -> None:
    """No economy, no imagery: counts unavailable, files null; a repaired geometry warns."""
    root = tmp_path / "mine"
    (root / "boundaries").mkdir(parents=True)
    write_geojson(root / "boundaries" / "2011-03.geojson", feature(BOWTIE, uncertainty_m=None))
    data = growth_json(cli, root)
    assert errors(validator, data) == []
    assert data["intervals"] == [] and data["events"] == [] and data["warnings"]
    assert data["provenance"]["observations_file"] is None
    assert data["provenance"]["events_file"] is None
    assert {a["method"] for a in data["epochs"][0]["aligned"].values()} == {"unavailable"}


def test_real_outputs_use_every_field(
    cli: Any, data_dir: Path, schema: dict[str, Any], bundled_output: dict[str, Any]
) -> None:
    """The schema describes no field the report never writes."""
    seen = data_fields(bundled_output, schema)
    seen |= data_fields(growth_json(cli, add_epochs(data_dir)), schema)
    assert seen == schema_fields(schema), sorted(schema_fields(schema) - seen)


def _footprint(
    c: tuple[int, int, int, int],
    cls: str,
    method: str,
    estimated: bool,
    pct: float | None,
    documented: bool,
) -> dict[str, Any]:
    """A box within ~3 km of the complex (corner and size in 0.001 degrees), with provenance."""
    geom = box(
        LON0 + c[0] / 1e3, LAT0 + c[1] / 1e3, LON0 + (c[0] + c[2]) / 1e3, LAT0 + (c[1] + c[3]) / 1e3
    )
    return feature(
        geom,
        **{"class": cls},
        method=method,
        estimated=estimated,
        area_uncertainty_pct=pct,
        reference_area_m2=round(geodesic_area_m2(geom)) if documented else None,
    )


_footprints = st.builds(
    _footprint,
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 12), st.integers(1, 12)),
    st.sampled_from(["developed", "under construction"]),
    st.sampled_from(["reconstructed", "traced", "extracted"]),
    st.booleans(),
    st.sampled_from([None, 10.0]),
    st.booleans(),
)
# An epoch label of a given year at year, month or day precision.
_dates = st.tuples(
    st.sampled_from(["year", "month", "day"]), st.integers(1, 12), st.integers(1, 28)
)


def _label(year: int, date: tuple[str, int, int]) -> str:
    precision, month, day = date
    return {"year": f"{year}", "month": f"{year}-{month:02d}"}.get(
        precision, f"{year}-{month:02d}-{day:02d}"
    )


_epoch = st.tuples(_dates, st.lists(_footprints, min_size=1, max_size=3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.one_of(  # one epoch per year (distinct placed dates); with the economy or not
        # any years: with and without counts, in stoppages;
        st.tuples(
            st.dictionaries(st.integers(2003, 2020), _epoch, min_size=1, max_size=5),
            st.booleans(),
        ),
        # enough years with counts for p-values and intervals.
        st.tuples(
            st.dictionaries(st.integers(2005, 2012), _epoch, min_size=5, max_size=8),
            st.just(True),
        ),
    ),
    uncertainty=st.sampled_from([None, 0, 25.5]),
)
def test_any_data_directory_passes(
    validator: Draft202012Validator,
    case: tuple[dict[int, tuple[tuple[str, int, int], list[dict[str, Any]]]], bool],
    uncertainty: float | None,
) -> None:
    """Epochs of any precision, overlapping, shrinking, disjoint or unchanged, of any
    provenance; with or without the economy: the JSON output always passes the schema."""
    epochs, economy = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "boundaries").mkdir()
        if economy:
            shutil.copytree(bundled_data_dir() / "economy", root / "economy")
        for year, (date, features) in epochs.items():
            label = _label(year, date)
            for f in features:
                f["properties"].update(uncertainty_m=uncertainty, epoch=label)
            write_geojson(root / "boundaries" / f"{label}.geojson", *features)
        data = json.loads(render_report(growth_report(root), "json"))
    assert errors(validator, data) == []
    assert len(data["epochs"]) == len(epochs)


# ---------------------------------------------------------------- the schema can fail


def _mutate(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with the item at ``path`` set to ``value`` (``...``: deleted)."""
    out = copy.deepcopy(data)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "keyword", "where"),
    [
        (("epochs", 0, "area_m2"), ..., "required", "$.epochs[0]"),
        (("correlation", "pairs", 1, "pearson_r"), ..., "required", "$.correlation.pairs[1]"),
        (("epochs", 1, "workers"), "6224.5", "type", "$.epochs[1].workers"),
        (("intervals", 0, "days"), 640.5, "type", "$.intervals[0].days"),
        (("epochs", 0, "footprints", 0, "colour"), "red", "additionalProperties", ""),
        (("provenance", "licence"), "MIT", "additionalProperties", "$.provenance"),
        (("epochs", 0, "aligned", "trade_usd"), {}, "additionalProperties", ""),
        (("epochs", 0, "footprints", 0, "method"), "guessed", "enum", ""),
        (("events", 0, "effect"), "paused", "enum", "$.events[0].effect"),
        (("epochs", 0, "date"), "2004-04-31", "format", "$.epochs[0].date"),
        (("epochs", 0, "epoch"), "April 2004", "pattern", "$.epochs[0].epoch"),
        (("correlation", "pairs", 0, "pearson_p"), 0.04, "type", ""),
        (("schema_version",), 2, "const", "$.schema_version"),
        (("epochs", 0, "polsby_popper"), 1.2, "maximum", "$.epochs[0].polsby_popper"),
    ],
)
def test_a_broken_output_is_refused(
    bundled_output: dict[str, Any],
    validator: Draft202012Validator,
    path: tuple[Any, ...],
    value: Any,
    keyword: str,
    where: str,
) -> None:
    """A removed required field, a wrong type, an unknown field, a bad enum or date: refused.

    The p-value case: the bundled data is descriptive only, so a p-value there breaks the
    schema's rule that descriptive-only correlations carry none.
    """
    assert errors(validator, bundled_output) == []
    broken = _mutate(bundled_output, path, value)
    found = list(validator.iter_errors(broken))
    assert found, (path, value)
    leaves = [leaf for e in found for leaf in (e.context or [e])] + found
    assert keyword in {e.validator for e in leaves}, [e.message for e in found]
    if where:
        assert where in {e.json_path for e in leaves}, [e.json_path for e in leaves]


def test_counts_verified_is_null_when_no_count_was_placed(cli, empty_data_dir: Path) -> None:
    """Nothing to vouch for is not 'verified' (all() of nothing would say True)."""
    from .common import BOX, feature, write_geojson

    shutil.rmtree(empty_data_dir / "economy")
    write_geojson(empty_data_dir / "boundaries" / "2011-03.geojson", feature(BOX))
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0, r.err
    [epoch] = json.loads(r.out)["epochs"]
    assert epoch["flags"]["counts_verified"] is None
    assert all(a["verified"] is None for a in epoch["aligned"].values())
