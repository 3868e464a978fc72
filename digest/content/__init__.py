"""The content stage: one issue file (front matter and Markdown body) to an Issue."""
