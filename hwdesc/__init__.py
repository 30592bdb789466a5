"""hwdesc package."""
