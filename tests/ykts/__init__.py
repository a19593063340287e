"""Tests of the YKTS adapter. The bundled simulator's firms and persons (adapters/ykts/fixtures/firmalar.xml):"""

ANADOLU = "1423789050"  # Anadolu Sahne Işık ve Ses Sistemleri A.Ş., gumruk@anadolusahne.com.tr
BOGAZICI = "3841022679"  # Boğaziçi Film Prodüksiyon ve Reklamcılık A.Ş., ithalat@bogazicifilm.com.tr
NILUFER = "6204477183"  # Nilüfer Makine Otomotiv Sanayi A.Ş., nilufermakine@hs03.kep.tr (KEP)
UNKNOWN_FIRM = "5112980345"  # a valid VKN (Ege Pamuk Tekstil, known to TOBB) that YKTS does not hold
AYSE = "10000000146"  # DOGRUDAN_TEMSIL for Anadolu Sahne, open-ended
MEHMET = "24851973672"  # DOLAYLI_TEMSIL for Anadolu Sahne; DOGRUDAN_TEMSIL for Nilüfer Makine
ZEYNEP = "35261748040"  # CALISAN for Anadolu Sahne
DENIZ = "48251973650"  # DOGRUDAN_TEMSIL for Boğaziçi Film, 2026-02-01 .. 2027-01-31
CAN = "41928375672"  # DOGRUDAN_TEMSIL for Boğaziçi Film, ended 2025-12-31
ELIF = "56301829420"  # DOGRUDAN_TEMSIL for Nilüfer Makine from 2027-01-01
