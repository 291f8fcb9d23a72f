"""The targets of issues 5 and 11, checked against one run's results, and the printed table.

A stage's rate is compared with the plain-driver floor measured beside it
(`floor_per_s`: in slices between the stage's own, bench.floor.Floor); a result
without one (an older JSON) is compared with the floor stage.
"""

from .mixes import MIXES

MAX_STATEMENTS_PER_MESSAGE = 6
MAX_STATEMENTS_NEW_CONTACT = 8
IN_PROCESS_RATIO = 0.4
HTTP_RATIO = 0.5
BATCH_RATIO = 5.0
MAX_PAGE_QUERIES = 10
MAX_PAGE_MEDIAN_MS = 50.0
MAX_BULK_STATEMENTS = 12
MAX_SEARCH_MEDIAN_MS = 100.0
MAX_BULK_SECONDS = 2.0
# Issue 14 point 8: 10,000 block rules and the flood guard keep this share of the rate without them, same statements.
SPAM_DEFENCE_RATIO = 0.95


def _check(name: str, value, limit, ok: bool) -> dict:
    return {"target": name, "value": value, "limit": limit, "ok": ok}


def targets(results: dict) -> list[dict]:
    checks = []
    floor = results.get("floor", {}).get("per_s")
    ingest = results.get("ingest", {})
    for mix in (*MIXES, "duplicates"):
        statements = ingest.get(mix, {}).get("statements")
        if statements:
            value = statements["max"]
            limit = MAX_STATEMENTS_NEW_CONTACT if mix == "new_contacts" else MAX_STATEMENTS_PER_MESSAGE
            checks.append(_check(f"statements/message, {mix}", value, limit, value <= limit))
    for mix in MIXES:
        if "per_s" in ingest.get(mix, {}) and (ratio := ratio_to_floor(ingest[mix], floor)):
            checks.append(_check(f"in-process/floor, {mix}", ratio, IN_PROCESS_RATIO, ratio >= IN_PROCESS_RATIO))
    http = results.get("http", {})
    for mix in MIXES:
        if "per_s" in http.get(mix, {}) and (ratio := ratio_to_floor(http[mix], floor)):
            ok = ratio >= HTTP_RATIO and http[mix]["errors"] == 0
            checks.append(_check(f"HTTP/floor (0 errors), {mix}", ratio, HTTP_RATIO, ok))
    batch = results.get("batch", {}).get("open_tickets")
    if batch and (ratio := ratio_to_floor(batch, floor)):
        ok = ratio >= BATCH_RATIO and not batch["errors"]
        checks.append(_check("batch/floor (0 errors)", ratio, BATCH_RATIO, ok))
    for label, page in results.get("pages", {}).items():
        if "queries" in page:
            checks.append(_check(f"queries, {label}", page["queries"], MAX_PAGE_QUERIES, page["queries"] <= 10))
            median = page["median_ms"]
            checks.append(_check(f"median ms, {label}", median, MAX_PAGE_MEDIAN_MS, median < MAX_PAGE_MEDIAN_MS))
            if "seq_scans" in page:
                scans = len(page["seq_scans"])
                checks.append(_check(f"seq scans of tickets/messages, {label}", scans, 0, scans == 0))
    for label, search in results.get("search", {}).items():
        if isinstance(search, dict) and "median_ms" in search:
            median = search["median_ms"]
            checks.append(_check(f"search median ms, {label}", median, MAX_SEARCH_MEDIAN_MS, median < 100))
            checks.append(
                _check(f"search queries, {label}", search["queries"], MAX_PAGE_QUERIES, search["queries"] <= 10)
            )
            if "seq_scans" in search:
                scans = len(search["seq_scans"])
                checks.append(_check(f"seq scans of tickets/messages, search {label}", scans, 0, scans == 0))
    for choice, bulk in results.get("bulk", {}).items():
        checks.append(
            _check(f"statements, {choice}", bulk["statements"], MAX_BULK_STATEMENTS, bulk["statements"] <= 12)
        )
        ok = bulk["seconds"] < MAX_BULK_SECONDS
        checks.append(_check(f"seconds, {choice} ({bulk['messages']} messages)", bulk["seconds"], MAX_BULK_SECONDS, ok))
    checks += _spam_targets(results.get("spam", {}))
    return checks


def _spam_targets(spam: dict) -> list[dict]:
    checks = []
    for mix in MIXES:
        row = spam.get(mix)
        if row:
            ratio = row["ratio"]
            name = f"spam defence keeps ≥ 95%, {mix} (10,000 rules + flood guard / neither)"
            checks.append(_check(name, ratio, SPAM_DEFENCE_RATIO, ratio >= SPAM_DEFENCE_RATIO))
            plain, defended = row["plain"]["statements"], row["defended"]["statements"]
            checks.append(_check(f"spam defence: statements/message equal, {mix}", defended, plain, defended == plain))
    return checks


def _spam_rows(spam: dict) -> list[tuple[str, str, str]]:
    out = []
    if "error" in spam:
        return [("spam", "stage", spam["error"])]
    for mix in MIXES:
        row = spam.get(mix)
        if row:
            plain, defended = row["plain"], row["defended"]
            rates = f"{defended['per_s']} / {plain['per_s']} msg/s = {row['ratio']:.3f}"
            out.append(("spam", f"{mix}: 10,000 rules + flood guard / neither", rates))
            statements = f"{defended['statements']} / {plain['statements']}"
            out.append(("spam", f"{mix}: statements/message, with / without", statements))
    if "first_compile_ms" in spam:
        out.append(("spam", f"first compile of {spam['rules']:,} rules", f"{spam['first_compile_ms']} ms"))
        out.append(("spam", "flood flags raised by the bench's traffic", f"{spam['flood_flags']}"))
    return out


