"""Default time zone of each participant (docs/i18n.md): the zone of its capital, or of its seat.

A participant's own `time_zone` wins; this table answers when it is blank. Countries spanning
several zones take the capital's (Washington: America/New_York, Canberra: Australia/Sydney).
Codes not listed fall back to UTC.
"""

from __future__ import annotations

DEFAULT_ZONES: dict[str, str] = {
    "ALB": "Europe/Tirane",
    "AUS": "Australia/Sydney",
    "AUT": "Europe/Vienna",
    "BEL": "Europe/Brussels",
    "BGR": "Europe/Sofia",
    "CAN": "America/Toronto",
    "CHE": "Europe/Zurich",
    "CHN": "Asia/Shanghai",
    "CYP": "Asia/Nicosia",
    "CZE": "Europe/Prague",
    "DEU": "Europe/Berlin",
    "DNK": "Europe/Copenhagen",
    "ESP": "Europe/Madrid",
    "EST": "Europe/Tallinn",
    "EU": "Europe/Brussels",
    "FIN": "Europe/Helsinki",
    "FRA": "Europe/Paris",
    "GBR": "Europe/London",
    "GRC": "Europe/Athens",
    "HRV": "Europe/Zagreb",
    "HUN": "Europe/Budapest",
    "IND": "Asia/Kolkata",
    "IRL": "Europe/Dublin",
    "ISL": "Atlantic/Reykjavik",
    "ITA": "Europe/Rome",
    "JOR": "Asia/Amman",
    "JPN": "Asia/Tokyo",
    "KEN": "Africa/Nairobi",
    "KOR": "Asia/Seoul",
    "LBR": "Africa/Monrovia",
    "LTU": "Europe/Vilnius",
    "LUX": "Europe/Luxembourg",
    "LVA": "Europe/Riga",
    "MAR": "Africa/Casablanca",
    "MKD": "Europe/Skopje",
    "MLT": "Europe/Malta",
    "MNE": "Europe/Podgorica",
    "NATO": "Europe/Brussels",
    "NLD": "Europe/Amsterdam",
    "NOR": "Europe/Oslo",
    "NZL": "Pacific/Auckland",
    "POL": "Europe/Warsaw",
    "PRT": "Europe/Lisbon",
    "ROU": "Europe/Bucharest",
    "SVK": "Europe/Bratislava",
    "SVN": "Europe/Ljubljana",
    "SWE": "Europe/Stockholm",
    "TUN": "Africa/Tunis",
    "TUR": "Europe/Istanbul",
    "TWN": "Asia/Taipei",
    "UKR": "Europe/Kyiv",
    "USA": "America/New_York",
}


def default_zone(code: str) -> str:
    """The default zone of the participant `code` (UTC when unknown)."""
    return DEFAULT_ZONES.get(code.upper(), "UTC")
