"""Wiring every service of the district platform shares."""
