"""The demo network's fixed facts: places, people and patients (fictional, realistic)."""

from __future__ import annotations

from nyeri.tenancy.roles import Role

DEMO_PASSWORD = "nyeri-demo-2026"  # noqa: S105 - printed by `make demo`; demo data only

ORGANIZATION = {"name": "Jaringan Layanan Nyeri Parahyangan", "slug": "parahyangan", "kind": "hospital"}

FACILITIES = [
    {
        "code": "rsud-bandung",
        "name": "Layanan Nyeri RSUD Kota Bandung",
        "kind": "hospital_pain_unit",
        "province": "Jawa Barat",
        "regency": "Kota Bandung",
        "regency_code": "32.73",
        "address": "Jl. Rumah Sakit No. 22, Pakemitan, Cinambo, Kota Bandung 40294",
        "phone": "(022) 7811794",
    },
    {
        "code": "klinik-cimahi",
        "name": "Klinik Nyeri Cimahi Sehat",
        "kind": "pain_clinic",
        "province": "Jawa Barat",
        "regency": "Kota Cimahi",
        "regency_code": "32.77",
        "address": "Jl. Amir Machmud No. 140, Cigugur Tengah, Cimahi Tengah 40522",
        "phone": "(022) 6654221",
    },
    {
        "code": "klinik-sumedang",
        "name": "Klinik Nyeri Sumedang Larang",
        "kind": "pain_clinic",
        "province": "Jawa Barat",
        "regency": "Kabupaten Sumedang",
        "regency_code": "32.11",
        "address": "Jl. Prabu Geusan Ulun No. 57, Regol Wetan, Sumedang Selatan 45311",
        "phone": "(0261) 201537",
    },
]

# One demo account per role: (username, full name, role, facility codes; empty = all).
DEMO_ACCOUNTS: list[tuple[str, str, Role, tuple[str, ...]]] = [
    ("admin", "Rina Kusumawardani, S.Kom", Role.ADMINISTRATOR, ()),
    ("kepatuhan", "Hendra Saputra, S.H.", Role.COMPLIANCE_OFFICER, ()),
    ("kredensial", "Dewi Lestari, S.K.M.", Role.CREDENTIALING_OFFICER, ()),
    ("dokter.nyeri", "dr. Andi Wijaya, Sp.An, KMN", Role.PAIN_PHYSICIAN, ("rsud-bandung", "klinik-cimahi")),
    ("anestesi", "dr. Bambang Hartono, Sp.An", Role.ANESTHESIOLOGIST, ("rsud-bandung",)),
    ("neurolog", "dr. Maya Sari, Sp.N", Role.NEUROLOGIST, ("rsud-bandung", "klinik-sumedang")),
    ("psikiater", "dr. Yudi Prasetyo, Sp.KJ", Role.PSYCHIATRIST, ("rsud-bandung",)),
    ("rehabmedik", "dr. Lina Marlina, Sp.KFR", Role.PHYSIATRIST, ("klinik-cimahi",)),
    ("dokter.umum", "dr. Fajar Nugraha", Role.GENERAL_PRACTITIONER, ("klinik-sumedang",)),
    ("perawat", "Siti Nurhaliza, S.Kep., Ns.", Role.NURSE, ("rsud-bandung",)),
    ("asisten.perawat", "Agus Setiawan", Role.NURSE_ASSISTANT, ("rsud-bandung",)),
    ("asisten.medis", "Putri Ayu Lestari", Role.MEDICAL_ASSISTANT, ("klinik-cimahi",)),
    ("radiografer", "Dedi Kurniawan, A.Md.Rad.", Role.RADIOGRAPHER, ("rsud-bandung",)),
    ("asisten.radiologi", "Rudi Hermawan", Role.XRAY_ASSISTANT, ("rsud-bandung",)),
    ("teknisi", "Iwan Gunawan, A.Md.T.", Role.MEDICAL_TECHNICIAN, ("klinik-cimahi", "klinik-sumedang")),
    ("apoteker", "apt. Nurul Hidayah, S.Farm.", Role.PHARMACIST, ("rsud-bandung",)),
    # The Cimahi clinic's pharmacist keeps its own controlled-drug register (nyeri/demo/register.py).
    ("apoteker.cimahi", "apt. Fitri Handayani, S.Farm.", Role.PHARMACIST, ("klinik-cimahi",)),
    # Runs the facilities day to day (opening hours, rooms, planned visits); not an administrator.
    ("manajer", "Yusuf Ramdani, S.E., M.M.", Role.FACILITY_MANAGER, ()),
    # The medical committee (Komite Medik) and the director: clinical privileges (nyeri/demo/privileges.py).
    ("komite", "dr. Hasan Basri, Sp.PD", Role.COMMITTEE_MEMBER, ()),
    ("direktur", "dr. Ratna Kartika, MARS", Role.DIRECTOR, ()),
    # The nursing committee (Komite Keperawatan): nurses' clinical privileges.
    ("komite.keperawatan", "Ns. Lestari Wulandari, S.Kep., M.Kep.", Role.NURSING_COMMITTEE_MEMBER, ()),
]

