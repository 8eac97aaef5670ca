"""Readers: everything that turns files into records."""
