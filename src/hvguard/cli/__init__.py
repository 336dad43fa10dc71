"""The command line: parse → call the library → render. The only layer that may exit the process."""
