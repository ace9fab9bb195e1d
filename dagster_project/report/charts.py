"""The report's charts: matplotlib figures written as inline SVG.

Text stays text (`svg.fonttype: none`), so labels are selectable, searchable and checkable in the page's DOM.
Every bar carries its value label; a MERICS figure is a dark tick on the bar, and the value label is placed
beyond both the bar's end and the tick, so no marker sits on a label. Category labels are wrapped; a name too long
for three lines (OpenAlex has 2,000-character ones) is shortened by `shorten` (at a word, never inside a
parenthesis), and the label carries the whole text
as its tooltip (`<title>`), as the table beside each chart does. Text from the data is drawn as typed (no
mathtext). Groups carry ids (`gid`) the tests use to find labels, values, markers and legend entries:
`<chart>-label-<i>`, `<chart>-value-<i>`, `<chart>-merics-<i>`, `<chart>-legend-<i>`.
"""

from __future__ import annotations

import html
import io
import textwrap
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

INK, GRID, MUTED = "#1d232b", "#e3e6ea", "#55606d"
MERICS_LABEL = "MERICS (2023)"
STYLE = {
    "svg.fonttype": "none",
    "text.parse_math": False,  # names come from OpenAlex: `$`, `\` and `%` are drawn as typed, never as mathtext
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
VALUE_SIZE = 8.5
LABEL_WRAP = 44  # characters per line of a category label
NAME_CHARS = 3 * LABEL_WRAP - 4  # a name in a category label: three lines at most, its qualifier after it
ROW_INCHES, LINE_INCHES = 0.18, 0.2  # a bar chart's row: a gap, and the height of each line of its label
LEGEND_CHARS = 24  # a name in a legend entry (one line; four entries side by side fit the chart)


def fmt(value: float | None, unit: str) -> str:
    """A figure as the report prints it everywhere: shares in percent with one decimal, counts with commas."""
    if value is None:
        return "n/a"
    return f"{value:.1%}" if unit == "share" else f"{value:,.0f}"


def wrap(label: str, width: int = LABEL_WRAP) -> str:
    """Lines of `width` characters, broken at spaces; a run longer than a line (a name without spaces) is split."""
    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def _open_parenthesis(text: str) -> int | None:
    """Where the outermost parenthesis that `text` leaves open starts, if any."""
    opened: list[int] = []
    for i, char in enumerate(text):
        if char == "(":
            opened.append(i)
        elif char == ")" and opened:
            opened.pop()
    return opened[0] if opened else None


def shorten(name: str, chars: int = NAME_CHARS) -> str:
    """A name as a chart shows it: whole when it has at most `chars` characters (three lines: every name of a real
    snapshot), else cut at its last space within them (inside a run without spaces, at `chars`) and ended with "…",
    never inside a parenthesis (the cut goes before it: "Institute …", not "Institute (Beijing…"). Shorten the name,
    not the label composed from it, so a qualifier after it (a country code, a risk level) stays whole; give the
    whole label as `full_label`."""
    if len(name) <= chars:
        return name
    cut = name[:chars - 1]
    if " " in cut[chars // 2:]:
        cut = cut[:cut.rindex(" ")]
    opened = _open_parenthesis(cut)
    if opened:  # (at 0 the whole cut is inside it: nothing to keep before it)
        cut = cut[:opened]
    return cut.rstrip(" ,;:-–(") + "…"


@dataclass
class Bar:
    """One bar of a horizontal bar chart."""

    label: str
    value: float | None
    colour: str
    merics: float | None = None
    full_label: str | None = None  # the whole label when `label` shortens a name: the label's tooltip


@dataclass
class Series:
    """One series of a column chart: a value (and optionally a MERICS figure) per category."""

    name: str
    colour: str
    values: dict[str, float | None]
    merics: dict[str, float] = field(default_factory=dict)
    full_name: str | None = None  # the whole name when `name` shortens it: the legend entry's tooltip


def _to_svg(fig, chart_id: str, title: str, texts: list[tuple[str, str, str | None]]) -> str:
    """The figure as inline SVG. `texts` are the (group id, text shown, whole text) of labels and legend entries:
    one that was shortened gets the whole text as its tooltip."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.08, metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and doctype: the SVG sits inside HTML
    for gid, shown, whole in texts:
        if whole and whole != shown:
            svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(whole)}</title>', 1)
    # Screen readers get the chart's title. The SVG keeps its natural size (so text is the same size in every
    # chart) and shrinks with a narrow page (CSS max-width; the viewBox keeps the ratio).
    head_end = svg.index(">")
    head = svg[:head_end]
    title_tag = f'<title id="{chart_id}-title">{html.escape(title)}</title>'
    return f'{head} role="img" aria-labelledby="{chart_id}-title">{title_tag}' + svg[head_end + 1:]


def _legend(ax, chart_id: str, handles: list, **kwargs) -> None:
    """The chart's legend, each entry's text in a group `<chart>-legend-<k>`."""
    legend = ax.legend(handles=handles, frameon=False, fontsize=9, **kwargs)
    for k, text in enumerate(legend.get_texts()):
        text.set_gid(f"{chart_id}-legend-{k}")


def _value_axis(ax, unit: str, top: float, horizontal: bool) -> None:
    axis = ax.xaxis if horizontal else ax.yaxis
    (ax.set_xlim if horizontal else ax.set_ylim)(0, top * 1.22 if top > 0 else 1)
    axis.set_major_locator(MaxNLocator(5, integer=unit != "share"))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}" if unit == "share" else f"{v:,.0f}"))
    ax.grid(axis="x" if horizontal else "y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _points_to_data(ax, horizontal: bool) -> float:
    """How many data units one typographic point spans along the value axis (the layout is fixed by then)."""
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    lo, hi = ax.get_xlim() if horizontal else ax.get_ylim()
    return (hi - lo) / ((box.width * fig_w if horizontal else box.height * fig_h) * 72)


def _label_anchor(value: float | None, merics: float | None, label_pts: float, per_pt: float) -> float:
    """Where a value label starts: past the bar's end, or past the MERICS tick when the tick would be under it."""
    end = value or 0
    if merics is not None and merics >= end and (merics - end) < (label_pts + 10) * per_pt:
        return merics + 3 * per_pt  # past the tick's own half-width
    return end


def bar_chart(chart_id: str, title: str, bars: list[Bar], unit: str, legend: list[tuple[str, str]] = (),
              width: float = 9.0) -> str:
    """Horizontal bars, one per row, labels wrapped in full on the left, the value at each bar's end."""
    labels = [wrap(b.label) for b in bars]
    lines = sum(label.count("\n") + 1 for label in labels)
    # Each row is as tall as its label (inches, the y axis's unit here), so a label of several lines never reaches
    # its neighbours'; rows of one line each are evenly spaced as before.
    rows = [ROW_INCHES + LINE_INCHES * (label.count("\n") + 1) for label in labels]
    with plt.rc_context({**STYLE, "svg.hashsalt": chart_id, "svg.id": chart_id}):
        fig, ax = plt.subplots(figsize=(width, 0.6 + sum(rows) + (0.35 if legend else 0)))
        y = [sum(rows[i + 1:]) + rows[i] / 2 for i in range(len(rows))]  # the first bar on top
        top = max([b.value or 0 for b in bars] + [b.merics or 0 for b in bars], default=0)
        _value_axis(ax, unit, top, horizontal=True)
        per_pt = _points_to_data(ax, horizontal=True)
        for i, (pos, bar) in enumerate(zip(y, bars, strict=True)):
            if bar.value is not None:
                ax.barh(pos, bar.value, height=0.62 * (ROW_INCHES + LINE_INCHES), color=bar.colour,
                        gid=f"{chart_id}-bar-{i}")
            if bar.merics is not None:
                ax.plot([bar.merics], [pos], marker="|", markersize=17, markeredgewidth=2.6, color=INK,
                        gid=f"{chart_id}-merics-{i}")
            text = fmt(bar.value, unit)
            end = _label_anchor(bar.value, bar.merics, len(text) * VALUE_SIZE * 0.62, per_pt)
            ax.annotate(text, (end, pos), xytext=(7, 0), textcoords="offset points", va="center",
                        ha="left", fontsize=VALUE_SIZE, color=INK, gid=f"{chart_id}-value-{i}")
        ax.set_yticks(y, labels)
        for i, tick in enumerate(ax.get_yticklabels()[::-1]):
            tick.set_gid(f"{chart_id}-label-{len(bars) - 1 - i}")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        handles = [Patch(color=colour, label=name) for name, colour in legend]
        if any(b.merics is not None for b in bars):
            handles.append(Line2D([], [], marker="|", linestyle="", markersize=12, markeredgewidth=2.6, color=INK,
                                  label=MERICS_LABEL))
        if handles:
            _legend(ax, chart_id, handles, loc="upper left", bbox_to_anchor=(0, -0.5 / max(lines, 3)), ncols=3)
        return _to_svg(fig, chart_id, title, [(f"{chart_id}-label-{i}", b.label, b.full_label)
                                              for i, b in enumerate(bars)])


def column_chart(chart_id: str, title: str, categories: list[str], series: list[Series], unit: str,
                 width: float = 9.0, height: float = 3.4, baseline: float | None = None) -> str:
    """Columns per category (years), grouped by series, each with its value above it; `baseline` draws a
    reference line (an index's 100)."""
    n = max(len(series), 1)
    bar_w = 0.8 / n
    with plt.rc_context({**STYLE, "svg.hashsalt": chart_id, "svg.id": chart_id}):
        fig, ax = plt.subplots(figsize=(width, height))
        top = max([v or 0 for s in series for v in s.values.values()] + [v for s in series for v in s.merics.values()],
                  default=0)
        upright = n >= 3
        _value_axis(ax, unit, top * (1.12 if upright else 1), horizontal=False)
        per_pt = _points_to_data(ax, horizontal=False)
        k = 0
        for j, s in enumerate(series):
            for i, cat in enumerate(categories):
                x = i - 0.4 + bar_w * (j + 0.5)
                value = s.values.get(cat)
                if value is not None:
                    ax.bar(x, value, width=bar_w * 0.92, color=s.colour, gid=f"{chart_id}-bar-{k}")
                if cat in s.merics:
                    ax.plot([x], [s.merics[cat]], marker="_", markersize=bar_w * 62, markeredgewidth=2.6, color=INK,
                            gid=f"{chart_id}-merics-{k}")
                text = fmt(value, unit)
                # Three bars a group leave no room for level labels side by side: they stand upright.
                extent = len(text) * VALUE_SIZE * 0.62 if upright else VALUE_SIZE * 1.2
                end = _label_anchor(value, s.merics.get(cat), extent, per_pt)
                ax.annotate(text, (x, end), xytext=(0, 5), textcoords="offset points", ha="center", va="bottom",
                            rotation=90 if upright else 0, fontsize=VALUE_SIZE, color=INK,
                            gid=f"{chart_id}-value-{k}")
                k += 1
        if baseline is not None:
            ax.axhline(baseline, color=INK, linewidth=1, linestyle=(0, (4, 3)), zorder=0.5)
        ax.set_xticks(range(len(categories)), categories)
        ax.tick_params(axis="x", length=0)
        handles = [Patch(color=s.colour, label=s.name) for s in series]
        if any(s.merics for s in series):
            handles.append(Line2D([], [], marker="_", linestyle="", markersize=14, markeredgewidth=2.6, color=INK,
                                  label=MERICS_LABEL))
        _legend(ax, chart_id, handles, loc="upper left", bbox_to_anchor=(0, -0.1), ncols=min(len(handles), 4))
        return _to_svg(fig, chart_id, title, [(f"{chart_id}-legend-{k}", s.name, s.full_name)
                                              for k, s in enumerate(series)])


def stacked_column_chart(chart_id: str, title: str, categories: list[str], layers: list[Series], unit: str,
                         width: float = 9.0, height: float = 3.2) -> str:
    """One column per category (years) stacked from the layers, bottom first, its total above it. Segments carry
    ids `<chart>-seg-<layer>-<i>`; the totals are the value labels `<chart>-value-<i>`."""
    with plt.rc_context({**STYLE, "svg.hashsalt": chart_id, "svg.id": chart_id}):
        fig, ax = plt.subplots(figsize=(width, height))
        totals = [sum(layer.values.get(cat) or 0 for layer in layers) for cat in categories]
        _value_axis(ax, unit, max(totals, default=0), horizontal=False)
        bottoms = [0.0] * len(categories)
        for j, layer in enumerate(layers):
            for i, cat in enumerate(categories):
                value = layer.values.get(cat) or 0
                if value:
                    ax.bar(i, value, bottom=bottoms[i], width=0.62, color=layer.colour, gid=f"{chart_id}-seg-{j}-{i}")
                bottoms[i] += value
        for i, total in enumerate(totals):
            ax.annotate(fmt(total, unit), (i, total), xytext=(0, 5), textcoords="offset points", ha="center",
                        va="bottom", fontsize=VALUE_SIZE, color=INK, gid=f"{chart_id}-value-{i}")
        ax.set_xticks(range(len(categories)), categories)
        ax.tick_params(axis="x", length=0)
        # The legend reads top to bottom as the stack does.
        handles = [Patch(color=layer.colour, label=layer.name) for layer in reversed(layers)]
        _legend(ax, chart_id, handles, loc="upper left", bbox_to_anchor=(1.01, 1))
        return _to_svg(fig, chart_id, title, [(f"{chart_id}-legend-{k}", layer.name, layer.full_name)
                                              for k, layer in enumerate(reversed(layers))])
