"""Step -- Map (being built)."""

import streamlit as st

from ui import common as ui

ui.setup("Map")
st.title("Map")
st.info("This step is being built.")
