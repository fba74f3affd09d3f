"""Reporters only format: they take a RunReport and return text."""
