"""The trace list: a lazy, paged table model over trace rows and its view."""
