"""Deterministic, realistic demo data for the embedded local stack.

``seed_clickhouse`` fills the five CDM/Jira/Tempo tables of the *embedded* ClickHouse (chdb only:
``admin_client`` refuses anything else); ``seed_postgres`` upserts the billing configuration that
goes with it (seller company, rate rules, project classifications, employee exclusions);
``seed_demo`` does both and is what ``python -m chalicelib.cli seed-demo`` calls.

Everything derives from one integer seed and a fixed ``today``; nothing reads the wall clock, so two
runs write identical rows. The reference data (customers, contracts, projects, people, issues and a
per employee/project/month work plan) is built in Python from ``random.Random`` streams; the bulk of
the worklogs is then expanded inside ClickHouse from that plan (``ARRAY JOIN range(n)`` with
``cityHash64(seed, worklog_id, salt)`` for every random attribute), which keeps scale 10 (~2M rows)
down to seconds.

The sync tables are ReplacingMergeTree and the data deliberately contains stale versions (re-synced
worklogs and issues, deletion markers). Each table is written by a single INSERT with
``optimize_on_insert=0`` so that it lands as one part: nothing collapses the stale versions on insert,
and a lone part gives the background merger nothing to merge, so readers really must use FINAL/argMax.

All names, tax ids and bank details are fictitious (foreign banks are real institutions, but every
account number is made up).
"""
from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Sequence

from .clickhouse_admin import admin_client, create_tables, truncate_tables

DEFAULT_SEED = 20261001
DEFAULT_TODAY = date(2026, 11, 1)
WINDOW_MONTHS = 12  # worklogs cover the 12 calendar months before `today`'s month (and `today`'s month so far)
DEMO_TAG = "demo:"  # PostgreSQL rows owned by the seed carry this prefix in note/reason
STAGING_DB = "_demo_seed"

__all__ = ["seed_clickhouse", "seed_application_scale", "seed_postgres", "seed_demo", "build_model", "main",
           "DEFAULT_SEED", "DEFAULT_TODAY"]


# ------------------------------------------------------------------------------------------------
# Calendar
# ------------------------------------------------------------------------------------------------

# Public holidays in Uzbekistan: fixed dates plus the two Eids, which move with the lunar calendar.
_FIXED_HOLIDAYS = {(1, 1), (3, 8), (3, 21), (5, 9), (9, 1), (10, 1), (12, 8)}
_MOVING_HOLIDAYS = {date(2024, 4, 10), date(2024, 6, 16), date(2025, 3, 30), date(2025, 6, 6),
                    date(2026, 3, 20), date(2026, 5, 27), date(2027, 3, 10), date(2027, 5, 16),
                    date(2028, 2, 27), date(2028, 5, 5)}


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS and day not in _MOVING_HOLIDAYS


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(first: date) -> date:
    return add_months(first, 1) - timedelta(days=1)


def window(today: date) -> tuple[date, date]:
    """The demo period: from the first day 12 months before ``today``'s month up to yesterday."""
    return add_months(today, -WINDOW_MONTHS), today - timedelta(days=1)


# ------------------------------------------------------------------------------------------------
# Name pools and catalogues
# ------------------------------------------------------------------------------------------------

UZ_MALE = ["Jasur", "Sardor", "Bekzod", "Otabek", "Aziz", "Jamshid", "Sherzod", "Dilshod", "Farrux",
           "Javlon", "Ulug'bek", "Rustam", "Timur", "Nodir", "Shoxrux", "Akmal", "Eldor", "Doniyor",
           "Islom", "Sanjar", "Abdulla", "Bobur", "Zafar", "Ravshan", "Oybek", "Anvar", "Jahongir",
           "Sirojiddin", "Asilbek", "Humoyun"]
UZ_FEMALE = ["Dilnoza", "Madina", "Nilufar", "Gulnora", "Shahnoza", "Malika", "Kamola", "Zarina",
             "Feruza", "Sevara", "Nodira", "Dildora", "Mohira", "Laylo", "Munisa", "Sitora", "Yulduz",
             "Mavluda", "Gulchehra", "Rayhona"]
UZ_SURNAMES = ["Karimov", "Yusupov", "Rahimov", "Abdullayev", "Tursunov", "Ismoilov", "Nazarov",
               "Xolmatov", "Qodirov", "Mirzayev", "Ergashev", "Saidov", "Aliyev", "Umarov", "Sharipov",
               "Hasanov", "Jo'rayev", "Qosimov", "Sultonov", "Tojiboyev", "Mahmudov", "Usmonov",
               "Xudoyberdiyev", "Norboyev", "To'xtayev", "Valiyev", "Fayziyev", "Azimov", "Rasulov",
               "Olimov"]
RU_MALE = ["Aleksandr", "Dmitriy", "Sergey", "Ruslan", "Pavel", "Artem", "Denis", "Vladimir", "Igor",
           "Maksim", "Nikolay", "Vadim"]
RU_FEMALE = ["Elena", "Viktoriya", "Anna", "Olga", "Marina", "Irina", "Kseniya", "Yekaterina",
             "Natalya", "Svetlana"]
RU_SURNAMES = [("Kim", "Kim"), ("Pak", "Pak"), ("Li", "Li"), ("Tsoy", "Tsoy"), ("Ten", "Ten"),
               ("Shin", "Shin"), ("Khan", "Khan"), ("Ivanov", "Ivanova"), ("Smirnov", "Smirnova"),
               ("Galiev", "Galieva"), ("Nikolaev", "Nikolaeva"), ("Volkov", "Volkova"),
               ("Kuznetsov", "Kuznetsova"), ("Morozov", "Morozova"), ("Sadykov", "Sadykova"),
               ("Zakirov", "Zakirova")]

FOREIGN_NAMES = {
    "US": ["Michael Thompson", "Jennifer Lee", "David Miller", "Sarah Johnson", "Robert Garcia",
           "Emily Davis", "James Wilson", "Jessica Martinez", "Brian Anderson", "Amanda Clark",
           "Kevin O'Brien", "Rachel Nguyen"],
    "DE": ["Thomas Müller", "Stefan Schneider", "Julia Fischer", "Andreas Weber", "Katrin Wagner",
           "Markus Becker", "Sabine Hoffmann", "Jan Schäfer", "Lena Krüger"],
    "GB": ["Oliver Bennett", "Charlotte Hughes", "James Whitaker", "Sophie Turner", "Harry Collins",
           "Emma Richardson", "George Ellis"],
    "AE": ["Ahmed Al Mansoori", "Fatima Al Hashimi", "Omar Khalifa", "Rashid Al Nuaimi", "Priya Menon",
           "Rahul Nair"],
    "NL": ["Daan de Vries", "Sanne Jansen", "Lars Bakker", "Eva Visser", "Thijs van Dijk"],
    "EE": ["Kristjan Tamm", "Liis Saar", "Martin Kask", "Kadri Mägi", "Siim Lepp"],
    "KZ": ["Nurlan Abenov", "Aigerim Seitkali", "Yerlan Dzhaksybekov", "Dana Nurpeisova", "Arman Tokayev"],
    "CY": ["Andreas Georgiou", "Maria Christodoulou", "Nikos Ioannou", "Elena Constantinou", "Christos Pavlou",
           "Sofia Antoniou"],
    "SG": ["Wei Ming Tan", "Hui Min Lim", "Rajesh Kumar", "Siti Rahman", "Jun Jie Ong"],
    "CH": ["Lukas Meier", "Anna Keller", "Reto Brunner", "Nina Baumann", "Claudia Frei", "Matthias Huber"],
    "TR": ["Mehmet Yılmaz", "Ayşe Demir", "Emre Kaya", "Zeynep Çelik", "Burak Şahin"],
}
SIGNER_POSITIONS = {"US": ["CEO", "CFO", "President"], "DE": ["Geschäftsführer"],
                    "GB": ["Managing Director", "Director"], "AE": ["General Manager", "Managing Director"],
                    "NL": ["Managing Director"],
                    "EE": ["Management Board Member"], "KZ": ["Director General"], "CY": ["Director"],
                    "SG": ["Managing Director"], "CH": ["CEO", "Mitglied der Geschäftsleitung"],
                    "TR": ["Genel Müdür"]}

# (customer code, country, trading name, legal name, address, e-mail domain)
CUSTOMERS: list[tuple[str, str, str, str, str, str]] = [
    ("IPAK", "UZ", "Ipak Yo'li Logistika", "\"IPAK YO'LI LOGISTIKA\" MChJ",
     "100060, Toshkent sh., Mirobod tumani, Nukus ko'chasi, 24", "ipakyoli-logistika.uz"),
    ("SAMAG", "UZ", "Samarqand Agro Eksport", "\"SAMARQAND AGRO EKSPORT\" MChJ",
     "140100, Samarqand sh., Registon ko'chasi, 12A", "samagro.uz"),
    ("TRS", "UZ", "Toshkent Raqamli Savdo", "\"TOSHKENT RAQAMLI SAVDO\" AJ",
     "100084, Toshkent sh., Yunusobod tumani, Amir Temur shoh ko'chasi, 107B", "trsavdo.uz"),
    ("BUXT", "UZ", "Buxoro Tekstil Klaster", "\"BUXORO TEKSTIL KLASTER\" MChJ",
     "200100, Buxoro sh., Piridastgir ko'chasi, 3", "buxtex.uz"),
    ("FNS", "UZ", "Farg'ona Neft Servis", "\"FARG'ONA NEFT SERVIS\" MChJ",
     "150100, Farg'ona sh., Mustaqillik ko'chasi, 45", "fns-servis.uz"),
    ("NKT", "UZ", "Navoiy Kon Texnika", "\"NAVOIY KON TEXNIKA\" AJ",
     "210100, Navoiy sh., G'alaba shoh ko'chasi, 27", "navoiykontex.uz"),
    ("XTUR", "UZ", "Xorazm Turizm Markazi", "\"XORAZM TURIZM MARKAZI\" MChJ",
     "220100, Urganch sh., Al-Xorazmiy ko'chasi, 18", "xorazmtour.uz"),
    ("ANDA", "UZ", "Andijon Avto Komponent", "\"ANDIJON AVTO KOMPONENT\" MChJ",
     "170100, Andijon sh., Bobur shoh ko'chasi, 56", "andavto.uz"),
    ("SHIFO", "UZ", "Shifo Farm Distribyutsiya", "\"SHIFO FARM DISTRIBYUTSIYA\" MChJ",
     "100115, Toshkent sh., Chilonzor tumani, Bunyodkor shoh ko'chasi, 9", "shifofarm.uz"),
    ("OLTIN", "UZ", "Oltin Meros Sug'urta", "\"OLTIN MEROS SUG'URTA\" AJ",
     "100011, Toshkent sh., Shayxontohur tumani, Navoiy ko'chasi, 30", "oltinmeros.uz"),
    ("MRDP", "US", "Meridian Pay", "Meridian Pay, Inc.",
     "548 Market St, Suite 9120, San Francisco, CA 94104, USA", "meridianpay.com"),
    ("BRTL", "US", "Brightline Health", "Brightline Health Inc.",
     "600 Congress Ave, Floor 14, Austin, TX 78701, USA", "brightlinehealth.com"),
    ("CBLT", "US", "Cobalt Freight", "Cobalt Freight LLC",
     "222 W Merchandise Mart Plaza, Suite 1212, Chicago, IL 60654, USA", "cobaltfreight.com"),
    ("HRBR", "US", "Harborview Analytics", "Harborview Analytics Inc.",
     "1 Financial Center, 21st Floor, Boston, MA 02111, USA", "harborview.ai"),
    ("NORD", "DE", "Nordlicht Energie", "Nordlicht Energie GmbH",
     "Großer Burstah 31, 20457 Hamburg, Germany", "nordlicht-energie.de"),
    ("KESS", "DE", "Kessler Maschinenbau", "Kessler Maschinenbau GmbH",
     "Heilbronner Straße 150, 70191 Stuttgart, Germany", "kessler-mb.de"),
    ("FAHR", "DE", "Fahrwerk Mobility", "Fahrwerk Mobility GmbH",
     "Torstraße 49, 10119 Berlin, Germany", "fahrwerk.io"),
    ("THAM", "GB", "Thameside Insurance Brokers", "Thameside Insurance Brokers Ltd",
     "30 St Mary Axe, London EC3A 8BF, United Kingdom", "thameside-ib.co.uk"),
    ("GRWY", "GB", "Greenway Retail", "Greenway Retail Group Ltd",
     "1 Spinningfields, Manchester M3 3JE, United Kingdom", "greenwayretail.co.uk"),
    ("FLCN", "AE", "Falcon Gate Trading", "Falcon Gate Trading FZ-LLC",
     "Office 1204, Building 3, Dubai Internet City, Dubai, United Arab Emirates", "falcongate.ae"),
    ("OASIS", "AE", "Oasis Proptech", "Oasis Proptech DMCC",
     "Unit 2708, Jumeirah Bay X2, Jumeirah Lake Towers, Dubai, United Arab Emirates", "oasisproptech.com"),
    ("TULP", "NL", "Tulp Logistics", "Tulp Logistics B.V.",
     "Wilhelminakade 91, 3072 AP Rotterdam, Netherlands", "tulplogistics.nl"),
    ("BLTC", "EE", "Baltic Ledger", "Baltic Ledger OÜ",
     "Narva mnt 5, 10117 Tallinn, Estonia", "balticledger.ee"),
    ("STEP", "KZ", "Steppe Telecom", "Steppe Telecom LLP",
     "Al-Farabi Ave 77/7, Almaty 050040, Kazakhstan", "steppetelecom.kz"),
    ("APHR", "CY", "Aphrodite Games", "Aphrodite Games Ltd",
     "Arch. Makariou III 195, Neocleous House, 3030 Limassol, Cyprus", "aphroditegames.com"),
    ("LION", "SG", "Lion City Commerce", "Lion City Commerce Pte. Ltd.",
     "8 Marina View, #30-01 Asia Square Tower 1, Singapore 018960", "lioncity.sg"),
    ("ALPN", "CH", "Alpenrose Medtech", "Alpenrose Medtech AG",
     "Baarerstrasse 14, 6300 Zug, Switzerland", "alpenrose-medtech.ch"),
    ("BOSF", "TR", "Bosphorus Tekstil", "Bosphorus Tekstil A.Ş.",
     "Büyükdere Cad. No:185, 34394 Levent, İstanbul, Türkiye", "bosphorustekstil.com.tr"),
]

