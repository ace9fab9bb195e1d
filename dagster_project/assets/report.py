"""The study report: one static HTML page with the headline figures as inline SVG charts.

It is read from the published warehouse (read-only, like any analyst) after a run has published it, and
written to `<warehouse dir>/report/index.html` aside then renamed. No JavaScript and nothing fetched: the
page opens from disk or any static server. Each chart says how its figure is defined and puts the MERICS
figure (seed `reference_figures`, or a MERICS column of `headline_figures`) beside ours. A banner says so
when the data are synthetic.

The marts grow over time; every section reads what the warehouse has and says what is missing instead of
failing, so the report never blocks a run.
"""


import html
import math
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from ..lib.duckdb_io import connect
from ..settings import load_settings
from .serving import MART_KEYS, PUBLISHED_KEY

REPORT_KEY = dg.AssetKey(["reports", "study_report"])

BLUE, RED, PURPLE, GREY, INK = "#1f5fa8", "#b8322a", "#6a3d9a", "#9aa3ad", "#1d232b"
RISK_COLOURS = {"pla": "#7a0019", "defence_linked": "#c0392b", "security_linked": "#e08e0b", "listed": "#d9b38c", "none": "#b4bcc5"}
RISK_LABELS = {"pla": "PLA", "defence_linked": "defence-linked (not PLA)", "security_linked": "security-linked",
               "listed": "on a risk list, no tag", "none": "no risk tag"}


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    value = float(value)
    if unit == "share":
        return f"{value:.1%}" if value < 0.1 else f"{value:.0%}" if value >= 0.995 else f"{value:.1%}"
    return f"{value:,.0f}"


# --- reading the warehouse --------------------------------------------------------------------------------

@dataclass
class Reference:
    value: float
    label: str
    status: str = ""
    source: str = ""
    note: str = ""


@dataclass
class Warehouse:
    relations: set[str]
    columns: dict[str, list[str]]
    headline: dict[tuple[str, str, str], float | None] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    merics: dict[tuple[str, str, str], Reference] = field(default_factory=dict)
    merics_by_id: dict[str, Reference] = field(default_factory=dict)
    label: str = ""
    synthetic: bool = False
    definition_set: str = ""
    span: str = ""

    def has(self, relation: str, *cols: str) -> bool:
        return relation in self.relations and all(c in self.columns.get(relation, []) for c in cols)

    def fig(self, metric: str, scope: str, period: str) -> float | None:
        return self.headline.get((metric, scope, period))

    def ref(self, metric: str, scope: str, period: str) -> Reference | None:
        return self.merics.get((metric, scope, period))

    def years(self) -> list[str]:
        return sorted({p for (m, s, p) in self.headline if p.isdigit()})


def read_warehouse(con) -> Warehouse:
    rows = con.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns order by table_schema, table_name, ordinal_position"
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for rel, col in rows:
        columns.setdefault(rel, []).append(col)
    wh = Warehouse(relations=set(columns), columns=columns)
    headline_refs: dict[tuple[str, str, str], Reference] = {}
    if wh.has("staging.stg_openalex__dataset", "dataset_label"):
        synth_col = "is_synthetic" if "is_synthetic" in columns["staging.stg_openalex__dataset"] else "false"
        wh.label, wh.synthetic = con.execute(f"select dataset_label, {synth_col} from staging.stg_openalex__dataset").fetchone()
    elif wh.has("raw.dataset", "dataset_label", "is_synthetic"):
        wh.label, wh.synthetic = con.execute("select dataset_label, is_synthetic from raw.dataset order by loaded_at desc limit 1").fetchone()
    wh.synthetic = bool(wh.synthetic) or "SYNTHETIC" in (wh.label or "").upper()

    if wh.has("marts.headline_figures", "metric", "scope", "period", "value"):
        hcols = columns["marts.headline_figures"]
        unit = "unit" if "unit" in hcols else "null"
        merics_col = "merics_value" if "merics_value" in hcols else "null"
        status_col = "merics_status" if "merics_status" in hcols else "null"
        for metric, scope, period, value, u, mv, status in con.execute(
            f"select metric, scope, period, value, {unit}, {merics_col}, {status_col} from marts.headline_figures"
        ).fetchall():
            wh.headline[(metric, scope, period)] = None if value is None else float(value)
            wh.units[metric] = u or ("share" if "share" in metric else "works")
            if mv is not None:
                headline_refs[(metric, scope, period)] = Reference(float(mv), "MERICS", status or "")
        if "definition_set" in hcols:
            wh.definition_set = con.execute("select any_value(definition_set) from marts.headline_figures").fetchone()[0] or ""
    spans = [p for (_, _, p) in wh.headline if "-" in p]
    wh.span = max(spans, key=spans.count) if spans else "2017-2022"
    if not wh.definition_set:
        for rel, cols in columns.items():
            if rel.startswith("marts.") and "definition_set" in cols:
                wh.definition_set = con.execute(f"select any_value(definition_set) from {rel}").fetchone()[0] or ""
                break

    # The MERICS figures from the reference seed, keyed by the warehouse metric each is compared with.
    ref_sql = None
    if wh.has("staging.stg_reference__reference_figures", "metric_id", "warehouse_metric", "reference_value"):
        ref_sql = """select metric_id, warehouse_metric, warehouse_scope, warehouse_period, reference_value, reference_metric,
                            status, source_url, notes from staging.stg_reference__reference_figures
                     where metric_id like 'merics%'"""
    elif wh.has("reference.reference_figures", "metric_id", "warehouse_metric", "value_numeric"):
        ref_sql = """select metric_id, warehouse_metric, warehouse_scope, warehouse_period, value_numeric, metric,
                            status, source, warehouse_comparison_note from reference.reference_figures
                     where metric_id like 'merics%'"""
    if ref_sql:
        for metric_id, metric, scope, period, value, label, status, source, note in con.execute(ref_sql).fetchall():
            if value is None:
                continue
            wh.merics_by_id[metric_id] = Reference(float(value), label or "", status or "", source or "", note or "")
            if not metric:
                continue
            wh.merics.setdefault((metric, scope or "", period or ""), Reference(float(value), label or "", status or "", source or "", note or ""))
    for key, ref in headline_refs.items():
        wh.merics.setdefault(key, ref)
    return wh


