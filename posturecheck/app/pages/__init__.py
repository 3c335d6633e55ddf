"""Page scripts that ``st.navigation`` in streamlit_app.py runs; each just calls a ``render``.

They live here rather than in a top-level ``pages/`` folder because Streamlit 1.67 switches
to its legacy pages-folder mode whenever ``pages/`` exists next to the entry script, which
overrides ``st.navigation``. Never import these modules: importing one renders its page.
"""
