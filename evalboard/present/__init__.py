"""Figures and chart click data for people (no Streamlit, no store). Imports core and screens."""
