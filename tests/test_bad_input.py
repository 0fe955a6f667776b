"""Bad input gets a clear answer: nothing lost, nothing silently cut, nothing leaked.
Each test is an attack that used to succeed (issue 10 §5)."""

from __future__ import annotations

import json

from sqlmodel import select

from cadence.config import PROJECT_ROOT
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import MetricValue
from tests.conftest import HttpApp
from tests.test_digests import PERIOD, team_week

TOKEN = "metrics-token-123"


def _post_metrics(http: HttpApp, raw: bytes):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    return http.request("/api/metrics", raw, headers=headers)


def test_metrics_api_answers_4xx_with_a_message_to_huge_numbers_and_deep_nesting(
    org: Deps, http_app: HttpApp
) -> None:
    org.settings = org.settings.model_copy(update={"cadence_metrics_api_token": TOKEN})
    team_week(org)
    values = ["1e400", "9" * 400, "9" * 5000, "-1e400", "NaN"]
    for name in values:
        item = {"slack_id": "U0ANA", "period": PERIOD, "metric": "quality", "value": 0}
        body = json.dumps({"metrics": [item]}).replace('"value": 0', f'"value": {name}')
        resp = _post_metrics(http_app, body.encode())
        assert 400 <= resp.status < 500, name
        answer = resp.json()
        assert answer["ok"] is False and answer["error"], name
    deep = b'{"metrics": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    resp = _post_metrics(http_app, deep)
    assert resp.status == 400 and "nested" in resp.json()["error"]
    with read_scope(org.engine) as s:
        assert s.execute(select(MetricValue)).first() is None


def test_the_largest_metrics_batch_the_readme_promises_fits_the_body_limit(
    org: Deps, http_app: HttpApp
) -> None:
    from cadence.domain.metrics import MAX_API_ITEMS
    from cadence.web import MAX_BODY

    org.settings = org.settings.model_copy(update={"cadence_metrics_api_token": TOKEN})
    # Worst realistic item: an 11-character Slack id, a long source name, pretty separators.
    item = {"slack_id": "U0123456789", "period": PERIOD, "metric": "quality", "value": 100.25}
    body = json.dumps({"source": "z" * 64, "metrics": [item] * MAX_API_ITEMS}).encode()
    assert len(body) <= MAX_BODY
    resp = _post_metrics(http_app, body)  # unknown person: 422 naming items, not 413
    assert resp.status == 422 and resp.json()["problems"][0].startswith("metrics[0]: slack_id")
    too_many = json.dumps({"metrics": [item] * (MAX_API_ITEMS + 1)}, separators=(",", ":"))
    resp = _post_metrics(http_app, too_many.encode())
    assert resp.status in (413, 422) and f"at most {MAX_API_ITEMS:,}" in resp.json()["error"] + str(
        resp.json().get("problems")
    )
    huge = b'{"metrics": [' + b" " * (MAX_BODY + 10) + b"]}"
    resp = _post_metrics(http_app, huge)
    assert resp.status == 413 and "1 MB" in resp.json()["error"]
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert f"{MAX_API_ITEMS:,} metrics" in readme and "1 MB" in readme
