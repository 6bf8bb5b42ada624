"""Result files: CSV tables, JSON documents and plots of scores, searches and fronts."""
