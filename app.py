"""Skewlab entry point: `streamlit run app.py`. Pages live in pages/ (one per step); this only
opens the first step."""

import streamlit as st

st.set_page_config(page_title="Skewlab", page_icon=":material/balance:", layout="wide")
st.switch_page("pages/0_Data.py")
