"""The notes of the growth report: where the site and figures come from, and their limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaesong_geo.economy import MIN_N_INFERENCE, Correlation, Event, stoppages
from kaesong_geo.growth import LEI_BUFFER_M, LEI_INFILL_MIN
from kaesong_geo.io.events import EVENTS_FILE
from kaesong_geo.io.observations import OBSERVATIONS_FILE
from kaesong_geo.site import Site
from kaesong_geo.text import plural

if TYPE_CHECKING:
    from kaesong_geo.report.build import EpochResult

__all__ = ["no_counts_note", "report_notes"]


def report_notes(
    results: list[EpochResult],
    has_economy: bool,
    correlations: list[Correlation],
    site: Site,
    events: list[Event],
) -> list[str]:
    """Every note of the report, in order.

    The event notes follow the note on the alignment (when there are observations). A report
    with no count aligned to any epoch has one note on counts, :func:`no_counts_note`, in
    place of the notes on alignment and correlation.
    """
    notes = _notes(results, has_economy, correlations, site)
    if has_economy:
        counted = _ALIGN_NOTE if _ALIGN_NOTE in notes else no_counts_note(has_economy)
        after = notes.index(counted) + 1
        notes[after:after] = _event_notes(results, events)
    return notes


def no_counts_note(has_economy: bool) -> str:
    """The one note of a report with no count aligned to any epoch: areas only.

    Parameters
    ----------
    has_economy : bool
        Whether the data directory holds an observations file (whose counts then align with
        none of the epochs: each is outside their dates, and none is extrapolated).

    Examples
    --------
    >>> no_counts_note(False)
    'No counts (economy/observations.csv): areas only.'
    """
    if not has_economy:
        return f"No counts ({OBSERVATIONS_FILE}): areas only."
    return (
        f"No counts ({OBSERVATIONS_FILE} has none that aligns with these epochs; counts are "
        "never extrapolated): areas only."
    )


_ALIGN_NOTE = (
    "Counts are aligned to each epoch's placed date by linear interpolation between the "
    "bracketing observations (stocks at their as-of day; annual production at mid-year, "
    "as US$/year); never extrapolated, and never across a suspension or closure recorded in "
    f"{EVENTS_FILE}. Values marked * rest on unverified, approximate or derived observations "
    "or on an operating event."
)


def _event_notes(results: list[EpochResult], events: list[Event]) -> list[str]:
    """One note on the operating events, and one per epoch whose counts they decided."""
    if not events:
        return [f"No {EVENTS_FILE} in the data directory: no suspension or closure is known."]
    periods = [
        f"{s.start} until {s.end}" if s.end else f"from {s.start} on" for s in stoppages(events)
    ]
    notes = [
        f"Operating events ({EVENTS_FILE}, {len(events)} with sources) stop the alignment: "
        + (f"no operations {'; '.join(periods)}." if periods else "none stops operations.")
        + " Inside a stoppage workers and firms are 0, derived from the event, and production "
        "is unavailable."
    ]
    for r in results:
        named = dict.fromkeys(e for a in r.aligned.values() for e in a.events)
        if not named:
            continue
        states = ", ".join(
            f"{k} unavailable" if a.value is None else f"{k} {a.value:,.0f} ({a.method})"
            for k, a in r.aligned.items()
            if a.events
        )
        notes.append(f"Epoch {r.label}: {states}, decided by {'; '.join(e.label for e in named)}.")
    if any(a.method == "event" for r in results for a in r.aligned.values()):
        notes[0] += (
            " These 0 counts (no operations, not a smaller complex) are left out of the "
            "correlation and the elasticities."
        )
    return notes


def _site_notes(site: Site) -> tuple[list[str], list[str]]:
    """Where the site comes from, and the documented areas footprints are compared with."""
    notes, documented = [], []
    if site.assumed_note:
        notes.append(site.assumed_note + ".")
    if site.documented_areas:
        listed = "; ".join(
            f"{a.label}: {a.area_m2:,.0f} m² = {a.area_m2 / 1e6:,.3g} km² ({a.source})"
            for a in site.documented_areas
        )
        documented.append(f"Documented areas of the {site.name} (site.toml): {listed}.")
    return notes, documented


def _imagery_note(results: list[EpochResult]) -> str | None:
    """Which catalogued images footprints were traced on, epoch by epoch; None if none.

    A footprint without its own ``uncertainty_m`` took the image's (when catalogued).
    """
    parts = []
    for r in results:
        named = dict.fromkeys(fp.imagery for fp in r.epoch.footprints if fp.imagery)
        if not named:
            continue
        records = {rec.id: rec for rec in r.imagery if rec.id}
        images = []
        for image_id in named:
            rec = records.get(image_id)
            if rec is None:  # not possible after the checks; named as it is
                images.append(image_id)
                continue
            images.append(
                f"{image_id} ({rec.provider}, {rec.date.label}"
                + (f", ±{rec.uncertainty_m:,.0f} m" if rec.uncertainty_m is not None else "")
                + ")"
            )
        n = sum(1 for fp in r.epoch.footprints if fp.imagery)
        parts.append(f"{r.label}: {n} of {len(r.epoch.footprints)} on {', '.join(images)}")
    if not parts:
        return None
    return (
        "Footprints traced on catalogued imagery (imagery/catalog.csv): "
        + "; ".join(parts)
        + ". A footprint without its own positional uncertainty takes its image's."
    )


def _notes(
    results: list[EpochResult],
    has_economy: bool,
    correlations: list[Correlation],
    site: Site,
) -> list[str]:
    notes, documented = _site_notes(site)
    recon = [r.label for r in results if "reconstructed" in r.epoch.methods]
    if recon:
        worst = max((fp.uncertainty_m or 0) for r in results for fp in r.epoch.footprints)
        notes.append(
            f"Footprints of {', '.join(recon)} are APPROXIMATE RECONSTRUCTIONS: placed at the "
            "documented location and sized from documented areas, not traced from imagery; "
            f"their outlines are schematic (positional uncertainty up to {worst:,.0f} m). "
            "Replace them with tracings of the imagery to measure real growth."
        )
    est = [r.label for r in results if r.epoch.estimated]
    if est:
        notes.append(
            f"ESTIMATED: {', '.join(est)} {'rests' if len(est) == 1 else 'rest'} on no documented "
            "figure (see each footprint's note); growth to and from "
            f"{'it' if len(est) == 1 else 'them'} is an estimate."
        )
    traced = _imagery_note(results)
    if traced:
        notes.append(traced)
    unknown = [r.label for r in results if r.epoch.max_uncertainty_m is None]
    if unknown:
        notes.append(f"No positional uncertainty is recorded for {', '.join(unknown)}.")
    notes += documented
    notes.append(
        "Areas are geodesic on the WGS 84 ellipsoid (pyproj.Geod), cross-checked in UTM "
        f"{site.utm_zone} (EPSG:{site.utm_epsg}); month-precision dates are "
        "placed on the 15th and annual rates use exact day counts."
    )
    counted = any(a.value is not None for r in results for a in r.aligned.values())
    if not counted:  # one note in place of those on alignment and correlation
        notes.append(no_counts_note(has_economy))
    elif has_economy:
        notes.append(_ALIGN_NOTE)
    n = max((c.n for c in correlations), default=0)
    if counted and n < MIN_N_INFERENCE:
        notes.append(
            f"Correlation across {plural(n, 'epoch')} is DESCRIPTIVE ONLY: with fewer than "
            f"{MIN_N_INFERENCE} epochs no p-value or interval is meaningful, and the counts "
            "are themselves interpolated."
        )
    notes.append(
        f"Added patches are typed by the landscape expansion index (Liu et al. 2010) with a "
        f"{LEI_BUFFER_M:g} m buffer: infill LEI >= {LEI_INFILL_MIN:g}, extension 0 < LEI < "
        f"{LEI_INFILL_MIN:g}, leapfrog LEI = 0."
    )
    return notes
