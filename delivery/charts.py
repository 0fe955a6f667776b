"""Charts as PNG, drawn at send time from the outbox row's payload: the digest's team picture
(the default, described below) and calibration's rating distribution ("chart": "calibration").

One picture of the pair: each report a point at (output as % of target, quality against the
floor) with a short trail of their last weeks; the target and the floor as lines cutting the
plane into four named quadrants. Sized for Slack's preview (1200×900 px, text ≥ 14 pt).

matplotlib (Agg backend, no display) is imported only here, on the sender's thread, so
building digests never pays for it."""

from __future__ import annotations

import io
import threading
from typing import Any

from cadence.domain.digests import HEALTHY, LOW, STALL, STRAIN
from cadence.domain.signals import SignalKind

_KINDS = frozenset(k.value for k in SignalKind)
_lock = threading.Lock()  # pyplot keeps global state: one chart at a time
CALIBRATION_CHART = "calibration"
MAX_GROUPS = 9  # the organisation and up to 8 managers
SIZE = (12.0, 9.0)  # inches at DPI: 1200×900 px
DPI = 100
FONT = 14  # pt: the smallest text on the picture
MAX_NAMED = 12  # reports named on the picture (the first ones: the digest's order, flagged first)
COLOURS = {HEALTHY: "#1e8449", STRAIN: "#d35400", STALL: "#9a7d0a", LOW: "#c0392b"}
# What each quadrant means, under its name.
MEANING = {
    HEALTHY: "on target, above the floor",
    STALL: "below target, above the floor",
    STRAIN: "on target, below the floor",
    LOW: "below target and floor",
}
# A point's colour is its reading in the digest (🔴 🟠 🟡 🟢), so the two agree on who needs you.
SIGNAL_COLOURS = {
    SignalKind.QUALITY_BELOW_FLOOR: COLOURS[LOW],
    SignalKind.STRAIN: COLOURS[STRAIN],
    SignalKind.SUPPORT: COLOURS[STRAIN],
    SignalKind.STALL: "#d4ac0d",
    SignalKind.HEALTHY: COLOURS[HEALTHY],
}
OTHER = "#7f8c8d"  # no baseline yet
INK = "#2b3a55"
Person = tuple[str, str, list[tuple[float, float] | None]]  # name, signal, trail


class ChartError(Exception):
    """The chart could not be drawn (bad payload, or matplotlib unavailable)."""


def _people(payload: dict[str, Any]) -> list[Person]:
    people = []
    for p in payload.get("people") or []:
        points = [None if pt is None else (float(pt[0]), float(pt[1])) for pt in p["points"]]
        if points and points[-1] is not None:
            people.append((str(p["name"]), str(p.get("signal") or ""), points))
    return people


def _limits(values: list[float], centre: float, least: float, pad: float) -> tuple[float, float]:
    """An axis range holding every value and `centre`, at least `least` either side of it,
    with `pad` of the span free at each end (room for the quadrants' names)."""
    low = min([*values, centre - least])
    high = max([*values, centre + least])
    room = (high - low) * pad
    return low - room, high + room


# Where a name may sit next to its dot, in order of preference: (dx, dy) in points, alignment.
SPOTS = [(12, 8, "left"), (-12, 8, "right"), (12, -22, "left"), (-12, -22, "right")]
SPOTS += [(12, 8 + 22 * k, "left") for k in range(1, 4)]


def _free_spot(
    ax: Any, point: tuple[float, float], label: str, placed: list[tuple[float, float, float, float]]
) -> tuple[float, float, str]:
    """Where `label` sits beside `point` without covering a name placed so far (the first free
    spot of SPOTS: right, left, below, then higher up). Records the box it takes."""
    px, py = ax.transData.transform(point)
    scale = DPI / 72  # points to pixels
    width, height = len(label) * FONT * 0.62 * scale, FONT * 1.3 * scale

    def box(dx: float, dy: float, ha: str) -> tuple[float, float, float, float]:
        left = px + dx * scale - (width if ha == "right" else 0)
        return (left, py + dy * scale, left + width, py + dy * scale + height)

    def free(b: tuple[float, float, float, float]) -> bool:
        return all(b[2] <= o[0] or o[2] <= b[0] or b[3] <= o[1] or o[3] <= b[1] for o in placed)

    dx, dy, ha = next((s for s in SPOTS if free(box(*s))), SPOTS[0])
    placed.append(box(dx, dy, ha))
    return dx, dy, ha


def _short(name: str) -> str:
    """'Sam Rivera' → 'Sam R.': short enough to sit next to a point."""
    parts = name.split()
    return name if len(parts) < 2 else f"{parts[0]} {parts[-1][0]}."


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ChartError(f"matplotlib is not available: {exc}") from None
    return plt


def render_png(payload: dict[str, Any]) -> bytes:
    """The chart the payload describes."""
    if payload.get("chart") == CALIBRATION_CHART:
        return _distribution_png(payload)
    return _team_png(payload)


