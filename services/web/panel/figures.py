"""The figures the communication plan reports, and those of the loop.

One page for a date range (the last 12 weeks by default): summary cards, bar
charts drawn on the server as inline SVG (no JavaScript), each with its data
table, and a CSV export of every table. The counting lives in shared.figures;
this module lays the charts out and puts the figures in words.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from services.web.context import db, now, runtime
from services.web.panel.base import bp, login_required, nav
from shared import crops
from shared import figures as fig
from shared.reasons import CATEGORY_NAMES

__all__ = ["bp"]


# ---- Words and numbers ----------------------------------------------------


def _lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "fr"


def number(value: float) -> str:
    """Whole numbers, grouped the reader's way; one decimal below 10."""
    if abs(value) < 10 and value != int(value):
        return str(format_decimal(round(value, 1), format="#,##0.#"))
    return str(format_decimal(round(value), format="#,##0"))


def kg_text(value: float) -> str:
    return f"{number(value)}\u00a0kg"


def percent(rate: float | None) -> str:
    return "—" if rate is None else str(format_percent(rate))


def duration(span: timedelta | None) -> str:
    """3 min, 2 h 05, 3 d 4 h: close enough to read at a glance."""
    if span is None:
        return "—"
    minutes = max(0, round(span.total_seconds() / 60))
    if minutes < 60:
        return _("%(minutes)d min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)d h %(minutes)02d", hours=hours, minutes=minutes)
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h", days=days, hours=hours)


def crop_name(name: str) -> str:
    crop = crops.get_crop(name)
    return crop.name_en if crop is not None and _lang() == "en" else name


def category_name(code: str) -> str:
    names = CATEGORY_NAMES.get(code)
    if names is None:
        return code
    text = names[0] if _lang() == "fr" else names[1]
    return text.removeprefix("les ").capitalize()


def mrc_name(key: str) -> str:
    return key or _("Unknown MRC")


def week_label(monday: date, with_year: bool) -> str:
    return str(format_date(monday, "d MMM yyyy" if with_year else "d MMM"))


PROBLEMS = {
    "bad_start": _l(
        "The start date was not understood: dates are written YYYY-MM-DD "
        "(for example 2026-06-01). Here are the last 12 weeks."
    ),
    "bad_end": _l(
        "The end date was not understood: dates are written YYYY-MM-DD "
        "(for example 2026-09-30). Here are the last 12 weeks."
    ),
    "bad_both": _l(
        "Neither date was understood: dates are written YYYY-MM-DD "
        "(for example 2026-06-01). Here are the last 12 weeks."
    ),
    "reversed": _l(
        "The start date came after the end date. Here are the last 12 weeks."
    ),
    "too_long": _l(
        "That range is longer than two years: here are the two years up to its end."
    ),
}


# ---- Bar charts laid out for SVG ------------------------------------------

# viewBox units. 420 wide keeps the text readable on a phone (about 11 px)
# and not too large on a desktop, where the figure is at most 32rem wide.
WIDTH = 420
LABEL_WIDTH = 112  # row labels, right-aligned at this x
PLOT_LEFT = LABEL_WIDTH + 8
PLOT_RIGHT = WIDTH - 70  # room for the value written after the longest bar
LEGEND_HEIGHT = 30
BAR = 12
BAR_GAP = 3
ROW_PAD = 7
EMPTY_ROW = 20
LABEL_CHARS = 15


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    style: str  # light | hatch | dark: told apart by texture and lightness too


@dataclass(frozen=True)
class Bar:
    series: Series
    x: float
    y: float
    width: float
    height: float
    value: str  # written after the bar's end
    tip: str  # the bar's <title>


@dataclass(frozen=True)
class Row:
    label: str  # short enough for the label column
    full_label: str
    y: float  # middle of the row
    top: float
    height: float
    bars: tuple[Bar, ...]
    empty: bool


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class LegendItem:
    series: Series
    x: float


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    label: str  # aria-label: the title and what it shows, in one sentence
    axis_title: str
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]
    legend: tuple[LegendItem, ...]
    series: tuple[Series, ...]
    height: float
    plot_top: float
    plot_bottom: float
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT


