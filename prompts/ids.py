"""Block, action and callback IDs: the contract between templates and handlers."""

from __future__ import annotations

from types import SimpleNamespace

# Check-in DM buttons and the modal.
CHECKIN_OPEN = "checkin_open"  # button value: the period
CHECKIN_SKIP = "checkin_skip"  # button value: the period
CHECKIN_MODAL = "checkin_submit"  # view callback_id; private_metadata {"period": ...}

B_QUALITY, A_QUALITY = "b_quality", "a_quality"
B_OUTPUT, A_OUTPUT = "b_output", "a_output"
B_MOOD, A_MOOD = "b_mood", "a_mood"
B_WINS, A_WINS = "b_wins", "a_wins"
B_BLOCKERS, A_BLOCKERS = "b_blockers", "a_blockers"
B_PRIORITIES, A_PRIORITIES = "b_priorities", "a_priorities"

CHECKIN_BLOCK_IDS = {
    "quality": B_QUALITY,
    "output": B_OUTPUT,
    "mood": B_MOOD,
    "wins": B_WINS,
    "blockers": B_BLOCKERS,
    "priorities": B_PRIORITIES,
}
CHECKIN_FIELDS = {
    "quality": (B_QUALITY, A_QUALITY),
    "output": (B_OUTPUT, A_OUTPUT),
    "mood": (B_MOOD, A_MOOD),
    "wins": (B_WINS, A_WINS),
    "blockers": (B_BLOCKERS, A_BLOCKERS),
    "priorities": (B_PRIORITIES, A_PRIORITIES),
}

# App Home.
HOME_CHECKIN_OPEN = "home_checkin_open"


def namespace() -> SimpleNamespace:
    """All IDs, for templates (`ids.CHECKIN_OPEN`)."""
    return SimpleNamespace(
        **{k: v for k, v in globals().items() if k.isupper() and isinstance(v, str)}
    )


# Manager digests and actions (issue 3).
DIGEST_PLAN = "digest_plan_action"  # button value: {"r": report slack_id, "p": period, "s": signal}
ACTION_DONE = "digest_action_done"  # button value: the action id
ACTION_KEEP = "digest_action_keep"  # button value: the action id
ACTION_MODAL = "digest_action_submit"  # callback_id; private_metadata {"r", "p", "s"}
TEAM_MODAL = "digest_team_view"  # callback_id of /cadence team (no submit button)
B_ACTION_WHAT, A_ACTION_WHAT = "b_action_what", "a_action_what"
B_ACTION_OWNER, A_ACTION_OWNER = "b_action_owner", "a_action_owner"
B_ACTION_OTHER, A_ACTION_OTHER = "b_action_other", "a_action_other"
B_ACTION_DUE, A_ACTION_DUE = "b_action_due", "a_action_due"
