"""Labelling queues (issue 22): pick traces and questions, label them one by one from the
keyboard, and see where labellers agree."""
