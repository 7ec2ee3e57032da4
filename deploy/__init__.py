"""Deployment: configuration for each engine, and (deploy.local) the command line that runs them here."""
