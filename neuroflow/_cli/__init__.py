"""The `neuroflow` command's parts (`neuroflow.cli` is its entry point): what the commands
share, and the commands that have a module of their own."""
