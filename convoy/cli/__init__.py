"""The ``convoy`` command line: one click command per module."""
