"""psycopg keeps the conversion of routing's longest statement too (issue 11).

psycopg turns each statement's `%s` placeholders into PostgreSQL's `$1, $2…`
with a regular expression, and keeps the result in a cache, but only for a
statement of at most 50 parameters, so that an ORM's INSERT of many rows does
not fill it. A new customer's first message is one statement of 52: its
contact, identity, ticket and message (blockdesk.insert_rows). It was parsed
again on every new customer: 75 µs, 6% of a gunicorn worker's CPU for that
message (docs/benchmarks.md, "Issue 11 point 7"). BlockDesk's own statements
are written once each (insert_rows keeps them), so the limit is raised for
them; the cache keeps its size (128 statements, least recently used out).
psycopg has no public setting for it; tests/test_statement_cache.py fails if
the name goes away or the statement is parsed again.
"""

import psycopg._queries

# Four linked rows of BlockDesk's widest models, with room for a few more columns.
PARAMETERS = 96


def keep_long_statements() -> None:
    psycopg._queries.MAX_CACHED_STATEMENT_PARAMS = max(psycopg._queries.MAX_CACHED_STATEMENT_PARAMS, PARAMETERS)
