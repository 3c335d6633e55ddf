"""The Streamlit web app: the only part of posturecheck that imports streamlit.

Modules named ``*_page`` and :mod:`posturecheck.app.state` use streamlit; the others
(:mod:`settings`, :mod:`uploads`, :mod:`frames`, :mod:`results`) are plain Python so they can
be tested without a Streamlit runtime. The analysis itself is :func:`posturecheck.pipeline.analyse`,
the same code path as the CLI.
"""
