"""How big a benchmark run is: the issue's full size, and a small one for the smoke test."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    contacts: int
    blocked_every: int  # every n-th contact is blocked
    tickets: int
    messages: int
    spammer_messages: int  # held by the one blocked contact's blocked tickets
    ingest_messages: int  # per mix, in-process and for the floor
    http_seconds: float  # per mix, over HTTP
    http_max_requests: int
    batches: int  # of BATCH_SIZE messages each: more than the HTTP stage's seconds can take, so each round is timed
    page_requests: int


BATCH_SIZE = 100

FULL = Scale(
    name="full",
    contacts=20_000,
    blocked_every=20,
    tickets=100_000,
    messages=1_000_000,
    spammer_messages=50_000,
    ingest_messages=1_000,
    http_seconds=8.0,
    http_max_requests=20_000,
    batches=800,
    page_requests=50,
)

SMALL = Scale(
    name="small",
    contacts=200,
    blocked_every=20,
    tickets=1_000,
    messages=10_000,
    spammer_messages=500,
    ingest_messages=30,
    http_seconds=2.0,
    http_max_requests=500,
    batches=3,
    page_requests=5,
)

SCALES = {"full": FULL, "small": SMALL}
