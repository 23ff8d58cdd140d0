"""Readiness: can a snapshot ship? `catalog` finds the candidates and counts, `rules` decides one family's
verdict, `judge` applies the gates to a candidate, `text` words it, `export` renders one row list as every
format (docs/ARCHITECTURE.md, "Rooms")."""
