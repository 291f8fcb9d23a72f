"""The built-in bot: keyword answers for the demo, and "agent" or "human" hands the customer to a person.

A pure function of the customer's text; tickets/bot.py sends what it says
and hands the ticket over.
"""

import re
from dataclasses import dataclass

HAND_OVER_WORDS = ("agent", "human", "person", "operator")
HAND_OVER_TEXT = "Sure — I am passing you to one of our team. Someone will answer here shortly."
GREETING = "Hello! I am the BlockDesk bot."
MENU = 'I can tell you our opening hours, prices, shipping and returns. Write "agent" at any time to talk to a person.'
NOT_UNDERSTOOD = f"Sorry, I did not understand that. {MENU}"

# Checked in order; the first topic whose keyword the text contains answers.
TOPICS = (
    (
        ("hour", "open", "close", "jam"),
        "We are open Monday to Saturday, 08:00–20:00 (Asia/Jakarta). Messages sent outside those hours are answered "
        "the next morning.",
    ),
    (
        ("price", "cost", "how much", "harga", "discount"),
        "Prices are on each product's page and include VAT. Shipping is free on orders over Rp 250.000.",
    ),
    (
        ("ship", "deliver", "courier", "order", "parcel", "kirim"),
        "Orders leave our warehouse within one working day; delivery takes 1–3 days in Java and 2–5 days elsewhere. "
        "The courier's tracking link is in your confirmation e-mail.",
    ),
    (
        ("return", "refund", "exchange"),
        "You can return an item within 30 days. Refunds reach your account 3–5 working days after we receive it.",
    ),
)
GREETING_WORDS = ("hello", "hi", "hey", "halo", "good morning", "good afternoon", "selamat")


@dataclass(frozen=True)
class BotAnswer:
    text: str
    hand_over: bool = False


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _mentions(words: str, keywords: tuple[str, ...]) -> bool:
    """True if any keyword starts a word of the text ("hours" matches "hour"; "this" does not match "hi")."""
    return any(re.search(rf"\b{re.escape(keyword)}", words) for keyword in keywords)


def _says(words: str, phrases: tuple[str, ...]) -> bool:
    """True if any phrase is in the text as whole words (a plural too: "agents")."""
    return any(re.search(rf"\b{re.escape(phrase)}s?\b", words) for phrase in phrases)


def answer(text: str) -> BotAnswer:
    """What the built-in bot says to one customer message."""
    words = _words(text)
    if _says(words, HAND_OVER_WORDS):
        return BotAnswer(HAND_OVER_TEXT, hand_over=True)
    for keywords, reply in TOPICS:
        if _mentions(words, keywords):
            return BotAnswer(reply)
    if _says(words, GREETING_WORDS):
        return BotAnswer(f"{GREETING} {MENU}")
    return BotAnswer(NOT_UNDERSTOOD)
