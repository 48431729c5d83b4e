"""The yardsticks every paybridge figure is compared with: two small, honest Powertools handlers.

(a) `put_item/app.py`: a bare `APIGatewayRestResolver` route that decodes JSON and does one `put_item`.
(b) `idempotent/app.py`: the same, made idempotent with Powertools' `idempotent_function` and
`DynamoDBPersistenceLayer`, written as Powertools' documentation shows it.

Both follow AWS's advice for Lambda (SDK clients created outside the handler, at import) and take the same Caliq
JSON body paybridge's benchmark sends. Each is a function of its own, laid out as paybridge's are: <dir>/app.py with
`handler`, imported on its own as Lambda imports a function's app.py.
"""
