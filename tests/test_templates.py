"""Every template renders to Block Kit that slack_sdk's models accept, within Slack's limits,
and user text cannot ping anyone or break the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from cadence.config import PROJECT_ROOT
from cadence.domain.calibration import RatedReview, calibrate
from cadence.domain.checkins import MOODS, TEXT_LIMIT
from cadence.domain.digests import pair_table
from cadence.domain.feedback import VISIBILITIES
from cadence.domain.goals import measure_options
from cadence.domain.pulse import OutcomeLine, TeamPulse
from cadence.domain.reviews import RATINGS as REVIEW_RATINGS
from cadence.domain.reviews import Assessment, Evidence, PairSummary
from cadence.domain.roles import load_roles
from cadence.domain.rounds import PEER_MODES, PERSPECTIVES
from cadence.domain.rounds import RATINGS as ROUND_RATINGS
from cadence.domain.signals import LABELS
from cadence.domain.words import who_reads_self_assessment, who_sees_away, who_sees_plan
from cadence.prompts.render import TEMPLATES, Renderer, RenderError, escape_mrkdwn
from cadence.services.lens import ThemeLine
from cadence.services.plans import PlanView
from tests.test_digest_model import sample_digest

ROLES = load_roles(PROJECT_ROOT / "roles.toml")
R = Renderer()
NASTY = 'Hi <!channel> <@U0BOSS> & "quotes" \\ {{ x }} }}\n> not a quote'
EVIDENCE = Evidence(
    checkins_line=NASTY,
    month_lines=[NASTY] * 3,
    signals_line=NASTY,
    wins=[NASTY * 20] * 12,
    wins_more=3,
    kudos=[NASTY] * 10,
    kudos_more=2,
    goals=[NASTY] * 12,
)
PAIR = PairSummary(answered=10, below_floor=8, at_target=2, mean_quality=70, mean_output=50)

PLAN_VIEW = PlanView(
    id=7,
    person_name=NASTY,
    kind_label="development plan",
    opened_by=NASTY,
    end_label="Fri 29 Jan 2027",
    next_label="Fri 11 Dec 2026",
    body="• Quality: " + escape_mrkdwn(NASTY) + "\n• Output: " + escape_mrkdwn(NASTY),
    hr_line=NASTY,
    seen_by=who_sees_plan(False),
)

CONTEXTS: dict[str, dict[str, object]] = {
    "checkin_prompt.json.j2": dict(
        who_sees=NASTY,
        first_name=NASTY,
        period="2026-W47",
        period_label="2026-W47 (16–22 Nov)",
        role=ROLES["support"],
        reminder=False,
        deadline_label="Tuesday 24 Nov, 12:00",
        team=False,
        two_weeks=True,
        next_prompt="Friday 4 Dec",
    ),
    "checkin_status.json.j2": dict(
        period="2026-W47", period_label="2026-W47", status="answered", summary=NASTY
    ),
    "checkin_modal.json.j2": dict(
        who_sees=NASTY,
        blockers_hint=NASTY[:150],
        period="2026-W47",
        period_label="2026-W47",
        role=ROLES["engineering"],
        current={
            "quality": "90",
            "output": "4",
            "mood": "3",
            "wins": NASTY,
            "blockers": "",
            "priorities": "",
        },
        moods=MOODS,
        text_limit=TEXT_LIMIT,
        editing=True,
        team=False,
        two_weeks=True,
        plan=[NASTY, NASTY],
    ),
    "home.json.j2": dict(
        who_sees=NASTY,
        registered=True,
        period="2026-W47",
        period_label="2026-W47",
        status="open",
        weeks=[{"line": NASTY}] * 8,
        role=ROLES["sales"],
        quality_spark="▁▂▃",
        output_spark="▃▂▁",
        quality_line=NASTY,
        output_line="o",
        team=[{"line": f"{NASTY} {i}"} for i in range(60)],
        team_summary="1 of 60 checked in",
        team_label="week of 16 Nov",
        deadline="Tuesday 24 Nov, 12:00",
        absences=[{"id": i, "line": NASTY} for i in range(12)],
        feedback={"kudos": [{"date": "20 Nov", "giver": NASTY, "message": NASTY}] * 5},
    ),
    "home_hr.json.j2": dict(
        rounds=[
            {
                "id": str(i),
                "name": NASTY,
                "open": True,
                "line": "x",
                "declines": [
                    {
                        "request": str(j),
                        "who": NASTY,
                        "whom": NASTY,
                        "as": "as a peer",
                        "reason": NASTY,
                        "replaceable": j % 2 == 0,
                    }
                    for j in range(12)
                ],
            }
            for i in range(10)
        ],
        calibration_quarter="2026-Q4",
    ),
    "away_modal.json.j2": dict(today="2026-11-20", who_sees=who_sees_away(False)),
    "hr_erase.json.j2": dict(),
    "erase_modal.json.j2": dict(),
    "my_data.json.j2": dict(
        first_name=NASTY, filename="f.json", counts=[NASTY, "goals: 2"], manager_only=2
    ),
    "feedback_modal.json.j2": dict(
        who="U0ANA", link=NASTY, visibilities=VISIBILITIES, text_limit=TEXT_LIMIT
    ),
    "feedback_message.json.j2": dict(
        to="manager",
        giver_name=NASTY,
        receiver_name="Ana Agent",
        receiver_first="Ana",
        visibility="manager",
        visibility_label="Only their manager",
        strengths=NASTY,
        improvements=NASTY * 10,
        link="https://test.slack.com/archives/C1/p1",
        has_manager=True,
    ),
    "kudos_post.json.j2": dict(
        giver="U0LEAD", recipients=["U0ANA", "U0BEN"], message=NASTY, reason="not in channel"
    ),
    "round_notice.json.j2": dict(text=NASTY),
    "hr_settings.json.j2": dict(
        settings_current=[f"Team of {NASTY} · Check-in time: 10:00"] * 30,
        settings_recent=[f"2026-11-26 10:00 UTC · {NASTY} · org · checkin_time: 15:00 → 10:00"] * 5,
    ),
    "settings_modal.json.j2": dict(
        scopes={"org": "The whole organisation", "team": "A team", "person": "One person"},
        fields=[
            {
                "key": "checkin_time",
                "label": "Check-in time",
                "hint": "Blank: as it is.",
                "options": [],
            },
            {
                "key": "checkin_cadence",
                "label": "Check-in cadence",
                "hint": "Blank: as it is.",
                "options": [
                    {"value": "weekly", "label": "Every week"},
                    {"value": "fortnightly-even", "label": "Every two weeks (even ISO weeks)"},
                ],
            },
        ],
    ),
    "round_modal.json.j2": dict(
        perspectives=PERSPECTIVES,
        peer_modes=PEER_MODES,
        question_sets={"standard": "Competencies", "short": "Short"},
        default_deadline="2026-12-04",
    ),
    "round_request.json.j2": dict(
        first_name=NASTY,
        round_name=NASTY,
        deadline_label="Friday 4 Dec, 18:00 your time (12:00 in New York)",
        reminder=True,
        subjects=[
            {
                "request": i,
                "name": NASTY,
                "as": "as a peer",
                "promise": NASTY,
                "status": s,
                "can_decline": i % 2 == 0,
            }
            for i, s in enumerate(["pending", "answered", "declined"] * 8)
        ],
        withdrawn=2,
    ),
    "round_answer_modal.json.j2": dict(
        request=7,
        round_name=NASTY,
        subject_name=NASTY,
        answer_as="as a peer",
        promise=NASTY,
        deadline_label=NASTY,
        competencies=list(ROLES["support"].competencies),
        questions=["What should they keep doing?", "What could they do differently?"],
        ratings=ROUND_RATINGS,
    ),
    "round_decline_modal.json.j2": dict(request=7, round_name=NASTY, subject_name=NASTY),
    "round_nominate.json.j2": dict(
        first_name=NASTY, round_name=NASTY, round_id=3, hr_approves=True
    ),
    "round_nominate_modal.json.j2": dict(
        round_id=3, round_name=NASTY, current=["U0BEN"], hr_approves=True
    ),
    "round_approve.json.j2": dict(
        round_name=NASTY, subject_name=NASTY, nominees=[NASTY, "Ben"], as_hr=True, value="3:4:1"
    ),
    "round_results.json.j2": dict(
        round_name=NASTY,
        subject_name=NASTY,
        anonymous=True,
        min_responses=3,
        for_manager=True,
        shared_by=NASTY,
        release_value="3:4",
        results=[
            {
                "label": "Peers",
                "answers": 4,
                "enough": True,
                "averages": [["Problem solving", "3.5"], ["Customer empathy", "4.0"]],
                "comments": [{"question": "Keep doing?", "texts": [NASTY, NASTY]}],
            },
            {
                "label": "Direct reports",
                "answers": 2,
                "enough": False,
                "averages": [],
                "comments": [],
            },
        ],
    ),
    "review_evidence.json.j2": dict(
        quarter_label="2026-Q4 (Oct–Dec)",
        whose=NASTY,
        evidence=EVIDENCE,
    ),
    "review_self_modal.json.j2": dict(
        quarter="2026-Q4",
        quarter_label="2026-Q4 (Oct–Dec)",
        role=ROLES["support"],
        evidence_blocks=R.message(
            "review_evidence.json.j2", quarter_label="Q", whose="Your", evidence=EVIDENCE
        )["blocks"],
        ratings=REVIEW_RATINGS,
        current=Assessment({"Problem solving": 4}, NASTY, NASTY, NASTY),
        limit=3000,
        saved_line=NASTY,
        has_manager=False,
        who_reads=who_reads_self_assessment(False),
    ),
    "review_manager_modal.json.j2": dict(
        quarter="2026-Q4",
        quarter_label="2026-Q4",
        report_slack_id="U0ANA",
        report_name=NASTY,
        role=ROLES["support"],
        evidence_blocks=[],
        self_answers=Assessment({"Problem solving": 4}, NASTY, NASTY, NASTY),
        self_rating_lines=[NASTY],
        ratings=REVIEW_RATINGS,
        current=Assessment({"Problem solving": 2}, narrative=NASTY),
        limit=3000,
        saved_line=NASTY,
        release_label="Release to Kenji",
    ),
    "review_prompt.json.j2": dict(
        kind="manager",
        first_name=NASTY,
        quarter="2026-Q4",
        quarter_label="2026-Q4",
        deadline_label="Thursday 31 Dec",
        report_name=NASTY,
        report_slack_id="U0ANA",
    ),
    "review_status.json.j2": dict(line=NASTY),
    "review_released.json.j2": dict(
        first_name=NASTY,
        quarter="2026-Q4",
        quarter_label="2026-Q4",
        manager_name=NASTY,
        rating_lines=[NASTY],
        narrative=NASTY,
    ),
    "review_ack_modal.json.j2": dict(quarter="2026-Q4", quarter_label="2026-Q4", comment=NASTY),
    "review_home.json.j2": dict(
        review_line=NASTY,
        review_button={"action": "review_self_open", "text": "Write it", "value": "2026-Q4"},
        released={
            "quarter": "2026-Q4",
            "quarter_label": "2026-Q4",
            "manager_name": NASTY,
            "rating_lines": [NASTY],
            "narrative": NASTY,
            "ack_line": NASTY,
            "can_ack": True,
        },
        to_assess=[{"name": NASTY, "value": "U0ANA|2026-Q4"}] * 12,
        goals_quarter="2026-Q4",
        goals_label="2026-Q4",
        goals=[NASTY] * 10,
        can_update_progress=True,
    ),
    "goals_modal.json.j2": dict(
        quarter="2026-Q4",
        quarter_label="2026-Q4",
        role=ROLES["sales"],
        existing=[NASTY] * 6,
        team_goals=[{"value": "1", "text": NASTY}],
        measures=measure_options(ROLES["sales"], team=True),
        team=True,
        slots=3,
        default_due="2026-12-31",
    ),
    "goals_progress_modal.json.j2": dict(
        quarter="2026-Q4",
        quarter_label="2026-Q4",
        results=[{"id": i, "label": NASTY, "hint": "1 → 2", "current": "1.5"} for i in range(40)],
    ),
    "calibration_modal.json.j2": dict(
        quarter_label="2026-Q4",
        cal=calibrate(
            [RatedReview(NASTY, i % 3, f"{NASTY} {i % 3}", [5, 5, 4, 5], PAIR) for i in range(30)]
        ),
    ),
    "digest.json.j2": dict(
        d=sample_digest(NASTY, reports=60), labels=LABELS, plan=True, picture=True
    ),
    "digest_chart_fallback.json.j2": dict(
        title=NASTY, table=pair_table(sample_digest(NASTY).pairs)
    ),
    "team_modal.json.j2": dict(
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": escape_mrkdwn(NASTY)}}],
        hidden=3,
        period="2026-W47",
    ),
    "action_modal.json.j2": dict(
        meta={"r": "U0ANA", "p": "2026-W47", "s": "strain"},
        report_name=NASTY,
        signal_label="Strain",
        period_label="2026-W47",
        suggested=NASTY,
        due="2026-11-30",
        text_limit=500,
    ),
    "action_assigned.json.j2": dict(
        owner_kind="other",
        manager_name=NASTY,
        report_name=NASTY,
        signal_label="",
        week="week of 16 Nov",
        text=NASTY,
        due_label="Friday 27 Nov",
    ),
    "home_actions.json.j2": dict(lines=[NASTY] * 40),
    "round_replace_modal.json.j2": dict(
        request=7,
        round_name=NASTY,
        reviewer_name=NASTY,
        subject_name=NASTY,
        answer_as="as a peer",
        reason=NASTY,
    ),
    "round_summary.json.j2": dict(
        round_name=NASTY,
        closed_label="Friday 4 Dec, 18:05 your time",
        early=False,
        subjects=[{"name": NASTY, "counts": "answered 1", "minimum": 5, "below": "Peers (1)"}]
        * 900,
        below=900,
        min_responses=3,
        raised="5 for 900 people",
        gone=2,
    ),
    "plan_modal.json.j2": dict(
        person="U0CAT",
        person_name=NASTY,
        role_quality=NASTY,
        role_output=NASTY,
        may_pip=True,
        today="2026-11-20",
        end="2027-02-18",
        slots=2,
        checkin_slots=2,
    ),
    "plan_notice.json.j2": dict(plan=PLAN_VIEW),
    "home_plans.json.j2": dict(
        own=PLAN_VIEW, followed=[PLAN_VIEW] * 12, hr=[PLAN_VIEW] * 30, hr_total=40
    ),
    "hr_digest.json.j2": dict(month="December 2026", picture=True),
    "hr_lens.json.j2": dict(
        window=12,
        as_of="week of 16 Nov",
        themes=[ThemeLine(NASTY, 6, 3, 5, 12, "rising", NASTY, "week of 12 Oct", "week of 16 Nov")]
        * 10,
        org=TeamPulse(
            NASTY,
            900,
            True,
            answered=9000,
            due=9900,
            skipped=30,
            away=40,
            holiday=12,
            mood=3.5,
            below_floor_pct=4.5,
            output_pct=97,
            signals={"strain": 4},
        ),
        teams_read=1000,
        flagged=[TeamPulse(NASTY, 9, True, 90, 99, reading="strain")] * 8,
        more_flagged=40,
        lowest=[TeamPulse(NASTY, 9, True, 40, 99)] * 3,
        outcomes=[OutcomeLine("strain", 10, 7, 9), OutcomeLine("stall", 2, 0, 0)],
        quarter="2026-Q4",
    ),
}


# Templates whose user text appears only in plain_text (labels, input values), never mrkdwn.
PLAIN_TEXT_ONLY = {
    "away_modal.json.j2",  # no user text at all
    "erase_modal.json.j2",  # no user text at all
    "hr_erase.json.j2",  # no user text at all
    "hr_digest.json.j2",  # no user text at all (the month)
    "checkin_modal.json.j2",
    "goals_progress_modal.json.j2",
    "review_ack_modal.json.j2",
    "round_modal.json.j2",
    "settings_modal.json.j2",  # no user text at all
}


def test_every_template_has_a_rendering_test() -> None:
    assert {p.name for p in TEMPLATES.glob("*.j2")} <= set(CONTEXTS)


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_template_renders_valid_block_kit(name: str) -> None:
    context = CONTEXTS[name]
    rendered = R.render(name, **context)
    if "groups" in rendered:  # a long message, split into several by the renderer
        assert all(len(m["blocks"]) <= 50 for m in R.messages(name, **context))
        rendered = {"text": rendered["text"], "blocks": R.messages(name, **context)[0]["blocks"]}
        rendered["all"] = R.render(name, **context)["groups"]
    blocks = rendered["blocks"]
    if rendered.get("type") in {"modal", "home"}:
        View(**rendered).validate_json()
        assert len(blocks) <= 100
    else:
        assert len(blocks) <= 50 and rendered["text"]
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
    # User text in mrkdwn is escaped: no live mention or broadcast survives, in the blocks nor
    # in a message's text (the notification and fallback, which Slack reads as mrkdwn too).
    fallback = [rendered["text"]] if isinstance(rendered.get("text"), str) else []
    for text in mrkdwn_texts(rendered) + fallback:
        assert "<!channel>" not in text and "<@U0BOSS>" not in text, text
    if name not in PLAIN_TEXT_ONLY:
        assert "&lt;!channel&gt;" in json.dumps(rendered, ensure_ascii=False)


def mrkdwn_texts(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(str(node.get("text", "")))
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found


def test_escaping_neutralises_mentions() -> None:
    assert escape_mrkdwn("<!here> <@U1> a&b") == "&lt;!here&gt; &lt;@U1&gt; a&amp;b"


def test_plain_text_inputs_keep_user_text_verbatim_for_editing() -> None:
    view = R.view("checkin_modal.json.j2", **CONTEXTS["checkin_modal.json.j2"])
    wins = next(b for b in view["blocks"] if b.get("block_id") == "b_wins")
    assert wins["element"]["initial_value"] == NASTY  # plain_text: shown as typed, never parsed


def test_renderer_refuses_what_slack_would_reject(tmp_path: Path) -> None:
    (tmp_path / "big.json.j2").write_text(
        '{"text": "x", "blocks": [{% for i in range(51) %}{"type": "divider"}'
        '{{ "," if not loop.last }}{% endfor %}]}'
    )
    (tmp_path / "title.json.j2").write_text(
        '{"type": "modal", "title": {"type": "plain_text", "text": "%s"}, "blocks": []}'
        % ("x" * 25)
    )
    (tmp_path / "strict.json.j2").write_text('{"text": {{ missing | tojson }}, "blocks": []}')
    r = Renderer(tmp_path)
    with pytest.raises(RenderError, match="51 blocks"):
        r.message("big.json.j2")
    with pytest.raises(RenderError):
        r.view("title.json.j2")
    with pytest.raises(Exception, match="missing"):
        r.message("strict.json.j2")
    (tmp_path / "button.json.j2").write_text(
        '{"text": "x", "blocks": [{"type": "actions", "elements": [{"type": "button", '
        '"action_id": "a", "text": {"type": "plain_text", "text": {{ label | tojson }}}}]}]}'
    )
    assert r.message("button.json.j2", label="Edit answers")["blocks"]
    for _ in range(2):  # refused each time: validate_blocks remembers only blocks that passed
        with pytest.raises(RenderError, match="75"):
            r.message("button.json.j2", label="x" * 76)


def test_an_action_owned_by_someone_else_does_not_reveal_the_reports_signal() -> None:
    context = {**CONTEXTS["action_assigned.json.j2"], "report_name": "Sam Rivera"}
    dm = R.message("action_assigned.json.j2", **context)
    assert dm["text"].startswith("Hi &lt;!channel&gt;")
    assert "asked you to own an action about Sam Rivera (week of 16 Nov):" in dm["text"]
    told = R.message("action_assigned.json.j2", **{**context, "signal_label": "stall"})
    assert "about Sam Rivera (stall, week of 16 Nov):" in told["text"]
