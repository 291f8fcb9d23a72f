"""The seed's flows from the keyboard, for a supervisor who reads only Bahasa Indonesia, in a real Chromium.

Sari's profile says Bahasa Indonesia and Asia/Jayapura (UTC+9; the site's default zone is another). She signs in,
blocks a contact from the 360 view, finds the contact's next message in the Blocked list, releases one blocked
ticket, and unblocks contacts with Unblock All and with Delete All: with j/k, b, Tab, Space, Enter and Esc only.
After each step the database says what changed, the page says it in the catalogue's Indonesian, and its times are
Jayapura's. Screenshots of each step go to artifacts/screenshots/id/.
"""

import zoneinfo

import pytest
from django.utils.html import strip_tags
from django.utils.translation import gettext, ngettext, override, pgettext

from accounts.profiles import save_profile
from blockdesk.display import DATETIME_FORMAT
from contacts.blocking import block_contact
from contacts.models import Block, BlockReason, Contact
from contacts.notices import blocked_notice
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD
from tests.inbound import deliver
from tickets.destination import ContactChannels, blocked_contact_summary
from tickets.models import Message, Ticket, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)

JAYAPURA = "Asia/Jayapura"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The unblock dialog's question (templates/contacts/_unblock_dialog.html), as the catalogue holds it.
UNBLOCK_QUESTION = (
    '%(contact)s has <strong class="blocked-tickets">%(counter)s blocked ticket</strong> with <strong '
    'class="blocked-messages">%(messages_phrase)s</strong>. Choose what happens to them:'
)
UNBLOCK_QUESTION_PLURAL = (
    '%(contact)s has <strong class="blocked-tickets">%(counter)s blocked tickets</strong> with <strong '
    'class="blocked-messages">%(messages_phrase)s</strong>. Choose what happens to them:'
)


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def indonesian(msgid: str, *, context: str = "", **values) -> str:
    """The catalogue's Indonesian for a template's msgid (with its values); fails where the catalogue has none."""
    with override("id"):
        text = pgettext(context, msgid) if context else gettext(msgid)
    assert text != msgid, f"No Indonesian for {msgid!r} in locale/id"
    return text % values if values else text


def indonesian_plural(singular: str, plural: str, count: int, **values) -> str:
    with override("id"):
        text = ngettext(singular, plural, count)
    assert text not in (singular, plural), f"No Indonesian for {plural!r} in locale/id"
    return text % {"counter": count, "count": count, **values}


def in_jayapura(moment) -> str:
    """A time as the console shows it to someone in Jayapura."""
    return moment.astimezone(zoneinfo.ZoneInfo(JAYAPURA)).strftime(DATETIME_FORMAT)


def tab_to(page, locator, *, limit: int = 80) -> None:
    """Press Tab until the locator has the focus: it is reachable from the keyboard."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{limit} presses of Tab never reached {locator}")


def shot(page, step: str) -> None:
    path = SCREENSHOTS / "id" / f"{step}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    content = path.read_bytes()
    assert content.startswith(PNG_SIGNATURE) and len(content) > len(PNG_SIGNATURE), path


@pytest.fixture
def sari(supervisor, blocking_on):
    save_profile(person=supervisor, language="id", time_zone=JAYAPURA)
    return supervisor


@pytest.fixture
def id_page(browser):
    """A Chromium tab of someone in Jayapura whose browser asks for Indonesian."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID", timezone_id=JAYAPURA)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def signed_in(id_page, live_server, sari):
    """Sari signed in through the Indonesian login form, typing only."""
    id_page.goto(f"{live_server.url}/login/")
    expect(id_page.locator("h1")).to_have_text(indonesian("Log in to BlockDesk"))
    expect(id_page.get_by_label(indonesian("Username"))).to_be_focused()
    id_page.keyboard.type(sari.get_username())
    id_page.keyboard.press("Tab")
    expect(id_page.get_by_label(indonesian("Password"))).to_be_focused()
    id_page.keyboard.type(PASSWORD)
    id_page.keyboard.press("Enter")
    expect(id_page.locator(".who")).to_be_visible()
    # The page asks for its notices counter once it has loaded. On SQLite's shared in-memory test database
    # that read and a test's own writes collide ("database table is locked"): let it finish first.
    id_page.wait_for_load_state("networkidle")
    return id_page


