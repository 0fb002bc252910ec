"""The span tree with its timeline (model, delegate, filter bar, view) and the span detail."""
