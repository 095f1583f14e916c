"""Step -- Strategies (being built)."""

import streamlit as st

from ui import common as ui

ui.setup("Strategies")
st.title("Strategies")
st.info("This step is being built.")
