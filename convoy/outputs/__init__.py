"""Outputs for people and GIS: plan JSON, tables, GeoPackage, GeoTIFF, QGIS project.

:func:`convoy.outputs.folder.write_outputs` writes a plan's whole folder.
"""
