"""API Gateway event → request, content negotiation, responses, authentication."""
