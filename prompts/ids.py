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


# Quarterly reviews (issue 5).
REVIEW_SELF_OPEN = "review_self_open"  # button value: the quarter
REVIEW_SELF_MODAL = "review_self_submit"  # private_metadata {"quarter": ...}
REVIEW_MANAGER_OPEN = "review_manager_open"  # button value: "<report slack id>|<quarter>"
REVIEW_MANAGER_MODAL = "review_manager_submit"  # private_metadata {"quarter", "report"}
REVIEW_ACK_OPEN = "review_ack_open"  # button value: the quarter
REVIEW_ACK_MODAL = "review_ack_submit"  # private_metadata {"quarter": ...}
B_RV_RATE, A_RV_RATE = "b_rv_rate_", "a_rv_rate"  # block id + competency index
B_RV_ACHIEVEMENTS, A_RV_ACHIEVEMENTS = "b_rv_achievements", "a_rv_achievements"
B_RV_GROW, A_RV_GROW = "b_rv_grow", "a_rv_grow"
B_RV_GOALS, A_RV_GOALS = "b_rv_goals", "a_rv_goals"
B_RV_NARRATIVE, A_RV_NARRATIVE = "b_rv_narrative", "a_rv_narrative"
B_RV_MODE, A_RV_MODE = "b_rv_mode", "a_rv_mode"  # radio: draft | final
B_RV_ACK, A_RV_ACK = "b_rv_ack", "a_rv_ack"

# Goals (issue 5).
GOALS_OPEN = "goals_open"  # button value: the quarter
GOALS_MODAL = "goals_submit"  # private_metadata {"quarter": ...}
GOALS_PROGRESS_OPEN = "goals_progress_open"  # button value: the quarter
GOALS_PROGRESS_MODAL = "goals_progress_submit"  # private_metadata {"quarter": ...}
B_GOAL_OBJECTIVE, A_GOAL_OBJECTIVE = "b_goal_objective", "a_goal_objective"
B_GOAL_ALIGN, A_GOAL_ALIGN = "b_goal_align", "a_goal_align"
B_KR = "b_kr{slot}_{field}"  # field: measure | description | baseline | target | due
A_KR = "a_kr_{field}"
B_KR_VALUE, A_KR_VALUE = "b_krv_", "a_krv"  # block id + key result id
KR_SLOTS = 3
