"""Reading one raw e-mail: text preferred, HTML made safe text, attachments listed, machines recognised, no crash."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email_parse import (
    EMPTY_TEXT,
    HASH_PREFIX,
    MAX_TEXT,
    html_to_text,
    parse_email,
)
from channels.email_thread import our_message_id, our_message_pk, reply_subject
from tests.channels.mail.conftest import CUSTOMER, raw_mail
from tickets.models import Message


def test_the_sender_subject_text_and_message_id_are_read():
    mail = parse_email(raw_mail("Hi there", message_id="<abc@customer.example>"))

    assert (mail.sender, mail.sender_name) == (CUSTOMER, "Budi Santoso")
    assert (mail.subject, mail.text, mail.message_id) == ("Order 1234", "Hi there", "<abc@customer.example>")
    assert mail.automatic == ""


def test_the_text_part_is_preferred_to_the_html_one():
    mail = parse_email(raw_mail("Plain words", html="<p>HTML words</p>"))

    assert mail.text == "Plain words"
    assert mail.attachments == []


def test_an_html_only_mail_becomes_text_without_scripts_styles_or_markup():
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<script>alert('x')</script><p>Hello &amp; welcome</p><div>Line<br>two</div>"
        "<ul><li>one</li><li>two</li></ul><img src=x onerror=alert(1)></body></html>"
    )
    mail = parse_email(raw_mail(None, html=html))

    assert mail.text == "Hello & welcome\n\nLine\ntwo\n\n- one\n\n- two"
    for leftover in ("alert", "color", "<", "onerror"):
        assert leftover not in mail.text


def test_html_to_text_keeps_what_broken_markup_holds():
    assert html_to_text("<p>Unclosed <b>bold <script>x") == "Unclosed bold"
    assert html_to_text("&lt;script&gt; is text here") == "<script> is text here"


def test_attachments_are_listed_by_name_and_size_and_in_a_line_of_the_text():
    mail = parse_email(
        raw_mail(
            "See attached",
            attachments=[("invoice.pdf", b"%PDF" + b"x" * 2044, "application/pdf"), ("a.png", b"\x89PNG", "image/png")],
        )
    )

    assert [a.as_dict() for a in mail.attachments] == [
        {"name": "invoice.pdf", "size": 2048, "type": "application/pdf"},
        {"name": "a.png", "size": 4, "type": "image/png"},
    ]
    assert mail.text == "See attached\n\nAttachments: invoice.pdf (2 KB), a.png (4 B)"


def test_a_mail_with_nothing_to_read_says_so():
    assert parse_email(raw_mail("")).text == EMPTY_TEXT


def test_a_long_mail_is_cut_with_a_note():
    text = parse_email(raw_mail("word " * 5000)).text
    assert len(text) < MAX_TEXT + 100
    assert text.endswith("[… the rest of this e-mail was cut]")


def test_a_missing_message_id_gets_a_stable_hash_of_the_headers():
    raw = raw_mail(message_id=None)

    first, again = parse_email(raw), parse_email(raw)

    assert first.message_id.startswith(HASH_PREFIX)
    assert first.message_id == again.message_id
    assert parse_email(raw_mail(message_id=None, subject="Other")).message_id != first.message_id


def test_in_reply_to_and_references_give_the_thread_nearest_first():
    mail = parse_email(
        raw_mail(headers={"In-Reply-To": "<c@x>", "References": "<a@x> <b@x> <c@x>"}),
    )

    assert mail.in_reply_to == ["<c@x>"]
    assert mail.references == ["<a@x>", "<b@x>", "<c@x>"]
    assert mail.thread_ids == ["<c@x>", "<b@x>", "<a@x>"]


AUTOMATIC = [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted"),
    ({"X-Autoreply": "yes"}, "auto-reply header"),
    ({"X-Autorespond": "Out of office"}, "auto-reply header"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"Precedence": "junk"}, "Precedence"),
    ({"Precedence": "list"}, "Precedence"),
    ({"List-Id": "<news.shop.example>"}, "List-Id"),
    ({"Return-Path": "<>"}, "bounce"),
]


@pytest.mark.parametrize(("headers", "reason"), AUTOMATIC)
def test_auto_replies_bounces_and_bulk_mail_are_recognised(headers, reason):
    assert reason in parse_email(raw_mail(headers=headers)).automatic


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "postmaster@mx.example"])
def test_mail_systems_are_recognised_by_their_sender(sender):
    assert "mail system" in parse_email(raw_mail(sender=sender)).automatic


def test_a_delivery_report_is_recognised():
    raw = (
        b"From: Mail Delivery <bounces@mx.example>\r\nTo: support@shop.example\r\nSubject: Undelivered\r\n"
        b"Message-ID: <dsn1@mx.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    assert "multipart/report" in parse_email(raw).automatic


@pytest.mark.parametrize("value", ["no", "No", "no; comment"])
def test_auto_submitted_no_is_a_person(value):
    assert parse_email(raw_mail(headers={"Auto-Submitted": value})).automatic == ""


def test_a_mail_without_a_usable_sender_has_none():
    assert parse_email(raw_mail(sender="not an address")).sender == ""
    assert parse_email(b"Subject: no from\r\n\r\nhi\r\n").sender == ""


def test_an_unknown_charset_is_read_as_far_as_it_goes():
    raw = (
        b"From: a@b.example\r\nSubject: x\r\nMessage-ID: <cs@b>\r\n"
        b"Content-Type: text/plain; charset=x-unknown-9\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHallo \xff\r\n"
    )
    assert parse_email(raw).text.startswith("Hallo")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Order 1234", "Re: Order 1234 [#7]"),
        ("Re: Order 1234", "Re: Order 1234 [#7]"),
        ("RE: AW: Fwd: Order 1234 [#7]", "Re: Order 1234 [#7]"),
        ("", "Re: your message [#7]"),
    ],
)
def test_a_reply_subject_is_re_their_subject_and_the_ticket_tag(subject, expected):
    assert reply_subject(subject, 7) == expected


def test_our_message_ids_lead_back_to_the_reply_and_cannot_be_forged():
    mid = our_message_id(Message(pk=42), "shop.example")

    assert mid.startswith("<blockdesk.42.") and mid.endswith("@shop.example>")
    assert our_message_pk(mid) == 42
    assert our_message_pk(mid.replace("blockdesk.42.", "blockdesk.43.")) is None
    assert our_message_pk("<someone@else>") is None


header_names = st.sampled_from(
    ["From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type", "Auto-Submitted", "Precedence"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.tuples(header_names, st.text(max_size=80)), max_size=8),
    body=st.binary(max_size=500),
)
def test_no_mail_makes_the_reader_raise(headers, body):
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8", "surrogateescape")
    mail = parse_email(head + b"\r\n" + body)

    assert mail.message_id
    assert isinstance(mail.text, str) and mail.text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_no_bytes_make_the_reader_raise(raw):
    assert parse_email(raw).message_id
