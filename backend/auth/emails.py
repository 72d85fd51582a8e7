"""One normalisation of email addresses, used by registration, login and the CLI alike.

NFKC folds compatibility forms (fullwidth `ＵＳＥＲ`, ligatures) and composes accents
(`u` + combining diaeresis = `ü`); email-validator checks the syntax and turns the domain into its
IDNA ASCII form (`bücher.example` and `xn--bcher-kva.example` are one domain); the whole address
is then lower-cased. Two spellings that reach the same mailbox therefore map to one stored
address, so a look-alike registration is a 409, and any spelling signs in.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The address is not a valid email address (the message says why)."""


def normalise_email(raw: str) -> str:
    """The canonical form of `raw`: NFKC, syntax-checked, IDNA ASCII domain, lower-case.

    Raises InvalidEmail. `.test` domains are accepted (the load-test accounts use them).
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    try:
        checked = validate_email(text, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    return f"{checked.local_part}@{checked.ascii_domain}".lower()


def lookup_email(raw: str) -> str | None:
    """The canonical form for a sign-in look-up, or None when `raw` cannot be anyone's address."""
    try:
        return normalise_email(raw)
    except InvalidEmail:
        return None
