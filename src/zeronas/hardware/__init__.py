"""Hardware: what a network costs (parameters, MACs, memory, latency), the limits a search
keeps to, and device latency tables."""
