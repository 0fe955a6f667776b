"""The authorization matrix (issue 10 section 2, DESIGN.md section 6): every button, modal and
command × {the right person, another employee, the subject, another manager, HR, a deactivated
person}, each cell a signed request through the real app and an assertion on what is stored.

Buttons travel: the "object" of each row is set up for the subject (Cat, whose manager is Ben)
and the request is then sent by each actor as if the DM had been forwarded to them (or the
modal forged with the same private_metadata). A cell is
- ALLOW: the effect is stored (or the modal opens, for buttons that open one);
- REFUSE: nothing is stored and the actor gets a clear refusal (an ephemeral note, field
  errors on the modal, or the command's reply);
- OWN: surfaces that only ever act on the caller's own things (their check-in, their goals):
  the actor acts on their own, and the subject's stay untouched.
The deactivated cell is the right person, deactivated in the org chart for that one request.

A surface registered in the Bolt app without a row here fails `test_every_surface_has_a_row`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.handlers import register_all
from cadence.handlers.commands import cadence as cadence_command
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import (
    Absence,
    Action,
    Checkin,
    Delivery,
    Feedback,
    FeedbackRound,
    Goal,
    KeyResult,
    Kudos,
    Person,
    Plan,
    Review,
    RoundNomination,
    RoundRelease,
    RoundRequest,
    Setting,
)
from tests.conftest import ORG, HttpApp, Response, button_click, seed_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_actions import action_values
from tests.test_checkin_flow import values as checkin_values
from tests.test_feedback_kudos import feedback_values
from tests.test_goals_calibration import goal_values, kr
from tests.test_home_and_privacy import home_event
from tests.test_plans import plan_values
from tests.test_reviews import REVIEW_TIME, manager_values, self_values
from tests.test_round_nominations import nominate, nominate_round
from tests.test_rounds import answer_values, request_button, round_values, start_round

MATRIX_ORG = ORG + (
    "U0OLI,oli@example.com,Oli Other,U0LEAD,engineering,Europe/Paris,false\n"
    "U0ORA,ora@example.com,Ora Report,U0OLI,engineering,Europe/Paris,false\n"
    "U0HAL,hal@example.com,Hal Hr,U0LEAD,engineering,Europe/Paris,true\n"
)
SUBJECT, MANAGER, EMPLOYEE, OTHER_MANAGER, HR = "U0CAT", "U0BEN", "U0DAN", "U0OLI", "U0HAL"
ACTORS = {
    "employee": EMPLOYEE,
    "subject": SUBJECT,
    "other_manager": OTHER_MANAGER,
    "hr": HR,
}
CELLS = ("right", *ACTORS, "deactivated")
PERIOD = "2026-W47"  # the check-in week open on Friday 2026-11-20
QUARTER = "2026-Q4"


@dataclass
class World:
    deps: Deps
    fake: FakeSlack
    http: HttpApp
    sender: OutboxSender
    clock: FixedClock
    answers: dict[str, Any] = field(default_factory=dict)

    def pid(self, slack_id: str) -> int:
        with read_scope(self.deps.engine) as s:
            person = s.execute(select(Person).where(Person.slack_id == slack_id)).scalar_one()
            assert isinstance(person.id, int)
            return person.id

    def rows(self, model: Any, *where: Any) -> list[tuple[Any, ...]]:
        """Every stored row of `model` matching `where`, as comparable tuples."""
        with read_scope(self.deps.engine) as s:
            found = s.execute(select(model).where(*where)).scalars().all()
            return sorted(
                (tuple(sorted((k, str(v)) for k, v in r.model_dump().items())) for r in found),
                key=str,
            )

    def set_active(self, slack_id: str, active: bool) -> None:
        with session_scope(self.deps.engine) as s:
            s.execute(update(Person).where(col(Person.slack_id) == slack_id).values(active=active))

    def open_command(self, user: str, text: str) -> dict[str, Any]:
        before = self.fake.count("views.open")
        self.http.command("/cadence", user, text)
        view: dict[str, Any] = self.fake.wait_for("views.open", before + 1)[-1].args["view"]
        return view

    def open(self, user: str, action: str, value: str) -> dict[str, Any]:
        before = self.fake.count("views.open")
        self.http.interactive(button_click(user, action, value))
        view: dict[str, Any] = self.fake.wait_for("views.open", before + 1)[-1].args["view"]
        return view


@dataclass
class Row:
    """One surface. `setup` builds the object for the subject and returns what the request
    names it by (a button value, a modal's private_metadata, a command's text); `state` reads
    what is stored for that object, or for a person on OWN surfaces."""

    kind: str  # action | view | view_closed | command | shortcut | event
    surface: str  # action_id, callback_id, "/command sub", or the event type
    right: str
    state: Callable[[World, str], Any]
    setup: Callable[[World], str] = lambda w: ""
    values: Callable[[World, str], dict[str, Any]] = lambda w, who: {}
    effect: str = "stored"  # stored | modal | text
    in_view: str = ""  # a button inside this modal (its state and metadata come along)
    own: frozenset[str] = frozenset()  # cells that act on their own things
    when: datetime | None = None
    # Cells also allowed on the same object (HR on plans). They act after the right person,
    # so the object may have moved on ("already ended"): the cell asserts that authorization
    # let them through — `refusal` is what a refusal says, and they must not be told it.
    also: frozenset[str] = frozenset()
    refusal: str = ""


def nothing(w: World, who: str) -> Any:
    return None


def stored_settings(w: World, who: str) -> Any:
    return w.rows(Setting)


def settings_values(w: World, who: str) -> dict[str, Any]:
    return {
        ids.B_SET_SCOPE: {
            ids.A_SET_SCOPE: {"type": "static_select", "selected_option": {"value": "org"}}
        },
        ids.B_SET_KEY.format(key="checkin_time"): {
            ids.A_SET_VALUE: {"type": "plain_text_input", "value": "10:00"}
        },
    }


# ------------------------------------------------------------------ the objects


def checkins_of(w: World, who: str) -> Any:
    return w.rows(Checkin, Checkin.person_id == w.pid(who))


def reviews_of(w: World, who: str) -> Any:
    return w.rows(Review, Review.person_id == w.pid(who))


def subject_review(w: World, who: str) -> Any:
    return reviews_of(w, SUBJECT)


def goals_of(w: World, who: str) -> Any:
    goals = w.rows(Goal, Goal.person_id == w.pid(who))
    with read_scope(w.deps.engine) as s:
        mine = [g.id for g in s.execute(select(Goal).where(Goal.person_id == w.pid(who))).scalars()]
    return goals, w.rows(KeyResult, col(KeyResult.goal_id).in_(mine))


def feedback_by(w: World, who: str) -> Any:
    return w.rows(Feedback, Feedback.giver_id == w.pid(who))


def kudos_by(w: World, who: str) -> Any:
    return w.rows(Kudos, Kudos.giver_id == w.pid(who))


def rounds(w: World, who: str) -> Any:
    return w.rows(FeedbackRound)


def requests(w: World, who: str) -> Any:
    return w.rows(RoundRequest), w.rows(RoundNomination)


def releases(w: World, who: str) -> Any:
    return w.rows(RoundRelease)


def actions(w: World, who: str) -> Any:
    return w.rows(Action)


def competencies(w: World, who: str) -> int:
    with read_scope(w.deps.engine) as s:
        role = s.execute(select(Person.role).where(Person.slack_id == who)).scalar_one()
    return len(w.deps.roles[role].competencies)


def self_review_values(w: World, who: str) -> dict[str, Any]:
    n = competencies(w, who)
    return self_values(["4"] * n, "Closed the big deal")


def manager_review_values(w: World, who: str) -> dict[str, Any]:
    n = len(w.deps.roles["sales"].competencies)
    return manager_values(["4"] * n, "Strong quarter")


def released_review(w: World) -> str:
    """Ben writes and releases Cat's review; the acknowledgement is Cat's."""
    n = len(w.deps.roles["sales"].competencies)
    view = w.open(MANAGER, ids.REVIEW_MANAGER_OPEN, f"{SUBJECT}|{QUARTER}")
    resp = w.http.interactive(
        view_submission(MANAGER, view, manager_values(["4"] * n, "Well done"))
    )
    assert resp.status == 200 and not resp.body, resp.body
    return QUARTER


def meta(**data: Any) -> str:
    return json.dumps(data)


def a_goal(w: World) -> str:
    return meta(quarter=QUARTER)


GOAL = goal_values(
    "Grow accounts",
    kr(0, "quality:role", "84", "90", "2026-12-31"),
    kr(1, "output:role", "40", "60", "2026-12-31"),
    kr(2, "other:custom", "0", "4", "2026-12-30", desc="Case studies"),
)


def cat_goal(w: World) -> str:
    view = w.open(SUBJECT, ids.GOALS_OPEN, QUARTER)
    resp = w.http.interactive(view_submission(SUBJECT, view, GOAL))
    assert resp.status == 200 and not resp.body, resp.body
    return QUARTER


def progress_values(w: World, who: str) -> dict[str, Any]:
    with read_scope(w.deps.engine) as s:
        custom = s.execute(select(KeyResult).where(KeyResult.metric == "")).scalars().all()
    return {
        f"{ids.B_KR_VALUE}{k.id}": {ids.A_KR_VALUE: {"type": "number_input", "value": "3"}}
        for k in custom
    }


def hr_round(w: World, perspectives: list[str]) -> int:
    resp = start_round(w.http, w.fake, round_values([SUBJECT], perspectives, []), hr=HR)
    assert resp.status == 200 and not resp.body, resp.body
    w.sender.drain()
    with read_scope(w.deps.engine) as s:
        round_id = s.execute(select(FeedbackRound)).scalars().all()[-1].id
    assert isinstance(round_id, int)
    return round_id


def manager_request(w: World) -> str:
    hr_round(w, ["self", "manager"])
    return request_button(w.fake, MANAGER)


def manager_request_meta(w: World) -> str:
    return meta(request=int(manager_request(w)))


def decline_values(w: World, who: str) -> dict[str, Any]:
    return {ids.B_RD_REASON: {ids.A_RD_REASON: {"type": "plain_text_input", "value": "Busy"}}}


def manager_request_answer(w: World) -> str:
    """The manager's request, and the answers they would give in its modal."""
    ref = manager_request_meta(w)
    view = w.open(MANAGER, ids.ROUND_ANSWER_OPEN, request_button(w.fake, MANAGER))
    w.answers = answer_values(view, "4", "Keeps customers close")
    return ref


