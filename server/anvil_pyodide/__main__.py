"""``python -m anvil_pyodide serve APP_DIR``."""

import sys

from .cli import main

sys.exit(main())
