from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "nyeri.interop"
    label = "interop"
    verbose_name = _("Interoperability")

    def ready(self) -> None:
        # The SATUSEHAT sending job registers itself when imported.
        from nyeri.interop import jobs  # noqa: F401
