"""fanflow vs Temporal benchmark harness: `python -m bench --help`."""
