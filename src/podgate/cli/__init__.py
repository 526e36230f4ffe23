"""The `podgate` command line: parsing, output and exit codes."""