# Fictitious Uzbek banks: (name, SWIFT).
UZ_BANKS = [("ATB \"Turon Kapital Bank\"", "TKBKUZ22"), ("AKB \"Sharq Savdo Bank\"", "SSBAUZ22"),
            ("AT \"Milliy Hamkor Bank\"", "MHBKUZ2X"), ("ATB \"Registon Invest Bank\"", "RIBKUZ22"),
            ("AKB \"Oqsaroy Bank\"", "OQSAUZ22")]
# Foreign banks: (name, SWIFT, IBAN BBAN layout or None for a plain account number).
# BBAN layout letters: n = digit, a = upper-case letter, c = digit or letter.
FOREIGN_BANKS = {
    "US": [("JPMorgan Chase Bank, N.A.", "CHASUS33", None), ("Bank of America, N.A.", "BOFAUS3N", None)],
    "DE": [("Deutsche Bank AG", "DEUTDEFF", "8n10n"), ("Commerzbank AG", "COBADEFF", "8n10n")],
    "GB": [("Barclays Bank UK PLC", "BUKBGB22", "4a6n8n"), ("HSBC UK Bank plc", "HBUKGB4B", "4a6n8n")],
    "AE": [("Emirates NBD Bank PJSC", "EBILAEAD", "3n16n"), ("Mashreq Bank PSC", "BOMLAEAD", "3n16n")],
    "NL": [("ING Bank N.V.", "INGBNL2A", "4a10n")],
    "EE": [("AS LHV Pank", "LHVBEE22", "2n2n11n1n")],
    "KZ": [("Halyk Bank JSC", "HSBKKZKX", "3n13c")],
    "CY": [("Bank of Cyprus Public Company Ltd", "BCYPCY2N", "3n5n16c")],
    "SG": [("DBS Bank Ltd", "DBSSSGSG", None)],
    "CH": [("UBS Switzerland AG", "UBSWCHZH80A", "5n12c")],
    "TR": [("Türkiye Garanti Bankası A.Ş.", "TGBATRIS", "5n1n16c")],
}
COUNTRY_PHONE = {"UZ": "+998", "US": "+1", "DE": "+49", "GB": "+44", "AE": "+971", "NL": "+31", "EE": "+372",
                 "KZ": "+7", "CY": "+357", "SG": "+65", "CH": "+41", "TR": "+90"}

# Contracts. (application_key, customer code, deal type, currency, Jira projects, life cycle, demand in
# FTE). Life cycle: ("long",) started before the window; ("new", m, day) starts in window month m;
# ("ended", m) ends at the end of window month m; ("span", m1, day, m2) starts and ends in the window;
# ("paused", m) no work since window month m; ("future_end", n) ends n months after the window;
# ("closed_before", n) ended n months before the window (no worklogs at all).
LARGEST_APPLICATION = "MRDP-HR"
HOURS_PER_FTE = 175  # hours (billable_seconds, else time spent) a full-time person logs on a contract per month
APPLICATIONS: list[tuple[str, str, str, str, tuple[str, ...], tuple, float]] = [
    ("MRDP-HR", "MRDP", "HR", "USD", ("MRDP", "MRDPM", "MRDPOPS"), ("long",), 17.0),
    ("MRDP-SUP", "MRDP", "SUP", "USD", ("MRDPS",), ("long",), 1.4),
    ("BRTL-FP", "BRTL", "FP", "USD", ("BRTL", "BRTLQA"), ("ended", 4), 3.0),
    ("BRTL-SUP", "BRTL", "SUP", "USD", ("BRTLS",), ("new", 5, 15), 1.1),
    ("CBLT-HR", "CBLT", "HR", "USD", ("CBLT", "CBLTAPI"), ("long",), 4.0),
    ("HRBR-SUP", "HRBR", "SUP", "USD", ("HRBR",), ("long",), 0.12),
    ("HRBR-FP", "HRBR", "FP", "USD", ("HRBRBI",), ("span", 3, 2, 9), 2.0),
    ("NORD-HR", "NORD", "HR", "EUR", ("NORD", "NORDIOT"), ("long",), 5.0),
    ("NORD-SUP", "NORD", "SUP", "EUR", ("NORDS",), ("long",), 1.0),
    ("KESS-FP", "KESS", "FP", "EUR", ("KESS",), ("future_end", 2), 3.0),
    ("KESS-SUP", "KESS", "SUP", "EUR", ("KESSS",), ("paused", 8), 0.6),
    ("FAHR-HR", "FAHR", "HR", "EUR", ("FAHR", "FAHRAPP"), ("new", 2, 12), 3.5),
    ("THAM-SUP", "THAM", "SUP", "USD", ("THAM",), ("long",), 2.0),
    ("THAM-HR", "THAM", "HR", "USD", ("THAMDW",), ("ended", 6), 2.0),
    ("GRWY-FP", "GRWY", "FP", "USD", ("GRWY", "GRWYM"), ("long",), 3.0),
    ("GRWY-SUP", "GRWY", "SUP", "USD", ("GRWYS",), ("long",), 0.7),
    ("FLCN-HR", "FLCN", "HR", "USD", ("FLCN",), ("long",), 4.0),
    ("OASIS-FP", "OASIS", "FP", "USD", ("OASIS", "OASISW"), ("new", 6, 4), 2.5),
    ("OASIS-SUP", "OASIS", "SUP", "USD", ("OASISS",), ("closed_before", 1), 0.5),
    ("TULP-HR", "TULP", "HR", "EUR", ("TULP",), ("long",), 2.5),
    ("TULP-SUP", "TULP", "SUP", "EUR", ("TULPS",), ("long",), 0.6),
    ("BLTC-FP", "BLTC", "FP", "EUR", ("BLTC",), ("ended", 3), 2.0),
    ("BLTC-HR", "BLTC", "HR", "EUR", ("BLTCH",), ("new", 4, 2), 2.0),
    ("STEP-SUP", "STEP", "SUP", "USD", ("STEP", "STEPB"), ("long",), 1.5),
    ("APHR-HR", "APHR", "HR", "EUR", ("APHR", "APHRU"), ("long",), 3.5),
    ("LION-SUP", "LION", "SUP", "USD", ("LION",), ("long",), 1.0),
    ("LION-FP", "LION", "FP", "USD", ("LIONM",), ("new", 9, 17), 2.0),
    ("ALPN-FP", "ALPN", "FP", "EUR", ("ALPN",), ("long",), 2.0),
    ("ALPN-SUP", "ALPN", "SUP", "EUR", ("ALPNS",), ("long",), 0.07),
    ("BOSF-HR", "BOSF", "HR", "USD", ("BOSF",), ("paused", 10), 2.0),
    ("IPAK-SUP", "IPAK", "SUP", "UZS", ("IPAK",), ("long",), 1.5),
    ("IPAK-FP", "IPAK", "FP", "UZS", ("IPAKWMS", "IPAKM"), ("long",), 3.0),
    ("SAMAG-HR", "SAMAG", "HR", "UZS", ("SAMAG",), ("long",), 2.0),
    ("TRS-SUP", "TRS", "SUP", "UZS", ("TRS", "TRSPOS"), ("long",), 2.5),
    ("TRS-HR", "TRS", "HR", "USD", ("TRSECOM",), ("long",), 4.0),
    ("BUXT-FP", "BUXT", "FP", "UZS", ("BUXT",), ("ended", 5), 1.5),
    ("FNS-SUP", "FNS", "SUP", "UZS", ("FNS",), ("long",), 0.1),
    ("NKT-HR", "NKT", "HR", "UZS", ("NKT", "NKTERP"), ("long",), 3.0),
    ("NKT-SUP", "NKT", "SUP", "UZS", ("NKTS",), ("new", 7, 1), 0.6),
    ("XTUR-FP", "XTUR", "FP", "UZS", ("XTUR",), ("span", 1, 15, 7), 1.5),
    ("ANDA-SUP", "ANDA", "SUP", "UZS", ("ANDA",), ("paused", 6), 0.5),
    ("SHIFO-HR", "SHIFO", "HR", "UZS", ("SHIFO", "SHIFOM"), ("long",), 2.5),
    ("SHIFO-SUP", "SHIFO", "SUP", "UZS", ("SHIFOS",), ("long",), 0.1),
    ("OLTIN-FP", "OLTIN", "FP", "UZS", ("OLTIN",), ("long",), 2.5),
    ("OLTIN-SUP", "OLTIN", "SUP", "USD", ("OLTINS",), ("long",), 0.7),
]
APPLICATION_TITLES = {
    "SUP": ["Support and maintenance retainer", "24/7 production support", "L2/L3 support retainer",
            "Application support and small changes"],
    "HR": ["Dedicated development team", "Staff augmentation (time and materials)", "Extended engineering team",
           "Dedicated QA and development team"],
    "FP": ["Fixed-price delivery", "Platform rebuild (fixed price)", "MVP delivery (fixed scope)",
           "Integration project (fixed price)"],
}
PROJECT_TOPICS = {
    "MRDP": "payments platform", "MRDPM": "merchant mobile app", "MRDPOPS": "delivery management",
    "MRDPS": "payments support", "BRTL": "patient portal", "BRTLQA": "test automation",
    "BRTLS": "patient portal support", "CBLT": "freight booking", "CBLTAPI": "carrier API",
    "HRBR": "analytics support", "HRBRBI": "BI warehouse", "NORD": "energy trading desk",
    "NORDIOT": "smart meter platform", "NORDS": "trading desk support", "KESS": "service portal",
    "KESSS": "service portal support", "FAHR": "fleet platform", "FAHRAPP": "driver app",
    "THAM": "broker CRM support", "THAMDW": "claims data warehouse", "GRWY": "e-commerce replatforming",
    "GRWYM": "loyalty mobile app", "GRWYS": "store systems support", "FLCN": "trade finance portal",
    "OASIS": "property marketplace", "OASISW": "agent web app", "OASISS": "marketplace support",
    "TULP": "warehouse management", "TULPS": "WMS support", "BLTC": "ledger MVP", "BLTCH": "ledger platform",
    "STEP": "billing support", "STEPB": "BSS integration", "APHR": "game backend", "APHRU": "Unity client",
    "LION": "storefront support", "LIONM": "marketplace app", "ALPN": "device telemetry portal",
    "ALPNS": "telemetry support", "BOSF": "ERP integration", "IPAK": "logistics support",
    "IPAKWMS": "warehouse system", "IPAKM": "courier app", "SAMAG": "export CRM", "TRS": "online store support",
    "TRSPOS": "POS integration", "TRSECOM": "e-commerce platform", "BUXT": "production planning",
    "FNS": "field service support", "NKT": "maintenance system", "NKTERP": "1C ERP integration",
    "NKTS": "maintenance support", "XTUR": "booking portal", "ANDA": "supplier portal support",
    "SHIFO": "pharmacy distribution", "SHIFOM": "sales rep app", "SHIFOS": "distribution support",
    "OLTIN": "policy administration", "OLTINS": "insurance portal support",
    "INT": "internal tooling", "OPS": "operations and overhead", "EDU": "training and mentoring",
    "PRE": "presales and estimates",
}
# Internal projects that belong to no application, and application projects that are not billable.
INTERNAL_PROJECTS = ("INT", "OPS", "EDU", "PRE")
NON_BILLABLE_CLASSIFICATION = {
    "INT": ("internal", "internal tooling, never billed"),
    "OPS": ("overhead", "company meetings, admin and timesheets"),
    "EDU": ("internal", "training and mentoring"),
    "PRE": ("overhead", "presales and estimates"),
    "MRDPOPS": ("overhead", "delivery management is covered by the rate, not billed separately"),
    "BRTLQA": ("internal", "our own test automation, not in the contract scope"),
}
EXPLICIT_BILLABLE = {"MRDP": "main contract scope", "NORD": "confirmed with the customer",
                     "IPAKWMS": "confirmed billable after scope review"}

