"""The hostile corpus (issue 11): payloads an attacker or a clumsy user sends, run against the
write functions, the import, every page's query parameters and every export."""
