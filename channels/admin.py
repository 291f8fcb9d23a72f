"""Django admin of the channels app: the web chat's own page, and each kind's settings as an inline on its channel.

The Channel admin is contacts.admin.ChannelAdmin (create, switch, rotate through contacts.channels,
audited); here it gains, on a channel whose kind registered a settings model (channels.setup), that
model's row as an inline with the kind's own form, so its secrets stay write-only in admin too.
"""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from contacts.admin import ChannelAdmin
from contacts.admin import ChannelForm as ContactsChannelForm
from contacts.models import Channel

from . import email_admin, telegram_admin, webchat_admin, whatsapp_admin  # noqa: F401  (each kind's own admin)
from .setup import KindSetup, kind_setup
from .setup_api import ApiChannelForm


class KindSettingsFormSet(BaseInlineFormSet):
    """A POST without this inline's fields (a script's, or one sent before the kind had settings) leaves the
    settings row alone instead of failing the whole channel form."""

    def __init__(self, data=None, files=None, instance=None, save_as_new=False, prefix=None, queryset=None, **kwargs):
        name = prefix or self.get_default_prefix()
        if data is not None and f"{name}-TOTAL_FORMS" not in data:
            data = files = None
        super().__init__(data, files, instance, save_as_new, prefix, queryset, **kwargs)

    def is_valid(self):
        return True if not self.is_bound else super().is_valid()

    def save(self, commit=True):
        if not self.is_bound:
            self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
            return []
        return super().save(commit)


_inlines: dict[str, type[admin.StackedInline]] = {}


def kind_settings_inline(setup: KindSetup) -> type[admin.StackedInline]:
    """One inline class per kind, made the first time (kinds register at start, after admin modules load)."""
    if setup.kind not in _inlines:
        attributes = {
            "model": setup.settings_model,
            "formset": KindSettingsFormSet,
            "extra": 1,
            "max_num": 1,
            "can_delete": False,
        }
        if setup.form is not None:
            attributes["form"] = setup.form
        _inlines[setup.kind] = type(f"{setup.settings_model.__name__}Inline", (admin.StackedInline,), attributes)
    return _inlines[setup.kind]


class ChannelForm(ApiChannelForm, ContactsChannelForm):
    """The admin's channel form: the inbound signing secret write-only as on the set-up page, and the
    inbound limits as contacts.admin has them (left empty, a limit keeps its value)."""

    class Meta(ApiChannelForm.Meta):
        fields = ContactsChannelForm.Meta.fields


class ChannelWithKindSettingsAdmin(ChannelAdmin):
    form = ChannelForm

    def get_inlines(self, request, obj):
        setup = kind_setup(obj.kind) if obj is not None else None
        if setup is None or setup.settings_model is None:
            return []
        return [kind_settings_inline(setup)]


admin.site.unregister(Channel)
admin.site.register(Channel, ChannelWithKindSettingsAdmin)