def nice_max(value: float) -> float:
    """The axis end: 1, 2, 2.5 or 5 times a power of ten, at least value."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(
    chart_id: str,
    title: str,
    summary: str,
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[Series],
    *,
    axis_title: str,
    value_text: Callable[[float], str] = kg_text,
) -> Chart:
    """Horizontal grouped bars: one row per label, one bar per series.

    Rows where every value is zero are drawn short, a dash beside the label,
    so quiet weeks stay visible without stretching the chart.
    """
    top = LEGEND_HEIGHT + 6
    peak = max((v for _label, values in rows for v in values), default=0.0)
    axis_max = nice_max(peak)
    scale = (PLOT_RIGHT - PLOT_LEFT) / axis_max
    laid_out = []
    y = top
    for label, values in rows:
        empty = not any(values)
        height = (
            EMPTY_ROW
            if empty
            else (len(series) * BAR + (len(series) - 1) * BAR_GAP + 2 * ROW_PAD)
        )
        bars = []
        if not empty:
            bar_y = y + ROW_PAD
            for one, value in zip(series, values, strict=True):
                width = value * scale
                if 0 < width < 1.5:
                    width = 1.5  # a few kilos still show
                text = value_text(value)
                bars.append(
                    Bar(
                        one,
                        PLOT_LEFT,
                        bar_y,
                        round(width, 1),
                        BAR,
                        text,
                        _(
                            "%(row)s, %(series)s: %(value)s",
                            row=label,
                            series=one.label,
                            value=text,
                        ),
                    )
                )
                bar_y += BAR + BAR_GAP
        laid_out.append(
            Row(_short(label), label, y + height / 2, y, height, tuple(bars), empty)
        )
        y += height
    bottom = y + 4
    # Ticks on round numbers: 0-500-1000-1500-2000, 0-1000-...-5000, 0-200-...
    leading = axis_max / 10 ** math.floor(math.log10(axis_max))
    steps = 4 if leading == 2 else 5
    ticks = tuple(
        Tick(
            round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * n / steps, 1),
            number(axis_max * n / steps),
        )
        for n in range(steps + 1)
    )
    legend = []
    x = 0.0
    for one in series:
        legend.append(LegendItem(one, x))
        x += 34 + 8 * len(one.label)
    return Chart(
        id=chart_id,
        title=title,
        label=f"{title}. {summary}",
        axis_title=axis_title,
        rows=tuple(laid_out),
        ticks=ticks,
        legend=tuple(legend),
        series=tuple(series),
        height=bottom + 40,
        plot_top=top,
        plot_bottom=bottom,
    )


def kg_series() -> list[Series]:
    return [
        Series("offered", _("Offered"), "light"),
        Series("claimed", _("Claimed"), "hatch"),
        Series("collected", _("Collected"), "dark"),
    ]


def _kg_values(kg: fig.Kilos) -> tuple[float, float, float]:
    return (kg.offered, kg.claimed, kg.collected)


def _kg_summary(kg: fig.Kilos) -> str:
    return _(
        "%(offered)s offered, %(claimed)s claimed (%(rate)s), %(collected)s collected.",
        offered=kg_text(kg.offered),
        claimed=kg_text(kg.claimed),
        rate=percent(kg.claim_rate),
        collected=kg_text(kg.collected),
    )


def charts(figures: fig.Figures) -> dict[str, Chart]:
    with_year = figures.period.start.year != figures.period.end.year
    kg_axis = _("Kilograms")
    weekly = bar_chart(
        "chart-weekly",
        _("Kilos by week"),
        _kg_summary(figures.totals),
        [(week_label(w.start, with_year), _kg_values(w.kg)) for w in figures.weeks],
        kg_series(),
        axis_title=kg_axis,
    )
    mrc = bar_chart(
        "chart-mrc",
        _("Kilos by MRC"),
        _kg_summary(figures.totals),
        [(mrc_name(g.key), _kg_values(g.kg)) for g in figures.by_mrc],
        kg_series(),
        axis_title=kg_axis,
    )
    crop = bar_chart(
        "chart-crop",
        _("Kilos by crop"),
        _kg_summary(figures.totals),
        [(crop_name(g.key), _kg_values(g.kg)) for g in figures.by_crop],
        kg_series(),
        axis_title=kg_axis,
    )
    messages = bar_chart(
        "chart-messages",
        _("Messages by channel"),
        _(
            "%(received)s received, %(sent)s sent.",
            received=number(figures.messages_in),
            sent=number(figures.messages_out),
        ),
        [(channel_name(c.channel), (c.received, c.sent)) for c in figures.messages],
        [
            Series("in", _("Received"), "light"),
            Series("out", _("Sent"), "dark"),
        ],
        axis_title=_("Messages"),
        value_text=number,
    )
    visits = bar_chart(
        "chart-visits",
        _("Site visits by week"),
        _("%(views)s page views.", views=number(figures.visits.total)),
        [
            (week_label(start, with_year), (views,))
            for start, views in figures.visits.by_week
        ],
        [Series("views", _("Page views"), "dark")],
        axis_title=_("Page views"),
        value_text=number,
    )
    return {
        "weekly": weekly,
        "mrc": mrc,
        "crop": crop,
        "messages": messages,
        "visits": visits,
    }


SURVEY_NAMES = {
    "pickup_farmer": _l("Farmers, after a pickup"),
    "pickup_organization": _l("Organizations, after a pickup"),
    "partner": _l("Partners"),
}


def survey_name(kind: str) -> str:
    return str(SURVEY_NAMES.get(kind, kind))


def score(value: float | None) -> str:
    """An average score out of 5, one decimal."""
    if value is None:
        return "—"
    return _("%(score)s / 5", score=format_decimal(round(value, 1), format="0.0"))


def channel_name(channel: str) -> str:
    return {"sms": _("SMS"), "email": _("Email")}.get(channel, channel)


# ---- Views ----------------------------------------------------------------


def _period() -> fig.PeriodChoice:
    today = now().date()
    return fig.choose_period(request.args.get("start"), request.args.get("end"), today)


def _shortcuts(today: date) -> list[tuple[str, str, str]]:
    """(label, start, end) for the ranges people ask for most."""
    four = fig.default_period(today, 4)
    twelve = fig.default_period(today)
    return [
        (_("Last 4 weeks"), four.start.isoformat(), today.isoformat()),
        (_("Last 12 weeks"), twelve.start.isoformat(), today.isoformat()),
        (_("This year"), date(today.year, 1, 1).isoformat(), today.isoformat()),
    ]


def _problems(codes: tuple[str, ...]) -> list[str]:
    if {"bad_start", "bad_end"} <= set(codes):
        codes = ("bad_both",)
    return [str(PROBLEMS[code]) for code in codes]


@bp.get("/figures")
@login_required
def figures() -> ResponseReturnValue:
    choice = _period()
    period = choice.period
    tz = runtime().settings.tz
    numbers = fig.compute(db(), period, tz)
    return render_template(
        "panel/figures.html",
        nav_items=nav(),
        f=numbers,
        period=period,
        problems=_problems(choice.problems),
        charts=charts(numbers),
        shortcuts=_shortcuts(now().date()),
        tz_name=runtime().settings.timezone,
        tables=fig.TABLES,
        number=number,
        kg_text=kg_text,
        percent=percent,
        duration=duration,
        crop_name=crop_name,
        category_name=category_name,
        mrc_name=mrc_name,
        channel_name=channel_name,
        week_label=week_label,
        survey_name=survey_name,
        score=score,
    )


@bp.get("/figures.csv")
@login_required
def figures_csv() -> ResponseReturnValue:
    name = request.args.get("table", "weekly") or "weekly"
    if name not in fig.TABLES:
        return Response(
            _(
                "Unknown table. Ask for one of: %(tables)s.",
                tables=", ".join(fig.TABLES),
            ),
            status=400,
            mimetype="text/plain",
        )
    period = _period().period
    numbers = fig.compute(db(), period, runtime().settings.tz)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(fig.table(numbers, name))
    filename = f"glanage-{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
