"""The JSON Schema of ``kaesong-geo growth --format json``, shipped in the package.

The schema (JSON Schema draft 2020-12) describes :meth:`kaesong_geo.report.GrowthReport.to_dict`
field by field, with units, enumerations and which values may be ``null``. Every object in it
is closed, so a field added to the report must be added to the schema as well; fields are
only added within a schema version, never renamed or removed. Validate with any JSON Schema
library, e.g. ``jsonschema``::

    import jsonschema
    jsonschema.validate(report.to_dict(), json_schema())

This module reads one packaged file and imports nothing heavy.

Examples
--------
>>> schema = json_schema()
>>> schema["$id"], schema["properties"]["schema_version"]["const"]
('urn:kaesong-geo:schema:growth:v1', 1)
>>> json_schema(2)["properties"]["sites"]["items"]
{'$ref': 'urn:kaesong-geo:schema:growth:v1'}
>>> json_schema(3)
Traceback (most recent call last):
...
ValueError: no JSON Schema for schema version 3 (known: 1, 2)
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["SCHEMA_FILES", "json_schema"]

#: The schema file of each schema version, inside the package's ``schemas`` folder.
#: Version 2 is the output of several sites (``growth`` with more than one ``--data-dir``).
SCHEMA_FILES: dict[int, str] = {1: "growth-v1.schema.json", 2: "growth-v2.schema.json"}


def json_schema(version: int = 1) -> dict[str, Any]:
    """The JSON Schema of the growth report's JSON, as a new dict on every call.

    Parameters
    ----------
    version : int, default 1
        The ``schema_version`` of the report.

    Returns
    -------
    dict
        The schema (JSON Schema draft 2020-12). Version 2 refers to version 1 for each site's
        report and holds it under ``$defs`` (``growth-v1``), so it validates on its own.

    Raises
    ------
    ValueError
        No schema is shipped for ``version``.

    Examples
    --------
    >>> sorted(json_schema()["properties"])[:4]
    ['correlation', 'data_dir', 'epochs', 'events']
    """
    if version not in SCHEMA_FILES:
        known = ", ".join(str(v) for v in SCHEMA_FILES)
        raise ValueError(f"no JSON Schema for schema version {version} (known: {known})")
    text = (files("kaesong_geo") / "schemas" / SCHEMA_FILES[version]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    if version == 2:  # each site's report is version 1: embed it, found by its $id
        schema["$defs"]["growth-v1"] = json_schema(1)
    return schema
