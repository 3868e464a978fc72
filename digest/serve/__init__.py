"""The live preview: the development server and the file watcher."""
