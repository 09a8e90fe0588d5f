"""Constants shared by the repository-client tests."""

#: A recognisable token: tests assert it never leaks into messages or logs.
TOKEN = "tok-SECRET-6c1f0e9a7b"
TOKEN_ENV = "SPECPUB_TEST_REPOSITORY_TOKEN"
BASE = "https://repo.example.org"
