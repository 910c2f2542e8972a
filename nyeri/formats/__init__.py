"""One way to show a date, a time and a number per language (FORMAT_MODULE_PATH).

Templates name these formats (``|date:"DATE_FORMAT"``, ``|date:"DATETIME_FORMAT"``,
``|time``), never a pattern of their own: tests/test_formats.py renders every date of
every template and checks that each language has one format.
"""
