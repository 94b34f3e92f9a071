"""Run the data service: ``python -m spacehub.services.data`` (the hub starts it as a service)."""

import sys

from .app import main

sys.exit(main())
