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
# "Save draft" inside the self / manager assessment modal (the modal's submit button is the
# final "Submit to my manager" / "Release to <name>"): an actions block, so no field is checked.
B_RV_DRAFT, REVIEW_SAVE_DRAFT = "b_rv_draft", "review_save_draft"
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

# Feedback at any time (/feedback, the message shortcut).
FEEDBACK_MODAL = "feedback_submit"  # private_metadata {"link": permalink or ""}
FEEDBACK_SHORTCUT = "feedback_from_message"
B_FB_WHO, A_FB_WHO = "b_fb_who", "a_fb_who"
B_FB_STRENGTHS, A_FB_STRENGTHS = "b_fb_strengths", "a_fb_strengths"
B_FB_IMPROVE, A_FB_IMPROVE = "b_fb_improve", "a_fb_improve"
B_FB_VISIBILITY, A_FB_VISIBILITY = "b_fb_visibility", "a_fb_visibility"
FEEDBACK_BLOCK_IDS = {
    "who": B_FB_WHO,
    "strengths": B_FB_STRENGTHS,
    "improvements": B_FB_IMPROVE,
    "visibility": B_FB_VISIBILITY,
}

# HR feedback rounds.
HOME_ROUND_NEW = "home_round_new"
HOME_CALIBRATION_OPEN = "home_calibration_open"  # button value: quarter
ROUND_EXTEND = "round_extend"  # button value: round id
ROUND_CLOSE = "round_close"  # button value: round id
ROUND_MODAL = "round_create"
B_RD_NAME, A_RD_NAME = "b_rd_name", "a_rd_name"
B_RD_SUBJECTS, A_RD_SUBJECTS = "b_rd_subjects", "a_rd_subjects"
B_RD_TEAM, A_RD_TEAM = "b_rd_team", "a_rd_team"
B_RD_PERSPECTIVES, A_RD_PERSPECTIVES = "b_rd_perspectives", "a_rd_perspectives"
B_RD_PEER_MODE, A_RD_PEER_MODE = "b_rd_peer_mode", "a_rd_peer_mode"
B_RD_PEERS, A_RD_PEERS = "b_rd_peers", "a_rd_peers"
B_RD_QUESTIONS, A_RD_QUESTIONS = "b_rd_questions", "a_rd_questions"
B_RD_DEADLINE, A_RD_DEADLINE = "b_rd_deadline", "a_rd_deadline"
B_RD_ANONYMOUS, A_RD_ANONYMOUS = "b_rd_anonymous", "a_rd_anonymous"
B_RD_MIN, A_RD_MIN = "b_rd_min", "a_rd_min"
ROUND_BLOCK_IDS = {
    "name": B_RD_NAME,
    "subjects": B_RD_SUBJECTS,
    "perspectives": B_RD_PERSPECTIVES,
    "peer_mode": B_RD_PEER_MODE,
    "peers": B_RD_PEERS,
    "question_set": B_RD_QUESTIONS,
    "deadline": B_RD_DEADLINE,
    "min_responses": B_RD_MIN,
}
ROUND_ANSWER_OPEN = "round_answer_open"  # button value: request id
ROUND_DECLINE_OPEN = "round_decline_open"  # button value: request id
ROUND_ANSWER_MODAL = "round_answer"  # private_metadata {"request": id}
ROUND_DECLINE_MODAL = "round_decline"  # private_metadata {"request": id}
B_RD_REASON, A_RD_REASON = "b_rd_reason", "a_rd_reason"
A_RD_RATING = "a_rd_rating"  # block ids: rate_<n>, open_<n> (index in the question set)
A_RD_TEXT = "a_rd_text"
ROUND_NOMINATE_OPEN = "round_nominate_open"  # button value: round id
ROUND_NOMINATE_MODAL = "round_nominate"  # private_metadata {"round": id}
B_RD_NOMINEES, A_RD_NOMINEES = "b_rd_nominees", "a_rd_nominees"
ROUND_REPLACE_OPEN = "round_replace_open"  # HR's "Ask someone else"; value: request id
ROUND_REPLACE_MODAL = "round_replace"  # private_metadata {"request": id}
B_RD_REPLACE, A_RD_REPLACE = "b_rd_replace", "a_rd_replace"
ROUND_APPROVE = "round_approve"  # button value: "round_id:subject_id:revision"
ROUND_RELEASE = "round_release"  # button value: "round_id:subject_id"
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

# Declared absences (App Home and /cadence away).
HOME_AWAY_NEW = "home_away_new"  # opens the absence modal
AWAY_CANCEL = "away_cancel"  # button value: the absence id
AWAY_MODAL = "away_submit"  # callback_id
B_AWAY_START, A_AWAY_START = "b_away_start", "a_away_start"
B_AWAY_END, A_AWAY_END = "b_away_end", "a_away_end"

# Development plans (services.plans)
PLAN_MODAL = "plan_submit"  # callback_id; private_metadata {"person": slack id}
# The outcome buttons of a plan (App Home); button value: the plan id.
PLAN_COMPLETED, PLAN_EXTENDED, PLAN_CLOSED = "plan_completed", "plan_extended", "plan_closed"
PLAN_END = {"completed": PLAN_COMPLETED, "extended": PLAN_EXTENDED, "closed": PLAN_CLOSED}
B_PLAN_KIND, A_PLAN_KIND = "b_plan_kind", "a_plan_kind"
B_PLAN_QUALITY, A_PLAN_QUALITY = "b_plan_quality", "a_plan_quality"
B_PLAN_OUTPUT, A_PLAN_OUTPUT = "b_plan_output", "a_plan_output"
B_PLAN_SUPPORT = "b_plan_support{n}"  # + the owner block b_plan_owner{n}
B_PLAN_OWNER = "b_plan_owner{n}"
A_PLAN_SUPPORT, A_PLAN_OWNER = "a_plan_support", "a_plan_owner"
B_PLAN_CHECKIN = "b_plan_checkin{n}"
A_PLAN_CHECKIN = "a_plan_checkin"
B_PLAN_END, A_PLAN_END_DATE = "b_plan_end", "a_plan_end_date"
PLAN_SUPPORT_SLOTS = 2
PLAN_CHECKIN_SLOTS = 2

# People's rights over their data (HR's App Home: erase a person).
HOME_ERASE_OPEN = "home_erase_open"  # opens the erase modal (HR admins)
ERASE_MODAL = "erase_submit"  # callback_id
B_ERASE_WHO, A_ERASE_WHO = "b_erase_who", "a_erase_who"
B_ERASE_CONFIRM, A_ERASE_CONFIRM = "b_erase_confirm", "a_erase_confirm"

# Settings HR edits in Slack (services.settings)
HOME_SETTINGS_OPEN = "home_settings_open"
SETTINGS_MODAL = "settings_submit"  # callback_id
B_SET_SCOPE, A_SET_SCOPE = "b_set_scope", "a_set_scope"
B_SET_WHO, A_SET_WHO = "b_set_who", "a_set_who"
B_SET_KEY = "b_set_{key}"  # one input block per domain.settings key
A_SET_VALUE = "a_set_value"