# Further staff without a demo login, so every facility has people in its roles.
MORE_STAFF: list[tuple[str, Role, str]] = [
    ("dr. Rahmat Hidayat, Sp.An, KMN", Role.ANESTHESIOLOGIST, "klinik-cimahi"),
    ("dr. Sri Wahyuni, Sp.An", Role.ANESTHESIOLOGIST, "klinik-sumedang"),
    ("dr. Teguh Santoso, Sp.N", Role.NEUROLOGIST, "klinik-cimahi"),
    ("Eka Fitriani, S.Kep., Ns.", Role.NURSE, "rsud-bandung"),
    ("Wulan Septiani, A.Md.Kep.", Role.NURSE, "klinik-cimahi"),
    ("Yanti Rahmawati, S.Kep., Ns.", Role.NURSE, "klinik-sumedang"),
    ("Asep Sunandar, A.Md.Kep.", Role.NURSE, "klinik-sumedang"),
    ("Ujang Suherman", Role.NURSE_ASSISTANT, "klinik-cimahi"),
    ("Neneng Hasanah", Role.MEDICAL_ASSISTANT, "rsud-bandung"),
    ("Cecep Supriadi", Role.MEDICAL_ASSISTANT, "klinik-sumedang"),
    ("Irfan Maulana, A.Md.Rad.", Role.RADIOGRAPHER, "klinik-cimahi"),
]

GIVEN_FEMALE = [
    "Siti",
    "Dewi",
    "Sri",
    "Nur",
    "Ratna",
    "Yuliani",
    "Euis",
    "Ani",
    "Rini",
    "Neng",
    "Lilis",
    "Tuti",
    "Wati",
    "Endang",
    "Ika",
    "Rahma",
    "Fitri",
    "Nining",
    "Cucu",
    "Imas",
]
GIVEN_MALE = [
    "Ahmad",
    "Budi",
    "Dadang",
    "Asep",
    "Ujang",
    "Yusuf",
    "Hendra",
    "Agus",
    "Rahmat",
    "Joko",
    "Eko",
    "Dedi",
    "Iwan",
    "Ade",
    "Cahya",
    "Wahyu",
    "Ridwan",
    "Taufik",
    "Jajang",
    "Engkus",
]
FAMILY = [
    "Permana",
    "Hidayat",
    "Suryana",
    "Rachman",
    "Kurnia",
    "Sutisna",
    "Gunawan",
    "Nugraha",
    "Setiadi",
    "Saputra",
    "Maulana",
    "Suhendar",
    "Rosita",
    "Komariah",
    "Sopian",
    "Hermawan",
    "Kusnadi",
    "Ramdani",
]
STREETS = [
    "Jl. Soekarno-Hatta",
    "Jl. Cibaduyut Raya",
    "Jl. Kopo",
    "Jl. Gegerkalong Hilir",
    "Jl. Cihampelas",
    "Jl. Raya Cibabat",
    "Jl. Kolonel Masturi",
    "Jl. Mayor Abdurahman",
    "Jl. Angkrek",
    "Jl. Ciumbuleuit",
    "Jl. Terusan Jakarta",
    "Jl. Pasirkaliki",
]
# (regency, Kemendagri district-level prefix used in NIKs)
PATIENT_REGIONS = [("Kota Bandung", "327301"), ("Kota Cimahi", "327701"), ("Kabupaten Sumedang", "321101")]