# --- SVG charts ----------------------------------------------------------------------------------------------

def _scale(value: float, unit: str, max_ticks: int = 5) -> tuple[float, float]:
    """A round axis maximum and tick step covering `value` (shares in round percents, counts in whole numbers)."""
    value = float(value)
    if value <= 0:
        return (1.0, 0.25) if unit == "share" else (1.0, 1.0)
    steps = [m * 10.0 ** e for e in range(-3, 9) for m in (1, 2, 2.5, 5)]
    if unit != "share":
        steps = [s for s in steps if s >= 1 and (s == int(s))]
    for step in steps:
        if value / step <= max_ticks:
            top = round(math.ceil(value / step - 1e-9) * step, 10)
            return top, step
    return value, value


def _ticks(top: float, step: float) -> list[float]:
    return [round(step * i, 10) for i in range(int(round(top / step)) + 1)]


def _tick_label(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 1e-6 else f"{value:.1%}"
    return f"{value:,.0f}"


def _legend(items: list[tuple[str, str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Legend swatches left to right, wrapping at `width`; returns the SVG and the height it took."""
    out, cx, cy = [], x, y
    for kind, colour, label in items:
        w = 26 + 6.9 * len(label)
        if cx > x and cx + w > width:
            cx, cy = x, cy + 18
        if kind == "bar":
            out.append(f'<rect x="{cx:.1f}" y="{cy - 9:.1f}" width="12" height="12" fill="{colour}"/>')
        else:
            out.append(_diamond(cx + 6, cy - 3, colour, 5))
        out.append(f'<text x="{cx + 17:.1f}" y="{cy + 1:.1f}" class="legend">{esc(label)}</text>')
        cx += w
    return "".join(out), cy - y + 18


def _diamond(x: float, y: float, colour: str, r: float = 6) -> str:
    d = f"M{x:.1f},{y - r:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r:.1f} L{x - r:.1f},{y:.1f} Z"
    # A white halo keeps the marker visible on dark bars.
    return f'<path d="{d}" fill="none" stroke="#fff" stroke-width="5"/><path d="{d}" fill="#fff" stroke="{colour}" stroke-width="2.2"/>'



@dataclass
class Series:
    name: str
    colour: str
    values: dict[str, float | None]  # category -> value
    refs: dict[str, float] = field(default_factory=dict)  # category -> MERICS value


def column_chart(title: str, categories: list[str], series: list[Series], unit: str, stacked: bool = False,
                 width: int = 760, plot_height: int = 220) -> str:
    """Columns per category (years), grouped or stacked, with MERICS figures as open diamonds on the same scale."""
    left, right, bottom = 58, 16, 30
    legend = [("bar", s.colour, s.name) for s in series]
    if any(s.refs for s in series):
        legend.append(("ref", INK, "MERICS (2023)"))
    legend_svg, legend_h = _legend(legend, left, 16, width - right)
    top = 16 + legend_h + 14
    height = top + plot_height + bottom
    plot_w = width - left - right
    if stacked:
        totals = [sum(s.values.get(c) or 0 for s in series) for c in categories]
    else:
        totals = [v for s in series for v in s.values.values() if v is not None]
    refs = [v for s in series for v in s.refs.values()]
    ymax, step = _scale(max(totals + refs, default=0), unit)
    y = lambda v: top + plot_height - (v / ymax) * plot_height  # noqa: E731
    group_w = plot_w / max(len(categories), 1)
    bar_w = min(40 if stacked else 34, group_w * 0.8 / (1 if stacked else max(len(series), 1)))
    show_values = (len(categories) * (1 if stacked else len(series))) <= 14
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{esc(title)}</title>", legend_svg]
    for t in _ticks(ymax, step):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" class="grid"/>')
        out.append(f'<text x="{left - 8}" y="{y(t) + 4:.1f}" class="tick" text-anchor="end">{_tick_label(t, unit)}</text>')
    for i, cat in enumerate(categories):
        gx = left + i * group_w + (group_w - bar_w * (1 if stacked else len(series))) / 2
        base = 0.0
        for j, s in enumerate(series):
            v = s.values.get(cat)
            bx = gx if stacked else gx + j * bar_w
            if v is not None:
                y0 = y(base) if stacked else y(0)
                y1 = y(base + v) if stacked else y(v)
                out.append(f'<rect x="{bx + 1:.1f}" y="{y1:.1f}" width="{bar_w - 2:.1f}" height="{max(y0 - y1, 0):.1f}" fill="{s.colour}">'
                           f"<title>{esc(s.name)}, {cat}: {fmt(v, unit)}</title></rect>")
                if show_values and not stacked:
                    label_y = y1 - 4
                    r = s.refs.get(cat)
                    if r is not None and abs(y(r) - (y1 - 8)) < 14:  # keep the figure clear of the MERICS marker
                        label_y = min(y1, y(r) - 7) - 4
                    out.append(f'<text x="{bx + bar_w / 2:.1f}" y="{label_y:.1f}" class="value" text-anchor="middle">{fmt(v, unit)}</text>')
                if stacked:
                    base += v
            r = s.refs.get(cat)
            if r is not None:
                out.append(f"<g>{_diamond(bx + bar_w / 2, y(r), INK)}<title>MERICS, {esc(s.name)}, {cat}: {fmt(r, unit)}</title></g>")
        if stacked and show_values:
            out.append(f'<text x="{gx + bar_w / 2:.1f}" y="{y(base) - 4:.1f}" class="value" text-anchor="middle">{fmt(base, unit)}</text>')
        out.append(f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{height - bottom + 18}" class="tick" text-anchor="middle">{esc(cat)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="axis"/>')
    out.append("</svg>")
    return "".join(out)


@dataclass
class Bar:
    label: str
    value: float | None
    colour: str = BLUE
    ref: float | None = None
    note: str = ""


def bar_chart(title: str, bars: list[Bar], unit: str, width: int = 760, label_w: int = 300, legend: list | None = None) -> str:
    """Horizontal bars, one per row, with an optional MERICS diamond on each."""
    row_h, right = 26, 64
    legend_svg, legend_h = _legend(legend, 8, 16, width - right) if legend else ("", 0)
    top = 16 + legend_h + 8 if legend else 8
    height = top + row_h * len(bars) + 26
    plot_w = width - label_w - right
    values = [b.value for b in bars if b.value is not None] + [b.ref for b in bars if b.ref is not None]
    xmax, step = _scale(max(values, default=0), unit)
    x = lambda v: label_w + (v / xmax) * plot_w  # noqa: E731
    max_chars = int((label_w - 12) / 7.4)  # ~7 px a character at 12.5 px, wide glyphs included
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">',
           f"<title>{esc(title)}</title>", legend_svg]
    for t in _ticks(xmax, step):
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 4}" y2="{top + row_h * len(bars)}" class="grid"/>')
        out.append(f'<text x="{x(t):.1f}" y="{top + row_h * len(bars) + 16}" class="tick" text-anchor="middle">{_tick_label(t, unit)}</text>')
    for i, b in enumerate(bars):
        cy = top + i * row_h + row_h / 2
        label = b.label if len(b.label) <= max_chars else b.label[: max_chars - 1] + "…"
        out.append(f'<text x="{label_w - 8}" y="{cy + 4:.1f}" class="label" text-anchor="end"><title>{esc(b.label)}</title>{esc(label)}</text>')
        if b.value is not None:
            out.append(f'<rect x="{label_w}" y="{cy - 8:.1f}" width="{max(x(b.value) - label_w, 0.5):.1f}" height="16" fill="{b.colour}">'
                       f"<title>{esc(b.label)}: {fmt(b.value, unit)}</title></rect>")
            end = max(x(b.value), x(b.ref) + 7 if b.ref is not None else 0)
            out.append(f'<text x="{end + 5:.1f}" y="{cy + 4:.1f}" class="value">{fmt(b.value, unit)}{esc(b.note)}</text>')
        if b.ref is not None:
            out.append(f"<g>{_diamond(x(b.ref), cy, INK)}<title>MERICS: {fmt(b.ref, unit)}</title></g>")
    out.append(f'<line x1="{label_w}" x2="{label_w}" y1="{top - 4}" y2="{top + row_h * len(bars)}" class="axis"/>')
    out.append("</svg>")
    return "".join(out)


# --- the sections ---------------------------------------------------------------------------------------------

@dataclass
class Section:
    key: str
    title: str
    chart: str | None
    definition: str
    comparison: list[tuple[str, str, str, str]] = field(default_factory=list)  # (figure, ours, MERICS, note)
    missing: str = ""


def _comparison_row(wh: Warehouse, name: str, metric: str, scope: str, period: str) -> tuple[str, str, str, str]:
    unit = wh.units.get(metric, "share" if "share" in metric else "works")
    ours = wh.fig(metric, scope, period)
    ref = wh.ref(metric, scope, period)
    return (f"{name} ({period})", fmt(ours, unit), fmt(ref.value, unit) if ref else "—", _ref_note(ref))


def _ref_note(ref: "Reference | None") -> str:
    """The MERICS figure's own wording, flagged when it only comes from the project brief; HTML."""
    if not ref:
        return ""
    text = esc(ref.label if ref.label and ref.label != "MERICS" else ref.note)
    if "brief" in ref.status:
        text += " <i>(unconfirmed: from the project brief)</i>"
    if ref.source.startswith("http"):
        url = ref.source.split(" ")[0]
        text += f' <a href="{esc(url)}">source</a>'
    return text


def section_shares(con, wh: Warehouse) -> Section:
    years = wh.years()
    eu = Series("Europe: share of its AI works with China", BLUE,
                {y: wh.fig("europe_share_with_cn", "EUROPE", y) for y in years},
                {y: r.value for y in years if (r := wh.ref("europe_share_with_cn", "EUROPE", y))})
    cn = Series("China: share of its AI works with Europe", RED,
                {y: wh.fig("cn_share_with_europe", "CN", y) for y in years},
                {y: r.value for y in years if (r := wh.ref("cn_share_with_europe", "CN", y))})
    ok = any(v is not None for v in eu.values.values())
    rows = [_comparison_row(wh, "Europe's share with China", "europe_share_with_cn", "EUROPE", y) for y in years
            if wh.ref("europe_share_with_cn", "EUROPE", y)]
    rows += [_comparison_row(wh, "China's share with Europe", "cn_share_with_europe", "CN", y) for y in years
             if wh.ref("cn_share_with_europe", "CN", y)]
    rows.append(_comparison_row(wh, "Europe–China AI works", "eu_cn_works", "EUROPE", wh.span))
    return Section(
        "shares", "Europe's and China's AI output co-authored with the other side, by year",
        column_chart("Share of AI works with the other side, by year", years, [eu, cn], "share") if ok else None,
        "<code>europe_share_with_cn</code> = Europe–China AI works / Europe's AI works of the year; "
        "<code>cn_share_with_europe</code> = the same works / China's AI works. A Europe–China work is an in-scope "
        "AI work (English, not retracted, not paratext) with at least one European and at least one mainland-Chinese "
        "institution (dbt vars <code>europe_definition</code>, <code>ai_definition</code>, <code>china_definition</code>).",
        rows, "" if ok else "marts.headline_figures has no europe_share_with_cn rows",
    )


def _country_year(con, wh: Warehouse, scope: str) -> dict[str, tuple[float | None, float | None, float | None]]:
    """{year: (share_with_cn, ai_works, works_with_cn)} for a country, from agg_country_year or headline_figures."""
    if wh.has("marts.agg_country_year", "scope", "publication_year", "share_with_partner", "ai_works", "partner_works"):
        return {str(y): (None if s is None else float(s), a, p) for y, s, a, p in con.execute(
            "select publication_year, share_with_partner, ai_works, partner_works from marts.agg_country_year where scope = ? order by 1",
            [scope]).fetchall()}
    return {y: (wh.fig("country_share_with_cn", scope, y), wh.fig("country_ai_works", scope, y), None) for y in wh.years()
            if wh.fig("country_share_with_cn", scope, y) is not None}


def section_uk(con, wh: Warehouse) -> Section:
    years = wh.years()
    uk = _country_year(con, wh, "GB")
    de = _country_year(con, wh, "DE")
    fr = _country_year(con, wh, "FR")
    series = [Series("United Kingdom (GB)", PURPLE, {y: uk.get(y, (None,))[0] for y in years},
                     {y: r.value for y in years if (r := wh.ref("country_share_with_cn", "GB", y))})]
    for name, data, colour in (("Germany (DE)", de, "#4f9bd9"), ("France (FR)", fr, "#8fb8de")):
        if data:
            series.append(Series(name, colour, {y: data.get(y, (None,))[0] for y in years}))
    ok = any(v is not None for v in series[0].values.values())
    rows = [_comparison_row(wh, "UK's share with China", "country_share_with_cn", "GB", y) for y in years if wh.ref("country_share_with_cn", "GB", y)]
    for r in rows:
        if r[1] == "—":  # from agg_country_year when headline_figures lacks the row
            y = r[0].rsplit("(", 1)[1].rstrip(")")
            rows[rows.index(r)] = (r[0], fmt(uk.get(y, (None,))[0], "share"), r[2], r[3])
    return Section(
        "uk", "The UK's AI output co-authored with China, by year (Germany and France for scale)",
        column_chart("Share of a country's AI works with a Chinese institution", years, series, "share") if ok else None,
        "<code>country_share_with_cn</code> = a country's AI works with at least one mainland-Chinese institution / "
        "that country's AI works in the year (<code>marts.agg_country_year.share_with_partner</code>). OpenAlex writes "
        "GB for the UK.",
        rows, "" if ok else "no per-country shares yet (marts.agg_country_year or country_share_with_cn in headline_figures)",
    )


def section_countries(con, wh: Warehouse) -> Section:
    span = wh.span
    shares = {s: v for (m, s, p), v in wh.headline.items() if m == "country_share_of_eu_cn_works" and p == span and v is not None}
    source = "marts.headline_figures (country_share_of_eu_cn_works)"
    if not shares and wh.has("marts.fct_eu_cn_works", "european_countries"):
        total = con.execute("select count(*) from marts.fct_eu_cn_works").fetchone()[0] or 0
        if total:
            shares = dict(con.execute(
                "select c, count(*)::double / ? from (select unnest(european_countries) as c from marts.fct_eu_cn_works) group by c",
                [total]).fetchall())
            source = "computed from marts.fct_eu_cn_works"
    top = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
    bars = [Bar(code, v, PURPLE if code == "GB" else BLUE,
                (r.value if (r := wh.ref("country_share_of_eu_cn_works", code, span)) else None)) for code, v in top]
    r = wh.ref("country_share_of_eu_cn_works", "GB", span)
    rows = [(f"UK share of Europe–China works ({span})", fmt(shares.get("GB"), "share"), fmt(r.value, "share") if r else "—", _ref_note(r))]
    return Section(
        "countries", f"Which European countries take part in Europe–China AI works ({span})",
        bar_chart("Share of Europe–China AI works by European country", bars, "share", label_w=120,
                  legend=[("bar", PURPLE, "United Kingdom"), ("bar", BLUE, "other European countries"), ("ref", INK, "MERICS (2023)")]) if bars else None,
        "<code>country_share_of_eu_cn_works</code> = Europe–China works with an institution of the country / all "
        f"Europe–China works, over {span}. A work with several European countries counts for each, so the shares add "
        f"up to more than 100 %. Source: {source}.",
        rows, "" if bars else "marts.fct_eu_cn_works is missing",
    )


def section_risk(con, wh: Warehouse) -> Section:
    span = wh.span
    rows = [_comparison_row(wh, "Works with the PLA", "eu_cn_works_with_pla", "EUROPE", span),
            _comparison_row(wh, "Works with defence-linked partners", "eu_cn_works_defence_linked", "EUROPE", span),
            _comparison_row(wh, "Share with defence-linked partners", "eu_cn_share_defence_linked", "EUROPE", span)]
    definition = (
        "A Europe–China work's risk level is the highest tag among its Chinese institutions, matched by ROR id on the "
        "institution or any parent in its OpenAlex lineage (seeds <code>risk_entities</code>, <code>risk_entity_units</code>; "
        "dbt var <code>risk_list_variant</code>): <b>PLA</b> (People's Liberation Army units and universities), "
        "<b>defence-linked</b> (PLA, Seven Sons of National Defence, the nuclear-weapons programme, defence agencies and "
        "conglomerates — MERICS' \"directly controlled by or closely tied to the military\"), <b>security-linked</b> "
        "(public and state security, People's Armed Police).")
    levels = ["pla", "defence_linked", "security_linked", "listed", "none"]
    years = wh.years()
    found: dict[tuple[str, str], float] = {}
    wide = "marts.agg_risk_year"
    if wh.has(wide, "period", *(f"eu_cn_works_risk_level_{lvl}" for lvl in ("pla", "defence_linked", "none"))):
        cols = [lvl for lvl in levels if f"eu_cn_works_risk_level_{lvl}" in wh.columns[wide]]
        for row in con.execute(f"select period, {', '.join(f'eu_cn_works_risk_level_{c}' for c in cols)} from {wide}").fetchall():
            for lvl, n in zip(cols, row[1:]):
                found[(str(row[0]), lvl)] = float(n or 0)
        source = wide
    elif wh.has("marts.fct_eu_cn_works", "risk_level", "publication_year"):
        for y, lvl, n in con.execute(
            "select publication_year::varchar, risk_level, count(*) from marts.fct_eu_cn_works group by all"
        ).fetchall():
            found[(y, lvl)] = float(n)
        source = "marts.fct_eu_cn_works"
    if found:
        years = years or sorted({y for y, _ in found if y.isdigit()})
        series = [Series(RISK_LABELS.get(lvl, lvl), RISK_COLOURS.get(lvl, GREY), {y: found.get((y, lvl), 0.0) for y in years})
                  for lvl in levels if any(found.get((y, lvl)) for y in years)]
        chart = column_chart("Europe–China AI works by the risk level of their Chinese partners", years, series, "works", stacked=True)
        return Section("risk", "Military- and security-linked Chinese partners, by year", chart,
                       definition + f" Each column is all Europe–China works of the year, split by risk level. Source: {source}.", rows)
    pla, defence, total = (wh.fig("eu_cn_works_with_pla", "EUROPE", span), wh.fig("eu_cn_works_defence_linked", "EUROPE", span),
                           wh.fig("eu_cn_works", "EUROPE", span))
    if defence is None and pla is None:
        return Section("risk", "Military- and security-linked Chinese partners", None, definition, rows,
                       "no risk figures yet (marts.agg_risk_year or the eu_cn_works_* risk metrics in headline_figures)")
    bars = [Bar("All Europe–China AI works", total, GREY, (r.value if (r := wh.ref("eu_cn_works", "EUROPE", span)) else None)),
            Bar("… with a defence-linked partner", defence, RISK_COLOURS["defence_linked"],
                (r.value if (r := wh.ref("eu_cn_works_defence_linked", "EUROPE", span)) else None)),
            Bar("… with the PLA itself", pla, RISK_COLOURS["pla"], (r.value if (r := wh.ref("eu_cn_works_with_pla", "EUROPE", span)) else None))]
    return Section("risk", f"Military-linked Chinese partners ({span})",
                   bar_chart("Europe–China AI works with military-linked partners", bars, "works", label_w=240,
                             legend=[("ref", INK, "MERICS (2023), real OpenAlex")]),
                   definition + " Source: marts.headline_figures.", rows)


def section_links(con, wh: Warehouse) -> Section:
    span = wh.span
    rows = [_comparison_row(wh, "Top-10 German–Chinese links involving TU Munich", "top10_links_involving_tum", "DE-CN", span)]
    definition = ("An institution link is a (European institution, Chinese institution) pair on the same Europe–China work, "
                  "counted in distinct works (<code>marts.agg_institution_links</code>); the bar's colour is the Chinese "
                  "side's risk level. dbt vars <code>top_links_n</code>, <code>top_links_country</code>, "
                  "<code>top_links_institution_ror_id</code> define the TU Munich figure.")
    table = "marts.agg_institution_links"
    if not wh.has(table, "european_institution_name", "chinese_institution_name", "eu_cn_works"):
        return Section("links", "The largest institution links", None, definition, rows, "marts.agg_institution_links is not in this warehouse yet")
    risk = "chinese_risk_level" if "chinese_risk_level" in wh.columns[table] else "'none'"
    country = "european_country_code" if "european_country_code" in wh.columns[table] else "''"
    top = con.execute(
        f"""select european_institution_name, {country}, chinese_institution_name, eu_cn_works, {risk}
            from {table} order by eu_cn_works desc, european_institution_name, chinese_institution_name limit 10"""
    ).fetchall()
    def short(name: str, n: int) -> str:  # each side keeps a readable part of its name
        return name if len(name) <= n else name[: n - 1].rstrip() + "…"

    bars = [Bar(f"{short(e, 27)} ({c}) — {short(z, 23)}" if c else f"{short(e, 30)} — {short(z, 24)}", float(n),
                RISK_COLOURS.get(r or "none", GREY)) for e, c, z, n, r in top]
    present = [lvl for lvl in RISK_COLOURS if any((r or "none") == lvl for *_, r in top)]
    return Section(
        "links", f"The 10 largest Europe–China institution links ({span})",
        bar_chart("Europe–China institution pairs by distinct works", bars, "works", label_w=420,
                  legend=[("bar", RISK_COLOURS[lvl], RISK_LABELS[lvl]) for lvl in present]) if bars else None,
        definition, rows, "" if bars else "no links in this warehouse",
    )


def section_funding(con, wh: Warehouse) -> Section:
    span = wh.span
    metrics = [("share_china_funded_of_disclosed", "a Chinese funder"), ("share_china_gov_funded_of_disclosed", "a Chinese government funder")]
    bars = [Bar(f"… with {label}", wh.fig(m, "EUROPE", span), RED if "gov" not in m else "#7a0019",
                (r.value if (r := wh.ref(m, "EUROPE", span)) else None)) for m, label in metrics]
    disclosed, total = wh.fig("eu_cn_works_funding_disclosed", "EUROPE", span), wh.fig("eu_cn_works", "EUROPE", span)
    if disclosed is not None and total:
        r = wh.merics_by_id.get("merics_funding_disclosed_share")
        bars.insert(0, Bar("Disclosing a funder (share of all)", disclosed / total, GREY, r.value if r else None))
        rows_extra = [("Works disclosing a funder, share of all (" + span + ")", fmt(disclosed / total, "share"),
                       fmt(r.value, "share") if r else "—", _ref_note(r))]
    else:
        rows_extra = []
    rows = [_comparison_row(wh, "Disclosing works with a Chinese funder", "share_china_funded_of_disclosed", "EUROPE", span),
            _comparison_row(wh, "Disclosing works with a Chinese government funder", "share_china_gov_funded_of_disclosed", "EUROPE", span),
            _comparison_row(wh, "Works funded by the National Defence Basic Research Programme", "eu_cn_works_defence_programme_funded", "EUROPE", span)]
    rows = rows_extra + rows
    ok = any(b.value is not None for b in bars)
    return Section(
        "funding", f"Who funds Europe–China AI works ({span})",
        bar_chart("Funding of Europe–China AI works (shares of works disclosing funding)", bars, "share", label_w=300,
                  legend=[("ref", INK, "MERICS (2023)")]) if ok else None,
        "Shares are taken over the Europe–China works that name at least one funder (OpenAlex <code>grants</code> before "
        "2026, <code>funders</code>/<code>awards</code> after). China-funded: a funder whose country is CN or that is on the "
        "Chinese funders list; government: marked government on that list (NSFC, MOST, …); defence programme: a funder or "
        "award named as the National Defence Basic Scientific Research Programme (seed <code>funding_programmes</code>, dbt "
        "var <code>defence_programme_keys</code>).",
        rows, "" if ok else "no funding figures yet (the funding metrics of headline_figures / marts.agg_funding)",
    )


SECTIONS = (section_shares, section_uk, section_countries, section_risk, section_links, section_funding)

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d232b;margin:0;background:#f4f5f7}
main{max-width:980px;margin:0 auto;padding:0 20px 40px}
header{padding:18px 0 6px}
h1{font-size:26px;margin:8px 0 4px}
h2{font-size:19px;margin:0 0 8px}
.sub{color:#55606d;margin:0}
.banner{background:#fff3cd;border:2px solid #c98a00;color:#5c3d00;padding:12px 16px;font-weight:600;margin:16px 0 0;border-radius:6px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:18px 0}
.tile{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tile .v{font-size:24px;font-weight:700}
.tile .k{color:#55606d;font-size:13px}
.tile .m{font-size:13px;margin-top:2px}
section.card{background:#fff;border-radius:8px;padding:18px 20px;margin:18px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
svg{width:100%;height:auto;display:block;margin:6px 0 4px;font-family:inherit}
svg .grid{stroke:#e3e6ea;stroke-width:1}
svg .axis{stroke:#55606d;stroke-width:1}
svg .tick{font-size:12px;fill:#55606d}
svg .label{font-size:12.5px;fill:#1d232b}
svg .value{font-size:11.5px;fill:#1d232b}
svg .ref{font-size:11px;fill:#1d232b;font-weight:600}
svg .legend{font-size:12.5px;fill:#1d232b}
.def{font-size:13.5px;color:#3a434e;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin-top:8px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{color:#55606d;font-weight:600;white-space:nowrap}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.missing{color:#8a5a00;background:#fff8e6;padding:10px 12px;border-radius:6px}
footer{color:#55606d;font-size:12.5px;margin-top:24px}
code{font-size:12.5px;background:#f0f2f4;padding:0 3px;border-radius:3px}
"""


def _tiles(wh: Warehouse) -> str:
    span = wh.span
    items = [
        ("eu_cn_works", "EUROPE", "Europe–China AI works"),
        ("eu_cn_share_defence_linked", "EUROPE", "… with a military-linked Chinese partner"),
        ("eu_cn_works_with_pla", "EUROPE", "… with the PLA itself"),
        ("country_share_of_eu_cn_works", "GB", "UK share of Europe–China works"),
    ]
    out = []
    for metric, scope, label in items:
        value = wh.fig(metric, scope, span)
        if value is None:
            continue
        unit = wh.units.get(metric, "share" if "share" in metric else "works")
        ref = wh.ref(metric, scope, span)
        merics = f'<div class="m">MERICS: {fmt(ref.value, unit)}</div>' if ref else ""
        out.append(f'<div class="tile"><div class="v">{fmt(value, unit)}</div><div class="k">{esc(label)}, {esc(span)}</div>{merics}</div>')
    return f'<div class="tiles">{"".join(out)}</div>' if out else ""


def render_html(wh: Warehouse, sections: list[Section], generated_at: str, source_path: str) -> str:
    banner = ""
    if wh.synthetic:
        banner = ('<div class="banner" role="alert">SYNTHETIC DATA — this report was built from the offline demo snapshot, '
                  f"not from OpenAlex. Its figures test the pipeline and say nothing about real research.</div>")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Europe–China AI research entanglement — study report{' (SYNTHETIC)' if wh.synthetic else ''}</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<header><h1>Europe–China AI research: the study's figures</h1>",
        f"<p class='sub'>Reproducing MERICS, “AI entanglements” (2023), from OpenAlex — data set: {esc(wh.label) or 'unknown'}"
        f"{' — definitions: ' + esc(wh.definition_set) if wh.definition_set else ''}.</p>",
        banner, "</header>", _tiles(wh),
    ]
    for s in sections:
        parts.append(f'<section class="card" id="{s.key}"><h2>{esc(s.title)}</h2>')
        parts.append(s.chart if s.chart else f'<p class="missing">Not available yet: {esc(s.missing)}.</p>')
        parts.append(f'<p class="def"><b>Definition.</b> {s.definition}</p>')
        if s.comparison:
            parts.append("<table><thead><tr><th>figure</th><th>this warehouse</th><th>MERICS</th><th>note</th></tr></thead><tbody>")
            for name, ours, theirs, note in s.comparison:
                parts.append(f'<tr><td>{esc(name)}</td><td class="n">{esc(ours)}</td><td class="n">{esc(theirs)}</td><td>{note}</td></tr>')
            parts.append("</tbody></table>")
        parts.append("</section>")
    parts.append(
        f"<footer>Generated {esc(generated_at)} from <code>{esc(source_path)}</code> (the published warehouse). MERICS "
        "figures come from the seed <code>reference_figures</code>; figures marked unconfirmed come from the project brief. "
        "Definitions are dbt vars in <code>dbt/dbt_project.yml</code> (see docs/definitions.md).</footer>"
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)


def build_report(warehouse_path: Path, out_file: Path) -> dict:
    """Render the report from a published warehouse and write it atomically; returns a summary."""
    with connect(warehouse_path, read_only=True) as con:
        wh = read_warehouse(con)
        sections = [f(con, wh) for f in SECTIONS]
    generated_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = render_html(wh, sections, generated_at, str(warehouse_path))
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(f".{out_file.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_file)
    return {
        "charts": [s.key for s in sections if s.chart],
        "missing": {s.key: s.missing for s in sections if not s.chart},
        "synthetic": wh.synthetic,
        "merics_figures": len(wh.merics),
        "bytes": len(page.encode()),
    }


def report_path(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "report" / "index.html"


@dg.asset(
    key=REPORT_KEY,
    deps=[PUBLISHED_KEY, *MART_KEYS],
    group_name="serving",
    owners=["team:analytics-engineering"],
    kinds={"html"},
    tags={"layer": "serving"},
    description=(
        "The study report: a static HTML page (`report/index.html` beside the warehouse) charting the headline figures "
        "— Europe's and the UK's share with China by year, countries, risk, institution links, funding — each with its "
        "definition and the MERICS figure beside ours. Read from the published warehouse."
    ),
)
def study_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    out = report_path(settings.warehouse_path)
    summary = build_report(settings.warehouse_path, out)
    for key, why in summary["missing"].items():
        context.log.warning(f"report section {key}: {why}")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(out)),
        "charts": dg.MetadataValue.json(summary["charts"]),
        "sections_missing": dg.MetadataValue.json(summary["missing"]),
        "synthetic_banner": summary["synthetic"],
        "merics_figures_compared": summary["merics_figures"],
        "size_kib": round(summary["bytes"] / 1024, 1),
    })


# Re-render the report from the published warehouse alone (e.g. after changing this file): `make report`.
report_only_job = dg.define_asset_job(
    "report_only",
    selection=dg.AssetSelection.assets(REPORT_KEY),
    description="Re-render the study report (report/index.html) from the published warehouse, without a rebuild.",
)


if __name__ == "__main__":  # python -m dagster_project.assets.report: re-render from the published warehouse
    s = load_settings()
    result = build_report(s.warehouse_path, report_path(s.warehouse_path))
    print(f"{report_path(s.warehouse_path)}: charts {', '.join(result['charts'])}", file=sys.stderr)


@dg.asset_check(
    asset=REPORT_KEY,
    name="every_section_has_a_chart",
    description="Each section of the report drew its chart (a missing mart leaves a 'not available yet' note instead).",
)
def every_section_has_a_chart() -> dg.AssetCheckResult:
    page = report_path(load_settings().warehouse_path).read_text(encoding="utf-8")
    sections = re.findall(r'<section class="card" id="(\w+)">(.*?)</section>', page, flags=re.S)
    missing = [key for key, body in sections if "<svg" not in body]
    return dg.AssetCheckResult(
        passed=bool(sections) and not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"sections": len(sections), "without_chart": ", ".join(missing) or "none",
                  "synthetic_banner": 'class="banner"' in page},
    )


report_checks = [every_section_has_a_chart]
