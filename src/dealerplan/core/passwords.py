"""Password rules with messages our Chinese catalogue covers.

Django 5.2 words the minimum-length message with ``%d``, which its zh_Hans catalogue does not
translate yet, so staff would see English; the rule itself is Django's.
"""

from django.contrib.auth import password_validation
from django.utils.translation import gettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return gettext(
            "This password is too short: it must contain at least %(min_length)d characters."
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return gettext("Your password must contain at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }
