"""The only modules outside pages/ and app.py that import Streamlit: session state, widgets, sign-in."""