def round_answer_values(w: World, who: str) -> dict[str, Any]:
    return w.answers


def nominate_round_id(w: World) -> str:
    return str(nominate_round(w.http, w.fake, [SUBJECT], w.sender, hr=HR))


def nominees(w: World, who: str) -> dict[str, Any]:
    picked = ["U0ANA", "U0DAN", "U0ORA"]
    return {
        ids.B_RD_NOMINEES: {
            ids.A_RD_NOMINEES: {"type": "multi_users_select", "selected_users": picked}
        }
    }


def nominate_meta(w: World) -> str:
    return meta(round=int(nominate_round_id(w)))


def approval(w: World) -> str:
    round_id = int(nominate_round_id(w))
    assert nominate(w.http, w.fake, SUBJECT, round_id, ["U0ANA", "U0DAN", "U0ORA"]) is None
    w.sender.drain()
    return request_button(w.fake, MANAGER, ids.ROUND_APPROVE)


def closed_round(w: World) -> str:
    round_id = hr_round(w, ["self", "manager"])
    w.http.interactive(button_click(HR, ids.ROUND_CLOSE, str(round_id)))
    w.sender.drain()
    return request_button(w.fake, MANAGER, ids.ROUND_RELEASE)


def open_round(w: World) -> str:
    return str(hr_round(w, ["self", "manager"]))


