"""Boolean and number settings parse strictly: a typo stops the start with ImproperlyConfigured."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from blockdesk.strict_env import (
    BELOW_MINIMUM,
    NOT_A_BOOLEAN,
    NOT_A_NUMBER,
    NOT_A_REGION,
    NOT_A_WHOLE_NUMBER,
    env_bool,
    env_float,
    env_int,
    env_region,
)

ROOT = Path(__file__).resolve().parents[2]
# Every variable the settings read as a boolean or a number.
STRICT_VARIABLES = {
    "DEBUG",
    "CONN_MAX_AGE",
    "DATABASE_PREPARED_STATEMENTS",
    "TRUST_X_FORWARDED_PROTO",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "AXES_ENABLED",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_HOURS",
    "DATABASE_OUTAGE_RETRY_AFTER",
    "DELIVERY_MAX_ATTEMPTS",
    "DELIVERY_BACKOFF_BASE_SECONDS",
    "DELIVERY_BACKOFF_MAX_SECONDS",
    "DELIVERY_TIMEOUT_SECONDS",
    "DELIVERY_CLAIM_SECONDS",
    "PERIODIC_JOBS_EVERY_SECONDS",
    "TRUSTED_PROXY_COUNT",
    "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURES_PER_USERNAME",
    "SESSION_IDLE_HOURS",
}
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({name: getattr(s, name) for name in ("
    "'DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'AXES_FAILURE_LIMIT', "
    "'AXES_COOLOFF_TIME', 'DATABASE_OUTAGE_RETRY_AFTER', 'SECURE_HSTS_PRELOAD', 'TRUSTED_PROXY_COUNT', "
    "'SESSION_COOKIE_AGE', 'SESSION_REFRESH_SECONDS')}))"
)


def start_settings(**variables):
    """Load the real settings in a fresh process with only these strict variables set."""
    env = {key: value for key, value in os.environ.items() if key not in STRICT_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="blockdesk.settings", SECRET_KEY=secrets.token_urlsafe(50), DEBUG="false")
    env.pop("DATABASE_URL", None)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SECURE_SSL_REDIRECT": "flase"}, NOT_A_BOOLEAN.format(name="SECURE_SSL_REDIRECT", value="flase")),
        ({"DEBUG": "ture"}, NOT_A_BOOLEAN.format(name="DEBUG", value="ture")),
        ({"TASKS_BACKEND": "redis"}, "TASKS_BACKEND='redis' is not a tasks backend: use db or rq."),
        ({"FIELD_ENCRYPTION_KEY": ""}, "Set FIELD_ENCRYPTION_KEY (or DEBUG=true for local development)."),
        ({"SECURE_COOKIES": ""}, NOT_A_BOOLEAN.format(name="SECURE_COOKIES", value="")),
        ({"AXES_FAILURE_LIMIT": "five"}, NOT_A_WHOLE_NUMBER.format(name="AXES_FAILURE_LIMIT", value="five")),
        ({"SECURE_HSTS_SECONDS": "1.5"}, NOT_A_WHOLE_NUMBER.format(name="SECURE_HSTS_SECONDS", value="1.5")),
        (
            {"DATABASE_OUTAGE_RETRY_AFTER": "-1"},
            BELOW_MINIMUM.format(name="DATABASE_OUTAGE_RETRY_AFTER", value="-1", minimum=0),
        ),
        ({"AXES_FAILURE_LIMIT": "0"}, BELOW_MINIMUM.format(name="AXES_FAILURE_LIMIT", value="0", minimum=1)),
        ({"AXES_COOLOFF_HOURS": "nan"}, NOT_A_NUMBER.format(name="AXES_COOLOFF_HOURS", value="nan")),
        ({"TRUSTED_PROXY_COUNT": "one"}, NOT_A_WHOLE_NUMBER.format(name="TRUSTED_PROXY_COUNT", value="one")),
        ({"TRUSTED_PROXY_COUNT": "-1"}, BELOW_MINIMUM.format(name="TRUSTED_PROXY_COUNT", value="-1", minimum=0)),
        ({"SESSION_IDLE_HOURS": "8h"}, NOT_A_NUMBER.format(name="SESSION_IDLE_HOURS", value="8h")),
        ({"SESSION_IDLE_HOURS": "0"}, BELOW_MINIMUM.format(name="SESSION_IDLE_HOURS", value="0", minimum=0.1)),
        ({"PHONE_DEFAULT_REGION": "Indonesia"}, NOT_A_REGION.format(name="PHONE_DEFAULT_REGION", value="Indonesia")),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_bad_value_stops_the_start_naming_variable_and_value(variables, message):
    result = start_settings(**variables)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_accepted_words_and_numbers_reach_the_settings():
    result = start_settings(
        SECURE_SSL_REDIRECT="Off",
        SECURE_COOKIES=" yes ",
        SECURE_HSTS_SECONDS="60",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_HOURS="0.5",
        DATABASE_OUTAGE_RETRY_AFTER="0",
        SECURE_HSTS_PRELOAD="0",
        TRUSTED_PROXY_COUNT="2",
        SESSION_IDLE_HOURS="0.5",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 60,
        "AXES_FAILURE_LIMIT": 3,
        "AXES_COOLOFF_TIME": 0.5,
        "DATABASE_OUTAGE_RETRY_AFTER": 0,
        "SECURE_HSTS_PRELOAD": False,
        "TRUSTED_PROXY_COUNT": 2,
        "SESSION_COOKIE_AGE": 1800,
        "SESSION_REFRESH_SECONDS": 180,
    }


@pytest.mark.parametrize("word", ["true", "TRUE", "1", "yes", "On"])
def test_true_words(monkeypatch, word):
    monkeypatch.setenv("BLOCKDESK_TEST_FLAG", word)
    assert env_bool("BLOCKDESK_TEST_FLAG", default=False) is True


@pytest.mark.parametrize("word", ["false", "False", "0", "no", "OFF"])
def test_false_words(monkeypatch, word):
    monkeypatch.setenv("BLOCKDESK_TEST_FLAG", word)
    assert env_bool("BLOCKDESK_TEST_FLAG", default=True) is False


@pytest.mark.parametrize("word", ["flase", "y", "2", "enabled", "none"])
def test_other_words_are_refused(monkeypatch, word):
    monkeypatch.setenv("BLOCKDESK_TEST_FLAG", word)
    with pytest.raises(ImproperlyConfigured, match="BLOCKDESK_TEST_FLAG="):
        env_bool("BLOCKDESK_TEST_FLAG", default=False)


def test_unset_variables_take_their_defaults(monkeypatch):
    monkeypatch.delenv("BLOCKDESK_TEST_VALUE", raising=False)
    assert env_bool("BLOCKDESK_TEST_VALUE", default=True) is True
    assert env_int("BLOCKDESK_TEST_VALUE", default=7, minimum=0) == 7
    assert env_float("BLOCKDESK_TEST_VALUE", default=0.25, minimum=0) == 0.25


@pytest.mark.parametrize(("raw", "region"), [("ID", "ID"), (" sg ", "SG"), ("us", "US")])
def test_phone_regions_are_read_in_any_case(monkeypatch, raw, region):
    monkeypatch.setenv("BLOCKDESK_TEST_REGION", raw)
    assert env_region("BLOCKDESK_TEST_REGION", default="ID") == region


@pytest.mark.parametrize("raw", ["", "XX", "IDN", "62"])
def test_unknown_phone_regions_are_refused(monkeypatch, raw):
    monkeypatch.setenv("BLOCKDESK_TEST_REGION", raw)
    with pytest.raises(ImproperlyConfigured, match="BLOCKDESK_TEST_REGION="):
        env_region("BLOCKDESK_TEST_REGION", default="ID")


@pytest.mark.parametrize("value", ["inf", "-inf", "abc", ""])
def test_floats_must_be_finite_numbers(monkeypatch, value):
    monkeypatch.setenv("BLOCKDESK_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured):
        env_float("BLOCKDESK_TEST_VALUE", default=1.0, minimum=0)


def test_settings_read_no_boolean_or_number_through_django_environ():
    """env.bool maps typos to False; every boolean and number goes through the strict readers."""
    source = (ROOT / "blockdesk" / "settings.py").read_text()
    assert not re.search(r"\benv\.(bool|int|float)\(", source)
    read = set(re.findall(r"env_(?:bool|int|float)\(\s*\"([A-Z_]+)\"", source))
    assert read == STRICT_VARIABLES


def test_installed_apps_and_middleware_are_written_once():
    source = (ROOT / "blockdesk" / "settings.py").read_text()
    assert not re.search(r"^(INSTALLED_APPS|MIDDLEWARE)\s*(\+=|\.|\[)", source, re.MULTILINE)
    assert len(re.findall(r"^INSTALLED_APPS = ", source, re.MULTILINE)) == 1
    assert len(re.findall(r"^MIDDLEWARE = ", source, re.MULTILINE)) == 1
