"""CRM.COM (seed 004): payments/show, list, get_latest, create, pay_invoice, pay_bill, post, reject, cancel."""
