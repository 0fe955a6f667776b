"""Charts as PNG, drawn at send time from the outbox row's payload: the digest's team picture
(the default, described below), HR's picture of the teams ("chart": "teams") and calibration's
rating distribution ("chart": "calibration").

One picture of the pair: each report a point at (output as % of target, quality against the
floor) with a short trail of their last weeks; the target and the floor as lines cutting the
plane into four named quadrants. Sized for Slack's preview (1200×900 px, text ≥ 14 pt).
HR's picture is the same plane with a team per point (the team's output against its targets,
its quality against its floors, one trail point per 4 weeks): up to about a thousand small
unlabelled dots, and only the teams the HR digest names drawn large, named, with their trail.

matplotlib (Agg backend, no display) is imported only here, on the sender's thread, so
building digests never pays for it."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

from cadence.domain.digests import HEALTHY, LOW, MAX_OUTPUT_SHARE, STALL, STRAIN
from cadence.domain.roles import fmt
from cadence.domain.signals import SignalKind

_KINDS = frozenset(k.value for k in SignalKind)
_lock = threading.Lock()  # pyplot keeps global state: one chart at a time
CALIBRATION_CHART = "calibration"
TEAMS_CHART = "teams"
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


@dataclass(frozen=True, slots=True)
class Dot:
    """One point of a pair picture: a report, or a team on HR's."""

    name: str
    signal: str  # its reading (the colour): a SignalKind value, or "" for none
    points: list[tuple[float, float] | None]  # the trail, oldest first; the last is the dot
    named: bool
    note: str = ""  # after the name ("12 % checked in")

    @property
    def now(self) -> tuple[float, float]:
        last = self.points[-1]
        assert last is not None  # noqa: S101 - _dots keeps only dots with a point now
        return last


@dataclass(frozen=True, slots=True)
class Plane:
    """What the dots of a pair picture stand for, and how many there may be."""

    key: str  # the payload's list of dots
    what: str  # the subtitle: what a big and a small dot are
    x_label: str
    y_label: str
    dot: int  # area (pt²) of an unnamed dot's point now; a named one's is NAMED_DOT
    all_trails: int  # every dot's trail up to this many dots, beyond it only the named ones'
    short_names: bool  # 'Sam Rivera' → 'Sam R.'
    noun: str = "person"


NAMED_DOT = 220
PEOPLE = Plane(
    key="people",
    what="Big dot: this week, coloured as in the digest · small dots: the weeks before",
    x_label="Output, % of target  (right: more)",
    y_label="Quality above (+) or below (−) the floor",
    dot=NAMED_DOT,
    all_trails=1_000_000,
    short_names=True,
)
TEAMS = Plane(
    key="teams",
    what=(
        "Big dot: the last 4 weeks · small: the 4 weeks before each · "
        "orange: strain · yellow: stall · grey: neither"
    ),
    x_label="Team output, % of target  (right: more)",
    y_label="Team quality above (+) or below (−) the floor",
    dot=40,
    all_trails=30,
    short_names=False,
    noun="team",
)


class ChartError(Exception):
    """The chart could not be drawn (bad payload, or matplotlib unavailable)."""


def _dots(items: list[dict[str, Any]]) -> list[Dot]:
    """The dots with a point now, in the payload's order. A payload without `named` (the
    digest's) names the first MAX_NAMED; names never go beyond MAX_NAMED. Output beyond
    MAX_OUTPUT_SHARE % of target is drawn on that edge (one far outlier would squeeze everyone
    else into a corner); a named dot drawn there says its true figure after its name."""
    dots: list[Dot] = []
    named = 0
    for p in items:
        points = [None if pt is None else (float(pt[0]), float(pt[1])) for pt in p["points"]]
        if not points or points[-1] is None:
            continue
        wanted = bool(p["named"]) if "named" in p else len(dots) < MAX_NAMED
        notes = [str(p.get("note") or "")]
        if points[-1][0] > MAX_OUTPUT_SHARE:
            notes.append(f"{fmt(round(points[-1][0]))} % of target")
        dots.append(
            Dot(
                str(p["name"]),
                str(p.get("signal") or ""),
                [None if pt is None else (min(pt[0], MAX_OUTPUT_SHARE), pt[1]) for pt in points],
                wanted and named < MAX_NAMED,
                " · ".join(n for n in notes if n),
            )
        )
        named += dots[-1].named
    return dots


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
SPOTS += [(-12, 8 + 22 * k, "right") for k in range(1, 4)]


