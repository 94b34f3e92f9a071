"""``python -m spacehub.workshops``: the workshops service, as the hub starts it."""

import sys

from .service import main

sys.exit(main())
