"""specpub.demo (being built)."""