PLAN = meta(r=SUBJECT, p="2026-W46", s="quality_below_floor")


def plans_of(w: World, who: str) -> Any:
    return w.rows(Plan, Plan.person_id == w.pid(SUBJECT))


def open_plan(w: World) -> str:
    view = w.open_command(MANAGER, f"plan <@{SUBJECT}>")
    resp = w.http.interactive(view_submission(MANAGER, view, plan_values()))
    assert resp.status == 200 and not resp.body, resp.body
    [plan] = plans_of(w, SUBJECT)
    return str(dict(plan)["id"])


def planned_action(w: World) -> str:
    view = w.open(MANAGER, ids.DIGEST_PLAN, PLAN)
    values = action_values("Pair on two calls", owner="manager")
    resp = w.http.interactive(view_submission(MANAGER, view, values))
    assert resp.status == 200 and not resp.body, resp.body
    [action] = w.rows(Action)
    return str(dict(action)["id"])


def declined_request(w: World) -> str:
    """Ana, asked as a peer about Cat, declines: HR may ask someone else."""
    resp = start_round(w.http, w.fake, round_values([SUBJECT], ["peer"], ["U0ANA"]), hr=HR)
    assert resp.status == 200 and not resp.body, resp.body
    w.sender.drain()
    value = request_button(w.fake, "U0ANA", ids.ROUND_DECLINE_OPEN)
    view = w.open("U0ANA", ids.ROUND_DECLINE_OPEN, value)
    resp = w.http.interactive(view_submission("U0ANA", view, decline_values(w, "U0ANA")))
    assert resp.status == 200 and not resp.body, resp.body
    return value


