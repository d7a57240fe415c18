"""Create a superuser when the database has none.

Credentials come from ``DJANGO_SUPERUSER_USERNAME`` / ``DJANGO_SUPERUSER_EMAIL``
/ ``DJANGO_SUPERUSER_PASSWORD``; without a password one is generated and
printed once.
"""

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an admin account if no superuser exists yet."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account already exists.")
            return
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "admin@example.com")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email=email, password=password)
        if "DJANGO_SUPERUSER_PASSWORD" in os.environ:
            self.stdout.write(f"Created admin account '{username}' with the password from the environment.")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Created admin account '{username}' with password: {password}\n"
                    "It is shown only this once; change it in the admin."
                )
            )