ISSUE_TYPES = ("Bug", "Incident", "Support", "Task", "Story", "Consulting", "Epic", "Sub-task")
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest", None)
TYPE_MIX = {
    "sup": {"Support": 34, "Incident": 14, "Bug": 20, "Task": 14, "Consulting": 10, "Story": 4, "Sub-task": 3,
            "Epic": 1},
    "dev": {"Story": 28, "Task": 24, "Sub-task": 18, "Bug": 17, "Epic": 4, "Consulting": 4, "Support": 3,
            "Incident": 2},
    "mixed": {"Story": 22, "Task": 18, "Sub-task": 14, "Bug": 18, "Incident": 10, "Support": 8, "Consulting": 6,
              "Epic": 4},
    "internal": {"Task": 55, "Support": 15, "Consulting": 10, "Story": 8, "Sub-task": 8, "Epic": 4},
}
PRIORITY_MIX = {
    "default": (4, 18, 52, 16, 4, 6),
    "Incident": (30, 40, 22, 4, 0, 4),
    "Epic": (2, 10, 30, 5, 3, 50),
}
COMPONENTS = ["payment gateway", "login page", "invoice export", "user profile", "search", "reporting dashboard",
              "notification service", "admin panel", "SMS OTP", "REST API", "data sync", "CRM integration",
              "1C integration", "Payme/Click integration", "PDF generation", "warehouse module", "loyalty program",
              "onboarding flow", "audit log", "push notifications", "price list import", "role management",
              "mobile checkout", "Telegram bot", "Kafka consumer", "nightly ETL"]
SUMMARIES = {
    "Bug": ["{c}: 500 error on save", "{c}: wrong totals after currency conversion", "{c}: timeout under load",
            "{c}: incorrect date format in Uzbek locale", "{c}: crash on Android 14", "{c}: duplicate records",
            "{c}: missing Russian translation", "{c}: rounding difference of 0.01"],
    "Incident": ["Production outage: {c} unavailable", "Degraded performance of {c}", "Failed nightly run of {c}",
                 "TLS certificate expired on {c}", "Elevated error rate in {c}", "Data inconsistency in {c}"],
    "Support": ["Question about {c}", "Access request for {c}", "Data correction request in {c}",
                "Export request: {c} report", "How to configure {c}", "User cannot log in ({c})"],
    "Task": ["Update {c} configuration", "Migrate {c} to PostgreSQL 16", "Add monitoring for {c}",
             "Upgrade dependencies of {c}", "Clean up feature flags in {c}", "Rotate credentials for {c}"],
    "Story": ["As a customer I can pay by card in {c}", "As an operator I can filter {c} by date",
              "As an admin I can export {c} to Excel", "As a manager I see KPIs of {c}",
              "As a user I receive a notification from {c}", "As an accountant I can reconcile {c}"],
    "Consulting": ["Architecture review of {c}", "Workshop: {c} roadmap", "Estimate changes to {c}",
                   "Security assessment of {c}", "Advice on scaling {c}"],
    "Epic": ["{C} v2", "{C} redesign", "{C} improvements", "{C} compliance", "{C} launch"],
    "Sub-task": ["Backend for {c}", "Tests for {c}", "UI for {c}", "Code review: {c}", "Migration script for {c}"],
}
LABELS = ["backend", "frontend", "mobile", "devops", "db", "urgent", "customer-reported", "regression",
          "security", "ux", "tech-debt"]

# Worklog descriptions, chosen in ClickHouse by hash. Index 0 of each kind: development, support, internal.
DESCRIPTIONS = {
    0: ["Implementation", "Code review", "Refactoring", "Unit tests", "Sprint planning", "Daily stand-up",
        "Backlog refinement", "Fixed review comments", "Deployment to staging", "API integration",
        "Investigated failing tests", "Pair programming", "Demo to the customer", "Technical design",
        "Database migration", "Performance tuning", "Разработка", "Код-ревью", "Созвон с заказчиком",
        "Исправление замечаний", "Testlash", "Mijoz bilan uchrashuv", ""],
    1: ["Investigated customer ticket", "Reproduced issue on staging", "Call with customer support team",
        "Hotfix deployed to production", "Monitoring after release", "Analysed logs and metrics",
        "Answered customer question", "Updated runbook", "Data fix in production", "Root cause analysis",
        "On-call handover", "Разбор инцидента", "Ответ на обращение", "Xatolikni tahlil qilish", ""],
    2: ["Team meeting", "1:1", "Hiring interview", "Internal training", "Knowledge sharing session",
        "Timesheet and admin", "Onboarding", "Mentoring", "Estimate for presales", "Internal tooling",
        "Планёрка", "Ichki yig'ilish", ""],
}

ROLES = {  # role: (count at scale 1, mean worklogs per working day, share of time on internal projects)
    "developer": (68, 7.5, {"INT": 0.03, "OPS": 0.04, "EDU": 0.01}),
    "qa": (19, 8.5, {"OPS": 0.04, "INT": 0.02}),
    "support": (16, 10.0, {"OPS": 0.05, "INT": 0.02}),
    "devops": (9, 7.5, {"INT": 0.10, "OPS": 0.04}),
    "pm": (11, 8.5, {"OPS": 0.06, "PRE": 0.10}),
    "designer": (5, 6.0, {"OPS": 0.04, "PRE": 0.03}),
    "intern": (5, 6.5, {"EDU": 0.25, "OPS": 0.05}),
}
ROLE_PREFERENCE = {"SUP": ("support", "devops", "developer", "qa"),
                   "HR": ("developer", "qa", "designer", "devops", "pm"),
                   "FP": ("developer", "pm", "qa", "designer", "devops")}


# ------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------

@dataclass
class Project:
    key: str
    application_key: str | None
    kind: str          # issue mix: sup | dev | mixed | internal
    worklog_kind: int  # 0 development, 1 support, 2 internal/overhead (descriptions, durations, billable share)
    weight: float      # share of the application's effort
    first_issue: int


@dataclass
class AppPlan:
    row: dict[str, Any]
    projects: list[str]
    demand: float
    work_from: date | None  # worklogs are generated within [work_from, work_to]
    work_to: date | None


@dataclass
class Employee:
    account_id: str
    name: str
    role: str
    per_day: float
    hired: date
    left: date | None
    vacation: tuple[date, date]
    assignments: list[tuple[str, float]] = field(default_factory=list)  # (project key, share of time)


@dataclass
class Model:
    seed: int
    today: date
    window_start: date
    window_end: date
    customers: list[dict[str, Any]]
    customer_versions: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    applications: dict[str, AppPlan]
    application_versions: list[dict[str, Any]]
    projects: dict[str, Project]
    employees: list[Employee]

    def employee(self, role: str | None, application_key: str | None = None, nth: int = 0) -> Employee:
        """The ``nth`` person (in seed order) with ``role`` (any if None) working on ``application_key``."""
        found = [e for e in self.employees if role in (None, e.role) and (
            application_key is None or any(self.projects[p].application_key == application_key
                                           for p, _ in e.assignments))]
        return found[nth]


def _rng(seed: int, stream: str) -> random.Random:
    # A separate stream per aspect: adding a customer does not reshuffle every worklog.
    return random.Random(f"{seed}/{stream}")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _iban(rng: random.Random, country: str, layout: str, swift: str) -> str:
    """An IBAN with valid check digits; a leading 4-letter bank code is the bank's (as in GB and NL)."""
    bban = ""
    for count, kind in _layout(layout):
        if not bban and (count, kind) == (4, "a"):
            bban = swift[:4]
            continue
        alphabet = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                    "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}[kind]
        bban += "".join(rng.choice(alphabet) for _ in range(count))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _layout(layout: str) -> list[tuple[int, str]]:
    parts, number = [], ""
    for ch in layout:
        if ch.isdigit():
            number += ch
        else:
            parts.append((int(number), ch))
            number = ""
    return parts


def _ascii(text: str) -> str:
    table = str.maketrans({"'": "", "ü": "u", "ä": "a", "ö": "o", "ß": "ss", "ı": "i", "ş": "s", "ç": "c",
                           "ğ": "g", "İ": "I", "Ş": "S", "Ç": "C", "Ö": "O", "Ü": "U", " ": "."})
    return text.translate(table).lower()


def _uz_person(rng: random.Random) -> tuple[str, str, bool]:
    """(first name, surname, female) of someone from Tashkent."""
    female = rng.random() < 0.35
    if rng.random() < 0.72:
        first = rng.choice(UZ_FEMALE if female else UZ_MALE)
        surname = rng.choice(UZ_SURNAMES) + ("a" if female else "")
    else:
        first = rng.choice(RU_FEMALE if female else RU_MALE)
        male_form, female_form = rng.choice(RU_SURNAMES)
        surname = female_form if female else male_form
    return first, surname, female


