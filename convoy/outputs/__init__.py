"""Outputs for people and GIS: plan JSON, tables, GeoPackage, GeoTIFF, QGIS project."""
