"""Input and output at the edge: data readers and writers, explanations, the HTML report, messages."""
