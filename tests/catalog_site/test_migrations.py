import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_are_in_step() -> None:
    # makemigrations --check exits non-zero (SystemExit) when a migration is missing
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_first_migration_enables_vector_and_trigram_extensions() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        installed = {row[0] for row in cursor.fetchall()}

    assert {"vector", "pg_trgm"} <= installed
