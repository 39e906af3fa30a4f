"""The U.S. Consolidated Screening List, the EU Financial Sanctions File and the UK Sanctions List, read from small
excerpts written here in each publisher's layout (the full files are not in ../shared/data).

Formats: the CSL's CSV and JSON as trade.gov publishes them (https://www.trade.gov/consolidated-screening-list,
"CSL downloadable files"; the API's result fields at https://developer.trade.gov, Consolidated Screening List
API); the EU's Financial Sanctions File XML 1.1 (https://webgate.ec.europa.eu/fsd/fsf, "Financial Sanctions
Files", schema http://eu.europa.ec/fpi/fsd/export); the FCDO's UK Sanctions List CSV
(https://www.gov.uk/government/publications/the-uk-sanctions-list). The records follow the published entries
(Huawei, SMIC and YMTC on the Entity List with their Federal Register citations; the EU's first Iraq listing).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pinchpoint import sources
from pinchpoint.errors import DataError
from pinchpoint.screening.loaders import load_list
from pinchpoint.screening.matcher import Screener
from pinchpoint.screening.model import EntityType, NameKind
from pinchpoint.screening.official import CSL_COLUMNS, load_csl, load_eu_fsf, load_uk

EL = "Entity List (EL) - Bureau of Industry and Security"
MEU = "Military End User (MEU) List - Bureau of Industry and Security"
SDN = "Specially Designated Nationals (SDN) - Treasury Department"
CSL_ROWS = [
    {"_id": "f1b0a3", "source": EL, "name": "Huawei Technologies Co., Ltd.",
     "addresses": "Bantian Huawei Base, Longgang District, Shenzhen, CN",
     "federal_register_notice": "84 FR 22963", "start_date": "2019-05-21",
     "license_requirement": "For all items subject to the EAR. (See §§ 734.9(e), and 744.11 of the EAR).",
     "license_policy": "Presumption of denial.", "alt_names": "Huawei; Huawei Technologies"},
    {"_id": "c5d2e9", "source": EL, "name": "Semiconductor Manufacturing International Corporation",
     "addresses": "18 Zhangjiang Road, Pudong New Area, Shanghai, CN", "federal_register_notice": "85 FR 83420",
     "start_date": "2020-12-22", "license_requirement": "For all items subject to the EAR.",
     "license_policy": "Presumption of denial for items uniquely required for production at 10 nm or below",
     "alt_names": "SMIC"},
    {"_id": "9a77c1", "source": EL, "name": "Yangtze Memory Technologies Co., Ltd.",
     "addresses": "No. 88 Weilai 3rd Road, East Lake High-tech Development Zone, Wuhan, Hubei, CN",
     "federal_register_notice": "87 FR 77505", "start_date": "2022-12-19",
     "license_requirement": "For all items subject to the EAR.", "license_policy": "Case-by-case review",
     "alt_names": "YMTC"},
    {"_id": "44e0b8", "source": MEU, "name": "Aviation Industry Corporation of China (AVIC) XAC Commercial Aircraft",
     "addresses": "No. 1 Xifei Avenue, Yanliang District, Xi'an, Shaanxi, CN",
     "federal_register_notice": "85 FR 83799", "start_date": "2020-12-23",
     "license_requirement": "For items listed in supp. no. 2 to part 744 of the EAR.",
     "license_policy": "Presumption of denial"},
    {"_id": "0d9e3f", "source": SDN, "entity_number": "7157", "type": "Individual", "programs": "SDGT",
     "name": "ATWA, Ali", "dates_of_birth": "1960", "nationalities": "LB", "alt_names": "SALIM, Hassan",
     "remarks": "Also listed by the UN"},
    {"_id": "5b1c2a", "source": EL, "name": "", "addresses": "Unknown, CN"},  # a record without a name
]


def _write_csl(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, CSL_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def test_csl_csv_flags_the_entity_list_chipmakers(tmp_path: Path) -> None:
    path = _write_csl(tmp_path / "consolidated_2026-11-30.csv", CSL_ROWS)
    assert sources.detect(path, kind="list").name == "us-csl"
    lst = load_list(path)
    named = [r for r in CSL_ROWS if r["name"]]
    assert len(lst.entities) == len(named) and lst.records == len(CSL_ROWS) and lst.dropped == 1
    assert [(p.location.row, p.location.field) for p in lst.problems] == [(7, "name")]
    assert lst.version == "20261130"
    by_name = {e.primary_name: e for e in lst.entities}
    huawei = by_name["Huawei Technologies Co., Ltd."]
    assert huawei.programmes[:2] == (EL, "EL") and huawei.countries == ("CHN",)
    assert "84 FR 22963" in huawei.listing_reason and "Presumption of denial" in huawei.listing_reason
    assert [n.text for n in huawei.names if n.kind is NameKind.ALIAS] == ["Huawei", "Huawei Technologies"]
    atwa = by_name["ATWA, Ali"]
    assert atwa.type is EntityType.PERSON and atwa.birth_dates == ("1960",) and atwa.countries == ("LBN",)
    assert atwa.programmes == (SDN, "SDN", "SDGT")
    screener = Screener([lst])
    for query, listed in (("Huawei Technologies Co Ltd", "Huawei Technologies Co., Ltd."), ("SMIC", None),
                          ("Yangtze Memory Technologies", "Yangtze Memory Technologies Co., Ltd."),
                          ("Semiconductor Manufacturing International Corp.", None)):
        found = screener.screen(query)
        assert found, query
        expected = listed or ("Semiconductor Manufacturing International Corporation")
        assert found[0]["entity_id"] == by_name[expected].entity_id
        assert found[0]["programmes"][0] == EL


def test_csl_json_reads_the_same_entities(tmp_path: Path) -> None:
    csv_list = load_csl(_write_csl(tmp_path / "c.csv", CSL_ROWS))
    results = []
    for row in CSL_ROWS:
        record: dict[str, object] = {k: v for k, v in row.items() if k != "_id"}
        record["id"] = row["_id"]
        record["alt_names"] = [a.strip() for a in row.get("alt_names", "").split(";") if a.strip()]
        record["programs"] = [p for p in [row.get("programs", "")] if p]
        record["addresses"] = [{"address": row.get("addresses", "").rsplit(",", 1)[0], "city": None, "state": None,
                                "postal_code": None, "country": row.get("addresses", "").rsplit(", ", 1)[-1]}]
        results.append(record)
    path = tmp_path / "consolidated.json"
    path.write_text(json.dumps({"total": len(results), "results": results}), encoding="utf-8")
    assert sources.detect(path, kind="list").name == "us-csl"
    json_list = load_csl(path)
    assert [(e.entity_id, [n.text for n in e.names], e.countries, e.programmes) for e in json_list.entities] == \
        [(e.entity_id, [n.text for n in e.names], e.countries, e.programmes) for e in csv_list.entities]


def test_csl_without_its_columns_is_an_error_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("_id,entity_number,name\n1,2,ACME\n", encoding="utf-8")
    with pytest.raises(DataError, match="source") as err:
        load_csl(path)
    assert err.value.problems[0].location.field == "source"


EU_XML = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-11-27T17:00:00.000+01:00" globalFileId="1">
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.27.28" logicalId="13">
    <regulation regulationType="regulation" organisationType="commission" publicationDate="2003-07-08"
        entryIntoForceDate="2003-07-07" numberTitle="1210/2003 (OJ L169)" programme="IRQ" logicalId="1">
      <publicationUrl>http://eur-lex.europa.eu/LexUriServ/LexUriServ.do?uri=OJ:L:2003:169:0006:0023:EN:PDF</publicationUrl>
    </regulation>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti"
        function="" gender="M" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="17"/>
    <nameAlias firstName="" middleName="" lastName="" wholeName="Abu Ali" function="" gender="M" title=""
        nameLanguage="" strong="false" regulationLanguage="en" logicalId="18"/>
    <citizenship region="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="20"/>
    <birthdate circa="false" calendarType="GREGORIAN" city="al-Awja, near Tikrit" birthdate="1937-04-28"
        dayOfMonth="28" monthOfYear="4" year="1937" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="21"/>
    <remark>Former President of Iraq.</remark>
  </sanctionEntity>
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.8431.59" logicalId="140411"
      designationDate="2022-06-03">
    <regulation regulationType="regulation" publicationDate="2022-06-03" numberTitle="2022/879 (OJ L153)"
        programme="UKR" logicalId="140000"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Joint Stock Company Belaruskali" gender="" strong="true" logicalId="140412"/>
    <nameAlias wholeName="ОАО Беларуськалий" gender="" strong="true" logicalId="140413"/>
    <address city="Soligorsk" street="5 Korzha Street" poBox="" zipCode="223710" region="Minsk region"
        countryIso2Code="BY" countryDescription="BELARUS" logicalId="140414"/>
  </sanctionEntity>
  <sanctionEntity euReferenceNumber="EU.1.1" logicalId="99">
    <subjectType code="person" classificationCode="P"/>
  </sanctionEntity>
</export>
"""


