"""Deterministic demo data for dealerplan (see ``manage.py seed_demo``)."""
