"""BlockDesk's benchmark suite: `python -m bench.run --db postgres|sqlite [--scale full|small]`.

Each run creates its own throwaway database, seeds it with bulk inserts,
measures ingestion, the plain-psycopg floor, the console pages and the bulk
unblock/delete, prints a table and writes bench/results/<timestamp>.json.
"""