def _distribution_png(payload: dict[str, Any]) -> bytes:
    """Share of each rating 1-5, per manager beside the organisation."""
    groups = list(payload.get("groups") or [])[:MAX_GROUPS]
    if not groups:
        raise ChartError("no distribution to draw")
    plt = _pyplot()
    with _lock:
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        try:
            width = 0.8 / len(groups)
            for i, group in enumerate(groups):
                xs = [r + (i - len(groups) / 2) * width for r in range(1, 6)]
                ax.bar(xs, [float(v) for v in group["shares"]], width, label=str(group["name"]))
            ax.set_xticks(range(1, 6))
            ax.set_xlabel("rating")
            ax.set_ylabel("% of ratings")
            ax.set_title(str(payload.get("title", "")))
            ax.legend(fontsize="small")
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
        except (KeyError, TypeError, ValueError) as exc:
            raise ChartError(f"bad distribution: {exc}") from None
        finally:
            plt.close(fig)
    return buf.getvalue()


def _team_png(payload: dict[str, Any]) -> bytes:
    """The team picture of the digest's week (see the module docstring)."""
    try:
        people = _people(payload)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ChartError(f"bad chart payload: {exc}") from None
    if not people:
        raise ChartError("nobody to draw")
    plt = _pyplot()
    unit = str(payload.get("quality_unit") or "")
    with _lock:
        fig, ax = plt.subplots(figsize=SIZE, dpi=DPI, layout="constrained")
        try:
            _draw(ax, people, unit)
            fig.suptitle(str(payload.get("title", "")), fontsize=FONT + 8, wrap=True)
            unnamed = len(people) - MAX_NAMED
            ax.set_title(
                "Big dot: this week, coloured as in the digest · small dots: the weeks before"
                + (f" · {unnamed} more unnamed" if unnamed > 0 else ""),
                fontsize=FONT,
                color=INK,
                pad=10,
            )
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI)
        finally:
            plt.close(fig)
    return buf.getvalue()


def _draw(ax: Any, people: list[Person], unit: str) -> None:
    xs = [p[0] for _, _, pts in people for p in pts if p is not None]
    ys = [p[1] for _, _, pts in people for p in pts if p is not None]
    x0, x1 = _limits(xs, 100, 30, 0.06)
    y0, y1 = _limits(ys, 0, 5, 0.2)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    # Quadrants: a faint wash, the name and what it means in each corner.
    for name, (left, right, low, high), (cx, cy) in (
        (HEALTHY, (100, x1, 0, y1), (0.985, 0.975)),
        (STALL, (x0, 100, 0, y1), (0.015, 0.975)),
        (STRAIN, (100, x1, y0, 0), (0.985, 0.025)),
        (LOW, (x0, 100, y0, 0), (0.015, 0.025)),
    ):
        ax.fill_between([left, right], low, high, color=COLOURS[name], alpha=0.06, linewidth=0)
        top = cy > 0.5
        for text, weight, size, shift in (
            (name.upper(), "bold", FONT + 4, 0.0),
            (MEANING[name], "normal", FONT, 0.045),
        ):
            ax.text(
                cx,
                cy - shift if top else cy + 0.045 - shift,
                text,
                transform=ax.transAxes,
                ha="right" if cx > 0.5 else "left",
                va="top" if top else "bottom",
                fontsize=size,
                fontweight=weight,
                color=COLOURS[name],
            )
    ax.axvline(100, color=INK, linestyle="--", linewidth=1.5)
    ax.axhline(0, color=INK, linestyle="--", linewidth=1.5)
    ax.text(100, y0, " target ", rotation=90, ha="right", va="bottom", fontsize=FONT, color=INK)
    ax.text(x0, 0, " floor", ha="left", va="bottom", fontsize=FONT, color=INK)
    placed: list[tuple[float, float, float, float]] = []  # the names' boxes so far, in px
    for i, (name, signal, points) in enumerate(people):
        trail = [p for p in points if p is not None]
        last = trail[-1]
        colour = SIGNAL_COLOURS.get(SignalKind(signal), OTHER) if signal in _KINDS else OTHER
        if len(trail) > 1:
            ax.plot(
                [p[0] for p in trail],
                [p[1] for p in trail],
                color=colour,
                alpha=0.35,
                linewidth=1.5,
                zorder=2,
            )
            ax.scatter(
                [p[0] for p in trail[:-1]],
                [p[1] for p in trail[:-1]],
                s=[12 + 14 * k for k in range(len(trail) - 1)],  # older weeks smaller
                color=colour,
                alpha=0.45,
                zorder=2,
            )
        ax.scatter([last[0]], [last[1]], s=220, color=colour, edgecolor="white", zorder=3)
        if i < MAX_NAMED:
            label = _short(name)
            dx, dy, ha = _free_spot(ax, last, label, placed)
            ax.annotate(
                label,
                last,
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                fontsize=FONT,
                color=INK,
                zorder=4,
            )
    ax.set_xlabel("Output, % of target  (right: more)", fontsize=FONT + 2)
    pts = f" ({unit})" if unit else ""
    ax.set_ylabel(f"Quality above (+) or below (−) the floor{pts}", fontsize=FONT + 2)
    ax.tick_params(labelsize=FONT)
    ax.grid(alpha=0.25)
