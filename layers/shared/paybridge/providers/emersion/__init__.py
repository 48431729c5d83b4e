"""Emersion (seed 002): API/Services/CreatePayment over SOAP 1.1, and the WSDL that describes it."""
