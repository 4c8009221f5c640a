"""Elaboration of machine documents into component graphs, and what is derived from them."""
