"""Step -- Evaluate (being built)."""

import streamlit as st

from ui import common as ui

ui.setup("Evaluate")
st.title("Evaluate")
st.info("This step is being built.")
