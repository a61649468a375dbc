"""Quotations as records: found in articles, attributed, searched and traced across the archive."""
