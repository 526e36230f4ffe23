"""`podgate ui`: a local web UI over the scanner's results and previews (see app.py)."""
