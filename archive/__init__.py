"""The archive: a Django project whose single app holds the domain."""
