"""GET /api/v1/spam/overview: the Spam overview page's numbers as JSON (personal API tokens)."""

from datetime import date, datetime

from ninja import Query, Router, Schema
from pydantic import Field

from blockdesk import errors
from blockdesk.api_auth import PersonalToken
from blockdesk.api_schemas import responses

from .overview import DEFAULT_DAYS, MAX_DAYS, PerDay, spam_overview
from .overview_views import OVERVIEW_PERMISSION

router = Router(tags=["spam"], auth=PersonalToken())


class OverviewFilters(Schema):
    days: int = Field(
        DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="How many calendar days, ending today (server time zone)."
    )


class SeriesOut(Schema):
    key: str = Field(description="A channel's id, a rule action or a flood flag status.")
    label: str
    total: int


class DayOut(Schema):
    day: date
    counts: dict[str, int] = Field(description="Per series key; every key of `series` is present, zeros included.")
    total: int


class PerDayOut(Schema):
    series: list[SeriesOut]
    days: list[DayOut] = Field(description="Every day of the window, oldest first.")


class TopContactOut(Schema):
    id: int
    name: str
    is_blocked: bool = Field(description="Whether the contact is blocked now.")
    messages: int = Field(description="Its messages that landed in blocked tickets in the window.")


class TopRuleOut(Schema):
    id: int
    kind: str
    value: str
    action: str
    hits: int = Field(description="Hits in the window.")
    last_hit_at: datetime | None


class TotalsOut(Schema):
    blocked_messages: int
    rule_hits: int
    rejected: int = Field(description="Rule hits whose action was reject: messages refused, never stored.")
    flood_flags: int


class OverviewOut(Schema):
    days: int
    first_day: date
    last_day: date
    blocked_messages: PerDayOut = Field(
        description="Customer messages that landed in a blocked ticket, by arrival day and channel "
        "(deleted ones included)."
    )
    top_contacts: list[TopContactOut] = Field(description="The 10 contacts with the most blocked messages.")
    rule_hits: PerDayOut = Field(description="Block rule hits by day and action (quarantine, reject, allow).")
    top_rules: list[TopRuleOut] = Field(description="The 10 existing rules with the most hits.")
    flood_flags: PerDayOut = Field(description="Flood flags by the day raised and their status.")
    totals: TotalsOut


def _per_day(per_day: PerDay) -> dict:
    keys = [series.key for series in per_day.series]
    return {
        "series": [{"key": s.key, "label": s.label, "total": per_day.series_total(s.key)} for s in per_day.series],
        "days": [
            {"day": day.day, "counts": dict(zip(keys, day.counts, strict=True)), "total": day.total}
            for day in per_day.days
        ],
    }


@router.get("", response=responses({200: OverviewOut}, 401, 403, 422), summary="Spam overview")
def overview(request, filters: Query[OverviewFilters]):
    """Blocked messages, top blocked contacts, rule hits and flood flags per day, as on the Spam overview page."""
    if not request.auth.has_perm(OVERVIEW_PERMISSION):
        raise errors.Forbidden(errors.NO_PERMISSION_SPAM_OVERVIEW)
    numbers = spam_overview(days=filters.days)
    return {
        "days": numbers.days,
        "first_day": numbers.first_day,
        "last_day": numbers.last_day,
        "blocked_messages": _per_day(numbers.blocked_messages),
        "top_contacts": [vars(contact) for contact in numbers.top_contacts],
        "rule_hits": _per_day(numbers.rule_hits),
        "top_rules": [
            {
                "id": rule.id,
                "kind": rule.kind,
                "value": rule.value,
                "action": rule.action,
                "hits": rule.hits,
                "last_hit_at": rule.last_hit_at,
            }
            for rule in numbers.top_rules
        ],
        "flood_flags": _per_day(numbers.flood_flags),
        "totals": vars(numbers.totals),
    }
