"""Billiecart (seed 003): POST /payments, a manager paying an employee's salary-packaging claim from the package's
budget; settlement pays the day's payments out in one ABA file per organisation."""
