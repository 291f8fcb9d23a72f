"""Signing in and loading the signed-in person, with their profile."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PersonBackend(ModelBackend):
    """Django's ModelBackend, loading the person's profile in the same query as the person.

    Every console request reads the signed-in person once (AuthenticationMiddleware);
    accounts.middleware then needs their language and time zone. Joining the
    profile here costs nothing more, where reading it afterwards would add a
    query to every request. A person without a profile row gets None cached,
    so asking again does not query either.
    """

    def get_user(self, user_id):
        people = get_user_model()._default_manager.select_related("profile")
        user = people.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
