"""Redaction: secrets and private spans replaced before any text is stored or exported.

- `redactor`: the `Redactor`, its rules and kinds, and the placeholder it leaves;
- `keys`: values of secret-looking keys (`DB_PASSWORD=...`, `"api_key": "..."`);
- `tokens`: random-looking tokens, base64 runs and tokens wrapped across lines.

Nothing is imported here, so a process that needs one part does not load the rest.
"""

__all__: list[str] = []
