"""Dagster code location of the EU–China AI research warehouse."""
