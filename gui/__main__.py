import sys

from .app import script

sys.exit(script())