def test_eu_financial_sanctions_file(tmp_path: Path) -> None:
    path = tmp_path / "eu_fsf.xml"
    path.write_text(EU_XML, encoding="utf-8")
    assert sources.detect(path, kind="list").name == "eu-fsf"
    lst = load_list(path)
    assert lst.version == "20261127" and lst.records == 3 and lst.dropped == 1 and len(lst.entities) == 2
    assert lst.problems[0].location.field == "nameAlias"
    saddam, belaruskali = lst.entities
    assert saddam.entity_id == "eu-13" and saddam.type is EntityType.PERSON and saddam.gender == "male"
    assert [n.text for n in saddam.names] == ["Saddam Hussein Al-Tikriti", "Abu Ali"]
    assert saddam.birth_dates == ("1937-04-28",) and saddam.countries == ("IRQ",)
    assert saddam.programmes == ("IRQ", "1210/2003 (OJ L169)")
    assert "Former President of Iraq." in saddam.listing_reason and "EU.27.28" in saddam.listing_reason
    assert belaruskali.type is EntityType.ORGANISATION and belaruskali.countries == ("BLR",)
    assert "designated 2022-06-03" in belaruskali.listing_reason
    found = Screener([lst]).screen("OJSC Belaruskali")
    assert found and found[0]["entity_id"] == "eu-140411"