def replacement(w: World, who: str) -> dict[str, Any]:
    picked = {"type": "users_select", "selected_user": "U0ORA"}
    return {ids.B_RD_REPLACE: {ids.A_RD_REPLACE: picked}}


def absences_of(w: World, who: str) -> Any:
    return w.rows(Absence, col(Absence.person_id) == w.pid(who))


def my_data_of(w: World, who: str) -> Any:
    return w.rows(Delivery, col(Delivery.recipient) == who, col(Delivery.kind) == "my-data")


def erased(w: World, who: str) -> Any:
    return w.rows(Person, col(Person.erased_at).is_not(None))


def erase_values(w: World, who: str) -> dict[str, Any]:
    return {
        ids.B_ERASE_WHO: {ids.A_ERASE_WHO: {"type": "users_select", "selected_user": SUBJECT}},
        ids.B_ERASE_CONFIRM: {
            ids.A_ERASE_CONFIRM: {"type": "plain_text_input", "value": "Cat Closer"}
        },
    }


def away_values(w: World, who: str) -> dict[str, Any]:
    def day(value: str) -> dict[str, Any]:
        return {"type": "datepicker", "selected_date": value}

    return {
        ids.B_AWAY_START: {ids.A_AWAY_START: day("2026-12-01")},
        ids.B_AWAY_END: {ids.A_AWAY_END: day("2026-12-04")},
    }


def cat_absence(w: World) -> str:
    w.http.command("/cadence", SUBJECT, "away 2026-12-01 2026-12-04")
    [absence] = absences_of(w, SUBJECT)
    return str(dict(absence)["id"])


def round_form(w: World, who: str) -> dict[str, Any]:
    return round_values([SUBJECT], ["self", "manager"], [])


def submitted_and_closed(row: Row) -> list[Row]:
    """A modal that saves a draft when closed: its submission and its closing, alike."""
    return [row, replace(row, kind="view_closed")]


