"""Compound-governance map service (小区三方治理一张图): PostGIS + Flask + folium."""

__version__ = "0.1.0"
