"""MME arithmetic: the CDC 2022 worked examples, patches, totals and quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nyeri.prescriptions import catalogue, mme


def mme_of(code: str, dose: str, doses_per_day: str) -> Decimal:
    med = catalogue.medication(code)
    assert med is not None
    factor = med.factor("CDC-2022")
    assert factor is not None
    return mme.item_mme(
        strength=med.strength,
        dose=Decimal(dose),
        doses_per_day=Decimal(doses_per_day),
        factor=factor.factor,
        table=factor.table,
        basis=factor.basis,
    ).mme_per_day


def test_the_cdc_worked_example_hydrocodone_5_mg_four_times_a_day_is_20_mme_a_day() -> None:
    assert mme_of("hydrocodone-apap-5-325-tab", "1", "4") == Decimal("20")


def test_the_cdc_worked_example_oxycodone_10_mg_twice_a_day_is_30_mme_a_day() -> None:
    assert mme_of("oxycodone-10mg-tab-er", "1", "2") == Decimal("30")


def test_the_formula_is_strength_times_doses_per_day_times_factor() -> None:
    result = mme.item_mme(
        strength=Decimal(10),
        dose=Decimal(1),
        doses_per_day=Decimal(2),
        factor=Decimal("1.5"),
        table="T",
        basis="mg_per_day",
    )
    assert (result.mme_per_day, result.factor, result.table) == (Decimal("30.00"), Decimal("1.5"), "T")


def test_two_tablets_a_dose_count_twice() -> None:
    assert mme_of("tramadol-50mg-cap", "2", "3") == Decimal("60")  # 50 mg x 2 x 3 x 0.2


def test_a_fentanyl_patch_counts_its_rate_whatever_the_change_interval() -> None:
    # CDC convention: mcg/h x 2.4; a patch changed every 72 hours is still 60 MME/day.
    assert mme_of("fentanyl-25mcgh-patch", "1", "0.333") == Decimal("60")
    assert mme_of("fentanyl-12mcgh-patch", "1", "0.333") == Decimal("28.8")


def test_factors_come_from_the_2022_table() -> None:
    assert mme_of("hydromorphone-8mg-tab-mr", "1", "1") == Decimal("40")  # 5, not the 2016 factor 4
    assert mme_of("methadone-5mg-tab", "1", "3") == Decimal("70.5")  # 4.7
    assert mme_of("codeine-10mg-tab", "1", "3") == Decimal("4.5")  # 0.15
    assert mme_of("tapentadol-50mg-tab", "1", "2") == Decimal("40")  # 0.4
    assert mme_of("morphine-30mg-tab-mr", "1", "2") == Decimal("60")  # 1


def test_buprenorphine_has_no_factor_and_says_why() -> None:
    med = catalogue.medication("buprenorphine-2mg-tab-sl")
    assert med is not None
    assert med.opioid
    assert med.factor("CDC-2022") is None
    assert "CDC 2022" in med.mme_note_en


def test_the_total_leaves_out_items_without_a_factor() -> None:
    assert mme.total([Decimal("20"), None, Decimal("30.5")]) == Decimal("50.50")


def test_the_quantity_is_rounded_up_to_whole_units() -> None:
    assert mme.quantity(dose=Decimal(1), doses_per_day=Decimal(2), days=14) == 28
    assert mme.quantity(dose=Decimal("0.5"), doses_per_day=Decimal(3), days=5) == 8
    assert mme.quantity(dose=Decimal(1), doses_per_day=Decimal("0.333"), days=30) == 10  # a patch every 72 hours
    assert mme.quantity(dose=Decimal(1), doses_per_day=Decimal("0.142"), days=28) == 4  # a weekly patch


@pytest.mark.parametrize("bad", [Decimal(0), Decimal(-1)])
def test_it_refuses_a_dose_that_is_not_positive(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="positive"):
        mme.item_mme(
            strength=Decimal(5), dose=bad, doses_per_day=Decimal(4), factor=Decimal(1), table="T", basis="mg_per_day"
        )
