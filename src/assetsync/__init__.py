"""assetsync: asset library sync for PostgreSQL, and the runner that deploys its SQL."""

from importlib import metadata

try:
    __version__ = metadata.version("assetsync")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