def _free_spot(
    ax: Any, point: tuple[float, float], label: str, placed: list[tuple[float, float, float, float]]
) -> tuple[float, float, str]:
    """Where `label` sits beside `point`, inside the plot, without covering a name placed so far
    (the first free spot of SPOTS: right, left, below, then higher up, right then left).
    Records the box it takes."""
    px, py = ax.transData.transform(point)
    scale = DPI / 72  # points to pixels
    width, height = len(label) * FONT * 0.62 * scale, FONT * 1.3 * scale

    def box(dx: float, dy: float, ha: str) -> tuple[float, float, float, float]:
        left = px + dx * scale - (width if ha == "right" else 0)
        return (left, py + dy * scale, left + width, py + dy * scale + height)

    plot = ax.bbox

    def inside(b: tuple[float, float, float, float]) -> bool:
        return bool(plot.x0 <= b[0] and b[2] <= plot.x1 and plot.y0 <= b[1] and b[3] <= plot.y1)

    def free(b: tuple[float, float, float, float]) -> bool:
        return all(b[2] <= o[0] or o[2] <= b[0] or b[3] <= o[1] or o[3] <= b[1] for o in placed)

    # Free and inside; else inside (over another name rather than cut by the edge).
    dx, dy, ha = next(
        (s for s in SPOTS if inside(box(*s)) and free(box(*s))),
        next((s for s in SPOTS if inside(box(*s))), SPOTS[0]),
    )
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
    return _pair_png(payload, TEAMS if payload.get("chart") == TEAMS_CHART else PEOPLE)


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


def _pair_png(payload: dict[str, Any], plane: Plane) -> bytes:
    """A pair picture: the digest's team picture, or HR's picture of the teams (see the module
    docstring)."""
    try:
        dots = _dots(list(payload.get(plane.key) or []))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ChartError(f"bad chart payload: {exc}") from None
    if not dots:
        raise ChartError("nobody to draw")
    plt = _pyplot()
    unit = str(payload.get("quality_unit") or "")
    with _lock:
        fig, ax = plt.subplots(figsize=SIZE, dpi=DPI, layout="constrained")
        try:
            _draw(ax, dots, unit, plane)
            fig.suptitle(str(payload.get("title", "")), fontsize=FONT + 8, wrap=True)
            ax.set_title(_subtitle(dots, plane), fontsize=FONT, color=INK, pad=10, wrap=True)
            fig.draw_without_rendering()  # settle the layout: names are placed in the final plot
            _name(ax, dots, plane)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI)
        finally:
            plt.close(fig)
    return buf.getvalue()


def _subtitle(dots: list[Dot], plane: Plane) -> str:
    unnamed = sum(not d.named for d in dots)
    if plane is PEOPLE:
        return plane.what + (f" · {unnamed} more unnamed" if unnamed > 0 else "")
    named = len(dots) - unnamed
    text = f"{plane.what}\n{len(dots):,} {plane.noun}s · named: the {named} the digest names"
    if len(dots) > plane.all_trails:
        text += ", with their trails"
    return text


def _colour(signal: str) -> str:
    return SIGNAL_COLOURS.get(SignalKind(signal), OTHER) if signal in _KINDS else OTHER


def _draw(ax: Any, dots: list[Dot], unit: str, plane: Plane) -> None:
    xs = [p[0] for d in dots for p in d.points if p is not None]
    ys = [p[1] for d in dots for p in d.points if p is not None]
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
    every_trail = len(dots) <= plane.all_trails
    for d in dots:
        trail = [p for p in d.points if p is not None]
        if len(trail) < 2 or not (every_trail or d.named):
            continue
        colour = _colour(d.signal)
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
    # The points now: the unnamed ones at once (a thousand teams is one call), the named on top.
    for named in (False, True):
        batch = [d for d in dots if d.named == named]
        big = named or plane.dot >= NAMED_DOT
        if batch:
            ax.scatter(
                [d.now[0] for d in batch],
                [d.now[1] for d in batch],
                s=NAMED_DOT if named else plane.dot,
                c=[_colour(d.signal) for d in batch],
                edgecolors="white" if big else "none",
                alpha=1.0 if big else 0.6,
                zorder=3 if named else 2.5,
            )
    ax.set_xlabel(plane.x_label, fontsize=FONT + 2)
    pts = f" ({unit})" if unit else ""
    ax.set_ylabel(plane.y_label + pts, fontsize=FONT + 2)
    ax.tick_params(labelsize=FONT)
    ax.grid(alpha=0.25)


def _name(ax: Any, dots: list[Dot], plane: Plane) -> None:
    """The named dots' names, each beside its dot inside the plot (they do not move the
    layout), with a white halo that keeps them readable over other dots."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    placed: list[tuple[float, float, float, float]] = []  # the names' boxes so far, in px
    for d in (d for d in dots if d.named):
        label = (_short(d.name) if plane.short_names else d.name) + (
            f" · {d.note}" if d.note else ""
        )
        dx, dy, ha = _free_spot(ax, d.now, label, placed)
        ax.annotate(
            label,
            d.now,
            xytext=(dx, dy),
            textcoords="offset points",
            ha=ha,
            fontsize=FONT,
            color=INK,
            zorder=4,
            path_effects=halo,
        ).set_in_layout(False)
