"""Console pages at full size: server time (median, p95; and this process's CPU) over repeated requests, queries per
request, plans.

Each page is requested in-process through django.test.Client, signed in as
a supervisor (a Supervisors group member, so permission lookups count). On
PostgreSQL every captured SELECT on tickets or messages is EXPLAINed and any
sequential scan of them is reported.
"""

import re
import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from .scales import Scale
from .seed import Dataset

SEQ_SCAN = re.compile(r"Seq Scan on (tickets_ticket|tickets_message)\b")


def pages(data: Dataset) -> list[tuple[str, str, str]]:
    """(label, url name, query string); the URLs the console serves."""
    channel, agent = data.channel_ids[0], data.agent_ids[0]
    return [
        ("supervisor Blocked list", "tickets:supervisor", "?queue=blocked"),
        ("supervisor Unassigned list", "tickets:supervisor", "?queue=unassigned"),
        ("supervisor BOT list (oldest waiting)", "tickets:supervisor", "?queue=bot"),
        ("supervisor Unassigned, by activity", "tickets:supervisor", "?queue=unassigned&sort=activity"),
        (
            "supervisor Unassigned, channel + waiting > 60 min",
            "tickets:supervisor",
            f"?queue=unassigned&channel={channel}&waiting=60",
        ),
        ("supervisor Assigned, by channel", "tickets:supervisor", f"?queue=assigned&channel={channel}"),
        (
            "supervisor Assigned, assignee + waiting",
            "tickets:supervisor",
            f"?queue=assigned&assignee={agent}&sort=waiting&waiting=30",
        ),
        ("SLA view", "tickets:sla", ""),
        ("contacts Blocked tab", "contacts:list", "?tab=blocked"),
        ("contact search", "contacts:list", f"?q={data.search_text}"),
        ("360 view (spammer)", "contacts:detail", str(data.spammer_id)),
        ("360 view (customer)", "contacts:detail", str(data.open_tickets[0].contact_index + 1)),
    ]


def measure(scale: Scale, data: Dataset) -> dict:
    client = Client()
    client.force_login(get_user_model().objects.get(pk=data.supervisor_id))
    results = {}
    for label, name, suffix in pages(data):
        try:
            url = reverse(name, args=[int(suffix)]) if name == "contacts:detail" else reverse(name) + suffix
        except NoReverseMatch:
            results[label] = {"error": f"no URL named {name} yet"}
            continue
        results[label] = _page(client, url, scale.page_requests)
    return results


def _page(client: Client, url: str, requests: int) -> dict:
    response = client.get(url)  # warm up
    if response.status_code != 200:
        return {"url": url, "error": f"answered {response.status_code}"}
    times, cpu = [], []
    for _ in range(requests):
        t0, c0 = time.perf_counter(), time.process_time()
        client.get(url)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    times.sort()
    result = {
        "url": url,
        "requests": requests,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 2),
        "queries": len(captured.captured_queries),
        # This process's CPU per request (Python and templates, not the database's): on a loaded machine it
        # moves less than wall time, so it tells a code change from the neighbours' load.
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 2),
    }
    if connection.vendor == "postgresql":
        result["seq_scans"] = seq_scans([q["sql"] for q in captured.captured_queries])
    return result


def seq_scans(statements: list[str]) -> list[str]:
    """Return 'Seq Scan on …' lines from the plans of the SELECTs among the statements that read tickets or messages."""
    found = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT") or not re.search(r"tickets_(ticket|message)", sql):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found += [f"{line} in: {sql[:120]}" for line in seq_scans_in(plan)]
    return found


def seq_scans_in(plan: str) -> list[str]:
    """The 'Seq Scan on …' lines of tickets or messages in an EXPLAIN plan."""
    return [match.group(0) for match in SEQ_SCAN.finditer(plan)]
