"""Accessibility, measured: axe-core (WCAG 2.x A/AA) on every console page and dialog, in English and Indonesian.

Each role walks the pages it sees (agent, supervisor, administrator; the login page and the web chat signed out),
on a desktop and on a phone, with folded sections opened; each dialog is opened the way a person opens it. No
violation of impact serious or critical may remain; a failure lists each rule with its impact, the elements and the
rule's help page. The figures over both languages are printed at the end of the module.
"""

from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.profiles import save_profile
from channels.webchat_models import WebchatChannel
from contacts.block_rules import create_rule
from contacts.blocking import block_contact
from contacts.models import BlockReason, Channel, FloodFlag
from tests import factories
from tests.browser.axe import Figures, blocking, describe, violations
from tests.inbound import deliver
from tests.spam import seed as spam_seed
from tickets.models import DeliveryState, Message, SavedReply, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ("en", "id")
VIEWPORT = {"width": 1280, "height": 900}
WIDTHS = {"desktop": 1280, "phone": 390}  # on a phone the menu folds and wide tables scroll sideways
OPEN_DETAILS = "document.querySelectorAll('details').forEach(d => d.open = true)"


@pytest.fixture(scope="module")
def figures(request):
    counted = Figures()
    yield counted
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter and capture and (counted.pages or counted.dialogs):
        with capture.global_and_fixture_disabled():
            reporter.write_sep("-", counted.summary())


@pytest.fixture
def page(browser):
    """The browser page, which lets the test inject axe past the console's Content-Security-Policy."""
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_axe_reports_a_planted_violation(page):
    page.set_content('<html lang="en"><title>Planted</title><main><img src="/nowhere.png"></main></html>')
    found = blocking(violations(page))
    assert [(v["id"], v["impact"], v["targets"]) for v in found] == [("image-alt", "critical", ["img"])]
    assert "image-alt (critical)" in describe("planted", found)


@pytest.fixture
def world(blocking_on, channel, agent, supervisor, administrator):
    """One of each thing a console page shows, for every role."""
    active = deliver(channel, "+628111000001", "Where is my parcel?", name="Ani Wijaya").ticket
    other = deliver(channel, "+628111000002", "Hello again", name="Ani W.").contact
    spammer = deliver(channel, "+628111000003", "Buy cheap pills", name="Spammy Sam").contact
    block_contact(actor=supervisor, contact=spammer, reason=BlockReason.SPAM, note="Sends ads")
    blocked = deliver(channel, "+628111000003", "Buy cheap pills now!!!").ticket
    mine = {}
    for person in (agent, supervisor, administrator):
        ticket = deliver(channel, f"+62822{person.pk:07d}", "Can you help me?", name=f"Customer of {person}").ticket
        Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.ASSIGNED, assignee=person)
        factories.MessageFactory(
            ticket=ticket, direction=Message.Direction.OUT, author=person, delivery_state=DeliveryState.FAILED
        )
        mine[person.username] = ticket.pk
    flooder = factories.ContactFactory(name="Flo Flooder")
    rule = create_rule(actor=administrator, kind="domain", value="spam.example", action="quarantine")
    spam_seed.hits(rule, channel, timezone.localdate(), 12)
    chat = WebchatChannel.objects.create(channel=factories.ChannelFactory(name="Web chat", kind=Channel.Kind.WEBCHAT))
    return {
        "contact": active.contact_id,
        "other_contact": other.pk,
        "blocked_contact": spammer.pk,
        "blocked": blocked.pk,
        "unassigned": active.pk,
        "mine": mine,
        "rule": rule.pk,
        "flag": FloodFlag.objects.create(
            contact=flooder, channel=channel, flagged_at=timezone.now(), messages=31, window_minutes=5
        ).pk,
        "saved_reply": SavedReply.objects.create(title="Greeting", body="Hello {contact_name}").pk,
        "token": {p.username: ApiToken.issue(user=p)[0].pk for p in (agent, supervisor, administrator)},
        "chat": chat.public_id,
        "chat_channel": chat.channel_id,
    }


