"""Search at full size: the /search/ page and GET /api/v1/search, median and p95, for realistic queries.

The seeded messages repeat eight texts, so "order" is in a quarter of them (250,000
at full size) and the planner has statistics for every word but the planted one and
"zyxwvut", which no message holds. A rare word is planted first: appended to every RARE_EVERY-th
message (50 at full size), then the table is analysed, as autovacuum would.
The page and the API are requested in-process through django.test.Client (as
the pages stage does), the page signed in as a supervisor, the API with a
supervisor's personal token; an agent's search shows the cost of the visibility
join. On PostgreSQL each captured SELECT on tickets or messages is EXPLAINed.
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken

from .pages import seq_scans
from .scales import Scale
from .seed import Dataset

RARE_WORD = "kupon"
RARE_EVERY = 20_000
# A contact's phone written the national way: Dataset.address(1234) is +628120001234.
PHONE_CONTACT = 1234


def plant_rare_word(every: int = RARE_EVERY) -> int:
    """Append RARE_WORD to every `every`-th message; return how many."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE tickets_message SET body = body || ' {RARE_WORD}' WHERE id %% %s = 0", [every])
        planted = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tickets_message")
    return planted


def queries(data: Dataset) -> list[tuple[str, str]]:
    """(label, search text)."""
    address = Dataset.address(PHONE_CONTACT)  # +628120001234
    national = f"0{address[3:6]} {address[6:10]} {address[10:]}"  # 0812 0001 234
    return [
        ("a word in many messages", "order"),
        ("a rare word", RARE_WORD),
        ("a word nobody wrote", "zyxwvut"),
        ("two words", "delivery address"),
        ("a phone", national),
        ("a ticket number", f"#{data.open_tickets[0].ticket_id}"),
    ]


def measure(scale: Scale, data: Dataset) -> dict:
    planted = plant_rare_word(RARE_EVERY if scale.messages >= RARE_EVERY * 10 else 100)
    user_model = get_user_model()
    supervisor = user_model.objects.get(pk=data.supervisor_id)
    agent = user_model.objects.filter(username__startswith="bench-agent-").order_by("pk").first()
    page_client = Client()
    page_client.force_login(supervisor)
    agent_client = Client()
    agent_client.force_login(agent)
    _, raw = ApiToken.issue(user=supervisor)
    api_client = Client(headers={"Authorization": f"Bearer {raw}"})
    results = {"planted": planted}
    for label, text in queries(data):
        results[f"page: {label}"] = _timed(page_client, "/search/", text, scale.page_requests)
        results[f"API: {label}"] = _timed(api_client, "/api/v1/search", text, scale.page_requests)
    results["page (agent): a word in many messages"] = _timed(agent_client, "/search/", "order", scale.page_requests)
    return results


def _timed(client: Client, path: str, text: str, requests: int) -> dict:
    params = {"q": text}
    response = client.get(path, params)  # warm up
    if response.status_code != 200:
        return {"q": text, "error": f"answered {response.status_code}"}
    times = []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(path, params)
        times.append(time.perf_counter() - t0)
    with CaptureQueriesContext(connection) as captured:
        client.get(path, params)
    times.sort()
    result = {
        "q": text,
        "requests": requests,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 2),
        "queries": len(captured.captured_queries),
    }
    if connection.vendor == "postgresql":
        result["seq_scans"] = seq_scans([q["sql"] for q in captured.captured_queries])
    return result
