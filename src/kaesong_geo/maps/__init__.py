"""Interactive maps (Folium/Leaflet), charts (matplotlib) and the one-file HTML report.

* :func:`~kaesong_geo.maps.build.make_map` - the map as HTML, optionally self-contained;
* :func:`~kaesong_geo.maps.charts.make_chart` - area beside firms and workers, PNG or SVG;
* :func:`~kaesong_geo.maps.report.make_report` - tables, charts, map and provenance in one file.

folium, branca and matplotlib are imported only inside these functions; this module is light,
so the command line can read the default file names below at start-up.
"""

__all__ = ["CHART_FILENAME", "MAP_FILENAME", "REPORT_FILENAME"]

#: Default output file of ``kaesong-geo map``.
MAP_FILENAME = "kaesong-map.html"
#: Default output file of ``kaesong-geo chart``.
CHART_FILENAME = "kaesong-chart.png"
#: Default output file of ``kaesong-geo report``.
REPORT_FILENAME = "kaesong-report.html"
