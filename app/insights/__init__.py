"""The Insights tab (issue 20): charts of traces, errors, latency, tokens and cost over time,
the slowest spans, the costliest models and the chat sessions of the selected experiment."""
