"""roles.toml: the shipped roles, and a bad file failing with the file, the role and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from cadence.config import PROJECT_ROOT
from cadence.domain.roles import RolesFileError, load_roles

GOOD = """
[support]
[support.quality]
name = "CSAT"
unit = "%"
min = 0
max = 100
floor = 85
[support.output]
name = "Tickets"
unit = "tickets/week"
min = 0
max = 500
target = 60
"""


def test_shipped_roles_pair_quality_with_output() -> None:
    roles = load_roles(PROJECT_ROOT / "roles.toml")
    assert {"support", "engineering", "sales"} <= set(roles)
    support = roles["support"]
    assert (support.quality.name, support.quality.unit, support.quality.floor) == ("CSAT", "%", 85)
    assert (support.output.name, support.output.target) == ("Tickets closed", 60)
    for role in roles.values():
        assert role.quality.floor is not None and role.output.target is not None
        assert role.competencies


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (
            lambda t: t.replace("floor = 85", "floor = 185"),
            "role 'support' [quality]: 'floor' 185 is outside",
        ),
        (lambda t: t.replace("target = 60\n", ""), "role 'support' [output]: missing 'target'"),
        (lambda t: t.replace('name = "CSAT"', 'name = ""'), "'name' must be a non-empty string"),
        (lambda t: t.replace("max = 100", "max = -1"), "'min' (0) must be below 'max' (-1)"),
        (lambda t: t.replace("[support.output]", "[support.output2]"), "unknown key(s) output2"),
        (lambda t: t + "\n[ops]\ntitle = 1\n", "role 'ops'"),
        (
            lambda t: t.replace("floor = 85", "floor = 85\ntarget = 3"),
            "a quality metric has a 'floor', not a 'target'",
        ),
        (lambda t: t.replace("[support]", "[support"), "not valid TOML"),
    ],
)
def test_bad_roles_file_names_file_role_and_problem(tmp_path: Path, mutation, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "roles.toml"
    path.write_text(mutation(GOOD))
    with pytest.raises(RolesFileError) as err:
        load_roles(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_missing_roles_file(tmp_path: Path) -> None:
    with pytest.raises(RolesFileError, match="cannot be read"):
        load_roles(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("line", "read_as"),
    [("", "team"), ('read_as = "team"\n', "team"), ('read_as = "self"\n', "self")],
)
def test_a_role_says_how_its_managers_are_read(tmp_path: Path, line: str, read_as: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(GOOD.replace("[support]\n", f"[support]\n{line}"))
    assert load_roles(path)["support"].read_as == read_as


@pytest.mark.parametrize("value", ['"boss"', "true", '"Self"'])
def test_a_bad_read_as_names_the_choices(tmp_path: Path, value: str) -> None:
    path = tmp_path / "roles.toml"
    path.write_text(GOOD.replace("[support]\n", f"[support]\nread_as = {value}\n"))
    with pytest.raises(RolesFileError, match="role 'support': 'read_as' must be \"team\""):
        load_roles(path)
