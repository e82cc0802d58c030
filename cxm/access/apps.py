from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccessConfig(AppConfig):
    default = True
    name = "cxm.access"
    label = "access"
    verbose_name = "Access, audit and privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app says in its privacy.py how to export and erase one customer's data.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("privacy")
        from cxm.access import personal_data  # noqa: F401


class CXMAdminConfig(admin_apps.AdminConfig):
    """Django's admin with CXM's site: administrators only, every route declared."""

    default = False
    default_site = "cxm.access.admin_site.CXMAdminSite"
