"""glassnet.diagnose: see inside training — the course's bias/variance recipe and a learning-rate finder."""
