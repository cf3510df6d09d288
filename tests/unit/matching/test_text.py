from services.matching.text import compact, normalise, segmented, term_counts, tokens


def test_full_width_folds_to_half_width_and_lower_case() -> None:
    assert normalise("ＡＢＣ１２３　ＰＬＣ") == "abc123 plc"


def test_punctuation_symbols_and_emoji_become_spaces() -> None:
    assert normalise("水稻，育种！！（高产）😀~") == "水稻 育种 高产"
    assert normalise("!!!") == ""
    assert normalise("") == ""


def test_compact_ignores_spacing_for_phrase_tests() -> None:
    assert compact("水稻　育种") == "水稻育种"


def test_search_mode_segmentation_yields_compound_and_parts() -> None:
    words = tokens("水稻育种技术")
    assert {"水稻", "育种"} <= set(words)


def test_search_mode_splits_long_compounds_into_sub_words() -> None:
    assert {"飞行", "飞行器"} <= set(tokens("飞行器姿态控制"))


def test_stop_words_and_single_latin_letters_are_dropped() -> None:
    words = tokens("基于 的 a PLC 控制 系统")
    assert "的" not in words and "基于" not in words and "a" not in words
    assert "plc" in words


def test_garbage_text_yields_no_tokens() -> None:
    assert tokens("!!!") == [] and tokens("") == [] and tokens("😀😀") == []


def test_term_counts_weight_fields() -> None:
    counts = term_counts(("水稻", 2.0), ("水稻 育种", 1.0))
    assert counts["水稻"] == 3.0 and counts["育种"] == 1.0


def test_segmented_is_space_joined() -> None:
    assert segmented("水稻育种") == " ".join(tokens("水稻育种"))
