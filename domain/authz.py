"""Who may act on what, decided per object and at the moment of the click (DESIGN.md section 6).

Buttons travel: a DM can be forwarded and its buttons clicked by someone else. So every button,
modal and command asks one of these rules before anything is stored, with the caller and the
object read from the stored org chart, never from what a payload claims (a button value or a
modal's private_metadata only says *which* object; never *who* may act on it).

| rule                    | who may act                                                        |
|-------------------------|--------------------------------------------------------------------|
| may_act_for_self        | any active person, on their own things only (check-in, skip, self  |
|                         | assessment, acknowledgement, goals, feedback, kudos, Home)          |
| may_administer          | an active HR admin (rounds: create, extend, close; calibration)    |
| may_answer_request      | the active reviewer the request names                              |
| may_nominate            | the active subject the round asked to nominate peers               |
| may_approve_nominations | the subject's active manager; an active HR admin when there is none |
| may_release_results     | the active person the results were sent to                         |
| may_plan_action         | the report's active direct manager (the report active too)         |
| may_act_on_action       | its active owner, or its active planner still in the report's line |
| may_assess              | the report's active direct manager                                 |
| may_see_team            | an active manager with at least one active report                  |
Deactivated people may do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from cadence.domain.reviews import can_assess, manager_chain


class Someone(Protocol):
    """A person as the stored org chart has them (storage's Person fits)."""

    @property
    def id(self) -> int | None: ...

    @property
    def slack_id(self) -> str: ...

    @property
    def manager_id(self) -> int | None: ...

    @property
    def active(self) -> bool: ...

    @property
    def hr_admin(self) -> bool: ...


def _active(actor: Someone | None) -> bool:
    return actor is not None and actor.id is not None and actor.active


def may_act_for_self(actor: Someone | None) -> bool:
    return _active(actor)


def may_administer(actor: Someone | None) -> bool:
    return _active(actor) and actor is not None and actor.hr_admin


def may_answer_request(actor: Someone | None, *, reviewer_id: int) -> bool:
    return _active(actor) and actor is not None and actor.id == reviewer_id


def may_nominate(actor: Someone | None, *, nominating_subject_ids: set[int]) -> bool:
    """`nominating_subject_ids`: the subjects this round asked to nominate peers (stored when
    HR created it)."""
    return _active(actor) and actor is not None and actor.id in nominating_subject_ids


def nominations_approver_is_hr(manager: Someone | None) -> bool:
    """Without an active manager above the subject, HR approves their nominations."""
    return not _active(manager)


def may_approve_nominations(
    actor: Someone | None, *, subject: Someone, manager: Someone | None
) -> bool:
    if not _active(actor) or actor is None or actor.id == subject.id:
        return False
    if nominations_approver_is_hr(manager):
        return actor.hr_admin
    return manager is not None and actor.id == manager.id


def may_release_results(actor: Someone | None, *, recipient_id: int | None) -> bool:
    return _active(actor) and actor is not None and actor.id == recipient_id


def may_plan_action(actor: Someone | None, *, report: Someone) -> bool:
    return (
        _active(actor)
        and actor is not None
        and report.active
        and report.manager_id == actor.id
        and report.id != actor.id
    )


def may_act_on_action(
    actor: Someone | None,
    *,
    planner_id: int,
    owner_slack_id: str,
    report_id: int,
    manager_of: Mapping[int, int | None],
) -> bool:
    """Done / still open: the action's owner, or the manager who planned it while they are
    still in the report's management line. A former manager's access ends with the change."""
    if not _active(actor) or actor is None or actor.id is None:
        return False
    if actor.slack_id == owner_slack_id:
        return True
    return actor.id == planner_id and actor.id in manager_chain(report_id, manager_of)


def may_assess(
    actor: Someone | None, *, report_id: int, manager_of: Mapping[int, int | None]
) -> bool:
    return (
        _active(actor)
        and actor is not None
        and actor.id is not None
        and can_assess(actor.id, report_id, manager_of)
    )


def may_see_team(actor: Someone | None, *, active_reports: int) -> bool:
    return _active(actor) and active_reports > 0
