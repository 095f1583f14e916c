"""Step -- Export (being built)."""

import streamlit as st

from ui import common as ui

ui.setup("Export")
st.title("Export")
st.info("This step is being built.")
