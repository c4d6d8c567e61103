"""The statistics as one self-contained HTML page for a scrutiny panel.

Everything is inline: the CSS, and the charts as SVG drawn here (no script, no font, no image,
no address of any kind is fetched), so the file can be mailed, archived or printed as it is.
Each chart carries a <title> and <desc> and is followed by a table of the same numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from casereview import __version__
from casereview.reporting.figures import Stats

STATUTORY = (
    (
        "applications",
        "Applications",
        "The number of applications for an ASB case review made.",
    ),
    (
        "threshold_not_met",
        "Threshold not met",
        "The number of times the relevant bodies decided that the threshold for a review was "
        "not met.",
    ),
    (
        "reviews_carried_out",
        "Reviews carried out",
        "The number of ASB case reviews carried out.",
    ),
    (
        "reviews_with_recommendations",
        "Reviews with recommendations",
        "The number of ASB case reviews that resulted in recommendations being made.",
    ),
)
"""The four figures each area must publish (ABCPA 2014 s.104), in the Act's order."""

ROUTE_LABELS = {
    "statutory": "The Act's test (3 complaints)",
    "local_count": "Local count",
    "hate": "Hate incident route",
    "community": "Community route",
    "vulnerability": "Vulnerability (discretion)",
    "discretion": "Discretion (s.104(5))",
}
KIND_LABELS = {
    "victim": "Victim",
    "on-behalf": "On behalf of a victim",
    "community": "Community group",
    "business": "Business",
}
STATE_COLOURS = {
    "met": "#1f6fb2",  # blue and orange stay apart for most colour vision
    "breached": "#d9480f",
    "open": "#8a8f98",
    "cancelled": "#d0d4da",
}
BAR_COLOUR = "#1f6fb2"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    svg: Markup
    caption: str


def _fmt(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    desc: str = "",
    width: int = 560,
    label_w: int = 230,
) -> Markup:
    """Horizontal bars, one per (label, value), with the value at the end of each bar."""
    n = next(_ids)
    row, value_w, top = 28, 40, 8
    height = top * 2 + row * max(len(items), 1)
    most = max([v for _, v in items] + [1])
    bar_w = width - label_w - value_w
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-labelledby="c{n}t c{n}d">',
        f'<title id="c{n}t">{escape(title)}</title>',
        f'<desc id="c{n}d">{escape(desc or _describe(items))}</desc>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = 0 if value <= 0 else max(2.0, bar_w * value / most)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 5}" text-anchor="end" '
            f'class="lbl">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{_fmt(round(w, 1))}" '
            f'height="{row - 8}" fill="{BAR_COLOUR}" rx="2"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + row / 2 + 5}" '
            f'class="val">{value}</text>'
        )
    parts.append(
        f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - top + 2}" '
        'stroke="#444" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def stacked_chart(
    title: str,
    items: Sequence[tuple[str, dict[str, int]]],
    series: Sequence[str],
    *,
    desc: str = "",
    width: int = 560,
) -> Markup:
    """Horizontal stacked bars: one per label, one segment per series, and a legend."""
    n = next(_ids)
    row, label_w, total_w, top, legend = 28, 150, 50, 8, 26
    height = top * 2 + row * max(len(items), 1) + legend
    most = max([sum(v.get(s, 0) for s in series) for _, v in items] + [1])
    bar_w = width - label_w - total_w
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-labelledby="c{n}t c{n}d">',
        f'<title id="c{n}t">{escape(title)}</title>',
        f'<desc id="c{n}d">{escape(desc)}</desc>',
    ]
    for i, (label, values) in enumerate(items):
        y = top + i * row
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 5}" text-anchor="end" '
            f'class="lbl">{escape(label)}</text>'
        )
        x = float(label_w)
        for s in series:
            v = values.get(s, 0)
            if v <= 0:
                continue
            w = bar_w * v / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
                f'fill="{STATE_COLOURS.get(s, BAR_COLOUR)}"><title>{escape(label)}: '
                f"{v} {escape(s)}</title></rect>"
            )
            if w >= 18:
                colour = "#222" if s == "cancelled" else "#fff"
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + row / 2 + 5}" text-anchor="middle" '
                    f'class="seg" fill="{colour}">{v}</text>'
                )
            x += w
        total = sum(values.get(s, 0) for s in series)
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + row / 2 + 5}" class="val">{total}</text>'
        )
    ly = height - legend + 8
    lx = float(label_w)
    for s in series:
        parts.append(
            f'<rect x="{lx:.0f}" y="{ly}" width="12" height="12" '
            f'fill="{STATE_COLOURS.get(s, BAR_COLOUR)}"/>'
            f'<text x="{lx + 16:.0f}" y="{ly + 11}" class="lbl">{escape(s)}</text>'
        )
        lx += 30 + 8 * len(s) + 16
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def _describe(items: Sequence[tuple[str, int]]) -> str:
    return "; ".join(f"{label}: {value}" for label, value in items) or "no data"


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("casereview.reporting", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def render_html(stats: Stats, *, head_hash: str | None, produced_at: datetime) -> str:
    """The report: the four statutory figures first, then timeliness and outcomes, then the
    log head hash ("not available" when None) and the time it was produced."""
    f = stats.total
    where = stats.area or "all areas"
    statutory = [
        (key, label, wording, getattr(f, key)) for key, label, wording in STATUTORY
    ]
    series = ("met", "breached", "open", "cancelled")
    steps = [(kind, states) for kind, states in f.timescales.items()]
    routes = [(ROUTE_LABELS.get(k, k), v) for k, v in f.by_route.items()]
    kinds = [(KIND_LABELS.get(k, k), v) for k, v in f.by_applicant_kind.items()]
    charts = {
        "statutory": bar_chart(
            f"The four statutory figures, {where}, {stats.period.label}",
            [(label, value) for _, label, _, value in statutory],
        ),
        "timeliness": stacked_chart(
            "Timescales met and breached, per step",
            [(kind, states) for kind, states in steps],
            series,
            desc="; ".join(
                f"{kind}: " + ", ".join(f"{states.get(s, 0)} {s}" for s in series)
                for kind, states in steps
            )
            or "no deadlines in the period",
        )
        if steps
        else None,
        "routes": bar_chart("Thresholds met, by route", routes, width=440, label_w=200),
        "kinds": bar_chart(
            "Applications, by who applied", kinds, width=440, label_w=160
        ),
    }
    template = _environment().get_template("stats.html.j2")
    return template.render(
        stats=stats,
        f=f,
        where=where,
        statutory=statutory,
        charts=charts,
        steps=steps,
        series=series,
        routes=routes,
        kinds=kinds,
        head_hash=head_hash,
        produced_at=produced_at.isoformat(timespec="seconds"),
        version=__version__,
        days=_days,
        long_date=_long_date,
        colours=STATE_COLOURS,
    )