PAGES = {
    "agent": (
        "/tickets/",
        "/tickets/?queue=unassigned",
        "/tickets/{mine}/",
        "/tickets/{unassigned}/",
        "/contacts/",
        "/contacts/?tab=blocked",
        "/contacts/{contact}/",
        "/contacts/{contact}/block/",
        "/search/?q=parcel",
        "/tickets/notices/",
        "/tickets/replies/",
        "/account/profile/",
        "/account/tokens/",
        "/account/tokens/{token}/revoke/",
        "/settings/",
        "/tickets/999999/",
    ),
    "supervisor": (
        "/tickets/supervisor/",
        "/tickets/supervisor/?queue=bot",
        "/tickets/supervisor/?queue=assigned",
        "/tickets/supervisor/?queue=resolved",
        "/tickets/supervisor/?queue=blocked",
        "/tickets/{blocked}/",
        "/tickets/{blocked}/delete/confirm/",
        "/tickets/blocked/confirm/?action=unblock&ticket={blocked}",
        "/tickets/blocked/confirm/?action=delete&ticket={blocked}",
        "/tickets/failed/",
        "/tickets/sla/",
        "/contacts/{blocked_contact}/",
        "/contacts/{blocked_contact}/unblock/",
        "/contacts/{contact}/merge/?q=Ani",
        "/contacts/{contact}/merge/{other_contact}/",
        "/spam/",
        "/spam/suspected/",
        "/spam/suspected/{flag}/block/",
        "/spam/rules/",
        "/spam/rules/add/",
        "/spam/rules/{rule}/edit/",
        "/spam/rules/{rule}/delete/",
    ),
    "administrator": (
        "/tickets/supervisor/",
        "/contacts/{contact}/",
        "/contacts/{contact}/edit/",
        "/settings/",
        "/audit/",
        "/channels/",
        "/channels/new/",
        "/channels/{chat_channel}/",
        "/channels/{chat_channel}/rotate/",
        "/channels/{chat_channel}/deactivate/",
    ),
    "anonymous": ("/login/", "/chat/{chat}/"),
}


# The console's refusal pages, reached the way a person reaches them.
REFUSALS = {("agent", "/settings/"): 403, ("agent", "/tickets/999999/"): 404}


def _url(live_server, path, world, person=None):
    values = {k: v for k, v in world.items() if not isinstance(v, dict)}
    if person is not None:
        values |= {"mine": world["mine"][person.username], "token": world["token"][person.username]}
    return live_server.url + path.format(**values)


def _speaks(person, language):
    save_profile(person=person, language=language, time_zone="")


def _check(page, where, language, figures, *, dialog=False) -> list[dict]:
    assert page.evaluate("document.documentElement.lang") == language, f"{where} is not in {language}"
    found = violations(page)
    figures.count(found, dialog=dialog)
    return blocking(found)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ["agent", "supervisor", "administrator"])
