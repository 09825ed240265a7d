"""Optional equality questions, stored apart from what people wrote, and a safe disproportionality view."""
