"""The digest's trend chart as a PNG, drawn at send time from the series in the outbox row.

matplotlib (Agg backend, no display) is imported only here, on the sender's thread, so
building digests never pays for it."""

from __future__ import annotations

import io
import threading
from typing import Any

_lock = threading.Lock()  # pyplot keeps global state: one chart at a time
MAX_ROLES = 4


class ChartError(Exception):
    """The chart could not be drawn (bad series, or matplotlib unavailable)."""


def _plot(ax: Any, periods: list[str], values: list[Any], bound: Any, label: str) -> None:
    xs = list(range(len(periods)))
    points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
    if points:
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#2b3a55")
    if bound is not None:
        ax.axhline(float(bound), color="#c0392b", linestyle="--", linewidth=1)
    ax.set_title(label, fontsize=9)
    ax.set_xticks(xs[::2])
    ax.set_xticklabels([p[5:] for p in periods][::2], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(alpha=0.3)


def render_png(payload: dict[str, Any]) -> bytes:
    """Two panels per role (quality with its floor, output with its target), 12 weeks each."""
    series = list(payload.get("series") or [])[:MAX_ROLES]
    if not series:
        raise ChartError("no series to draw")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ChartError(f"matplotlib is not available: {exc}") from None
    with _lock:
        fig, axes = plt.subplots(
            len(series), 2, figsize=(9, 2.6 * len(series)), squeeze=False, dpi=100
        )
        try:
            for row, s in enumerate(series):
                periods = [str(p) for p in s["periods"]]
                _plot(
                    axes[row][0],
                    periods,
                    list(s["quality"]),
                    s.get("floor"),
                    f"{s['role']} · {s['quality_name']} ({s['quality_unit']}), floor dashed",
                )
                _plot(
                    axes[row][1],
                    periods,
                    list(s["output"]),
                    s.get("target"),
                    f"{s['role']} · {s['output_name']} ({s['output_unit']}), target dashed",
                )
            fig.suptitle(str(payload.get("title", "")), fontsize=11)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        except (KeyError, TypeError, ValueError) as exc:
            raise ChartError(f"bad chart series: {exc}") from None
        finally:
            plt.close(fig)
    return buf.getvalue()
