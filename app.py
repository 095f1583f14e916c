"""Skewlab entry point: `streamlit run app.py`. The six steps are declared in ui/nav.py; this runs the
navigation over them and the page the URL asks for (the Data page at the root URL)."""

from ui import nav

nav.run_app()
