"""The portal: the web app, sign-in, sessions, and the one origin browsers talk to."""
