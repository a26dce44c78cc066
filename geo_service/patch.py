"""The commissioner's patch (小区专员, issue 6): deadline arithmetic and urgency, no SQL.

A complaint needs a first response within ``RESPONSE_HOURS`` of its creation. Times are
absolute (timezone-aware); the deadline is shown in Asia/Shanghai, so a complaint made at
23:30 is due at 17:30 the next day whatever zone the caller's clock is in.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from . import enums

TZ = ZoneInfo("Asia/Shanghai")
RESPONSE_HOURS = 18
PETITION_DAYS = 90
OC_TERM_WARN_DAYS = 180  # an owners' committee whose term ends within this is flagged
FIRST_VISIT_DAYS = 30  # without an earlier visit, "new since" looks back this far
VISIT_GAP = dt.timedelta(minutes=30)  # reloads within this belong to the same visit

OVERDUE, DUE, RESPONDED = "overdue", "due", "responded"
STATE_LABELS = {OVERDUE: "已超时", DUE: "待首次响应", RESPONDED: "已响应待办结"}
ACTIONS = {"first_response": "首次响应", "resolved": "办结"}
# Roles that may mark complaints (district leaders and planners only look).
MARK_ROLES = frozenset({"commissioner", "community_official", "street_official"})
# Roles that may open the patch at all (planners get public layers from /ogc instead).
PATCH_ROLES = frozenset(
    {"commissioner", "community_official", "street_official", "district_leader", "admin"}
)


def _aware(t: dt.datetime, name: str) -> dt.datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return t


def response_deadline(created_at: dt.datetime) -> dt.datetime:
    """When the first response is due, in Asia/Shanghai."""
    return (_aware(created_at, "created_at") + dt.timedelta(hours=RESPONSE_HOURS)).astimezone(TZ)


def seconds_left(created_at: dt.datetime, now: dt.datetime) -> int:
    """Seconds until the first-response deadline (negative once it has passed)."""
    left = response_deadline(created_at) - _aware(now, "now")
    return math.floor(left.total_seconds())


def state(created_at: dt.datetime, first_response_at: dt.datetime | None, now: dt.datetime) -> str:
    """overdue (no response and past the deadline), due (no response yet) or responded."""
    if first_response_at is not None:
        return RESPONDED
    return OVERDUE if seconds_left(created_at, now) < 0 else DUE


def countdown_text(seconds: int) -> str:
    """剩余 5小时03分 / 超时 1天2小时 (minutes rounded down)."""
    s = abs(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    body = f"{days}天{hours}小时" if days else f"{hours}小时{minutes:02d}分"
    return ("剩余 " if seconds >= 0 else "超时 ") + body


def local_text(t: dt.datetime) -> str:
    """11月23日 17:30 in Asia/Shanghai."""
    t = _aware(t, "time").astimezone(TZ)
    return f"{t.month}月{t.day}日 {t:%H:%M}"


def annotate(complaint: dict, now: dt.datetime) -> dict:
    """Add deadline, seconds left, state and Chinese labels to an open complaint row."""
    c = dict(complaint)
    deadline = response_deadline(c["created_at"])
    c["deadline"] = deadline.isoformat()
    c["deadline_text"] = local_text(deadline)
    c["seconds_left"] = seconds_left(c["created_at"], now)
    c["state"] = state(c["created_at"], c["first_response_at"], now)
    c["state_label"] = STATE_LABELS[c["state"]]
    c["countdown"] = countdown_text(c["seconds_left"]) if c["state"] != RESPONDED else ""
    c["category_label"] = enums.COMPLAINT_CATEGORY.get(c["category"], c["category"])
    c["channel_label"] = enums.COMPLAINT_CHANNEL.get(c["channel"], c["channel"])
    c["created_text"] = local_text(c["created_at"])
    for k in ("created_at", "first_response_at", "resolved_at"):
        if c.get(k) is not None:
            c[k] = c[k].astimezone(TZ).isoformat()
    return c


def by_urgency(complaints: list[dict]) -> list[dict]:
    """Overdue first (longest overdue first), then the ones due soonest, then those
    responded but not resolved (oldest first)."""
    rank = {OVERDUE: 0, DUE: 1, RESPONDED: 2}

    def key(c: dict) -> tuple:
        if c["state"] == RESPONDED:
            return (2, c["created_at"], c["id"])
        return (rank[c["state"]], c["seconds_left"], c["id"])

    return sorted(complaints, key=key)


def visit_since(previous_opened_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The moment "new since your last visit" counts from."""
    if previous_opened_at is not None:
        return previous_opened_at
    return now - dt.timedelta(days=FIRST_VISIT_DAYS)


def committee_flags(row: dict, today: dt.date) -> list[str]:
    """What needs attention in a compound's tripartite set-up (Chinese, for the list)."""
    flags = []
    if not row["oc_formed"]:
        flags.append("未成立业委会")
    elif row["oc_term_end"] is not None:
        days = (row["oc_term_end"] - today).days
        if days < 0:
            flags.append("业委会任期已届满")
        elif days <= OC_TERM_WARN_DAYS:
            flags.append(f"业委会任期 {days} 天后届满")
    if row["property_service"] != "professional":
        flags.append("无专业物业服务")
    return flags
