"""Metrics from systems of record: `python bot.py import-metrics` and `POST /api/metrics`.
Same validation, all or nothing; an imported value wins over the self-reported one."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.services.deps import Deps
from cadence.storage.db import make_engine, read_scope
from cadence.storage.models import AuditEvent, MetricValue
from tests.conftest import ORG, HttpApp
from tests.fakeslack import FakeSlack
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)
from tests.test_digests import MONDAY_PARIS_9, PERIOD, digest_text, run_digests, team_week

TOKEN = "metrics-token-123"


def values(db_url: str) -> list[tuple[str, str, float, str]]:
    engine = make_engine(db_url)
    with read_scope(engine) as s:
        rows = s.execute(select(MetricValue).order_by(MetricValue.id)).scalars()  # type: ignore[arg-type]
        found = [(m.period, m.kind, m.value, m.source) for m in rows]
    engine.dispose()
    return found


def test_import_metrics_cli_writes_everything_or_nothing(env: Path, db_url: str) -> None:  # noqa: F811
    (env / "org.csv").write_text(ORG)
    assert run("import-org", "org.csv")[0] == 0
    bad = (
        "slack_id,period,metric,value\n"
        "U0ANA,2026-W40,quality,91.5\n"
        "U0NOBODY,2026-W40,quality,90\n"
        "U0ANA,2026-W99,output,10\n"
        "U0ANA,2099-W01,output,10\n"
        "U0ANA,2026-W40,speed,10\n"
        "U0ANA,2026-W41,quality,140\n"
        "U0ANA,2026-W41,output,12.5\n"
        "U0ANA,2026-W40,quality,92\n"
        "U0BEN,2026-W40,output\n"
        "U0BEN,2026-W40,output,lots\n"
    )
    (env / "bad.csv").write_text(bad)
    code, out, err = run("import-metrics", "bad.csv")
    assert code == 1 and out == ""
    for expected in (
        "line 3: slack_id 'U0NOBODY' is not an active person",
        "line 4: period '2026-W99' is not an ISO week",
        "line 5: period 2099-W01 is in the future",
        "line 6: metric 'speed' must be quality or output",
        "line 7: CSAT must be between 0 and 100 %",
        "line 8: Tickets closed is a whole number",
        "line 9: duplicate of line 2",
        "line 10: expected 4 columns, found 3",
        "line 11: value 'lots' is not a number",
    ):
        assert expected in err, expected
    assert values(db_url) == []

    good = "slack_id,period,metric,value\nU0ANA,2026-W40,quality,91.5\nU0ANA,2026-W40,output,70\n"
    (env / "good.csv").write_text(good)
    code, out, _ = run("import-metrics", "good.csv", "--source", "zendesk")
    assert code == 0 and "2 values for 1 people over 1 weeks (source zendesk)" in out
    assert values(db_url) == [
        ("2026-W40", "quality", 91.5, "zendesk"),
        ("2026-W40", "output", 70.0, "zendesk"),
    ]
    # Re-importing the same week replaces the value (one per person, week and metric).
    (env / "again.csv").write_text("slack_id,period,metric,value\nU0ANA,2026-W40,quality,88\n")
    assert run("import-metrics", "again.csv")[0] == 0
    assert values(db_url)[0] == ("2026-W40", "quality", 88.0, "csv")


def test_import_metrics_cli_refuses_a_wrong_header(env: Path, db_url: str) -> None:  # noqa: F811
    (env / "m.csv").write_text("person,week,kind,value\nU0ANA,2026-W40,quality,90\n")
    code, _, err = run("import-metrics", "m.csv")
    assert code == 1 and "line 1: wrong header" in err and "slack_id,period,metric,value" in err


def post(http: HttpApp, body: object, token: str | None = TOKEN, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body).encode()
    return http.request("/api/metrics", data, headers=headers)


def test_metrics_api_needs_the_token_and_is_off_without_one(org: Deps, http_app: HttpApp) -> None:
    body = {"metrics": [{"slack_id": "U0ANA", "period": PERIOD, "metric": "quality", "value": 90}]}
    off = post(http_app, body)
    assert off.status == 503 and "CADENCE_METRICS_API_TOKEN" in off.json()["error"]
    org.settings = org.settings.model_copy(update={"cadence_metrics_api_token": TOKEN})
    assert post(http_app, body, token=None).status == 401
    assert post(http_app, body, token="wrong").status == 401
    assert post(http_app, body, token=TOKEN[:-1]).status == 401
    assert http_app.request("/api/metrics", method="GET").status == 405
    with read_scope(org.engine) as s:
        assert s.execute(select(MetricValue)).first() is None


def test_metrics_api_validates_like_the_cli_and_writes_all_or_nothing(
    org: Deps, http_app: HttpApp, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    org.settings = org.settings.model_copy(update={"cadence_metrics_api_token": TOKEN})
    assert post(http_app, None, raw=b"{not json").status == 400
    assert post(http_app, ["a"]).status == 422
    bad = post(
        http_app,
        {
            "source": "zendesk",
            "metrics": [
                {"slack_id": "U0ANA", "period": PERIOD, "metric": "quality", "value": 91},
                {"slack_id": "U0ANA", "period": PERIOD, "metric": "output", "value": True},
                {"slack_id": "U0CAT", "period": "W47", "metric": "quality", "value": 50},
                "nope",
            ],
        },
    )
    assert bad.status == 422
    problems = bad.json()["problems"]
    assert problems == [
        "metrics[1]: value must be a number",
        "metrics[2]: period 'W47' is not an ISO week like 2026-W47",
        "metrics[3]: must be an object",
    ]
    assert "Nothing was written" in bad.json()["error"]
    with read_scope(org.engine) as s:
        assert s.execute(select(MetricValue)).first() is None

    team_week(org)
    ok = post(
        http_app,
        {
            "source": "zendesk",
            "metrics": [{"slack_id": "U0ANA", "period": PERIOD, "metric": "quality", "value": 83}],
        },
    )
    assert ok.status == 200 and ok.json() == {"ok": True, "written": 1}
    with read_scope(org.engine) as s:
        audit = s.execute(select(AuditEvent)).scalars().all()
    assert [(a.actor, a.action, a.detail) for a in audit] == [
        ("api", "import.metrics", "1 values from zendesk")
    ]
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    text = digest_text(fake, "U0LEAD")
    assert "CSAT *83 %*" in text and "_imported from zendesk_" in text
