"""specpub.sandbox (being built)."""
