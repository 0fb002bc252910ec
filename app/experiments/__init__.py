"""The experiments sidebar: experiments with their trace counts."""
