"""Deadlines and the late policy: when a push counts, how late it is, and what it costs.

Pure functions over time-zone-aware datetimes; nothing here reads files or the network. A time is written
with an explicit zone: an ISO 8601 offset (``2026-11-30T23:59:00+01:00``, ``...Z``) or an IANA zone in
brackets as RFC 9557 writes it (``2026-11-30T23:59[Europe/Berlin]``); a time without one is refused.

Elapsed time is always measured in UTC: Python subtracts two datetimes of the same ``tzinfo`` on the wall
clock, which is wrong by an hour across a daylight-saving change. An extension of whole days keeps the wall
clock time in the deadline's zone (23:59 stays 23:59 across the change); hours are elapsed hours.

The rules: a push at or before the deadline is on time; one within the grace minutes after it is on time
too (its lateness is still recorded); after that, each day (or hour) begun since the deadline costs
``penalty_percent`` of the raw score, up to ``cap_percent``; a push after the cut-off (the last accepted
time, moved by the same amount as the student's extension, or ``max_late_hours`` after the student's
deadline) is not accepted. A policy with no penalty and no cut-off accepts no late work: its cut-off is the
end of the grace.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.errors import InputError

PER_SECONDS = {"day": 86400, "hour": 3600}
_BRACKETED = re.compile(r"^(?P<stamp>[^\[\]]+)\[(?P<zone>[A-Za-z0-9_+\-/]+)\]$")


def parse_time(text: str, what: str = "time") -> datetime:
    """An aware datetime from ISO 8601 with an offset, or with an RFC 9557 ``[Area/City]`` zone."""
    raw = str(text).strip()
    zone = None
    match = _BRACKETED.match(raw)
    if match:
        raw = match.group("stamp").strip()
        try:
            zone = ZoneInfo(match.group("zone"))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"{what} {text!r}: unknown time zone {match.group('zone')!r}") from None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} {text!r} is not an ISO 8601 date-time "
                         "(e.g. 2026-11-30T23:59:00+01:00 or 2026-11-30T23:59[Europe/Berlin])") from None
    if zone is not None:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=zone, fold=0)
        return moment.astimezone(zone)
    if moment.tzinfo is None:
        raise InputError(f"{what} {text!r} has no time zone; add an offset (Z, +01:00) or a zone "
                         "([Europe/Berlin])")
    return moment


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def elapsed_seconds(start: datetime, end: datetime) -> float:
    """``end - start`` in real seconds, whatever zones they carry (UTC arithmetic)."""
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


@dataclass(frozen=True)
class LatePolicy:
    grace_minutes: float = 0.0
    penalty_percent: float = 0.0
    per: str = "day"  # "day" or "hour": each one begun after the deadline costs penalty_percent
    cap_percent: float = 100.0
    max_late_hours: float | None = None  # no push accepted later than this after the (extended) deadline

    def __post_init__(self) -> None:
        if self.per not in PER_SECONDS:
            raise InputError(f"late policy: per must be day or hour, not {self.per!r}")

    def describe(self) -> str:
        parts = [f"{self.penalty_percent:g}% per {self.per} begun after the deadline"]
        if self.cap_percent < 100:
            parts.append(f"at most {self.cap_percent:g}%")
        if self.grace_minutes:
            parts.append(f"{self.grace_minutes:g} minutes' grace")
        return ", ".join(parts)


@dataclass(frozen=True)
class Window:
    """One student's deadline for one lab (their extension applied) and the last time a push is accepted."""

    deadline: datetime
    cutoff: datetime | None = None
    extension: str = ""  # what moved the deadline, for the student's feedback


def extend(deadline: datetime, days: float = 0, hours: float = 0) -> datetime:
    """The deadline moved by whole days on the wall clock of its zone, then by elapsed hours."""
    whole_days = int(days)
    moved = deadline + timedelta(days=whole_days)  # wall-clock arithmetic in the deadline's own zone
    moved = moved.astimezone(UTC) + timedelta(days=days - whole_days, hours=hours)
    return moved.astimezone(deadline.tzinfo)


def window(deadline: datetime, policy: LatePolicy, last_accepted: datetime | None = None,
           extended: datetime | None = None, extension: str = "") -> Window:
    """The student's window: ``extended`` (their own deadline) moves the cut-off by as much as the deadline."""
    shift = timedelta(seconds=elapsed_seconds(deadline, extended)) if extended is not None else timedelta(0)
    own = extended if extended is not None else deadline
    cutoffs = []
    if last_accepted is not None:
        cutoffs.append(last_accepted.astimezone(UTC) + shift)
    if policy.max_late_hours is not None:
        cutoffs.append(own.astimezone(UTC) + timedelta(hours=policy.max_late_hours))
    if not cutoffs and not policy.penalty_percent:  # no late work was allowed: the cut-off is the grace's end
        cutoffs.append(own.astimezone(UTC) + timedelta(minutes=policy.grace_minutes))
    cutoff = min(cutoffs) if cutoffs else None
    return Window(own, cutoff.astimezone(own.tzinfo) if cutoff else None, extension)


@dataclass(frozen=True)
class Assessment:
    pushed_at: datetime | None
    late_seconds: float  # 0 when on time; measured from the student's own deadline
    penalty_percent: float
    accepted: bool
    reason: str

    @property
    def hours_late(self) -> float:
        return round(self.late_seconds / 3600, 2)

    @property
    def late(self) -> bool:
        return self.late_seconds > 0

    def final_score(self, raw: float) -> float:
        if not self.accepted:
            return 0.0
        return round(raw * (1 - self.penalty_percent / 100), 4)


def assess(student_window: Window, pushed_at: datetime | None, policy: LatePolicy) -> Assessment:
    """How late ``pushed_at`` is in ``student_window`` under ``policy``, and the penalty it carries."""
    deadline = student_window.deadline
    shown = utc_stamp(deadline) + (f" ({student_window.extension})" if student_window.extension else "")
    if pushed_at is None:
        return Assessment(None, 0.0, 0.0, False, "nothing pushed")
    late = max(0.0, elapsed_seconds(deadline, pushed_at))
    if student_window.cutoff is not None and elapsed_seconds(student_window.cutoff, pushed_at) > 0:
        return Assessment(pushed_at, late, 100.0, False,
                          f"pushed {utc_stamp(pushed_at)}, after the last accepted time "
                          f"{utc_stamp(student_window.cutoff)}: not accepted")
    if late == 0:
        return Assessment(pushed_at, 0.0, 0.0, True, f"on time (deadline {shown})")
    if late <= policy.grace_minutes * 60:
        return Assessment(pushed_at, late, 0.0, True,
                          f"{_duration(late)} after the deadline {shown}, within the {policy.grace_minutes:g} "
                          "minutes' grace: no penalty")
    units = math.ceil(late / PER_SECONDS[policy.per])
    penalty = min(policy.cap_percent, units * policy.penalty_percent)
    counted = f"{units} {policy.per}{'s' * (units != 1)} begun × {policy.penalty_percent:g}%"
    cost = (f"{counted}, capped at {penalty:g}% off" if units * policy.penalty_percent > policy.cap_percent
            else f"{counted} = {penalty:g}% off")
    return Assessment(pushed_at, late, penalty, True,
                      f"pushed {_duration(late)} after the deadline {shown}: {cost}")


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
