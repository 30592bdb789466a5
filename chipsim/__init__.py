"""chipsim package."""
