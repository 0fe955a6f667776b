"""Roles and their paired metrics, loaded from roles.toml and validated at start."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

MetricKind = Literal["quality", "output"]
READ_AS = ("team", "self")


class RolesFileError(Exception):
    """A bad roles file: the message names the file, the role and the problem."""


@dataclass(frozen=True, slots=True)
class Metric:
    kind: MetricKind
    name: str
    unit: str
    higher_is_better: bool
    min: float
    max: float
    decimals: bool
    noise: float
    floor: float | None = None  # quality only
    target: float | None = None  # output only

    def check(self, value: float) -> str | None:
        """Why `value` is not a valid answer, or None."""
        if not self.decimals and value != int(value):
            return f"{self.name} is a whole number ({self.unit})."
        if value < self.min or value > self.max:
            return f"{self.name} must be between {fmt(self.min)} and {fmt(self.max)} {self.unit}."
        return None

    def range_hint(self) -> str:
        return f"{fmt(self.min)}–{fmt(self.max)} {self.unit}"


@dataclass(frozen=True, slots=True)
class Role:
    key: str
    title: str
    quality: Metric
    output: Metric
    competencies: tuple[str, ...]
    # How someone in this role who manages others is read: "team" (by their team's pair, the
    # default) or "self" (by their own quality and output, like anyone else).
    read_as: str = "team"


def fmt(value: float | None) -> str:
    """A number as people write it: 85, 87.5, 0.25."""
    if value is None:
        return "–"
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


_METRIC_KEYS = {
    "name",
    "unit",
    "higher_is_better",
    "min",
    "max",
    "floor",
    "target",
    "decimals",
    "noise",
}


def _number(raw: dict[str, Any], key: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RolesFileError(f"{where}: '{key}' must be a number")
    return float(value)


def _metric(kind: MetricKind, raw: Any, where: str) -> Metric:
    if not isinstance(raw, dict):
        raise RolesFileError(f"{where}: missing [{kind}] table with the {kind} metric")
    unknown = sorted(set(raw) - _METRIC_KEYS)
    if unknown:
        raise RolesFileError(f"{where}: unknown key(s) {', '.join(unknown)}")
    name = raw.get("name")
    unit = raw.get("unit")
    if not isinstance(name, str) or not name.strip():
        raise RolesFileError(f"{where}: 'name' must be a non-empty string")
    if not isinstance(unit, str) or not unit.strip():
        raise RolesFileError(f"{where}: 'unit' must be a non-empty string")
    hib = raw.get("higher_is_better", True)
    decimals = raw.get("decimals", True)
    if not isinstance(hib, bool) or not isinstance(decimals, bool):
        raise RolesFileError(f"{where}: 'higher_is_better' and 'decimals' must be true or false")
    low, high = _number(raw, "min", where), _number(raw, "max", where)
    if low >= high:
        raise RolesFileError(f"{where}: 'min' ({fmt(low)}) must be below 'max' ({fmt(high)})")
    noise = _number(raw, "noise", where) if "noise" in raw else 0.10
    if not 0 < noise < 1:
        raise RolesFileError(f"{where}: 'noise' must be between 0 and 1 (a share of the baseline)")
    bound_key, other_key = ("floor", "target") if kind == "quality" else ("target", "floor")
    if other_key in raw:
        raise RolesFileError(f"{where}: a {kind} metric has a '{bound_key}', not a '{other_key}'")
    if bound_key not in raw:
        raise RolesFileError(f"{where}: missing '{bound_key}'")
    bound = _number(raw, bound_key, where)
    if not low <= bound <= high:
        raise RolesFileError(
            f"{where}: '{bound_key}' {fmt(bound)} is outside the valid range {fmt(low)}–{fmt(high)}"
        )
    return Metric(
        kind=kind,
        name=name.strip(),
        unit=unit.strip(),
        higher_is_better=hib,
        min=low,
        max=high,
        decimals=decimals,
        noise=noise,
        floor=bound if kind == "quality" else None,
        target=bound if kind == "output" else None,
    )


def parse_roles(data: dict[str, Any], source: str) -> dict[str, Role]:
    if not data:
        raise RolesFileError(f"{source}: no roles defined")
    roles: dict[str, Role] = {}
    for key, raw in data.items():
        where = f"{source}: role '{key}'"
        if not isinstance(raw, dict):
            raise RolesFileError(f"{where}: must be a table ([{key}])")
        unknown = sorted(set(raw) - {"title", "quality", "output", "competencies", "read_as"})
        if unknown:
            raise RolesFileError(
                f"{where}: unknown key(s) {', '.join(unknown)}; a role has exactly one quality "
                "and one output metric"
            )
        title = raw.get("title", key)
        competencies = raw.get("competencies", [])
        if not isinstance(title, str):
            raise RolesFileError(f"{where}: 'title' must be a string")
        if not isinstance(competencies, list) or not all(
            isinstance(c, str) and c.strip() for c in competencies
        ):
            raise RolesFileError(f"{where}: 'competencies' must be a list of names")
        read_as = raw.get("read_as", "team")
        if read_as not in READ_AS:
            raise RolesFileError(
                f"{where}: 'read_as' must be \"team\" (a manager is read by their team's pair) "
                'or "self" (by their own metrics)'
            )
        roles[key] = Role(
            key=key,
            title=title,
            quality=_metric("quality", raw.get("quality"), f"{where} [quality]"),
            output=_metric("output", raw.get("output"), f"{where} [output]"),
            competencies=tuple(c.strip() for c in competencies),
            read_as=read_as,
        )
    return roles


def load_roles(path: Path) -> dict[str, Role]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RolesFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesFileError(f"{path}: not valid TOML ({exc})") from None
    return parse_roles(data, str(path))