def test_every_page_a_role_sees(request, page, live_server, login, world, figures, role, language, width):
    person = request.getfixturevalue(role)
    _speaks(person, language)
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    login(page, person)
    report = []
    for path in PAGES[role]:
        response = page.goto(_url(live_server, path, world, person))
        assert response.status == REFUSALS.get((role, path), 200), f"{role} {path} answered {response.status}"
        page.evaluate(OPEN_DETAILS)  # what a fold hides is checked too
        report.append(describe(f"{role} {language} {width} {path}", _check(page, path, language, figures)))
    failures = "\n".join(line for line in report if line)
    assert not failures, f"serious or critical accessibility violations:\n{failures}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_without_signing_in(browser, live_server, world, figures, language):
    context = browser.new_context(locale=language, viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()
    report = []
    try:
        for path in PAGES["anonymous"]:
            assert page.goto(_url(live_server, path, world)).status == 200, path
            report.append(describe(f"anonymous {language} {path}", _check(page, path, language, figures)))
    finally:
        context.close()
    failures = "\n".join(line for line in report if line)
    assert not failures, f"serious or critical accessibility violations:\n{failures}"


@dataclass(frozen=True)
class Dialog:
    role: str
    start: str
    opens: tuple[str, ...]  # what is clicked in turn, each opening the dialog or changing it; "?" is the key
    tick: bool = False  # the first row's checkbox is ticked first


ROW = ".row-title >> nth=0"
DIALOGS = {
    "contact 360": Dialog("agent", "/contacts/", (ROW,)),
    "contact 360 of a blocked contact": Dialog("supervisor", "/contacts/?tab=blocked", (ROW,)),
    "block": Dialog("agent", "/tickets/{mine}/", ("[data-shortcut=b]",)),
    "block from the 360 view": Dialog("agent", "/contacts/", (ROW, "#dialog [data-shortcut=b]")),
    "unblock (Unblock All / Delete All)": Dialog(
        "supervisor", "/contacts/{blocked_contact}/", ("a[href$='/unblock/'][hx-get]",)
    ),
    "edit contact": Dialog("administrator", "/contacts/{contact}/", ("a[href$='/edit/'][hx-get]",)),
    "merge search": Dialog("supervisor", "/contacts/{contact}/", ("a[href$='/merge/'][hx-get]",)),
    "merge confirmation": Dialog(
        "supervisor", "/contacts/{contact}/merge/?q=Ani", ("main a[href*='/merge/'][hx-get]",)
    ),
    "delete blocked ticket": Dialog("supervisor", "/tickets/{blocked}/", ("a[href$='/delete/confirm/'][hx-get]",)),
    "unblock selected": Dialog(
        "supervisor", "/tickets/supervisor/?queue=blocked", ("button[value=unblock]",), tick=True
    ),
    "delete selected": Dialog("supervisor", "/tickets/supervisor/?queue=blocked", ("button[value=delete]",), tick=True),
    "keyboard shortcuts": Dialog("agent", "/tickets/", ("?",)),
}

SWAPPED = """before => {
  const dialog = document.querySelector("#dialog[open]");
  const busy = document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling");
  return dialog && dialog.innerHTML !== before && !busy;
}"""


def _open(page, what):
    if what == "?":
        page.keyboard.press("?")
        page.locator("#keyboard-help[open]").wait_for()
        return
    before = page.locator("#dialog").inner_html()
    page.locator(what).click()
    page.wait_for_function(SWAPPED, arg=before)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", DIALOGS)
def test_every_dialog(request, page, live_server, login, world, figures, name, language):
    dialog = DIALOGS[name]
    person = request.getfixturevalue(dialog.role)
    _speaks(person, language)
    login(page, person)
    page.goto(_url(live_server, dialog.start, world, person))
    if dialog.tick:
        page.locator("tbody input[type=checkbox]").first.check()
    for what in dialog.opens:
        _open(page, what)
    found = _check(page, name, language, figures, dialog=True)
    assert not found, f"serious or critical accessibility violations:\n{describe(f'{name} {language}', found)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_bulk_block_confirmation_its_errors_and_the_notice_after(
    page, live_server, login, world, figures, agent, language
):
    _speaks(agent, language)
    login(page, agent)
    page.goto(f"{live_server.url}/contacts/")
    page.locator("tbody input[type=checkbox]").first.check()
    page.locator("#bulk-block").click()
    page.wait_for_load_state()
    found = _check(page, "bulk block", language, figures)
    page.locator("#bulk-duration").select_option("date")
    page.locator("form.block-form button[type=submit]").click()
    page.locator(".errorlist").first.wait_for()
    found += _check(page, "bulk block, its errors", language, figures)
    page.locator("#bulk-duration").select_option("forever")
    page.locator("form.block-form button[type=submit]").click()
    page.locator("#notifications .notice").first.wait_for()
    found += _check(page, "contacts list with the notice", language, figures)
    assert not found, f"serious or critical accessibility violations:\n{describe(f'bulk block {language}', found)}"
