from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImagingConfig(AppConfig):
    name = "nyeri.imaging"
    label = "imaging"
    verbose_name = _("Imaging and referrals")
