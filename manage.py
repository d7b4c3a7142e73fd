#!/usr/bin/env python
"""Django's command-line utility; the installed ``dealerplan`` command does the same."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

if __name__ == "__main__":
    from dealerplan.__main__ import main

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerplan.settings")
    main()
