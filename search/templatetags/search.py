from django import template

from search.finders import search_refusal

register = template.Library()


@register.filter
def may_search(user) -> bool:
    """Whether the navigation shows the search box: the rule the search itself applies."""
    return user.is_authenticated and search_refusal(user) is None
