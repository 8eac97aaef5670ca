"""``python -m convoy``: the same as the ``convoy`` command."""

from convoy.cli.main import cli

# guarded: the worker processes of a local Dask cluster import this module again
if __name__ == "__main__":
    cli(prog_name="convoy")
