"""Local stand-ins for outside providers (payment gateways), answering as their API references document."""
