"""Every template renders to Block Kit that slack_sdk's models accept, within Slack's limits,
and user text cannot ping anyone or break the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from config import PROJECT_ROOT
from domain.checkins import MOODS, TEXT_LIMIT
from domain.digests import series_table
from domain.roles import load_roles
from domain.signals import LABELS
from prompts.render import TEMPLATES, Renderer, RenderError, escape_mrkdwn
from tests.test_digest_model import sample_digest

ROLES = load_roles(PROJECT_ROOT / "roles.toml")
R = Renderer()
NASTY = 'Hi <!channel> <@U0BOSS> & "quotes" \\ {{ x }} }}\n> not a quote'

CONTEXTS: dict[str, dict[str, object]] = {
    "checkin_prompt.json.j2": dict(
        first_name=NASTY,
        period="2026-W47",
        period_label="2026-W47 (16–22 Nov)",
        role=ROLES["support"],
        reminder=False,
        deadline_label="Tuesday 24 Nov, 12:00",
    ),
    "checkin_status.json.j2": dict(
        period="2026-W47", period_label="2026-W47", status="answered", can_edit=True, summary=NASTY
    ),
    "checkin_modal.json.j2": dict(
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
    ),
    "home.json.j2": dict(
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
    ),
    "digest.json.j2": dict(d=sample_digest(NASTY, reports=60), labels=LABELS, plan=True),
    "digest_chart_fallback.json.j2": dict(
        title=NASTY, table=series_table(sample_digest(NASTY).series)
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
        report_name="SECRET-REPORT",
        signal_label="SECRET-SIGNAL",
        text=NASTY,
        due_label="Friday 27 Nov",
    ),
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
    # User text in mrkdwn is escaped: no live mention or broadcast survives.
    for text in mrkdwn_texts(rendered):
        assert "<!channel>" not in text and "<@U0BOSS>" not in text, text
    if name != "checkin_modal.json.j2":
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


def test_an_action_owned_by_someone_else_does_not_reveal_the_reports_signal() -> None:
    dm = R.message("action_assigned.json.j2", **CONTEXTS["action_assigned.json.j2"])
    assert "SECRET" not in json.dumps(dm)