SELF = frozenset(ACTORS) - {"subject"}  # everyone else acts on their own things
ROWS: list[Row] = [
    # Check-ins: always the caller's own, whatever the button or metadata says.
    Row("action", ids.CHECKIN_OPEN, SUBJECT, nothing, lambda w: PERIOD, effect="modal", own=SELF),
    Row("action", ids.HOME_CHECKIN_OPEN, SUBJECT, nothing, effect="modal", own=SELF),
    Row("action", ids.CHECKIN_SKIP, SUBJECT, checkins_of, lambda w: PERIOD, own=SELF),
    Row(
        "view",
        ids.CHECKIN_MODAL,
        SUBJECT,
        checkins_of,
        lambda w: meta(period=PERIOD),
        lambda w, who: checkin_values(quality="91", output="40"),
        own=SELF,
    ),
    Row("command", "/checkin", SUBJECT, nothing, effect="modal", own=SELF),
    # Reviews.
    Row(
        "action",
        ids.REVIEW_SELF_OPEN,
        SUBJECT,
        nothing,
        lambda w: QUARTER,
        effect="modal",
        own=SELF,
        when=REVIEW_TIME,
    ),
    *submitted_and_closed(
        Row(
            "view",
            ids.REVIEW_SELF_MODAL,
            SUBJECT,
            reviews_of,
            lambda w: meta(quarter=QUARTER),
            self_review_values,
            own=SELF,
            when=REVIEW_TIME,
        )
    ),
    Row(
        "command",
        "/cadence review",
        SUBJECT,
        nothing,
        effect="modal",
        own=SELF,
        when=REVIEW_TIME,
    ),
    Row(
        "action",
        ids.REVIEW_SAVE_DRAFT,
        SUBJECT,
        reviews_of,
        lambda w: meta(quarter=QUARTER),
        self_review_values,
        effect="stored",
        own=SELF,
        when=REVIEW_TIME,
        in_view=ids.REVIEW_SELF_MODAL,
    ),
    Row(
        "action",
        ids.REVIEW_SAVE_DRAFT,
        MANAGER,
        subject_review,
        lambda w: meta(quarter=QUARTER, report=SUBJECT),
        manager_review_values,
        when=REVIEW_TIME,
        in_view=ids.REVIEW_MANAGER_MODAL,
    ),
    Row(
        "action",
        ids.REVIEW_MANAGER_OPEN,
        MANAGER,
        nothing,
        lambda w: f"{SUBJECT}|{QUARTER}",
        effect="modal",
        when=REVIEW_TIME,
    ),
    *submitted_and_closed(
        Row(
            "view",
            ids.REVIEW_MANAGER_MODAL,
            MANAGER,
            subject_review,
            lambda w: meta(quarter=QUARTER, report=SUBJECT),
            manager_review_values,
            when=REVIEW_TIME,
        )
    ),
    Row(
        "action",
        ids.REVIEW_ACK_OPEN,
        SUBJECT,
        nothing,
        released_review,
        effect="modal",
        when=REVIEW_TIME,
    ),
    Row(
        "view",
        ids.REVIEW_ACK_MODAL,
        SUBJECT,
        subject_review,
        lambda w: meta(quarter=released_review(w)),
        lambda w, who: {ids.B_RV_ACK: {ids.A_RV_ACK: {"type": "plain_text_input", "value": "Ok"}}},
        when=REVIEW_TIME,
    ),
    # Goals.
    Row(
        "action",
        ids.GOALS_OPEN,
        SUBJECT,
        nothing,
        lambda w: QUARTER,
        effect="modal",
        own=SELF,
        when=REVIEW_TIME,
    ),
    Row(
        "view",
        ids.GOALS_MODAL,
        SUBJECT,
        goals_of,
        a_goal,
        lambda w, who: GOAL,
        own=SELF,
        when=REVIEW_TIME,
    ),
    Row(
        "command",
        "/cadence goals",
        SUBJECT,
        nothing,
        effect="modal",
        own=SELF,
        when=REVIEW_TIME,
    ),
    Row(
        "action",
        ids.GOALS_PROGRESS_OPEN,
        SUBJECT,
        nothing,
        cat_goal,
        effect="modal",
        when=REVIEW_TIME,
    ),
    Row(
        "view",
        ids.GOALS_PROGRESS_MODAL,
        SUBJECT,
        lambda w, who: goals_of(w, SUBJECT),
        lambda w: meta(quarter=cat_goal(w)),
        progress_values,
        when=REVIEW_TIME,
    ),
    # Feedback and kudos: the giver is always the caller.
    Row("command", "/feedback", SUBJECT, nothing, effect="modal", own=SELF),
    Row("shortcut", ids.FEEDBACK_SHORTCUT, SUBJECT, nothing, effect="modal", own=SELF),
    Row(
        "view",
        ids.FEEDBACK_MODAL,
        SUBJECT,
        feedback_by,
        lambda w: meta(link=""),
        lambda w, who: feedback_values("U0ORA", "Great demo"),
        own=SELF,
    ),
    Row("command", "/kudos", SUBJECT, kudos_by, lambda w: "<@U0ORA|ora> for the demo", own=SELF),
    # HR: rounds and calibration.
    Row("action", ids.HOME_ROUND_NEW, HR, nothing, effect="modal"),
    Row("command", "/cadence round", HR, nothing, effect="modal"),
    Row("view", ids.ROUND_MODAL, HR, rounds, values=round_form),
    Row("action", ids.ROUND_EXTEND, HR, rounds, open_round),
    Row("action", ids.ROUND_CLOSE, HR, rounds, open_round),
    Row("command", "/cadence calibration", HR, nothing, effect="modal", when=REVIEW_TIME),
    # HR: settings (App Home button and its modal).
    Row("action", ids.HOME_SETTINGS_OPEN, HR, nothing, effect="modal"),
    Row("view", ids.SETTINGS_MODAL, HR, stored_settings, values=settings_values),
    # Round requests: only the reviewer asked.
    Row("action", ids.ROUND_ANSWER_OPEN, MANAGER, nothing, manager_request, effect="modal"),
    Row("action", ids.ROUND_DECLINE_OPEN, MANAGER, nothing, manager_request, effect="modal"),
    Row(
        "view",
        ids.ROUND_ANSWER_MODAL,
        MANAGER,
        requests,
        manager_request_answer,
        round_answer_values,
    ),
    Row(
        "view",
        ids.ROUND_DECLINE_MODAL,
        MANAGER,
        requests,
        manager_request_meta,
        decline_values,
    ),
    # Nominations: only the subject HR chose; approval by their manager.
    Row("action", ids.ROUND_NOMINATE_OPEN, SUBJECT, nothing, nominate_round_id, effect="modal"),
    Row("view", ids.ROUND_NOMINATE_MODAL, SUBJECT, requests, nominate_meta, nominees),
    Row("action", ids.ROUND_APPROVE, MANAGER, requests, approval),
    Row("action", ids.ROUND_RELEASE, MANAGER, releases, closed_round),
    # Manager digests and actions.
    Row(
        "command",
        "/cadence team",
        MANAGER,
        nothing,
        effect="modal",
        own=frozenset({"other_manager"}),
    ),
    Row("action", ids.DIGEST_PLAN, MANAGER, nothing, lambda w: PLAN, effect="modal"),
    Row(
        "view",
        ids.ACTION_MODAL,
        MANAGER,
        actions,
        lambda w: PLAN,
        lambda w, who: action_values("Pair on two calls", owner="manager"),
    ),
    Row("action", ids.ACTION_DONE, MANAGER, actions, planned_action),
    Row("action", ids.ACTION_KEEP, MANAGER, actions, planned_action),
    Row("action", ids.ROUND_REPLACE_OPEN, HR, nothing, declined_request, effect="modal"),
    Row(
        "view",
        ids.ROUND_REPLACE_MODAL,
        HR,
        requests,
        lambda w: meta(request=int(declined_request(w))),
        replacement,
    ),
    Row("action", ids.HOME_CALIBRATION_OPEN, HR, nothing, effect="modal", when=REVIEW_TIME),
    # Declared absences: always the caller's own.
    Row("action", ids.HOME_AWAY_NEW, SUBJECT, nothing, effect="modal", own=SELF),
    Row("view", ids.AWAY_MODAL, SUBJECT, absences_of, values=away_values, own=SELF),
    Row(
        "command",
        "/cadence away",
        SUBJECT,
        absences_of,
        lambda w: "2026-12-01 2026-12-04",
        own=SELF,
    ),
    Row("action", ids.AWAY_CANCEL, SUBJECT, lambda w, who: absences_of(w, SUBJECT), cat_absence),
    # Development plans: the management line and HR; nobody else, even with the button.
    Row(
        "command",
        "/cadence plan",
        MANAGER,
        nothing,
        lambda w: f"<@{SUBJECT}>",
        effect="modal",
        also=frozenset({"hr"}),
        refusal="management line",
    ),
    Row(
        "view",
        ids.PLAN_MODAL,
        MANAGER,
        plans_of,
        lambda w: meta(person=SUBJECT),
        lambda w, who: plan_values(),
        also=frozenset({"hr"}),
        refusal="management line",
    ),
    *(
        Row(
            "action",
            action_id,
            MANAGER,
            plans_of,
            open_plan,
            also=frozenset({"hr"}),
            refusal="management line",
        )
        for action_id in (ids.PLAN_EXTENDED, ids.PLAN_COMPLETED, ids.PLAN_CLOSED)
    ),
    # Your data: always the caller's own.
    Row("command", "/cadence my-data", SUBJECT, my_data_of, own=SELF),
    Row("action", ids.HOME_ERASE_OPEN, HR, nothing, effect="modal"),
    Row("view", ids.ERASE_MODAL, HR, erased, values=erase_values),
    # Help is public; the App Home is always the caller's own.
    Row("command", "/cadence help", SUBJECT, nothing, effect="text", own=frozenset(CELLS)),
    Row("event", "app_home_opened", SUBJECT, nothing, effect="modal", own=SELF),
]


