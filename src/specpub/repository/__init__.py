"""specpub.repository (being built)."""
