"""Which state or union territory a PIN code delivers to, as its GST state code ("29" Karnataka).

GST charges CGST + SGST when goods go to the seller's own state and IGST otherwise, and the buyer's
state comes from the delivery PIN code. India Post gives each state its PIN codes by their first
digits; the table below keeps those ranges as data, longer prefixes marking the places inside a range
that belong elsewhere (Goa inside Maharashtra's 40, Chandigarh inside Punjab's 14-16).

Source: India Post's PIN code allotment by postal circle ("Postal Index Number", indiapost.gov.in;
the All India Pincode Directory on data.gov.in lists every office with its state). Near a state border
a few offices share a 3-digit prefix with the neighbouring state; there the larger state is named.
"""

from __future__ import annotations

# PIN prefix → GST state code. The longest prefix of a PIN that is listed here gives its state.
PIN_PREFIX_STATES: dict[str, str] = {
    # 1: Delhi, Haryana, Punjab, Himachal Pradesh, Jammu and Kashmir, Ladakh
    "11": "07",  # Delhi
    "12": "06",  # Haryana
    "13": "06",
    "14": "03",  # Punjab
    "15": "03",
    "16": "03",
    "160": "04",  # Chandigarh
    "17": "02",  # Himachal Pradesh
    "18": "01",  # Jammu and Kashmir
    "19": "01",
    "194": "38",  # Ladakh
    # 2: Uttar Pradesh, Uttarakhand
    "20": "09",  # Uttar Pradesh
    "21": "09",
    "22": "09",
    "23": "09",
    "24": "09",
    "246": "05",  # Uttarakhand: Garhwal
    "248": "05",  # Dehradun
    "249": "05",  # Haridwar, Rishikesh, Tehri, Uttarkashi
    "25": "09",
    "26": "09",
    "262": "05",  # Pithoragarh, Champawat (Pilibhit and Lakhimpur below)
    "2620": "09",
    "2627": "09",
    "2628": "09",
    "2629": "09",
    "263": "05",  # Nainital, Almora, Haldwani, Rudrapur
    "27": "09",
    "28": "09",
    # 3: Rajasthan, Gujarat, Dadra and Nagar Haveli and Daman and Diu
    "30": "08",  # Rajasthan
    "31": "08",
    "32": "08",
    "33": "08",
    "34": "08",
    "36": "24",  # Gujarat
    "362520": "26",  # Diu
    "37": "24",
    "38": "24",
    "39": "24",
    "39621": "26",  # Daman
    "39622": "26",
    "39623": "26",  # Silvassa, Dadra and Nagar Haveli
    "39624": "26",
    # 4: Maharashtra, Goa, Madhya Pradesh, Chhattisgarh
    "40": "27",  # Maharashtra
    "403": "30",  # Goa
    "41": "27",
    "42": "27",
    "43": "27",
    "44": "27",
    "45": "23",  # Madhya Pradesh
    "46": "23",
    "47": "23",
    "48": "23",
    "49": "22",  # Chhattisgarh
    # 5: Telangana, Andhra Pradesh, Karnataka
    "50": "36",  # Telangana
    "51": "37",  # Andhra Pradesh
    "52": "37",
    "53": "37",
    "533464": "34",  # Yanam, Puducherry
    "56": "29",  # Karnataka
    "57": "29",
    "58": "29",
    "59": "29",
    # 6: Tamil Nadu, Puducherry, Kerala, Lakshadweep
    "60": "33",  # Tamil Nadu
    "6050": "34",  # Puducherry
    "60960": "34",  # Karaikal, Puducherry
    "61": "33",
    "62": "33",
    "63": "33",
    "64": "33",
    "67": "32",  # Kerala
    "673310": "34",  # Mahe, Puducherry
    "68": "32",
    "68255": "31",  # Lakshadweep
    "69": "32",
    # 7: West Bengal, Sikkim, Andaman and Nicobar, Odisha, the North East
    "70": "19",  # West Bengal
    "71": "19",
    "72": "19",
    "73": "19",
    "737": "11",  # Sikkim
    "74": "19",
    "744": "35",  # Andaman and Nicobar Islands
    "75": "21",  # Odisha
    "76": "21",
    "77": "21",
    "78": "18",  # Assam
    "790": "12",  # Arunachal Pradesh
    "791": "12",
    "792": "12",
    "793": "17",  # Meghalaya
    "794": "17",
    "795": "14",  # Manipur
    "796": "15",  # Mizoram
    "797": "13",  # Nagaland
    "798": "13",
    "799": "16",  # Tripura
    # 8: Bihar, Jharkhand
    "80": "10",  # Bihar
    "81": "10",
    "814": "20",  # Jharkhand: Santhal Pargana
    "815": "20",
    "816": "20",
    "82": "20",  # Jharkhand
    "821": "10",  # Bihar: Rohtas, Gaya, Aurangabad
    "823": "10",
    "824": "10",
    "83": "20",
    "84": "10",  # Bihar
    "85": "10",
}


def state_for_pin(pin_code: str) -> str:
    """The GST state code of the state a PIN code delivers to; "" for a PIN India Post has not allotted."""
    for length in range(len(pin_code), 0, -1):
        state = PIN_PREFIX_STATES.get(pin_code[:length])
        if state is not None:
            return state
    return ""
