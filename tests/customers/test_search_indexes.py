"""Search stays indexable on PostgreSQL: pg_trgm GIN indexes serve the LIKE '%...%' lookups."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)


@pytest.mark.django_db
def test_trigram_indexes_exist_and_serve_pinyin_search():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer' "
            "AND indexname LIKE '%%_trgm'"
        )
        names = {row[0] for row in cursor.fetchall()}
        assert names == {"customer_search_text_trgm", "customer_name_trgm", "customer_phone_trgm"}
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM customers_customer WHERE search_text LIKE %s", ["%zxx%"]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_search_text_trgm" in plan


@pytest.mark.django_db
def test_two_character_search_is_served_by_the_bigram_index():
    from dealerplan.customers.models import Customer

    queryset = Customer.objects.search("张晓").order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_search_bigrams" in plan


@pytest.mark.django_db
def test_plate_digits_are_served_by_the_plate_trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT customer_id FROM orders_salesorder WHERE plate_number LIKE %s",
            ["%12345%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_plate_trgm" in plan
