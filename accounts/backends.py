"""Signing in and loading the signed-in person, with their profile; their permissions in one query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


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

    def get_all_permissions(self, user_obj, obj=None):
        """The person's own and their groups' permissions, as ModelBackend gives them, in one query instead of two.

        Every request that checks a permission asks this once (the answer is
        kept on the person for the rest of the request): a role's page or
        action costs one query for it, not two.
        """
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                own, groups = self._get_user_permissions(user_obj), self._get_group_permissions(user_obj)
                perms = own.order_by().union(groups.order_by())
            pairs = perms.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in pairs}
        return user_obj._perm_cache
