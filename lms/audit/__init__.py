"""Append-only audit log. Written in the same transaction as the change it records."""
