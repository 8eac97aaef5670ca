"""``python -m convoy``: the same as the ``convoy`` command."""

from convoy.cli.main import cli

cli(prog_name="convoy")
