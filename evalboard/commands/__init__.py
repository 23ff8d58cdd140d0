"""The command line: `evalboard ingest | readiness | serve | demo | …`. Nothing imports these."""
