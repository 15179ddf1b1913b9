"""``python -m webapp VERB ...``: each service's command line (see webapp.services.cli)."""

import os
import sys

import django

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    django.setup()
    from webapp.services.cli import main

    sys.exit(main())
