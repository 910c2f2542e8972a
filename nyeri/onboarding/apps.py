from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "nyeri.onboarding"
    label = "onboarding"
    verbose_name = _("People administration")
