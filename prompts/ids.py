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
