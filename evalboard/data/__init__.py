"""Data access: the store (DuckDB over the dataset's tables), data-page checks, search, reviews. Imports core only."""