def test_eu_file_cut_short_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "eu_fsf.xml"
    path.write_text(EU_XML[: len(EU_XML) // 2], encoding="utf-8")
    with pytest.raises(DataError, match="cut short"):
        load_eu_fsf(path)


UK_HEADER = ["Last Updated", "Unique ID", "OFSI Group ID", "UN Reference Number", "Name 6", "Name 1", "Name 2",
             "Name 3", "Name 4", "Name 5", "Name type", "Alias strength", "Title", "Name non-latin script",
             "Non-latin script type", "Non-latin script language", "Regime Name", "Designation Type",
             "Designation source", "Sanctions Imposed", "Other Information", "UK Statement of Reasons",
             "Address Line 1", "Address Line 2", "Address Line 3", "Address Line 4", "Address Line 5",
             "Address Line 6", "Address Postal Code", "Address Country", "Phone number", "Website",
             "Email address", "Date Designated", "D.O.B", "Nationality(/ies)", "National Identifier number",
             "National Identifier additional information", "Passport number", "Passport additional information",
             "Position", "Gender", "Town of birth", "Country of birth"]


def _uk_row(**values: str) -> list[str]:
    return [values.get(h.replace(" ", "_").replace("-", "_").replace(".", "").replace("(/ies)", ""), "")
            for h in UK_HEADER]


RUSSIA = "The Russia (Sanctions) (EU Exit) Regulations 2019"


def test_uk_sanctions_list(tmp_path: Path) -> None:
    path = tmp_path / "UK_Sanctions_List.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Report Date: 28-Jan-2026"])
        writer.writerow(UK_HEADER)
        writer.writerow(_uk_row(Unique_ID="RUS0001", Name_6="ROTENBERG", Name_1="Arkady", Name_2="Romanovich",
                                Name_type="Primary Name", Regime_Name=RUSSIA, Designation_Type="Individual",
                                DOB="15/12/1951", Nationality="Russia",
                                Gender="Male", UK_Statement_of_Reasons="A prominent Russian businessman.",
                                Date_Designated="15/03/2022", Name_non_latin_script="Аркадий Романович Ротенберг"))
        writer.writerow(_uk_row(Unique_ID="RUS0001", Name_6="ROTENBERG", Name_1="Arkadiy", Name_type="Alias",
                                Regime_Name="The Russia (Sanctions) (EU Exit) Regulations 2019",
                                Designation_Type="Individual", DOB="15/12/1951"))
        writer.writerow(_uk_row(Unique_ID="CYB0002", Name_6="GRU 85th Main Special Service Centre",
                                Name_type="Primary Name", Designation_Type="Entity", Address_Country="Russia",
                                Regime_Name="The Cyber (Sanctions) (EU Exit) Regulations 2020"))
        writer.writerow(_uk_row(Unique_ID="", Name_6="NOBODY", Name_type="Primary Name"))
    assert sources.detect(path, kind="list").name == "uk-sanctions"
    lst = load_list(path)
    assert lst.version == "20260128" and lst.records == 4
    assert len(lst.entities) == 2 and lst.duplicates == 1 and lst.dropped == 1
    assert (lst.problems[0].location.row, lst.problems[0].location.field) == (6, "Unique ID")
    rotenberg, gru = lst.entities
    assert rotenberg.entity_id == "uk-RUS0001" and rotenberg.type is EntityType.PERSON
    assert [(n.text, n.kind) for n in rotenberg.names] == [
        ("Arkady Romanovich ROTENBERG", NameKind.PRIMARY), ("Аркадий Романович Ротенберг", NameKind.ORIGINAL),
        ("Arkadiy ROTENBERG", NameKind.ALIAS)]
    assert rotenberg.birth_dates == ("1951-12-15",) and rotenberg.countries == ("RUS",)
    assert rotenberg.gender == "male" and rotenberg.programmes == ("The Russia (Sanctions) (EU Exit) Regulations 2019",)
    assert "designated 2022-03-15" in rotenberg.listing_reason
    assert gru.type is EntityType.ORGANISATION and gru.countries == ("RUS",)
    found = Screener([lst]).screen("Arkady Rotenberg")
    assert found and found[0]["entity_id"] == "uk-RUS0001"


