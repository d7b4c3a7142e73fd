"""Trigram indexes so name, pinyin and phone-fragment search stay fast on PostgreSQL.

Customer search is ``LIKE '%...%'`` over ``search_text``, ``UPPER(name)`` and ``phone``, which a
B-tree cannot serve; pg_trgm GIN indexes can. SQLite has no such index and skips this step. If
the database user may not create the pg_trgm extension, the migration says so and carries on:
search still works, only slower on very large stores.
"""

import logging

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

INDEXES = {
    "customer_search_text_trgm": "search_text gin_trgm_ops",
    "customer_name_trgm": "UPPER(name) gin_trgm_ops",
    "customer_phone_trgm": "phone gin_trgm_ops",
}


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:
        logger.warning("pg_trgm is not available (%s); customer search runs without it.", exc)
        return
    with connection.cursor() as cursor:
        for name, expression in INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer "
                f"USING gin ({expression})"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_importjob")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
