"""Decide which settings module a process runs with.

Local development is the default. Production is chosen explicitly with
``DJANGO_ENV=production`` or implicitly on Render, which sets ``RENDER``.
"""

import os

SETTINGS_MODULES = {
    "local": "catalog_site.settings.local",
    "test": "catalog_site.settings.test",
    "production": "catalog_site.settings.production",
}


def detect_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    name = environ.get("DJANGO_ENV", "").strip().lower()
    if name:
        if name not in SETTINGS_MODULES:
            allowed = ", ".join(sorted(SETTINGS_MODULES))
            raise SystemExit(f"DJANGO_ENV={name!r} is not one of: {allowed}")
        return name
    if environ.get("RENDER"):
        return "production"
    return "local"


def configure_settings_module() -> None:
    """Set DJANGO_SETTINGS_MODULE unless the caller already chose one."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULES[detect_environment()])
