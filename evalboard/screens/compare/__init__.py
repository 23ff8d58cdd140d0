"""Compare: side A against side B. `result` decides, `text` words it, `frames` shapes the charts' data,
`export` writes the CSV and links, `stacking` sets a combination beside its parts (docs/ARCHITECTURE.md, "Rooms")."""
