"""Paylock (seed 001): POST /collectionattempts/{id}/payments, a ServiceStack service in JSON and DataContract XML."""