# ------------------------------------------------------------------ sending and judging


def send(w: World, row: Row, user: str, ref: str, values: dict[str, Any]) -> Response:
    if row.kind == "action" and row.in_view:
        data = button_click(user, row.surface, "")
        for key in ("channel", "message", "response_url"):
            data.pop(key, None)
        data["container"] = {"type": "view", "view_id": "V0MATRIX"}
        data["view"] = {
            "id": "V0MATRIX",
            "hash": "1700000000.abc",
            "type": "modal",
            "callback_id": row.in_view,
            "private_metadata": ref,
            "blocks": [],
            "state": {"values": values},
        }
        return w.http.interactive(data)
    if row.kind == "action":
        return w.http.interactive(button_click(user, row.surface, ref))
    if row.kind in ("view", "view_closed"):
        view = {"callback_id": row.surface, "private_metadata": ref, "blocks": []}
        data = view_submission(user, view, values)
        if row.kind == "view_closed":
            data["type"] = "view_closed"
            data["is_cleared"] = False
        return w.http.interactive(data)
    if row.kind == "command":
        command, _, sub = row.surface.partition(" ")
        text = " ".join(t for t in (sub, ref) if t)
        channel = "D0MATRIX" if command == "/cadence" else "C0MATRIX"
        return w.http.command(command, user, text, channel_id=channel)
    if row.kind == "shortcut":
        return w.http.interactive(
            {
                "type": "message_action",
                "callback_id": row.surface,
                "trigger_id": f"trig-{user}",
                "team": {"id": "T111", "domain": "acme"},
                "user": {"id": user, "name": user.lower(), "team_id": "T111"},
                "channel": {"id": "C222", "name": "support"},
                "message": {"type": "message", "user": "U0ORA", "ts": "1700000000.1", "text": "x"},
                "response_url": "https://hooks.slack.com/actions/T111/1/x",
                "action_ts": "1700000001.000000",
            }
        )
    assert row.kind == "event"
    return w.http.event(home_event(user))


