"""My API tokens: each person makes and revokes their own tokens; administrators revoke anyone's; all audited."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import issue_api_token, note_token_used, revoke_api_token
from accounts.views import TOKEN_REVOKED
from blockdesk import errors
from contacts.models import AuditEntry

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:tokens")
API_SETTINGS = "/api/v1/settings"


def revoke_url(token) -> str:
    return reverse("accounts:revoke_token", args=[token.pk])


def _raw_in(page: str) -> str:
    (raw,) = re.findall(r'value="(bdu_[\w-]{40,})"', page)
    return raw


def _audit(action) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action=action).values_list("actor__username", "target_user__username", "subject")
    )


# The page


def test_anonymous_is_sent_to_login(client):
    for response in (client.get(PAGE), client.post(PAGE, {"name": "x"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not ApiToken.objects.exists()


def test_the_page_lists_only_my_tokens(client, agent, other_agent):
    mine, _ = ApiToken.issue(user=agent, name="crm sync")
    theirs, _ = ApiToken.issue(user=other_agent, name="ben's script")
    revoke_api_token(actor=agent, token=ApiToken.issue(user=agent, name="old laptop")[0])
    client.force_login(agent)

    response = client.get(PAGE)

    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["tokens"]) == list(ApiToken.objects.filter(user=agent).order_by("-created_at", "-id"))
    assert "crm sync" in page and f"{mine.token_prefix}…" in page and "old laptop" in page
    assert "ben&#x27;s script" not in page and theirs.token_prefix not in page
    assert page.count(">Revoke</a>") == 1  # the revoked token offers no second revoke
    assert "never" in page  # last used


def test_every_page_links_to_my_tokens(client, agent):
    client.force_login(agent)

    page = client.get(PAGE).content.decode()

    assert f'href="{PAGE}" aria-current="page">My API tokens</a>' in page


def test_making_a_token_shows_it_once_and_audits_it(client, agent):
    client.force_login(agent)

    response = client.post(PAGE, {"name": "  CRM sync  "})

    assert response.status_code == 200
    # The page that shows the raw token once is never stored (site-wide never-cache headers for signed-in pages).
    assert {part.strip() for part in response["Cache-Control"].split(",")} == {
        "no-store",
        "no-cache",
        "max-age=0",
        "must-revalidate",
        "private",
    }
    raw = _raw_in(response.content.decode())
    assert "shown only on this page" in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (agent, "CRM sync")
    assert ApiToken.objects.user_for_token(raw) == agent
    assert raw not in client.get(PAGE).content.decode()
    assert _audit(AuditEntry.Action.API_TOKEN_ISSUED) == [("agent", "agent", f"API token {raw[:12]}… “CRM sync”")]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_bad_name_makes_nothing(client, agent, name):
    client.force_login(agent)

    response = client.post(PAGE, {"name": name})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_posted_owner_is_ignored(client, agent, other_agent):
    client.force_login(agent)

    client.post(PAGE, {"name": "sneaky", "user": other_agent.pk})

    assert ApiToken.objects.get().user == agent


def test_revoking_asks_first_then_revokes_and_audits(client, agent):
    token, raw = ApiToken.issue(user=agent, name="crm")
    client.force_login(agent)

    confirm = client.get(revoke_url(token))
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert ApiToken.objects.get().revoked_at is None  # asking changes nothing

    done = client.post(revoke_url(token), follow=True)

    assert done.redirect_chain == [(PAGE, 302)]
    assert [str(m) for m in done.context["messages"]] == [TOKEN_REVOKED.format(token=f"{raw[:12]}… “crm”")]
    assert ApiToken.objects.get().revoked_at is not None
    assert _audit(AuditEntry.Action.API_TOKEN_REVOKED) == [("agent", "agent", f"API token {raw[:12]}… “crm”")]
    assert client.get(API_SETTINGS, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_revoking_twice_says_so_and_writes_one_row(client, agent):
    token, _ = ApiToken.issue(user=agent, name="crm")
    client.force_login(agent)
    client.post(revoke_url(token), follow=True)

    again = client.post(revoke_url(token), follow=True)
    look = client.get(revoke_url(token), follow=True)

    for response in (again, look):
        assert [str(m) for m in response.context["messages"]] == [errors.API_TOKEN_ALREADY_REVOKED]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.API_TOKEN_REVOKED).count() == 1


def test_another_persons_token_is_not_found(client, agent, other_agent, administrator):
    theirs, raw = ApiToken.issue(user=other_agent, name="ben's script")
    for person in (agent, administrator):  # an administrator revokes others' tokens in Django admin, not here
        client.force_login(person)
        assert client.get(revoke_url(theirs)).status_code == 404
        assert client.post(revoke_url(theirs)).status_code == 404
    assert client.post(reverse("accounts:revoke_token", args=[theirs.pk + 100])).status_code == 404
    assert ApiToken.objects.user_for_token(raw) == other_agent
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, agent, method):
    token, _ = ApiToken.issue(user=agent)
    client.force_login(agent)

    assert getattr(client, method)(PAGE).status_code == 405
    assert getattr(client, method)(revoke_url(token)).status_code == 405
    assert ApiToken.objects.get().revoked_at is None


# The domain rules every door shares


def test_nobody_makes_a_token_for_somebody_else(administrator, agent):
    with pytest.raises(errors.Forbidden, match=re.escape(errors.API_TOKEN_ONLY_FOR_YOURSELF)):
        issue_api_token(actor=administrator, owner=agent, name="on your behalf")

    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.exists()


def test_only_the_owner_or_an_administrator_revokes(agent, other_agent, supervisor, administrator):
    token, raw = ApiToken.issue(user=agent, name="crm")
    for stranger in (other_agent, supervisor):
        with pytest.raises(errors.Forbidden, match=re.escape(errors.NO_PERMISSION_REVOKE_API_TOKEN)):
            revoke_api_token(actor=stranger, token=token)
    assert ApiToken.objects.user_for_token(raw) == agent

    revoke_api_token(actor=administrator, token=token)

    assert ApiToken.objects.user_for_token(raw) is None
    assert _audit(AuditEntry.Action.API_TOKEN_REVOKED) == [("admin", "agent", f"API token {raw[:12]}… “crm”")]


def test_an_inactive_owner_gets_no_token(agent):
    agent.is_active = False
    agent.save()

    with pytest.raises(errors.Invalid, match=re.escape(errors.API_TOKEN_OWNER_INACTIVE)):
        issue_api_token(actor=None, owner=agent)

    assert not ApiToken.objects.exists()


# last_used_at: kept to the minute so the API's hot path rarely writes


def _token_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "accounts_apitoken" in q["sql"]]


def test_last_used_is_written_once_for_two_quick_calls(client, agent):
    token, raw = ApiToken.issue(user=agent)

    with CaptureQueriesContext(connection) as queries:
        first = client.get(API_SETTINGS, HTTP_AUTHORIZATION=f"Bearer {raw}")
        second = client.get(API_SETTINGS, HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(_token_updates(queries.captured_queries)) == 1
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)
    client.force_login(agent)
    assert "never" not in client.get(PAGE).content.decode()


def test_last_used_moves_on_after_a_minute(agent):
    token, _ = ApiToken.issue(user=agent)
    long_ago = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    token.refresh_from_db()
    now = timezone.now()

    note_token_used(token, now)
    stale_copy = ApiToken.objects.get(pk=token.pk)
    stale_copy.last_used_at = long_ago  # a racing request that read the token before the write
    note_token_used(stale_copy, now + timedelta(seconds=1))

    assert ApiToken.objects.get(pk=token.pk).last_used_at == now  # the conditional UPDATE kept the first write