def _uz_phone(rng: random.Random, mobile: bool = True) -> str:
    if mobile:
        return f"+998 {rng.choice(['90', '91', '93', '94', '97', '98', '99', '88', '33'])} " \
               f"{_digits(rng, 3)} {_digits(rng, 2)} {_digits(rng, 2)}"
    return f"+998 71 {rng.choice('2')}{_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)}"


def _foreign_phone(rng: random.Random, country: str) -> str:
    if country == "US":
        return f"+1 ({rng.choice(['415', '512', '312', '617', '646'])}) 555-01{_digits(rng, 2)}"
    if country == "GB":
        return f"+44 20 7946 0{_digits(rng, 3)}"
    return f"{COUNTRY_PHONE[country]} {_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 4)}"


def _build_customers(seed: int, today: date) -> tuple[list[dict], list[dict], list[dict]]:
    rng = _rng(seed, "customers")
    customers, versions, contacts = [], [], []
    synced = datetime.combine(today - timedelta(days=3), datetime.min.time()) + timedelta(hours=4, minutes=12)
    contact_no = 1000
    signers: set[str] = set()
    for code, country, name, legal, address, domain in CUSTOMERS:
        key = _ascii(name).replace(".", "-")
        if country == "UZ":
            bank, swift = rng.choice(UZ_BANKS)
            branch = address.split(",")[1].strip().replace(" sh.", "")
            bank_name = f"{bank} {branch} filiali"
            tin = rng.choice("23") + _digits(rng, 8)
            account = "20208000" + rng.choice("0123456789") + _digits(rng, 8) + "001"
            bank_code = "0" + _digits(rng, 4)
            first, surname, female = _uz_person(rng)
            father = rng.choice(UZ_MALE).replace("'", "")
            signer = f"{surname} {first} {father}{'ovna' if female else 'ovich'}"
            position = "Boshqaruv raisi" if legal.endswith("AJ") else rng.choice(["Direktor", "Bosh direktor"])
            email = f"{rng.choice(['buxgalteriya', 'moliya', 'info', 'hisob'])}@{domain}"
        else:
            bank_name, swift, layout = rng.choice(FOREIGN_BANKS[country])
            tin = _foreign_tin(rng, country)
            if layout:
                account = _iban(rng, country, layout, swift)
                bank_code = {"DE": account[4:12], "GB": f"{account[8:10]}-{account[10:12]}-{account[12:14]}"}.get(
                    country, "")
            else:
                account = _digits(rng, 10 if country == "SG" else 12)
                bank_code = rng.choice("012") + _digits(rng, 8) if country == "US" else ""
            signer = rng.choice([n for n in FOREIGN_NAMES[country] if n not in signers])
            signers.add(signer)
            position = rng.choice(SIGNER_POSITIONS[country])
            email = f"{rng.choice(['accounts.payable', 'ap', 'billing', 'finance', 'invoices'])}@{domain}"
        row = {
            "customer_key": key, "name": name, "legal_name": legal, "tin": tin, "country": country,
            "address": address, "bank_name": bank_name, "bank_account": account, "bank_code": bank_code,
            "swift": swift, "signer_name": signer, "signer_position": position, "email": email,
            "updated_at": synced - timedelta(days=rng.randint(20, 400), minutes=rng.randint(0, 600)),
        }
        customers.append(row)
        if rng.random() < 0.15:
            # An earlier sync before the customer changed bank details: readers must take the latest.
            old = dict(row, bank_account=account[:-3] + _digits(rng, 3), email=f"office@{domain}",
                       updated_at=row["updated_at"] - timedelta(days=rng.randint(30, 300)))
            versions.append(old)
        people = []
        for role, primary in (("billing", 1), ("signer", 0), ("technical", 0)) + (
                (("billing", 0),) if rng.random() < 0.35 else ()) + (
                (("technical", 0),) if rng.random() < 0.4 else ()):
            if role == "signer":
                person = signer
            elif country == "UZ":
                first, surname, _ = _uz_person(rng)
                person = f"{first} {surname}"
            else:
                person = rng.choice([n for n in FOREIGN_NAMES[country] if n != signer and n not in people])
            people.append(person)
            local = _ascii(person.split(" ")[0] + " " + person.split(" ")[-1]) if country != "UZ" or role != "signer" \
                else _ascii(person.split(" ")[1] + " " + person.split(" ")[0])
            contact_no += rng.randint(1, 7)
            contacts.append({
                "contact_id": f"CT{contact_no:06d}", "customer_key": key, "name": person,
                "email": f"{local}@{domain}",
                "phone": _uz_phone(rng, mobile=role != "billing") if country == "UZ" else _foreign_phone(rng, country),
                "role": role, "is_primary": primary,
                "updated_at": row["updated_at"] + timedelta(minutes=rng.randint(1, 60 * 24 * 10)),
            })
    return customers, versions, contacts


def _foreign_tin(rng: random.Random, country: str) -> str:
    return {
        "US": lambda: f"{_digits(rng, 2)}-{_digits(rng, 7)}",
        "DE": lambda: "DE" + rng.choice("123") + _digits(rng, 8),
        "GB": lambda: "GB" + _digits(rng, 9),
        "AE": lambda: "100" + _digits(rng, 12),
        "NL": lambda: "NL" + _digits(rng, 9) + "B01",
        "EE": lambda: "EE10" + _digits(rng, 7),
        "KZ": lambda: _digits(rng, 12),
        "CY": lambda: "CY1" + _digits(rng, 7) + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"),
        "SG": lambda: "20" + _digits(rng, 7) + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"),
        "CH": lambda: f"CHE-{_digits(rng, 3)}.{_digits(rng, 3)}.{_digits(rng, 3)} MWST",
        "TR": lambda: _digits(rng, 10),
    }[country]()


def _money(value: float, step: int) -> Decimal:
    return Decimal(max(step, int(round(value / step)) * step)).quantize(Decimal("0.01"))


