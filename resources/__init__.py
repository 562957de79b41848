"""The studio's shipped files, installed as the package ``studio.resources`` (see studio/shipped.py)."""
