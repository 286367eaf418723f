"""The evidence report's charts, drawn by matplotlib as SVG text to inline in the page (no
files, no network: the report opens offline). Text stays text (svg.fonttype none), so the
figures are searchable and the file small."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: the report is drawn on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

# One colour per decision, the same in every chart and table.
DECISION_COLOURS = {
    "allow": "#2f7d4f",
    "approve": "#2f5fb3",
    "approval_required": "#d59a1f",
    "deny": "#b3261e",
    "error": "#8a5a9e",
    "catalog": "#9aa3b5",
    "explain": "#c9ced9",
}
_OTHER = "#6b7385"


def _svg(figure: plt.Figure, title: str) -> str:
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pgbridge"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF boilerplate, nothing to see
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: it is inlined in HTML


def statements_over_time(timeline: Mapping[str, Mapping[str, int]], title: str) -> str:
    """Stacked bars: statements per time bucket, by decision."""
    buckets = sorted(timeline)
    decisions = sorted({d for counts in timeline.values() for d in counts}, key=_decision_order)
    figure, axes = plt.subplots(figsize=(9, 2.8))
    bottom = [0] * len(buckets)
    for decision in decisions:
        heights = [timeline[b].get(decision, 0) for b in buckets]
        axes.bar(
            range(len(buckets)),
            heights,
            bottom=bottom,
            label=decision,
            color=DECISION_COLOURS.get(decision, _OTHER),
            width=0.8,
        )
        bottom = [a + b for a, b in zip(bottom, heights, strict=True)]
    axes.set_xticks(range(len(buckets)), [b[5:] for b in buckets], rotation=30, ha="right", fontsize=8)
    axes.set_ylabel("statements")
    axes.spines[["top", "right"]].set_visible(False)
    if decisions:
        axes.legend(
            fontsize=8,
            ncols=min(len(decisions), 6),
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(0, 1.18),
        )
    return _svg(figure, title)


def horizontal_bars(
    labels: Sequence[str], values: Sequence[float], title: str, unit: str, colour: str = "#2f5fb3"
) -> str:
    """One bar per label, largest on top; the value is written at the bar's end."""
    height = max(1.2, 0.32 * len(labels) + 0.6)
    figure, axes = plt.subplots(figsize=(9, height))
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color=colour, height=0.6)
    axes.set_yticks(positions, [_short(label) for label in labels], fontsize=8)
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {value:,.0f} {unit}", va="center", fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xticks([])
    return _svg(figure, title)


def _short(label: str, width: int = 48) -> str:
    label = re.sub(r"\s+", " ", label)
    return label if len(label) <= width else label[: width - 1] + "…"


def _decision_order(decision: str) -> int:
    order = list(DECISION_COLOURS)
    return order.index(decision) if decision in order else len(order)
