"""specpub.specimens (being built)."""
