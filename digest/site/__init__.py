"""The site stage: issues assembled into a site, planned into pages, rendered by Jinja."""
