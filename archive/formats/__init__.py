"""Dates written one way everywhere, in the admin and on the pages: "1 December 2026", or
2026-12-01 where space is short and in date fields; never 01/12/2026, which a reader from
another country takes for January (FORMAT_MODULE_PATH in settings)."""