def test_uk_file_without_its_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "uk.csv"
    path.write_text("Report Date: 28-Jan-2026\nLast Updated,Unique ID,Name\n01/01/2026,X1,ACME\n", encoding="utf-8")
    with pytest.raises(DataError, match="Name 6") as err:
        load_uk(path)
    assert err.value.problems[0].location.field == "Name 6"


def _uk_file(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Report Date: 28-Jan-2026"])
        writer.writerow(UK_HEADER)
        for k in range(3):
            writer.writerow(_uk_row(Unique_ID=f"RUS{k}", Name_6=f"PERSON{k}", Name_1="Ivan", Name_type="Primary Name",
                                    Regime_Name=RUSSIA, Designation_Type="Individual"))
    return path


@pytest.mark.parametrize("source", ["us-csl", "eu-fsf", "uk-sanctions"])
@pytest.mark.parametrize("damage", ["empty", "header only", "cut mid-record", "binary", "html page"])
def test_damaged_files_are_refused_or_accounted_for(tmp_path: Path, source: str, damage: str) -> None:
    """Every damaged file is refused naming it, or read with every record an entity, a duplicate or a problem; a
    file cut inside a record is always refused."""
    good = {"us-csl": lambda p: _write_csl(p, CSL_ROWS), "eu-fsf": lambda p: p.write_text(EU_XML, encoding="utf-8"),
            "uk-sanctions": _uk_file}[source]
    original = tmp_path / "good"
    good(original)
    data = original.read_bytes()
    cut = {"empty": b"", "header only": b"".join(data.splitlines(keepends=True)[:2 if source == "uk-sanctions" else 1]),
           "cut mid-record": data[: len(data) * 2 // 3], "binary": bytes(range(256)) * 8,
           "html page": b"<!DOCTYPE html><html><body>Service unavailable</body></html>"}[damage]
    path = tmp_path / "damaged"
    path.write_bytes(cut)
    try:
        lst = load_list(path, source=source)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    assert damage != "cut mid-record", "a file cut inside a record is refused, never read shorter"
    assert lst.records == len(lst.entities) + lst.duplicates + lst.skipped + lst.dropped
