"""specpub.batch (being built)."""
