from __future__ import annotations

from pathlib import Path

import pytest

from nyeri.workforce.policy.loader import PACKS_DIR, PolicyPackError, all_packs, load_pack

REQUIRED_ACTIONS = {
    "see_patients",
    "record_assessment",
    "prescribe",
    "prescribe_controlled",
    "perform_procedure:injection",
    "perform_procedure:nerve_block",
    "perform_procedure:interventional_spine",
    "give_sedation",
    "monitor_sedation",  # asked of the monitoring nurse of every procedure under sedation
    "give_anesthesia",
    "operate_equipment:xray",
    "operate_equipment:c_arm",
    "operate_equipment:ultrasound",
    "operate_equipment:ct",
    "operate_equipment:mri",
    "verify_credentials",
    "approve_controlled_authorisation",
}


def test_the_shipped_packs_load_and_cover_every_action() -> None:
    packs = all_packs()
    assert set(packs) == {"ID", "US"}
    for pack in packs.values():
        assert set(pack.actions) >= REQUIRED_ACTIONS
        assert "pain_nursing" in pack.certifications
        assert all(entry.source for entry in pack.actions.values())


def test_named_requirement_sets_are_expanded_in_place() -> None:
    prescribe = all_packs()["ID"].actions["prescribe"]
    assert [r.kind for r in prescribe.requirements] == ["role", "credential", "credential"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def broken_pack(replacement: str) -> str:
    original = (PACKS_DIR / "ID.toml").read_text(encoding="utf-8")
    target = '{ kind = "credential", credential = "controlled_authorisation" }'
    assert target in original
    return original.replace(target, replacement)


def test_a_bad_file_is_rejected_naming_the_file_the_entry_and_the_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "ID.toml", broken_pack('{ kind = "credential", credential = "magic_wand" }'))
    with pytest.raises(PolicyPackError) as exc:
        load_pack(path)
    message = str(exc.value)
    assert "ID.toml" in message
    assert "(prescribe_controlled)" in message
    assert "magic_wand" in message or "Input should be" in message


def test_an_unknown_requirement_set_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "ID.toml", broken_pack('{ use = "nonexistent" }'))
    with pytest.raises(PolicyPackError, match="unknown requirement set 'nonexistent'"):
        load_pack(path)


def test_an_unknown_requirement_kind_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "ID.toml", broken_pack('{ kind = "horoscope" }'))
    with pytest.raises(PolicyPackError, match=r"ID\.toml: actions\[\d+\] \(prescribe_controlled\)"):
        load_pack(path)


def test_a_file_whose_name_does_not_match_its_jurisdiction_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "MY.toml", (PACKS_DIR / "ID.toml").read_text(encoding="utf-8"))
    with pytest.raises(PolicyPackError, match="does not match the file name"):
        load_pack(path)


def test_a_file_that_is_not_toml_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "ID.toml", "jurisdiction = ")
    with pytest.raises(PolicyPackError, match=r"ID\.toml: cannot be read"):
        load_pack(path)
