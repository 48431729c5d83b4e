"""Caliq (seed 000): POST api/v1/MakePayment, and GET api/v1/PaymentTypes for the IDs it takes."""
