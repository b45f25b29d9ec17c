"""Event contracts of the district platform: the envelope, the events and the topics they travel on."""
