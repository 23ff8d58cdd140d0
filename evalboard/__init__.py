"""evalboard: a dashboard for agentic-misalignment honeypot evaluations."""

__version__ = "0.1.0"
