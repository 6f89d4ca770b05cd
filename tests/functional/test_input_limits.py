"""Hostile input that used to be a 500: import files that attack the parsers, a huge list of problems,
and a company form without its membership number."""

import json

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Company

from .test_companies import profile_form
from .test_import import COMPANY, LISTING, ROSTER, jsonl, table_counts, upload, write


def refused(response, *problems):
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was imported" in html, html[:2000]
    for problem in problems:
        assert problem in html, problem
    return html


# --- the import upload: per-line problems, never a crash ------------------------------------------------


def test_deeply_nested_json_and_huge_numbers_are_per_line_problems(app, client_for, admin):
    before = table_counts()
    lines = jsonl(
        COMPANY,
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json.loads
        '{"record": "listing", "details": ' + '{"a": ' * 30 + "1" + "}" * 30 + "}",
        '{"record": "company", "ref": ' + "1" * 5000 + "}",  # ValueError: more than 4,300 digits
        LISTING,
    )
    refused(
        upload(client_for(admin), lines),
        "line 2: json: nested too deeply",
        "line 3: json: nested more than 20 levels deep",
        "line 4: json: a number is too long",
    )
    db.session.expire_all()
    assert table_counts() == before


def test_csv_field_over_the_csv_module_limit_is_a_per_line_problem(app, client_for, admin):
    long_row = 'pk-r3,Long Tannery,PK,Lahore,PTA,PTA-0103,,"' + "x" * 140_000 + '"\n'
    html = refused(upload(client_for(admin), [ROSTER + long_row], name="roster.csv"), "line 5: csv: field larger")
    assert "line 2" not in html  # the good rows before it are fine
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_nul_bytes_are_refused_in_json_lines(app, client_for, admin):
    lines = jsonl(COMPANY, json.dumps({**LISTING, "ref": "t-002"}).replace("Wet-blue", "Wet\x00blue"))
    escaped = jsonl({**COMPANY, "ref": "kz-c02", "name": "Aktobe\u0000Hides"})
    refused(
        upload(client_for(admin), lines + escaped),
        "line 2: file: contains a NUL byte",
        "line 3: record: contains a NUL character",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_nul_bytes_are_refused_in_csv(app, client_for, admin):
    roster = ROSTER.replace("Sialkot Gloves", "Sialkot\x00Gloves")
    refused(upload(client_for(admin), [roster], name="roster.csv"), "line 4: file: contains a NUL byte")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_line_breaks_in_imported_names_are_refused_but_descriptions_keep_theirs(app, client_for, admin):
    refused(
        upload(client_for(admin), jsonl({**COMPANY, "name": "Aktobe\r\nBcc: all@evil.example"})),
        "line 1: name: must be one line of text",
    )
    response = upload(client_for(admin), jsonl({**COMPANY, "description": "Hides.\nAnd skins."}))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(Company.description)) == "Hides.\nAnd skins."


def test_800000_bad_lines_show_the_first_200_problems_and_the_count(app, client_for, admin):
    response = upload(client_for(admin), ["x\n"] * 800_000)
    html = refused(response, "these 800000 problem(s)", "The first 200 of 800000 problems")
    assert html.count('<li dir="auto">') == 200
    assert "line 1: json:" in html and "line 200: json:" in html and "line 201: json:" not in html
    assert len(response.get_data()) < 200_000


def test_the_command_line_import_lists_every_problem(runner, tmp_path):
    path = write(tmp_path, ["x\n"] * 250)
    result = runner.invoke(args=["import-data", str(path)])
    assert result.exit_code == 1
    assert "line 250: json:" in result.output and "250 problem(s)" in result.output


# --- the company form ------------------------------------------------------------------------------------


def test_company_edit_without_membership_no_is_saved_not_a_server_error(client, login, member):
    login(member)
    response = client.post("/companies/mine/edit", data=profile_form(membership_no=None))
    assert response.status_code == 302  # the field is optional: missing is the same as empty
    db.session.expire_all()
    assert member.company.membership_no == ""


def test_too_long_membership_no_is_a_form_error(client, login, member):
    login(member)
    response = client.post("/companies/mine/edit", data=profile_form(membership_no="P" * 65))
    assert response.status_code == 400 and "Field cannot be longer than 64 characters" in response.get_data(
        as_text=True
    )
