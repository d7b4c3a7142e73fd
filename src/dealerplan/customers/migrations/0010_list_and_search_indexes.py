"""Indexes for the customer list and search at dealer-group scale (1M customers).

- ``customer_active_recent_idx``: the group's page 1 (newest active customers of all stores) is
  an index scan with LIMIT instead of sorting a million rows.
- ``customer_search_bigrams`` (PostgreSQL only): a two-character search (a surname and the first
  given-name character, or two pinyin initials) is too short for the pg_trgm indexes of 0005,
  which need three characters. ``customers_search_bigrams(name, search_text)`` lists every
  two-character piece of ``UPPER(name) || ' ' || search_text``; its GIN index finds the few
  rows that can match, and the ``LIKE`` still decides (see ``customers/search.py``).
- ``order_plate_trgm`` (PostgreSQL only): any 4 to 8 digits also search plates on orders; a
  trigram index keeps that a lookup, not a scan of every order.

Like 0005, without pg_trgm the trigram index is skipped and search still works, only slower.
"""

import logging

from django.db import migrations, models, transaction

logger = logging.getLogger(__name__)

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION customers_search_bigrams(name text, keys text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM (SELECT upper(name) || ' ' || keys AS t) AS s, generate_series(1, char_length(t) - 1) AS i
$$
"""
BIGRAMS_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_search_bigrams ON customers_customer "
    "USING gin (customers_search_bigrams(name, search_text))"
)
PLATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS order_plate_trgm ON orders_salesorder "
    "USING gin (plate_number gin_trgm_ops)"
)


def create_search_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(BIGRAMS_FUNCTION)
        cursor.execute(BIGRAMS_INDEX)
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(PLATE_INDEX)
    except Exception as exc:
        logger.warning("pg_trgm is not available (%s); plate search runs without it.", exc)


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS order_plate_trgm")
        cursor.execute("DROP INDEX IF EXISTS customer_search_bigrams")
        cursor.execute("DROP FUNCTION IF EXISTS customers_search_bigrams(text, text)")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_key_account_index"),
        ("orders", "0004_sections_loan_insurance_plate_checklist"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("is_archived", False)),
                fields=["-created_at"],
                name="customer_active_recent_idx",
            ),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
