"""China's identifiers are checked the way the standards define them."""

import pytest

from services.registry.identifiers import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    credit_code_problem,
    industry_code_problem,
    normalise_patent_number,
    patent_check_character,
    patent_number_problem,
)

# Published codes of well-known companies (their business licences are public records).
REAL_CREDIT_CODES = ["914403001922038216", "91330100799655058B", "9144030071526726XG", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_pass(code: str) -> None:
    assert credit_code_problem(code) is None
    assert credit_code_check_character(code[:17]) == code[17]


def test_the_check_character_is_computed_from_the_weights() -> None:
    # 9 1 4 4 0 3 0 0 1 9 2 2 0 3 8 2 1 → Σ value×weight = 831; 31 - 831 mod 31 = 31 - 25 = 6
    assert credit_code_check_character("91440300192203821") == "6"
    # A zero check: pick the 17th character so the sum is divisible by 31.
    for c in CREDIT_CODE_ALPHABET:
        if credit_code_check_character("9143012100000000" + c) == "0":
            assert credit_code_problem("9143012100000000" + c + "0") is None
            break
    else:
        pytest.fail("some 17th character gives check 0")


@pytest.mark.parametrize(("code", "words"), [
    ("914403001922038217", "check character is wrong"),
    ("91440300192203821", "18 characters"),
    ("91440300192203821I", "may only contain"),
    ("9144AB001922038216", "administrative division"),
])
def test_bad_credit_codes_say_why(code: str, words: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and words in problem


def test_every_single_character_typo_is_caught() -> None:
    code = REAL_CREDIT_CODES[0]
    for i in range(17):
        for c in CREDIT_CODE_ALPHABET:
            if c != code[i] and (i not in range(2, 8) or c.isdigit()):
                assert credit_code_problem(code[:i] + c + code[i + 1:]) is not None


@pytest.mark.parametrize("code", ["A", "C39", "C391", "C3911", "A0511", "T97", "K7010"])
def test_industry_codes_in_gbt_4754_format(code: str) -> None:
    assert industry_code_problem(code) is None


@pytest.mark.parametrize(("code", "words"), [
    ("Z01", "section letter"), ("C1", "section letter"), ("C39111", "section letter"),
    ("A13", "does not belong to section A"), ("C05", "does not belong to section C"), ("3911", "section letter"),
])
def test_bad_industry_codes(code: str, words: str) -> None:
    problem = industry_code_problem(code)
    assert problem is not None and words in problem


def test_patent_check_digit_of_a_real_application() -> None:
    # 201710601862.3 is a published application; (2·2+0·3+1·4+7·5+1·6+0·7+6·8+0·9+1·2+8·3+6·4+2·5) mod 11 = 3
    assert patent_check_character("201710601862") == "3"
    assert patent_number_problem("CN201710601862.3", "invention") is None
    # The pre-2003 format: 8 digits, weights 2..9; 186 mod 11 = 10 → X.
    assert patent_check_character("95115608") == "X"
    assert patent_number_problem("95115608.X", "invention") is None


def test_patent_numbers_are_normalised() -> None:
    assert normalise_patent_number("ZL 201710601862.3") == "CN201710601862.3"
    assert normalise_patent_number("cn2017106018623") == "CN201710601862.3"


@pytest.mark.parametrize(("number", "patent_type", "words"), [
    ("CN201710601862.4", "invention", "check digit is wrong"),
    ("CN20171060186.3", "invention", "must be a Chinese patent application number"),
    ("CN201710601862.3", "design", "does not match the type design"),
    ("CN20174060186", "invention", "must be a Chinese patent application number"),
])
def test_bad_patent_numbers(number: str, patent_type: str, words: str) -> None:
    problem = patent_number_problem(number, patent_type)
    assert problem is not None and words in problem


def test_type_digits() -> None:
    utility = "202320123456"
    number = f"CN{utility}.{patent_check_character(utility)}"
    assert patent_number_problem(number, "utility_model") is None
    assert patent_number_problem(number, "invention") is not None
    unknown = "202340123456"
    assert "type digit 4" in (patent_number_problem(f"CN{unknown}.{patent_check_character(unknown)}", None) or "")
