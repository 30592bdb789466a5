"""eventsim package."""
