"""Read a GitBook Git Sync space: structure, pages, blocks -> Page objects with HTML."""
