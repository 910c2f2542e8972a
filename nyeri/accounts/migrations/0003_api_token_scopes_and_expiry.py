"""API tokens get scopes and always expire.

Tokens made before this: the read-write clinical and workforce scopes (what they could
reach before, minus FHIR export, which needs a new token) and an expiry 90 days from this
migration, or their own expiry if it is sooner (docs/security.md, "Personal API tokens").
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone

LEGACY_SCOPES = ["clinical:write", "workforce"]
LEGACY_DAYS = 90


def scope_and_expire_existing_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    ApiToken = apps.get_model("accounts", "ApiToken")
    latest = timezone.now() + timedelta(days=LEGACY_DAYS)
    ApiToken.objects.update(scopes=LEGACY_SCOPES)
    ApiToken.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=latest)).update(expires_at=latest)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_session")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(default=list, verbose_name="scopes"),
        ),
        migrations.RunPython(scope_and_expire_existing_tokens, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="apitoken", name="api_token_expiry_after_creation"),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires at"),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expiry_after_creation"
            ),
        ),
    ]
