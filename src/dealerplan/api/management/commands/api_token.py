"""Issue, show, rotate or revoke a user's API token.

    dealerplan api_token sales_manager            # prints the token (creates one if needed)
    dealerplan api_token sales_manager --rotate   # a new token; the old one stops working
    dealerplan api_token sales_manager --revoke   # no token any more

The token acts as that user, with exactly their scope. Idempotent without options.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print (creating if needed), rotate or revoke a user's REST API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--rotate", action="store_true", help="Replace the token with a new one."
        )
        group.add_argument("--revoke", action="store_true", help="Delete the token.")

    @transaction.atomic
    def handle(self, *args, username, rotate=False, revoke=False, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if revoke or rotate:
            Token.objects.filter(user=user).delete()
        if revoke:
            self.stdout.write(f"The API token of {username} is revoked.")
            return
        if not user.is_active:
            raise CommandError(f"{username} is not active; activate the account first.")
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
