"""A delivery PIN code names the buyer's state, by its GST state code."""

import pytest

from dukaan.shipping.pins import PIN_PREFIX_STATES, state_for_pin

KNOWN_GST_STATES = {f"{code:02d}" for code in range(1, 39)} - {"25", "28"}  # 25, 28: merged or split away


@pytest.mark.parametrize(
    ("pin", "state"),
    [
        ("560038", "29"),  # Bengaluru, Karnataka
        ("400001", "27"),  # Mumbai, Maharashtra
        ("403001", "30"),  # Panaji, Goa
        ("110001", "07"),  # New Delhi
        ("122001", "06"),  # Gurugram, Haryana
        ("160017", "04"),  # Chandigarh
        ("141001", "03"),  # Ludhiana, Punjab
        ("194101", "38"),  # Leh, Ladakh
        ("190001", "01"),  # Srinagar
        ("248001", "05"),  # Dehradun, Uttarakhand
        ("226001", "09"),  # Lucknow, Uttar Pradesh
        ("262001", "09"),  # Pilibhit, Uttar Pradesh
        ("380001", "24"),  # Ahmedabad, Gujarat
        ("396230", "26"),  # Silvassa
        ("500001", "36"),  # Hyderabad, Telangana
        ("520001", "37"),  # Vijayawada, Andhra Pradesh
        ("600001", "33"),  # Chennai, Tamil Nadu
        ("605001", "34"),  # Puducherry
        ("682001", "32"),  # Kochi, Kerala
        ("700001", "19"),  # Kolkata, West Bengal
        ("737101", "11"),  # Gangtok, Sikkim
        ("744101", "35"),  # Port Blair
        ("781001", "18"),  # Guwahati, Assam
        ("793001", "17"),  # Shillong, Meghalaya
        ("799001", "16"),  # Agartala, Tripura
        ("800001", "10"),  # Patna, Bihar
        ("834001", "20"),  # Ranchi, Jharkhand
        ("751001", "21"),  # Bhubaneswar, Odisha
        ("492001", "22"),  # Raipur, Chhattisgarh
        ("462001", "23"),  # Bhopal, Madhya Pradesh
        ("302001", "08"),  # Jaipur, Rajasthan
        ("171001", "02"),  # Shimla, Himachal Pradesh
    ],
)
def test_a_pin_names_its_state(pin, state):
    assert state_for_pin(pin) == state


def test_a_pin_india_post_has_not_allotted_names_no_state():
    assert state_for_pin("350001") == ""


def test_every_listed_state_is_a_gst_state_code():
    assert set(PIN_PREFIX_STATES.values()) <= KNOWN_GST_STATES
    assert all(prefix.isdigit() and prefix[0] in "12345678" for prefix in PIN_PREFIX_STATES)
