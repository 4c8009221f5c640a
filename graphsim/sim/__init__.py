"""The machine, its run loop, console and statistics."""