def notes_to(w: World, user: str) -> list[str]:
    """What the actor was told privately: ephemeral notes and DMs from the app (DMs once the
    outbox sender has sent them)."""
    said = [
        str(c.args.get("text") or "")
        for c in w.fake.calls("chat.postEphemeral")
        if c.args.get("user") == user
    ]
    return said + [str(c.args.get("text") or "") for c in w.fake.messages_to(user)]


def unregistered_home(w: World) -> Any:
    before = w.fake.count("views.publish")
    w.http.event(home_event("U0NOBODY"))
    return w.fake.wait_for("views.publish", before + 1)[-1].args["view"]


def judge(w: World, row: Row, cell: str, user: str, ref: str) -> None:
    """Send the request as `user` and assert what the cell expects."""
    if cell in row.also:
        told = len(notes_to(w, user))
        resp = send(w, row, user, ref, row.values(w, user))
        said = resp.body.decode() + " ".join(notes_to(w, user)[told:])
        assert resp.status == 200 and row.refusal not in said, f"{row.surface} × {cell}: refused"
        return
    if cell == "deactivated" or cell in row.own or user == row.right:
        expect = "REFUSE" if cell == "deactivated" else "OWN" if cell in row.own else "ALLOW"
    else:
        expect = "REFUSE"
    if row.surface == "/cadence help":
        expect = "ALLOW"  # public: the same text for everyone, nothing stored
    where = f"{row.kind} {row.surface} × {cell} ({user}) expected {expect}"
    w.sender.drain()  # what earlier requests queued is out before this one is judged
    values = row.values(w, user)
    target_before = row.state(w, row.right)
    own_before = row.state(w, user)
    opened, published = w.fake.count("views.open"), w.fake.count("views.publish")
    updated = w.fake.count("views.update")
    told = len(notes_to(w, user))
    resp = send(w, row, user, ref, values)
    assert resp.status == 200, where
    body = resp.json() if resp.body.startswith(b"{") else None
    errors = isinstance(body, dict) and body.get("response_action") == "errors"
    modal = w.fake.count("views.open") > opened or w.fake.count("views.update") > updated
    if expect == "REFUSE":
        assert row.state(w, row.right) == target_before, f"{where}: something was stored"
        assert not modal, f"{where}: a modal opened"
        if row.kind == "view":
            assert errors, f"{where}: no refusal on the modal ({resp.body!r})"
        elif row.kind == "command":
            assert resp.body.strip(), f"{where}: no reply"
        elif row.kind in ("action", "shortcut"):
            w.sender.drain()  # a note with no channel to be ephemeral in is a DM (outbox)
            assert len(notes_to(w, user)) > told, f"{where}: no refusal note"
            assert notes_to(w, user)[-1].strip(), where
        elif row.kind == "event":
            view = w.fake.wait_for("views.publish", published + 1)[-1].args["view"]
            assert view == unregistered_home(w), f"{where}: a personal Home"
        return
    assert not errors, f"{where}: refused with {body}"
    if expect == "OWN":
        if row.right != user:
            assert row.state(w, row.right) == target_before, f"{where}: touched the subject's"
        if row.effect == "stored":
            assert row.state(w, user) != own_before, f"{where}: nothing of their own stored"
        elif row.effect == "modal" and row.kind != "event":
            assert modal, f"{where}: no modal of their own"
        elif row.kind == "event":
            view = w.fake.wait_for("views.publish", published + 1)[-1].args["view"]
            assert view != unregistered_home(w), where
        return
    if row.effect == "stored":
        assert row.state(w, row.right) != target_before, f"{where}: nothing stored"
    elif row.effect == "modal":
        if row.kind == "event":
            assert w.fake.wait_for("views.publish", published + 1), where
        else:
            assert modal, f"{where}: no modal opened"
    else:
        assert b"Cadence" in resp.body, where


