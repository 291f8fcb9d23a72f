"""The Assign menu: the people a ticket may be given to, escaped once per page and marked per ticket.

A queue page shows the menu on every row; built by template loops (an {% if %} and the |person filter per
option, per row) it was the largest cost of the queue pages.
"""

from collections.abc import Iterable, Iterator

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from blockdesk.display import person_name


class AssigneeMenu:
    """The people who work tickets, as the Assign menu lists them; empty when the viewer may not assign."""

    def __init__(self, people: Iterable = ()):
        self.people = list(people)
        # (pk, '<option value="pk"', '>name</option>'): escaped here, joined per ticket.
        self._options = [
            (
                person.pk,
                format_html('<option value="{}"', str(person.pk)),
                format_html(">{}</option>", person_name(person)),
            )
            for person in self.people
        ]

    def __iter__(self) -> Iterator:
        return iter(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def options(self, selected_id: int | None) -> SafeString:
        """<option> per person, the ticket's assignee selected."""
        # Every piece was escaped by format_html above.
        return mark_safe(
            "".join(f"{head}{' selected' if pk == selected_id else ''}{tail}" for pk, head, tail in self._options)
        )
