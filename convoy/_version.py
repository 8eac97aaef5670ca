"""The package version, read by pyproject.toml and written into plan.json."""

__version__ = "0.1.0"
