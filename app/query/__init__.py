"""The filter bar over the trace list: core's filter language, inline errors, history, help."""
