"""Gateway events (issue 20): what the gateways tell paybridge after a charge, received on webhook routes."""
