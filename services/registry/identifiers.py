"""Checking China's official identifiers: pure functions, each returning what is wrong in plain words or None.

- 统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters from a 31-character alphabet
  (digits and upper-case letters without I, O, Z, S, V); the last is a check character over the first 17.
- Industry codes, GB/T 4754-2017: a section letter A–T, optionally followed by a 2-digit division that
  belongs to that section, a 3rd digit (group) and a 4th digit (class): `C`, `C39`, `C391`, `C3911`.
- Patent application numbers (专利申请号): since 2003 `YYYY` + type digit + 7-digit serial + `.` + check
  (CN202310123456.6); before, 8 digits + check (97101765.4). The check is Σ digit×weight mod 11 with
  weights 2..9, 2..5; 10 is written `X`. The type digit is 1/8 invention, 2/9 utility model, 3 design.
"""

import re

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB/T 4754-2017: the divisions (two-digit codes) each section letter spans.
SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}
INDUSTRY_CODE = re.compile(r"^([A-T])([0-9]{2}([0-9]{1,2})?)?$")

PATENT_NUMBER = re.compile(r"^(?:ZL|CN)?\s*([0-9]{12}|[0-9]{8})\.?([0-9X])$")
PATENT_TYPE_DIGITS = {"invention": "18", "utility_model": "29", "design": "3"}
PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 characters are given."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    if len(code) != 18:
        return f"must be 18 characters long, got {len(code)}"
    bad = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if bad:
        return f"may only contain digits and the capital letters {CREDIT_CODE_ALPHABET[10:]}; found {''.join(bad)}"
    if not (code[2:8].isascii() and code[2:8].isdigit()):
        return "characters 3 to 8 must be the 6-digit administrative division code"
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return f"check character is wrong (expected {expected} for the first 17 characters): mistyped code?"
    return None


def industry_code_problem(code: str) -> str | None:
    match = INDUSTRY_CODE.match(code)
    if not match:
        return "must be a GB/T 4754 code: a section letter A–T optionally followed by 2, 3 or 4 digits, e.g. C3911"
    section, digits = match.group(1), match.group(2)
    if digits:
        low, high = SECTION_DIVISIONS[section]
        if not low <= int(digits[:2]) <= high:
            return f"division {digits[:2]} does not belong to section {section} (its divisions are {low:02}–{high:02})"
    return None


def patent_check_character(digits: str) -> str:
    remainder = sum(int(d) * w for d, w in zip(digits, PATENT_WEIGHTS, strict=False)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_patent_number(number: str) -> str:
    """`ZL 202310123456.6`, `202310123456.6` and `CN2023101234566` all become `CN202310123456.6`."""
    match = PATENT_NUMBER.match(number.strip().upper().replace(" ", ""))
    return f"CN{match.group(1)}.{match.group(2)}" if match else number


def patent_number_problem(number: str, patent_type: str | None) -> str | None:
    """What is wrong with the number; with `patent_type`, also whether its type digit agrees."""
    match = PATENT_NUMBER.match(number.strip().upper().replace(" ", ""))
    if not match:
        return "must be a Chinese patent application number: CN + 12 digits + . + check digit, e.g. CN202310123456.6"
    digits, check = match.group(1), match.group(2)
    expected = patent_check_character(digits)
    if check != expected:
        return f"check digit is wrong (expected {expected} for {digits}): mistyped number?"
    type_digit = digits[4] if len(digits) == 12 else digits[2]
    if type_digit not in "12389":
        return f"type digit {type_digit} is not a patent type (1/8 invention, 2/9 utility model, 3 design)"
    if patent_type is not None and type_digit not in PATENT_TYPE_DIGITS.get(patent_type, ""):
        return f"the number's type digit {type_digit} does not match the type {patent_type}"
    return None
