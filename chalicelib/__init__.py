"""Proxima Invoice: the application package deployed to Lambda."""