def enter_loads_a_page(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def follow(page, locator) -> None:
    """Tab to a link or button and press Enter on it; wait for the page it loads."""
    tab_to(page, locator)
    enter_loads_a_page(page)


def open_contacts(page, *, blocked: bool) -> None:
    follow(page, page.locator("#main-nav").get_by_role("link", name=indonesian("Contacts"), exact=True))
    expect(page.locator("h1")).to_have_text(indonesian("Contacts"))
    if blocked:
        tab = page.locator(".tabs .tab", has_text=indonesian("Blocked", context="contacts tab"))
        follow(page, tab)
        expect(page.locator(".tab.active")).to_contain_text(indonesian("Blocked", context="contacts tab"))


def open_blocked_list(page) -> None:
    follow(page, page.locator("#main-nav a[href='/tickets/supervisor/']"))
    follow(page, page.locator("#tab-blocked"))
    expect(page.locator("h1")).to_have_text(indonesian("Supervisor dashboard"))
    expect(page.locator(".bulk-help")).to_have_text(
        indonesian("Messages from blocked contacts wait here. Open one to read it, or select several.")
    )
    expect(page.locator("#tab-blocked")).to_contain_text(indonesian("Blocked"))
    expect(page.locator("#tab-unassigned")).to_contain_text(indonesian("Unassigned"))
    expect(page.locator("select[name='sort'] option:checked")).to_have_text(indonesian("Last activity"))


def blocked_with_messages(by, channel, phone: str, name: str, *, messages: int) -> Contact:
    """A contact blocked by `by` whose later messages wait in one blocked ticket."""
    first = deliver(channel, phone, "Halo", name=name)
    block_contact(actor=by, contact=first.contact, reason=BlockReason.SPAM, note="Promo terus")
    for number in range(messages):
        assert deliver(channel, phone, f"Promo {number}", name=name).ticket.status == TicketStatus.BLOCKED
    return Contact.objects.get(pk=first.contact.pk)


def test_sari_blocks_a_contact_from_the_360_view_and_its_next_message_waits_in_the_blocked_list(
    signed_in, sari, channel
):
    page = signed_in
    first = deliver(channel, "+628555", "Halo, ada promo murah", name="Eko")
    open_contacts(page, blocked=False)
    dialog = page.locator("#dialog")

    page.keyboard.press("j")
    row_link = page.get_by_role("link", name="Eko", exact=True)
    expect(row_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.locator("#dialog-title")).to_contain_text("Eko")
    expect(dialog).to_contain_text(indonesian("Block status"))
    expect(dialog).to_contain_text(indonesian("Not blocked."))
    expect(dialog).to_contain_text(in_jayapura(first.ticket.last_message_at))
    with override("id"):
        sentences = [d.sentence for d in ContactChannels.load(first.contact).destinations()]
    expect(dialog.locator(".next-destinations li")).to_have_text(sentences)
    expect(dialog.locator(f".badge-{TicketStatus.UNASSIGNED}")).to_have_text(indonesian("Unassigned"))
    shot(page, "a-1-360-view")

    page.keyboard.press("b")
    expect(dialog.get_by_role("heading", name=indonesian("Block %(contact)s?", contact="Eko"))).to_be_visible()
    expect(dialog.locator(".dialog-close")).to_be_focused()  # the dialog's next step, not the page behind it
    expect(dialog.get_by_label(indonesian("Resolve this contact's open tickets"))).to_be_checked()
    with override("id"):
        channels = ContactChannels.load(first.contact)
        if_resolved = blocked_contact_summary(channels.destinations_after_block(resolve_open_tickets=True))
    assert if_resolved == indonesian("New messages from this contact go to the supervisors' Blocked list.")
    expect(dialog.locator(".block-outcome").first).to_contain_text(if_resolved)
    shot(page, "a-2-block-dialog")
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    expect(row_link).to_be_focused()
    assert not Contact.objects.get(pk=first.contact.pk).is_blocked

    page.keyboard.press("Enter")
    expect(dialog.locator("#dialog-title")).to_contain_text("Eko")
    page.keyboard.press("b")
    follow(page, dialog.get_by_role("button", name=indonesian("Block %(contact)s", contact="Eko")))

    expect(page.locator(".tab.active")).to_contain_text(indonesian("Blocked", context="contacts tab"))
    eko = Contact.objects.get(pk=first.contact.pk)
    assert eko.is_blocked and eko.blocked_reason == BlockReason.SPAM and eko.blocked_by == sari
    assert Ticket.objects.get(pk=first.ticket.pk).status == TicketStatus.RESOLVED
    expect(page.locator("tr.row-link", has_text="Eko")).to_contain_text(in_jayapura(eko.blocked_at))
    with override("id"):
        notice = f"{blocked_notice(eko, Block.objects.get(contact=eko))} {if_resolved}"
    expect(page.locator(".notice-text")).to_have_text(notice)
    assert Block.objects.get(contact=eko).tickets_resolved == 1
    shot(page, "a-3-contact-blocked")

    later = deliver(channel, "+628555", "Masih ada promo", name="Eko")
    assert later.ticket.status == TicketStatus.BLOCKED and later.ticket.pk != first.ticket.pk
    open_blocked_list(page)
    row = page.locator(f"tr[data-ticket='{later.ticket.pk}']")
    expect(row).to_contain_text("Masih ada promo")
    expect(row.locator(".time-cell")).to_have_text(in_jayapura(later.message.sent_at))
    shot(page, "a-4-blocked-list")

    page.keyboard.press("j")
    expect(page.locator(f"#ticket-{later.ticket.pk}-open")).to_be_focused()
    enter_loads_a_page(page)
    expect(page.locator(".ticket-readonly")).to_contain_text(
        indonesian(
            "This ticket is blocked: %(contact)s is a blocked contact, so these messages reached nobody. It is "
            "read-only — unblock it to let it through to the queue, or delete it.",
            contact="Eko",
        )
    )
    expect(page.locator(f"#message-{later.message.pk} time")).to_have_text(in_jayapura(later.message.sent_at))
    expect(page.locator(f".badge-{TicketStatus.BLOCKED}").first).to_have_text(indonesian("Blocked"))
    shot(page, "a-5-blocked-ticket")


def test_sari_releases_one_blocked_ticket_and_its_contact_stays_blocked(signed_in, channel, sari):
    page = signed_in
    fajar = blocked_with_messages(sari, channel, "+628601", "Fajar", messages=2)
    gita = blocked_with_messages(sari, channel, "+628602", "Gita", messages=1)
    fajar_ticket = Ticket.objects.get(contact=fajar, status=TicketStatus.BLOCKED)
    open_blocked_list(page)
    row = page.locator(f"tr[data-ticket='{fajar_ticket.pk}']")
    expect(row.locator(".time-cell")).to_have_text(in_jayapura(fajar_ticket.last_message_at))

    page.keyboard.press("j")
    page.keyboard.press("j")  # Gita wrote last: Fajar's ticket is the second row
    expect(page.locator(f"#ticket-{fajar_ticket.pk}-open")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    checkbox = page.locator(f"#ticket-{fajar_ticket.pk}-select")
    expect(checkbox).to_be_focused()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    tab_to(page, page.get_by_role("button", name=indonesian("Unblock selected")))
    page.keyboard.press("Enter")  # the confirmation dialog

    dialog = page.locator("#dialog")
    expect(dialog.get_by_role("link", name=indonesian("Cancel"))).to_be_visible()
    expect(dialog.locator("#dialog-title")).to_have_text(indonesian("Unblock tickets?"))
    confirm = dialog.locator("form button[type='submit']")
    expect(confirm).to_have_text(indonesian_plural("Unblock %(count)s ticket", "Unblock %(count)s tickets", 1))
    expect(confirm).to_be_focused()
    shot(page, "b-1-release-dialog")
    enter_loads_a_page(page)

    expect(row).to_have_count(0)
    expect(page.locator("tr.row-link", has_text="Gita")).to_be_visible()
    assert Ticket.objects.get(pk=fajar_ticket.pk).status == TicketStatus.UNASSIGNED
    assert Ticket.objects.filter(contact=gita, status=TicketStatus.BLOCKED).count() == 1
    assert Contact.objects.filter(pk__in=[fajar.pk, gita.pk], is_blocked=True).count() == 2
    expect(page.locator(".notice-text")).to_have_text(
        indonesian_plural(
            "%(count)s ticket moved to %(queue)s.",
            "%(count)s tickets moved to %(queue)s.",
            1,
            queue=indonesian("Unassigned"),
        )
    )
    shot(page, "b-2-ticket-released")


def open_unblock_dialog(page, contact: Contact, *, messages: int, step: str):
    """From the Blocked tab, the contact's 360 view and then its unblock dialog; screenshots of both (step-1, -2)."""
    open_contacts(page, blocked=True)
    page.keyboard.press("j")
    expect(page.get_by_role("link", name=contact.name, exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("#dialog")
    expect(dialog.locator("#dialog-title")).to_contain_text(contact.name)
    expect(dialog.locator(".current-block")).to_contain_text(indonesian("Blocked at"))
    expect(dialog.locator(".current-block")).to_contain_text(in_jayapura(contact.blocked_at))
    shot(page, f"{step}-1-360-view-blocked")

    tab_to(page, dialog.get_by_role("link", name=indonesian("Unblock"), exact=True))
    page.keyboard.press("Enter")  # the dialog's next step
    expect(dialog.get_by_role("heading", name=indonesian("Unblock %(contact)s?", contact=contact.name))).to_be_visible()
    messages_phrase = indonesian_plural("%(counter)s message", "%(counter)s messages", messages)
    question = indonesian_plural(
        UNBLOCK_QUESTION, UNBLOCK_QUESTION_PLURAL, 1, contact=contact.name, messages_phrase=messages_phrase
    )
    expect(dialog.locator(".dialog-body > p").first).to_have_text(strip_tags(question))
    expect(dialog.locator(".blocked-messages")).to_have_text(messages_phrase)
    shot(page, f"{step}-2-unblock-dialog")
    return dialog


@pytest.mark.parametrize(("bot", "destination"), [(False, TicketStatus.UNASSIGNED), (True, TicketStatus.BOT)])
def test_sari_unblocks_a_contact_with_unblock_all(signed_in, channel, sari, set_switches, bot, destination):
    page = signed_in
    set_switches(bot_enabled=bot)
    hadi = blocked_with_messages(sari, channel, "+628701", "Hadi", messages=3)
    blocked_ticket = Ticket.objects.get(contact=hadi, status=TicketStatus.BLOCKED)
    dialog = open_unblock_dialog(page, hadi, messages=3, step=f"c-{destination}")

    follow(page, dialog.get_by_role("button", name=indonesian("Unblock All"), exact=True))

    expect(page.locator("main .empty")).to_have_text(indonesian("No blocked contacts. Contacts you block appear here."))
    assert not Contact.objects.get(pk=hadi.pk).is_blocked
    assert Ticket.objects.get(pk=blocked_ticket.pk).status == destination
    assert Block.objects.get(contact=hadi).lifted_with == "unblock_all"
    with override("id"):
        unblocked = ngettext(
            "%(contact)s is unblocked; %(count)d blocked ticket moved to %(destination)s.",
            "%(contact)s is unblocked; %(count)d blocked tickets moved to %(destination)s.",
            1,
        ) % {"contact": "Hadi", "count": 1, "destination": destination.label}
    expect(page.locator(".notice-text")).to_have_text(unblocked)
    shot(page, f"c-{destination}-3-unblocked-all")


def test_sari_unblocks_a_contact_with_delete_all(signed_in, channel, sari):
    page = signed_in
    joko = blocked_with_messages(sari, channel, "+628801", "Joko", messages=2)
    blocked_ticket = Ticket.objects.get(contact=joko, status=TicketStatus.BLOCKED)
    dialog = open_unblock_dialog(page, joko, messages=2, step="d")

    follow(page, dialog.get_by_role("button", name=indonesian("Delete All"), exact=True))

    expect(page.locator("main .empty")).to_have_text(indonesian("No blocked contacts. Contacts you block appear here."))
    assert not Contact.objects.get(pk=joko.pk).is_blocked
    assert not Ticket.objects.filter(pk=blocked_ticket.pk).exists()
    assert not Message.objects.filter(ticket_id=blocked_ticket.pk).exists()
    assert Block.objects.get(contact=joko).messages_deleted == 2
    expect(page.locator(".notice-text")).to_have_text(
        indonesian(
            "%(contact)s is unblocked; %(tickets)s and %(messages)s deleted.",
            contact="Joko",
            tickets=indonesian_plural("%(count)d ticket", "%(count)d tickets", 1),
            messages=indonesian_plural("%(count)d message", "%(count)d messages", 2),
        )
    )
    shot(page, "d-3-deleted-all")
