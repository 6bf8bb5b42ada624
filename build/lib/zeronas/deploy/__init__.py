"""After the search: train the chosen network and export it."""
