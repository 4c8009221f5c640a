"""Checkpoints: format, compatibility records and diff, restore, the library."""
