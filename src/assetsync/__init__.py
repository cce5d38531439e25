"""assetsync: asset library sync for PostgreSQL, and the runner that deploys its SQL."""

__version__ = "0.1.0"
