"""Live page script, run by Streamlit (registered in streamlit_app.py); not for import."""

from posturecheck.app.live_page import render

render()
