"""gen's bundled example model (see make_example.py)."""
