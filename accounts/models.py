import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blockdesk.tokens import hash_token, new_token


class ApiTokenQuerySet(models.QuerySet):
    def active_for(self, raw: str) -> "ApiToken | None":
        """Return the unrevoked token with this value whose user is active, with its user, else None."""
        digest = hash_token(raw)
        token = self.select_related("user").filter(token_hash=digest, revoked_at__isnull=True).first()
        if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.user.is_active:
            return None
        return token

    def user_for_token(self, raw: str):
        """Return the active user this personal token belongs to, else None."""
        token = self.active_for(raw)
        return None if token is None else token.user


class ApiToken(models.Model):
    """A personal token for the staff API; it acts with its owner's permissions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Kept to the minute, not to the request: see accounts.tokens.note_token_used.
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.token_prefix}… ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str = "") -> tuple["ApiToken", str]:
        """Create a token for the user and return it with its raw value, shown once."""
        token = cls(user=user, name=name)
        raw = token.set_new_token()
        token.save()
        return token, raw

    def set_new_token(self) -> str:
        """Give the token a fresh secret and return it; only its hash is kept."""
        raw, self.token_hash, self.token_prefix = new_token("bdu_")
        return raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


# "" lets the browser choose (Accept-Language, then settings.LANGUAGE_CODE). Kept in step with settings.LANGUAGES.
# Each language is named in itself, as language pickers do; only the default is translated.
LANGUAGE_CHOICES = [("", _("From my browser")), ("en", "English"), ("id", "Bahasa Indonesia")]


class Profile(models.Model):
    """A person's own language and time zone for the console and the admin site ("" = the default)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(max_length=8, blank=True, choices=LANGUAGE_CHOICES)
    # A zoneinfo name, checked against the machine's zone list by accounts.profiles.save_profile.
    time_zone = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _ in LANGUAGE_CHOICES]),
                name="profile_language_known",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.language or 'browser'}, {self.time_zone or 'site time zone'}"
