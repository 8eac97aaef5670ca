"""Readers: everything that turns files into records.

One reader per kind of input, used by every file of that kind: ``tables.py``
(CSV), ``layers.py`` (vector layers), ``toml.py`` (TOML). On them sit the readers
of each file: ``fleet.py`` (fleet.csv, manifest.csv), ``sites.py``, ``roads.py``,
``events.py`` (ACLED, UCDP GED, point layers), ``reference.py`` (the
``[calibration]`` trip) and ``scenario.py`` (``read_scenario``: a whole folder, the
embedded scenarios), with ``validate.py`` for the checks across records and
``files.py`` for file names and hashes.
"""
