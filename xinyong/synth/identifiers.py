"""Building valid identifiers: USCC, organisation code, resident ID, 15-digit registration number.

Check characters come from :mod:`xinyong.ids`; this module only draws the free parts and keeps
every identifier unique within a city.
"""

from __future__ import annotations

import random

from xinyong.ids import (
    org_code_check_char,
    registration_number_check_digit,
    resident_id_check_char,
    uscc_check_char,
)

BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # USCC alphabet: no I, O, S, V, Z
DIGITS = "0123456789"


class IdentifierFactory:
    """Draws identifiers that are valid and unique across the whole city."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.org_codes: set[str] = set()
        self.resident_ids: set[str] = set()
        self.reg_numbers: set[str] = set()

    def org_code(self, prefix: str) -> str:
        """A 9-character organisation code (GB 11714): 8 characters and a check character.

        ``prefix`` starts the body: "" for a legacy all-digit code, "MA5" for the codes issued
        since the 2015 reform in Guangdong, "MJL"/"MB" for civil-affairs and institution codes.
        """
        rng = self.rng
        while True:
            if prefix:
                body = prefix + "".join(rng.choices(BODY_CHARS, k=8 - len(prefix)))
            else:
                body = rng.choice("3456789") + "".join(rng.choices(DIGITS, k=7))
            code = body + org_code_check_char(body)
            if code not in self.org_codes:
                self.org_codes.add(code)
                return code

    @staticmethod
    def uscc(first2: str, region: str, org_code: str) -> str:
        first17 = first2 + region + org_code
        return first17 + uscc_check_char(first17)

    def resident_id(self, region: str, birth: str, male: bool) -> str:
        """18-digit resident ID: address code, ``YYYYMMDD``, sequence (odd for men), check."""
        rng = self.rng
        while True:
            seq = rng.randrange(50) * 2 + (1 if male else 0)
            first17 = f"{region}{birth}{rng.randrange(10)}{seq:02d}"
            rid = first17 + resident_id_check_char(first17)
            if rid not in self.resident_ids:
                self.resident_ids.add(rid)
                return rid

    def registration_number(self, region: str, kind_digit: str) -> str:
        """Legacy 15-digit 工商注册号: authority code, kind (1 company, 6 individual business), check."""
        rng = self.rng
        while True:
            first14 = region + kind_digit + "".join(rng.choices(DIGITS, k=7))
            number = first14 + registration_number_check_digit(first14)
            if number not in self.reg_numbers:
                self.reg_numbers.add(number)
                return number
