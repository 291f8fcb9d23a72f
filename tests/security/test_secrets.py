"""Tokens are stored hashed and compared in constant time; no secret is committed."""

import inspect
import re
import subprocess
from pathlib import Path

import pytest

from accounts.models import ApiToken, ApiTokenQuerySet
from blockdesk.tokens import hash_token
from contacts.models import Channel, ChannelQuerySet

ROOT = Path(__file__).resolve().parents[2]


def _stored_text(model) -> str:
    return repr(list(model.objects.values()))


@pytest.mark.django_db
def test_api_tokens_are_stored_only_as_hashes(agent):
    token, raw = ApiToken.issue(user=agent, name="laptop")
    assert raw not in _stored_text(ApiToken)
    assert raw[12:] not in _stored_text(ApiToken)  # the stored prefix is short and tells nothing
    token.refresh_from_db()
    assert token.token_hash == hash_token(raw)
    assert ApiToken.objects.user_for_token(raw) == agent
    assert ApiToken.objects.user_for_token(raw + "x") is None


@pytest.mark.django_db
def test_channel_tokens_are_stored_only_as_hashes():
    channel = Channel(name="WhatsApp main")
    raw = channel.set_new_token()
    channel.save()
    assert raw not in _stored_text(Channel)
    assert raw[12:] not in _stored_text(Channel)
    assert Channel.objects.for_token(raw) == channel
    assert Channel.objects.for_token(raw[:-1]) is None


def test_token_checks_compare_in_constant_time():
    assert "hmac.compare_digest" in inspect.getsource(ChannelQuerySet.for_token)
    assert "hmac.compare_digest" in inspect.getsource(ApiTokenQuerySet.active_for)


# Built from parts so this file does not match its own patterns.
SECRET_PATTERNS = {
    "channel or API token": re.compile(r"\bbd[cu]" + r"_[A-Za-z0-9_-]{20,}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE" + r" KEY-----"),
    "AWS key": re.compile(r"\bAKIA" + r"[0-9A-Z]{16}\b"),
    "password in a URL": re.compile(r"://[^/\s:@'\"]+:(?!\$|\{|<)[^@\s/'\"]{3,}@(?!example)"),
    "hard-coded SECRET_KEY": re.compile(r"SECRET_KEY\s*[=:]\s*[\"'](?P<value>[^\"']{8,})[\"']"),
}
# Documentation placeholders, not passwords.
PLACEHOLDER_URL_PASSWORDS = {":pass@", ":password@", ":secret@", ":changeme@"}
# The only literal keys allowed: DEBUG's throwaway and the test suite's.
ALLOWED_KEYS = {"django-insecure-local-development-only", "test-only-key-not-for-any-deployment"}


def _tracked_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and path.stat().st_size < 2_000_000:
            yield name, path


def test_no_secret_in_the_repository():
    found = []
    for name, path in _tracked_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for label, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if label == "hard-coded SECRET_KEY" and match.group("value") in ALLOWED_KEYS:
                    continue
                if label == "password in a URL" and any(p in match.group(0) for p in PLACEHOLDER_URL_PASSWORDS):
                    continue
                found.append(f"{name}: {label}: {match.group(0)[:40]}")
    assert not found, "\n".join(found)


def test_no_env_file_is_tracked():
    names = [name for name, _ in _tracked_files()]
    assert not [name for name in names if Path(name).name == ".env" or name.endswith((".pem", ".key"))]
