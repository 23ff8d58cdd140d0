"""The bottom layer: the data model, paths, exit codes, statistics, the view and URL contract as data, and
the words every layer shares (quoting outside strings, numbers, checkpoint names). Imports nothing else of evalboard."""