def ratio_to_floor(row: dict, floor: float | None) -> float | None:
    """The row's rate over the floor measured beside it, else over the floor stage's."""
    beside = row.get("floor_per_s") or floor
    return round(row["per_s"] / beside, 2) if beside else None


def _ratio_text(row: dict, floor: float | None) -> str:
    ratio = ratio_to_floor(row, floor)
    if ratio is None:
        return ""
    beside = f" beside it {row['floor_per_s']}/s" if row.get("floor_per_s") else ""
    return f" ({ratio:.2f}x floor{beside})"


def rows(results: dict) -> list[tuple[str, str, str]]:
    """(section, measurement, value) for the table."""
    out = []
    meta = results["meta"]
    out.append(("run", "database / scale", f"{meta['database']} / {meta['scale']}"))
    seed = results["seed"]
    out.append(("seed", "rows", ", ".join(f"{k} {v:,}" for k, v in seed["rows"].items())))
    out.append(("seed", "migrate + seed seconds", f"{seed['migrate_s']} + {seed['seed_s']}"))
    floor = results.get("floor")
    if floor:
        out.append(("floor", "plain driver, msg/s (1 txn: insert + update)", f"{floor['per_s']}"))
    for mix in MIXES:
        row = results.get("ingest", {}).get(mix)
        if row:
            ratio = _ratio_text(row, floor and floor["per_s"])
            out.append(("in-process", f"{mix}: msg/s{ratio}", f"{row['per_s']} msg/s, median {row['median_ms']} ms"))
            out.append(("in-process", f"{mix}: statements/message", f"{row['statements']['per_message']}"))
    dup = results.get("ingest", {}).get("duplicates")
    if dup:
        out.append(("in-process", "duplicate delivery: statements", f"{dup['statements']['per_message']}"))
    out += _spam_rows(results.get("spam", {}))
    http = results.get("http", {})
    for mix in MIXES:
        row = http.get(mix)
        if row:
            ratio = _ratio_text(row, floor and floor["per_s"])
            value = (
                f"{row['per_s']} msg/s, errors {row['errors']}, median {row['median_ms']} ms, p95 {row['p95_ms']} ms"
            )
            out.append(("HTTP", f"{mix}{ratio}", value))
    for mix, row in http.get("statements", {}).items():
        if isinstance(row, dict):
            out.append(("HTTP", f"{mix}: statements/request", f"{row['per_request']}"))
    batch = results.get("batch", {})
    if "open_tickets" in batch:
        row = batch["open_tickets"]
        ratio = _ratio_text(row, floor and floor["per_s"])
        size = batch.get("messages_per_request", 100)
        out.append(("batch", f"{size:g}/request{ratio}", f"{row['per_s']} msg/s, errors {row['errors']}"))
        statements = batch.get("statements", {})
        if "per_batch" in statements:
            out.append(("batch", "statements per 100-message batch", f"{statements['per_batch']}"))
    for label, page in results.get("pages", {}).items():
        if "error" in page:
            out.append(("pages", label, page["error"]))
            continue
        scans = len(page.get("seq_scans", []))
        value = f"median {page['median_ms']} ms, p95 {page['p95_ms']} ms, {page['queries']} queries, {scans} seq scans"
        out.append(("pages", label, value))
    for label, row in results.get("search", {}).items():
        if label == "planted":
            out.append(("search", "rare word planted in", f"{row} messages"))
        elif "error" in row:
            out.append(("search", label, row["error"]))
        else:
            scans = len(row.get("seq_scans", []))
            value = f"median {row['median_ms']} ms, p95 {row['p95_ms']} ms, {row['queries']} queries, {scans} seq scans"
            out.append(("search", f"{label} ({row['q']})", value))
    for choice, row in results.get("bulk", {}).items():
        value = f"{row['seconds']} s, {row['statements']} statements"
        out.append(("bulk", f"{choice}: {row['tickets']} tickets, {row['messages']:,} messages", value))
    limits = results.get("limits", {})
    if "floor" in limits:
        out.append(("limits", "token look-up, no counting (floor)", f"median {limits['floor']['median_us']} µs"))
        if "orm" in limits:
            out.append(("limits", "the same through the ORM", f"median {limits['orm']['median_us']} µs"))
        for backend in ("database", "redis"):
            if backend in limits:
                row = limits[backend]
                value = f"median {row['median_us']} µs, +{row['extra_per_message_us']} µs a message over the floor"
                out.append(("limits", f"look-up that counts ({backend})", value))
    return out


def print_table(results: dict) -> None:
    table = rows(results)
    width = max(len(f"{s}  {m}") for s, m, _ in table)
    print()
    for section, measurement, value in table:
        print(f"{section:11s} {measurement:{width - 11}s}  {value}")
    print("\ntargets:")
    for check in results.get("targets", []):
        mark = "ok  " if check["ok"] else "MISS"
        print(f"  {mark} {check['target']}: {check['value']} (limit {check['limit']})")
