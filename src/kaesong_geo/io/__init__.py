"""Reading and writing: footprint files, statistics, the imagery catalogue, outputs.

Modules: :mod:`~kaesong_geo.io.datadir` (where the data is),
:mod:`~kaesong_geo.io.footprints`, :mod:`~kaesong_geo.io.observations`,
:mod:`~kaesong_geo.io.imagery`, :mod:`~kaesong_geo.io.validate` and
:mod:`~kaesong_geo.io.output` (atomic writes that never clobber silently).
"""
