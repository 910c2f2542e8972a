"""The patient's chart: problems, recent encounters, the pain trend and relief measured (docs/chart.md)."""