def row_id(row: Row) -> str:
    return f"{row.kind}:{row.surface}"


def case_id(row: Row) -> str:
    return row_id(row) + (f" in {row.in_view}" if row.in_view else "")


@pytest.fixture
def world(
    deps: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> World:
    seed_org(deps, fake, MATRIX_ORG)
    return World(deps, fake, http_app, sender, clock)


@pytest.mark.parametrize("row", ROWS, ids=case_id)
def test_matrix(world: World, row: Row) -> None:
    w = world
    if row.when is not None:
        w.clock.set(row.when)
    ref = row.setup(w)
    w.sender.drain()
    # Refusals first (they must leave everything as it was), then own things, then the right
    # person; the deactivated cell is the right person switched off for one request.
    order = sorted(
        CELLS,
        key=lambda c: (
            c != "deactivated",
            c in row.own or ACTORS.get(c) == row.right or c == "right" or c in row.also,
            c in row.also,
        ),
    )
    done: set[str] = set()
    for cell in order:
        user = row.right if cell in ("right", "deactivated") else ACTORS[cell]
        if cell != "deactivated" and user in done:
            continue  # the subject or HR *is* the right person on this row: one request
        w.clock.set(w.clock.now() + timedelta(seconds=1))  # a touch shows as a change
        if cell == "deactivated":
            w.set_active(row.right, False)
            try:
                judge(w, row, cell, user, ref)
            finally:
                w.set_active(row.right, True)
            continue
        judge(w, row, cell, user, ref)
        done.add(user)


# ------------------------------------------------------------------ completeness


class Recorder:
    """Stands in for the Bolt app to list what `register_all` registers."""

    def __init__(self) -> None:
        self.surfaces: set[str] = set()

    def _record(self, kind: str) -> Callable[[Any], Callable[[Any], Any]]:
        def register(constraint: Any) -> Callable[[Any], Any]:
            self.surfaces.add(f"{kind}:{constraint}")
            return lambda listener: listener

        return register

    def __getattr__(self, kind: str) -> Any:
        if kind == "error":
            return lambda listener: listener
        return self._record(kind)


def test_every_surface_has_a_row(deps: Deps) -> None:
    recorder = Recorder()
    register_all(recorder, deps)  # type: ignore[arg-type]
    registered = set()
    for surface in recorder.surfaces:
        kind, _, name = surface.partition(":")
        if name == "/cadence":
            registered |= {f"command:/cadence {sub}" for sub in cadence_command.subcommands(deps)}
        else:
            registered.add(f"{kind}:{name}")
    rows = {row_id(r) for r in ROWS}
    assert registered - rows == set(), "surfaces without a row in the authorization matrix"
    assert rows - registered == set(), "rows for surfaces that no longer exist"
    # Every cell of every row is judged.
    assert len(CELLS) == 6 and len({case_id(r) for r in ROWS}) == len(ROWS)


# ------------------------------------------------------------------ at *that* moment


def test_a_former_manager_cannot_act_on_the_action_but_its_owner_can(world: World) -> None:
    """Ben planned an action for Cat, owned by Cat. Then Cat moved to Oli's team: Ben's Done
    is refused (no longer in her line), though he is still active; Cat, the owner, can."""
    w = world
    view = w.open(MANAGER, ids.DIGEST_PLAN, PLAN)
    resp = w.http.interactive(view_submission(MANAGER, view, action_values("Shadow a call")))
    assert resp.status == 200 and not resp.body, resp.body
    [action] = w.rows(Action)
    action_id = dict(action)["id"]
    seed_org(
        w.deps,
        w.fake,
        MATRIX_ORG.replace(
            "U0CAT,cat@example.com,Cat Closer,U0BEN", "U0CAT,cat@example.com,Cat Closer,U0OLI"
        ),
    )
    w.http.interactive(button_click(MANAGER, ids.ACTION_DONE, action_id))
    assert "Only the manager who planned this action" in notes_to(w, MANAGER)[-1]
    # Her new manager did not plan it and does not own it.
    w.http.interactive(button_click(OTHER_MANAGER, ids.ACTION_DONE, action_id))
    assert "Only the manager who planned this action" in notes_to(w, OTHER_MANAGER)[-1]
    assert w.rows(Action) == [action]
    w.http.interactive(button_click(SUBJECT, ids.ACTION_DONE, action_id))
    assert "Marked done" in notes_to(w, SUBJECT)[-1]
    [(done)] = w.rows(Action)
    assert dict(done)["status"] == "done"