def _build_applications(seed: int, today: date, customers: list[dict]) -> tuple[dict[str, AppPlan], list[dict]]:
    rng = _rng(seed, "applications")
    start, end = window(today)
    by_code = {c[0]: cust for c, cust in zip(CUSTOMERS, customers)}
    plans: dict[str, AppPlan] = {}
    pending = []
    staffed = staffed_demand()
    for key, code, deal, currency, projects, life, demand in APPLICATIONS:
        customer = by_code[code]
        resident = customer["country"] == "UZ"
        kind = life[0]
        work_from, work_to, end_date, status = start, end, None, "active"
        if kind in ("long", "ended", "paused", "future_end"):
            start_date = add_months(start, -rng.randint(2, 52)) + timedelta(days=rng.choice([0, 0, 0, 9, 14]))
        elif kind in ("new", "span"):
            start_date = add_months(start, life[1]) + timedelta(days=life[2] - 1)
            work_from = start_date
        else:  # closed_before
            start_date = add_months(start, -life[1] - rng.randint(14, 30))
        if kind == "ended":
            end_date = month_end(add_months(start, life[1]))
        elif kind == "span":
            end_date = month_end(add_months(start, life[3]))
        elif kind == "future_end":
            end_date = month_end(add_months(start, WINDOW_MONTHS + life[1]))
        elif kind == "closed_before":
            end_date = add_months(start, -life[1]) - timedelta(days=1)
            work_from = work_to = None
        if end_date is not None and end_date < today:
            status = "closed"
            if work_to is not None:
                work_to = min(work_to, end_date)
        if kind == "paused":
            status = "paused"
            work_to = add_months(start, life[1]) - timedelta(days=1)
        # Employees log time before a contract is signed only in real life; keep the demo clean.
        work_from = max(work_from, start_date) if work_from else None

        big = currency in ("USD", "EUR")
        if big:
            rate = {"HR": (28, 55), "SUP": (35, 80), "FP": (30, 60)}[deal]
            hourly = Decimal(rng.randint(rate[0] * 2, rate[1] * 2)) / 2
            if key == LARGEST_APPLICATION:
                hourly = Decimal(42)
        else:
            rate = {"HR": (150, 400), "SUP": (250, 600), "FP": (200, 450)}[deal]
            hourly = Decimal(rng.randint(rate[0] // 5, rate[1] // 5) * 5000)
        hourly = hourly.quantize(Decimal("0.01"))
        hours_per_month = staffed.get(key, demand) * HOURS_PER_FTE  # what the team will log in a month
        monthly_fee = included = fixed = hours_limit = min_minutes = None
        if deal == "SUP":
            if hours_per_month < 30:
                included = Decimal(rng.choice(["10.50", "12.50", "15.00", "20.00"]))
            else:
                raw = hours_per_month * rng.uniform(0.6, 1.1)
                included = Decimal(int(raw / 5) * 5 + rng.choice([0, 0, 0.5])).quantize(Decimal("0.01"))
            monthly_fee = _money(float(included * hourly) * rng.uniform(0.8, 0.92), 50 if big else 100_000)
            min_minutes = rng.choice([None, 15, 15, 30])
        elif deal == "HR":
            if key != LARGEST_APPLICATION and rng.random() < 0.45:
                hours_limit = int(hours_per_month * rng.uniform(0.92, 1.12) / 10) * 10
            min_minutes = rng.choice([None, None, None, 15])
        else:
            fixed = _money(hours_per_month * float(hourly) * rng.uniform(0.95, 1.25), 500 if big else 1_000_000)
        contract_date = start_date - timedelta(days=rng.randint(3, 30))
        row = {
            "application_key": key, "customer_key": customer["customer_key"],
            "title": f"{customer['name']} — {rng.choice(APPLICATION_TITLES[deal])}",
            "deal_type": deal, "status": status, "currency": currency, "hourly_rate": hourly,
            "monthly_fee": monthly_fee, "included_hours": included, "fixed_amount": fixed,
            "hours_limit": hours_limit, "min_billable_minutes": min_minutes,
            "vat_rate": Decimal("12.00") if resident else Decimal("0.00"),
            "jira_project_keys": list(projects), "contract_number": "", "contract_date": contract_date,
            "start_date": start_date, "end_date": end_date,
            "updated_at": datetime.combine(
                max(contract_date, min(today, end_date or today) - timedelta(days=rng.randint(3, 150))),
                datetime.min.time()) + timedelta(hours=rng.randint(6, 20), minutes=rng.randint(0, 59)),
        }
        pending.append(row)
        plans[key] = AppPlan(row, list(projects), demand, work_from, work_to)
    # Contract numbers run per year in signing order: PRX-C-2025/014.
    per_year: dict[int, int] = {}
    for row in sorted(pending, key=lambda r: (r["contract_date"], r["application_key"])):
        year = row["contract_date"].year
        per_year[year] = per_year.get(year, rng.randint(2, 9)) + rng.randint(1, 3)
        row["contract_number"] = f"PRX-C-{year}/{per_year[year]:03d}"
    versions = []
    for key in sorted(plans):
        row = plans[key].row
        if row["status"] == "active" and rng.random() < 0.12:
            # The rate was raised; the sync still holds the previous version of the row.
            older = dict(row, hourly_rate=(row["hourly_rate"] * Decimal("0.9")).quantize(Decimal("1.00")),
                         updated_at=row["updated_at"] - timedelta(days=rng.randint(60, 200)))
            versions.append(older)
    return plans, versions


def _build_projects(seed: int, plans: dict[str, AppPlan]) -> dict[str, Project]:
    rng = _rng(seed, "projects")
    projects: dict[str, Project] = {}
    shares = {1: [1.0], 2: [0.72, 0.28], 3: [0.62, 0.26, 0.12]}
    for key, plan in plans.items():
        deal = plan.row["deal_type"]
        for share, project in zip(shares[len(plan.projects)], plan.projects):
            internal = project in NON_BILLABLE_CLASSIFICATION
            kind = "internal" if internal else "mixed" if key == LARGEST_APPLICATION else \
                "sup" if deal == "SUP" else "dev"
            worklog_kind = 2 if internal else 1 if deal == "SUP" else 0
            projects[project] = Project(project, key, kind, worklog_kind, share, rng.randint(1, 40) * 25)
    for project in INTERNAL_PROJECTS:
        projects[project] = Project(project, None, "internal", 2, 1.0, rng.randint(1, 20) * 10)
    return projects


def _account_id(rng: random.Random) -> str:
    """Atlassian account ids: mostly ``712020:<uuid>``, some ``557058:<uuid>``, a few legacy 24-hex ids."""
    if rng.random() < 0.8:
        prefix = "712020"
    elif rng.random() < 0.5:
        prefix = "557058"
    else:
        return _hex(rng, 24)
    return f"{prefix}:{_hex(rng, 8)}-{_hex(rng, 4)}-4{_hex(rng, 3)}-{rng.choice('89ab')}{_hex(rng, 3)}-{_hex(rng, 12)}"


def _build_employees(seed: int, today: date, plans: dict[str, AppPlan],
                     projects: dict[str, Project]) -> list[Employee]:
    rng = _rng(seed, "employees")
    start, end = window(today)
    employees: list[Employee] = []
    names: set[str] = set()
    for role, (count, per_day, _) in ROLES.items():
        for _ in range(count):
            while True:
                first, surname, _female = _uz_person(rng)
                name = f"{first} {surname}"
                if name not in names:
                    names.add(name)
                    break
            hired = add_months(start, -rng.randint(1, 60)) + timedelta(days=rng.randint(0, 27))
            left = None
            roll = rng.random()
            if role == "intern":
                hired = add_months(start, rng.randint(3, 6)) + timedelta(days=rng.randint(0, 10))
            elif roll < 0.09:
                hired = add_months(start, rng.randint(1, 9)) + timedelta(days=rng.randint(0, 20))
            elif roll < 0.15:
                left = month_end(add_months(start, rng.randint(2, 10)))
            vacation_start = add_months(start, rng.randint(0, WINDOW_MONTHS - 1)) + timedelta(days=rng.randint(0, 20))
            employees.append(Employee(_account_id(rng), name, role, per_day * rng.uniform(0.8, 1.2), hired, left,
                                      (vacation_start, vacation_start + timedelta(days=13))))
    # Each person's time: a little on internal projects, the rest on customer contracts.
    capacity = []
    for person in employees:
        internal = ROLES[person.role][2]
        person.assignments.extend(sorted(internal.items()))
        capacity.append(1.0 - sum(internal.values()))
    demand = staffed_demand()
    order = [LARGEST_APPLICATION] + sorted((k for k in demand if k != LARGEST_APPLICATION),
                                           key=lambda k: (-demand[k], k))
    for key in order:
        need = demand[key]
        deal = plans[key].row["deal_type"]
        chunk = {"HR": 1.0, "FP": 0.75, "SUP": 0.5}[deal]
        preference = ROLE_PREFERENCE[deal]
        while need > 0.01:
            candidates = [i for i, left in enumerate(capacity) if left >= 0.05]
            if not candidates:
                break
            jitter = {i: rng.random() for i in candidates}
            best = min(candidates, key=lambda i: (
                preference.index(employees[i].role) if employees[i].role in preference else len(preference),
                -round(capacity[i], 1), jitter[i]))
            take = min(need, capacity[best], chunk)
            capacity[best] -= take
            need -= take
            for project in plans[key].projects:
                employees[best].assignments.append((project, take * projects[project].weight))
    # Whoever is left over (interns, mostly) joins the largest team: its trainee hours show up there.
    for index, left in enumerate(capacity):
        if left >= 0.05:
            for project in plans[LARGEST_APPLICATION].projects:
                employees[index].assignments.append((project, left * projects[project].weight))
    return employees


def staffed_demand() -> dict[str, float]:
    """FTE per contract with everybody busy: the others share what the largest contract leaves, pro rata."""
    capacity = sum(count * (1.0 - sum(internal.values())) for count, _, internal in ROLES.values())
    demand = {key: fte for key, _customer, _deal, _currency, _projects, life, fte in APPLICATIONS
              if life[0] != "closed_before"}
    others = sum(v for k, v in demand.items() if k != LARGEST_APPLICATION)
    room = capacity * 0.97 - demand[LARGEST_APPLICATION]
    return {k: v if k == LARGEST_APPLICATION else v * room / others for k, v in demand.items()}


@lru_cache(maxsize=8)
def build_model(seed: int = DEFAULT_SEED, today: date = DEFAULT_TODAY) -> Model:
    """Reference data shared by the ClickHouse and PostgreSQL seeds (independent of ``scale``)."""
    customers, customer_versions, contacts = _build_customers(seed, today)
    plans, app_versions = _build_applications(seed, today, customers)
    projects = _build_projects(seed, plans)
    employees = _build_employees(seed, today, plans, projects)
    start, end = window(today)
    return Model(seed, today, start, end, customers, customer_versions, contacts, plans, app_versions,
                 projects, employees)


# ------------------------------------------------------------------------------------------------
# Workload: people at scale, issues, and the plan the worklogs are expanded from
# ------------------------------------------------------------------------------------------------

@dataclass
class Workload:
    employees: list[Employee]
    issues: list[dict[str, Any]]          # every stored version
    plan: dict[str, list]                 # column-oriented staging rows
    ghost_issue_keys: list[str]


def _employees_at_scale(model: Model, scale: int) -> tuple[list[Employee], int]:
    """Scale the team moderately (×round(√scale)) by cloning people with their assignments."""
    factor = max(1, round(math.sqrt(scale)))
    if factor == 1:
        return list(model.employees), 1
    rng = _rng(model.seed, f"clones/{scale}")
    people = list(model.employees)
    names = {e.name for e in people}
    for _ in range(1, factor):
        for person in model.employees:
            while True:
                first, surname, _ = _uz_person(rng)
                name = f"{first} {surname}"
                if name not in names:
                    break
                name = f"{first} {surname} {rng.choice('ABDEKMNORSTUXZ')}."
                if name not in names:
                    break
            names.add(name)
            shift = timedelta(days=rng.randint(0, 300))
            people.append(Employee(_account_id(rng), name, person.role, person.per_day * rng.uniform(0.9, 1.1),
                                   person.hired, person.left,
                                   (person.vacation[0] + shift, person.vacation[1] + shift),
                                   list(person.assignments)))
    return people, factor


def _month_factor(key: str | None, month: int, rng: random.Random) -> float:
    factor = rng.uniform(0.86, 1.14)
    if key == LARGEST_APPLICATION:
        # Steady growth, and a release crunch two months before the window ends.
        factor = (0.82 + 0.3 * month / (WINDOW_MONTHS - 1)) * rng.uniform(0.97, 1.03)
        if month == WINDOW_MONTHS - 2:
            factor *= 1.35
    return factor


def build_workload(model: Model, scale: int = 1) -> Workload:
    rng = _rng(model.seed, f"workload/{scale}")
    employees, factor = _employees_at_scale(model, scale)
    per_block = scale / factor
    months = [add_months(model.window_start, m) for m in range(WINDOW_MONTHS + 1)]
    months = [m for m in months if m <= model.window_end]
    working = {m: [d for d in (m + timedelta(days=i) for i in range((month_end(m) - m).days + 1))
                   if is_working_day(d) and d <= model.window_end] for m in months}
    app_factor = {(key, i): _month_factor(key, i, rng)
                  for key in sorted(model.applications) for i in range(len(months))}

    blocks = []  # (month index, project, employee index, count, days)
    for index, month in enumerate(months):
        for e_index, person in enumerate(employees):
            days_employed = [d for d in working[month]
                             if d >= person.hired and (person.left is None or d <= person.left)
                             and not person.vacation[0] <= d <= person.vacation[1]]
            if not days_employed:
                continue
            for project_key, share in person.assignments:
                project = model.projects[project_key]
                key = project.application_key
                days = days_employed
                if key is not None:
                    plan = model.applications[key]
                    if plan.work_from is None:
                        continue
                    days = [d for d in days if plan.work_from <= d <= plan.work_to]
                    if not days:
                        continue
                expected = len(days) * person.per_day * share * per_block
                expected *= app_factor.get((key, index), 1.0) * rng.uniform(0.85, 1.15)
                count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
                if count:
                    blocks.append((index, project_key, e_index, count, days))
    blocks.sort(key=lambda b: (b[0], b[1], b[2]))

    # Issues: a pool per project sized to its worklogs, numbered in creation order over the project's life.
    per_project: dict[str, int] = {}
    for _, project_key, _, count, _ in blocks:
        per_project[project_key] = per_project.get(project_key, 0) + count
    issue_rng = _rng(model.seed, f"issues/{scale}")
    issues: list[dict[str, Any]] = []
    pools: dict[str, tuple[list[str], list[date], list[str]]] = {}
    ghosts: dict[str, list[str]] = {}
    for project_key in sorted(model.projects):
        project = model.projects[project_key]
        total = per_project.get(project_key, 0)
        size = max(6, math.ceil(total / 18))
        if project.application_key:
            plan = model.applications[project.application_key]
            life_from = (plan.work_from or plan.row["start_date"]) - timedelta(days=30)
            life_to = plan.work_to or plan.row["end_date"] or model.window_end
        else:
            life_from, life_to = model.window_start - timedelta(days=60), model.window_end
        keys, created_days, types = _project_issues(model, project, size, life_from, life_to, issue_rng, issues)
        pools[project_key] = (keys, created_days, types)
        last = project.first_issue + size + issue_rng.randint(1, 4)
        ghosts[project_key] = [f"{project_key}-{last + i}" for i in range(3)]

    block_rng = _rng(model.seed, f"blocks/{scale}")
    plan_cols: dict[str, list] = {name: [] for name in
                                  ("id_base", "cnt", "project_key", "account_id", "author_name", "kind", "days",
                                   "issues")}
    next_id = 1_204_000 + block_rng.randint(0, 9_999)
    used_ghosts: list[str] = []
    for index, project_key, e_index, count, days in blocks:
        keys, created_days, types = pools[project_key]
        month = months[index]
        hi = bisect.bisect_right(created_days, month_end(month))
        lo = bisect.bisect_left(created_days, month - timedelta(days=45))
        lo, hi = min(lo, max(0, hi - 3)), max(hi, 1)
        wanted = max(1, min(25, round(math.sqrt(count) * 1.6)))
        chosen: list[str] = []
        for _ in range(wanted * 3):
            if len(chosen) >= wanted:
                break
            pick = block_rng.randrange(lo, hi) if block_rng.random() < 0.82 else block_rng.randrange(0, hi)
            if types[pick] == "Epic" and block_rng.random() < 0.85:
                continue
            if keys[pick] not in chosen:
                chosen.append(keys[pick])
        if not chosen:
            chosen.append(keys[lo])
        if block_rng.random() < 0.03:
            ghost = block_rng.choice(ghosts[project_key])
            chosen.append(ghost)
            used_ghosts.append(ghost)
        person = employees[e_index]
        plan_cols["id_base"].append(next_id)
        plan_cols["cnt"].append(count)
        plan_cols["project_key"].append(project_key)
        plan_cols["account_id"].append(person.account_id)
        plan_cols["author_name"].append(person.name)
        plan_cols["kind"].append(model.projects[project_key].worklog_kind)
        plan_cols["days"].append(days)
        plan_cols["issues"].append(chosen)
        next_id += count + block_rng.randint(0, 3)  # gaps: worklogs deleted in Tempo before any sync saw them
    return Workload(employees, issues, plan_cols, sorted(set(used_ghosts)))


def _weighted(rng: random.Random, weights: dict[str, int] | Sequence[tuple[Any, int]]):
    items = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _project_issues(model: Model, project: Project, size: int, life_from: date, life_to: date,
                    rng: random.Random, out: list[dict[str, Any]]) -> tuple[list[str], list[date], list[str]]:
    keys, created_days, types = [], [], []
    epics: list[str] = []
    topic = PROJECT_TOPICS.get(project.key, "platform")
    span = max(1, (life_to - life_from).days)
    cap = datetime.combine(model.today, datetime.min.time()) + timedelta(hours=3)
    for i in range(size):
        number = project.first_issue + i
        key = f"{project.key}-{number}"
        created = datetime.combine(life_from + timedelta(days=span * i // size), datetime.min.time()) + \
            timedelta(hours=rng.randint(8, 18), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        issue_type = _weighted(rng, TYPE_MIX[project.kind])
        priorities = PRIORITY_MIX.get(issue_type, PRIORITY_MIX["default"])
        priority = _weighted(rng, list(zip(PRIORITIES, priorities)))
        component = rng.choice(COMPONENTS)
        summary = rng.choice(SUMMARIES[issue_type]).format(c=component, C=component[:1].upper() + component[1:])
        if project.kind == "internal":
            summary = f"{summary} ({topic})"
        age = (cap - created).days
        if age < 30:
            status = _weighted(rng, {"To Do": 25, "In Progress": 35, "In Review": 15, "Done": 25})
        elif issue_type in ("Support", "Incident"):
            status = _weighted(rng, {"Resolved": 55, "Closed": 30, "In Progress": 8, "Waiting for customer": 7})
        else:
            status = _weighted(rng, {"Done": 62, "Closed": 15, "In Progress": 9, "To Do": 6, "In Review": 4,
                                     "Won't Do": 4})
        epic_key = None
        if issue_type in ("Story", "Task", "Bug") and epics and rng.random() < 0.55:
            epic_key = rng.choice(epics[-4:])
        labels = sorted(rng.sample(LABELS, rng.choice([0, 0, 1, 1, 1, 2])))
        updated = min(cap - timedelta(minutes=rng.randint(5, 600)),
                      created + timedelta(hours=rng.randint(1, 24 * 75), minutes=rng.randint(0, 59)))
        row = {"issue_key": key, "project_key": project.key, "issue_type": issue_type, "priority": priority,
               "summary": summary, "status": status, "epic_key": epic_key, "labels": labels, "updated_at": updated}
        if updated - created > timedelta(hours=2) and rng.random() < 0.08:
            # A stale version from an earlier sync, often with a different priority or status.
            older_priority = priority if rng.random() < 0.6 else rng.choice(PRIORITIES)
            out.append(dict(row, status=rng.choice(["To Do", "In Progress"]), priority=older_priority,
                            labels=labels[:1], updated_at=created + (updated - created) / 2))
        out.append(row)
        if issue_type == "Epic":
            epics.append(key)
        keys.append(key)
        created_days.append(created.date())
        types.append(issue_type)
    return keys, created_days, types


# ------------------------------------------------------------------------------------------------
# ClickHouse
# ------------------------------------------------------------------------------------------------

def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values) + "]"


_WORKLOG_SQL = """
INSERT INTO tempo.worklogs_flat
    (worklog_id, issue_key, project_key, account_id, author_name, started_at, work_date,
     time_spent_seconds, billable_seconds, description, is_deleted, updated_at)
WITH
    {seed} AS s,
    toDateTime('{cap_latest}') AS cap_latest,
    toDateTime('{cap_deleted}') AS cap_deleted,
    [{descriptions}] AS descriptions,
    [[30, 520, 850, 985], [60, 650, 900, 990], [20, 700, 950, 995]] AS duration_cuts
SELECT worklog_id, issue_key, project_key, account_id, author_name, started_at, work_date,
       if(version = 1, old_spent, spent),
       if(version = 1, old_billable, billable),
       description,
       toUInt8(version = 2),
       multiIf(version = 0, updated, version = 1, old_updated, deleted_at)
FROM
(
    SELECT
        p.id_base + i AS worklog_id,
        p.project_key AS project_key, p.account_id AS account_id, p.author_name AS author_name,
        p.issues[1 + least(cityHash64(s, worklog_id, 1) % length(p.issues),
                           cityHash64(s, worklog_id, 2) % length(p.issues))] AS issue_key,
        -- spread evenly over the block's days (a rotated round-robin), so nobody logs 14 hours one day
        -- and 2 the next; worklog ids then grow with the date, as in Tempo
        p.days[1 + (intDiv(i * length(p.days), p.cnt) + cityHash64(s, p.id_base, 3)) % length(p.days)] AS work_date,
        cityHash64(s, worklog_id, 4) % 1000 AS u,
        duration_cuts[p.kind + 1] AS cuts,
        cityHash64(s, worklog_id, 5) AS h5,
        multiIf(u < cuts[1], 300 + h5 % 540, u < cuts[2], 900 + h5 % 1800, u < cuts[3], 2700 + h5 % 4500,
                u < cuts[4], 7200 + h5 % 7200, 14400 + h5 % 7200) AS raw_spent,
        cityHash64(s, worklog_id, 6) % 10 AS rounding,
        toUInt32(multiIf(rounding < 3, greatest(900, intDiv(raw_spent + 450, 900) * 900),
                         rounding < 5, greatest(60, intDiv(raw_spent, 60) * 60),
                         raw_spent)) AS spent,
        cityHash64(s, worklog_id, 7) % 100 AS b,
        if(p.kind = 2,
           multiIf(b < 55, toNullable(toUInt32(0)), b < 85, CAST(NULL AS Nullable(UInt32)), toNullable(spent)),
           multiIf(b < 12, CAST(NULL AS Nullable(UInt32)), b < 17, toNullable(toUInt32(0)),
                   b < 30, toNullable(toUInt32(intDiv(spent * (50 + cityHash64(s, worklog_id, 8) % 46), 100))),
                   toNullable(spent))) AS billable,
        toDateTime(work_date) + 9 * 3600
            + intDiv(cityHash64(s, worklog_id, 9) % greatest(60, 9 * 3600 - spent), 60) * 60 AS started_at,
        cityHash64(s, worklog_id, 10) % 1000 < 50 AS resynced,
        cityHash64(s, worklog_id, 11) % 1000 < 10 AS deleted,
        least(cap_latest, started_at + spent + 120 + cityHash64(s, worklog_id, 12) % 172800
              + if(resynced, 3600 + cityHash64(s, worklog_id, 13) % 518400, 0)) AS updated,
        toUInt32(greatest(60, toInt64(spent)
              + if(cityHash64(s, worklog_id, 14) % 2 = 0, 1, -1) * toInt64(300 + cityHash64(s, worklog_id, 15) % 3300)))
            AS old_spent,
        if(billable IS NULL, CAST(NULL AS Nullable(UInt32)),
           if(billable = spent, toNullable(old_spent), toNullable(least(assumeNotNull(billable), old_spent))))
            AS old_billable,
        started_at + spent + 60 + cityHash64(s, worklog_id, 16) % 60 AS old_updated,
        least(cap_deleted, updated + 600 + cityHash64(s, worklog_id, 17) % 432000) AS deleted_at,
        if(cityHash64(s, worklog_id, 18) % 10 = 0, '',
           descriptions[p.kind + 1][1 + cityHash64(s, worklog_id, 19) % length(descriptions[p.kind + 1])])
            AS description
    FROM {staging}.plan AS p
    ARRAY JOIN range(p.cnt) AS i
)
ARRAY JOIN arrayConcat([0], if(resynced, [1], []), if(deleted, [2], [])) AS version
"""

# One INSERT -> one part, and no collapsing on insert: the stale versions stay visible to raw reads.
_ONE_PART = {"optimize_on_insert": 0, "max_insert_block_size": 100_000_000,
             "min_insert_block_size_rows": 100_000_000, "min_insert_block_size_bytes": 0,
             "max_insert_threads": 1}


def seed_clickhouse(url: str, *, scale: int = 1, seed: int = DEFAULT_SEED,
                    today: date = DEFAULT_TODAY) -> dict[str, Any]:
    """Rewrite the five CDM/Jira/Tempo tables of the embedded ClickHouse with demo data.

    Refuses (``NotEmbedded``) any URL but ``chdb://...``. Idempotent: the tables are truncated first and
    the same ``seed``/``scale``/``today`` always give the same rows. Returns counts.
    """
    if not isinstance(scale, int) or scale < 1:
        raise ValueError("scale must be a positive integer")
    client = admin_client(url)  # raises NotEmbedded for anything but the embedded engine
    began = time.perf_counter()
    model = build_model(seed, today)
    workload = build_workload(model, scale)
    planned = time.perf_counter()

    create_tables(client)
    truncate_tables(client)
    _insert_rows(client, "cdm.jira_customers", model.customer_versions + model.customers)
    _insert_rows(client, "cdm.jira_contacts", model.contacts)
    _insert_rows(client, "cdm.jira_applications",
                 model.application_versions + [model.applications[k].row for k in sorted(model.applications)])
    _insert_rows(client, "jira.jira_issues", workload.issues)

    client.command(f"DROP DATABASE IF EXISTS {STAGING_DB}")
    client.command(f"CREATE DATABASE {STAGING_DB}")
    try:
        client.command(f"CREATE TABLE {STAGING_DB}.plan (id_base UInt64, cnt UInt32, project_key String, "
                       "account_id String, author_name String, kind UInt8, days Array(Date), issues Array(String)) "
                       "ENGINE = Memory")
        names = list(workload.plan)
        client.insert(f"{STAGING_DB}.plan", [workload.plan[n] for n in names], column_names=names,
                      column_oriented=True)
        descriptions = ", ".join(_sql_list(DESCRIPTIONS[k]) for k in (0, 1, 2))
        sql = _WORKLOG_SQL.format(
            seed=int(seed), descriptions=descriptions, staging=STAGING_DB,
            cap_latest=(datetime.combine(today, datetime.min.time()) + timedelta(hours=5)).isoformat(sep=" "),
            cap_deleted=(datetime.combine(today, datetime.min.time()) + timedelta(hours=6)).isoformat(sep=" "))
        client.command(sql, settings=_ONE_PART)
    finally:
        client.command(f"DROP DATABASE IF EXISTS {STAGING_DB}")
    written = time.perf_counter()

    counts = clickhouse_counts(client)
    counts.update({
        "scale": scale, "seed": seed, "today": today.isoformat(),
        "window": [model.window_start.isoformat(), model.window_end.isoformat()],
        "projects": len(model.projects), "employees_planned": len(workload.employees),
        "ghost_issue_keys": len(workload.ghost_issue_keys),
        "seconds": {"plan": round(planned - began, 2), "write": round(written - planned, 2),
                    "total": round(time.perf_counter() - began, 2)},
    })
    return counts


# ------------------------------------------------------------------------------------------------
# Applications scale: many synthetic contracts in one month, on top of the demo data (bench/generate.py)
# ------------------------------------------------------------------------------------------------

SYNTHETIC_PREFIX = "SYN"
_SYNTHETIC_ID_BASE = 5_000_000_000  # far above the demo worklog ids
_SYNTHETIC_ISSUES = 60  # per synthetic project
_SYNTHETIC_PEOPLE = 15  # per synthetic project

_SYNTHETIC_ISSUES_SQL = """
INSERT INTO jira.jira_issues (issue_key, project_key, issue_type, priority, summary, status, epic_key, labels,
                              updated_at)
SELECT concat(project_key, '-', toString(n % {issues} + 1)), project_key,
       ['Task', 'Story', 'Bug', 'Incident', 'Support', 'Consulting', 'Spike'][1 + cityHash64({seed}, n, 1) % 7],
       [NULL, 'Highest', 'High', 'Medium', 'Low'][1 + cityHash64({seed}, n, 2) % 5],
       'Synthetic issue', 'Open', NULL, [], toDateTime('{sync}')
FROM (SELECT number AS n, concat('{prefix}', leftPad(toString(intDiv(number, {issues})), 4, '0')) AS project_key
      FROM numbers({apps} * {issues}))
"""

# Same shape as the demo worklogs: 5% re-synced (an older version with another duration), 1% deleted
# afterwards, 10% NULL and 4% zero billable seconds; ids grow with nothing in particular.
_SYNTHETIC_WORKLOGS_SQL = """
INSERT INTO tempo.worklogs_flat
    (worklog_id, issue_key, project_key, account_id, author_name, started_at, work_date,
     time_spent_seconds, billable_seconds, description, is_deleted, updated_at)
SELECT worklog_id, issue_key, project_key, account_id, author_name, started_at, work_date,
       if(version = 1, toUInt32(spent + 600), spent), if(version = 1, toNullable(toUInt32(spent + 600)), billable),
       '', toUInt8(version = 2),
       multiIf(version = 0, updated, version = 1, updated - 86400, updated + 3600)
FROM (
    SELECT {id_base} + number AS worklog_id,
           number % {apps} AS a,
           concat('{prefix}', leftPad(toString(a), 4, '0')) AS project_key,
           concat(project_key, '-', toString(1 + cityHash64({seed}, worklog_id, 1) % {issues})) AS issue_key,
           cityHash64({seed}, worklog_id, 2) % {people} AS person,
           concat('syn-', toString(a), '-', toString(person)) AS account_id,
           concat('Synthetic person ', toString(a), '/', toString(person)) AS author_name,
           toDate('{first}') + cityHash64({seed}, worklog_id, 3) % {days} AS work_date,
           toDateTime(work_date) + 8 * 3600 + cityHash64({seed}, worklog_id, 4) % 36000 AS started_at,
           toUInt32(120 + cityHash64({seed}, worklog_id, 5) % 7200) AS spent,
           cityHash64({seed}, worklog_id, 6) % 100 AS b,
           multiIf(b < 10, CAST(NULL AS Nullable(UInt32)), b < 14, toNullable(toUInt32(0)), toNullable(spent)) AS billable,
           cityHash64({seed}, worklog_id, 7) % 100 < 5 AS resynced,
           cityHash64({seed}, worklog_id, 8) % 100 < 1 AS deleted,
           toDateTime('{sync}') + cityHash64({seed}, worklog_id, 9) % 86400 AS updated
    FROM numbers({worklogs})
)
ARRAY JOIN arrayConcat([0], if(resynced, [1], []), if(deleted, [2], [])) AS version
"""


def seed_application_scale(url: str, period_first: date, *, applications: int, worklogs: int,
                           seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Add synthetic contracts to the seeded demo data so that ``applications`` contracts are active in
    the month starting ``period_first`` and ``worklogs`` worklogs (distinct ids, deleted ones included)
    fall in it. HR (every other one with an hours limit), SUP and FP in turn, one project each, with
    the demo customers. Run after :func:`seed_clickhouse`; deterministic for the same arguments."""
    client = admin_client(url)
    last = month_end(period_first)
    active = client.query(
        "SELECT count() FROM cdm.jira_applications FINAL WHERE status = 'active' "
        "AND start_date <= {last:Date} AND (end_date IS NULL OR end_date >= {first:Date})",
        parameters={"first": period_first, "last": last}).result_rows[0][0]
    existing = client.query(
        "SELECT uniqExact(worklog_id) FROM tempo.worklogs_flat WHERE work_date BETWEEN {first:Date} AND {last:Date}",
        parameters={"first": period_first, "last": last}).result_rows[0][0]
    apps, extra = max(0, applications - active), max(0, worklogs - existing)
    customers = [row[0] for row in client.query(
        "SELECT DISTINCT customer_key FROM cdm.jira_customers ORDER BY customer_key").result_rows]
    sync = datetime.combine(last + timedelta(days=1), datetime.min.time()) + timedelta(hours=3)
    rows = []
    for a in range(apps):
        deal = ("HR", "SUP", "FP")[a % 3]
        hourly = Decimal(30 + a % 25).quantize(Decimal("0.01"))
        hours = extra * 1.05 / max(1, apps)  # what a contract logs in the month (mean 62 minutes a worklog)
        rows.append({
            "application_key": f"{SYNTHETIC_PREFIX}{a:04d}-{deal}", "customer_key": customers[a % len(customers)],
            "title": f"Synthetic contract {a}", "deal_type": deal, "status": "active", "currency": "USD",
            "hourly_rate": hourly,
            "monthly_fee": (hourly * 100).quantize(Decimal("0.01")) if deal == "SUP" else None,
            "included_hours": Decimal(int(hours * 0.8)).quantize(Decimal("0.01")) if deal == "SUP" else None,
            "fixed_amount": (hourly * 1000).quantize(Decimal("0.01")) if deal == "FP" else None,
            "hours_limit": int(hours * 0.9) if deal == "HR" and a % 2 else None,
            "min_billable_minutes": 15 if a % 4 == 0 else None, "vat_rate": Decimal("12.00"),
            "jira_project_keys": [f"{SYNTHETIC_PREFIX}{a:04d}"], "contract_number": f"PRX-C-SYN/{a:04d}",
            "contract_date": date(2024, 12, 20), "start_date": date(2025, 1, 1), "end_date": None,
            "updated_at": sync - timedelta(days=40),
        })
    _insert_rows(client, "cdm.jira_applications", rows)
    values = {"seed": int(seed), "prefix": SYNTHETIC_PREFIX, "apps": apps, "issues": _SYNTHETIC_ISSUES,
              "people": _SYNTHETIC_PEOPLE, "id_base": _SYNTHETIC_ID_BASE, "worklogs": extra,
              "first": period_first.isoformat(), "days": (last - period_first).days + 1,
              "sync": sync.isoformat(sep=" ")}
    if apps:
        client.command(_SYNTHETIC_ISSUES_SQL.format(**values), settings=_ONE_PART)
        client.command(_SYNTHETIC_WORKLOGS_SQL.format(**values), settings=_ONE_PART)
    return {"period_first": period_first.isoformat(), "applications_active": active + apps,
            "synthetic_applications": apps, "worklogs_in_month": existing + (extra if apps else 0)}


def _insert_rows(client: Any, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = list(rows[0])
    columns = [[row[n] for row in rows] for n in names]
    client.insert(table, columns, column_names=names, column_oriented=True, settings=_ONE_PART)


def clickhouse_counts(client: Any) -> dict[str, Any]:
    """Raw and latest-version counts of the seeded tables, and the busiest month of the largest contract."""
    def one(sql: str) -> tuple:
        return client.query(sql).result_rows[0]

    customers, customer_rows, residents = one(
        "SELECT uniqExact(customer_key), count(), uniqExactIf(customer_key, country = 'UZ') FROM cdm.jira_customers")
    applications, application_rows = one("SELECT uniqExact(application_key), count() FROM cdm.jira_applications")
    contacts = one("SELECT count() FROM cdm.jira_contacts FINAL")[0]
    issues, issue_rows = one("SELECT uniqExact(issue_key), count() FROM jira.jira_issues")
    worklog_rows, worklogs, employees, projects = one(
        "SELECT count(), uniqExact(worklog_id), uniqExact(account_id), uniqExact(project_key) "
        "FROM tempo.worklogs_flat")
    live, deleted, resynced = one(
        "SELECT countIf(NOT is_deleted), countIf(is_deleted), countIf(versions > 1) FROM ("
        " SELECT worklog_id, argMax(is_deleted, updated_at) AS is_deleted, count() AS versions"
        " FROM tempo.worklogs_flat GROUP BY worklog_id)")
    missing_issue = one(
        "SELECT count() FROM tempo.worklogs_flat FINAL WHERE is_deleted = 0 "
        "AND issue_key NOT IN (SELECT issue_key FROM jira.jira_issues)")[0]
    keys = client.query("SELECT jira_project_keys FROM cdm.jira_applications FINAL "
                        "WHERE application_key = {key:String}",
                        parameters={"key": LARGEST_APPLICATION}).result_rows
    busiest = {"application_key": LARGEST_APPLICATION, "period": None, "worklogs": 0}
    if keys:
        rows = client.query(
            "SELECT formatDateTime(work_date, '%Y-%m') AS period, count() AS n FROM tempo.worklogs_flat FINAL "
            "WHERE is_deleted = 0 AND project_key IN {keys:Array(String)} GROUP BY period ORDER BY n DESC, period "
            "LIMIT 1", parameters={"keys": list(keys[0][0])}).result_rows
        if rows:
            busiest.update(period=rows[0][0], worklogs=rows[0][1])
    return {
        "customers": customers, "customer_rows": customer_rows, "resident_customers": residents,
        "contacts": contacts, "applications": applications, "application_rows": application_rows,
        "issues": issues, "issue_rows": issue_rows,
        "worklogs": worklogs, "worklog_rows": worklog_rows, "worklogs_live": live,
        "worklogs_deleted": deleted, "worklogs_resynced": resynced, "worklogs_missing_issue": missing_issue,
        "employees": employees, "projects_with_worklogs": projects, "largest_application": busiest,
    }


# ------------------------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------------------------

COMPANY = {
    "name": "Proxima Ops LLC",
    "legal_name": "\"PROXIMA OPS\" MChJ",
    "tin": "309512874",
    "vat_registration_code": "326060012874",
    "vat_status": "плательщик НДС (сертификат действителен)",
    "country": "UZ",
    "address": "100084, Toshkent sh., Yunusobod tumani, Amir Temur shoh ko'chasi, 108, 7-qavat",
    "bank_name": "ATB \"Turon Kapital Bank\" Yunusobod filiali",
    "bank_account": "20208000805123456001",  # soum: currency digits 6-8 are 000
    "bank_code": "01071",  # MFO
    "swift": "TKBKUZ22",
    # One account per invoice currency (digits 6-8: 840 USD, 978 EUR) with the correspondent bank that
    # currency travels through (/work/shared/references/documents.md, "Payment block"). Demo values.
    "currency_accounts": {
        "USD": {"account": "20208840905123456001", "intermediary_bank": "Citibank N.A., New York, USA",
                "intermediary_swift": "CITIUS33", "intermediary_account": "36129876"},
        "EUR": {"account": "20208978505123456001", "intermediary_bank": "Commerzbank AG, Frankfurt am Main, Germany",
                "intermediary_swift": "COBADEFF", "intermediary_account": "400887654300EUR"},
    },
    "bank_charges": "SHA",
    "reverse_charge_countries": ["AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "IE", "IT", "LT", "LU", "LV",
                                 "NL", "PL", "PT"],
    "director": "Rustam Abdullayev",
    "director_position": "Direktor",
    "chief_accountant": "Gulnora Saidova",
    "email": "billing@proxima-ops.uz",
    "phone": "+998 71 205 18 40",
}

# MXIK (IKPU) service codes per line category and unit codes per line unit, as the accountant sets them
# from the state classifier (tasnif.soliq.uz): the codes below are demo placeholders of the right shape
# (17 digits; OKEI-style unit numbers), not looked-up values. documents.md: "set per kind of service ...
# by the accountant, not guessed by software".
_MXIK_DEV = {"code": "10201001001000000", "name": "Услуги по разработке программного обеспечения"}
_MXIK_SUPPORT = {"code": "10202001001000000",
                 "name": "Услуги по сопровождению и технической поддержке программного обеспечения"}
_MXIK_CONSULTING = {"code": "10203001001000000", "name": "Консультационные услуги в области информационных технологий"}
MXIK_CODES = {
    "Development": _MXIK_DEV, "Fixed price": _MXIK_DEV, "Software development services": _MXIK_DEV,
    "Bug fixing": _MXIK_SUPPORT, "Incident response": _MXIK_SUPPORT, "Support requests": _MXIK_SUPPORT,
    "Support retainer": _MXIK_SUPPORT, "Consulting": _MXIK_CONSULTING,
}
UNIT_CODES = {"hour": {"code": "356", "name": "час"}, "month": {"code": "362", "name": "месяц"},
              "fixed": {"code": "876", "name": "усл. ед."}}


def _customer_details(model: "Model") -> dict[str, dict[str, str]]:
    """The buyers' VAT registration codes (12 digits; not in the CDM), deterministic per customer."""
    # Demo rule: "3260" + the last 8 digits of the 9-digit TIN makes a 12-digit code.
    return {c["customer_key"]: {"vat_registration_code": "3260" + c["tin"][-8:]}
            for c in model.customers if c["country"] == "UZ" and len(c["tin"]) == 9}


def _efaktura(model: "Model") -> dict[str, Any]:
    """What only the Didox e-invoice needs (setting ``efaktura``): the VAT registration status of the company
    and of each resident buyer, and the products' Origin. The MXIK codes, units and VAT registration codes
    it sends are the printed invoice's (``mxik_codes``, ``unit_codes``, ``customer_details``, ``company``;
    domain.tax_codes). DEMO VALUES: status 20 and origin 4 are placeholders, not checked with Didox."""
    buyers = {key: {"vat_reg_status": 20} for key in _customer_details(model)}
    return {"seller_vat_reg_status": 20, "origin": 4, "buyers": buyers}


def _demo_config(model: Model) -> tuple[list[dict], list[dict], list[tuple[str, str, str]]]:
    """The rate rules, exclusions and classifications that go with the ClickHouse demo data."""
    start = model.window_start
    largest = model.applications[LARGEST_APPLICATION].row
    senior = model.employee("developer", LARGEST_APPLICATION, 0)
    support = model.employee("support", "TRS-SUP", 0)
    intern = model.employee("intern", None, 0)
    shadow = model.employee("developer", "NORD-HR", 1)
    outsider = model.employee(None, "CBLT-HR", 1)
    nord_rate = model.applications["NORD-HR"].row["hourly_rate"]

    def rule(app, note, **fields):
        base = {"account_id": None, "issue_type": None, "priority": None, "rate": None, "multiplier": None,
                "min_billable_minutes": None, "rounding_increment_minutes": None, "effective_from": None,
                "effective_to": None}
        return {"application_key": app, **base, **fields, "note": f"{DEMO_TAG} {note}"}

    rules = [
        rule(LARGEST_APPLICATION, "Highest-priority incidents at 150%", issue_type="Incident", priority="Highest",
             multiplier=Decimal("1.5")),
        rule(LARGEST_APPLICATION, f"senior engineer rate for {senior.name}", account_id=senior.account_id,
             rate=(largest["hourly_rate"] + Decimal("23")).quantize(Decimal("0.01"))),
        rule(LARGEST_APPLICATION, "consulting billed at the architect rate", issue_type="Consulting",
             rate=Decimal("70.00")),
        rule("THAM-SUP", "15-minute increments, 15 minutes minimum", rounding_increment_minutes=15,
             min_billable_minutes=15),
        rule("NORD-HR", "rate increase from the second half of the contract year",
             rate=nord_rate + Decimal("4.00"),
             effective_from=add_months(start, 8)),
        rule("IPAK-SUP", "incidents at 125%", issue_type="Incident", multiplier=Decimal("1.25")),
        rule("IPAK-SUP", "Highest-priority incidents at 200%", issue_type="Incident", priority="Highest",
             multiplier=Decimal("2.0")),
        rule("TRS-SUP", f"lead support engineer {support.name}", account_id=support.account_id,
             rate=Decimal("450000.00")),
        rule("CBLT-HR", "winter discount", rate=Decimal("39.00"), effective_from=add_months(start, 1),
             effective_to=add_months(start, 4) - timedelta(days=1)),
        rule("ALPN-SUP", "30 minutes minimum per ticket", min_billable_minutes=30),
    ]
    exclusions = [
        {"account_id": intern.account_id, "application_key": None, "effective_from": None, "effective_to": None,
         "reason": f"{DEMO_TAG} intern {intern.name}: trainee hours are never billed"},
        {"account_id": shadow.account_id, "application_key": "NORD-HR", "effective_from": add_months(start, 3),
         "effective_to": add_months(start, 5) - timedelta(days=1),
         "reason": f"{DEMO_TAG} {shadow.name} shadowing period, not billable per contract"},
        {"account_id": outsider.account_id, "application_key": "CBLT-HR", "effective_from": add_months(start, 9),
         "effective_to": None, "reason": f"{DEMO_TAG} {outsider.name} not on the customer's approved team list"},
    ]
    classifications = [(key, kind, f"{DEMO_TAG} {note}") for key, (kind, note) in NON_BILLABLE_CLASSIFICATION.items()]
    classifications += [(key, "billable", f"{DEMO_TAG} {note}") for key, note in EXPLICIT_BILLABLE.items()]
    return rules, exclusions, classifications


def seed_postgres(dsn_or_conn: Any, *, seed: int = DEFAULT_SEED, today: date = DEFAULT_TODAY) -> dict[str, int]:
    """Upsert the demo billing configuration; rows the seed owns are tagged ``demo:`` and updated in place.

    Takes a DSN (one transaction, committed) or an open psycopg connection (runs in a transaction block on it;
    the caller's outer transaction, if any, decides). Settings other than ``company``, ``invoice_prefix``,
    ``mxik_codes``, ``unit_codes``, ``customer_details`` and ``efaktura`` are left as they are.
    """
    import psycopg

    model = build_model(seed, today)
    rules, exclusions, classifications = _demo_config(model)
    settings = {"company": COMPANY, "invoice_prefix": "PRX", "mxik_codes": MXIK_CODES, "unit_codes": UNIT_CODES,
                "customer_details": _customer_details(model), "efaktura": _efaktura(model)}
    if isinstance(dsn_or_conn, str):
        with psycopg.connect(dsn_or_conn) as conn:
            result = _seed_postgres(conn, rules, exclusions, classifications, settings)
            conn.commit()
            return result
    with dsn_or_conn.transaction():
        return _seed_postgres(dsn_or_conn, rules, exclusions, classifications, settings)


def _seed_postgres(conn: Any, rules: list[dict], exclusions: list[dict],
                   classifications: list[tuple[str, str, str]], settings: dict[str, Any]) -> dict[str, int]:
    from psycopg.rows import tuple_row
    from psycopg.types.json import Jsonb

    cur = conn.cursor(row_factory=tuple_row)
    for key, value in settings.items():
        cur.execute("INSERT INTO invoicing.app_settings (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now() "
                    "WHERE invoicing.app_settings.value IS DISTINCT FROM EXCLUDED.value", (key, Jsonb(value)))

    columns = ("application_key", "account_id", "issue_type", "priority", "rate", "multiplier",
               "min_billable_minutes", "rounding_increment_minutes", "effective_from", "effective_to")
    _sync_tagged(cur, "invoicing.contract_rate_rules", "note", columns, rules, touch_updated_at=True)
    _sync_tagged(cur, "invoicing.employee_exclusions", "reason",
                 ("account_id", "application_key", "effective_from", "effective_to"), exclusions)

    for key, kind, note in classifications:
        cur.execute("INSERT INTO invoicing.project_classifications (project_key, classification, note) "
                    "VALUES (%s, %s, %s) ON CONFLICT (project_key) DO UPDATE SET "
                    "classification = EXCLUDED.classification, note = EXCLUDED.note, updated_at = now() "
                    "WHERE (invoicing.project_classifications.classification, invoicing.project_classifications.note)"
                    " IS DISTINCT FROM (EXCLUDED.classification, EXCLUDED.note)", (key, kind, note))
    return {"settings": len(settings), "rate_rules": len(rules), "employee_exclusions": len(exclusions),
            "project_classifications": len(classifications)}


def _sync_tagged(cur: Any, table: str, tag_column: str, columns: Sequence[str], rows: list[dict],
                 touch_updated_at: bool = False) -> None:
    """Make the ``demo:``-tagged rows of ``table`` equal ``rows``, keyed by their tag text (ids stay stable)."""
    cur.execute(f"SELECT id, {tag_column} FROM {table} WHERE {tag_column} LIKE %s ORDER BY id", (DEMO_TAG + "%",))
    existing: dict[str, int] = {}
    stale: list[int] = []
    for row_id, tag in cur.fetchall():
        if tag in existing:
            stale.append(row_id)
        else:
            existing[tag] = row_id
    wanted = {row[tag_column] for row in rows}
    stale += [row_id for tag, row_id in existing.items() if tag not in wanted]
    if stale:
        cur.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", (stale,))
    for row in rows:
        values = [row[c] for c in columns]
        if row[tag_column] in existing:
            assignments = ", ".join(f"{c} = %s" for c in columns)
            changed = " OR ".join(f"{c} IS DISTINCT FROM %s" for c in columns)
            extra = ", updated_at = now()" if touch_updated_at else ""
            cur.execute(f"UPDATE {table} SET {assignments}{extra} WHERE id = %s AND ({changed})",
                        (*values, existing[row[tag_column]], *values))
        else:
            cur.execute(f"INSERT INTO {table} ({', '.join(columns)}, {tag_column}) "
                        f"VALUES ({', '.join(['%s'] * (len(columns) + 1))})", (*values, row[tag_column]))


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------

def seed_demo(clickhouse_url: str, dsn: str, scale: int = 1, *, seed: int = DEFAULT_SEED,
              today: date = DEFAULT_TODAY, migrate: bool = True) -> dict[str, Any]:
    """Seed both databases of the local stack; what ``python -m chalicelib.cli seed-demo`` runs."""
    if migrate:
        from chalicelib.adapters.migrations import migrate_up

        migrate_up(dsn)
    clickhouse = seed_clickhouse(clickhouse_url, scale=scale, seed=seed, today=today)
    postgres = seed_postgres(dsn, seed=seed, today=today)
    return {"clickhouse": clickhouse, "postgres": postgres}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply worklogs (10 ≈ 2M rows)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    parser.add_argument("--clickhouse-only", action="store_true", help="leave PostgreSQL alone")
    parser.add_argument("--applications", type=int, default=0,
                        help="with --month: synthetic contracts up to this many active in the month")
    parser.add_argument("--worklogs", type=int, default=0, help="with --applications: worklogs in the month")
    parser.add_argument("--month", type=date.fromisoformat, default=date(2026, 10, 1),
                        help="first day of the month --applications fills")
    args = parser.parse_args(argv)

    from .stack import embedded_clickhouse_url, embedded_postgres

    url = os.environ.get("CLICKHOUSE_URL") or embedded_clickhouse_url()
    if args.clickhouse_only:
        summary: dict[str, Any] = {"clickhouse": seed_clickhouse(url, scale=args.scale, seed=args.seed,
                                                                 today=args.today)}
    else:
        dsn = os.environ.get("DATABASE_URL") or embedded_postgres()
        summary = seed_demo(url, dsn, args.scale, seed=args.seed, today=args.today)
    if args.applications:
        summary["applications_scale"] = seed_application_scale(
            url, args.month, applications=args.applications, worklogs=args.worklogs, seed=args.seed)
    json.dump(summary, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
