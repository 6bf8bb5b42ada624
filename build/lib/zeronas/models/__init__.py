"""Network builders (``nn.Module`` code) used by the search spaces."""
