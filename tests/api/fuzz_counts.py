"""How many cases schemathesis ran per operation, reported at the end of the test session."""

from collections import Counter

CASES: Counter = Counter()
