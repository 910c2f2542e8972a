from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HiringConfig(AppConfig):
    name = "nyeri.hiring"
    label = "hiring"
    verbose_name = _("Hiring")
