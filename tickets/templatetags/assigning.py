"""{% assignee_options workers ticket.assignee_id %}: the Assign menu's options (tickets.assignee_menu)."""

from django import template

register = template.Library()


@register.simple_tag
def assignee_options(workers, selected_id: int | None):
    """<option> per person of the AssigneeMenu, the ticket's assignee selected."""
    return workers.options(selected_id)
