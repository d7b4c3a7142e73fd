import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerplan.settings")
application = get_wsgi_application()

from dealerplan.core.process import tune_garbage_collector  # noqa: E402 - needs settings

tune_garbage_collector()
