"""Full-text search: haystack indexes, engine selection and query handling."""
