"""One module per import format (docs/FORMATS.md)."""
