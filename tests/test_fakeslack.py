"""The fake Slack Web API server, exercised through slack_sdk's real WebClient over loopback."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


def _error(exc: pytest.ExceptionInfo[SlackApiError]) -> Any:
    return exc.value.response["error"]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _modal(title: str, blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "checkin",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": blocks if blocks is not None else [_section("How was your week?")],
    }


def _raw(
    fake: FakeSlack, verb: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request(verb, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


# ---------------------------------------------------------------------- basics


def test_url_is_a_loopback_api_base_with_trailing_slash(fake: FakeSlack) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"


def test_auth_test_answers_the_bot_identity(client: WebClient, fake: FakeSlack) -> None:
    resp = client.auth_test()
    assert (resp["team_id"], resp["user_id"], resp["bot_id"]) == ("T111", "UBOT", "BBOT")
    assert fake.calls("auth.test")[0].token == "xoxb-test"


def test_post_message_to_a_user_lands_in_their_dm_with_increasing_ts(
    client: WebClient, fake: FakeSlack
) -> None:
    first = client.chat_postMessage(channel="U123", text="Time for your check-in")
    second = client.chat_postMessage(channel="U123", text="Reminder", blocks=[_section("hi")])

    assert first["channel"] == second["channel"] == "D123"
    assert float(second["ts"]) > float(first["ts"])
    assert second["message"]["blocks"] == [_section("hi")]
    sent = fake.messages_to("U123")
    assert [c.args["text"] for c in sent] == ["Time for your check-in", "Reminder"]
    assert fake.messages_to("D123") == sent  # the DM channel id finds them too
    assert fake.messages_to("U999") == []
    assert all(c.ok and c.token == "xoxb-test" for c in sent)
    assert fake.count("chat.postMessage") == 2
    assert not fake.violations


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_needs_text_or_blocks(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1")
    assert _error(exc) == "no_text"


def test_json_body_keeps_types(client: WebClient, fake: FakeSlack) -> None:
    client.chat_postMessage(channel="C1", text="x", blocks=[_section("a")], unfurl_links=False)
    call = fake.calls("chat.postMessage")[0]
    assert call.args["blocks"] == [_section("a")]
    assert call.args["unfurl_links"] is False


def test_form_body_decodes_json_string_arguments(client: WebClient, fake: FakeSlack) -> None:
    # api_call(params=...) sends application/x-www-form-urlencoded, as old clients do.
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "x", "blocks": json.dumps([_section("a")])},
    )
    call = fake.calls("chat.postMessage")[0]
    assert call.ok
    assert call.args["blocks"] == [_section("a")]
    assert call.token == "xoxb-test"


def test_raw_form_post_with_token_argument(fake: FakeSlack) -> None:
    body = urlencode({"token": "xoxb-form", "channel": "U7", "text": "hello"}).encode()
    status, _, raw = _raw(
        fake,
        "POST",
        "/api/chat.postMessage",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 200
    assert json.loads(raw)["channel"] == "D7"
    call = fake.calls()[0]
    assert call.token == "xoxb-form"
    assert "token" not in call.args


def test_get_with_query_string(fake: FakeSlack) -> None:
    fake.add_user("U1", name="ada")
    status, _, raw = _raw(fake, "GET", "/api/users.info?token=xoxb-q&user=U1")
    assert status == 200
    assert json.loads(raw)["user"]["name"] == "ada"


def test_keep_alive_serves_several_requests_on_one_connection(fake: FakeSlack) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        for i in range(3):
            body = json.dumps({"channel": "C1", "text": str(i)}).encode()
            conn.request(
                "POST",
                "/api/chat.postMessage",
                body,
                {"Content-Type": "application/json", "Authorization": "Bearer xoxb-k"},
            )
            resp = conn.getresponse()
            assert resp.getheader("Connection") is None  # not closed by the server
            assert json.loads(resp.read())["ok"] is True
    finally:
        conn.close()
    assert [c.args["text"] for c in fake.calls()] == ["0", "1", "2"]


# ---------------------------------------------------------------------- refusals


def test_unknown_method_is_refused(client: WebClient, fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMassage", json={"channel": "C1", "text": "x"})
    assert _error(exc) == "unknown_method"
    assert fake.calls()[0].error == "unknown_method"
    assert fake.count("chat.postMassage", ok_only=False) == 1


def test_unknown_argument_is_refused_and_recorded_as_violation(
    client: WebClient, fake: FakeSlack
) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x", colour="red")
    assert _error(exc) == "invalid_arguments"
    assert "colour" in str(exc.value.response["response_metadata"]["messages"])
    assert any("colour" in v for v in fake.violations)
    assert fake.count("chat.postMessage") == 0


def test_missing_required_argument_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"text": "no channel"})
    assert _error(exc) == "invalid_arguments"
    assert exc.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: channel"
    ]


def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(base_url=fake.url).chat_postMessage(channel="C1", text="x")
    assert _error(exc) == "not_authed"


def test_other_methods_of_the_index_answer_ok(client: WebClient) -> None:
    assert client.reactions_add(channel="C1", timestamp="1.2", name="tada")["ok"] is True


def test_methods_index_can_be_overridden(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"auth.test": {"args": ["token"], "required_args": ["token"]}}))
    with FakeSlack(methods_index=index) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        assert client.auth_test()["ok"] is True
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel="C1", text="x")
        assert _error(exc) == "unknown_method"


# ---------------------------------------------------------------------- Block Kit limits


def test_fifty_blocks_pass_fifty_one_are_refused(client: WebClient, fake: FakeSlack) -> None:
    client.chat_postMessage(channel="C1", text="x", blocks=[_section("b")] * 50)
    assert not fake.violations
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x", blocks=[_section("b")] * 51)
    assert _error(exc) == "invalid_blocks"
    assert "51 blocks" in str(exc.value.response["errors"])
    assert len(fake.violations) == 1
    assert fake.count("chat.postMessage") == 1


def test_modal_title_of_24_passes_25_is_refused(client: WebClient, fake: FakeSlack) -> None:
    resp = client.views_open(trigger_id="1.2.abc", view=_modal("t" * 24))
    assert resp["view"]["id"].startswith("V")
    assert resp["view"]["callback_id"] == "checkin"
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="1.2.abc", view=_modal("t" * 25))
    assert _error(exc) == "invalid_blocks"
    assert any("title" in v for v in fake.violations)


def _select(options: int, text: str = "o", value: str = "v") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": text}, "value": f"{value}{i}"}
                    for i in range(options)
                ],
            }
        ],
    }


def _button(text: str = "Go", value: str = "v", action_id: str = "go") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": text},
                "value": value,
                "action_id": action_id,
            }
        ],
    }


def _input(max_length: int) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "answer",
        "label": {"type": "plain_text", "text": "Answer"},
        "element": {"type": "plain_text_input", "action_id": "a", "max_length": max_length},
    }


FIELDS = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
HEADER = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        (_section("s" * 3000), _section("s" * 3001)),
        ({**FIELDS, "fields": FIELDS["fields"][:10]}, FIELDS),
        ({**HEADER, "text": {"type": "plain_text", "text": "h" * 150}}, HEADER),
        ({**_section("x"), "block_id": "b" * 255}, {**_section("x"), "block_id": "b" * 256}),
        (_select(100), _select(101)),
        (_select(1, text="t" * 75), _select(1, text="t" * 76)),
        (_select(1, value="v" * 149), _select(1, value="v" * 150)),  # value is f"{value}{i}"
        (_button(text="b" * 75), _button(text="b" * 76)),
        (_button(value="v" * 2000), _button(value="v" * 2001)),
        (_button(action_id="a" * 255), _button(action_id="a" * 256)),
        (_section("x"), {"type": "sparkle", "text": "?"}),
    ],
    ids=[
        "section-text",
        "fields",
        "header",
        "block_id",
        "options",
        "option-text",
        "option-value",
        "button-text",
        "button-value",
        "action_id",
        "unknown-type",
    ],
)
def test_message_block_limits(
    client: WebClient, fake: FakeSlack, good: dict[str, Any], bad: dict[str, Any]
) -> None:
    client.chat_postMessage(channel="C1", text="x", blocks=[good])
    assert fake.violations == []
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x", blocks=[bad])
    assert _error(exc) == "invalid_blocks"
    assert len(fake.violations) >= 1


def test_message_text_limit(client: WebClient, fake: FakeSlack) -> None:
    client.chat_postMessage(channel="C1", text="x" * 40_000)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert _error(exc) == "invalid_blocks"


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        (_modal("ok", [_input(3000)]), _modal("ok", [_input(3001)])),
        (_modal("ok", [_section("b")] * 100), _modal("ok", [_section("b")] * 101)),
        (
            {**_modal("ok"), "private_metadata": "m" * 3000},
            {**_modal("ok"), "private_metadata": "m" * 3001},
        ),
        ({**_modal("ok"), "callback_id": "c" * 255}, {**_modal("ok"), "callback_id": "c" * 256}),
        (_modal("ok"), {**_modal("ok"), "submit": {"type": "plain_text", "text": "s" * 25}}),
        (_modal("ok"), {**_modal("ok"), "type": "sheet"}),
    ],
    ids=["max_length", "blocks", "private_metadata", "callback_id", "submit", "type"],
)
def test_view_limits(
    client: WebClient, fake: FakeSlack, good: dict[str, Any], bad: dict[str, Any]
) -> None:
    client.views_open(trigger_id="1.2.abc", view=good)
    assert fake.violations == []
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="1.2.abc", view=bad)
    assert _error(exc) == "invalid_blocks"


def test_same_shape_different_lengths_are_judged_apart(client: WebClient) -> None:
    # The verdict memo keys on string lengths: a cached "ok" must not hide a longer text.
    client.chat_postMessage(channel="C1", text="x", blocks=[_section("a" * 10)])
    client.chat_postMessage(channel="C1", text="x", blocks=[_section("b" * 10)])
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x", blocks=[_section("c" * 3001)])


# ---------------------------------------------------------------------- views and home


def test_views_publish_update_push(client: WebClient, fake: FakeSlack) -> None:
    home = {"type": "home", "blocks": [_section("Your week")]}
    published = client.views_publish(user_id="U1", view=home)
    assert fake.home_views["U1"]["blocks"] == home["blocks"]
    updated = client.views_update(view_id=published["view"]["id"], view=_modal("Edit"))
    assert updated["view"]["id"] == published["view"]["id"]
    assert client.views_push(trigger_id="1.2.x", view=_modal("More"))["ok"] is True
    with pytest.raises(SlackApiError) as exc:
        client.views_publish(user_id="U1", view={**home, "submit": _modal("x")["submit"]})
    assert _error(exc) == "invalid_blocks"  # a home tab cannot have submit


def test_expired_triggers(client: WebClient, fake: FakeSlack) -> None:
    fake.expire_triggers()
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="1.2.abc", view=_modal("Check-in"))
    assert _error(exc) == "expired_trigger_id"
    fake.expire_triggers(False)
    assert client.views_open(trigger_id="1.2.abc", view=_modal("Check-in"))["ok"] is True


# ---------------------------------------------------------------------- fault injection


def test_rate_limit_answers_429_with_retry_after(client: WebClient, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", 1)
    client.chat_postMessage(channel="C1", text="first")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="second")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    assert _error(exc) == "ratelimited"
    assert fake.rate_limited_count == {"chat.postMessage": 1}
    assert client.users_list()["ok"] is True  # other methods are not limited

    fake.rate_limit("chat.postMessage", None)
    assert client.chat_postMessage(channel="C1", text="third")["ok"] is True
    assert fake.count("chat.postMessage") == 2
    assert fake.count("chat.postMessage", ok_only=False) == 3


def test_retry_after_is_time_to_next_token_rounded_up(client: WebClient, fake: FakeSlack) -> None:
    fake.rate_limit("users.info", 0.25)
    fake.add_user("U1")
    client.users_info(user="U1")
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U1")
    assert exc.value.response.headers["Retry-After"] == "4"


def test_rate_limit_capacity_allows_a_burst(client: WebClient, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", 3)
    for _ in range(3):
        client.chat_postMessage(channel="C1", text="burst")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="one too many")


def test_fail_next_500_then_success(client: WebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x")
    assert exc.value.response.status_code == 500
    assert _error(exc) == "internal_error"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True
    assert [(c.ok, c.status) for c in fake.calls()] == [(False, 500), (True, 200)]


def test_fail_next_with_a_permanent_error(client: WebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", 2, status=200, error="channel_not_found")
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel="C1", text="x")
        assert exc.value.response.status_code == 200
        assert _error(exc) == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_fail_next_disconnect_drops_the_connection(client: WebClient, fake: FakeSlack) -> None:
    # WebClient retries a dropped connection once by default, so drop two.
    fake.fail_next("chat.postMessage", 2, disconnect=True)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="C1", text="x")
    assert [(c.error, c.status) for c in fake.calls()] == [("disconnected", 0)] * 2
    assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


def test_fail_for_a_user(client: WebClient, fake: FakeSlack) -> None:
    fake.fail_for("U404", "user_not_found")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="U404", text="x")
    assert exc.value.response.status_code == 200
    assert _error(exc) == "user_not_found"
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="D404", text="x")  # their DM channel too
    assert client.chat_postMessage(channel="U405", text="x")["ok"] is True
    assert fake.messages_to("U404") == []


def test_latency_delays_the_answer_of_that_method_only(fake: FakeSlack) -> None:
    fake.set_latency("auth.test", 0.3)
    slow = threading.Thread(target=WebClient(token="xoxb-test", base_url=fake.url).auth_test)
    start = time.monotonic()
    slow.start()
    time.sleep(0.05)
    WebClient(token="xoxb-test", base_url=fake.url).chat_postMessage(channel="C1", text="fast")
    fast_done = time.monotonic() - start
    slow.join()
    assert time.monotonic() - start >= 0.3
    assert fast_done < 0.3
    # calls() keeps arrival order: auth.test came first although it was answered last
    assert [c.method for c in fake.calls()] == ["auth.test", "chat.postMessage"]


def test_reset_faults(client: WebClient, fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", 1)
    fake.fail_next("chat.postMessage", 5)
    fake.fail_for("C1", "is_archived")
    fake.reset_faults()
    for _ in range(3):
        assert client.chat_postMessage(channel="C1", text="x")["ok"] is True


# ---------------------------------------------------------------------- directory


def test_users_info_and_lookup(client: WebClient, fake: FakeSlack) -> None:
    fake.add_user(
        "U1",
        name="ada",
        email="ada@example.com",
        tz="Asia/Kolkata",
        status_text="On leave",
        status_emoji=":palm_tree:",
        status_expiration=1_700_000_000,
    )
    fake.add_user("U2", tz=None, deleted=True)
    user = client.users_info(user="U1")["user"]
    assert user["tz"] == "Asia/Kolkata"
    assert user["tz_offset"] == 19_800
    assert user["profile"]["status_text"] == "On leave"
    assert user["profile"]["status_expiration"] == 1_700_000_000
    gone = client.users_info(user="U2")["user"]
    assert gone["deleted"] is True
    assert "tz" not in gone
    assert client.users_lookupByEmail(email="ADA@example.com")["user"]["id"] == "U1"
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U404")
    assert _error(exc) == "user_not_found"
    with pytest.raises(SlackApiError) as exc:
        client.users_lookupByEmail(email="nobody@example.com")
    assert _error(exc) == "users_not_found"


def test_users_list_pagination_returns_everyone_once(client: WebClient, fake: FakeSlack) -> None:
    ids = [f"U{i:04d}" for i in range(450)]
    for user_id in ids:
        fake.add_user(user_id)
    seen: list[str] = []
    sizes: list[int] = []
    for page in client.users_list(limit=200):  # slack_sdk follows next_cursor
        members = page["members"]
        sizes.append(len(members))
        seen += [m["id"] for m in members]
    assert seen == ids
    assert sizes == [200, 200, 50]
    assert fake.count("users.list") == 3
    last = fake.calls("users.list")[-1].response
    assert last is not None
    assert last["response_metadata"] == {"next_cursor": ""}


def test_users_list_refuses_a_bad_cursor(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.users_list(cursor="not-a-cursor")
    assert _error(exc) == "invalid_cursor"


def test_conversations_open(client: WebClient, fake: FakeSlack) -> None:
    assert client.conversations_open(users="U9")["channel"]["id"] == "D9"
    assert client.conversations_open(users=["U1", "U2"])["channel"]["id"].startswith("G")
    fake.fail_for("U8", "user_disabled")
    with pytest.raises(SlackApiError) as exc:
        client.conversations_open(users="U8")
    assert _error(exc) == "user_disabled"


def test_post_ephemeral_update_and_delete(client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="v1")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert (updated["ts"], updated["text"]) == (posted["ts"], "v2")
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    assert client.chat_delete(channel="C1", ts=posted["ts"])["ok"] is True


# ---------------------------------------------------------------------- files


def test_files_upload_v2_flow(client: WebClient, fake: FakeSlack) -> None:
    content = b"\x89PNG\r\n\x1a\n fake image bytes"
    resp = client.files_upload_v2(
        channel="C1", content=content, filename="x.png", initial_comment="Your export"
    )
    file_id = resp["file"]["id"]
    assert fake.uploads == {file_id: content}
    assert fake.files[file_id]["channels"] == ["C1"]
    assert fake.files[file_id]["title"] == "x.png"
    assert fake.files[file_id]["initial_comment"] == "Your export"
    assert [c.method for c in fake.calls()] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert not fake.violations


def test_complete_upload_of_unknown_file_fails(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.files_completeUploadExternal(files=[{"id": "F404", "title": "x"}])
    assert _error(exc) == "file_not_found"


def test_upload_url_accepts_multipart(fake: FakeSlack, client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="a.csv", length=3)["upload_url"]
    assert url.startswith(fake.origin + "/upload/")
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
        b"a,b\r\n--XyZ--\r\n"
    )
    status, _, raw = _raw(
        fake,
        "POST",
        url.removeprefix(fake.origin),
        body,
        {"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert (status, raw) == (200, b"OK - 3")
    assert list(fake.uploads.values()) == [b"a,b"]


# ---------------------------------------------------------------------- recording


def test_wait_for_blocks_until_calls_arrive(fake: FakeSlack, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.1)
        client.chat_postMessage(channel="C1", text="late")

    thread = threading.Thread(target=later)
    thread.start()
    calls = fake.wait_for("chat.postMessage", 1, timeout=5)
    thread.join()
    assert calls[0].args["text"] == "late"


def test_wait_for_times_out_listing_what_arrived(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_for("C1", "is_archived")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x")
    with pytest.raises(AssertionError, match="chat.postMessage is_archived"):
        fake.wait_for("chat.postMessage", 1, timeout=0.1)


def test_clear_forgets_calls_and_violations(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "nope"}])
    fake.clear()
    assert fake.calls() == []
    assert fake.violations == []


def test_concurrent_clients_are_all_recorded_with_unique_ts(fake: FakeSlack) -> None:
    def post(worker: int) -> None:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        for i in range(50):
            client.chat_postMessage(channel=f"U{worker}", text=str(i))

    threads = [threading.Thread(target=post, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls = fake.wait_for("chat.postMessage", 200, timeout=5)
    assert len({c.response["ts"] for c in calls if c.response}) == 200
    assert all(len(fake.messages_to(f"U{w}")) == 50 for w in range(4))


def test_instances_are_independent() -> None:
    with FakeSlack() as one, FakeSlack() as two:
        assert one.url != two.url
        WebClient(token="xoxb-1", base_url=one.url).auth_test()
        assert one.count("auth.test") == 1
        assert two.count("auth.test") == 0


def test_stop_closes_the_port() -> None:
    fake = FakeSlack().start()
    url = fake.url
    fake.stop()
    with pytest.raises(OSError):
        WebClient(token="xoxb-test", base_url=url, timeout=2).auth_test()


def test_auth_test_reports_the_granted_scopes_in_a_header(
    fake: FakeSlack, client: WebClient
) -> None:
    assert (
        client.auth_test().headers["x-oauth-scopes"]
        == "chat:write,commands,users:read,users:read.email,files:write"
    )
    fake.scopes = ("chat:write",)
    assert client.auth_test().headers["x-oauth-scopes"] == "chat:write"


def test_recorded_calls_are_listed_over_http(fake: FakeSlack, client: WebClient) -> None:
    import urllib.request

    client.chat_postMessage(channel="U0ANA", text="hi")
    client.auth_test()
    with urllib.request.urlopen(fake.origin + "/_fake/calls?method=chat.postMessage") as r:  # noqa: S310
        calls = json.load(r)["calls"]
    assert [(c["method"], c["args"]["channel"], c["ok"]) for c in calls] == [
        ("chat.postMessage", "U0ANA", True)
    ]


def test_readers_name_the_person_behind_every_dm_channel(
    client: WebClient, fake: FakeSlack
) -> None:
    """The privacy sweeps count a post into someone else's DM channel as read by them: no
    channel is exempt because its ID starts with D."""
    client.chat_postMessage(channel="U1", text="MARK to one")
    client.chat_postMessage(channel="D2", text="MARK to two")
    client.chat_postEphemeral(channel="C9", user="U3", text="MARK to three")
    client.chat_postMessage(channel="C9", text="MARK to everyone in C9")
    assert fake.readers("MARK") == {"U1", "U2", "U3", "C9"}
