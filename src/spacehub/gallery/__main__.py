"""``python -m spacehub.gallery``: the gallery service, as the hub starts it."""

import sys

from .app import main

sys.exit(main())
